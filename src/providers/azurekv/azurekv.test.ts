import { describe, expect, it } from '@jest/globals';
import { RestError, createHttpHeaders } from '@azure/core-rest-pipeline';
import type { PipelineRequest } from '@azure/core-rest-pipeline';
import { ProviderError } from '../errors.js';
import type { StoreInfo } from '../types.js';
import { mapAzureError, retryAfterMs, withThrottleRetry } from './errors.js';
import { azurekvProvider, checkUsable, isLoopback, metadataMap, parseKey, publicJwk } from './index.js';

function restError(
  status: number | undefined,
  code: string,
  message: string,
  headers: Record<string, string> = {},
) {
  return new RestError(message, {
    statusCode: status,
    code,
    response:
      status === undefined
        ? undefined
        : { status, headers: createHttpHeaders(headers), request: {} as PipelineRequest },
  });
}

const who = 'ServicePrincipal client 1234abcd… in tenant 9876…';

describe('parseKey', () => {
  it('reads ESO prefixes, defaulting to secret', () => {
    expect(parseKey('db')).toEqual({ type: 'secret', name: 'db' });
    expect(parseKey('secret/db')).toEqual({ type: 'secret', name: 'db' });
    expect(parseKey('key/signing')).toEqual({ type: 'key', name: 'signing' });
    expect(parseKey('cert/tls-1')).toEqual({ type: 'cert', name: 'tls-1' });
  });
  it('rejects unknown types and invalid names with the key in the message', () => {
    expect(() => parseKey('blob/x')).toThrow(/unknown object type "blob"/);
    expect(() => parseKey('secret/a_b')).toThrow(/not a Key Vault object name/);
    expect(() => parseKey('secret/')).toThrow(ProviderError);
  });
});

describe('metadata and usability', () => {
  const created = new Date('2026-01-02T03:04:05.678Z');
  it('returns tags plus RFC 3339 time attributes, as ESO', () => {
    expect(metadataMap({ tags: { team: 'a' }, createdOn: created, updatedOn: created })).toEqual({
      team: 'a',
      created: '2026-01-02T03:04:05Z',
      updated: '2026-01-02T03:04:05Z',
    });
  });
  it('refuses disabled, expired and not-yet-valid objects', () => {
    const now = created.getTime();
    expect(() => checkUsable('secret "a"', { enabled: false }, now)).toThrow(
      'secret "a" is disabled in Key Vault',
    );
    expect(() => checkUsable('secret "a"', { expiresOn: new Date(now - 1000) }, now)).toThrow(/expired at/);
    expect(() => checkUsable('secret "a"', { notBefore: new Date(now + 1000) }, now)).toThrow(
      /not valid before/,
    );
    expect(() =>
      checkUsable('secret "a"', { enabled: true, expiresOn: new Date(now + 1000) }, now),
    ).not.toThrow();
  });
});

describe('publicJwk', () => {
  it('emits RFC 7517 names in base64url and drops private and empty fields', () => {
    const jwk = publicJwk({
      kid: 'https://v/keys/k/1',
      kty: 'RSA',
      keyOps: ['sign'],
      n: new Uint8Array([0xfb, 0xff]),
      e: new Uint8Array([1, 0, 1]),
      d: new Uint8Array([9]),
    });
    expect(jwk).toEqual({ e: 'AQAB', key_ops: ['sign'], kid: 'https://v/keys/k/1', kty: 'RSA', n: '-_8' });
    expect(Object.keys(jwk)).toEqual(['e', 'key_ops', 'kid', 'kty', 'n']);
  });
});

describe('mapAzureError', () => {
  it('maps statuses to reasons with the object and identity, never the body', () => {
    const nf = mapAzureError(
      restError(404, 'SecretNotFound', 'A secret with (name/id) x was not found'),
      'secret "x"',
      who,
    );
    expect(nf.reason).toBe('NotFound');
    expect(nf.message).toBe('secret "x" not found in Key Vault (404 SecretNotFound)');
    const dis = mapAzureError(
      restError(403, 'Forbidden', 'Operation get is not allowed on a disabled secret.'),
      'secret "x"',
      who,
    );
    expect(dis.reason).toBe('NotFound');
    expect(dis.message).toContain('is disabled');
    const denied = mapAzureError(restError(403, 'Forbidden', 'no get permission'), 'secret "x"', who);
    expect(denied.reason).toBe('AccessDenied');
    expect(denied.message).toContain(who);
    expect(mapAzureError(restError(401, 'Unauthorized', 'x'), 'secret "x"', who).reason).toBe('AuthFailed');
    expect(mapAzureError(restError(500, 'InternalError', 'x'), 'secret "x"', who).reason).toBe('Unavailable');
    expect(mapAzureError(restError(400, 'BadParameter', 'x'), 'secret "x"', who).reason).toBe(
      'InvalidRequest',
    );
    const net = mapAzureError(
      restError(undefined, 'ECONNREFUSED', 'connect ECONNREFUSED'),
      'secret "x"',
      who,
    );
    expect(net.reason).toBe('Unavailable');
    expect(net.message).toContain('ECONNREFUSED');
  });

  it('carries Retry-After on throttling', () => {
    const e = mapAzureError(
      restError(429, 'Throttled', 'slow down', { 'retry-after': '30' }),
      'secret "x"',
      who,
    );
    expect(e.reason).toBe('Throttled');
    expect(e.retryAfterMs).toBe(30_000);
    expect(e.transient).toBe(true);
    expect(e.message).toContain('retry after 30s');
  });

  it('summarises MSAL errors by code and AADSTS sentence', () => {
    const cause = Object.assign(
      new Error(
        'invalid_client: Error(s): 7000215 - Description: AADSTS7000215: Invalid client secret provided. Ensure the secret being sent...',
      ),
      {
        errorCode: 'invalid_client',
      },
    );
    const wrapped = Object.assign(new Error('wrapped'), { name: 'AuthenticationRequiredError', cause });
    const e = mapAzureError(wrapped, 'a token', who);
    expect(e.reason).toBe('AuthFailed');
    expect(e.message).toBe(
      `${who}: the token request was refused (invalid_client): AADSTS7000215: Invalid client secret provided.`,
    );
  });
});

describe('retryAfterMs and inline retry', () => {
  it('reads seconds, dates and the -ms headers', () => {
    const h = (o: Record<string, string>) => createHttpHeaders(o);
    expect(retryAfterMs(h({ 'retry-after': '2' }))).toBe(2000);
    expect(retryAfterMs(h({ 'x-ms-retry-after-ms': '150' }))).toBe(150);
    expect(retryAfterMs(h({ 'retry-after': new Date(10_000).toUTCString() }), 4_000)).toBe(6000);
    expect(retryAfterMs(h({}))).toBeUndefined();
  });

  it('retries once after a short Retry-After and hands long ones back', async () => {
    const signal = new AbortController().signal;
    let calls = 0;
    const short = await withThrottleRetry(async () => {
      calls++;
      if (calls === 1) throw restError(429, 'Throttled', 'x', { 'retry-after-ms': '10' });
      return 'ok';
    }, signal);
    expect(short).toBe('ok');
    expect(calls).toBe(2);
    calls = 0;
    await expect(
      withThrottleRetry(async () => {
        calls++;
        throw restError(429, 'Throttled', 'x', { 'retry-after': '60' });
      }, signal),
    ).rejects.toBeInstanceOf(RestError);
    expect(calls).toBe(1);
  });

  it('stops waiting on abort and fails with the abort reason, without a second call', async () => {
    const ac = new AbortController();
    let calls = 0;
    const p = withThrottleRetry(async () => {
      calls++;
      throw restError(429, 'Throttled', 'x', { 'retry-after-ms': '1500' });
    }, ac.signal);
    setTimeout(() => ac.abort(new Error('stopping')), 10);
    await expect(p).rejects.toThrow('stopping');
    expect(calls).toBe(1);
  });
});

describe('validateSpec', () => {
  const p = azurekvProvider();
  const st = (azurekv: Record<string, unknown>): StoreInfo => ({
    kind: 'SecretStore',
    name: 's',
    namespace: 'n',
    requesterNamespace: 'n',
    provider: { azurekv },
  });
  const sp = { clientId: { name: 'a', key: 'id' }, clientSecret: { name: 'a', key: 's' } };
  it('accepts a complete ServicePrincipal store', () => {
    expect(
      p.validateSpec(st({ vaultUrl: 'https://v.vault.azure.net', tenantId: 't', authSecretRef: sp })),
    ).toBeUndefined();
  });
  it('names what is missing or contradictory', () => {
    expect(p.validateSpec(st({}))).toMatch(/vaultUrl must be set/);
    expect(p.validateSpec(st({ vaultUrl: 'http://v' }))).toMatch(/must use https/);
    expect(p.validateSpec(st({ vaultUrl: 'https://v', authSecretRef: sp }))).toMatch(/needs tenantId/);
    expect(
      p.validateSpec(
        st({
          vaultUrl: 'https://v',
          tenantId: 't',
          authSecretRef: { ...sp, clientCertificate: { name: 'a', key: 'c' } },
        }),
      ),
    ).toMatch(/only one of/);
    expect(
      p.validateSpec(st({ vaultUrl: 'https://v', authType: 'ManagedIdentity', authSecretRef: sp })),
    ).toMatch(/takes no authSecretRef/);
    expect(
      p.validateSpec(
        st({ vaultUrl: 'https://v', authType: 'ManagedIdentity', environmentType: 'GermanCloud' }),
      ),
    ).toMatch(/Deutschland/);
  });
  it('scopes ClusterSecretStore clients by requester namespace when credentials are relative', () => {
    const css = {
      ...st({ vaultUrl: 'https://v', authSecretRef: sp }),
      kind: 'ClusterSecretStore' as const,
      namespace: undefined,
    };
    expect(p.cacheScope?.(css)).toBe('n');
    expect(p.cacheScope?.(st({ vaultUrl: 'https://v', authSecretRef: sp }))).toBe('');
  });
});

describe('isLoopback', () => {
  it('recognises loopback hosts only', () => {
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('[::1]')).toBe(true);
    expect(isLoopback('localhost')).toBe(true);
    expect(isLoopback('myvault.vault.azure.net')).toBe(false);
    expect(isLoopback('127.0.0.1.evil.example')).toBe(false);
  });
});
