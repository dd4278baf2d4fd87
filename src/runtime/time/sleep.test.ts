import { describe, expect, it } from '@jest/globals';
import { getEventListeners } from 'node:events';
import { sleep } from './sleep.js';

const listeners = (s: AbortSignal): number => getEventListeners(s, 'abort').length;

describe('sleep', () => {
  it('resolves after ms and removes its abort listener', async () => {
    const ac = new AbortController();
    const t0 = performance.now();
    const p = sleep(30, ac.signal);
    expect(listeners(ac.signal)).toBe(1);
    await p;
    // Timers may fire up to a millisecond early against performance.now().
    expect(performance.now() - t0).toBeGreaterThanOrEqual(29);
    expect(listeners(ac.signal)).toBe(0);
  });

  it('resolves at once on abort and removes its listener', async () => {
    const ac = new AbortController();
    const t0 = performance.now();
    const p = sleep(60_000, ac.signal);
    setTimeout(() => ac.abort(), 10);
    await p;
    expect(performance.now() - t0).toBeLessThan(30_000); // of a 60 s sleep
    expect(listeners(ac.signal)).toBe(0);
  });

  it('resolves at once for a signal that is already aborted, without adding a listener', async () => {
    const ac = new AbortController();
    ac.abort();
    const t0 = performance.now();
    await sleep(60_000, ac.signal);
    expect(performance.now() - t0).toBeLessThan(30_000); // of a 60 s sleep
    expect(listeners(ac.signal)).toBe(0);
  });

  it('many sleeps on one long-lived signal leave no listeners behind', async () => {
    const ac = new AbortController();
    await Promise.all(Array.from({ length: 50 }, (_, i) => sleep(i % 5, ac.signal)));
    expect(listeners(ac.signal)).toBe(0);
  });

  it('works without a signal, and treats a negative delay as none', async () => {
    const t0 = performance.now();
    await sleep(20);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(19);
    await sleep(-5);
  });
});
