import { describe, expect, it } from '@jest/globals';
import { TokenBucket } from './ratelimit.js';

describe('TokenBucket', () => {
  it('serves the burst first, then qps, with reservations', () => {
    let now = 0;
    const b = new TokenBucket(10, 2, () => now);
    expect([b.reserve(), b.reserve(), b.reserve(), b.reserve()]).toEqual([0, 0, 100, 200]);
    now = 1000; // refilled (capped at burst)
    expect(b.reserve()).toBe(0);
    expect(new TokenBucket(0, 1).reserve()).toBe(0);
  });

  it('takes a token only when one is there, and says when it will be', () => {
    let now = 0;
    const b = new TokenBucket(1, 2, () => now);
    expect([b.tryTake(), b.tryTake(), b.tryTake(), b.tryTake()]).toEqual([0, 0, 1000, 1000]);
    expect(b.idle).toBe(false);
    now = 1000;
    expect(b.tryTake()).toBe(0);
    now = 3000; // refilled, capped at the burst
    expect(b.idle).toBe(true);
    expect(new TokenBucket(0, 1).tryTake()).toBe(0);
  });

  it('gives an aborted reservation back', async () => {
    const b = new TokenBucket(10, 1, () => 0);
    expect(b.reserve()).toBe(0);
    const ac = new AbortController();
    const p = b.acquire(ac.signal); // waits 100 ms for its token
    ac.abort(new Error('gave up'));
    await expect(p).rejects.toThrow('gave up');
    // Had the token stayed reserved, the next caller would wait 200 ms.
    expect(b.reserve()).toBe(100);
  });
});
