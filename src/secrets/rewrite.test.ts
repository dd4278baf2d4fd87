import { describe, expect, it } from '@jest/globals';
import { SecretDataError } from './errors.js';
import { applyRewrites, replaceAllGo } from './rewrite.js';

const v = new Uint8Array([1]);

describe('replaceAllGo (Go ReplaceAllString semantics)', () => {
  it('does not match the empty string after a full match', () => {
    expect(replaceAllGo('password', /(.*)/gu, 'DB_$1')).toBe('DB_password');
  });
  it('expands ${1}, named groups and $$', () => {
    expect(replaceAllGo('db-user', /^db-(?<rest>.*)$/gu, 'x_${1}')).toBe('x_user');
    expect(replaceAllGo('db-user', /^db-(?<rest>.*)$/gu, '${rest}')).toBe('user');
    expect(replaceAllGo('a', /a/gu, '$$1')).toBe('$1');
  });
  it('expands $name as the longest identifier, unknown groups to empty', () => {
    expect(replaceAllGo('key', /(k)ey/gu, '$1x')).toBe('');
    expect(replaceAllGo('key', /(k)ey/gu, '${1}x')).toBe('kx');
  });
  it('replaces every non-overlapping match', () => {
    expect(replaceAllGo('a/b/c', /\//gu, '_')).toBe('a_b_c');
    expect(replaceAllGo('abc', /x*/gu, '-')).toBe('-a-b-c-');
  });
});

describe('applyRewrites', () => {
  it('applies rewrites in order', () => {
    const out = applyRewrites({ 'path/to/key': v }, [
      { regexp: { source: '/', target: '_' } },
      { regexp: { source: '^path_', target: 'P_' } },
    ]);
    expect(Object.keys(out)).toEqual(['P_to_key']);
  });
  it('accepts Go named groups (?P<name>…)', () => {
    expect(
      Object.keys(
        applyRewrites({ 'app-db': v }, [{ regexp: { source: '^app-(?P<n>.*)$', target: '${n}' } }]),
      ),
    ).toEqual(['db']);
  });
  it('reports an invalid pattern by name', () => {
    expect(() => applyRewrites({ a: v }, [{ regexp: { source: '(', target: '' } }])).toThrow(SecretDataError);
    expect(() => applyRewrites({ a: v }, [{ regexp: { source: '(', target: '' } }])).toThrow(
      'rewrite[0].regexp.source "(" is not a valid regular expression',
    );
  });
});
