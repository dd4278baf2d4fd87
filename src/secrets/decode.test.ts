import { describe, expect, it } from '@jest/globals';
import { checkNullBytes, convertKey, decode } from './decode.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const ctx = { key: 'k' };

describe('decode', () => {
  it('None leaves bytes alone', () => {
    expect(dec(decode(enc('aGk='), 'None', ctx))).toBe('aGk=');
    expect(dec(decode(enc('aGk='), undefined, ctx))).toBe('aGk=');
  });
  it('Base64 and Base64URL are strict', () => {
    expect(dec(decode(enc('aGVsbG8='), 'Base64', ctx))).toBe('hello');
    expect(() => decode(enc('aGVsbG8'), 'Base64', ctx)).toThrow('not valid base64');
    expect(() => decode(enc('not base64!'), 'Base64', ctx)).toThrow('decodingStrategy Base64');
    expect(dec(decode(enc('-_8='), 'Base64URL', ctx))).toBe(
      dec(new Uint8Array(Buffer.from('-_8=', 'base64url'))),
    );
    expect(() => decode(enc('+/8='), 'Base64URL', ctx)).toThrow('not valid base64url');
  });
  it('ignores line breaks like Go does', () => {
    expect(dec(decode(enc('aGVs\nbG8='), 'Base64', ctx))).toBe('hello');
  });
  it('Auto decodes what it can and keeps the rest', () => {
    expect(dec(decode(enc('aGVsbG8='), 'Auto', ctx))).toBe('hello');
    expect(dec(decode(enc('plain text'), 'Auto', ctx))).toBe('plain text');
  });
});

describe('convertKey', () => {
  it('Default replaces what a Secret key cannot hold with _', () => {
    expect(convertKey('path/to key:x', 'Default')).toBe('path_to_key_x');
    expect(convertKey('ok-key_1.x', undefined)).toBe('ok-key_1.x');
  });
  it('Unicode encodes the code point', () => {
    expect(convertKey('a/b', 'Unicode')).toBe('a_U002f_b');
    expect(convertKey('a b', 'Unicode')).toBe('a_U0020_b');
  });
});

describe('checkNullBytes', () => {
  it('fails only with policy Fail', () => {
    expect(() => checkNullBytes(new Uint8Array([1, 0]), 'Fail', ctx)).toThrow('NUL byte');
    expect(() => checkNullBytes(new Uint8Array([1, 0]), 'Ignore', ctx)).not.toThrow();
    expect(() => checkNullBytes(new Uint8Array([1, 2]), 'Fail', ctx)).not.toThrow();
  });
});
