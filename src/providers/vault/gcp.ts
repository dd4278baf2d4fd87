// Vault's gcp auth method (auth.gcp, ESO's VaultGCPAuth): a login with a JWT Google vouches for.
// - iam type, with auth.gcp.secretRef (a service account JSON key): a JWT signed with that key
//   (RS256, kid = the key's id), claims aud "vault/ROLE", sub = the account's email and an
//   expiry 15 minutes ahead, as Vault's CLI helper builds it; Vault checks the signature
//   against the account's public keys at Google. ESO asks Google's signJwt for the signature
//   instead; both are what Vault's docs accept ("a self-signed or Google-signed JWT").
// - iam type, with auth.gcp.workloadIdentity: the same claims signed by Google's IAM
//   Credentials signJwt for the Google service account the ServiceAccount is annotated with,
//   called with the workload identity access token (STS, as the Secret Manager provider).
// - gce type, otherwise (serviceAccountRef, or nothing): the instance identity token of the GCE
//   metadata server (audience SERVER/vault/ROLE, format full); GCE_METADATA_HOST overrides its
//   address, as in Google's libraries.
// Then POST auth/PATH/login {role, jwt}.

import { createSign } from 'node:crypto';
import type { VaultGcpAuth } from '../../api/providers/vault.js';
import { ProviderError } from '../errors.js';
import type { AuthEndpoints } from '../gcpsm/endpoints.js';
import type { ProviderContext } from '../types.js';

/** How long the signed JWT is valid: Vault's default max_jwt_exp, and its CLI helper's jwt_exp. */
export const GCP_JWT_SECONDS = 15 * 60;

export interface GcpClaims {
  aud: string;
  sub: string;
  iat: number;
  exp: number;
}

export function gcpClaims(role: string, email: string, nowMs: number): GcpClaims {
  const iat = Math.floor(nowMs / 1000);
  return { aud: `vault/${role}`, sub: email, iat, exp: iat + GCP_JWT_SECONDS };
}

const b64url = (s: string | Buffer) => Buffer.from(s).toString('base64url');

/** An RS256 JWT signed with a service account's private key (PEM, PKCS #8 as Google issues it). */
export function signWithKey(claims: GcpClaims, key: { pem: string; keyId?: string }): string {
  const head = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', ...(key.keyId ? { kid: key.keyId } : {}) }));
  const body = b64url(JSON.stringify(claims));
  let sig: Buffer;
  try {
    sig = createSign('RSA-SHA256').update(`${head}.${body}`).sign(key.pem);
  } catch {
    throw new ProviderError(
      'InvalidProviderConfig',
      'auth.gcp.secretRef: the private_key of the service account key cannot sign (not a PEM RSA key)',
    );
  }
  return `${head}.${body}.${b64url(sig)}`;
}

export interface GcpLoginDeps {
  endpoints: AuthEndpoints;
  now?: () => number;
  /** Where the GCE metadata server is (GCE_METADATA_HOST); default metadata.google.internal. */
  metadataHost?: string;
  fetch?: typeof fetch;
}

/** The JWT for the login and the secrets to scrub from messages. */
export async function gcpLoginJwt(
  g: VaultGcpAuth,
  server: string,
  ctx: ProviderContext,
  deps: GcpLoginDeps,
): Promise<string> {
  const role = g.role ?? '';
  const now = (deps.now ?? Date.now)();
  if (g.secretRef) {
    const { serviceAccountKeyClient } = await import('../gcpsm/auth.js');
    const key = await serviceAccountKeyClient({ auth: { secretRef: g.secretRef } }, ctx);
    return signWithKey(gcpClaims(role, key.email ?? '', now), { pem: key.key ?? '', keyId: key.keyId });
  }
  if (g.workloadIdentity) return workloadIdentityJwt(g, role, now, ctx, deps);
  return gceJwt(role, server, deps);
}

async function workloadIdentityJwt(
  g: VaultGcpAuth,
  role: string,
  now: number,
  ctx: ProviderContext,
  deps: GcpLoginDeps,
): Promise<string> {
  const auth = await import('../gcpsm/auth.js');
  const wi = g.workloadIdentity!;
  const annotations = await ctx.readServiceAccountAnnotations(wi.serviceAccountRef ?? {});
  const gsa = annotations[auth.GCP_SA_ANNOTATION];
  if (!gsa)
    throw new ProviderError(
      'InvalidProviderConfig',
      `auth.gcp.workloadIdentity: ServiceAccount "${wi.serviceAccountRef?.name ?? ''}" needs the annotation ${auth.GCP_SA_ANNOTATION} (the Google service account Vault's iam login names)`,
    );
  const iam = (deps.endpoints.iamCredentialsUrl ?? 'https://iamcredentials.googleapis.com').replace(
    /\/+$/,
    '',
  );
  ctx.requireTls(iam, 'the IAM Credentials API');
  const client = await auth.workloadIdentityClient(
    { auth: { workloadIdentity: wi }, projectID: g.projectID },
    ctx,
    deps.endpoints,
  );
  let token: string | null | undefined;
  try {
    token = (await client.getAccessToken()).token;
  } catch {
    throw new ProviderError(
      'AuthFailed',
      'auth.gcp.workloadIdentity: no access token was issued (STS or impersonation refused)',
    );
  }
  const url = `${iam}/v1/projects/-/serviceAccounts/${encodeURIComponent(gsa)}:signJwt`;
  const res = await (deps.fetch ?? fetch)(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token ?? ''}`, 'content-type': 'application/json' },
    body: JSON.stringify({ payload: JSON.stringify(gcpClaims(role, gsa, now)) }),
    signal: ctx.signal,
  });
  const answer = (await res.json().catch(() => ({}))) as { signedJwt?: unknown };
  if (!res.ok || typeof answer.signedJwt !== 'string')
    throw new ProviderError(
      'AuthFailed',
      `auth.gcp.workloadIdentity: signJwt for ${gsa} answered ${res.status}`,
    );
  return answer.signedJwt;
}

async function gceJwt(role: string, server: string, deps: GcpLoginDeps): Promise<string> {
  const host = deps.metadataHost || 'metadata.google.internal';
  const audience = `${server.replace(/\/+$/, '')}/vault/${role}`;
  // The metadata server is link-local plain HTTP by design, and it is asked for a credential, never given one.
  const url = `http://${host}/computeMetadata/v1/instance/service-accounts/default/identity?audience=${encodeURIComponent(audience)}&format=full`;
  let res: Response;
  try {
    res = await (deps.fetch ?? fetch)(url, {
      headers: { 'Metadata-Flavor': 'Google' },
      signal: AbortSignal.timeout(10_000),
    });
  } catch {
    throw new ProviderError(
      'AuthFailed',
      `auth.gcp (gce login: no secretRef or workloadIdentity) needs the GCE metadata server at ${host}, which did not answer; outside GCE use secretRef (a service account key) or workloadIdentity`,
    );
  }
  const text = (await res.text()).trim();
  if (!res.ok || !text)
    throw new ProviderError(
      'AuthFailed',
      `auth.gcp (gce login): the metadata server at ${host} answered ${res.status}`,
    );
  return text;
}
