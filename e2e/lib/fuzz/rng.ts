// A small seeded PRNG (xorshift32 over a scrambled seed) for the fuzz suite: the same seed gives
// the same manifests on any machine, and each case draws from its own stream, so case i of a
// seed is the same whether all cases run or only a few (SYNCRET_FUZZ_CASES).

/** The seed a run uses unless SYNCRET_FUZZ_SEED names another. */
export const DEFAULT_FUZZ_SEED = 0x5eed2026;

/** SYNCRET_FUZZ_SEED (decimal or 0x-hex), else the default. */
export function fuzzSeed(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.SYNCRET_FUZZ_SEED?.trim();
  if (!raw) return DEFAULT_FUZZ_SEED;
  const n = /^0x[0-9a-f]+$/i.test(raw) ? Number.parseInt(raw.slice(2), 16) : Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff)
    throw new Error(`SYNCRET_FUZZ_SEED must be an integer in [0, 2^32) (got ${JSON.stringify(raw)})`);
  return n;
}

/** Finalises 32 bits so that nearby seeds (1, 2, 3, ...) start far apart. */
function scramble(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

export class Rng {
  private state: number;

  constructor(seed: number) {
    // xorshift has one fixed point, 0.
    this.state = scramble(seed) || 0x6d2b79f5;
  }

  /** The stream of case `index` of a run with `seed`. */
  static forCase(seed: number, index: number): Rng {
    return new Rng(scramble(seed) ^ Math.imul(index + 1, 0x9e3779b1));
  }

  u32(): number {
    let x = this.state;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.state = x;
    return x;
  }

  /** In [0, 1). */
  float(): number {
    return this.u32() / 2 ** 32;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new Error('pick from an empty list');
    return xs[this.int(xs.length)]!;
  }

  /** One of the entries, each as likely as its weight. */
  weighted<T>(entries: readonly (readonly [T, number])[]): T {
    const total = entries.reduce((s, [, w]) => s + w, 0);
    let r = this.float() * total;
    for (const [v, w] of entries) {
      r -= w;
      if (r < 0) return v;
    }
    return entries[entries.length - 1]![0];
  }

  /** `n` characters drawn from `alphabet`. */
  text(n: number, alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'): string {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[this.int(alphabet.length)];
    return s;
  }
}
