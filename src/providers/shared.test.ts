import { describe, expect, it } from '@jest/globals';
import type { SecretKeySelector } from '../api/types.js';
import { ProviderError } from './errors.js';
import { credentialScope, findNameMatcher, matchesTags } from './shared.js';
import type { StoreInfo } from './types.js';

describe('findNameMatcher', () => {
  it('matches names against find.name.regexp, unanchored as in ESO', () => {
    const m = findNameMatcher({ name: { regexp: '^app-' } });
    expect(['app-a', 'my-app-b', 'app'].map(m)).toEqual([true, false, false]);
    expect(findNameMatcher({ name: { regexp: 'db' } })('prod-db-1')).toBe(true);
  });

  it('matches everything without a regexp or with an empty one', () => {
    for (const find of [{}, { name: {} }, { name: { regexp: '' } }, { tags: { a: 'b' } }])
      expect(findNameMatcher(find)('anything')).toBe(true);
  });

  it('rejects a pattern that does not compile, naming the field and the reason', () => {
    let err: unknown;
    try {
      findNameMatcher({ name: { regexp: 'a(b' } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({
      reason: 'InvalidRequest',
      message: 'could not compile find.name.regexp: error parsing regexp: missing closing ): `a(b`',
    });
  });

  it('takes Go syntax: named groups as Go writes them, no lookaround', () => {
    expect(findNameMatcher({ name: { regexp: '^(?P<app>app)-' } })('app-x')).toBe(true);
    expect(() => findNameMatcher({ name: { regexp: '(?=x)' } })).toThrow(
      'error parsing regexp: invalid or unsupported Perl syntax: `(?=`',
    );
  });

  it('matches a catastrophic pattern in linear time', () => {
    const t0 = performance.now();
    expect(findNameMatcher({ name: { regexp: '^(a+)+$' } })(`${'a'.repeat(56)}!`)).toBe(false);
    expect(performance.now() - t0).toBeLessThan(4_000); // a backtracker: ~2^56 steps
  });

  it('keeps no state between names (no global flag)', () => {
    const m = findNameMatcher({ name: { regexp: 'x' } });
    expect([m('x'), m('x'), m('x')]).toEqual([true, true, true]);
  });
});

describe('matchesTags', () => {
  it('needs every wanted tag with exactly its value', () => {
    const have = { team: 'a', env: 'prod' };
    expect(matchesTags(have, { team: 'a' })).toBe(true);
    expect(matchesTags(have, { team: 'a', env: 'prod' })).toBe(true);
    expect(matchesTags(have, { team: 'A' })).toBe(false);
    expect(matchesTags(have, { team: 'a', owner: 'x' })).toBe(false);
  });

  it('matches anything when no tags are wanted, and nothing untagged otherwise', () => {
    expect(matchesTags(undefined, undefined)).toBe(true);
    expect(matchesTags(undefined, {})).toBe(true);
    expect(matchesTags(undefined, { team: 'a' })).toBe(false);
    expect(matchesTags({}, { team: 'a' })).toBe(false);
  });

  it('compares values strictly and ignores inherited properties', () => {
    expect(matchesTags({ n: 1 }, { n: '1' })).toBe(false);
    expect(matchesTags({}, { constructor: 'x', toString: 'y' })).toBe(false);
  });
});

describe('credentialScope', () => {
  const store = (kind: StoreInfo['kind']): StoreInfo => ({
    kind,
    name: 's',
    ...(kind === 'SecretStore' ? { namespace: 'own' } : {}),
    requesterNamespace: 'team-a',
    provider: {},
  });
  const relative: SecretKeySelector = { name: 'k', key: 'v' };

  it('is the requester namespace when a ClusterSecretStore credential names no namespace', () => {
    expect(credentialScope(store('ClusterSecretStore'), [{ namespace: 'ops' }, relative])).toBe('team-a');
    expect(credentialScope(store('ClusterSecretStore'), [{ namespace: '' }])).toBe('team-a');
  });

  it('is empty when every credential names its namespace, or there are none', () => {
    expect(credentialScope(store('ClusterSecretStore'), [{ namespace: 'ops' }, undefined])).toBe('');
    expect(credentialScope(store('ClusterSecretStore'), [])).toBe('');
  });

  it('is empty for a SecretStore, whose credentials always live in its own namespace', () => {
    expect(credentialScope(store('SecretStore'), [relative])).toBe('');
  });
});
