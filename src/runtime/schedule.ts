// When an object with a refresh interval refreshes next. Pure functions. (Whether an event must
// sync an ExternalSecret now is decideSync's, in controller/externalsecret/decide.ts.)
//
// Semantics follow ESO:
// - Periodic (default): every refreshInterval after the last sync; refreshInterval 0 means never
//   after the first sync.
// - CreatedOnce: sync once; afterwards only a missing target Secret brings it back (the reconciler
//   checks that on every event; nothing here schedules it).
// - OnChange: only when the spec or the labels/annotations change.
// - For every policy and every interval (0 included), a spec or annotation change syncs at once.
//
// Jitter: thousands of ExternalSecrets created together (a GitOps sync, an operator install) with the
// same interval would otherwise refresh in the same second, forever. Each key gets a stable offset
// in [0, W), W = min(10 % of the interval, 5 min), derived from a hash of the key, and the refresh is
// due at last + interval + offset. Why later and not earlier: a refresh that came due before
// last + interval would be judged "up to date" by the reconciler and rescheduled for the same instant
// (a hot loop); later keeps every due refresh a real one. The bound keeps ESO's promise close: never
// more than 1.1 × interval (and never more than interval + 5 min) after the last refresh. Why stable
// per key: a random offset would re-draw on every operator restart and move refreshes around; a
// hashed one is reproducible, so logs and tests can predict it. Why anchored on status.refreshTime:
// after a restart an object refreshed 10 min ago with a 1 h interval is due in ~50 min, not now,
// so a restart does not refresh (and pay for) every object at once.

import type { RefreshPolicy } from '../api/types.js';
import { hash32 } from './time/hash.js';

/** --min-refresh-interval's default. */
export const DEFAULT_MIN_REFRESH_INTERVAL_MS = 10_000;

/**
 * The operator's floor on intervals (--min-refresh-interval, default 10 s): an interval above 0
 * but below the floor is raised to it; 0 keeps meaning "no periodic refresh" (ESO's semantics:
 * requeue only when refreshInterval > 0). Every kind with a refresh interval (ExternalSecret,
 * SecretStore, ClusterExternalSecret's refreshTime) takes its effective interval from here.
 */
export function flooredInterval(intervalMs: number, floorMs: number): number {
  if (!(intervalMs > 0) || !Number.isFinite(intervalMs)) return intervalMs;
  return floorMs > 0 && intervalMs < floorMs ? floorMs : intervalMs;
}

/** Whether the floor raised this interval (so the object's status can say so). */
export function isFloored(intervalMs: number, floorMs: number): boolean {
  return flooredInterval(intervalMs, floorMs) !== intervalMs;
}

/** Jitter window as a fraction of the refresh interval. */
export const REFRESH_JITTER_FRACTION = 0.1;
/** Largest jitter window: a 24 h interval should not slip by 2.4 h. */
export const MAX_REFRESH_JITTER_MS = 5 * 60_000;

export interface NextRefreshInput {
  /** Parsed spec.refreshInterval in ms; 0 (or less, or not finite) = no periodic refresh. */
  refreshIntervalMs: number;
  /** spec.refreshPolicy; default Periodic. */
  refreshPolicy?: RefreshPolicy;
  /** status.refreshTime in epoch ms; undefined (or NaN) when the object never synced. */
  lastRefreshTime?: number;
  /** Current time in epoch ms. */
  now: number;
  /** Stable identity (namespace/name) that seeds the jitter offset. */
  key: string;
}

export type NextRefresh = { dueAtMs: number } | { never: true };

/**
 * The next time `key` should sync: `{ dueAtMs }` (≥ now; equal to now when it is due or overdue)
 * or `{ never: true }` when only an event (spec/annotation change, missing Secret) can sync it.
 */
export function nextRefresh(input: NextRefreshInput): NextRefresh {
  const { now } = input;
  const last = input.lastRefreshTime;
  const policy = input.refreshPolicy ?? 'Periodic';
  // Never synced: every policy syncs once, right away.
  if (last === undefined || !Number.isFinite(last)) return { dueAtMs: now };
  if (policy !== 'Periodic') return { never: true };
  const interval = input.refreshIntervalMs;
  if (!(interval > 0) || !Number.isFinite(interval)) return { never: true };
  // A refreshTime in the future (clock skew between replicas) must not push the refresh past
  // interval + offset from now.
  const anchor = Math.min(last, now);
  const due = anchor + interval + refreshJitterMs(input.key, interval);
  return { dueAtMs: Math.max(due, now) };
}

/** The width of the jitter window of an interval: min(10 % · interval, 5 min). */
export function jitterWindowMs(intervalMs: number): number {
  return Math.min(intervalMs * REFRESH_JITTER_FRACTION, MAX_REFRESH_JITTER_MS);
}

/** The stable per-key offset in [0, jitterWindowMs(interval)) added to each refresh. */
export function refreshJitterMs(key: string, intervalMs: number): number {
  if (!(intervalMs > 0) || !Number.isFinite(intervalMs)) return 0;
  return Math.floor(hashUnit(key) * jitterWindowMs(intervalMs));
}

/** A hash of `s` mapped to [0, 1) (time/hash.ts), so similar names spread evenly. */
export function hashUnit(s: string): number {
  return hash32(s) / 2 ** 32;
}
