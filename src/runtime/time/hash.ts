// A stable, cheap 32-bit string hash, shared by what must spread keys evenly and the same way in
// every process: the refresh jitter of each object (runtime/schedule.ts) and the shard ring
// (kube/shards.ts). It lives in the lowest layer both can import.

/** FNV-1a, 32 bits, then murmur3's finalizer so neighbouring names spread apart. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}

/** murmur3's 32-bit finalizer: every input bit moves about half of the output bits. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
