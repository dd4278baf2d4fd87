import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { DelayQueue, ManualClock } from './timers.js';

function manual(start = 1_000) {
  const clock = new ManualClock(start);
  const fired: [string, number][] = [];
  const dq = new DelayQueue<string>({ now: clock.now, timer: false, onDue: (k, at) => fired.push([k, at]) });
  return { clock, fired, dq };
}

describe('DelayQueue (manual clock)', () => {
  it('fires keys when due, earliest first, and only once', () => {
    const { clock, fired, dq } = manual();
    dq.schedule('c', 1_300);
    dq.schedule('a', 1_100);
    dq.schedule('b', 1_200);
    expect(dq.size).toBe(3);
    expect(dq.nextDue()).toBe(1_100);
    expect(dq.tick()).toBe(0);
    clock.advance(100);
    expect(dq.tick()).toBe(1);
    expect(fired).toEqual([['a', 1_100]]);
    clock.advance(1_000);
    expect(dq.tick()).toBe(2);
    expect(fired.map(([k]) => k)).toEqual(['a', 'b', 'c']);
    expect(dq.size).toBe(0);
    expect(dq.nextDue()).toBeUndefined();
    expect(dq.tick()).toBe(0);
  });

  it('keeps the earlier time unless replace is set', () => {
    const { dq } = manual();
    expect(dq.schedule('a', 5_000)).toBe(true);
    expect(dq.schedule('a', 9_000)).toBe(false);
    expect(dq.dueAt('a')).toBe(5_000);
    expect(dq.schedule('a', 5_000)).toBe(false);
    expect(dq.schedule('a', 2_000)).toBe(true);
    expect(dq.dueAt('a')).toBe(2_000);
    expect(dq.schedule('a', 7_000, { replace: true })).toBe(true);
    expect(dq.dueAt('a')).toBe(7_000);
    expect(dq.size).toBe(1);
  });

  it('cancels keys', () => {
    const { clock, fired, dq } = manual();
    dq.schedule('a', 1_100);
    dq.schedule('b', 1_200);
    expect(dq.cancel('a')).toBe(true);
    expect(dq.cancel('a')).toBe(false);
    expect(dq.has('a')).toBe(false);
    expect(dq.has('b')).toBe(true);
    clock.advance(1_000);
    dq.tick();
    expect(fired.map(([k]) => k)).toEqual(['b']);
  });

  it('breaks ties in scheduling order', () => {
    const { clock, fired, dq } = manual();
    for (const k of ['x', 'y', 'z', 'w']) dq.schedule(k, 1_500);
    clock.advance(500);
    dq.tick();
    expect(fired.map(([k]) => k)).toEqual(['x', 'y', 'z', 'w']);
  });

  it('lets a callback reschedule its key; a key due now fires on the next tick, not in a loop', () => {
    const clock = new ManualClock(0);
    let runs = 0;
    const dq: DelayQueue<string> = new DelayQueue<string>({
      now: clock.now,
      timer: false,
      onDue: (k) => {
        runs++;
        dq.schedule(k, clock.now());
      },
    });
    dq.schedule('a', 0);
    expect(dq.tick()).toBe(1);
    expect(runs).toBe(1);
    expect(dq.has('a')).toBe(true);
    expect(dq.tick()).toBe(1);
    expect(runs).toBe(2);
  });

  it('fires the other due keys when one callback throws, then rethrows', () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    const dq = new DelayQueue<string>({
      now: clock.now,
      timer: false,
      onDue: (k) => {
        fired.push(k);
        if (k === 'a') throw new Error('boom');
      },
    });
    dq.schedule('a', 1);
    dq.schedule('b', 2);
    clock.advance(5);
    expect(() => dq.tick()).toThrow('boom');
    expect(fired).toEqual(['a', 'b']);
    expect(dq.size).toBe(0);
  });

  it('rejects non-finite times and ignores schedules after close', () => {
    const { dq } = manual();
    expect(() => dq.schedule('a', Number.NaN)).toThrow(RangeError);
    expect(() => dq.schedule('a', Infinity)).toThrow(RangeError);
    dq.schedule('b', 5);
    dq.close();
    expect(dq.size).toBe(0);
    expect(dq.schedule('c', 5)).toBe(false);
    expect(dq.size).toBe(0);
  });

  it('matches a reference model under random schedule / reschedule / cancel', () => {
    let seed = 42;
    const rnd = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const { clock, fired, dq } = manual(0);
    const model = new Map<string, number>();
    for (let step = 0; step < 5_000; step++) {
      const k = `k${Math.floor(rnd() * 300)}`;
      const op = rnd();
      if (op < 0.5) {
        const at = clock.now() + Math.floor(rnd() * 1_000);
        const replace = rnd() < 0.3;
        dq.schedule(k, at, { replace });
        const cur = model.get(k);
        if (cur === undefined || replace || at < cur) model.set(k, at);
      } else if (op < 0.7) {
        dq.cancel(k);
        model.delete(k);
      } else {
        clock.advance(Math.floor(rnd() * 50));
        fired.length = 0;
        dq.tick();
        const expected = [...model.entries()].filter(([, at]) => at <= clock.now());
        for (const [key] of expected) model.delete(key);
        expect(new Set(fired.map(([key]) => key))).toEqual(new Set(expected.map(([key]) => key)));
        // Fired in due-time order.
        for (let i = 1; i < fired.length; i++) expect(fired[i]![1]).toBeGreaterThanOrEqual(fired[i - 1]![1]);
      }
      expect(dq.size).toBe(model.size);
      const min = model.size ? Math.min(...model.values()) : undefined;
      expect(dq.nextDue()).toBe(min);
    }
  });

  it('keeps order over 10,000 keys (its speed is measured in bench/, not here)', () => {
    const { clock, fired, dq } = manual(0);
    for (let i = 0; i < 10_000; i++) dq.schedule(`ns/es-${i}`, 3_600_000 + ((i * 7919) % 10_000));
    for (let i = 0; i < 10_000; i += 2) dq.schedule(`ns/es-${i}`, 1_000 + i, { replace: true });
    for (let i = 1; i < 10_000; i += 4) dq.cancel(`ns/es-${i}`);
    clock.advance(4_000_000);
    dq.tick();
    expect(fired).toHaveLength(7_500);
    for (let i = 1; i < fired.length; i++) expect(fired[i]![1]).toBeGreaterThanOrEqual(fired[i - 1]![1]);
  });
});

describe('DelayQueue (timer)', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('arms one timer for any number of keys and re-arms for the next one', () => {
    jest.useFakeTimers({ now: 0 });
    const fired: string[] = [];
    const dq = new DelayQueue<string>({ onDue: (k) => fired.push(k) });
    for (let i = 0; i < 10_000; i++) dq.schedule(`k${i}`, 1_000 + i);
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(999);
    expect(fired).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(fired).toEqual(['k0']);
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(9_999);
    expect(fired).toHaveLength(10_000);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('re-arms earlier when an earlier key arrives, and disarms when empty', () => {
    jest.useFakeTimers({ now: 0 });
    const fired: string[] = [];
    const dq = new DelayQueue<string>({ onDue: (k) => fired.push(k) });
    dq.schedule('late', 10_000);
    dq.schedule('early', 100);
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(100);
    expect(fired).toEqual(['early']);
    dq.cancel('late');
    expect(jest.getTimerCount()).toBe(0);
    dq.schedule('x', 50);
    dq.clear();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('survives a cancelled head: the early wake-up finds nothing and re-arms', () => {
    jest.useFakeTimers({ now: 0 });
    const fired: string[] = [];
    const dq = new DelayQueue<string>({ onDue: (k) => fired.push(k) });
    dq.schedule('a', 100);
    dq.schedule('b', 500);
    dq.cancel('a');
    jest.advanceTimersByTime(100);
    expect(fired).toEqual([]);
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(400);
    expect(fired).toEqual(['b']);
  });

  it('clamps delays beyond setTimeout’s 24.8-day limit instead of firing at once', () => {
    jest.useFakeTimers({ now: 0 });
    const fired: string[] = [];
    const dq = new DelayQueue<string>({ onDue: (k) => fired.push(k) });
    const day = 86_400_000;
    dq.schedule('far', 40 * day);
    jest.advanceTimersByTime(30 * day);
    expect(fired).toEqual([]);
    jest.advanceTimersByTime(10 * day);
    expect(fired).toEqual(['far']);
  });

  it('uses a real unref’d timer (never keeps the process alive)', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const seen: string[] = [];
    const done = new Promise<void>((resolve) => {
      const dq = new DelayQueue<string>({
        onDue: (k) => {
          seen.push(k);
          resolve();
        },
      });
      dq.schedule('a', Date.now() + 20);
      dq.schedule('b', Date.now() + 3_600_000);
      const after = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
      expect(after).toBe(before);
    });
    await done;
    expect(seen).toEqual(['a']);
  });
});

describe('ManualClock', () => {
  it('advances and sets', () => {
    const c = new ManualClock(5);
    expect(c.now()).toBe(5);
    expect(c.advance(10)).toBe(15);
    c.set(3);
    const { now } = c;
    expect(now()).toBe(3);
  });
});
