// The generators that exchange a ServiceAccount token (TokenRequest, the selector's audiences)
// for a registry token: QuayAccessToken (a robot account's token, ESO's generators/v1/quay)
// and CloudsmithAccessToken (an API token for a service, generators/v1/cloudsmith). Outputs
// as ESO: Quay `registry`, `auth` (base64 of robot:token) and `expiry`; Cloudsmith `auth`
// (base64 of token:<token>) and `expiry` (the token's exp claim).

import type { CloudsmithAccessTokenSpec, QuayAccessTokenSpec } from '../../api/generators/tokens.js';
import { GENERATOR_RESOURCES } from '../../kube/resources.js';
import { specOf } from '../generator.js';
import type { Generator, GeneratorEnv } from '../generator.js';
import type { TokenGeneratorOptions } from './github.js';
import { jwtExpiry, stringField, tokenCall } from './http.js';

export const DEFAULT_QUAY = 'quay.io';
export const DEFAULT_CLOUDSMITH_API = 'https://api.cloudsmith.io';

const enc = new TextEncoder();
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

async function quay(spec: QuayAccessTokenSpec, env: GeneratorEnv, opts: TokenGeneratorOptions) {
  const sa = await env.ctx.requestServiceAccountToken(spec.serviceAccountRef ?? { name: '' });
  // As ESO: the URL is a host (an https:// prefix is dropped) and the call is always https.
  const host = (spec.url || DEFAULT_QUAY).replace(/^https:\/\//, '');
  const robot = spec.robotAccount ?? '';
  const answer = await tokenCall({
    service: 'Quay',
    method: 'GET',
    url: `https://${host}/oauth2/federation/robot/token`,
    headers: { authorization: `Basic ${b64(`${robot}:${sa}`)}` },
    expect: [200],
    signal: env.ctx.signal,
    allowPlainHttp: opts.allowPlainHttpCredentials,
    dispatcher: opts.dispatcher,
  });
  const token = stringField(answer, 'token', 'Quay');
  return {
    registry: enc.encode(host),
    auth: enc.encode(b64(`${robot}:${token}`)),
    expiry: enc.encode(jwtExpiry(token, 'Quay')),
  };
}

async function cloudsmith(spec: CloudsmithAccessTokenSpec, env: GeneratorEnv, opts: TokenGeneratorOptions) {
  const sa = await env.ctx.requestServiceAccountToken(spec.serviceAccountRef ?? { name: '' });
  const base = (spec.apiUrl || DEFAULT_CLOUDSMITH_API).replace(/\/+$/, '');
  const answer = await tokenCall({
    service: 'Cloudsmith',
    method: 'POST',
    url: `${base}/openid/${encodeURIComponent(spec.orgSlug ?? '')}/`,
    headers: {},
    body: { oidc_token: sa, service_slug: spec.serviceSlug },
    expect: [201],
    signal: env.ctx.signal,
    allowPlainHttp: opts.allowPlainHttpCredentials,
    dispatcher: opts.dispatcher,
  });
  const token = stringField(answer, 'token', 'Cloudsmith');
  return { auth: enc.encode(b64(`token:${token}`)), expiry: enc.encode(jwtExpiry(token, 'Cloudsmith')) };
}

export function quayAccessTokenGenerator(opts: TokenGeneratorOptions = {}): Generator {
  return {
    kind: 'QuayAccessToken',
    resource: GENERATOR_RESOURCES.QuayAccessToken,
    provider: 'quay',
    validate(obj) {
      const s = specOf<QuayAccessTokenSpec>(obj);
      if (!s.robotAccount) return 'spec.robotAccount must be set';
      return s.serviceAccountRef?.name ? undefined : 'spec.serviceAccountRef.name must be set';
    },
    generate: async (env, obj) => ({ data: await quay(specOf(obj), env, opts) }),
  };
}

export function cloudsmithAccessTokenGenerator(opts: TokenGeneratorOptions = {}): Generator {
  return {
    kind: 'CloudsmithAccessToken',
    resource: GENERATOR_RESOURCES.CloudsmithAccessToken,
    provider: 'cloudsmith',
    validate(obj) {
      const s = specOf<CloudsmithAccessTokenSpec>(obj);
      if (!s.orgSlug || !s.serviceSlug) return 'spec.orgSlug and spec.serviceSlug must be set';
      return s.serviceAccountRef?.name ? undefined : 'spec.serviceAccountRef.name must be set';
    },
    generate: async (env, obj) => ({ data: await cloudsmith(specOf(obj), env, opts) }),
  };
}
