// A replica's side of sharding (docs/OPERATIONS.md, "Sharding"). Its caches hold only the
// objects labelled with its shard name (the reflectors' label selector); the gate decides which
// of them it may run under the assignment it accepted last, and drains the ones that move away.
//
// An object runs here when the accepted ring gives its namespace to this replica, or when its
// label was written under a newer epoch than the accepted one (the assigner is ahead: the old
// owner drained already, and the label is the authority). An object whose namespace the
// accepted ring gives to another replica is leaving: it is not run, and accept() resolves once
// no run of it is in flight, so the replica can tell the assigner it drained that epoch. Only
// then does the assigner relabel it; the new owner sees it appear in its own watch.
//
// The managed Secrets carry no shard label (a move would then rewrite each one) but their
// namespace's bucket (BUCKET_LABEL, fixed): the Secret watch selects this replica's buckets
// (secretSelector), so the apiserver sends it only its share, and the cache lists again on each
// accepted ring. Its transform (keepsSecretsOf) also drops what the previous selector still
// delivers until then. Until that list is in, an object of a namespace it gains does not run:
// its reconcile would take the missing Secret as absent and write it again. Objects of other
// kinds that ExternalSecrets write (target.manifest) carry the bucket too and are watched the
// same way, but a reconcile reads one its cache lacks with a GET, so nothing waits for them.

import type { KubeObject } from '../../api/types.js';
import {
  BUCKET_LABEL,
  Ring,
  SHARD_EPOCH_ANNOTATION,
  SHARD_LABEL,
  bucketOf,
  parseEpoch,
} from '../../kube/shards.js';
import type { ObjectCache } from '../../runtime/cache.js';
import type { WorkQueue } from '../../runtime/queue.js';
import { sleep } from '../../runtime/time/sleep.js';
import { storeKey } from '../../runtime/watch.js';

/** The managed-Secret cache, as far as the gate drives it. */
export interface SecretScope {
  relist(): Promise<void>;
}

interface View {
  cache: ObjectCache<KubeObject>;
  queue: WorkQueue<string>;
  /** Keys a run skipped: they run once an accepted ring admits them. */
  skipped: Set<string>;
}

/** How often accept() looks whether the leaving objects' runs finished. */
const DRAIN_POLL_MS = 25;

export class ShardGate {
  private ring = new Ring(0, []);
  /** The ring the managed-Secret cache last listed under: every Secret of its share is there. */
  private covered = new Ring(0, []);
  private secrets?: SecretScope;
  /** Caches of target.manifest kinds: relisted with each ring, never awaited (see alsoRelist). */
  private readonly others: SecretScope[] = [];
  private readonly views = new Map<string, View>();

  constructor(readonly shard: string) {}

  /** The reflectors' label selector: only this replica's objects are listed and watched. */
  get selector(): string {
    return `${SHARD_LABEL}=${this.shard}`;
  }

  get epoch(): number {
    return this.ring.epoch;
  }

  /** A controller whose objects are sharded (its cache holds only this replica's objects). */
  track<T extends KubeObject>(name: string, cache: ObjectCache<T>, queue: WorkQueue<string>): void {
    this.views.set(name, { cache: cache as unknown as ObjectCache<KubeObject>, queue, skipped: new Set() });
  }

  /**
   * Registers the managed-Secret cache before it starts (its first list then covers the ring
   * accepted by then); from now on its transform keeps only keepsSecretsOf's namespaces.
   */
  coverSecrets(cache: SecretScope): void {
    this.secrets = cache;
    this.covered = this.ring;
  }

  /**
   * A cache of managed objects of another kind (target.manifest), selected and kept as the
   * Secrets are, but relisted without holding runs back: a reconcile reads what it does not
   * find there with a GET, so a gained namespace's objects are right before the list is in.
   */
  alsoRelist(cache: SecretScope): void {
    this.others.push(cache);
  }

  /**
   * The managed-Secret watch's selector under the ring accepted last: this replica's buckets
   * (none before its first ring: a value no bucket has, as `in ()` is not a valid selector).
   */
  secretSelector(): string {
    const mine = this.ring.bucketsOf(this.shard);
    return mine.length > 0 ? `${BUCKET_LABEL} in (${mine.join(',')})` : `${BUCKET_LABEL}=none`;
  }

  /** What every managed object of `namespace` carries, so that secretSelector finds it. */
  targetLabels(namespace: string): Record<string, string> {
    return { [BUCKET_LABEL]: bucketOf(namespace) };
  }

  /** Whether the managed objects of `namespace` belong in this replica's caches. */
  keepsSecretsOf(namespace: string): boolean {
    return this.ring.ownerOf(namespace) === this.shard;
  }

  private covers(obj: KubeObject): boolean {
    return !this.secrets || this.covered.ownerOf(obj.metadata.namespace ?? '') === this.shard;
  }

  private owns(obj: KubeObject): boolean {
    if (this.ring.ownerOf(obj.metadata.namespace ?? '') === this.shard) return true;
    return parseEpoch(obj.metadata.annotations?.[SHARD_EPOCH_ANNOTATION]) > this.ring.epoch;
  }

  /** Whether a run of `obj` may go ahead now (the Controller's admit). */
  admit(name: string, obj: KubeObject): boolean {
    if (this.owns(obj) && this.covers(obj)) return true;
    this.views.get(name)?.skipped.add(storeKey(obj));
    return false;
  }

  /**
   * Takes a newer assignment: objects it gives to this replica run (once the managed-Secret
   * cache listed its new share), objects it moves away stop; resolves when that list is in and
   * none of the leaving objects has a run in flight (then the replica acks the epoch, and the
   * assigner may relabel what it gains).
   */
  async accept(epoch: number, members: readonly string[], signal: AbortSignal): Promise<void> {
    if (epoch <= this.ring.epoch) return;
    const ring = new Ring(epoch, members);
    this.ring = ring;
    const relisted = this.secrets?.relist().then(() => {
      this.covered = ring;
      this.readmit();
    });
    // A failed list retries inside the reflector; nothing here waits for it.
    for (const c of this.others) c.relist().catch(() => undefined);
    const leaving: [WorkQueue<string>, string][] = [];
    for (const v of this.views.values()) {
      for (const key of v.skipped) if (!v.cache.get(key)) v.skipped.delete(key);
      for (const key of v.cache.keys()) {
        const obj = v.cache.get(key);
        if (!obj) continue;
        if (this.owns(obj)) continue;
        // Waiting and scheduled runs go; a running one finishes and is not rescheduled.
        v.queue.forget(key);
        v.skipped.add(key);
        leaving.push([v.queue, key]);
      }
    }
    // Skipped ones the new ring gives back, where their Secrets are listed already.
    this.readmit();
    while (!signal.aborted && leaving.some(([q, k]) => q.isRunning(k))) await sleep(DRAIN_POLL_MS, signal);
    if (relisted) await untilAborted(relisted, signal);
  }

  /** Skipped objects that may run now. */
  private readmit(): void {
    for (const v of this.views.values())
      for (const key of v.skipped) {
        const obj = v.cache.get(key);
        if (!obj) v.skipped.delete(key);
        else if (this.owns(obj) && this.covers(obj)) {
          v.skipped.delete(key);
          v.queue.add(key, { reason: 'relist' });
        }
      }
  }
}

/** `p`, or sooner if `signal` aborts (the replica is stopping: no ack follows). */
function untilAborted(p: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    p.then(done, done);
  });
}
