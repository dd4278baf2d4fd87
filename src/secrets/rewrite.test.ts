import { describe, expect, it } from '@jest/globals';
import { SecretDataError } from './errors.js';
import { applyRewrites } from './rewrite.js';

const v = new Uint8Array([1]);

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
  it('expands targets as Go ReplaceAllString: ${1}, $name as the longest identifier, $$', () => {
    const keys = (source: string, target: string, key: string) =>
      Object.keys(applyRewrites({ [key]: v }, [{ regexp: { source, target } }]));
    expect(keys('(.*)', 'DB_$1', 'password')).toEqual(['DB_password']);
    expect(keys('^db-(?P<rest>.*)$', 'x_${1}', 'db-user')).toEqual(['x_user']);
    expect(keys('(k)ey', '$1x', 'key')).toEqual(['']);
    expect(keys('a', '$$1', 'a')).toEqual(['$1']);
    expect(keys('x*', '-', 'abc')).toEqual(['-a-b-c-']);
  });
  it("reports an invalid pattern by field, with Go's message", () => {
    expect(() => applyRewrites({ a: v }, [{ regexp: { source: '(', target: '' } }])).toThrow(SecretDataError);
    expect(() => applyRewrites({ a: v }, [{ regexp: { source: '(', target: '' } }])).toThrow(
      'rewrite[0].regexp.source: error parsing regexp: missing closing ): `(`',
    );
    expect(() => applyRewrites({ a: v }, [{ regexp: { source: '(?<!x)a', target: '' } }])).toThrow(
      'rewrite[0].regexp.source: error parsing regexp: invalid named capture: `(?<!x)a`',
    );
  });
  it('runs a catastrophic pattern in linear time', () => {
    const t0 = performance.now();
    const out = applyRewrites({ [`${'a'.repeat(56)}!`]: v }, [
      { regexp: { source: '^(a+)+$', target: 'x' } },
    ]);
    expect(Object.keys(out)).toEqual([`${'a'.repeat(56)}!`]);
    expect(performance.now() - t0).toBeLessThan(4_000); // a backtracker: ~2^56 steps
  });
});
