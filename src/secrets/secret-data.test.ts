import { describe, expect, it } from '@jest/globals';
import { hashSecretData, validSecretKey } from './secret-data.js';

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
