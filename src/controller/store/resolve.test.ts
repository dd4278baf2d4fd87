import { describe, expect, it } from '@jest/globals';
import type { SecretStore, StoreKind } from '../../api/types.js';
import { invalidNamespaceRegex, matchesSelector, namespaceAllowed, resolveStore } from './resolve.js';
import type { StoreLookup } from './resolve.js';

function world(
  stores: Record<string, SecretStore>,
  labels: Record<string, Record<string, string>> = {},
  cls = '',
): StoreLookup {
  return {
    controllerClass: cls,
    store: (kind: StoreKind, ns: string | undefined, name: string) => stores[`${kind}/${ns ?? ''}/${name}`],
    namespaceLabels: (ns) => labels[ns],
  };
}

const fake = { provider: { fake: { data: [] } } };

describe('namespaceAllowed', () => {
  it('allows every namespace without conditions', () => {
    expect(namespaceAllowed(undefined, 'a', {})).toBe(true);
    expect(namespaceAllowed([], 'a', {})).toBe(true);
  });
  it('matches names, regexes and label selectors; any one condition suffices', () => {
    const conds = [
      { namespaces: ['team-a'] },
      { namespaceRegexes: ['^prod-'] },
      { namespaceSelector: { matchLabels: { tier: 'gold' } } },
    ];
    expect(namespaceAllowed(conds, 'team-a', {})).toBe(true);
    expect(namespaceAllowed(conds, 'prod-x', {})).toBe(true);
    expect(namespaceAllowed(conds, 'other', { tier: 'gold' })).toBe(true);
    expect(namespaceAllowed(conds, 'other', { tier: 'silver' })).toBe(false);
  });
  it('treats an invalid regex as no match instead of throwing', () => {
    expect(namespaceAllowed([{ namespaceRegexes: ['('] }], 'x', {})).toBe(false);
  });
  it('takes Go regexps (unanchored) and runs them in linear time', () => {
    expect(namespaceAllowed([{ namespaceRegexes: ['team-(?P<t>[a-z]+)'] }], 'prod-team-a', {})).toBe(true);
    expect(namespaceAllowed([{ namespaceRegexes: ['(?<!x)a'] }], 'a', {})).toBe(false);
    const t0 = performance.now();
    expect(namespaceAllowed([{ namespaceRegexes: ['^(a+)+$'] }], `${'a'.repeat(56)}!`, {})).toBe(false);
    expect(performance.now() - t0).toBeLessThan(4_000); // a backtracker: ~2^56 steps
  });
  it("names an invalid regex as ESO's webhook would", () => {
    expect(invalidNamespaceRegex([{ namespaces: ['a'] }, { namespaceRegexes: ['^ok$', 'x{1001}'] }])).toBe(
      'failed to compile 1th namespace regex in 1th condition: error parsing regexp: invalid repeat count: `{1001}`',
    );
    expect(invalidNamespaceRegex([{ namespaceRegexes: ['^ok$'] }])).toBeUndefined();
  });
});

describe('matchesSelector', () => {
  it('supports all operators', () => {
    const labels = { a: '1', b: '2' };
    expect(
      matchesSelector(labels, { matchExpressions: [{ key: 'a', operator: 'In', values: ['1', '3'] }] }),
    ).toBe(true);
    expect(
      matchesSelector(labels, { matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['1'] }] }),
    ).toBe(false);
    expect(matchesSelector(labels, { matchExpressions: [{ key: 'c', operator: 'DoesNotExist' }] })).toBe(
      true,
    );
    expect(matchesSelector(labels, { matchExpressions: [{ key: 'c', operator: 'Exists' }] })).toBe(false);
  });
});

describe('resolveStore', () => {
  it('defaults kind to SecretStore in the requester namespace', () => {
    const r = resolveStore(
      { name: 's' },
      'ns1',
      world({ 'SecretStore/ns1/s': { metadata: { name: 's' }, spec: fake } }),
    );
    expect(r.ok).toBe(true);
    if (r.ok)
      expect(r.info).toMatchObject({ kind: 'SecretStore', namespace: 'ns1', requesterNamespace: 'ns1' });
  });
  it('does not see a SecretStore of another namespace', () => {
    const r = resolveStore(
      { name: 's' },
      'ns2',
      world({ 'SecretStore/ns1/s': { metadata: { name: 's' }, spec: fake } }),
    );
    expect(r).toMatchObject({
      ok: false,
      reason: 'StoreNotFound',
      message: 'SecretStore "s" not found in namespace "ns2"',
    });
  });
  it('enforces ClusterSecretStore conditions', () => {
    const css = { metadata: { name: 'c' }, spec: { ...fake, conditions: [{ namespaces: ['ok'] }] } };
    const w = world({ 'ClusterSecretStore//c': css });
    expect(resolveStore({ name: 'c', kind: 'ClusterSecretStore' }, 'ok', w).ok).toBe(true);
    expect(resolveStore({ name: 'c', kind: 'ClusterSecretStore' }, 'nope', w)).toMatchObject({
      ok: false,
      reason: 'StoreNotAllowed',
    });
  });
  it('ignores stores of another controller class', () => {
    const w = world({
      'SecretStore/ns/s': { metadata: { name: 's' }, spec: { ...fake, controller: 'other' } },
    });
    expect(resolveStore({ name: 's' }, 'ns', w)).toMatchObject({ ok: false, reason: 'OtherController' });
  });
  it('reports a missing name', () => {
    expect(resolveStore({}, 'ns', world({}))).toMatchObject({ ok: false, reason: 'InvalidSpec' });
  });
});
