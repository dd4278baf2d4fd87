import { describe, expect, it } from '@jest/globals';
import { BUCKETS, Ring, bucketOf, ownerOf, shardName, withoutShardKeys } from './shards.js';

const namespaces = Array.from({ length: 3000 }, (_, i) => `tenant-${i}`);
const share = (members: string[]) => {
  const n = new Map<string, number>();
  for (const ns of namespaces) {
    const o = ownerOf(ns, members) ?? '';
    n.set(o, (n.get(o) ?? 0) + 1);
  }
  return n;
};

describe('the shard ring', () => {
  it('gives each member about an equal share', () => {
    for (const [m, n] of share(['a', 'b', 'c']))
      expect({ m, n: Math.abs(n - 1000) < 120 }).toEqual({ m, n: true });
  });

  it('moves only the share of a member that leaves, and only to one that joins', () => {
    const before = new Map(namespaces.map((ns) => [ns, ownerOf(ns, ['a', 'b', 'c'])]));
    for (const ns of namespaces) {
      const after = ownerOf(ns, ['a', 'c']);
      if (before.get(ns) !== 'b') expect(after).toBe(before.get(ns));
      const grown = ownerOf(ns, ['a', 'b', 'c', 'd']);
      if (grown !== before.get(ns)) expect(grown).toBe('d');
    }
  });

  it('is the same whatever the members order, and memoizes per epoch', () => {
    const r = new Ring(3, ['c', 'a', 'b', 'a']);
    expect(r.members).toEqual(['a', 'b', 'c']);
    for (const ns of namespaces.slice(0, 50)) expect(r.ownerOf(ns)).toBe(ownerOf(ns, ['b', 'c', 'a']));
    expect(new Ring(1, []).ownerOf('x')).toBeUndefined();
  });

  it('maps a namespace to a fixed bucket, and the buckets to the members without overlap', () => {
    expect(bucketOf('tenant-1')).toMatch(/^[0-9a-f]{3}$/);
    expect(bucketOf('tenant-1')).toBe(bucketOf('tenant-1'));
    const r = new Ring(2, ['a', 'b', 'c']);
    const shares = r.members.map((m) => r.bucketsOf(m));
    const all = shares.flat();
    expect(new Set(all).size).toBe(BUCKETS);
    expect(all).toHaveLength(BUCKETS);
    // Each about a third of 1,024 (the standard deviation is 15).
    for (const s of shares) expect(Math.abs(s.length - BUCKETS / 3)).toBeLessThan(60);
    for (const ns of namespaces.slice(0, 200)) expect(r.bucketsOf(r.ownerOf(ns)!)).toContain(bucketOf(ns));
    expect(new Ring(1, []).bucketsOf('a')).toEqual([]);
  });

  it('names a shard by a valid label value', () => {
    expect(shardName('syncret-7d9f-abcde')).toBe('syncret-7d9f-abcde');
    const odd = shardName('host:with/odd chars_12');
    expect(odd).toMatch(/^r-[0-9a-f]+-[0-9a-f]+$/);
    expect(shardName('host:with/odd chars_12')).toBe(odd);
  });

  it('leaves the sharding keys out of labels and annotations', () => {
    const m = { app: 'x' };
    expect(withoutShardKeys(m)).toBe(m);
    expect(withoutShardKeys({ app: 'x', 'sharding.syncret.io/shard': 'a' })).toEqual({ app: 'x' });
    expect(withoutShardKeys(undefined)).toBeUndefined();
  });
});
