import { describe, expect, it } from '@jest/globals';
import { hashSecretBytes, hashSecretData, validSecretKey } from './secret-data.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('hashSecretData and validSecretKey', () => {
  it('hashes independent of key order and sensitive to values and key boundaries', () => {
    expect(hashSecretData({ a: 'x', b: 'y' })).toBe(hashSecretData({ b: 'y', a: 'x' }));
    expect(hashSecretData({ a: 'eA==' })).not.toBe(hashSecretData({ a: 'eQ==' }));
    expect(hashSecretData({ ab: 'Yw==' })).not.toBe(hashSecretData({ a: 'YmM=' }));
  });
  it('accepts Kubernetes Secret keys only', () => {
    for (const k of ['a', 'A-b_c.d', '.dot']) expect(validSecretKey(k)).toBe(true);
    for (const k of ['', '.', '..', 'a/b', 'a b', 'x'.repeat(254)]) expect(validSecretKey(k)).toBe(false);
  });
});

describe('ESO compatibility of the data hash', () => {
  it("hashes data as ESO's ObjectHash: sha3-224 of Go's %+v of map[string][]byte", () => {
    // fmt renders map[string][]byte{"a": "hi", "b": {}} as `map[a:[104 105] b:[]]`.
    const want = '7ea3465c6776a2d21a7c6afaa765c3abc9e38a7cb9b4d770456f0b89';
    expect(hashSecretData({ b: '', a: 'aGk=' })).toBe(want);
    expect(hashSecretBytes({ a: enc('hi'), b: new Uint8Array(0) })).toBe(want);
    expect(hashSecretBytes({})).toBe('74a974446e359fb3e6baff9bd0058950e6edd0f040888d9989b0a11b');
    const big = new Uint8Array(40_000).fill(255);
    expect(hashSecretBytes({ k: big })).toBe(hashSecretData({ k: Buffer.from(big).toString('base64') }));
  });
});
