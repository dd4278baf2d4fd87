import { describe, expect, it } from '@jest/globals';
import { mergePatchOf } from './merge-patch.js';

describe('mergePatchOf', () => {
  it('is undefined for equal values, whatever the key order', () => {
    expect(mergePatchOf({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).toBeUndefined();
  });

  it('sends changed and new keys, nulls for keys that go, and recurses into objects only', () => {
    expect(
      mergePatchOf(
        { keep: 1, change: 'x', gone: true, nested: { a: 1, b: 2 }, list: [1, 2] },
        { keep: 1, change: 'y', added: 'z', nested: { a: 1 }, list: [2] },
      ),
    ).toEqual({ change: 'y', gone: null, added: 'z', nested: { b: null }, list: [2] });
  });

  it('replaces a non-object whole, and treats undefined as absent', () => {
    expect(mergePatchOf([1], { a: 1 })).toEqual({ a: 1 });
    expect(mergePatchOf({ a: 1 }, 'x')).toBe('x');
    expect(mergePatchOf({ a: 1, b: undefined }, { a: 1 })).toBeUndefined();
    expect(mergePatchOf({ a: { b: 1 } }, { a: undefined })).toEqual({ a: null });
  });
});
