// A full garbage collection once a burst of work is over.
//
// After a cold sync of thousands of ExternalSecrets, V8 keeps the burst's garbage: the old
// generation grew its limit during the burst, and an operator at rest allocates too little to
// reach that limit again, so nothing collects it for hours (bench/, 2026-12-02: 95 MiB of heap
// "used" at rest after 5,000, against about 30 MiB live). One full collection when the work
// stops gives the pages back: RSS at rest follows the live heap, not the burst's high mark.
// It runs only after a quiet period that follows real work, so a steady trickle of refreshes
// never triggers it, and at most once per burst.

import { getHeapStatistics } from 'node:v8';

export interface QuietGcOptions {
  /** A count that grows with work done (reconciles finished). */
  work: () => number;
  /** The collector (V8's, exposed by --expose-gc). Without it nothing runs. */
  gc: (() => void) | undefined;
  /** Work since the last collection that makes one worth it. */
  minWork?: number;
  /** How long the count must stay unchanged. */
  quietMs?: number;
  /** How often to look (an unref'd interval); 0: the owner calls check() (tests). */
  everyMs?: number;
  now?: () => number;
  /**
   * Above this heap (bytes used), no collection: its pause grows with the heap, and at 50,000
   * ExternalSecrets (about 170 MiB) one was the likely cause of a 5 s stall on a loaded machine
   * (docs/PERFORMANCE.md). Default 128 MiB.
   */
  maxHeapBytes?: number;
  /** The heap's used bytes; default v8.getHeapStatistics(). */
  heapUsed?: () => number;
  /** Told after each collection, with its duration (ms). */
  onCollect?: (ms: number) => void;
}

export class QuietGc {
  private lastCount: number;
  private lastChange: number;
  private collectedAt: number;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly o: QuietGcOptions) {
    this.now = o.now ?? Date.now;
    this.lastCount = o.work();
    this.collectedAt = this.lastCount;
    this.lastChange = this.now();
    const every = o.everyMs ?? 1000;
    if (o.gc && every > 0) {
      this.timer = setInterval(() => this.check(), every);
      this.timer.unref();
    }
  }

  /** Collects when the work count has been still for quietMs after at least minWork. Returns whether it did. */
  check(): boolean {
    const count = this.o.work();
    const t = this.now();
    if (count !== this.lastCount) {
      this.lastCount = count;
      this.lastChange = t;
      return false;
    }
    if (!this.o.gc || count - this.collectedAt < (this.o.minWork ?? 500)) return false;
    if (t - this.lastChange < (this.o.quietMs ?? 3000)) return false;
    this.collectedAt = count;
    const used = this.o.heapUsed ?? (() => getHeapStatistics().used_heap_size);
    if (used() > (this.o.maxHeapBytes ?? 128 * 1024 * 1024)) return false;
    const start = performance.now();
    this.o.gc();
    this.o.onCollect?.(performance.now() - start);
    return true;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
