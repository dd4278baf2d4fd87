// The GithubAccessToken generator (ESO's generators/v1/github): a GitHub App installation
// token. A JWT signed with the app's private key (RS256, issued 10 s in the past, valid 5 min,
// issuer the app ID) is exchanged at POST <url>/app/installations/<installID>/access_tokens,
// optionally narrowed to `repositories` and `permissions`; the answer's token becomes the
// key `token` (ESO's output).

import { createPrivateKey, sign } from 'node:crypto';
import type { GithubAccessTokenSpec } from '../../api/generators/tokens.js';
import { GENERATOR_RESOURCES } from '../../kube/resources.js';
import { ProviderError } from '../errors.js';
import { specOf } from '../generator.js';
import type { Generator, GeneratorEnv } from '../generator.js';
import { stringField, tokenCall } from './http.js';
import type { TokenCall } from './http.js';

export const DEFAULT_GITHUB_API = 'https://api.github.com';

const b64url = (v: string | Buffer) => Buffer.from(v).toString('base64url');

/** An RS256 JWT for the app; the key is PEM (PKCS #1 or PKCS #8). */
export function appJwt(privateKeyPem: string, appID: string, nowMs: number): string {
  let key;
  try {
    key = createPrivateKey(privateKeyPem);
  } catch {
    throw new ProviderError(
      'InvalidProviderConfig',
      'auth.privateKey: the Secret key is not a PEM private key',
    );
  }
  if (key.asymmetricKeyType !== 'rsa')
    throw new ProviderError('InvalidProviderConfig', 'auth.privateKey: a GitHub App key is an RSA key');
  const now = Math.floor(nowMs / 1000);
  const head = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify({ iss: appID, exp: now + 300, iat: now - 10 }));
  return `${head}.${body}.${b64url(sign('sha256', Buffer.from(`${head}.${body}`), key))}`;
}

export function validateGithub(spec: GithubAccessTokenSpec): string | undefined {
  if (!spec.appID) return 'spec.appID must be set';
  if (!spec.installID) return 'spec.installID must be set';
  if (!/^\d+$/.test(spec.installID)) return `spec.installID "${spec.installID}" must be a number`;
  if (!spec.auth?.privateKey?.secretRef?.name || !spec.auth.privateKey.secretRef.key)
    return 'spec.auth.privateKey.secretRef needs name and key';
  return undefined;
}

async function issue(spec: GithubAccessTokenSpec, env: GeneratorEnv, opts: TokenGeneratorOptions) {
  const pem = await env.ctx.readSecretKey(
    spec.auth?.privateKey?.secretRef ?? {},
    'auth.privateKey.secretRef',
  );
  const jwt = appJwt(Buffer.from(pem).toString('utf8'), spec.appID ?? '', env.now);
  const payload: Record<string, unknown> = {};
  if (spec.permissions) payload.permissions = spec.permissions;
  if (spec.repositories && spec.repositories.length > 0) payload.repositories = spec.repositories;
  const base = (spec.url || DEFAULT_GITHUB_API).replace(/\/+$/, '');
  const answer = await tokenCall({
    service: 'GitHub',
    method: 'POST',
    url: `${base}/app/installations/${spec.installID}/access_tokens`,
    headers: { authorization: `Bearer ${jwt}`, accept: 'application/vnd.github.v3+json' },
    body: Object.keys(payload).length > 0 ? payload : undefined,
    signal: env.ctx.signal,
    allowPlainHttp: opts.allowPlainHttpCredentials,
    dispatcher: opts.dispatcher,
  });
  return { token: new TextEncoder().encode(stringField(answer, 'token', 'GitHub')) };
}

export interface TokenGeneratorOptions {
  /** Operator opt-in: credentials to http:// URLs too. */
  allowPlainHttpCredentials?: boolean;
  dispatcher?: TokenCall['dispatcher'];
}

export function githubAccessTokenGenerator(opts: TokenGeneratorOptions = {}): Generator {
  return {
    kind: 'GithubAccessToken',
    resource: GENERATOR_RESOURCES.GithubAccessToken,
    provider: 'github',
    validate: (obj) => validateGithub(specOf(obj)),
    generate: async (env, obj) => ({ data: await issue(specOf(obj), env, opts) }),
  };
}
