// GitHub, Quay and Cloudsmith token exchanges against undici's MockAgent: the requests as
// their APIs document them, ESO's outputs, and failures that name host and status only.

import { describe, expect, it } from '@jest/globals';
import { generateKeyPairSync, verify } from 'node:crypto';
import { MockAgent } from 'undici';
import type { ProviderError } from '../errors.js';
import type { GeneratorEnv } from '../generator.js';
import { cloudsmithAccessTokenGenerator, quayAccessTokenGenerator } from './exchange.js';
import { appJwt, githubAccessTokenGenerator } from './github.js';
import { gitlabDeployTokenGenerator } from './gitlab.js';
import { grafanaGenerator } from './grafana.js';
import { jwtExpiry } from './http.js';

const app = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = app.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const dec = (d: Record<string, Uint8Array>) =>
  Object.fromEntries(Object.entries(d).map(([k, v]) => [k, new TextDecoder().decode(v)]));
const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const jwt = (claims: object) => `${part({ alg: 'none' })}.${part(claims)}.x`;
const claimsOf = (t: string) =>
  JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

function env(): GeneratorEnv & { tokens: unknown[] } {
  const tokens: unknown[] = [];
  return {
    tokens,
    namespace: 'ns',
    now: 1_700_000_000_000,
    ctx: {
      signal: new AbortController().signal,
      requireTls: () => undefined,
      readSecretKey: async () => new TextEncoder().encode(pem),
      readConfigMapKey: async () => '',
      requestServiceAccountToken: async (sel) => {
        tokens.push(sel);
        return jwt({ sub: `system:serviceaccount:ns:${sel.name}` });
      },
      readServiceAccountAnnotations: async () => ({}),
    },
    readSecret: async () => ({ data: {}, labels: {} }),
    renderTemplate: () => '',
  };
}

const obj = (spec: object) => ({ metadata: { name: 'g', namespace: 'ns' }, spec });

function mock(): MockAgent {
  const agent = new MockAgent();
  agent.disableNetConnect();
  return agent;
}

describe('GithubAccessToken', () => {
  it('signs an RS256 app JWT as ESO does', () => {
    const t = appJwt(pem, '1234', 1_700_000_000_000);
    const [h, p, s] = t.split('.');
    expect(JSON.parse(Buffer.from(h!, 'base64url').toString())).toEqual({ alg: 'RS256', typ: 'JWT' });
    expect(claimsOf(t)).toEqual({ iss: '1234', iat: 1_699_999_990, exp: 1_700_000_300 });
    expect(verify('sha256', Buffer.from(`${h}.${p}`), app.publicKey, Buffer.from(s!, 'base64url'))).toBe(
      true,
    );
    expect(() => appJwt('not a key', '1', 0)).toThrow(/not a PEM private key/);
  });

  it('exchanges it for an installation token, narrowed by repositories and permissions', async () => {
    const agent = mock();
    let seen: { headers?: unknown; body?: unknown } = {};
    agent
      .get('https://gh.test')
      .intercept({ path: '/api/v3/app/installations/42/access_tokens', method: 'POST' })
      .reply(201, (opts) => {
        seen = { headers: opts.headers, body: JSON.parse(String(opts.body)) };
        return { token: 'ghs_x', expires_at: '2030-01-01T00:00:00Z' };
      });
    const gen = githubAccessTokenGenerator({ dispatcher: agent });
    const spec = {
      url: 'https://gh.test/api/v3/',
      appID: '1234',
      installID: '42',
      repositories: ['a'],
      permissions: { contents: 'read' },
      auth: { privateKey: { secretRef: { name: 'app', key: 'pem' } } },
    };
    expect(gen.validate(obj(spec))).toBeUndefined();
    expect(dec((await gen.generate(env(), obj(spec))).data)).toEqual({ token: 'ghs_x' });
    expect(seen.body).toEqual({ repositories: ['a'], permissions: { contents: 'read' } });
    expect(JSON.stringify(seen.headers)).toContain('application/vnd.github.v3+json');
    expect(gen.validate(obj({ ...spec, installID: 'x' }))).toMatch(/must be a number/);
  });

  it('refuses http and names only host and status on failure', async () => {
    const gen = githubAccessTokenGenerator();
    const spec = {
      url: 'http://gh.test',
      appID: '1',
      installID: '2',
      auth: { privateKey: { secretRef: { name: 'a', key: 'b' } } },
    };
    await expect(gen.generate(env(), obj(spec))).rejects.toThrow(
      /http:\/\/gh.test is plain HTTP: Syncret sends credentials only over TLS/,
    );
    const agent = mock();
    agent
      .get('https://gh.test')
      .intercept({ path: '/app/installations/2/access_tokens', method: 'POST' })
      .reply(401, { message: 'Bad credentials for secret-thing' });
    const err = (await githubAccessTokenGenerator({ dispatcher: agent })
      .generate(env(), obj({ ...spec, url: 'https://gh.test' }))
      .catch((e: unknown) => e)) as ProviderError;
    expect(err.reason).toBe('AccessDenied');
    expect(err.message).toBe('GitHub (gh.test) answered 401');
  });
});

describe('QuayAccessToken and CloudsmithAccessToken', () => {
  it('Quay: robot account and ServiceAccount token as basic auth, over https, ESO outputs', async () => {
    const agent = mock();
    let auth = '';
    const token = jwt({ exp: 1_900_000_000 });
    agent
      .get('https://quay.test')
      .intercept({ path: '/oauth2/federation/robot/token', method: 'GET' })
      .reply(200, (opts) => {
        auth = String((opts.headers as Record<string, string>).authorization);
        return { token };
      });
    const e = env();
    const spec = {
      url: 'https://quay.test',
      robotAccount: 'org+bot',
      serviceAccountRef: { name: 'sa', audiences: ['quay'] },
    };
    const out = dec((await quayAccessTokenGenerator({ dispatcher: agent }).generate(e, obj(spec))).data);
    expect(out).toEqual({
      registry: 'quay.test',
      auth: Buffer.from(`org+bot:${token}`).toString('base64'),
      expiry: '1900000000',
    });
    const [robot, sa] = Buffer.from(auth.replace('Basic ', ''), 'base64').toString().split(':');
    expect(robot).toBe('org+bot');
    expect(claimsOf(sa!).sub).toBe('system:serviceaccount:ns:sa');
    expect(e.tokens).toEqual([{ name: 'sa', audiences: ['quay'] }]);
  });

  it('Cloudsmith: the ServiceAccount token posted with the service slug, 201 expected', async () => {
    const agent = mock();
    let body: Record<string, unknown> = {};
    const token = jwt({ exp: 1_900_000_001 });
    agent
      .get('https://cs.test')
      .intercept({ path: '/openid/my-org/', method: 'POST' })
      .reply(201, (opts) => {
        body = JSON.parse(String(opts.body)) as Record<string, unknown>;
        return { token };
      });
    const spec = {
      apiUrl: 'https://cs.test/',
      orgSlug: 'my-org',
      serviceSlug: 'bot',
      serviceAccountRef: { name: 'sa' },
    };
    const out = dec(
      (await cloudsmithAccessTokenGenerator({ dispatcher: agent }).generate(env(), obj(spec))).data,
    );
    expect(out).toEqual({ auth: Buffer.from(`token:${token}`).toString('base64'), expiry: '1900000001' });
    expect(body.service_slug).toBe('bot');
    expect(claimsOf(String(body.oidc_token)).sub).toBe('system:serviceaccount:ns:sa');
    const wrong = mock();
    wrong.get('https://cs.test').intercept({ path: '/openid/my-org/', method: 'POST' }).reply(200, { token });
    await expect(
      cloudsmithAccessTokenGenerator({ dispatcher: wrong }).generate(env(), obj(spec)),
    ).rejects.toThrow(/answered 200/);
  });

  it('reads the exp claim of a token', () => {
    expect(jwtExpiry(jwt({ exp: 5 }), 'x')).toBe('5');
    expect(() => jwtExpiry('nope', 'x')).toThrow(/no exp claim/);
  });
});

describe('GitlabDeployToken and Grafana (revokeOnly leases)', () => {
  const gitlabSpec = {
    url: 'https://gl.test/',
    projectID: 'group/app',
    name: 'deploy',
    scopes: ['read_registry'],
    expiresAt: '2030-01-01T00:00:00Z',
    auth: { token: { secretRef: { name: 'gl', key: 'token' } } },
  };

  it('GitLab: creates a deploy token of a project, leases its ID, deletes it on revoke', async () => {
    const agent = mock();
    const seen: { method: string; path: string; token: string; body?: unknown }[] = [];
    const record = (opts: { method: string; path: string; headers?: unknown; body?: unknown }) =>
      seen.push({
        method: opts.method,
        path: opts.path,
        token: String((opts.headers as Record<string, string>)['private-token']),
        body: opts.body ? JSON.parse(String(opts.body)) : undefined,
      });
    const pool = agent.get('https://gl.test');
    pool
      .intercept({ path: '/api/v4/projects/group%2Fapp/deploy_tokens', method: 'POST' })
      .reply(201, (opts) => {
        record(opts);
        return { id: 7, username: 'gitlab+deploy-token-7', token: 'gldt-x' };
      });
    pool
      .intercept({ path: '/api/v4/projects/group%2Fapp/deploy_tokens/7', method: 'DELETE' })
      .reply(204, (opts) => {
        record(opts);
        return '';
      });
    const gen = gitlabDeployTokenGenerator({ dispatcher: agent });
    expect(gen.validate(obj(gitlabSpec))).toBeUndefined();
    expect(gen.validate(obj({ ...gitlabSpec, groupID: 'g' }))).toMatch(/exactly one of/);
    const out = await gen.generate(env(), obj(gitlabSpec));
    expect(dec(out.data)).toEqual({ username: 'gitlab+deploy-token-7', token: 'gldt-x' });
    expect(out.lease).toMatchObject({
      leaseID: 'projects/group%2Fapp/deploy_tokens/7',
      revokeOnly: true,
      renewable: false,
    });
    expect(seen[0]?.body).toEqual({
      name: 'deploy',
      scopes: ['read_registry'],
      expires_at: '2030-01-01T00:00:00Z',
    });
    await gen.revoke!(env(), obj(gitlabSpec), out.lease!.leaseID);
    expect(seen.map((s) => s.method)).toEqual(['POST', 'DELETE']);
    // A lease ID from status is not trusted as a URL.
    await expect(gen.revoke!(env(), obj(gitlabSpec), '../../admin')).rejects.toThrow(
      /not a deploy token lease/,
    );
  });

  it('Grafana: finds or creates the service account, issues a token, deletes it on revoke', async () => {
    const agent = mock();
    const calls: string[] = [];
    const pool = agent.get('https://grafana.test');
    pool.intercept({ path: '/g/api/serviceaccounts/search?query=ci', method: 'GET' }).reply(200, () => {
      calls.push('search');
      return { serviceAccounts: [{ id: 1, name: 'cic', login: 'sa-cic' }] };
    });
    pool.intercept({ path: '/g/api/serviceaccounts', method: 'POST' }).reply(201, (opts) => {
      calls.push(`create ${String(opts.body)}`);
      return { id: 3, name: 'ci', login: 'sa-ci' };
    });
    pool.intercept({ path: '/g/api/serviceaccounts/3/tokens', method: 'POST' }).reply(200, (opts) => {
      calls.push(`token ${(JSON.parse(String(opts.body)) as { secondsToLive?: number }).secondsToLive}`);
      return { id: 9, name: 'x', key: 'glsa_key' };
    });
    pool.intercept({ path: '/g/api/serviceaccounts/3/tokens/9', method: 'DELETE' }).reply(404, () => {
      calls.push('delete');
      return {};
    });
    const spec = {
      url: 'https://grafana.test/g/',
      auth: { token: { name: 'admin', key: 'token' } },
      serviceAccount: { name: 'ci', role: 'Viewer', secondsToLive: 3600 },
    };
    const gen = grafanaGenerator({ dispatcher: agent });
    const out = await gen.generate(env(), obj(spec));
    expect(dec(out.data)).toEqual({ login: 'sa-ci', token: 'glsa_key' });
    expect(out.lease).toMatchObject({
      leaseID: 'serviceaccounts/3/tokens/9',
      revokeOnly: true,
      leaseDuration: 3600,
    });
    expect(calls).toEqual(['search', 'create {"name":"ci","role":"Viewer"}', 'token 3600']);
    // Already gone (404) counts as deleted.
    await gen.revoke!(env(), obj(spec), 'serviceaccounts/3/tokens/9');
    expect(calls.at(-1)).toBe('delete');
    expect(gen.validate(obj({ ...spec, auth: {} }))).toMatch(/token or basic/);
  });
});
