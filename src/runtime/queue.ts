// The work queue between watch events and reconcilers, with controller-runtime / kube-rs semantics:
// - a key waits at most once (dedupe), and never runs twice at once: an add while it runs marks it
//   dirty and it runs once more afterwards;
// - interactive reasons (HIGH) are served before background ones (LOW), so a new ExternalSecret
//   becomes Ready within one handler slot even while thousands of refreshes wait;
// - failures retry with per-key jittered exponential backoff;
// - delayed adds (the next refresh, retries) share one timer heap (./timers.ts).
//
// - within LOW, a healthy key's refresh goes before a failing key's retry (again with a streak
//   cap), so a tenant with hundreds of broken objects retrying at the interval floor cannot
//   delay the refreshes of the objects that work;
// - and a due refresh goes before the check of an object listed at startup or after a relist
//   ('relist', streak-capped too): a backlog of thousands of listed objects (a restart, another
//   tenant's namespaces being deleted) must not hold an interval the user set. The e2e fuzz
//   suite saw a 10 s refresh wait 18 s behind 800 such objects.
//
// Four intrusive doubly linked FIFO lists (HIGH, LOW refreshes, LOW relists, LOW retries) hold the waiting
// keys: push, pop, promotion from LOW to HIGH and removal are O(1). p-queue only bounds concurrency; it is fed at most one task
// per free slot and each task picks its key when it starts (late binding), so the priority decision
// is made as late as possible and p-queue's own O(n) priority insert is never used.
//
// Slow handlers: a handler still running after `slowAfterMs` is waiting on a backend that hangs or
// crawls (CPU-bound work would block the event loop instead, and the template limits bound that).
// It gives its slot back and keeps running beside the slots, up to `maxSlow` such handlers, so a
// tenant whose stores never answer cannot hold every worker while other keys wait. Its key stays
// running (never twice at once), and its result is handled as any other.
//
// Timers: every run consumes the key's timer, and the handler's result decides the next one (kube-rs:
// one schedule entry per object, earliest wins). So an immediate add cancels a pending timer of the
// key, an addAfter for a key that is already waiting is dropped (it will run sooner anyway, and that
// run reschedules it), and timers set while the key runs merge with the result (earliest wins).

import PQueue from 'p-queue';
import { ItemBackoff, jitteredBackoff } from './time/backoff.js';
import { DelayQueue } from './timers.js';
import { Fifo } from './fifo.js';
import { priorityOf, rankOf } from './queue-reasons.js';
import type { QueuePriority, QueueReason } from './queue-reasons.js';
import type { Linked } from './fifo.js';

export { QUEUE_REASONS, priorityOf } from './queue-reasons.js';
export type { QueuePriority, QueueReason } from './queue-reasons.js';

export interface QueueResult {
  /** Run the key again after this delay (the next refresh); merged with other timers, earliest wins. */
  requeueAfterMs?: number;
  /**
   * The run failed but the handler chose the retry delay (`requeueAfterMs`), e.g. a provider error
   * that must not retry more often than the refresh interval. Counts as a failure; without
   * `requeueAfterMs` the queue's backoff picks the delay.
   */
  error?: boolean;
}

export interface HandlerInfo {
  /** The highest-precedence reason among those merged into this run (see QUEUE_REASONS). */
  reason: QueueReason;
  /** Every distinct reason merged into this run, in arrival order. */
  reasons: readonly QueueReason[];
  priority: QueuePriority;
  /** Consecutive failures of this key before this run (0 when the last run succeeded). */
  failures: number;
  /** Time from the (first) add to this start, ms. */
  waitedMs: number;
  /** Aborted when shutdown's drain time runs out. */
  signal: AbortSignal;
}

export type QueueHandler<K> = (key: K, info: HandlerInfo) => Promise<QueueResult> | QueueResult;

export interface AddOptions {
  reason: QueueReason;
  /** Default: priorityOf(reason). */
  priority?: QueuePriority;
}

export interface WorkQueueOptions<K> {
  handler: QueueHandler<K>;
  /** Handlers running at once; default 8, at least 1. */
  concurrency?: number;
  /** First retry delay after a thrown error; default 500 ms. */
  baseBackoffMs?: number;
  /** Longest retry delay; default 5 min. */
  maxBackoffMs?: number;
  /** Replaces base/maxBackoffMs (tests inject one with a fixed random). */
  backoff?: ItemBackoff<K>;
  /**
   * HIGH keys started in a row while LOW keys wait before one LOW key gets a slot; default 16.
   * Keeps refreshes moving if something floods HIGH (e.g. a tool rewriting Secrets → endless drift)
   * while costing a new HIGH key at most one extra slot in 17.
   */
  maxHighStreak?: number;
  /**
   * LOW refreshes started in a row while listed keys or retries of failing keys wait before one
   * of those gets a slot; also listed keys in a row before a retry. Default 16.
   */
  maxRefreshStreak?: number;
  /**
   * A handler running this long (ms) frees its slot and runs on beside the slots (see the top of
   * this file); default: never.
   */
  slowAfterMs?: number;
  /** At most this many handlers run beside the slots; default 8 × concurrency. */
  maxSlow?: number;
  /** false: hold work until start() (e.g. until the caches have synced); default true. */
  autoStart?: boolean;
  /** Clock in epoch ms; default Date.now. */
  now?: () => number;
  /** true: no real timer for delayed keys; call tick() (tests). */
  manualTimers?: boolean;

  // Metric hooks. They must not throw; if one does, the error is ignored so the queue keeps its state.
  /** Waiting keys (HIGH + LOW), on every change. */
  onDepth?: (waiting: number) => void;
  /** Every add that reaches the queue (not after shutdown); `deduped` when the key was already waiting or dirty. */
  onAdd?: (reason: QueueReason, info: { deduped: boolean; priority: QueuePriority }) => void;
  /** A handler starts; wait = time from the add, in seconds (Prometheus convention). */
  onStart?: (waitSeconds: number, reason: QueueReason, priority: QueuePriority) => void;
  /** Running handlers, on every change. */
  onInflight?: (running: number) => void;
  /** A handler finished; `retryInMs` is set when it failed, `requeueInMs` when it succeeded and asked for a next run. */
  onDone?: (
    key: K,
    outcome: { ok: boolean; seconds: number; failures: number; retryInMs?: number; requeueInMs?: number },
  ) => void;
  /** Handlers running beside the slots (slowAfterMs), when it grows. */
  onSlow?: (slow: number) => void;
  /** A handler threw (before the retry is scheduled). */
  onError?: (key: K, error: unknown, failures: number) => void;
}

/** A waiting key. */
interface Node<K> extends Linked<Node<K>> {
  key: K;
  prio: QueuePriority;
  reason: QueueReason;
  reasons: QueueReason[];
  addedAt: number;
}

/** A pending (re-)run: a waiting key, or the dirty mark of a running one. */
interface Pending {
  prio: QueuePriority;
  reason: QueueReason;
  reasons: QueueReason[];
  addedAt: number;
}

interface Running {
  startedAt: number;
  /** Past slowAfterMs: it gave its slot back (see the top of this file). */
  slow: boolean;
  /** Ends the run's hold on its slot. */
  release: () => void;
  /** Added again while running: run once more afterwards. */
  dirty: Pending | undefined;
  /** forget() was called while running: the result must not reschedule the key. */
  forgotten: boolean;
}

function merge(p: Pending, reason: QueueReason, prio: QueuePriority): void {
  if (!p.reasons.includes(reason)) p.reasons.push(reason);
  if (prio === 'high') p.prio = 'high';
  if (rankOf(reason) < rankOf(p.reason)) p.reason = reason;
}

export class WorkQueue<K extends string> {
  private readonly high = new Fifo<Node<K>>();
  private readonly low = new Fifo<Node<K>>();
  /** LOW keys only listed ('relist'): after `low`, before `retrying`. */
  private readonly relisted = new Fifo<Node<K>>();
  /** LOW keys whose last run failed ('retry'): after `low`, see the top of this file. */
  private readonly retrying = new Fifo<Node<K>>();
  private readonly waiting = new Map<K, Node<K>>();
  private readonly running = new Map<K, Running>();
  private readonly timers: DelayQueue<K>;
  /** The reason each scheduled key will be added with. */
  private readonly timerReasons = new Map<K, QueueReason>();
  private readonly pq: PQueue;
  private readonly backoff: ItemBackoff<K>;
  private readonly handler: QueueHandler<K>;
  private readonly concurrency: number;
  private readonly now: () => number;
  private readonly abort = new AbortController();
  private readonly o: WorkQueueOptions<K>;
  /** Tasks handed to p-queue that have not picked a key yet. */
  private reserved = 0;
  /** Running handlers that gave their slot back. */
  private slowCount = 0;
  private readonly maxSlow: number;
  private readonly sweeper: NodeJS.Timeout | undefined;
  /** The lists in the order they are served, each with its streak cap against the later ones. */
  private readonly tiers: { list: Fifo<Node<K>>; max: number; streak: number }[];
  private started: boolean;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(opts: WorkQueueOptions<K>) {
    const concurrency = opts.concurrency ?? 8;
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new RangeError(`WorkQueue: concurrency must be an integer ≥ 1 (got ${concurrency})`);
    this.o = opts;
    this.handler = opts.handler;
    this.concurrency = concurrency;
    const maxRefreshStreak = Math.max(1, opts.maxRefreshStreak ?? 16);
    this.tiers = [
      { list: this.high, max: Math.max(1, opts.maxHighStreak ?? 16), streak: 0 },
      { list: this.low, max: maxRefreshStreak, streak: 0 },
      { list: this.relisted, max: maxRefreshStreak, streak: 0 },
      { list: this.retrying, max: Infinity, streak: 0 },
    ];
    this.now = opts.now ?? Date.now;
    this.backoff =
      opts.backoff ??
      new ItemBackoff<K>(
        jitteredBackoff({ baseMs: opts.baseBackoffMs ?? 500, maxMs: opts.maxBackoffMs ?? 5 * 60_000 }),
      );
    this.started = opts.autoStart ?? true;
    this.pq = new PQueue({ concurrency });
    this.maxSlow = Math.max(0, opts.maxSlow ?? 8 * concurrency);
    const slowAfter = opts.slowAfterMs;
    if (slowAfter !== undefined && slowAfter > 0 && this.maxSlow > 0) {
      this.sweeper = setInterval(() => this.sweepSlow(slowAfter), Math.max(10, slowAfter / 4));
      this.sweeper.unref();
    }
    this.timers = new DelayQueue<K>({
      now: this.now,
      timer: !opts.manualTimers,
      onDue: (key) => {
        const reason = this.timerReasons.get(key) ?? 'refresh';
        this.timerReasons.delete(key);
        this.add(key, { reason });
      },
    });
  }

  // ---- adding ----

  /**
   * Queues `key` to run as soon as a slot frees (HIGH before LOW). A waiting key is not queued twice
   * but is promoted if this add has a higher priority; a running key is marked to run once more.
   * Returns false after shutdown.
   */
  add(key: K, opts: AddOptions): boolean {
    if (this.closed) return false;
    const { reason } = opts;
    const prio = opts.priority ?? priorityOf(reason);
    const run = this.running.get(key);
    if (run) {
      const deduped = run.dirty !== undefined;
      if (run.dirty) merge(run.dirty, reason, prio);
      else run.dirty = { prio, reason, reasons: [reason], addedAt: this.now() };
      this.hook(() => this.o.onAdd?.(reason, { deduped, priority: prio }));
      return true;
    }
    const node = this.waiting.get(key);
    if (node) {
      merge(node, reason, prio);
      const to = this.listFor(node);
      if (to !== node.list) {
        // Promoted: to HIGH, or from the relist backlog to the refreshes.
        node.list!.remove(node);
        to.push(node);
      }
      this.hook(() => this.o.onAdd?.(reason, { deduped: true, priority: prio }));
      this.pump();
      return true;
    }
    this.enqueue(key, { prio, reason, reasons: [reason], addedAt: this.now() });
    this.hook(() => this.o.onAdd?.(reason, { deduped: false, priority: prio }));
    return true;
  }

  /** add() after `delayMs` (≤ 0: now; Infinity or NaN: never). Keeps the earliest due time per key. */
  addAfter(key: K, delayMs: number, reason: QueueReason = 'refresh'): void {
    if (Number.isNaN(delayMs)) return;
    if (delayMs <= 0) {
      this.add(key, { reason });
      return;
    }
    this.addAt(key, this.now() + delayMs, reason);
  }

  /** add() at epoch ms `atMs` (in the past: now). Keeps the earliest due time per key. */
  addAt(key: K, atMs: number, reason: QueueReason = 'refresh'): void {
    if (this.closed || Number.isNaN(atMs) || atMs === Infinity) return;
    if (atMs <= this.now()) {
      this.add(key, { reason });
      return;
    }
    // Already waiting: it runs sooner than this, and that run decides its next time.
    if (this.waiting.has(key)) return;
    if (this.timers.schedule(key, atMs)) this.timerReasons.set(key, reason);
  }

  private enqueue(key: K, p: Pending): void {
    // The run this add causes subsumes any timer the key had.
    this.cancelTimer(key);
    const node: Node<K> = { key, ...p, prev: undefined, next: undefined, list: undefined };
    this.waiting.set(key, node);
    this.listFor(p).push(node);
    this.depthChanged();
    this.pump();
  }

  private listFor(p: Pending): Fifo<Node<K>> {
    if (p.prio === 'high') return this.high;
    return p.reason === 'retry' ? this.retrying : p.reason === 'relist' ? this.relisted : this.low;
  }

  private cancelTimer(key: K): void {
    if (this.timers.cancel(key)) this.timerReasons.delete(key);
  }

  // ---- removing ----

  /** Drops `key` everywhere (its object was deleted); a run in progress will not reschedule it. */
  forget(key: K): void {
    this.cancelTimer(key);
    const node = this.waiting.get(key);
    if (node) {
      node.list!.remove(node);
      this.waiting.delete(key);
      this.depthChanged();
    }
    this.backoff.forget(key);
    const run = this.running.get(key);
    if (run) {
      run.forgotten = true;
      run.dirty = undefined;
    }
    this.checkIdle();
  }

  // ---- running ----

  /** Starts processing when created with autoStart: false. Idempotent. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.pump();
  }

  private pump(): void {
    if (!this.started || this.closed) return;
    // Hand p-queue one task per free slot and per waiting key not yet claimed by a reserved task.
    while (
      this.running.size - this.slowCount + this.reserved < this.concurrency &&
      this.reserved < this.waiting.size
    ) {
      this.reserved++;
      this.pq.add(() => this.runNext()).catch(() => undefined);
    }
  }

  /**
   * The first list with a key, unless it has served `max` keys in a row while a later one waits;
   * a streak counts only while something later waits.
   */
  private pick(): Node<K> | undefined {
    let later = 0;
    for (const t of this.tiers) later += t.list.size;
    for (const t of this.tiers) {
      later -= t.list.size;
      if (t.list.size > 0 && (later === 0 || t.streak < t.max)) {
        t.streak = later === 0 ? 0 : t.streak + 1;
        return t.list.shift();
      }
      t.streak = 0;
    }
    return undefined;
  }

  private runNext(): Promise<void> {
    this.reserved--;
    const node = this.closed ? undefined : this.pick();
    if (!node) {
      this.checkIdle();
      return Promise.resolve();
    }
    const { key } = node;
    this.waiting.delete(key);
    this.depthChanged();
    const startedAt = this.now();
    let release!: () => void;
    // p-queue's slot is held until the handler ends or gives the slot back (sweepSlow).
    const slot = new Promise<void>((resolve) => (release = resolve));
    const run: Running = { startedAt, slow: false, release, dirty: undefined, forgotten: false };
    this.running.set(key, run);
    this.hook(() => this.o.onInflight?.(this.running.size));
    const waitedMs = Math.max(0, startedAt - node.addedAt);
    this.hook(() => this.o.onStart?.(waitedMs / 1000, node.reason, node.prio));
    void this.runHandler(node, run).finally(release);
    return slot;
  }

  private async runHandler(node: Node<K>, run: Running): Promise<void> {
    const { key } = node;
    // One macrotask turn before each run: handlers that finish synchronously (a cached world, a
    // template) would otherwise chain through microtasks, and the HTTP server (/healthz) and
    // the watches would wait for a whole batch of them.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const failures = this.backoff.failures(key);
    let result: QueueResult | undefined;
    let thrown = false;
    let error: unknown;
    try {
      result = await this.handler(key, {
        reason: node.reason,
        reasons: node.reasons,
        priority: node.prio,
        failures,
        waitedMs: Math.max(0, run.startedAt - node.addedAt),
        signal: this.abort.signal,
      });
    } catch (e) {
      thrown = true;
      error = e;
    }

    this.running.delete(key);
    if (run.slow) this.slowCount--;
    this.hook(() => this.o.onInflight?.(this.running.size));
    const seconds = Math.max(0, this.now() - run.startedAt) / 1000;
    // Dirty first: the re-run subsumes whatever timer the result asks for (addAt drops it), while
    // the failure count still moves.
    if (run.dirty && !this.closed) this.enqueue(key, run.dirty);
    if (!this.closed && !run.forgotten) this.settle(key, thrown, error, result ?? {}, seconds);
    this.pump();
    this.checkIdle();
  }

  /** Handlers past `slowAfterMs` give their slot back, oldest first, up to maxSlow of them. */
  private sweepSlow(slowAfterMs: number): void {
    if (this.running.size === 0 || this.slowCount >= this.maxSlow) return;
    const now = this.now();
    let freed = false;
    for (const run of this.running.values()) {
      if (this.slowCount >= this.maxSlow) break;
      if (run.slow || now - run.startedAt < slowAfterMs) continue;
      run.slow = true;
      this.slowCount++;
      run.release();
      freed = true;
    }
    if (!freed) return;
    this.hook(() => this.o.onSlow?.(this.slowCount));
    this.pump();
  }

  private settle(key: K, thrown: boolean, error: unknown, result: QueueResult, seconds: number): void {
    const requeue = result.requeueAfterMs;
    if (thrown || result.error) {
      let delay: number;
      if (thrown) {
        delay = this.backoff.next(key);
        this.hook(() => this.o.onError?.(key, error, this.backoff.failures(key)));
      } else {
        const n = this.backoff.record(key);
        delay = requeue !== undefined && !Number.isNaN(requeue) ? requeue : this.backoff.backoff.delay(n);
      }
      const failures = this.backoff.failures(key);
      this.hook(() => this.o.onDone?.(key, { ok: false, seconds, failures, retryInMs: delay }));
      this.addAfter(key, delay, 'retry');
      return;
    }
    this.backoff.forget(key);
    this.hook(() => this.o.onDone?.(key, { ok: true, seconds, failures: 0, requeueInMs: requeue }));
    if (requeue !== undefined) this.addAfter(key, requeue, 'refresh');
  }

  // ---- lifecycle ----

  /**
   * Stops taking work (adds are ignored, timers dropped, waiting keys never start) and waits for the
   * running handlers, at most `drainMs` (default 10 s). Resolves true when they all finished; when
   * time runs out the handlers' signal is aborted and it resolves false.
   */
  async shutdown(opts: { drainMs?: number } = {}): Promise<boolean> {
    const drainMs = opts.drainMs ?? 10_000;
    if (!this.closed) {
      this.closed = true;
      clearInterval(this.sweeper);
      this.timers.close();
      this.timerReasons.clear();
      for (const t of this.tiers) t.list.clear();
      this.waiting.clear();
      this.depthChanged();
      this.pq.clear();
      this.reserved = 0;
      this.checkIdle();
    }
    if (this.running.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      this.onIdle().then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), Math.max(0, drainMs));
      }),
    ]);
    clearTimeout(timer);
    if (!drained) this.abort.abort(new Error('work queue shut down'));
    return drained;
  }

  /** Resolves when no key waits or runs (scheduled keys do not count). For tests and benchmarks. */
  onIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.running.size === 0 && (this.waiting.size === 0 || this.closed);
  }

  private checkIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  // ---- introspection ----

  /** Fires due timers now (with manualTimers). Returns how many keys came due. */
  tick(): number {
    return this.timers.tick();
  }

  /** Waiting keys (not running, not scheduled). */
  get depth(): number {
    return this.waiting.size;
  }

  get inflight(): number {
    return this.running.size;
  }

  /** Running handlers that gave their slot back (slowAfterMs). */
  get slow(): number {
    return this.slowCount;
  }

  /** Keys waiting for a timer. */
  get scheduled(): number {
    return this.timers.size;
  }

  stats(): { high: number; low: number; inflight: number; scheduled: number; failing: number } {
    return {
      high: this.high.size,
      low: this.low.size + this.relisted.size + this.retrying.size,
      inflight: this.running.size,
      scheduled: this.timers.size,
      failing: this.backoff.size,
    };
  }

  failures(key: K): number {
    return this.backoff.failures(key);
  }

  isWaiting(key: K): boolean {
    return this.waiting.has(key);
  }

  isRunning(key: K): boolean {
    return this.running.has(key);
  }

  /** When `key`'s timer fires (epoch ms) and with which reason, or undefined. */
  scheduledAt(key: K): { atMs: number; reason: QueueReason } | undefined {
    const atMs = this.timers.dueAt(key);
    return atMs === undefined ? undefined : { atMs, reason: this.timerReasons.get(key) ?? 'refresh' };
  }

  private depthChanged(): void {
    this.hook(() => this.o.onDepth?.(this.waiting.size));
  }

  private hook(f: () => void): void {
    try {
      f();
    } catch {
      // See WorkQueueOptions: metrics must never corrupt the queue.
    }
  }
}
