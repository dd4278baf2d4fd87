// What a rollout reconcile may read: the workload's pending Secret changes, the clock, the
// debounce settings and its namespace's restart budget. Nothing else; no request is made.

import type { Pending, PendingRestarts, NamespaceBudget } from './state.js';
import type { WorkloadKind } from './workloads.js';

export interface RolloutWorld {
  now(): number;
  /** The Secrets of this workload that changed since its last restart. */
  pending: Pending | undefined;
  /** 0: the namespace may restart one more workload now (that one is counted); else ms to wait. */
  takeRestart(namespace: string): number;
  /** Quiet time after a workload's last change before it restarts (a burst becomes one restart). */
  debounceMs: number;
  /** Longest a restart waits after the first change of a burst. */
  maxWaitMs: number;
}

export interface RolloutWorldDeps {
  pending: PendingRestarts;
  budget: NamespaceBudget;
  debounceMs: number;
  maxWaitMs: number;
  now?: () => number;
}

export function rolloutWorld(deps: RolloutWorldDeps, kind: WorkloadKind, key: string): RolloutWorld {
  return {
    now: deps.now ?? Date.now,
    pending: deps.pending.get(kind, key),
    takeRestart: (ns) => deps.budget.take(ns),
    debounceMs: deps.debounceMs,
    maxWaitMs: deps.maxWaitMs,
  };
}
