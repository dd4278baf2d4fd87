import { describe, expect, it } from '@jest/globals';
import { QuietGc } from './quiet-gc.js';

function setup(minWork = 10, quietMs = 3000, heap = 0) {
  let work = 0;
  let t = 0;
  let collections = 0;
  const q = new QuietGc({
    work: () => work,
    gc: () => collections++,
    minWork,
    quietMs,
    everyMs: 0,
    now: () => t,
    maxHeapBytes: 100,
    heapUsed: () => heap,
  });
  return {
    q,
    step: (dWork: number, dt: number) => {
      work += dWork;
      t += dt;
      return q.check();
    },
    collections: () => collections,
  };
}

describe('QuietGc', () => {
  it('collects once after a burst, when the work has been still for the quiet period', () => {
    const s = setup();
    for (let i = 0; i < 5; i++) expect(s.step(100, 1000)).toBe(false);
    expect(s.step(0, 1000)).toBe(false);
    expect(s.step(0, 1000)).toBe(false);
    expect(s.step(0, 1000)).toBe(true);
    // At rest: never again until another burst.
    for (let i = 0; i < 10; i++) expect(s.step(0, 1000)).toBe(false);
    expect(s.collections()).toBe(1);
  });
  it('never collects for a trickle of work below the threshold, nor while work goes on', () => {
    const s = setup(10);
    for (let i = 0; i < 9; i++) s.step(1, 10_000);
    expect(s.step(0, 10_000)).toBe(false);
    const busy = setup(10);
    for (let i = 0; i < 100; i++) expect(busy.step(50, 2999)).toBe(false);
    expect(busy.collections()).toBe(0);
  });
  it('skips the collection of a heap above the bound (its pause grows with the heap)', () => {
    const s = setup(10, 3000, 101);
    s.step(100, 1000);
    for (let i = 0; i < 10; i++) expect(s.step(0, 1000)).toBe(false);
    expect(s.collections()).toBe(0);
  });
  it('does nothing without a collector', () => {
    const q = new QuietGc({ work: () => 1000, gc: undefined, everyMs: 0 });
    expect(q.check()).toBe(false);
  });
});
