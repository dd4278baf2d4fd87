// Vault's AWS auth method, iam type (ESO's auth.iam): Syncret signs an sts:GetCallerIdentity
// request with the store's AWS credentials and hands it to Vault, which sends it to STS and
// maps the identity STS answers with to `vaultRole`. The request is the one Vault's own client
// builds: POST of the form body to the STS endpoint of `region` (the global one for
// us-east-1), with X-Vault-AWS-IAM-Server-ID signed in when set.
//
// The credentials come as for provider.aws (one code path, loaded with the AWS SDK only for
// stores that use iam): static keys from secretRef, IRSA through jwt.serviceAccountRef, else
// the operator's own default chain; `role` is then assumed with `externalID`.

import type { VaultIamAuth } from '../../api/providers/vault.js';
import type { CredentialCache } from '../aws/auth.js';
import type { ProviderContext, StoreInfo } from '../types.js';
import { amzDate, signV4 } from './sigv4.js';

const BODY = 'Action=GetCallerIdentity&Version=2011-06-15';
const CONTENT_TYPE = 'application/x-www-form-urlencoded; charset=utf-8';
const DEFAULT_REGION = 'us-east-1';

/** The STS endpoint Vault's client signs for: global in us-east-1, regional elsewhere. */
export function stsUrl(region: string): URL {
  return new URL(
    region === DEFAULT_REGION ? 'https://sts.amazonaws.com/' : `https://sts.${region}.amazonaws.com/`,
  );
}

export interface IamCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Vault's login body for a signed GetCallerIdentity (the fields of auth/aws/login). */
export function iamLoginBody(
  iam: VaultIamAuth,
  creds: IamCredentials,
  now: Date,
): { body: Record<string, string>; signature: string } {
  const region = iam.region || DEFAULT_REGION;
  const url = stsUrl(region);
  const headers: Record<string, string> = { 'Content-Type': CONTENT_TYPE, 'X-Amz-Date': amzDate(now) };
  if (creds.sessionToken) headers['X-Amz-Security-Token'] = creds.sessionToken;
  if (iam.vaultAwsIamServerID) headers['X-Vault-AWS-IAM-Server-ID'] = iam.vaultAwsIamServerID;
  const authorization = signV4({
    method: 'POST',
    url,
    headers,
    body: BODY,
    region,
    service: 'sts',
    accessKeyId: creds.accessKeyId,
    secretAccessKey: creds.secretAccessKey,
    date: now,
  });
  // As Go's http.Header marshals: canonical names, a list of values each.
  const sent: Record<string, string[]> = { Authorization: [authorization] };
  for (const [k, v] of Object.entries(headers)) sent[canonicalHeader(k)] = [v];
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  return {
    body: {
      role: iam.vaultRole ?? '',
      iam_http_request_method: 'POST',
      iam_request_url: b64(url.toString()),
      iam_request_body: b64(BODY),
      iam_request_headers: b64(JSON.stringify(sent)),
    },
    signature: authorization.slice(authorization.lastIndexOf('=') + 1),
  };
}

/** Go's textproto.CanonicalMIMEHeaderKey: X-Vault-AWS-IAM-Server-ID → X-Vault-Aws-Iam-Server-Id. */
function canonicalHeader(k: string): string {
  return k
    .toLowerCase()
    .split('-')
    .map((p) => (p ? p[0]!.toUpperCase() + p.slice(1) : p))
    .join('-');
}

/** The store's AWS credentials, through provider.aws's resolution (imported on first use). */
async function awsCredentials(
  store: StoreInfo,
  iam: VaultIamAuth,
  ctx: ProviderContext,
): Promise<IamCredentials> {
  const aws = await import('../aws/auth.js');
  const region = iam.region || DEFAULT_REGION;
  const spec = {
    region,
    role: iam.role || undefined,
    externalID: iam.externalID || undefined,
    auth: { secretRef: iam.secretRef, jwt: iam.jwt },
  };
  // One cache of temporary credentials for all iam logins, as provider.aws keeps one.
  cache ??= new aws.CredentialCache();
  const resolved = await aws.resolveAuth(store, spec, ctx, { cache, sts: aws.defaultStsFactory });
  if (resolved.credentials) return resolved.credentials();
  return aws.defaultChainCredentials(region);
}

let cache: CredentialCache | undefined;

/**
 * The body of one login (signed now) and the strings to scrub from Vault's answers: the
 * secret key, the session token and the signature.
 */
export async function iamLogin(
  iam: VaultIamAuth,
  store: StoreInfo,
  ctx: ProviderContext,
): Promise<{ body: Record<string, string>; sensitive: string[] }> {
  const creds = await awsCredentials(store, iam, ctx);
  const { body, signature } = iamLoginBody(iam, creds, new Date());
  const sensitive = [creds.secretAccessKey, signature, body.iam_request_headers!];
  if (creds.sessionToken) sensitive.push(creds.sessionToken);
  return { body, sensitive };
}
