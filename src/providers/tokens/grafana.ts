// The Grafana generator (ESO's generators/v1/grafana): a token of a Grafana service account,
// which is found by name (GET <url>/api/serviceaccounts/search?query=<name>) or created with
// its role (POST <url>/api/serviceaccounts); then POST .../serviceaccounts/<id>/tokens with a
// random name and `secondsToLive`. Outputs `login` and `token` (ESO's). The token is named by
// a revokeOnly lease and deleted (DELETE .../serviceaccounts/<id>/tokens/<tokenID>) once the
// values are replaced or the ExternalSecret goes; ESO keeps these IDs in a GeneratorState.
// Auth: `auth.token` (a service account token, Bearer) or `auth.basic` (user and password).

import { randomUUID } from 'node:crypto';
import type { GrafanaSpec } from '../../api/generators/tokens.js';
import { GENERATOR_RESOURCES } from '../../kube/resources.js';
import { ProviderError } from '../errors.js';
import { specOf } from '../generator.js';
import type { Generated, Generator, GeneratorEnv } from '../generator.js';
import type { TokenGeneratorOptions } from './github.js';
import { stringField, tokenCall } from './http.js';
import type { TokenCall } from './http.js';

const NO_EXPIRY_MS = 100 * 365 * 24 * 3600 * 1000;
const LEASE = /^serviceaccounts\/(\d+)\/tokens\/(\d+)$/;

export function validateGrafana(spec: GrafanaSpec): string | undefined {
  if (!spec.url) return 'spec.url must be set';
  if (!spec.serviceAccount?.name || !spec.serviceAccount.role)
    return 'spec.serviceAccount needs name and role';
  const a = spec.auth ?? {};
  if (!a.token && !a.basic) return 'spec.auth needs token or basic';
  if (a.token && (!a.token.name || !a.token.key)) return 'spec.auth.token needs name and key';
  if (a.basic && (!a.basic.username || !a.basic.password?.name || !a.basic.password.key))
    return 'spec.auth.basic needs username and password.name and password.key';
  return undefined;
}

const apiBase = (spec: GrafanaSpec) => `${(spec.url ?? '').replace(/\/+$/, '')}/api`;

/** The Authorization header: the service account token first, then basic auth (ESO's order). */
async function authorization(spec: GrafanaSpec, env: GeneratorEnv): Promise<string> {
  const read = async (sel: { name?: string; key?: string }, what: string) =>
    Buffer.from(await env.ctx.readSecretKey({ name: sel.name, key: sel.key }, what))
      .toString('utf8')
      .trim();
  if (spec.auth?.token) return `Bearer ${await read(spec.auth.token, 'auth.token')}`;
  const basic = spec.auth?.basic;
  if (basic) {
    const password = await read(basic.password ?? {}, 'auth.basic.password');
    return `Basic ${Buffer.from(`${basic.username}:${password}`).toString('base64')}`;
  }
  throw new ProviderError('InvalidProviderConfig', 'spec.auth needs token or basic');
}

function caller(spec: GrafanaSpec, env: GeneratorEnv, opts: TokenGeneratorOptions, auth: string) {
  return (method: TokenCall['method'], path: string, body?: unknown, expect?: number[]) =>
    tokenCall({
      service: 'Grafana',
      method,
      url: `${apiBase(spec)}/${path}`,
      headers: { authorization: auth },
      body,
      expect,
      signal: env.ctx.signal,
      allowPlainHttp: opts.allowPlainHttpCredentials,
      dispatcher: opts.dispatcher,
    });
}

const numberField = (o: Record<string, unknown>, field: string): number => {
  const v = o[field];
  if (typeof v !== 'number' || !Number.isInteger(v))
    throw new ProviderError('InvalidRequest', `Grafana: the answer has no numeric "${field}"`);
  return v;
};

async function issue(spec: GrafanaSpec, env: GeneratorEnv, opts: TokenGeneratorOptions): Promise<Generated> {
  const call = caller(spec, env, opts, await authorization(spec, env));
  const sa = spec.serviceAccount ?? {};
  const found = await call('GET', `serviceaccounts/search?query=${encodeURIComponent(sa.name ?? '')}`);
  const list = Array.isArray(found.serviceAccounts)
    ? (found.serviceAccounts as Record<string, unknown>[])
    : [];
  let account = list.find((a) => a && a.name === sa.name);
  account ??= await call('POST', 'serviceaccounts', { name: sa.name, role: sa.role });
  const id = numberField(account, 'id');
  const login = typeof account.login === 'string' ? account.login : '';
  const created = await call('POST', `serviceaccounts/${id}/tokens`, {
    name: randomUUID(),
    ...(sa.secondsToLive ? { secondsToLive: sa.secondsToLive } : {}),
  });
  const key = stringField(created, 'key', 'Grafana');
  const tokenId = numberField(created, 'id');
  const expireAt = env.now + (sa.secondsToLive ? sa.secondsToLive * 1000 : NO_EXPIRY_MS);
  const enc = new TextEncoder();
  return {
    data: { login: enc.encode(login), token: enc.encode(key) },
    lease: {
      leaseID: `serviceaccounts/${id}/tokens/${tokenId}`,
      leaseDuration: Math.round((expireAt - env.now) / 1000),
      renewable: false,
      expireAt,
      revokeOnly: true,
    },
  };
}

async function revoke(spec: GrafanaSpec, env: GeneratorEnv, leaseID: string, opts: TokenGeneratorOptions) {
  if (!LEASE.test(leaseID))
    throw new ProviderError('InvalidRequest', `Grafana: "${leaseID}" is not a token lease`);
  const call = caller(spec, env, opts, await authorization(spec, env));
  await call('DELETE', leaseID, undefined, [200, 204, 404]);
}

export function grafanaGenerator(opts: TokenGeneratorOptions = {}): Generator {
  return {
    kind: 'Grafana',
    resource: GENERATOR_RESOURCES.Grafana,
    provider: 'grafana',
    validate: (obj) => validateGrafana(specOf(obj)),
    generate: (env, obj) => issue(specOf(obj), env, opts),
    revoke: (env, obj, leaseID) => revoke(specOf(obj), env, leaseID, opts),
  };
}
