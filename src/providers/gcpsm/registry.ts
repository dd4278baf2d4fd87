// The GCRAccessToken generator (ESO's generators/v1/gcr): an OAuth access token for Google's
// container and artifact registries, from the same credentials as a Secret Manager store
// (src/providers/gcpsm/auth.ts): a service account JSON key (a token from Google's token
// endpoint, cloud-platform scope), GKE workload identity (STS, and impersonation when the
// ServiceAccount is annotated), or application default credentials. Outputs as ESO:
// `username` oauth2accesstoken, `password` the token, `expiry` its Unix time in seconds.

import { GoogleAuth } from 'google-auth-library';
import type { AuthClient } from 'google-auth-library';
import type { GcpsmProvider } from '../../api/providers/gcpsm.js';
import { GENERATOR_RESOURCES } from '../../kube/resources.js';
import { ProviderError } from '../errors.js';
import { specOf } from '../generator.js';
import type { Generator } from '../generator.js';
import type { ProviderContext } from '../types.js';
import { CLOUD_PLATFORM, serviceAccountKeyClient, tokenFailure, workloadIdentityClient } from './auth.js';
import type { AuthEndpoints, GcpCredential } from './auth.js';

export const GCR_USERNAME = 'oauth2accesstoken';

type GcrSpec = Pick<GcpsmProvider, 'auth' | 'projectID'>;

export function validateGcr(spec: GcrSpec): string | undefined {
  if (!spec.projectID) return 'spec.projectID must be set';
  const a = spec.auth ?? {};
  if ([a.secretRef, a.workloadIdentity, a.workloadIdentityFederation].filter(Boolean).length > 1)
    return 'spec.auth: set at most one of secretRef, workloadIdentity, workloadIdentityFederation';
  if (a.workloadIdentityFederation)
    return 'spec.auth.workloadIdentityFederation is not supported by this Syncret version; use workloadIdentity, secretRef or application default credentials';
  if (a.secretRef && !a.secretRef.secretAccessKeySecretRef?.name)
    return 'spec.auth.secretRef.secretAccessKeySecretRef needs name and key';
  if (
    a.workloadIdentity &&
    (!a.workloadIdentity.serviceAccountRef?.name ||
      !a.workloadIdentity.clusterLocation ||
      !a.workloadIdentity.clusterName)
  )
    return 'spec.auth.workloadIdentity needs serviceAccountRef, clusterLocation and clusterName';
  return undefined;
}

async function clientOf(
  spec: GcrSpec,
  ctx: ProviderContext,
  endpoints: AuthEndpoints,
): Promise<{ client: AuthClient; kind: GcpCredential['kind'] }> {
  const a = spec.auth ?? {};
  if (a.secretRef)
    return {
      client: await serviceAccountKeyClient(spec, ctx, [CLOUD_PLATFORM]),
      kind: 'service account key',
    };
  if (a.workloadIdentity)
    return { client: await workloadIdentityClient(spec, ctx, endpoints), kind: 'workload identity' };
  const auth = new GoogleAuth({ scopes: [CLOUD_PLATFORM] });
  return { client: await auth.getClient(), kind: 'application default credentials' };
}

export async function gcrAccessToken(
  spec: GcrSpec,
  ctx: ProviderContext,
  endpoints: AuthEndpoints,
): Promise<Record<string, Uint8Array>> {
  const { client, kind } = await clientOf(spec, ctx, endpoints).catch((e: unknown) => {
    throw tokenFailure(e, 'application default credentials', endpoints);
  });
  let token: string | null | undefined;
  try {
    token = (await client.getAccessToken()).token;
  } catch (e) {
    throw tokenFailure(e, kind, endpoints);
  }
  if (!token) throw new ProviderError('AuthFailed', `${kind}: no access token was issued`);
  const expiry = client.credentials.expiry_date;
  const enc = new TextEncoder();
  return {
    username: enc.encode(GCR_USERNAME),
    password: enc.encode(token),
    expiry: enc.encode(String(Math.floor((expiry ?? 0) / 1000))),
  };
}

export function gcrAccessTokenGenerator(endpoints: AuthEndpoints = {}): Generator {
  return {
    kind: 'GCRAccessToken',
    resource: GENERATOR_RESOURCES.GCRAccessToken,
    provider: 'gcpsm',
    validate: (obj) => validateGcr(specOf<GcrSpec>(obj)),
    generate: async (env, obj) => ({ data: await gcrAccessToken(specOf<GcrSpec>(obj), env.ctx, endpoints) }),
  };
}
