// Whether an ExternalSecret syncs now, and how it retries when it fails. Pure functions of the
// object, its target and the clock.

import { createHash } from 'node:crypto';
import type { ExternalSecret, KubeObject, RefreshPolicy } from '../../api/types.js';
import { getCondition } from '../../runtime/conditions.js';
import type { QueueReason } from '../../runtime/queue.js';
import { jitteredBackoff } from '../../runtime/time/backoff.js';
import { withoutShardKeys } from '../../kube/shards.js';
import { Reason } from '../reasons.js';

/** Why a sync fetches from the provider now. */
export type SyncCause =
  | 'never-synced'
  | 'target-missing'
  | 'target-drifted'
  | 'spec-changed'
  | 'store-changed'
  | 'retry'
  | 'refresh-due'
  /** Generated values must be re-issued (their lease cannot carry them further). */
  | 'lease-rotation';

/** Why nothing is fetched. */
export type SkipCause = 'created-once' | 'no-periodic-refresh' | 'up-to-date' | 'sync-window';

export type SyncDecision =
  | { sync: true; why: SyncCause; /** Prose for events and logs (lease rotations). */ detail?: string }
  | {
      sync: false;
      why: SkipCause;
      /** sync-window: when the windows may allow it (epoch ms). */ retryAt?: number;
    };

/** spec.syncWindows' verdict at an instant (./windows.ts). */
export type WindowCheck = (now: number) => { allowed: true } | { allowed: false; retryAt?: number };

const CAUSE_TEXT: Record<SyncCause | SkipCause, string> = {
  'never-synced': 'never synced',
  'target-missing': 'target Secret missing',
  'target-drifted': 'target Secret changed outside Syncret',
  'spec-changed': 'spec, labels or annotations changed',
  'store-changed': 'store changed',
  retry: 'retrying after failure',
  'refresh-due': 'refresh due',
  'lease-rotation': 'lease rotation',
  'created-once': 'refreshPolicy CreatedOnce',
  'no-periodic-refresh': 'no periodic refresh',
  'up-to-date': 'up to date',
  'sync-window': 'held by spec.syncWindows',
};

/** The decision in words, for events and logs. */
export function describeDecision(d: SyncDecision): string {
  return (d.sync && d.detail) || CAUSE_TEXT[d.why];
}

/**
 * ESO's syncedResourceVersion: generation plus a hash of labels and annotations, less the
 * sharding keys (a handover to another replica is no reason to sync again).
 */
export function syncedResourceVersion(es: Pick<KubeObject, 'metadata'>): string {
  const h = createHash('sha256');
  h.update(JSON.stringify(sortedEntries(withoutShardKeys(es.metadata.labels))));
  h.update(JSON.stringify(sortedEntries(withoutShardKeys(es.metadata.annotations))));
  return `${es.metadata.generation ?? 0}-${h.digest('hex').slice(0, 32)}`;
}

function sortedEntries(m: Record<string, string> | undefined): [string, string][] {
  return Object.entries(m ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export function decideSync(args: {
  trigger: QueueReason;
  policy: RefreshPolicy;
  intervalMs: number;
  es: ExternalSecret;
  srv: string;
  targetMissing: boolean;
  targetDrifted: boolean;
  now: number;
  /** spec.syncWindows, which hold due periodic refreshes, their retries and store-triggered runs. */
  windows?: WindowCheck;
}): SyncDecision {
  const { es, policy, trigger } = args;
  const periodic = (why: 'retry' | 'refresh-due' | 'store-changed'): SyncDecision => {
    if (policy !== 'Periodic' || !args.windows) return { sync: true, why };
    const v = args.windows(args.now);
    return v.allowed ? { sync: true, why } : { sync: false, why: 'sync-window', retryAt: v.retryAt };
  };
  const st = es.status ?? {};
  const everSynced = !!st.syncedResourceVersion && !!st.refreshTime;
  if (!everSynced) return { sync: true, why: 'never-synced' };
  const ready = getCondition(st.conditions, 'Ready');
  // A Secret removed by deletionPolicy Delete is meant to be missing.
  if (args.targetMissing && ready?.reason !== Reason.SecretDeleted)
    return { sync: true, why: 'target-missing' };
  if (args.targetDrifted) return { sync: true, why: 'target-drifted' };
  if (policy === 'CreatedOnce') return { sync: false, why: 'created-once' };
  if (st.syncedResourceVersion !== args.srv) return { sync: true, why: 'spec-changed' };
  // ESO never syncs on a store event; here one does, but a deny window holds it like a refresh.
  if (trigger === 'store') return periodic('store-changed');
  if (ready?.status !== 'True') return periodic('retry');
  if (policy === 'OnChange' || args.intervalMs === 0) return { sync: false, why: 'no-periodic-refresh' };
  const last = Date.parse(st.refreshTime ?? '');
  if (!Number.isFinite(last) || last + args.intervalMs <= args.now) return periodic('refresh-due');
  return { sync: false, why: 'up-to-date' };
}

/** Refreshes may reuse a provider answer up to this old (and never older than their interval). */
export const SHARED_READ_REFRESH_MS = 5 * 60 * 1000;
/** A first sync may reuse one this fresh: a burst of new objects on one key costs one call. */
export const SHARED_READ_FIRST_MS = 10 * 1000;

/**
 * How old a provider answer shared with other ExternalSecrets may be for this sync. A changed
 * spec or annotation (force-sync) asks for the backend's value now; periodic refreshes accept
 * one no older than their own interval, so no object ever sees data older than it asked for.
 */
export function sharedReadAge(why: SyncCause, intervalMs: number): number {
  if (why === 'spec-changed' || intervalMs <= 0) return 0;
  return Math.min(intervalMs, why === 'never-synced' ? SHARED_READ_FIRST_MS : SHARED_READ_REFRESH_MS);
}

/** First retry of a failed sync; doubles per failure up to the operator's maximum. */
export const ERROR_RETRY_BASE_MS = 5000;

/** How far above the operator's floor a retry that the floor raised may land. */
const FLOOR_SPREAD = 0.2;

/**
 * Delay before retrying a failed sync: the one jittered backoff (never above its maximum),
 * never sooner than the refresh interval allows, and never sooner than the operator's floor
 * (--min-refresh-interval). A retry the floor raised lands in [floor, 1.2 · floor), so objects
 * failing together (a backend outage) do not all come back in the same instant.
 */
export function errorDelayMs(
  failures: number,
  intervalMs: number,
  maxMs: number,
  random: () => number,
  floorMs = 0,
): number {
  let delay = jitteredBackoff({ baseMs: ERROR_RETRY_BASE_MS, maxMs, random }).delay(failures + 1);
  if (delay < floorMs) delay = Math.round(floorMs * (1 + FLOOR_SPREAD * Math.min(Math.max(random(), 0), 1)));
  // Users pay per provider call: a failing ExternalSecret is not retried more often than
  // its refresh interval (unless its spec or annotations change, which enqueues it anew).
  return intervalMs > 0 ? Math.max(delay, intervalMs) : delay;
}
