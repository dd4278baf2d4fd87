import { describe, expect, it } from '@jest/globals';
import { eachLimited } from './limited.js';

describe('eachLimited', () => {
  it('runs every item with at most `limit` in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const done: number[] = [];
    await eachLimited([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      done.push(n);
    });
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(most).toBe(3);
  });

  it('resolves at once for no items', async () => {
    await expect(eachLimited([], 8, async () => undefined)).resolves.toBeUndefined();
  });
});
