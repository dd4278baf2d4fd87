// What an ExternalSecret reconcile returns (EsOutcome), the plan it works from, and the
// helpers both target paths (a Secret in ./reconcile.ts, another kind in ./generic.ts) share:
// the Ready condition, error outcomes with their backoff, and the next run.

import type {
  Condition,
  CreationPolicy,
  ExternalSecret,
  ExternalSecretStatus,
  GeneratorLease,
  RefreshPolicy,
} from '../../api/types.js';
import type { EventSpec } from '../../observability/events.js';
import type { StoreInfo } from '../../providers/types.js';
import { getCondition, setCondition } from '../../runtime/conditions.js';
import { rfc3339 } from '../../runtime/time/rfc3339.js';
import { jitterWindowMs, nextRefresh } from '../../runtime/schedule.js';
import { Reason, externalSecretReady } from '../reasons.js';
import { errorDelayMs } from './decide.js';
import type { SyncDecision, WindowCheck } from './decide.js';
import type { EsWorld } from './world.js';
import { windowVerdict } from './windows.js';
import type { WindowGate } from './windows.js';
import type { SecretWrite } from './target.js';
import type { GenericWrite } from './manifest.js';

export interface EsOutcome {
  /** The object is not ours (controller class) or is being deleted: do nothing at all. */
  ignore?: boolean;
  write?: SecretWrite;
  /** target.manifest of another kind: the write of that object instead of a Secret. */
  genericWrite?: GenericWrite;
  /** The full status to have; the executor writes it only if it differs. */
  status?: ExternalSecretStatus;
  events: EventSpec[];
  requeueAfterMs?: number;
  /** The sync failed: count it for backoff and metrics. */
  failed?: boolean;
  /** Whether a provider fetch happened (for metrics: sync vs skipped). */
  synced: boolean;
  /** The store's provider name, for metrics labels. */
  provider?: string;
  storeKind?: string;
  /**
   * Generator leases to revoke after the outcome is executed: the replaced ones after a
   * rotation, or the ones just issued when the sync failed (their values were never written).
   */
  revokeLeases?: GeneratorLease[];
}

export const IGNORE: EsOutcome = { ignore: true, events: [], synced: false };

/** What the spec asks for, resolved once per reconcile. */
export interface Plan {
  es: ExternalSecret;
  ns: string;
  /** Generators are used and available. */
  generated: boolean;
  store?: StoreInfo;
  storeKind?: string;
  /** The effective refresh interval: spec.refreshInterval, raised to the operator's floor. */
  intervalMs: number;
  /** Set when the floor raised the interval: what the Ready message adds. */
  floorNote?: string;
  policy: RefreshPolicy;
  targetName: string;
  creation: CreationPolicy;
  /** The target may be created blind (see planSync). */
  assumeAbsent: boolean;
  srv: string;
  oldLeases: GeneratorLease[];
  /** status.refreshTime in epoch ms. */
  lastRefresh?: number;
  /** spec.syncWindows. */
  windows?: WindowGate;
}

export const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** A spec the operator cannot act on: reported, not retried (a spec change runs it again). */
export function invalidSpec(es: ExternalSecret, world: EsWorld, message: string): EsOutcome {
  return errorOutcome(es, world, Reason.InvalidSpec, message, { intervalMs: 0, synced: false, retry: false });
}

export function windowCheck(p: Plan): WindowCheck | undefined {
  const gate = p.windows;
  if (!gate) return undefined;
  const key = `${p.ns}/${p.es.metadata.name}`;
  return (now) => windowVerdict(gate, now, key, jitterWindowMs(p.intervalMs));
}

/** When to run again after a run that did not sync: the next refresh, or when a window may allow it. */
export function nextRun(
  p: Plan,
  decision: SyncDecision,
  world: EsWorld,
  lastRefreshTime: number | undefined,
): number | undefined {
  if (decision.sync || decision.why !== 'sync-window') return schedule(p, world, lastRefreshTime);
  return decision.retryAt === undefined ? undefined : Math.max(0, decision.retryAt - world.now());
}

/** Delay until the next periodic refresh counted from `lastRefreshTime`, if there is one. */
export function schedule(p: Plan, world: EsWorld, lastRefreshTime: number | undefined): number | undefined {
  if (p.policy !== 'Periodic') return undefined;
  const next = nextRefresh({
    refreshIntervalMs: p.intervalMs,
    refreshPolicy: p.policy,
    lastRefreshTime,
    now: world.now(),
    key: `${p.ns}/${p.es.metadata.name}`,
  });
  return 'dueAtMs' in next ? Math.max(0, next.dueAtMs - world.now()) : undefined;
}

// ---- status ----

export function withReady(
  es: ExternalSecret,
  cond: Pick<Condition, 'status' | 'reason' | 'message'>,
  now: string,
  extra: Partial<ExternalSecretStatus> = {},
  /** A target.manifest of another kind: ESO's Resource* reasons. */
  generic = false,
): ExternalSecretStatus {
  const prev = es.status ?? {};
  return {
    ...prev,
    ...extra,
    observedGeneration: es.metadata.generation,
    conditions: setCondition(
      prev.conditions,
      { type: 'Ready', ...externalSecretReady(cond, generic), observedGeneration: es.metadata.generation },
      now,
    ),
  };
}

export function errorOutcome(
  es: ExternalSecret,
  world: EsWorld,
  reason: string,
  message: string,
  opts: {
    intervalMs: number;
    synced: boolean;
    provider?: string;
    storeKind?: string;
    retry?: boolean;
    /** Retry no later than this (ms from now): a lease must be handled before it expires. */
    latestMs?: number;
    /** A backend's Retry-After (throttling): never retry sooner. */
    retryAfterMs?: number;
    generic?: boolean;
  },
): EsOutcome {
  const status = withReady(es, { status: 'False', reason, message }, rfc3339(world.now()), {}, opts.generic);
  const prev = getCondition(es.status?.conditions, 'Ready');
  // Compared as stored: ESO's reason, the cause in the message, bounded and escaped by setCondition.
  const stored = getCondition(status.conditions, 'Ready');
  const changed =
    prev?.status !== 'False' || prev.reason !== stored?.reason || prev.message !== stored?.message;
  let requeueAfterMs: number | undefined;
  if (opts.retry !== false) {
    const backoff = errorDelayMs(
      world.failures,
      opts.intervalMs,
      world.maxErrorBackoffMs,
      world.random ?? Math.random,
      world.minRefreshIntervalMs ?? 0,
    );
    // Never a busy loop, even when the deadline has passed already.
    requeueAfterMs = Math.min(
      Math.max(backoff, opts.retryAfterMs ?? 0),
      Math.max(500, opts.latestMs ?? Infinity),
    );
  }
  return {
    status,
    events: changed ? [{ type: 'Warning', reason: 'UpdateFailed', message }] : [],
    failed: true,
    synced: opts.synced,
    provider: opts.provider,
    storeKind: opts.storeKind,
    requeueAfterMs,
  };
}

export const minDelay = (...ms: (number | undefined)[]): number | undefined => {
  const v = ms.filter((x): x is number => x !== undefined && Number.isFinite(x));
  return v.length > 0 ? Math.max(0, Math.min(...v)) : undefined;
};
