import { describe, expect, it } from '@jest/globals';
import { RetryPolicy } from './retry.js';

const limits = { maxRetries: 10, maxRetryAfterSeconds: 10 };
/** random() = 0 gives the nominal delay (no jitter); just below 1 the shortest one. */
const longest = new RetryPolicy(limits, () => 0);
const shortest = new RetryPolicy(limits, () => 0.999999);
const netError = (code: string) => Object.assign(new Error('fetch failed'), { cause: { code } });

describe('RetryPolicy.afterNoAnswer', () => {
  it('backs off from 200 ms, doubling, at most 5 s, jitter taking off up to a fifth', () => {
    const refused = netError('ECONNREFUSED');
    const at = (p: RetryPolicy) => [0, 1, 2, 3, 4, 5, 6].map((n) => p.afterNoAnswer(refused, false, n));
    expect(at(longest)).toEqual([200, 400, 800, 1600, 3200, 5000, 5000]);
    expect(at(shortest)).toEqual([160, 320, 640, 1280, 2560, 4000, 4000]);
  });

  it('repeats an unsent request for any verb, a broken one only when idempotent', () => {
    expect(longest.afterNoAnswer(netError('ENOTFOUND'), false, 0)).toBe(200);
    expect(longest.afterNoAnswer(netError('ECONNRESET'), true, 0)).toBe(200);
    expect(longest.afterNoAnswer(netError('ECONNRESET'), false, 0)).toBeUndefined();
    expect(longest.afterNoAnswer(new Error('no code'), true, 0)).toBeUndefined();
  });

  it('gives up after maxRetries', () => {
    const p = new RetryPolicy({ maxRetries: 2, maxRetryAfterSeconds: 10 }, () => 0);
    expect(p.afterNoAnswer(netError('ECONNREFUSED'), true, 1)).toBe(400);
    expect(p.afterNoAnswer(netError('ECONNREFUSED'), true, 2)).toBeUndefined();
  });
});

describe('RetryPolicy.afterStatus', () => {
  it('retries 429 for every verb: with the backoff, or no sooner than its Retry-After', () => {
    expect(longest.afterStatus(429, undefined, false, 2)).toBe(800);
    expect(shortest.afterStatus(429, undefined, false, 2)).toBe(640);
    expect(longest.afterStatus(429, 3, false, 0)).toBe(3750);
    expect(shortest.afterStatus(429, 3, false, 0)).toBe(3000);
    // Retry-After 0 still waits a little.
    expect(longest.afterStatus(429, 0, false, 0)).toBe(125);
    expect(shortest.afterStatus(429, 0, false, 0)).toBe(100);
  });

  it('never waits less than the server asked, whatever the jitter draws', () => {
    const real = new RetryPolicy(limits);
    for (const seconds of [0.0015, 0.5, 1.2344, 3, 9.999]) {
      for (let i = 0; i < 200; i++) {
        const floor = Math.max(seconds * 1000, 100);
        const wait = real.afterStatus(503, seconds, true, 0)!;
        expect(wait).toBeGreaterThanOrEqual(floor);
        // At most a quarter above, give or take the rounding to whole milliseconds.
        expect(wait).toBeLessThanOrEqual(Math.ceil(Math.ceil(floor) * 1.25));
      }
    }
  });

  it('does not wait for a Retry-After longer than allowed', () => {
    expect(longest.afterStatus(429, 11, true, 0)).toBeUndefined();
    expect(longest.afterStatus(503, 11, true, 0)).toBeUndefined();
  });

  it('retries 5xx only for idempotent verbs: 502-504 with the backoff, any 5xx with Retry-After', () => {
    for (const s of [502, 503, 504]) expect(longest.afterStatus(s, undefined, true, 1)).toBe(400);
    expect(longest.afterStatus(503, undefined, false, 1)).toBeUndefined();
    expect(longest.afterStatus(500, undefined, true, 0)).toBeUndefined();
    expect(shortest.afterStatus(500, 2, true, 0)).toBe(2000);
    expect(longest.afterStatus(500, 2, false, 0)).toBeUndefined();
  });

  it('never retries other answers, and gives up after maxRetries', () => {
    for (const s of [400, 401, 403, 404, 409, 422])
      expect(longest.afterStatus(s, undefined, true, 0)).toBeUndefined();
    const p = new RetryPolicy({ maxRetries: 1, maxRetryAfterSeconds: 10 }, () => 0);
    expect(p.afterStatus(503, undefined, true, 1)).toBeUndefined();
  });
});
