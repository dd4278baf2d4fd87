// The rollout controller's memory between a Secret change and the restart it causes: for each
// workload, the Secrets that changed since its last restart (their new hash, why, and which
// ExternalSecrets wrote them), and each namespace's restart budget.
//
// It lives only in memory and is fed only by the ExternalSecret executor when a write changed
// a Secret's data. An operator restart, a relist or a refresh that writes nothing therefore
// cannot restart anything: there is nothing here after a start.

import type { KubeObject } from '../../api/types.js';
import { TokenBucket } from '../../kube/ratelimit.js';
import type { RestartReason } from './match.js';
import type { WorkloadKind } from './workloads.js';

/** One changed Secret of a workload, waiting for the restart. */
export interface PendingSecret {
  /** The pod-template annotation's new value (secretHashValue). */
  value: string;
  /** When it last changed (epoch ms). */
  at: number;
  reasons: Set<RestartReason>;
  /** The ExternalSecrets that wrote it, by namespace/name: they hear of the restart. */
  sources: Map<string, KubeObject>;
}

export type Pending = ReadonlyMap<string, PendingSecret>;

/** Each workload's changed Secrets (workload key: `Kind/namespace/name`). */
export class PendingRestarts {
  private readonly byWorkload = new Map<string, Map<string, PendingSecret>>();

  add(
    kind: WorkloadKind,
    key: string,
    change: { secret: string; value: string; reason: RestartReason; source: KubeObject; at: number },
  ): void {
    const id = `${kind}/${key}`;
    let secrets = this.byWorkload.get(id);
    if (!secrets) this.byWorkload.set(id, (secrets = new Map()));
    let p = secrets.get(change.secret);
    if (!p)
      secrets.set(
        change.secret,
        (p = { value: change.value, at: change.at, reasons: new Set(), sources: new Map() }),
      );
    p.value = change.value;
    p.at = change.at;
    p.reasons.add(change.reason);
    const m = change.source.metadata;
    p.sources.set(`${m.namespace ?? ''}/${m.name ?? ''}`, change.source);
  }

  get(kind: WorkloadKind, key: string): Pending | undefined {
    return this.byWorkload.get(`${kind}/${key}`);
  }

  /**
   * The template now carries `written` (annotation values by Secret): those entries are done.
   * A Secret that changed again meanwhile has another value and stays.
   */
  settle(kind: WorkloadKind, key: string, written: Readonly<Record<string, string>>): void {
    const id = `${kind}/${key}`;
    const secrets = this.byWorkload.get(id);
    if (!secrets) return;
    for (const [secret, value] of Object.entries(written))
      if (secrets.get(secret)?.value === value) secrets.delete(secret);
    if (secrets.size === 0) this.byWorkload.delete(id);
  }

  drop(kind: WorkloadKind, key: string): void {
    this.byWorkload.delete(`${kind}/${key}`);
  }

  get size(): number {
    return this.byWorkload.size;
  }
}

/**
 * When a workload's restart is due: `debounceMs` after its last change, and never later than
 * `maxWaitMs` after its first (a Secret that keeps changing still restarts it).
 */
export function dueAt(pending: Pending, debounceMs: number, maxWaitMs: number): number {
  let first = Infinity;
  let last = -Infinity;
  for (const p of pending.values()) {
    first = Math.min(first, p.at);
    last = Math.max(last, p.at);
  }
  return Math.min(first + maxWaitMs, last + debounceMs);
}

/** Idle budgets (full again) are dropped once there are this many. */
const SWEEP_AT = 1000;

/** A token bucket per namespace: `perMinute` restarts a minute, as many at once. */
export class NamespaceBudget {
  private readonly buckets = new Map<string, TokenBucket>();

  /** perMinute 0: no limit. */
  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** 0: a restart may go now (and is counted); else the ms until one may. */
  take(namespace: string): number {
    if (!(this.perMinute > 0)) return 0;
    let b = this.buckets.get(namespace);
    if (!b) {
      if (this.buckets.size >= SWEEP_AT) this.sweep();
      this.buckets.set(namespace, (b = new TokenBucket(this.perMinute / 60, this.perMinute, this.now)));
    }
    return b.tryTake();
  }

  private sweep(): void {
    for (const [ns, b] of this.buckets) if (b.idle) this.buckets.delete(ns);
  }
}
