import { describe, expect, it } from '@jest/globals';
import { ItemBackoff, jitteredBackoff } from './backoff.js';

describe('jitteredBackoff', () => {
  it('grows by factor from baseMs and stops at maxMs', () => {
    const b = jitteredBackoff({ baseMs: 500, maxMs: 5000, jitter: 0 });
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => b.delay(n))).toEqual([500, 1000, 2000, 4000, 5000, 5000, 5000]);
    const f3 = jitteredBackoff({ baseMs: 100, maxMs: 10_000, factor: 3, jitter: 0 });
    expect([1, 2, 3, 4, 5].map((n) => f3.delay(n))).toEqual([100, 300, 900, 2700, 8100]);
  });

  it('treats attempts below 1 (and non-numbers) as the first', () => {
    const b = jitteredBackoff({ baseMs: 500, maxMs: 5000, jitter: 0 });
    expect(b.delay(0)).toBe(500);
    expect(b.delay(-3)).toBe(500);
    expect(b.delay(Number.NaN)).toBe(500);
    expect(b.delay(2.7)).toBe(1000);
  });

  it('never overflows for huge attempt counts', () => {
    const b = jitteredBackoff({ baseMs: 500, maxMs: 300_000, jitter: 0 });
    expect(b.delay(10_000)).toBe(300_000);
    expect(b.delay(Number.MAX_SAFE_INTEGER)).toBe(300_000);
  });

  it('jitter only shortens: the delay stays in [(1 - jitter)·d, d]', () => {
    const hi = jitteredBackoff({ baseMs: 1000, maxMs: 60_000, random: () => 0 });
    const lo = jitteredBackoff({ baseMs: 1000, maxMs: 60_000, random: () => 0.999999 });
    expect(hi.delay(3)).toBe(4000);
    expect(lo.delay(3)).toBe(3200);
    const real = jitteredBackoff({ baseMs: 1000, maxMs: 60_000 });
    for (let n = 1; n <= 12; n++) {
      const d = real.nominal(n);
      for (let i = 0; i < 50; i++) {
        const v = real.delay(n);
        expect(v).toBeGreaterThanOrEqual(Math.round(0.8 * d));
        expect(v).toBeLessThanOrEqual(d);
      }
    }
  });

  it('spreads a herd at the cap', () => {
    const b = jitteredBackoff({ baseMs: 500, maxMs: 300_000 });
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) seen.add(Math.floor(b.delay(50) / 10_000));
    // 240 s..300 s in 10 s buckets: a real spread, not one value.
    expect(seen.size).toBeGreaterThanOrEqual(5);
  });

  it('jitter 1 is full jitter and 0.5 equal jitter', () => {
    expect(jitteredBackoff({ baseMs: 1000, maxMs: 1000, jitter: 1, random: () => 0.75 }).delay(1)).toBe(250);
    expect(jitteredBackoff({ baseMs: 1000, maxMs: 1000, jitter: 0.5, random: () => 0.999999 }).delay(1)).toBe(
      500,
    );
  });

  it('clamps a misbehaving random source', () => {
    expect(jitteredBackoff({ baseMs: 1000, maxMs: 1000, random: () => 7 }).delay(1)).toBe(800);
    expect(jitteredBackoff({ baseMs: 1000, maxMs: 1000, random: () => -1 }).delay(1)).toBe(1000);
  });

  it('rejects nonsense options', () => {
    expect(() => jitteredBackoff({ baseMs: -1, maxMs: 10 })).toThrow(RangeError);
    expect(() => jitteredBackoff({ baseMs: 1, maxMs: Infinity })).toThrow(RangeError);
    expect(() => jitteredBackoff({ baseMs: 1, maxMs: 10, factor: 0.5 })).toThrow(RangeError);
    expect(() => jitteredBackoff({ baseMs: 1, maxMs: 10, jitter: 1.5 })).toThrow(RangeError);
  });

  it('uses baseMs as the ceiling when maxMs is below it', () => {
    expect(jitteredBackoff({ baseMs: 1000, maxMs: 10, jitter: 0 }).delay(5)).toBe(1000);
  });
});

describe('ItemBackoff', () => {
  const make = () => new ItemBackoff<string>(jitteredBackoff({ baseMs: 500, maxMs: 4000, jitter: 0 }));

  it('counts failures per key and grows each key separately', () => {
    const ib = make();
    expect(ib.failures('a')).toBe(0);
    expect([ib.next('a'), ib.next('a'), ib.next('a')]).toEqual([500, 1000, 2000]);
    expect(ib.next('b')).toBe(500);
    expect(ib.failures('a')).toBe(3);
    expect(ib.failures('b')).toBe(1);
    expect(ib.size).toBe(2);
  });

  it('forget resets a key', () => {
    const ib = make();
    ib.next('a');
    ib.next('a');
    ib.forget('a');
    expect(ib.failures('a')).toBe(0);
    expect(ib.next('a')).toBe(500);
    expect(ib.size).toBe(1);
  });

  it('record counts without a delay', () => {
    const ib = make();
    expect(ib.record('a')).toBe(1);
    expect(ib.record('a')).toBe(2);
    expect(ib.next('a')).toBe(2000);
  });
});
