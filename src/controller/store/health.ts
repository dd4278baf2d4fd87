// Store health as the reads through a store see it. A store is validated every few minutes,
// but its ExternalSecrets read through it all the time: the first read that fails in a way
// that concerns the whole store (the backend is unavailable, the store's credentials are
// rejected) marks it failing at once, and the first read that succeeds again marks it healthy.
//
// Who acts on it: the store controller turns a failing store Ready=False without a provider
// call, then replays the failed read as a probe on a short jittered backoff (one call per
// store, not per ExternalSecret), so recovery is seen even while every ExternalSecret waits
// out a long backoff; the ExternalSecret controller requeues the store's failing users at
// once, spread over a few seconds, when the store recovers.

import type { StoreKind } from '../../api/types.js';
import { ProviderError } from '../../providers/errors.js';
import { jitteredBackoff } from '../../runtime/time/backoff.js';
import type { Backoff } from '../../runtime/time/backoff.js';

/** A store as the reverse indexes name it: `ss/<namespace>/<name>` or `css/<name>`. */
export function storeRefKey(kind: StoreKind, namespace: string, name: string): string {
  return kind === 'ClusterSecretStore' ? `css/${name}` : `ss/${namespace}/${name}`;
}

/** The work queue key of the store controller of `kind` for a storeRefKey, if it is of that kind. */
export function storeQueueKey(ref: string, kind: StoreKind): string | undefined {
  if (kind === 'ClusterSecretStore') return ref.startsWith('css/') ? ref.slice(4) : undefined;
  return ref.startsWith('ss/') ? ref.slice(3) : undefined;
}

/** Failures that say the store itself is unwell, not one key (NotFound, AccessDenied to a path). */
export function storeWideFailure(e: unknown): e is ProviderError {
  return e instanceof ProviderError && (e.reason === 'Unavailable' || e.reason === 'AuthFailed');
}

function backendAnswered(e: unknown): boolean {
  return e instanceof ProviderError && e.reason !== 'InvalidProviderConfig' && e.reason !== 'Unsupported';
}

export interface FailingStore {
  /** The last failure's message (ProviderError messages name no values). */
  message: string;
  since: number;
  /** Probes that failed since. */
  probes: number;
  /** When the store controller probes next (epoch ms). */
  probeAt: number;
  /** Replays the failed read through the shared client (reconnecting if need be). */
  probe: () => Promise<unknown>;
}

/** First probe after a failure, doubling to the maximum: recovery shows within this bound. */
export const PROBE_BASE_MS = 2_000;
export const PROBE_MAX_MS = 15_000;

export class StoreHealth {
  private readonly failing = new Map<string, FailingStore>();
  private readonly failedListeners: ((ref: string) => void)[] = [];
  private readonly recoveredListeners: ((ref: string) => void)[] = [];
  private readonly backoff: Backoff;
  private readonly now: () => number;

  constructor(o: { now?: () => number; random?: () => number } = {}) {
    this.now = o.now ?? Date.now;
    this.backoff = jitteredBackoff({ baseMs: PROBE_BASE_MS, maxMs: PROBE_MAX_MS, random: o.random });
  }

  /** A store turned failing (called once per transition). */
  onFailed(f: (ref: string) => void): void {
    this.failedListeners.push(f);
  }

  /** A failing store served a read again (called once per transition). */
  onRecovered(f: (ref: string) => void): void {
    this.recoveredListeners.push(f);
  }

  /**
   * A read through `ref` failed: a store-wide failure marks it failing; any other answer of
   * the backend (not found, denied for this key, throttled) shows that the store works.
   */
  readFailed(ref: string, e: unknown, probe: () => Promise<unknown>): void {
    if (!storeWideFailure(e)) {
      if (backendAnswered(e)) this.readSucceeded(ref);
      return;
    }
    const had = this.failing.get(ref);
    if (had) {
      had.message = e.message;
      had.probe = probe;
      return;
    }
    const now = this.now();
    this.failing.set(ref, {
      message: e.message,
      since: now,
      probes: 0,
      probeAt: now + this.backoff.delay(1),
      probe,
    });
    for (const f of this.failedListeners) f(ref);
  }

  /** A read through `ref` succeeded. */
  readSucceeded(ref: string): void {
    if (this.failing.size === 0 || !this.failing.delete(ref)) return;
    for (const f of this.recoveredListeners) f(ref);
  }

  /** The failure state of `ref`, or undefined while its reads succeed. */
  get(ref: string): Readonly<FailingStore> | undefined {
    return this.failing.get(ref);
  }

  /**
   * Runs the probe of a failing store: true when it succeeded (the store is healthy again,
   * through readSucceeded), false when it failed and the next one is scheduled.
   */
  async probe(ref: string): Promise<boolean> {
    const f = this.failing.get(ref);
    if (!f) return true;
    try {
      await f.probe();
    } catch {
      // readFailed has taken the new message (when the failure was store-wide).
    }
    const still = this.failing.get(ref);
    if (!still) return true;
    still.probes++;
    still.probeAt = this.now() + this.backoff.delay(still.probes + 1);
    return false;
  }

  /** The store went or changed: its old failures say nothing about the new spec. */
  forget(ref: string): void {
    this.failing.delete(ref);
  }
}
