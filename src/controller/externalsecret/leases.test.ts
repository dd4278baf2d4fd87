import { describe, expect, it } from '@jest/globals';
import type { GeneratorLease } from '../../api/types.js';
import { ProviderError } from '../../providers/errors.js';
import type { GeneratorAccess } from '../generator/access.js';
import { maintainLeases, planLeases } from './leases.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function lease(over: Partial<GeneratorLease> = {}): GeneratorLease {
  return {
    source: 'dataFrom[0]',
    kind: 'VaultDynamicSecret',
    name: 'db',
    leaseID: 'database/creds/app/abc',
    leaseDuration: 60,
    renewable: true,
    issueTime: iso(T0),
    expireTime: iso(T0 + 60_000),
    ...over,
  };
}

function access(renew: GeneratorAccess['renew']): GeneratorAccess & { calls: GeneratorLease[] } {
  const calls: GeneratorLease[] = [];
  return {
    calls,
    generate: async () => {
      throw new Error('not here');
    },
    renew: async (ns, l) => {
      calls.push(l);
      return renew(ns, l);
    },
    revoke: async () => undefined,
  };
}

describe('planLeases', () => {
  it('waits until 2/3 of the grant, then renews', () => {
    expect(planLeases([lease()], T0 + 10_000)).toEqual({ renew: [], nextAt: T0 + 40_000 });
    expect(planLeases([lease()], T0 + 40_000).renew).toHaveLength(1);
  });

  it('counts 2/3 from the last renewal', () => {
    const l = lease({ renewTime: iso(T0 + 40_000), expireTime: iso(T0 + 100_000) });
    expect(planLeases([l], T0 + 50_000).nextAt).toBe(T0 + 80_000);
  });

  it('re-issues results without a renewable lease (PKI) at 2/3 of their lifetime', () => {
    const cert = lease({ leaseID: '', renewable: false, leaseDuration: 30, expireTime: iso(T0 + 30_000) });
    expect(planLeases([cert], T0 + 19_000)).toEqual({ renew: [], nextAt: T0 + 20_000 });
    expect(planLeases([cert], T0 + 20_000).rotate).toMatch(/cannot be renewed/);
  });

  it('re-issues at once when a renewal was capped (max TTL near) or the lease expired', () => {
    const capped = lease({ renewTime: iso(T0 + 40_000), expireTime: iso(T0 + 50_000) });
    expect(planLeases([capped], T0 + 41_000).rotate).toMatch(/max TTL/);
    expect(planLeases([lease()], T0 + 59_500).rotate).toMatch(/expired/);
    expect(planLeases([lease({ expireTime: 'garbage' })], T0).rotate).toMatch(/unreadable/);
  });
});

describe('maintainLeases', () => {
  it('renews what is due, asking for the original TTL, and records the new expiry', async () => {
    const a = access(async () => ({ leaseDuration: 60, renewable: true }));
    const step = await maintainLeases([lease()], 'ns', a, () => T0 + 45_000);
    expect(a.calls).toHaveLength(1);
    expect(step).toEqual({
      kind: 'keep',
      renewed: 1,
      leases: [lease({ renewTime: iso(T0 + 45_000), expireTime: iso(T0 + 105_000) })],
      nextAt: T0 + 85_000,
    });
  });

  it('does nothing before 2/3 (an operator restart mid-lease issues and renews nothing)', async () => {
    const a = access(async () => ({ leaseDuration: 60, renewable: true }));
    const step = await maintainLeases([lease()], 'ns', a, () => T0 + 5_000);
    expect(a.calls).toEqual([]);
    expect(step).toMatchObject({ kind: 'keep', renewed: 0, nextAt: T0 + 40_000 });
  });

  it('rotates when the renewal grants less than asked (max TTL)', async () => {
    const a = access(async () => ({ leaseDuration: 12, renewable: true }));
    const step = await maintainLeases([lease()], 'ns', a, () => T0 + 45_000);
    expect(step).toMatchObject({ kind: 'rotate', why: expect.stringMatching(/max TTL/) });
  });

  it('rotates when Vault no longer knows the lease; reports a transient failure', async () => {
    const gone = access(async () => {
      throw new ProviderError('InvalidRequest', 'Vault answered 400 for sys/leases/renew: lease not found');
    });
    expect(await maintainLeases([lease()], 'ns', gone, () => T0 + 45_000)).toMatchObject({ kind: 'rotate' });
    const down = access(async () => {
      throw new ProviderError('Unavailable', 'Vault is sealed');
    });
    expect(await maintainLeases([lease()], 'ns', down, () => T0 + 45_000)).toEqual({
      kind: 'error',
      message: 'renewing the lease of dataFrom[0] (VaultDynamicSecret "db") failed: Vault is sealed',
      nextAt: T0 + 59_000,
    });
  });
});
