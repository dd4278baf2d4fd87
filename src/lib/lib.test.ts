import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { ProviderError } from '../providers/errors.js';
import type { DependencyRef, Fetched, Source } from '../agent/sources.js';
import { LeasedCredentials } from './credentials.js';
import { SecretDataError, openStore } from './index.js';

const fakeStore = {
  provider: {
    fake: {
      data: [
        { key: 'db', value: JSON.stringify({ user: 'app', password: 'pw', nested: { port: 5432 } }) },
        { key: 'token', value: 'plain-token' },
        { key: 'token', value: 'older-token', version: 'v1' },
      ],
    },
  },
};

describe('openStore on a store block', () => {
  it('reads a whole value, a property (nested too), a version, and a whole secret as a map', async () => {
    const store = await openStore(fakeStore);
    expect(store.provider).toBe('fake');
    expect(await store.get('token')).toBe('plain-token');
    expect(await store.get('token', { version: 'v1' })).toBe('older-token');
    expect(await store.get('db', { property: 'password' })).toBe('pw');
    expect(await store.get('db', { property: 'nested.port' })).toBe('5432');
    expect(new TextDecoder().decode(await store.getBytes('db', { property: 'user' }))).toBe('app');
    expect(await store.getSecret('db')).toEqual({ user: 'app', password: 'pw', nested: '{"port":5432}' });
    await store.close();
    await expect(store.get('token')).rejects.toThrow('the store is closed');
  });

  it('takes a SecretStore manifest', async () => {
    const store = await openStore({
      kind: 'ClusterSecretStore',
      metadata: { name: 'shared' },
      spec: fakeStore,
    });
    expect(await store.get('token')).toBe('plain-token');
    await store.close();
  });

  it('fails with typed errors that name keys, never values', async () => {
    const store = await openStore(fakeStore);
    const missing = await store.get('db', { property: 'nope' }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(SecretDataError);
    expect(String(missing)).toMatch(/property "nope" not found in remote key "db"/);
    expect(String(missing)).not.toMatch(/pw/);
    await expect(store.get('absent')).rejects.toBeInstanceOf(ProviderError);
    await expect(store.credentials('database/creds/app')).rejects.toThrow(
      /dynamic credentials need a Vault or OpenBao store, not fake/,
    );
    await store.close();
  });

  it('checks the provider block as the operator does, before any connection', async () => {
    await expect(openStore({ provider: {} })).rejects.toThrow(/exactly one provider; none is set/);
    await expect(
      openStore({
        provider: {
          vault: { server: 'http://127.0.0.1:1', auth: { tokenSecretRef: { name: 'v', key: 't' } } },
        },
      }),
    ).rejects.toThrow(/http:\/\//);
  });
});

/** A Vault-like source of leased credentials; each fetch issues a new lease. */
class Leases implements Source {
  readonly describe = 'fake vault';
  issued = 0;
  renewals: string[] = [];
  revoked: string[] = [];
  /** What renew grants, in seconds. */
  grant = 60;
  failRenew = false;
  async fetch(_ref: DependencyRef, now: number): Promise<Fetched> {
    const n = ++this.issued;
    return {
      secret: {
        RequestID: '',
        LeaseID: `db/creds/app/${n}`,
        LeaseDuration: 60,
        Renewable: true,
        Data: { username: `u${n}`, password: `p${n}` },
        Warnings: [],
      },
      lease: { id: `db/creds/app/${n}`, durationS: 60, renewable: true },
      expiresAt: now + 60_000,
    };
  }
  async renew(id: string): Promise<{ durationS: number; renewable: boolean }> {
    if (this.failRenew) throw new ProviderError('Unavailable', 'Vault did not answer');
    this.renewals.push(id);
    return { durationS: this.grant, renewable: true };
  }
  async revoke(id: string): Promise<void> {
    this.revoked.push(id);
  }
  async close(): Promise<void> {}
}

describe('dynamic credentials', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('renews at 2/3 of the lease, rotates when Vault extends it too little, and revokes every lease on release', async () => {
    const src = new Leases();
    const renewed: string[] = [];
    const rotated: string[] = [];
    let released = 0;
    const c = await LeasedCredentials.open(
      src,
      'db/creds/app',
      {
        onRenew: (l) => renewed.push(`${l.leaseId}@${l.expiresAt.getTime()}`),
        onRotate: (x) => rotated.push(x.data.username!),
      },
      () => released++,
    );
    expect(c.data).toEqual({ username: 'u1', password: 'p1' });
    expect(c.leaseId).toBe('db/creds/app/1');
    expect(c.expiresAt.getTime()).toBe(1_060_000);

    await jest.advanceTimersByTimeAsync(39_999);
    expect(src.renewals).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(src.renewals).toEqual(['db/creds/app/1']);
    expect(renewed).toEqual(['db/creds/app/1@1100000']);

    // Its max TTL is near: 20 s of the 60 asked for. New credentials replace it.
    src.grant = 20;
    await jest.advanceTimersByTimeAsync(40_000);
    expect(rotated).toEqual(['u2']);
    expect(c.data.username).toBe('u2');
    expect(c.leaseId).toBe('db/creds/app/2');

    await c.release();
    expect(src.revoked.sort()).toEqual(['db/creds/app/1', 'db/creds/app/2']);
    expect(released).toBe(1);
    await jest.advanceTimersByTimeAsync(600_000);
    expect(src.issued).toBe(2);
  });

  it('reports a failed rotation and retries it with backoff until it succeeds', async () => {
    const src = new Leases();
    const errors: string[] = [];
    const c = await LeasedCredentials.open(
      src,
      'db/creds/app',
      { onError: (e) => errors.push(e.message) },
      () => undefined,
    );
    src.failRenew = true;
    const fetch = src.fetch.bind(src);
    let down = true;
    src.fetch = async (ref, now) => {
      if (down) throw new ProviderError('Unavailable', 'Vault at x did not answer');
      return fetch(ref, now);
    };
    await jest.advanceTimersByTimeAsync(40_000);
    expect(errors).toEqual(['Vault at x did not answer']);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(errors.length).toBe(2);
    down = false;
    await jest.advanceTimersByTimeAsync(2_000);
    expect(c.data.username).toBe('u2');
    expect(errors.length).toBe(2);
    await c.release();
  });
});

describe('credentials of a provider block', () => {
  it('come from the options: inline Secret keys, else a clear message', async () => {
    const spec = {
      provider: {
        vault: { server: 'https://127.0.0.1:1', auth: { tokenSecretRef: { name: 'vault', key: 'token' } } },
      },
    };
    await expect(openStore(spec)).rejects.toThrow(
      /Secret "vault" key "token" is not in the options' secrets \(give it there or in secretsDir/,
    );
  });
});
