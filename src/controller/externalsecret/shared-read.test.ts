// The reconciler's choice of how fresh a cached provider read must be.

import { describe, expect, it } from '@jest/globals';
import { WHY_NEVER_SYNCED, WHY_SPEC_CHANGED, sharedReadAge } from './reconcile.js';

describe('sharedReadAge', () => {
  it('asks for fresh data on spec or annotation changes and bounds reuse by the interval', () => {
    expect(sharedReadAge(WHY_SPEC_CHANGED, 3600_000)).toBe(0);
    expect(sharedReadAge('refresh due', 0)).toBe(0);
    expect(sharedReadAge('refresh due', 60_000)).toBe(60_000);
    expect(sharedReadAge('refresh due', 3600_000)).toBe(5 * 60_000);
    expect(sharedReadAge(WHY_NEVER_SYNCED, 3600_000)).toBe(10_000);
    expect(sharedReadAge(WHY_NEVER_SYNCED, 1_000)).toBe(1_000);
  });
});
