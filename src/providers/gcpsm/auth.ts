// Credentials for Secret Manager, built on google-auth-library (which caches tokens and
// refreshes them before expiry):
// - secretRef: a service account JSON key; Google's libraries then sign a self-signed JWT per
//   audience (no token endpoint call) for service account keys.
// - workloadIdentity (GKE): a ServiceAccount token from the TokenRequest API (audience
//   <clusterProject>.svc.id.goog), exchanged at the STS endpoint for a federated token, then,
//   when the ServiceAccount is annotated with iam.gke.io/gcp-service-account, exchanged for
//   that Google service account's access token (IAM Credentials generateAccessToken).
// - none: application default credentials (GOOGLE_APPLICATION_CREDENTIALS, the metadata server).
// Syncret attaches the resulting headers to each call itself rather than letting the gRPC
// channel do it, so the same code runs against the plaintext emulator and so token failures
// surface as typed, value-free errors instead of an opaque UNAVAILABLE from the channel.

import { GoogleAuth, IdentityPoolClient, JWT } from 'google-auth-library';
import type { AuthClient } from 'google-auth-library';
import type { GcpsmProvider } from '../../api/providers/gcpsm.js';
import { ProviderError } from '../errors.js';
import type { ProviderContext } from '../types.js';
import type { AuthEndpoints } from './endpoints.js';

export type { AuthEndpoints } from './endpoints.js';

export const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';
export const GCP_SA_ANNOTATION = 'iam.gke.io/gcp-service-account';
/**
 * Workload identity ServiceAccount tokens live this long: TokenRequest's minimum. STS exchanges
 * each at once, so a longer life (ESO asks for 15 minutes) only widens the window of a leak.
 */
const WI_TOKEN_SECONDS = 600;

export interface GcpCredential {
  /** What the store authenticates with, for messages. */
  readonly kind: 'service account key' | 'workload identity' | 'application default credentials';
  /** Authorization (and quota project) headers for a call to `audience` (https://host/). */
  headers(audience: string): Promise<Record<string, string>>;
}

const decoder = new TextDecoder();

function httpStatusOf(e: unknown): number | undefined {
  const s = (e as { status?: unknown; response?: { status?: unknown } } | undefined)?.response?.status;
  return typeof s === 'number' ? s : undefined;
}

function urlOf(e: unknown): string {
  const u = (e as { config?: { url?: unknown } } | undefined)?.config?.url;
  return typeof u === 'string' || u instanceof URL ? String(u) : '';
}

/** The OAuth error code of a token endpoint's answer (e.g. invalid_grant): safe to show. */
function oauthErrorOf(e: unknown): string | undefined {
  const data = (e as { response?: { data?: unknown } } | undefined)?.response?.data;
  const err = data && typeof data === 'object' ? ((data as { error?: unknown }).error as unknown) : undefined;
  const code = typeof err === 'string' ? err : (err as { status?: unknown } | undefined)?.status;
  return typeof code === 'string' && /^[A-Za-z_]{1,40}$/.test(code) ? code : undefined;
}

/**
 * A token acquisition failure as a ProviderError naming the step and the HTTP status, never
 * the response body (which may echo the subject token) nor the library's message.
 */
export function tokenFailure(
  e: unknown,
  kind: GcpCredential['kind'],
  endpoints: AuthEndpoints,
): ProviderError {
  if (e instanceof ProviderError) return e;
  const url = urlOf(e);
  const status = httpStatusOf(e);
  const code = oauthErrorOf(e);
  const sts = endpoints.stsUrl ?? 'https://sts.googleapis.com/v1/token';
  let step = 'getting an access token';
  if (url.includes(':generateAccessToken')) step = 'impersonating the Google service account';
  else if (url && url.split('?')[0] === sts.split('?')[0]) step = 'the STS token exchange';
  else if (url.includes('/computeMetadata/')) step = 'asking the metadata server for a token';
  else if (url) step = 'the OAuth token request';
  const detail = status ? ` (HTTP ${status}${code ? ` ${code}` : ''})` : '';
  if (status === 429 || (status !== undefined && status >= 500) || (status === undefined && url))
    return new ProviderError('Unavailable', `${kind}: ${step} failed${detail || ': no answer'}`);
  if (status === undefined) {
    const msg = (e as Error)?.message ?? '';
    if (/default credentials/i.test(msg))
      return new ProviderError(
        'AuthFailed',
        'application default credentials not found: set auth.secretRef or auth.workloadIdentity, or run where ADC is available',
      );
    return new ProviderError('AuthFailed', `${kind}: ${step} failed`);
  }
  return new ProviderError('AuthFailed', `${kind}: ${step} was refused${detail}`);
}

function fromClient(
  kind: GcpCredential['kind'],
  client: AuthClient | GoogleAuth,
  endpoints: AuthEndpoints,
): GcpCredential {
  return {
    kind,
    async headers(audience: string) {
      let h: Headers;
      try {
        h = await client.getRequestHeaders(audience);
      } catch (e) {
        throw tokenFailure(e, kind, endpoints);
      }
      const out: Record<string, string> = {};
      h.forEach((v, k) => (out[k] = v));
      if (!out.authorization) throw new ProviderError('AuthFailed', `${kind}: no access token was issued`);
      return out;
    },
  };
}

interface ServiceAccountKey {
  type?: string;
  client_email?: string;
  private_key?: string;
  private_key_id?: string;
}

/**
 * auth.secretRef's service account JSON key as a JWT client. With `scopes` it asks Google's
 * token endpoint for an access token (what a registry login needs); without, see below.
 */
export async function serviceAccountKeyClient(
  spec: Pick<GcpsmProvider, 'auth'>,
  ctx: ProviderContext,
  scopes?: string[],
): Promise<JWT> {
  const sel = spec.auth?.secretRef?.secretAccessKeySecretRef ?? {};
  const what = 'auth.secretRef.secretAccessKeySecretRef';
  const raw = decoder.decode(await ctx.readSecretKey(sel, what));
  let json: ServiceAccountKey;
  try {
    json = JSON.parse(raw) as ServiceAccountKey;
  } catch {
    throw new ProviderError('InvalidProviderConfig', `${what} does not hold JSON (a service account key)`);
  }
  if (
    !json ||
    typeof json !== 'object' ||
    json.type !== 'service_account' ||
    !json.client_email ||
    !json.private_key
  )
    throw new ProviderError(
      'InvalidProviderConfig',
      `${what} is not a service account JSON key (needs type "service_account", client_email, private_key)`,
    );
  return new JWT({
    email: json.client_email,
    key: json.private_key,
    ...(json.private_key_id ? { keyId: json.private_key_id } : {}),
    ...(scopes ? { scopes } : {}),
  });
}

/** auth.secretRef: a service account JSON key from a Secret. */
export async function serviceAccountKeyCredential(
  spec: GcpsmProvider,
  ctx: ProviderContext,
  endpoints: AuthEndpoints,
): Promise<GcpCredential> {
  const client = await serviceAccountKeyClient(spec, ctx);
  // Without user scopes Google's libraries sign a self-signed JWT for the API's audience
  // instead of calling the OAuth token endpoint: what the official clients do for keys.
  client.defaultScopes = [CLOUD_PLATFORM];
  return fromClient('service account key', client, endpoints);
}

/** auth.workloadIdentity: GKE workload identity through STS (and impersonation). */
export async function workloadIdentityCredential(
  spec: GcpsmProvider,
  ctx: ProviderContext,
  endpoints: AuthEndpoints,
): Promise<GcpCredential> {
  return fromClient('workload identity', await workloadIdentityClient(spec, ctx, endpoints), endpoints);
}

/** The federated (or impersonated) identity of auth.workloadIdentity, as a client. */
export async function workloadIdentityClient(
  spec: Pick<GcpsmProvider, 'auth' | 'projectID'>,
  ctx: ProviderContext,
  endpoints: AuthEndpoints,
): Promise<IdentityPoolClient> {
  const wi = spec.auth?.workloadIdentity ?? {};
  const sa = wi.serviceAccountRef ?? {};
  const clusterProject = wi.clusterProjectID || spec.projectID || '';
  const idPool = `${clusterProject}.svc.id.goog`;
  const idProvider = `https://container.googleapis.com/v1/projects/${clusterProject}/locations/${wi.clusterLocation}/clusters/${wi.clusterName}`;
  const annotations = await ctx.readServiceAccountAnnotations(sa);
  const gsa = annotations[GCP_SA_ANNOTATION];
  const iam = (endpoints.iamCredentialsUrl ?? 'https://iamcredentials.googleapis.com').replace(/\/+$/, '');
  return new IdentityPoolClient({
    type: 'external_account',
    audience: `identitynamespace:${idPool}:${idProvider}`,
    subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    token_url: endpoints.stsUrl ?? 'https://sts.googleapis.com/v1/token',
    // Without the annotation the federated token is used as is (IAM bindings on
    // principal://iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/...).
    ...(gsa
      ? {
          service_account_impersonation_url: `${iam}/v1/projects/-/serviceAccounts/${encodeURIComponent(gsa)}:generateAccessToken`,
        }
      : {}),
    scopes: [CLOUD_PLATFORM],
    subject_token_supplier: {
      getSubjectToken: () =>
        ctx.requestServiceAccountToken(sa, { audiences: [idPool], expirationSeconds: WI_TOKEN_SECONDS }),
    },
  });
}

/** No auth: application default credentials of the operator's environment. */
export function applicationDefaultCredential(endpoints: AuthEndpoints): GcpCredential {
  const auth = new GoogleAuth();
  auth.defaultScopes = [CLOUD_PLATFORM];
  return fromClient('application default credentials', auth, endpoints);
}
