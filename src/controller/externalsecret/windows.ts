// spec.syncWindows (ESO 2.9): when a due periodic refresh may run. ESO checks the windows only
// where it would otherwise refresh because the interval has passed (refreshPolicy Periodic or
// unset); a changed spec, a missing or drifted target and the first sync ignore them. A window
// is open from each firing of its schedule (UTC) for its duration, both ends included; allow
// lets refreshes run only while some window is open, deny only while none is. A schedule the
// cron parser rejects is skipped (ESO treats it as never open) and reported in the Ready
// message; a duration that is not a Go duration makes the spec invalid (ESO cannot even decode
// such an object).
//
// Where ESO re-checks a held refresh on its rate limiter's backoff, Syncret computes when the
// verdict can change (the next opening for allow, the last closing for deny) and runs then,
// shifted by the key's stable offset so a fleet held by one window does not refresh in the same
// second once it opens.

import type { SyncWindows } from '../../api/types.js';
import { CronError, parseCron } from '../../config/cron.js';
import type { CronSchedule } from '../../config/cron.js';
import { parseGoDuration } from '../../config/duration.js';
import { hashUnit, MAX_REFRESH_JITTER_MS } from '../../runtime/schedule.js';

interface Window {
  schedule: CronSchedule;
  durationMs: number;
}

export interface WindowGate {
  kind: 'allow' | 'deny';
  windows: Window[];
  /** Schedules that do not parse (never open: with allow and nothing else, nothing refreshes), for the Ready message. */
  ignored: string[];
}

export type WindowVerdict =
  { allowed: true } | { allowed: false; /** epoch ms; none: never */ retryAt?: number };

const SECOND = 1000;

/** The gate of a spec, undefined without windows; throws Error on a bad duration. */
export function windowGate(sw: SyncWindows | undefined): WindowGate | undefined {
  const list = sw?.windows ?? [];
  if (list.length === 0) return undefined;
  const gate: WindowGate = { kind: sw?.kind === 'deny' ? 'deny' : 'allow', windows: [], ignored: [] };
  for (const [i, w] of list.entries()) {
    let durationMs: number;
    try {
      durationMs = parseGoDuration(w.duration ?? '');
    } catch (e) {
      throw new Error(`syncWindows.windows[${i}].duration: ${e instanceof Error ? e.message : String(e)}`);
    }
    try {
      gate.windows.push({ schedule: parseCron(w.schedule ?? ''), durationMs });
    } catch (e) {
      if (!(e instanceof CronError)) throw e;
      gate.ignored.push(`syncWindows.windows[${i}].schedule is ignored (${e.message})`);
    }
  }
  // ESO: an unknown kind (the enum prevents it) blocks nothing.
  return sw?.kind === 'allow' || sw?.kind === 'deny' ? gate : undefined;
}

/** The opening of `w` that `at` falls in, if any (ESO's isWithinSyncWindow). */
function openedAt(w: Window, at: number): number | undefined {
  // The oldest window that may still be open started at or after at - duration: later ones too,
  // so the first fire from there is the one to look at (a second earlier finds one just closed).
  const prev = w.schedule.next(at - w.durationMs - 1);
  return prev !== undefined && prev <= at && at <= prev + w.durationMs ? prev : undefined;
}

/**
 * Whether a due refresh may run at `now`, and if not, when to ask again: `key` (namespace/name)
 * and `jitterMs` (the key's refresh jitter bound) spread a held fleet over a few minutes.
 */
export function windowVerdict(gate: WindowGate, now: number, key: string, jitterMs: number): WindowVerdict {
  const open = gate.windows.flatMap((w) => {
    const at = openedAt(w, now);
    return at === undefined ? [] : [{ w, at }];
  });
  if (gate.kind === 'deny') {
    if (open.length === 0) return { allowed: true };
    const closes = Math.max(...open.map((o) => o.at + o.w.durationMs)) + 1;
    return { allowed: false, retryAt: closes + offset(key, Math.min(jitterMs, MAX_REFRESH_JITTER_MS)) };
  }
  if (open.length > 0) return { allowed: true };
  let retryAt: number | undefined;
  for (const w of gate.windows) {
    const opens = w.schedule.next(now);
    if (opens === undefined || w.durationMs < 0) continue;
    // Stay inside the window: at most a tenth of it.
    const at = opens + offset(key, Math.min(jitterMs, w.durationMs / 10));
    retryAt = retryAt === undefined ? at : Math.min(retryAt, at);
  }
  return { allowed: false, retryAt: retryAt === undefined ? undefined : Math.max(retryAt, now + SECOND) };
}

function offset(key: string, boundMs: number): number {
  return boundMs > 0 ? Math.floor(hashUnit(key) * boundMs) : 0;
}
