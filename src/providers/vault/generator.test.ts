import { describe, expect, it } from '@jest/globals';
import { leaseOf, validateVaultDynamicSecret, valuesOf } from './generator.js';

const dec = (m: Record<string, Uint8Array>) =>
  Object.fromEntries(Object.entries(m).map(([k, v]) => [k, new TextDecoder().decode(v)]));

const provider = { server: 'https://vault:8200', auth: { tokenSecretRef: { name: 't', key: 'token' } } };

describe('VaultDynamicSecret', () => {
  it('validates the spec with messages naming its own fields', () => {
    expect(validateVaultDynamicSecret({ provider, path: 'database/creds/app' })).toBeUndefined();
    expect(validateVaultDynamicSecret({ provider })).toBe('spec.path must be set');
    expect(validateVaultDynamicSecret({ provider, path: 'x', method: 'PATCH' })).toMatch(/spec.method/);
    expect(validateVaultDynamicSecret({ provider: { server: 'vault' }, path: 'x' })).toMatch(
      /^spec\.provider\.server/,
    );
    expect(
      validateVaultDynamicSecret({ provider, path: 'x', retrySettings: { retryInterval: 'soon' } }),
    ).toMatch(/retryInterval/);
  });

  it('keeps strings and JSON-encodes everything else', () => {
    expect(dec(valuesOf({ username: 'u', ttl: 60, chain: ['a', 'b'], nested: { x: 1 } }))).toEqual({
      username: 'u',
      ttl: '60',
      chain: '["a","b"]',
      nested: '{"x":1}',
    });
  });

  it('takes the lease from lease_id, or a certificate expiration without one', () => {
    const now = 1_000_000;
    expect(leaseOf({ lease_id: 'db/creds/a/1', lease_duration: 60, renewable: true }, now)).toEqual({
      leaseID: 'db/creds/a/1',
      leaseDuration: 60,
      renewable: true,
      expireAt: now + 60_000,
    });
    expect(leaseOf({ data: { expiration: 1030 } }, now)).toEqual({
      leaseID: '',
      leaseDuration: 30,
      renewable: false,
      expireAt: 1_030_000,
    });
    // A KV read carries a lease_duration but no lease: nothing to manage.
    expect(leaseOf({ lease_duration: 2764800, data: { a: 'b' } }, now)).toBeUndefined();
  });
});
