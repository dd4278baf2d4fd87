// The CI job's OIDC ID token, for Vault's JWT auth: no stored credential, the pipeline's own
// identity. Where a job has one:
// - GitHub Actions (`permissions: id-token: write`): asked from the runner's token service
//   (ACTIONS_ID_TOKEN_REQUEST_URL, with the bearer ACTIONS_ID_TOKEN_REQUEST_TOKEN), with the
//   audience the Vault role is bound to;
// - GitLab CI: the variable named in the job's `id_tokens:` (its audience is set there);
// - anywhere else: a file.
// A failure names the source and the HTTP status, never a token or an answer body.

import { ProviderError } from '../providers/errors.js';
import { requireTls } from '../providers/tls.js';
import { fileTokenSource } from './context.js';
import type { TokenSource } from './context.js';

export interface IdTokenOptions {
  /** A file holding the token. */
  file?: string;
  /** An environment variable holding the token (GitLab's id_tokens). */
  envVar?: string;
  env: Readonly<Record<string, string | undefined>>;
  allowInsecureCredentials?: boolean;
}

const REQUEST_TIMEOUT_MS = 15_000;

async function githubIdToken(
  url: string,
  bearer: string,
  audience: string | undefined,
  allowInsecure: boolean,
): Promise<string> {
  requireTls(url, 'the GitHub ID token service', allowInsecure);
  const u = new URL(url);
  if (audience) u.searchParams.set('audience', audience);
  let res: Response;
  try {
    res = await fetch(u, {
      headers: { authorization: `Bearer ${bearer}`, accept: 'application/json' },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (e) {
    throw new ProviderError(
      'Unavailable',
      `the GitHub ID token service ${u.protocol}//${u.host} did not answer (${(e as Error).name})`,
    );
  }
  if (!res.ok)
    throw new ProviderError(
      res.status === 401 || res.status === 403 ? 'AuthFailed' : 'Unavailable',
      `the GitHub ID token service answered ${res.status} (does the job have "permissions: id-token: write"?)`,
    );
  let value: unknown;
  try {
    value = ((await res.json()) as { value?: unknown }).value;
  } catch {
    value = undefined;
  }
  if (typeof value !== 'string' || !value)
    throw new ProviderError('Unavailable', 'the GitHub ID token service answered without a token');
  return value;
}

/** The job's ID token source: a file, a variable, or GitHub's token service, in that order. */
export function idTokenSource(o: IdTokenOptions): TokenSource {
  if (o.file) return fileTokenSource(o.file);
  if (o.envVar) {
    const name = o.envVar;
    return async () => {
      const v = o.env[name]?.trim();
      if (!v) throw new ProviderError('InvalidProviderConfig', `the ID token variable ${name} is not set`);
      return v;
    };
  }
  const url = o.env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const bearer = o.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  return async (audiences) => {
    if (!url || !bearer)
      throw new ProviderError(
        'InvalidProviderConfig',
        'no ID token: give --id-token-file or --id-token-env, or run in a GitHub Actions job with "permissions: id-token: write"',
      );
    return githubIdToken(url, bearer, audiences?.[0], !!o.allowInsecureCredentials);
  };
}
