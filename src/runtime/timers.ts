// One timer for many delayed keys.
//
// 10,000 ExternalSecrets each waiting for their next refresh must not mean 10,000 Node timers:
// keys live in a binary min-heap (ordered by due time, then insertion order) with an index map, so
// schedule / cancel / reschedule are O(log n) and nothing is left behind as garbage (no lazy
// deletion: a key rescheduled every hour for months would otherwise pile up dead entries). A single
// setTimeout is armed for the earliest due time and unref'd, so pending refreshes never keep the
// process alive on shutdown.

/** setTimeout's delay is a signed 32-bit ms count; larger values fire at once (TimeoutOverflowWarning). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface DelayQueueOptions<K> {
  /** Called once per key when it comes due; the key is already removed, so it may be rescheduled. */
  onDue: (key: K, dueAtMs: number) => void;
  /** Clock in ms; default Date.now. Due times are absolute on this clock. */
  now?: () => number;
  /** false: arm no real timer; the owner calls tick() (tests). Default true. */
  timer?: boolean;
}

export interface ScheduleOptions {
  /** Set this time even if it is later than the key's current one. Default: keep the earlier. */
  replace?: boolean;
}

interface Entry<K> {
  key: K;
  at: number;
  seq: number;
  index: number;
}

export class DelayQueue<K> {
  private readonly heap: Entry<K>[] = [];
  private readonly entries = new Map<K, Entry<K>>();
  private readonly onDue: (key: K, dueAtMs: number) => void;
  private readonly now: () => number;
  private readonly useTimer: boolean;
  private timer: NodeJS.Timeout | undefined;
  /** The time the armed timer will fire at (may be earlier than the current earliest key). */
  private armedAt = Infinity;
  private seq = 0;
  private closed = false;

  constructor(opts: DelayQueueOptions<K>) {
    this.onDue = opts.onDue;
    this.now = opts.now ?? Date.now;
    this.useTimer = opts.timer ?? true;
  }

  /**
   * Schedules `key` at `atMs`. An already scheduled key keeps the earlier of its time and `atMs`
   * unless `replace` is set. Returns whether the key's due time was set or changed.
   */
  schedule(key: K, atMs: number, opts: ScheduleOptions = {}): boolean {
    if (this.closed) return false;
    if (!Number.isFinite(atMs)) throw new RangeError(`DelayQueue: due time must be finite (got ${atMs})`);
    const e = this.entries.get(key);
    if (e) {
      if (atMs === e.at || (atMs > e.at && !opts.replace)) return false;
      const earlier = atMs < e.at;
      e.at = atMs;
      if (earlier) this.up(e.index);
      else this.down(e.index);
    } else {
      const n: Entry<K> = { key, at: atMs, seq: this.seq++, index: this.heap.length };
      this.heap.push(n);
      this.entries.set(key, n);
      this.up(n.index);
    }
    this.arm();
    return true;
  }

  /** Removes `key`; returns whether it was scheduled. */
  cancel(key: K): boolean {
    const e = this.entries.get(key);
    if (!e) return false;
    this.removeAt(e.index);
    this.entries.delete(key);
    // The armed timer may now fire early for the next key; it re-arms then. Cheaper than
    // clearTimeout/setTimeout on every cancel, and only an empty heap needs the timer gone.
    if (this.heap.length === 0) this.disarm();
    return true;
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** The due time of `key`, or undefined when it is not scheduled. */
  dueAt(key: K): number | undefined {
    return this.entries.get(key)?.at;
  }

  get size(): number {
    return this.heap.length;
  }

  /** The earliest due time, or undefined when nothing is scheduled. */
  nextDue(): number | undefined {
    return this.heap[0]?.at;
  }

  /**
   * Fires every key due at now() (earliest first) and returns how many fired. Keys scheduled by
   * the callbacks at or before now fire on the next tick, never in this one, so a callback that
   * reschedules its own key immediately cannot loop forever.
   */
  tick(): number {
    const now = this.now();
    const due: Entry<K>[] = [];
    for (let top = this.heap[0]; top !== undefined && top.at <= now; top = this.heap[0]) {
      this.removeAt(0);
      this.entries.delete(top.key);
      due.push(top);
    }
    let failed = false;
    let error: unknown;
    for (const e of due) {
      try {
        this.onDue(e.key, e.at);
      } catch (err) {
        // One failing callback must not drop the other due keys, nor leave the timer disarmed.
        if (!failed) error = err;
        failed = true;
      }
    }
    this.arm();
    if (failed) throw error;
    return due.length;
  }

  /** Drops every key (the timer too). */
  clear(): void {
    this.heap.length = 0;
    this.entries.clear();
    this.disarm();
  }

  /** clear(), and ignore later schedule() calls. */
  close(): void {
    this.closed = true;
    this.clear();
  }

  // ---- timer ----

  private arm(): void {
    if (!this.useTimer || this.closed) return;
    const top = this.heap[0];
    if (top === undefined) return this.disarm();
    // A timer that fires no later than needed is kept: it re-checks and re-arms when it fires.
    if (this.timer !== undefined && this.armedAt <= top.at) return;
    this.disarm();
    const now = this.now();
    const delay = Math.min(Math.max(top.at - now, 0), MAX_TIMER_MS);
    this.armedAt = now + delay;
    this.timer = setTimeout(() => this.fire(), delay);
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedAt = Infinity;
  }

  private fire(): void {
    this.timer = undefined;
    this.armedAt = Infinity;
    // tick() re-arms (also when it finds nothing due: Node may wake a ms early, or the clock moved).
    this.tick();
  }

  // ---- heap ----

  private less(a: Entry<K>, b: Entry<K>): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private place(e: Entry<K>, i: number): void {
    this.heap[i] = e;
    e.index = i;
  }

  private up(i: number): void {
    const h = this.heap;
    const e = h[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p]!;
      if (!this.less(e, parent)) break;
      this.place(parent, i);
      i = p;
    }
    this.place(e, i);
  }

  private down(i: number): void {
    const h = this.heap;
    const n = h.length;
    const e = h[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.less(h[r]!, h[l]!) ? r : l;
      const child = h[c]!;
      if (!this.less(child, e)) break;
      this.place(child, i);
      i = c;
    }
    this.place(e, i);
  }

  private removeAt(i: number): void {
    const h = this.heap;
    const last = h.pop()!;
    if (i === h.length) return;
    this.place(last, i);
    // The moved entry may belong above or below its new slot.
    this.up(i);
    this.down(last.index);
  }
}

/** A settable clock for tests: pass `clock.now` as a `now` option. */
export class ManualClock {
  constructor(private ms = 0) {}

  readonly now = (): number => this.ms;

  advance(ms: number): number {
    this.ms += ms;
    return this.ms;
  }

  set(ms: number): void {
    this.ms = ms;
  }
}
