// The randomness of the local generators, injectable so tests can be deterministic.

import { getRandomValues } from 'node:crypto';

export interface RandomSource {
  /** A uniform integer in [0, n), 0 < n <= 2^32. */
  int(n: number): number;
  /** `n` random bytes. */
  bytes(n: number): Uint8Array;
}

const BATCH = 256;

/** The operating system's CSPRNG, read in batches; integers by rejection (no modulo bias). */
export function cryptoRandom(): RandomSource {
  const buf = new Uint32Array(BATCH);
  let at = BATCH;
  const next = (): number => {
    if (at === BATCH) {
      getRandomValues(buf);
      at = 0;
    }
    return buf[at++]!;
  };
  return {
    int(n: number): number {
      if (!Number.isInteger(n) || n <= 0 || n > 2 ** 32) throw new RangeError(`random range ${n}`);
      const limit = 2 ** 32 - (2 ** 32 % n);
      for (;;) {
        const v = next();
        if (v < limit) return v % n;
      }
    },
    bytes: (n) => getRandomValues(new Uint8Array(n)),
  };
}
