// The generic controller: one kind, the watches that say which of its objects a change
// affects, and a run per key that reconciles (object + world → outcome, no writes) and then
// executes the outcome. The shape of kube-rs's Controller (reconcile → Action, error_policy,
// the finalizer helper) and controller-runtime's reconcileHandler, with Syncret's own parts
// kept: outcomes are values, the work queue has HIGH and LOW lanes, and our own writes are
// visible before the watch delivers them (ObjectCache).
//
// A new kind is a reconcile function, its world, an executor and a few lines of wiring:
//   new Controller({ name, cache, changed, reconcile, execute, ... }).watch({ cache: other, ... })

import type { KubeObject } from '../api/types.js';
import { isKubeApiError } from '../kube/types.js';
import type { KubeLogger } from '../kube/types.js';
import type { ObjectCache } from './cache.js';
import { hasFinalizer } from './finalizer.js';
import type { FinalizerSpec, Finalizers } from './finalizer.js';
import { WorkQueue } from './queue.js';
import type { HandlerInfo, QueueReason, QueueResult, WorkQueueOptions } from './queue.js';
import { storeKey } from './watch.js';

/** What one run of a key needs besides the object: why it runs, how often it failed, when to stop. */
export interface RunContext {
  key: string;
  reason: QueueReason;
  /** Failures in a row of this key before this run. */
  failures: number;
  /** Aborted when the operator stops and its drain time runs out. */
  signal: AbortSignal;
  /** The executor asked for this second run (a blind create met an existing object). */
  rerun: boolean;
  /** performance.now() when the run started (durations for metrics). */
  startedAt: number;
}

/** The executor's answer: when to run again, or to reconcile once more right now with what it learnt. */
export type Executed = QueueResult | { rerun: true };

/** Keys of primary objects affected by a change of a watched object. */
export type Keys = string | Iterable<string> | undefined;

/** A secondary watch: another kind whose changes affect objects of this controller's kind. */
export interface Watch<W extends KubeObject> {
  cache: ObjectCache<W>;
  reason: QueueReason;
  /**
   * Keys an object that appears affects. Not called for the initial list nor before the
   * controller starts: every primary object runs then anyway.
   */
  onAdd?(obj: W): Keys;
  onUpdate?(old: W, obj: W): Keys;
  onDelete?(obj: W): Keys;
}

export interface ControllerOptions<T extends KubeObject, O> {
  /** For logs and metrics labels, e.g. 'externalsecret'. */
  name: string;
  cache: ObjectCache<T>;
  logger: KubeLogger;
  queue: Omit<WorkQueueOptions<string>, 'handler' | 'autoStart'>;
  /**
   * Why an update of an object of this kind needs a run (undefined: it needs none). The
   * start of a deletion always does.
   */
  changed(old: T, obj: T): QueueReason | undefined;
  reconcile(obj: T, ctx: RunContext): Promise<O>;
  execute(obj: T, outcome: O, ctx: RunContext): Promise<Executed>;
  finalizer?: { spec: FinalizerSpec<T>; writer: Finalizers<T> };
  /**
   * Unexpected failures (a bug, an API error while reading). Default: logged, and the queue
   * retries with its jittered backoff. Return a result to choose the retry instead.
   */
  errorPolicy?(obj: T, error: unknown, ctx: RunContext): QueueResult | undefined;
  /**
   * Whether this replica may run the object now (sharding: its share of the ring, see
   * src/controller/shard/gate.ts). A run it refuses does nothing and schedules nothing.
   */
  admit?(obj: T): boolean;
}

export class Controller<T extends KubeObject, O> {
  readonly queue: WorkQueue<string>;
  private started = false;

  constructor(private readonly o: ControllerOptions<T, O>) {
    this.queue = new WorkQueue<string>({
      ...o.queue,
      handler: (key, info) => this.run(key, info),
      autoStart: false,
    });
    o.cache.onAdd((obj) => this.queue.add(storeKey(obj), { reason: this.started ? 'create' : 'relist' }));
    o.cache.onUpdate((old, obj) => {
      const reason =
        !old.metadata.deletionTimestamp && obj.metadata.deletionTimestamp ? 'spec' : o.changed(old, obj);
      if (reason) this.queue.add(storeKey(obj), { reason });
    });
    o.cache.onDelete((obj) => this.queue.forget(storeKey(obj)));
  }

  get name(): string {
    return this.o.name;
  }

  /** Adds a secondary watch; its mappers name the keys a change affects. */
  watch<W extends KubeObject>(w: Watch<W>): this {
    const enqueue = (keys: Keys) => {
      if (keys === undefined) return;
      if (typeof keys === 'string') this.queue.add(keys, { reason: w.reason });
      else for (const k of keys) this.queue.add(k, { reason: w.reason });
    };
    const { onAdd, onUpdate, onDelete } = w;
    // Adds of a scope's first list are not news: the primary objects' own first runs cover them.
    if (onAdd) w.cache.onAdd((obj) => this.started && enqueue(onAdd(obj)), { afterList: true });
    if (onUpdate) w.cache.onUpdate((old, obj) => enqueue(onUpdate(old, obj)));
    if (onDelete) w.cache.onDelete((obj) => enqueue(onDelete(obj)));
    return this;
  }

  /** Starts running keys; call once the caches this controller reads have synced. */
  start(): void {
    this.started = true;
    this.queue.start();
  }

  async stop(drainMs?: number): Promise<void> {
    await this.queue.shutdown({ drainMs });
  }

  private async run(key: string, info: HandlerInfo): Promise<QueueResult> {
    let obj = this.o.cache.get(key);
    if (!obj || (this.o.admit && !this.o.admit(obj))) return {};
    const ctx: RunContext = {
      key,
      reason: info.reason,
      failures: info.failures,
      signal: info.signal,
      rerun: false,
      startedAt: performance.now(),
    };
    try {
      if (obj.metadata.deletionTimestamp) return await this.finalize(obj, ctx);
      const fin = this.o.finalizer;
      // Before the reconcile: it may make the side effect that deletion must undo.
      if (fin && fin.spec.wanted(obj)) obj = await fin.writer.add(obj, fin.spec.name);
      let done = await this.once(obj, ctx);
      if ('rerun' in done) {
        ctx.rerun = true;
        done = await this.once(this.o.cache.get(key) ?? obj, ctx);
        if ('rerun' in done) throw new Error('the executor asked for a second rerun');
      }
      if (fin) await this.dropUnwantedFinalizer(key, fin);
      return done;
    } catch (e) {
      const chosen = this.o.errorPolicy?.(obj, e, ctx);
      if (chosen) return chosen;
      this.o.logger.error(
        { controller: this.o.name, namespace: obj.metadata.namespace, name: obj.metadata.name, err: e },
        'reconcile failed',
      );
      throw e;
    }
  }

  private async once(obj: T, ctx: RunContext): Promise<Executed> {
    const outcome = await this.o.reconcile(obj, ctx);
    return this.o.execute(obj, outcome, ctx);
  }

  private async finalize(obj: T, ctx: RunContext): Promise<QueueResult> {
    const fin = this.o.finalizer;
    if (!fin || !hasFinalizer(obj, fin.spec.name)) return {};
    const retry = await fin.spec.cleanup(obj, ctx.signal);
    if (retry) return retry;
    try {
      await fin.writer.remove(obj, fin.spec.name);
    } catch (e) {
      if (!(isKubeApiError(e) && e.notFound)) throw e;
    }
    return {};
  }

  /** The object no longer needs the finalizer (nothing left to undo): it goes. */
  private async dropUnwantedFinalizer(
    key: string,
    fin: NonNullable<ControllerOptions<T, O>['finalizer']>,
  ): Promise<void> {
    const latest = this.o.cache.get(key);
    if (!latest || !hasFinalizer(latest, fin.spec.name) || fin.spec.wanted(latest)) return;
    try {
      await fin.writer.remove(latest, fin.spec.name);
    } catch (e) {
      this.o.logger.info(
        { controller: this.o.name, namespace: latest.metadata.namespace, name: latest.metadata.name, err: e },
        'removing a finalizer no longer needed failed; retried at the next run',
      );
    }
  }
}
