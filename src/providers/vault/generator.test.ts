import { describe, expect, it } from '@jest/globals';
import { ProviderError } from '../errors.js';
import { VaultClient } from './client.js';
import { generateVaultDynamicSecret, leaseOf, validateVaultDynamicSecret, valuesOf } from './generator.js';
import { VaultHttpError, VaultNetworkError } from './http.js';
import type { VaultHttp, VaultRequest } from './http.js';

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

describe('generateVaultDynamicSecret at the HTTP seam', () => {
  function client(answer: (req: VaultRequest, n: number) => unknown): {
    c: VaultClient;
    seen: VaultRequest[];
  } {
    const seen: VaultRequest[] = [];
    const http = {
      server: 'http://vault',
      request: async (req: VaultRequest) => {
        seen.push(req);
        const r = answer(req, seen.length);
        if (r instanceof Error) throw r;
        return r;
      },
      close: async () => undefined,
    } as unknown as VaultHttp;
    const plan = {
      method: 'token' as const,
      describe: 'token',
      login: async () => ({ token: 't', leaseDuration: 0, renewable: false, owned: false }),
    };
    return { c: new VaultClient({ http, plan, spec: provider }), seen };
  }

  it('POSTs the parameters, maps Data/Auth/Raw and unwraps a KV v2 answer', async () => {
    const { c, seen } = client(() => ({
      lease_id: 'pki/issue/web/1',
      lease_duration: 0,
      data: { certificate: 'CERT', expiration: 2_000_000 },
      auth: { client_token: 'tok', lease_duration: 60, renewable: true },
    }));
    const spec = { provider, path: 'pki/issue/web', method: 'POST', parameters: { common_name: 'a' } };
    const out = await generateVaultDynamicSecret(c, spec, 1_000_000_000);
    expect(seen[0]).toMatchObject({ method: 'POST', path: 'pki/issue/web', body: { common_name: 'a' } });
    expect(dec(out.data)).toEqual({ certificate: 'CERT', expiration: '2000000' });
    expect(out.lease).toMatchObject({ leaseID: '', renewable: false, expireAt: 2_000_000_000 });
    expect(dec((await generateVaultDynamicSecret(c, { ...spec, resultType: 'Auth' }, 0)).data)).toMatchObject(
      {
        client_token: 'tok',
      },
    );
    expect(
      Object.keys((await generateVaultDynamicSecret(c, { ...spec, resultType: 'Raw' }, 0)).data),
    ).toEqual(expect.arrayContaining(['lease_id', 'data', 'auth']));
    const kv = client(() => ({ data: { data: { user: 'u' }, metadata: { version: 3 } } }));
    const read = await generateVaultDynamicSecret(kv.c, { provider, path: 'secret/data/app' }, 0);
    expect(kv.seen[0]).toMatchObject({ method: 'GET', path: 'secret/data/app' });
    expect(dec(read.data)).toEqual({ user: 'u' });
  });

  it('sends getParameters as the query of a GET, each value once, over parameters', async () => {
    const { c, seen } = client(() => ({ data: { a: 'b' } }));
    await generateVaultDynamicSecret(
      c,
      {
        provider,
        path: 'aws/creds/app',
        parameters: { ttl: '1h', role_arn: 'x' },
        getParameters: { role_arn: ['arn:aws:iam::123456789012:role/a'], tag: ['one', 'two'] },
      },
      0,
    );
    expect(seen[0]).toMatchObject({
      method: 'GET',
      path: 'aws/creds/app',
      query: { ttl: '1h', role_arn: ['arn:aws:iam::123456789012:role/a'], tag: ['one', 'two'] },
    });
    await generateVaultDynamicSecret(
      c,
      { provider, path: 'x/y', method: 'POST', getParameters: { a: ['b'] } },
      0,
    );
    expect(seen[1]).toMatchObject({ method: 'POST', body: {} });
    expect(seen[1]?.query).toBeUndefined();
  });

  it('fails on an empty answer unless allowed, and retries only transient failures', async () => {
    const empty = client(() => ({ data: {} }));
    await expect(generateVaultDynamicSecret(empty.c, { provider, path: 'x/y' }, 0)).rejects.toThrow(
      /no data for GET x\/y/,
    );
    expect(
      (await generateVaultDynamicSecret(empty.c, { provider, path: 'x/y', allowEmptyResponse: true }, 0))
        .data,
    ).toEqual({});
    const flaky = client((_r, n) => (n < 3 ? new VaultNetworkError('ECONNREFUSED') : { data: { a: 'b' } }));
    const spec = { provider, path: 'x/y', retrySettings: { maxRetries: 2, retryInterval: '1ms' } };
    expect(dec((await generateVaultDynamicSecret(flaky.c, spec, 0)).data)).toEqual({ a: 'b' });
    expect(flaky.seen).toHaveLength(3);
    const denied = client(() => new VaultHttpError(400, ['bad request'], undefined));
    await expect(generateVaultDynamicSecret(denied.c, spec, 0)).rejects.toBeInstanceOf(ProviderError);
    expect(denied.seen).toHaveLength(1);
  });
});
