// Tests at the credential seam: the exact requests each auth path makes against a local
// HTTPS listener playing Entra ID (and IMDS), through the real @azure/identity and MSAL.
// Entra ID itself cannot be reached here; the e2e suite runs the same paths against the
// Key Vault test server's token endpoint.

import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { AzureKVProvider } from '../../api/providers/azurekv.js';
import type { ProviderContext, StoreInfo } from '../types.js';
import { buildCredential, CredentialCache, resolveCloud, WORKLOAD_IDENTITY_AUDIENCE } from './auth.js';

interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  form: URLSearchParams;
}

const TENANT = '11111111-2222-3333-4444-555555555555';
const CLIENT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
let dir: string;
let ca: string;
let clientCertPem: string;
let clientKeyPem: string;
let server: Server;
let imdsServer: Server;
let base: string;
let imdsBase: string;
let seen: Seen[] = [];

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore' });
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function handler(baseUrl: () => string) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'https://x');
    const text = await body(req);
    // IMDS requests carry a trailing slash (…/oauth2/token/?api-version=…).
    url.pathname = url.pathname.replace(/\/+$/, '');
    seen.push({
      method: req.method ?? '',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      form: new URLSearchParams(text),
    });
    res.setHeader('content-type', 'application/json');
    if (url.pathname.endsWith('/.well-known/openid-configuration')) {
      const t = url.pathname.split('/')[1];
      const b = baseUrl();
      res.end(
        JSON.stringify({
          token_endpoint: `${b}/${t}/oauth2/v2.0/token`,
          issuer: `${b}/${t}/v2.0`,
          authorization_endpoint: `${b}/${t}/oauth2/v2.0/authorize`,
          end_session_endpoint: `${b}/${t}/oauth2/v2.0/logout`,
          jwks_uri: `${b}/${t}/discovery/v2.0/keys`,
        }),
      );
      return;
    }
    if (url.pathname.endsWith('/oauth2/v2.0/token') || url.pathname === '/metadata/identity/oauth2/token') {
      res.end(
        JSON.stringify({
          token_type: 'Bearer',
          expires_in: url.pathname.startsWith('/metadata') ? '3600' : 3600,
          expires_on: String(Math.floor(Date.now() / 1000) + 3600),
          resource: 'https://vault.azure.net',
          access_token: `tok-${seen.length}`,
        }),
      );
      return;
    }
    res.statusCode = 404;
    res.end('{}');
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'azkv-seam-'));
  openssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    join(dir, 'tls.key'),
    '-out',
    join(dir, 'tls.crt'),
  ]);
  openssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=client',
    '-keyout',
    join(dir, 'client.key'),
    '-out',
    join(dir, 'client.crt'),
  ]);
  ca = readFileSync(join(dir, 'tls.crt'), 'utf8');
  clientCertPem = readFileSync(join(dir, 'client.crt'), 'utf8');
  clientKeyPem = readFileSync(join(dir, 'client.key'), 'utf8');
  server = createServer(
    { cert: ca, key: readFileSync(join(dir, 'tls.key')) },
    handler(() => base),
  );
  imdsServer = createHttpServer(handler(() => imdsBase));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => imdsServer.listen(0, '127.0.0.1', r));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  imdsBase = `http://127.0.0.1:${(imdsServer.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  imdsServer.closeAllConnections();
  await new Promise((r) => server.close(r));
  await new Promise((r) => imdsServer.close(r));
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  seen = [];
});

const SECRETS: Record<string, string> = {
  'id/client-id': CLIENT,
  'id/client-secret': 'not-a-real-secret',
  'id/tenant': TENANT,
};

function fakeCtx(overrides: Partial<ProviderContext> = {}): ProviderContext & { tokenRequests: unknown[] } {
  const tokenRequests: unknown[] = [];
  return {
    signal: new AbortController().signal,
    requireTls: () => undefined,
    async readSecretKey(sel) {
      const k = `${sel.name}/${sel.key}`;
      if (k === 'id/cert') return new TextEncoder().encode(clientCertPem + clientKeyPem);
      const v = SECRETS[k];
      if (v === undefined) throw new Error(`no ${k}`);
      return new TextEncoder().encode(v);
    },
    async readConfigMapKey() {
      throw new Error('unused');
    },
    async requestServiceAccountToken(sel, opts) {
      tokenRequests.push({ sel, opts });
      return 'header.sa-token-payload.signature';
    },
    async readServiceAccountAnnotations() {
      return { 'azure.workload.identity/client-id': CLIENT, 'azure.workload.identity/tenant-id': TENANT };
    },
    tokenRequests,
    ...overrides,
  };
}

function store(spec: AzureKVProvider): StoreInfo {
  return {
    kind: 'SecretStore',
    name: 's',
    namespace: 'ns',
    requesterNamespace: 'ns',
    provider: {
      azurekv: {
        vaultUrl: 'https://v.vault.azure.net',
        environmentType: 'AzureStackCloud',
        customCloudConfig: { activeDirectoryEndpoint: base },
        ...spec,
      },
    },
  };
}

async function token(spec: AzureKVProvider, ctx = fakeCtx(), cache = new CredentialCache()) {
  const st = store(spec);
  const az = st.provider.azurekv!;
  const built = await buildCredential(st, az, resolveCloud(az), ctx, cache, { tlsOptions: { ca } });
  const t = await built.credential.getToken('https://vault.azure.net/.default');
  return { t, built };
}

const tokenCalls = () => seen.filter((s) => s.path.endsWith('/oauth2/v2.0/token'));

function decodeJwt(jwt: string) {
  const [h, p, s] = jwt.split('.');
  return {
    header: JSON.parse(Buffer.from(h!, 'base64url').toString()) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>,
    signed: Buffer.from(`${h}.${p}`),
    signature: Buffer.from(s!, 'base64url'),
  };
}

describe('ServicePrincipal at the token endpoint', () => {
  it('posts client_credentials with the client secret to <authority>/<tenant>/oauth2/v2.0/token', async () => {
    const { t, built } = await token({
      tenantId: TENANT,
      authSecretRef: {
        clientId: { name: 'id', key: 'client-id' },
        clientSecret: { name: 'id', key: 'client-secret' },
      },
    });
    expect(t?.token).toMatch(/^tok-/);
    // Discovery of the custom authority, then the token request; no instance discovery at
    // login.microsoftonline.com for an authority MSAL does not know.
    expect(seen[0]!.path).toBe(`/${TENANT}/v2.0/.well-known/openid-configuration`);
    const calls = tokenCalls();
    expect(calls).toHaveLength(1);
    const c = calls[0]!;
    expect(c.method).toBe('POST');
    expect(c.path).toBe(`/${TENANT}/oauth2/v2.0/token`);
    expect(c.form.get('grant_type')).toBe('client_credentials');
    expect(c.form.get('client_id')).toBe(CLIENT);
    expect(c.form.get('client_secret')).toBe('not-a-real-secret');
    expect(c.form.get('scope')?.split(' ')).toContain('https://vault.azure.net/.default');
    expect(built.identity).not.toContain('not-a-real-secret');
  });

  it('reads the tenant from authSecretRef.tenantId when the store has none', async () => {
    await token({
      authSecretRef: {
        clientId: { name: 'id', key: 'client-id' },
        clientSecret: { name: 'id', key: 'client-secret' },
        tenantId: { name: 'id', key: 'tenant' },
      },
    });
    expect(tokenCalls()[0]!.path).toBe(`/${TENANT}/oauth2/v2.0/token`);
  });

  it('signs a client assertion with the client certificate (x5t of the certificate, aud = token endpoint)', async () => {
    await token({
      tenantId: TENANT,
      authSecretRef: {
        clientId: { name: 'id', key: 'client-id' },
        clientCertificate: { name: 'id', key: 'cert' },
      },
    });
    const c = tokenCalls()[0]!;
    expect(c.form.get('client_secret')).toBeNull();
    expect(c.form.get('client_assertion_type')).toBe(
      'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    );
    const jwt = decodeJwt(c.form.get('client_assertion')!);
    expect(jwt.payload.iss).toBe(CLIENT);
    expect(jwt.payload.sub).toBe(CLIENT);
    expect(jwt.payload.aud).toBe(`${base}/${TENANT}/oauth2/v2.0/token`);
    const der = createPublicKey(clientCertPem).export({ type: 'spki', format: 'der' });
    expect(der.length).toBeGreaterThan(0);
    const raw = Buffer.from(clientCertPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const thumbs = [
      createHash('sha1').update(raw).digest('base64url'),
      createHash('sha256').update(raw).digest('base64url'),
    ];
    expect(thumbs).toContain(jwt.header.x5t ?? jwt.header['x5t#S256']);
    const key = createPublicKey(clientCertPem);
    const ok =
      jwt.header.alg === 'PS256'
        ? verify('sha256', jwt.signed, { key, padding: 6, saltLength: 32 }, jwt.signature)
        : verify('sha256', jwt.signed, key, jwt.signature);
    expect(ok).toBe(true);
  });

  it('reuses the credential (and its token) for the same material, and not after a rotation', async () => {
    const cache = new CredentialCache();
    const spec = {
      tenantId: TENANT,
      authSecretRef: {
        clientId: { name: 'id', key: 'client-id' },
        clientSecret: { name: 'id', key: 'client-secret' },
      },
    };
    const a = await token(spec, fakeCtx(), cache);
    const b = await token(spec, fakeCtx(), cache);
    expect(b.built.credential).toBe(a.built.credential);
    expect(tokenCalls()).toHaveLength(1);
    SECRETS['id/client-secret'] = 'rotated';
    try {
      const c = await token(spec, fakeCtx(), cache);
      expect(c.built.credential).not.toBe(a.built.credential);
      expect(tokenCalls()).toHaveLength(2);
      expect(tokenCalls()[1]!.form.get('client_secret')).toBe('rotated');
    } finally {
      SECRETS['id/client-secret'] = 'not-a-real-secret';
    }
  });
});

describe('WorkloadIdentity at the token endpoint', () => {
  it('exchanges a TokenRequest token (audience api://AzureADTokenExchange) with the annotated client and tenant', async () => {
    const ctx = fakeCtx();
    await token(
      { authType: 'WorkloadIdentity', serviceAccountRef: { name: 'app', audiences: ['extra'] } },
      ctx,
    );
    expect(ctx.tokenRequests[0]).toEqual({
      sel: { name: 'app', audiences: ['extra'] },
      opts: { audiences: [WORKLOAD_IDENTITY_AUDIENCE, 'extra'], expirationSeconds: 600 },
    });
    const c = tokenCalls()[0]!;
    expect(c.path).toBe(`/${TENANT}/oauth2/v2.0/token`);
    expect(c.form.get('grant_type')).toBe('client_credentials');
    expect(c.form.get('client_id')).toBe(CLIENT);
    expect(c.form.get('client_assertion')).toBe('header.sa-token-payload.signature');
    expect(c.form.get('client_assertion_type')).toBe(
      'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    );
  });

  it('prefers the store tenantId over the annotation, and names a missing client id', async () => {
    const other = '99999999-2222-3333-4444-555555555555';
    await token({ authType: 'WorkloadIdentity', tenantId: other, serviceAccountRef: { name: 'app' } });
    expect(tokenCalls()[0]!.path).toBe(`/${other}/oauth2/v2.0/token`);
    const ctx = fakeCtx({ readServiceAccountAnnotations: async () => ({}) });
    await expect(
      token({ authType: 'WorkloadIdentity', serviceAccountRef: { name: 'app' } }, ctx),
    ).rejects.toThrow(/ServiceAccount "app" has no azure.workload.identity\/client-id annotation/);
  });
});

describe('ManagedIdentity at IMDS', () => {
  let saved: string | undefined;
  beforeAll(() => {
    saved = process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST;
    process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = imdsBase;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST;
    else process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = saved;
  });

  it('asks IMDS for the vault resource with the Metadata header and the user-assigned client id', async () => {
    const { t } = await token({ authType: 'ManagedIdentity', identityId: CLIENT });
    expect(t?.token).toMatch(/^tok-/);
    const c = seen.find(
      (s) => s.path === '/metadata/identity/oauth2/token' && s.headers.metadata === 'true',
    )!;
    expect(c.method).toBe('GET');
    expect(c.query.get('resource')).toBe('https://vault.azure.net');
    expect(c.query.get('client_id')).toBe(CLIENT);
    expect(c.query.get('api-version')).toBeTruthy();
  });

  it('asks for the system-assigned identity without a client id', async () => {
    await token({ authType: 'ManagedIdentity' });
    const c = seen.find(
      (s) => s.path === '/metadata/identity/oauth2/token' && s.headers.metadata === 'true',
    )!;
    expect(c.query.get('client_id')).toBeNull();
  });
});

describe('clouds', () => {
  it('maps environmentType to the authority and Key Vault resource', () => {
    expect(resolveCloud({})).toMatchObject({
      authorityHost: 'https://login.microsoftonline.com',
      known: true,
    });
    expect(resolveCloud({ environmentType: 'ChinaCloud' })).toMatchObject({
      authorityHost: 'https://login.chinacloudapi.cn',
      keyVaultResource: 'https://vault.azure.cn',
    });
    expect(resolveCloud({ environmentType: 'USGovernmentCloud' })).toMatchObject({
      authorityHost: 'https://login.microsoftonline.us',
      keyVaultResource: 'https://vault.usgovcloudapi.net',
    });
    expect(() => resolveCloud({ environmentType: 'GermanCloud' })).toThrow(/closed in 2021/);
    expect(() => resolveCloud({ environmentType: 'AzureStackCloud' })).toThrow(/customCloudConfig/);
    expect(
      resolveCloud({
        environmentType: 'AzureStackCloud',
        customCloudConfig: {
          activeDirectoryEndpoint: 'https://adfs.local/',
          keyVaultDNSSuffix: '.vault.local',
        },
      }),
    ).toEqual({ authorityHost: 'https://adfs.local', keyVaultResource: 'https://vault.local', known: false });
  });
});
