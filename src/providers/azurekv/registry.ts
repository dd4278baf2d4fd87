// The ACRAccessToken generator (ESO's generators/v1/acr): an Entra ID token for Azure Resource
// Manager (from a service principal, a managed identity or a workload identity, built as for a
// Key Vault store: src/providers/azurekv/auth.ts) is exchanged at the registry for a refresh
// token (POST https://<registry>/oauth2/exchange); with `scope`, that is exchanged for an
// access token of that scope (POST .../oauth2/token). Outputs as ESO: `username`
// 00000000-0000-0000-0000-000000000000 and `password` the token. Entra ID is the cloud's
// (environmentType), or AZURE_AUTHORITY_HOST when the operator sets it (Azure's own variable).

import type { ACRAccessTokenSpec } from '../../api/generators/cloud.js';
import type { AzureKVProvider } from '../../api/providers/azurekv.js';
import { GENERATOR_RESOURCES } from '../../kube/resources.js';
import { ProviderError } from '../errors.js';
import { specOf } from '../generator.js';
import type { Generator, GeneratorEnv } from '../generator.js';
import { stringField, tokenCall } from '../tokens/http.js';
import type { StoreInfo } from '../types.js';
import { CredentialCache, buildCredential } from './auth.js';
import type { Cloud } from './auth.js';

export const ACR_USERNAME = '00000000-0000-0000-0000-000000000000';

type AcrSpec = ACRAccessTokenSpec;

const CLOUDS: Record<string, { authorityHost: string; arm: string }> = {
  PublicCloud: { authorityHost: 'https://login.microsoftonline.com', arm: 'https://management.azure.com' },
  USGovernmentCloud: {
    authorityHost: 'https://login.microsoftonline.us',
    arm: 'https://management.usgovcloudapi.net',
  },
  ChinaCloud: { authorityHost: 'https://login.chinacloudapi.cn', arm: 'https://management.chinacloudapi.cn' },
};

export function validateAcr(spec: AcrSpec): string | undefined {
  if (!spec.registry) return 'spec.registry must be set';
  const a = spec.auth ?? {};
  const set = [a.servicePrincipal, a.managedIdentity, a.workloadIdentity].filter(Boolean).length;
  if (set !== 1)
    return 'spec.auth must set exactly one of servicePrincipal, managedIdentity, workloadIdentity';
  if (
    a.servicePrincipal &&
    (!a.servicePrincipal.secretRef?.clientId?.name || !a.servicePrincipal.secretRef.clientSecret?.name)
  )
    return 'spec.auth.servicePrincipal.secretRef needs clientId and clientSecret';
  if (a.servicePrincipal && !spec.tenantId) return 'spec.tenantId must be set for a service principal';
  if (a.workloadIdentity && !a.workloadIdentity.serviceAccountRef?.name)
    return 'spec.auth.workloadIdentity.serviceAccountRef.name must be set';
  const envType = spec.environmentType ?? 'PublicCloud';
  if (!CLOUDS[envType]) return `spec.environmentType ${envType} is not supported for ACR tokens (as in ESO)`;
  return undefined;
}

/** The Key Vault auth's view of this spec: the same three identities. */
function asKeyVaultSpec(spec: AcrSpec): AzureKVProvider {
  const a = spec.auth ?? {};
  if (a.managedIdentity)
    return { authType: 'ManagedIdentity', identityId: a.managedIdentity.identityId, tenantId: spec.tenantId };
  if (a.workloadIdentity)
    return {
      authType: 'WorkloadIdentity',
      serviceAccountRef: a.workloadIdentity.serviceAccountRef,
      tenantId: spec.tenantId,
    };
  return {
    authType: 'ServicePrincipal',
    tenantId: spec.tenantId,
    authSecretRef: {
      clientId: a.servicePrincipal?.secretRef?.clientId,
      clientSecret: a.servicePrincipal?.secretRef?.clientSecret,
    },
  };
}

async function issue(
  spec: AcrSpec,
  env: GeneratorEnv,
  cache: CredentialCache,
  authorityOverride: string | undefined,
) {
  const base = CLOUDS[spec.environmentType ?? 'PublicCloud']!;
  const authorityHost = (authorityOverride || base.authorityHost).replace(/\/+$/, '');
  const cloud: Cloud = {
    authorityHost,
    keyVaultResource: base.arm,
    known: Object.values(CLOUDS).some((c) => c.authorityHost === authorityHost),
  };
  const store: StoreInfo = {
    kind: 'SecretStore',
    name: 'ACRAccessToken:generator',
    namespace: env.namespace,
    requesterNamespace: env.namespace,
    provider: {},
  };
  const { credential, identity } = await buildCredential(store, asKeyVaultSpec(spec), cloud, env.ctx, cache);
  let aad: string;
  try {
    const t = await credential.getToken(`${base.arm}/.default`, { abortSignal: env.ctx.signal });
    if (!t?.token) throw new Error('no token');
    aad = t.token;
  } catch {
    // azure-identity's messages may quote the token endpoint's answer: name the identity only.
    throw new ProviderError('AuthFailed', `ACR: ${identity} could not get an Entra ID token`);
  }
  const registry = spec.registry ?? '';
  const refresh = stringField(
    await tokenCall({
      service: 'ACR',
      method: 'POST',
      url: `https://${registry}/oauth2/exchange`,
      headers: {},
      form: { grant_type: 'access_token', service: registry, tenant: spec.tenantId ?? '', access_token: aad },
      expect: [200],
      signal: env.ctx.signal,
    }),
    'refresh_token',
    'ACR',
  );
  let token = refresh;
  if (spec.scope)
    token = stringField(
      await tokenCall({
        service: 'ACR',
        method: 'POST',
        url: `https://${registry}/oauth2/token`,
        headers: {},
        form: { grant_type: 'refresh_token', service: registry, scope: spec.scope, refresh_token: refresh },
        expect: [200],
        signal: env.ctx.signal,
      }),
      'access_token',
      'ACR',
    );
  const enc = new TextEncoder();
  return { username: enc.encode(ACR_USERNAME), password: enc.encode(token) };
}

export function acrAccessTokenGenerator(authorityHost = process.env.AZURE_AUTHORITY_HOST): Generator {
  const cache = new CredentialCache();
  return {
    kind: 'ACRAccessToken',
    resource: GENERATOR_RESOURCES.ACRAccessToken,
    provider: 'azurekv',
    validate: (obj) => validateAcr(specOf<AcrSpec>(obj)),
    generate: async (env, obj) => ({ data: await issue(specOf<AcrSpec>(obj), env, cache, authorityHost) }),
  };
}
