// The GitlabDeployToken generator (ESO's generators/v1/gitlab): each issue creates a deploy
// token of a project or group (POST <url>/api/v4/{projects|groups}/<id>/deploy_tokens with
// PRIVATE-TOKEN), outputs `username` and `token` (ESO's), and returns a revokeOnly lease
// naming the token: once the values are replaced (the next refresh) or the ExternalSecret
// goes, the token is deleted (DELETE .../deploy_tokens/<tokenID>; 404 counts as deleted).
// ESO keeps that token ID in a GeneratorState; Syncret in status.generatorLeases.

import type { GitlabDeployTokenSpec } from '../../api/generators/tokens.js';
import { GENERATOR_RESOURCES } from '../../kube/resources.js';
import { ProviderError } from '../errors.js';
import { specOf } from '../generator.js';
import type { Generated, Generator, GeneratorEnv } from '../generator.js';
import type { TokenGeneratorOptions } from './github.js';
import { stringField, tokenCall } from './http.js';

export const DEFAULT_GITLAB = 'https://gitlab.com';
/** Deploy tokens without expiresAt live until deleted; the lease records "a long time". */
const NO_EXPIRY_MS = 100 * 365 * 24 * 3600 * 1000;
const LEASE = /^(projects|groups)\/([^/]+)\/deploy_tokens\/(\d+)$/;

export function validateGitlab(spec: GitlabDeployTokenSpec): string | undefined {
  if (!spec.name) return 'spec.name must be set';
  if (!spec.scopes || spec.scopes.length === 0) return 'spec.scopes must list at least one scope';
  if (!!spec.projectID === !!spec.groupID) return 'exactly one of spec.projectID or spec.groupID must be set';
  if (!spec.auth?.token?.secretRef?.name || !spec.auth.token.secretRef.key)
    return 'spec.auth.token.secretRef needs name and key';
  return undefined;
}

/** The collection path, relative to /api/v4 (also the prefix of each lease ID). */
function collection(spec: GitlabDeployTokenSpec): string {
  return spec.projectID
    ? `projects/${encodeURIComponent(spec.projectID)}/deploy_tokens`
    : `groups/${encodeURIComponent(spec.groupID ?? '')}/deploy_tokens`;
}

const apiBase = (spec: GitlabDeployTokenSpec) => `${(spec.url || DEFAULT_GITLAB).replace(/\/+$/, '')}/api/v4`;

async function privateToken(spec: GitlabDeployTokenSpec, env: GeneratorEnv): Promise<string> {
  const t = await env.ctx.readSecretKey(spec.auth?.token?.secretRef ?? {}, 'auth.token.secretRef');
  return Buffer.from(t).toString('utf8').trim();
}

async function issue(
  spec: GitlabDeployTokenSpec,
  env: GeneratorEnv,
  opts: TokenGeneratorOptions,
): Promise<Generated> {
  const answer = await tokenCall({
    service: 'GitLab',
    method: 'POST',
    url: `${apiBase(spec)}/${collection(spec)}`,
    headers: { 'private-token': await privateToken(spec, env) },
    body: {
      name: spec.name,
      scopes: spec.scopes,
      ...(spec.username ? { username: spec.username } : {}),
      ...(spec.expiresAt
        ? { expires_at: new Date(spec.expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z') }
        : {}),
    },
    signal: env.ctx.signal,
    allowPlainHttp: opts.allowPlainHttpCredentials,
    dispatcher: opts.dispatcher,
  });
  const token = stringField(answer, 'token', 'GitLab');
  const id = answer.id;
  if (typeof id !== 'number' || !Number.isInteger(id))
    throw new ProviderError('InvalidRequest', 'GitLab: the answer has no numeric "id"');
  const expireAt = spec.expiresAt ? Date.parse(spec.expiresAt) : env.now + NO_EXPIRY_MS;
  const enc = new TextEncoder();
  return {
    data: {
      username: enc.encode(typeof answer.username === 'string' ? answer.username : ''),
      token: enc.encode(token),
    },
    lease: {
      leaseID: `${collection(spec)}/${id}`,
      leaseDuration: Math.max(0, Math.round((expireAt - env.now) / 1000)),
      renewable: false,
      expireAt,
      revokeOnly: true,
    },
  };
}

async function revoke(
  spec: GitlabDeployTokenSpec,
  env: GeneratorEnv,
  leaseID: string,
  opts: TokenGeneratorOptions,
) {
  // The path comes from status: only this shape, under the generator's own GitLab.
  if (!LEASE.test(leaseID))
    throw new ProviderError('InvalidRequest', `GitLab: "${leaseID}" is not a deploy token lease`);
  await tokenCall({
    service: 'GitLab',
    method: 'DELETE',
    url: `${apiBase(spec)}/${leaseID}`,
    headers: { 'private-token': await privateToken(spec, env) },
    expect: [200, 202, 204, 404],
    signal: env.ctx.signal,
    allowPlainHttp: opts.allowPlainHttpCredentials,
    dispatcher: opts.dispatcher,
  });
}

export function gitlabDeployTokenGenerator(opts: TokenGeneratorOptions = {}): Generator {
  return {
    kind: 'GitlabDeployToken',
    resource: GENERATOR_RESOURCES.GitlabDeployToken,
    provider: 'gitlab',
    validate: (obj) => validateGitlab(specOf(obj)),
    generate: (env, obj) => issue(specOf(obj), env, opts),
    revoke: (env, obj, leaseID) => revoke(specOf(obj), env, leaseID, opts),
  };
}
