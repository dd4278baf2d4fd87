// The Vault provider against a local node:http fake of the few endpoints it uses: paths,
// headers, error mapping, token lifecycle (one login, renewal, re-login, revocation), find.

import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { VaultProvider } from '../../api/providers/vault.js';
import { ProviderError } from '../errors.js';
import type { ProviderContext, StoreInfo } from '../types.js';
import { requireTls } from '../tls.js';
import { loginPlan } from './auth.js';
import { VaultClient } from './client.js';
import { vaultFailure } from './errors.js';
import { VaultHttp, describeTlsFailure } from './http.js';
import { validateVaultSpec, vaultProvider } from './index.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}
interface Answer {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}
type Handler = (req: Seen) => Answer | Promise<Answer>;

let server: Server;
let addr = '';
let routes: Record<string, Handler> = {};
let seen: Seen[] = [];

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', async () => {
      const s: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      seen.push(s);
      const path = s.url.split('?')[0] ?? '';
      const h = routes[`${s.method} ${path}`];
      const out = h ? await h(s) : { status: 404, body: { errors: [] } };
      res.writeHead(out.status ?? 200, { 'content-type': 'application/json', ...out.headers });
      res.end(out.body === undefined ? '' : JSON.stringify(out.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  addr = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

afterEach(() => {
  routes = {};
  seen = [];
});

const secrets: Record<string, string> = { token: 'user-token-123', secretId: 'sid-456', password: 'pw-789' };

/** The test servers listen on plain HTTP: allowed here, as --allow-insecure-credentials does. */
function ctx(allowHttp = true): ProviderContext {
  return {
    requireTls: (url, what) => requireTls(url, what, allowHttp),
    readSecretKey: async (sel) => {
      const v = secrets[sel.key ?? ''];
      if (v === undefined) throw new ProviderError('NotFound', `Secret key ${sel.key} not found`);
      return new TextEncoder().encode(`${v}\n`);
    },
    readConfigMapKey: async () => '',
    requestServiceAccountToken: async (sel, o) => `sa-jwt-${sel.name}-${(o?.audiences ?? []).join(',')}`,
    readServiceAccountAnnotations: async () => ({}),
    signal: new AbortController().signal,
  };
}

function store(vault: VaultProvider, kind: StoreInfo['kind'] = 'SecretStore'): StoreInfo {
  return {
    kind,
    name: 'vault',
    namespace: kind === 'SecretStore' ? 'app' : undefined,
    requesterNamespace: 'app',
    provider: { vault: { server: addr, ...vault } },
  };
}

const tokenAuth = { tokenSecretRef: { name: 'vault', key: 'token' } };
const appRole = { appRole: { roleId: 'rid', secretRef: { name: 'vault', key: 'secretId' } } };

function client(spec: VaultProvider, now: () => number = Date.now, onLogin?: () => void): VaultClient {
  const full = { server: addr, ...spec };
  return new VaultClient({
    http: new VaultHttp({ server: addr, headers: spec.headers, readYourWrites: spec.readYourWrites }),
    plan: loginPlan(full, ctx()),
    spec: full,
    now,
    onLogin,
    closeQuietMs: 0,
  });
}

function loginRoute(token: string, lease = 60, renewable = true): Handler {
  return () => ({ body: { auth: { client_token: token, lease_duration: lease, renewable } } });
}

async function rejects(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ProviderError);
    return e as ProviderError;
  }
  throw new Error('expected a rejection');
}

describe('reading', () => {
  it('reads KV v2 data with version, namespace, headers; strips a repeated mount', async () => {
    routes['GET /v1/secret/data/team/app'] = () => ({
      body: { data: { data: { user: 'u', nested: { a: 1 } }, metadata: { version: 3 } } },
    });
    const c = client({ path: 'secret', namespace: 'ns1', headers: { 'x-extra': 'e' }, auth: tokenAuth });
    await c.start();
    expect(await c.getSecret({ key: 'secret/team/app', version: '3' })).toEqual({
      kind: 'map',
      data: { user: 'u', nested: { a: 1 } },
    });
    const req = seen.at(-1)!;
    expect(req.url).toBe('/v1/secret/data/team/app?version=3');
    expect(req.headers['x-vault-token']).toBe('user-token-123');
    expect(req.headers['x-vault-namespace']).toBe('ns1');
    expect(req.headers['x-extra']).toBe('e');
    await c.close();
  });

  it('reads KV v1 and any engine path answering GET', async () => {
    routes['GET /v1/database/creds/ro'] = () => ({ body: { data: { username: 'x', password: 'y' } } });
    const c = client({ path: 'database', version: 'v1', auth: tokenAuth });
    expect(await c.getSecret({ key: 'creds/ro' })).toEqual({
      kind: 'map',
      data: { username: 'x', password: 'y' },
    });
    await c.close();
  });

  it('takes the mount from the key when the store has no path', async () => {
    routes['GET /v1/kv/data/app'] = () => ({ body: { data: { data: { a: 'b' } } } });
    const c = client({ auth: tokenAuth });
    expect(await c.getSecret({ key: 'kv/app' })).toEqual({ kind: 'map', data: { a: 'b' } });
    await c.close();
  });

  it('returns the system and custom metadata for metadataPolicy Fetch, as ESO 2.9', async () => {
    routes['GET /v1/secret/metadata/app'] = () => ({
      body: {
        data: {
          created_time: '2026-01-02T03:04:05.123456Z',
          current_version: 3,
          delete_version_after: '0s',
          max_versions: 0,
          oldest_version: 0,
          updated_time: '2026-01-03T00:00:00Z',
          versions: { '3': { destroyed: false } },
          custom_metadata: { team: 'a', current_version: 'mine' },
        },
      },
    });
    const c = client({ path: 'secret', auth: tokenAuth });
    expect(await c.getSecret({ key: 'app', metadataPolicy: 'Fetch' })).toEqual({
      kind: 'map',
      // Custom metadata wins on a shared name; other fields of the answer are not exposed.
      data: {
        created_time: '2026-01-02T03:04:05.123456Z',
        current_version: 'mine',
        delete_version_after: '0s',
        team: 'a',
      },
    });
    await c.close();
  });

  it('sends back X-Vault-Index with readYourWrites', async () => {
    routes['GET /v1/secret/data/app'] = () => ({
      body: { data: { data: { a: 'b' } } },
      headers: { 'x-vault-index': 'idx-1' },
    });
    const c = client({ path: 'secret', readYourWrites: true, auth: tokenAuth });
    await c.getSecret({ key: 'app' });
    await c.getSecret({ key: 'app' });
    expect(seen[0]!.headers['x-vault-index']).toBeUndefined();
    expect(seen[1]!.headers['x-vault-index']).toBe('idx-1');
    await c.close();
  });
});

describe('errors', () => {
  it('maps 403, 404, sealed, 401 and connection refused, without values', async () => {
    routes['GET /v1/auth/token/lookup-self'] = () => ({ body: { data: { id: 'x' } } });
    routes['GET /v1/secret/data/denied'] = () => ({ status: 403, body: { errors: ['permission denied'] } });
    routes['GET /v1/secret/data/sealed'] = () => ({ status: 503, body: { errors: ['Vault is sealed'] } });
    const c = client({ path: 'secret', auth: tokenAuth });
    const denied = await rejects(c.getSecret({ key: 'denied' }));
    expect(denied.reason).toBe('AccessDenied');
    expect(denied.message).toContain('"read" on "secret/data/denied"');
    const missing = await rejects(c.getSecret({ key: 'missing' }));
    expect(missing.reason).toBe('NotFound');
    expect(missing.message).toContain('"missing"');
    const sealed = await rejects(c.getSecret({ key: 'sealed' }));
    expect(sealed.reason).toBe('Unavailable');
    expect(sealed.message).toBe(`Vault at ${addr} is sealed`);
    expect(sealed.transient).toBe(true);
    await c.close();

    const down = new VaultClient({
      http: new VaultHttp({ server: 'http://127.0.0.1:1' }),
      plan: loginPlan({ auth: tokenAuth }, ctx()),
      spec: { path: 'secret', auth: tokenAuth },
    });
    const refused = await rejects(down.getSecret({ key: 'app' }));
    expect(refused.reason).toBe('Unavailable');
    expect(refused.message).toContain('ECONNREFUSED');
    await down.close();
  });

  it('says when a KV v2 version is deleted or destroyed', async () => {
    routes['GET /v1/secret/data/app'] = () => ({ status: 404, body: { errors: [] } });
    routes['GET /v1/secret/metadata/app'] = () => ({
      body: {
        data: {
          current_version: 3,
          versions: { '2': { destroyed: true }, '3': { deletion_time: '2026-01-01T00:00:00Z' } },
        },
      },
    });
    const c = client({ path: 'secret', auth: tokenAuth });
    expect((await rejects(c.getSecret({ key: 'app' }))).message).toBe(
      'Vault secret "app" is deleted or destroyed (secret/data/app)',
    );
    expect((await rejects(c.getSecret({ key: 'app', version: '2' }))).message).toContain(
      'version 2 is deleted or destroyed',
    );
    await c.close();
  });

  it('a rejected user token is AuthFailed, never re-read in a loop', async () => {
    routes['GET /v1/auth/token/lookup-self'] = () => ({
      status: 403,
      body: { errors: ['permission denied'] },
    });
    routes['GET /v1/secret/data/app'] = () => ({ status: 403, body: { errors: ['permission denied'] } });
    const c = client({ path: 'secret', auth: tokenAuth });
    const e = await rejects(c.getSecret({ key: 'app' }));
    expect(e.reason).toBe('AuthFailed');
    expect(await c.validate()).toEqual({
      result: 'Error',
      message: expect.stringContaining('tokenSecretRef'),
    });
    await c.close();
  });

  it('login failures name the path and scrub echoed credentials', async () => {
    routes['POST /v1/auth/approle/login'] = () => ({
      status: 400,
      body: { errors: ['invalid secret id sid-456'] },
    });
    const p = vaultProvider({ closeQuietMs: 0 });
    const e = await rejects(p.connect(store({ path: 'secret', auth: appRole }), ctx()));
    expect(e.reason).toBe('AuthFailed');
    expect(e.message).toContain('auth/approle/login');
    expect(e.message).not.toContain('sid-456');
  });
});

describe('token lifecycle', () => {
  it('logs in once for concurrent reads, renews at 2/3 TTL, re-logs in near max TTL, revokes on close', async () => {
    let t = 1_000_000;
    let logins = 0;
    let n = 0;
    routes['POST /v1/auth/approle/login'] = (s) => {
      expect(JSON.parse(s.body)).toEqual({ role_id: 'rid', secret_id: 'sid-456' });
      return loginRoute(`tok-${++n}`, 60)(s);
    };
    let renewLease = 60;
    routes['POST /v1/auth/token/renew-self'] = (s) => ({
      body: {
        auth: { client_token: s.headers['x-vault-token'], lease_duration: renewLease, renewable: true },
      },
    });
    routes['POST /v1/auth/token/revoke-self'] = () => ({ status: 204 });
    routes['GET /v1/secret/data/app'] = () => ({ body: { data: { data: { a: 'b' } } } });
    const c = client(
      { path: 'secret', auth: appRole },
      () => t,
      () => logins++,
    );
    await Promise.all([
      c.getSecret({ key: 'app' }),
      c.getSecret({ key: 'app' }),
      c.getSecret({ key: 'app' }),
    ]);
    expect(logins).toBe(1);

    t += 41_000; // past 2/3 of 60 s
    await c.getSecret({ key: 'app' });
    expect(seen.filter((s) => s.url === '/v1/auth/token/renew-self')).toHaveLength(1);
    expect(logins).toBe(1);

    renewLease = 10; // max TTL near: the renewal grants much less than a login
    t += 41_000;
    await c.getSecret({ key: 'app' });
    expect(logins).toBe(2);
    expect(seen.at(-1)!.headers['x-vault-token']).toBe('tok-2');

    await c.close();
    await new Promise((r) => setTimeout(r, 50));
    const revoked = seen
      .filter((s) => s.url === '/v1/auth/token/revoke-self')
      .map((s) => s.headers['x-vault-token']);
    expect(revoked.sort()).toEqual(['tok-1', 'tok-2']);
  });

  it('logs in again when Vault no longer accepts the token', async () => {
    let n = 0;
    routes['POST /v1/auth/approle/login'] = (s) => loginRoute(`tok-${++n}`, 0, false)(s);
    routes['GET /v1/secret/data/app'] = (s) =>
      s.headers['x-vault-token'] === 'tok-1'
        ? { status: 403, body: { errors: ['permission denied', 'invalid token'] } }
        : { body: { data: { data: { a: 'b' } } } };
    let logins = 0;
    const c = client({ path: 'secret', auth: appRole }, Date.now, () => logins++);
    expect(await c.getSecret({ key: 'app' })).toEqual({ kind: 'map', data: { a: 'b' } });
    expect(logins).toBe(2);
    await c.close();
  });

  it('renews in the background without reads, but never logs in in the background', async () => {
    let n = 0;
    routes['POST /v1/auth/approle/login'] = (s) => loginRoute(`tok-${++n}`, 1)(s);
    let grant = 1;
    routes['POST /v1/auth/token/renew-self'] = (s) => ({
      body: { auth: { client_token: s.headers['x-vault-token'], lease_duration: grant, renewable: true } },
    });
    routes['POST /v1/auth/token/revoke-self'] = () => ({ status: 204 });
    let logins = 0;
    const c = client({ path: 'secret', auth: appRole }, Date.now, () => logins++);
    await c.start();
    await new Promise((r) => setTimeout(r, 800)); // past 2/3 of the 1 s lease, no read
    expect(seen.filter((x) => x.url === '/v1/auth/token/renew-self')).toHaveLength(1);
    grant = 0; // the max TTL reached: the background gives up instead of logging in
    await new Promise((r) => setTimeout(r, 800));
    expect(logins).toBe(1);
    await c.close();
  });

  it('a read whose token Vault rejects while the background renewal runs logs in, never reuses the old token', async () => {
    const sleepMs = (ms: number) => new Promise((r) => setTimeout(r, ms));
    let n = 0;
    let renewAsked = false;
    routes['POST /v1/auth/approle/login'] = (s) => loginRoute(`tok-${++n}`, 2)(s);
    // The max TTL reached: Vault grants nothing more, and answers late.
    routes['POST /v1/auth/token/renew-self'] = async (s) => {
      renewAsked = true;
      await sleepMs(500);
      return {
        body: { auth: { client_token: s.headers['x-vault-token'], lease_duration: 0, renewable: true } },
      };
    };
    routes['POST /v1/auth/token/revoke-self'] = () => ({ status: 204 });
    const expired = (s: Seen) => renewAsked && s.headers['x-vault-token'] === 'tok-1';
    routes['GET /v1/auth/token/lookup-self'] = (s) =>
      expired(s) ? { status: 403, body: { errors: ['permission denied'] } } : { body: { data: {} } };
    routes['GET /v1/secret/data/app'] = async (s) => {
      await sleepMs(300);
      return expired(s)
        ? { status: 403, body: { errors: ['permission denied'] } }
        : { body: { data: { data: { a: 'b' } } } };
    };
    let logins = 0;
    const c = client({ path: 'secret', auth: appRole }, Date.now, () => logins++);
    await c.start();
    // Sent with a good token just before the renewal is due (2/3 of 2 s); its answer comes
    // after Vault expired the token, while the timer's renewal is still in flight.
    await sleepMs(1200);
    expect(await c.getSecret({ key: 'app' })).toEqual({ kind: 'map', data: { a: 'b' } });
    expect(renewAsked).toBe(true);
    expect(logins).toBe(2);
    expect(seen.filter((x) => x.url === '/v1/secret/data/app').at(-1)!.headers['x-vault-token']).toBe(
      'tok-2',
    );
    await c.close();
  });

  it('a closing client lets running reads finish, serves late reads with its token, never logs in', async () => {
    let n = 0;
    routes['POST /v1/auth/approle/login'] = (s) => loginRoute(`tok-${++n}`, 3600)(s);
    routes['POST /v1/auth/token/revoke-self'] = () => ({ status: 204 });
    routes['GET /v1/secret/data/app'] = () => ({ body: { data: { data: { a: 'b' } } } });
    let logins = 0;
    const full = { server: addr, path: 'secret', auth: appRole };
    const c = new VaultClient({
      http: new VaultHttp({ server: addr }),
      plan: loginPlan(full, ctx()),
      spec: full,
      onLogin: () => logins++,
      closeQuietMs: 200,
    });
    await c.getSecret({ key: 'app' });
    const closing = c.close();
    // A reconcile that fetched the client just before the eviction still reads.
    expect(await c.getSecret({ key: 'app' })).toEqual({ kind: 'map', data: { a: 'b' } });
    await closing;
    expect(seen.map((x) => x.url).slice(-1)).toEqual(['/v1/auth/token/revoke-self']);
    const late = await rejects(c.getSecret({ key: 'app' }));
    expect(late.reason).toBe('Unavailable');
    expect(logins).toBe(1);
  });

  it('a lease longer than a timer can wait does not renew at once', async () => {
    routes['POST /v1/auth/approle/login'] = loginRoute('tok-long', 10 * 365 * 24 * 3600);
    routes['POST /v1/auth/token/revoke-self'] = () => ({ status: 204 });
    const c = client({ path: 'secret', auth: appRole });
    await c.start();
    await new Promise((r) => setTimeout(r, 100));
    expect(seen.some((x) => x.url === '/v1/auth/token/renew-self')).toBe(false);
    await c.close();
  });

  it('never revokes a token the user supplied', async () => {
    routes['GET /v1/secret/data/app'] = () => ({ body: { data: { data: { a: 'b' } } } });
    const c = client({ path: 'secret', auth: tokenAuth });
    await c.getSecret({ key: 'app' });
    await c.close();
    expect(seen.some((s) => s.url.includes('revoke'))).toBe(false);
  });
});

describe('auth methods', () => {
  it.each([
    [
      'kubernetes serviceAccountRef',
      { kubernetes: { role: 'r', serviceAccountRef: { name: 'sa', audiences: ['vault'] } } },
      '/v1/auth/kubernetes/login',
      { role: 'r', jwt: 'sa-jwt-sa-vault' },
    ],
    [
      'jwt with a TokenRequest token (default audience vault)',
      {
        jwt: {
          path: 'k8s-jwt',
          role: 'r',
          kubernetesServiceAccountToken: { serviceAccountRef: { name: 'sa' } },
        },
      },
      '/v1/auth/k8s-jwt/login',
      { role: 'r', jwt: 'sa-jwt-sa-vault' },
    ],
    [
      'userpass',
      { userPass: { username: 'bob', secretRef: { name: 'v', key: 'password' } } },
      '/v1/auth/userpass/login/bob',
      { password: 'pw-789' },
    ],
    [
      'ldap (at the HTTP seam only: no LDAP server in the e2e suite)',
      { ldap: { path: 'corp-ldap', username: 'alice', secretRef: { name: 'v', key: 'password' } } },
      '/v1/auth/corp-ldap/login/alice',
      { password: 'pw-789' },
    ],
    [
      'cert (the role in the body; the certificate is the TLS handshake, proven in e2e)',
      {
        cert: {
          vaultRole: 'web',
          clientCert: { name: 'v', key: 'token' },
          secretRef: { name: 'v', key: 'password' },
        },
      },
      '/v1/auth/cert/login',
      { name: 'web' },
    ],
  ])('%s', async (_name, auth, path, body) => {
    routes[`POST ${path}`] = loginRoute('tok', 0, false);
    routes['GET /v1/secret/data/app'] = () => ({ body: { data: { data: { a: 'b' } } } });
    routes['GET /v1/auth/token/lookup-self'] = () => ({ body: { data: { ttl: 0 } } });
    const c = await vaultProvider({ closeQuietMs: 0 }).connect(store({ path: 'secret', auth }), ctx());
    expect(await c.validate()).toEqual({ result: 'Valid' });
    await c.getSecret({ key: 'app' });
    expect(JSON.parse(seen[0]!.body)).toEqual(body);
    expect(seen[1]!.headers['x-vault-token']).toBe('tok');
    await c.close();
  });
});

describe('transport', () => {
  it('refuses a plain http:// server before any request, unless the operator allows it', async () => {
    routes['POST /v1/auth/kubernetes/login'] = loginRoute('t-1');
    routes['GET /v1/auth/token/lookup-self'] = () => ({ body: { data: { ttl: 60 } } });
    const spec: VaultProvider = {
      server: addr,
      auth: { kubernetes: { role: 'r', serviceAccountRef: { name: 'sa' } } },
    };
    let minted = 0;
    const strict: ProviderContext = {
      ...ctx(false),
      requestServiceAccountToken: async () => `jwt-${++minted}`,
    };
    const e = await rejects(vaultProvider().connect(store(spec), strict));
    expect(e.reason).toBe('InvalidProviderConfig');
    expect(e.message).toContain(`spec.provider.vault.server ${addr} is plain HTTP`);
    expect([minted, seen.length]).toEqual([0, 0]);
    const c = await vaultProvider().connect(store(spec), {
      ...ctx(true),
      requestServiceAccountToken: async () => `jwt-${++minted}`,
    });
    await c.close();
    expect(minted).toBe(1);
    expect(seen.some((r) => r.url === '/v1/auth/kubernetes/login')).toBe(true);
  });
});

describe('network failures', () => {
  it('describes TLS failures by what to fix, never by OpenSSL internals', () => {
    expect(describeTlsFailure('UNABLE_TO_VERIFY_LEAF_SIGNATURE')).toMatch(
      /not trusted.*caBundle or caProvider/,
    );
    expect(describeTlsFailure('DEPTH_ZERO_SELF_SIGNED_CERT')).toMatch(/not trusted/);
    expect(describeTlsFailure('ERR_TLS_CERT_ALTNAME_INVALID')).toMatch(/does not name this host/);
    expect(describeTlsFailure('CERT_HAS_EXPIRED')).toMatch(/not valid now/);
    expect(describeTlsFailure('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED')).toMatch(
      /requires a client certificate.*tls.certSecretRef/,
    );
    expect(describeTlsFailure('ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE')).toMatch(
      /rejected the client certificate/,
    );
    expect(describeTlsFailure('ERR_OSSL_PEM_NO_START_LINE')).toMatch(/could not be loaded/);
  });

  it('a client key that is not PEM fails as a TLS failure naming no value', async () => {
    const full = { server: 'https://127.0.0.1:1', path: 'secret', auth: tokenAuth };
    const c = new VaultClient({
      http: new VaultHttp({ server: full.server, cert: 'not a cert', key: 'not-a-key-1234' }),
      plan: loginPlan(full, ctx()),
      spec: full,
      closeQuietMs: 0,
    });
    const e = await rejects(c.getSecret({ key: 'app' }));
    expect(e.reason).toBe('Unavailable');
    expect(e.message).toMatch(/TLS failure: a PEM certificate or key could not be loaded/);
    expect(e.message).not.toContain('not-a-key-1234');
    await c.close();
  });

  it('revokes on close even after the operator signal aborted requests', async () => {
    routes['POST /v1/auth/approle/login'] = loginRoute('tok-abort', 3600);
    routes['POST /v1/auth/token/revoke-self'] = () => ({ status: 204 });
    routes['GET /v1/secret/data/app'] = () => ({ body: { data: { data: { a: 'b' } } } });
    const ac = new AbortController();
    const full = { server: addr, path: 'secret', auth: appRole };
    const c = new VaultClient({
      http: new VaultHttp({ server: addr, signal: ac.signal }),
      plan: loginPlan(full, ctx()),
      spec: full,
      closeQuietMs: 0,
    });
    await c.getSecret({ key: 'app' });
    ac.abort();
    const aborted = await rejects(c.getSecret({ key: 'app' }));
    expect(aborted.reason).toBe('Unavailable');
    await c.close();
    expect(seen.filter((x) => x.url === '/v1/auth/token/revoke-self')).toHaveLength(1);
  });
});

describe('apiRequest (for generators)', () => {
  it('calls any path with the token, returns the lease, maps 403 to the capability', async () => {
    routes['POST /v1/database/creds/ro'] = (x) => ({
      body: {
        lease_id: 'database/creds/ro/abc',
        lease_duration: 60,
        renewable: true,
        data: { username: 'u', password: x.headers['x-vault-token'] === 'user-token-123' ? 'p' : '' },
      },
    });
    routes['GET /v1/auth/token/lookup-self'] = () => ({ body: { data: {} } });
    routes['PUT /v1/sys/leases/renew'] = () => ({ status: 403, body: { errors: ['permission denied'] } });
    const c = client({ auth: tokenAuth });
    const r = await c.apiRequest<{ username: string; password: string }>('POST', 'database/creds/ro', {
      body: {},
    });
    expect(r.lease_id).toBe('database/creds/ro/abc');
    expect(r.data).toEqual({ username: 'u', password: 'p' });
    const e = await rejects(c.apiRequest('PUT', 'sys/leases/renew', { body: { lease_id: 'x' } }));
    expect(e.reason).toBe('AccessDenied');
    expect(e.message).toContain('"update" on "sys/leases/renew"');
    await c.close();
  });
});

describe('findSecrets', () => {
  it('walks the metadata tree, matches names and tags, skips deleted secrets', async () => {
    const list =
      (keys: string[]): Handler =>
      () => ({ body: { data: { keys } } });
    routes['GET /v1/secret/metadata/apps/'] = list(['a', 'b', 'sub/', 'gone']);
    routes['GET /v1/secret/metadata/apps/sub/'] = list(['c']);
    for (const [k, team] of [
      ['a', 'x'],
      ['b', 'y'],
      ['sub/c', 'x'],
      ['gone', 'x'],
    ] as const) {
      routes[`GET /v1/secret/metadata/apps/${k}`] = () => ({ body: { data: { custom_metadata: { team } } } });
      if (k !== 'gone') routes[`GET /v1/secret/data/apps/${k}`] = () => ({ body: { data: { data: { k } } } });
    }
    const c = client({ path: 'secret', auth: tokenAuth });
    const byTag = await c.findSecrets({ path: 'apps', tags: { team: 'x' } });
    expect([...byTag.keys()]).toEqual(['apps/a', 'apps/sub/c']);
    expect(byTag.get('apps/sub/c')).toEqual({ kind: 'map', data: { k: 'sub/c' } });
    const byName = await c.findSecrets({ path: 'secret/apps', name: { regexp: '^apps/[ab]$' } });
    expect([...byName.keys()]).toEqual(['apps/a', 'apps/b']);
    await expect(c.findSecrets({ name: { regexp: '(' } })).rejects.toThrow(
      'could not compile find.name.regexp: error parsing regexp: missing closing ): `(`',
    );
    await c.close();
  });
});

describe('vaultFailure', () => {
  it('scrubs the credentials it knows from an unexpected error, as from a network one', () => {
    const op = { capability: 'read' as const, apiPath: 'secret/data/app', what: 'app' };
    const e = vaultFailure(new TypeError('bad header value sid-456'), op, 'https://v', new Set(['sid-456']));
    expect(e.reason).toBe('Unavailable');
    expect(e.message).not.toContain('sid-456');
  });
});

describe('spec', () => {
  it('validateSpec gives actionable messages', () => {
    expect(validateVaultSpec({ server: 'https://v', auth: tokenAuth })).toBeUndefined();
    expect(validateVaultSpec({ auth: tokenAuth })).toMatch(/server must be set/);
    expect(validateVaultSpec({ server: 'v:8200', auth: tokenAuth })).toMatch(/must start with https/);
    expect(validateVaultSpec({ server: 'https://v' })).toMatch(/auth must set one auth method/);
    expect(validateVaultSpec({ server: 'https://v', auth: { iam: {} } })).toMatch(
      /iam.vaultRole must be set/,
    );
    expect(validateVaultSpec({ server: 'https://v', auth: { gcp: { role: 'r' } } })).toBeUndefined();
    expect(validateVaultSpec({ server: 'https://v', auth: { gcp: {} } })).toMatch(/gcp.role must be set/);
    expect(validateVaultSpec({ server: 'https://v', auth: { ldap: { username: 'u' } } })).toMatch(
      /ldap.secretRef/,
    );
    expect(
      validateVaultSpec({ server: 'https://v', auth: { cert: { clientCert: { name: 'c', key: 'k' } } } }),
    ).toMatch(/cert needs clientCert .* and secretRef/);
    expect(validateVaultSpec({ server: 'https://v', auth: { ...tokenAuth, ...appRole } })).toMatch(
      /exactly one auth method; found tokenSecretRef, appRole/,
    );
    expect(validateVaultSpec({ server: 'https://v', auth: { appRole: { roleId: 'r' } } })).toMatch(
      /secretRef/,
    );
    expect(validateVaultSpec({ server: 'https://v', auth: { kubernetes: {} } })).toMatch(/role must be set/);
  });

  it('cacheScope is per requester namespace only for namespace-relative ClusterSecretStore credentials', () => {
    const p = vaultProvider({ closeQuietMs: 0 });
    expect(p.cacheScope!(store({ auth: tokenAuth }))).toBe('');
    expect(p.cacheScope!(store({ auth: tokenAuth }, 'ClusterSecretStore'))).toBe('app');
    const pinned = { tokenSecretRef: { name: 'v', key: 'token', namespace: 'vault' } };
    expect(p.cacheScope!(store({ auth: pinned }, 'ClusterSecretStore'))).toBe('');
  });
});

describe('provider.openBao (ESO 2.9 key, served by the Vault client)', () => {
  const openBao = vaultProvider({ key: 'openBao', closeQuietMs: 0 });
  const bao = (spec: object): StoreInfo => ({
    kind: 'SecretStore',
    name: 'bao',
    namespace: 'app',
    requesterNamespace: 'app',
    provider: { openBao: { server: addr, ...spec } },
  });

  it('logs in with userpass at its default mount and reads KV v2 at the default mount kv', async () => {
    routes['POST /v1/auth/userpass/login/app'] = () => ({
      body: { auth: { client_token: 'bao-token', lease_duration: 3600, renewable: true } },
    });
    routes['GET /v1/kv/data/db'] = (r) => ({
      status: r.headers['x-vault-token'] === 'bao-token' ? 200 : 403,
      body: { data: { data: { user: 'app' } } },
    });
    const c = await openBao.connect(
      bao({ auth: { userPass: { username: 'app', secretRef: { name: 'bao', key: 'password' } } } }),
      ctx(),
    );
    try {
      expect(await c.getSecret({ key: 'db' })).toEqual({ kind: 'map', data: { user: 'app' } });
    } finally {
      await c.close();
    }
    expect(JSON.parse(seen[0]!.body)).toEqual({ password: 'pw-789' });
  });
  it('reads KV v1 at a named mount without auth, sending no token', async () => {
    routes['GET /v1/secret/db'] = (r) => ({
      body: { data: { token: r.headers['x-vault-token'] ?? 'none' } },
    });
    const c = await openBao.connect(bao({ path: 'secret', version: 'v1' }), ctx());
    try {
      expect(await c.getSecret({ key: 'db' })).toEqual({ kind: 'map', data: { token: 'none' } });
      expect((await c.validate()).result).toBe('Unknown');
    } finally {
      await c.close();
    }
  });
  it('is read-only, as the OpenBao provider of ESO 2.9: no writer for PushSecret', async () => {
    expect(openBao.capabilities).toBe('ReadOnly');
    expect(vaultProvider().capabilities).toBe('ReadWrite');
    const c = await openBao.connect(bao({ path: 'secret', version: 'v1' }), ctx());
    try {
      expect(c.writer).toBeUndefined();
    } finally {
      await c.close();
    }
  });
  it('names its own fields in messages and refuses http:// without the operator opt-in', async () => {
    expect(openBao.validateSpec(bao({ server: '' }))).toBe('spec.provider.openBao.server must be set');
    await expect(openBao.connect(bao({ auth: tokenAuth }), ctx(false))).rejects.toThrow(
      'spec.provider.openBao.server http://127.0.0.1',
    );
  });
});
