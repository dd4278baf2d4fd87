// Credentials for Azure Key Vault: which cloud, which identity, and a cache so that a
// rebuilt client (the client cache renews clients every 10 minutes) keeps its credential
// object and with it the token MSAL already holds, until that token nears expiry.

import { createHash } from 'node:crypto';
import {
  ClientAssertionCredential,
  ClientCertificateCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
  WorkloadIdentityCredential,
} from '@azure/identity';
import type { TokenCredential } from '@azure/identity';
import type { AzureEnvironmentType, AzureKVProvider } from '../../api/providers/azurekv.js';
import { ProviderError } from '../errors.js';
import type { ProviderContext, StoreInfo } from '../types.js';
import { ANNOTATION_CLIENT_ID, ANNOTATION_TENANT_ID, workloadIdentityAudiences } from './identity.js';

export { ANNOTATION_CLIENT_ID, ANNOTATION_TENANT_ID, WORKLOAD_IDENTITY_AUDIENCE } from './identity.js';
/** Lifetime asked of TokenRequest tokens exchanged for Entra ID tokens. */
const SA_TOKEN_SECONDS = 600;

export interface Cloud {
  /** Entra ID (Azure AD) authority host. */
  authorityHost: string;
  /** The Key Vault resource; its `/.default` scope is what tokens are asked for. */
  keyVaultResource: string;
  /** Whether MSAL knows this authority (instance discovery works for it). */
  known: boolean;
}

const CLOUDS: Record<Exclude<AzureEnvironmentType, 'AzureStackCloud' | 'GermanCloud'>, Cloud> = {
  PublicCloud: {
    authorityHost: 'https://login.microsoftonline.com',
    keyVaultResource: 'https://vault.azure.net',
    known: true,
  },
  USGovernmentCloud: {
    authorityHost: 'https://login.microsoftonline.us',
    keyVaultResource: 'https://vault.usgovcloudapi.net',
    known: true,
  },
  ChinaCloud: {
    authorityHost: 'https://login.chinacloudapi.cn',
    keyVaultResource: 'https://vault.azure.cn',
    known: true,
  },
};

const trimSlash = (s: string): string => s.replace(/\/+$/, '');

/** The cloud a store talks to: environmentType, overridden by customCloudConfig. */
export function resolveCloud(spec: AzureKVProvider): Cloud {
  const env = spec.environmentType ?? 'PublicCloud';
  const custom = spec.customCloudConfig;
  if (env === 'GermanCloud' && !custom)
    throw new ProviderError(
      'InvalidProviderConfig',
      'environmentType GermanCloud: Microsoft Cloud Deutschland closed in 2021; use PublicCloud, or AzureStackCloud with customCloudConfig',
    );
  if (env === 'AzureStackCloud' && !custom?.activeDirectoryEndpoint)
    throw new ProviderError(
      'InvalidProviderConfig',
      'environmentType AzureStackCloud needs customCloudConfig.activeDirectoryEndpoint',
    );
  const base = env === 'AzureStackCloud' || env === 'GermanCloud' ? CLOUDS.PublicCloud : CLOUDS[env];
  if (!custom) return base;
  let resource = base.keyVaultResource;
  if (custom.keyVaultEndpoint) resource = trimSlash(custom.keyVaultEndpoint);
  else if (custom.keyVaultDNSSuffix) resource = `https://${custom.keyVaultDNSSuffix.replace(/^\.+/, '')}`;
  const authorityHost = custom.activeDirectoryEndpoint
    ? trimSlash(custom.activeDirectoryEndpoint)
    : base.authorityHost;
  return {
    authorityHost,
    keyVaultResource: resource,
    known: Object.values(CLOUDS).some((c) => c.authorityHost === authorityHost),
  };
}

const decoder = new TextDecoder();

async function readText(
  ctx: ProviderContext,
  sel: Parameters<ProviderContext['readSecretKey']>[0],
  what: string,
) {
  return decoder.decode(await ctx.readSecretKey(sel, what)).trim();
}

/** A credential plus what identifies it in messages (never the secret material). */
export interface BuiltCredential {
  credential: TokenCredential;
  /** e.g. `ServicePrincipal client 1234… in tenant abcd…`. */
  identity: string;
}

interface CacheEntry extends BuiltCredential {
  lastUsed: number;
  /** The newest ProviderContext: a WorkloadIdentity credential requests SA tokens through it. */
  ctxRef: { current: ProviderContext };
}

const MAX_ENTRIES = 256;
const IDLE_MS = 60 * 60 * 1000;

/**
 * Credential objects shared by successive clients of the same store and credential material.
 * Keyed by a hash of everything the credential is built from, so a rotated client secret
 * yields a new credential at the next client rebuild.
 */
export class CredentialCache {
  private readonly entries = new Map<string, CacheEntry>();

  constructor(private readonly now: () => number = Date.now) {}

  get size(): number {
    return this.entries.size;
  }

  obtain(
    key: string,
    ctx: ProviderContext,
    build: (ctxRef: { current: ProviderContext }) => BuiltCredential,
  ) {
    const now = this.now();
    for (const [k, e] of this.entries) if (now - e.lastUsed > IDLE_MS) this.entries.delete(k);
    const hit = this.entries.get(key);
    if (hit) {
      hit.lastUsed = now;
      hit.ctxRef.current = ctx;
      // Re-insert: Map order doubles as LRU order.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const ctxRef = { current: ctx };
    const built = build(ctxRef);
    const entry: CacheEntry = { ...built, lastUsed: now, ctxRef };
    this.entries.set(key, entry);
    while (this.entries.size > MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    return entry;
  }
}

const hash = (parts: unknown[]): string => createHash('sha256').update(JSON.stringify(parts)).digest('hex');

const short = (id: string): string => (id.length > 12 ? `${id.slice(0, 8)}…` : id);

/** What every credential of one store shares. */
interface AuthInput {
  spec: AzureKVProvider;
  cloud: Cloud;
  ctx: ProviderContext;
  cache: CredentialCache;
  /** Options for every azure-identity credential. */
  common: Record<string, unknown>;
  storeId: string;
}

/**
 * Reads the store's credential material through ctx and returns a (possibly cached)
 * TokenCredential. Errors name the missing field, never a value.
 */
export async function buildCredential(
  store: StoreInfo,
  spec: AzureKVProvider,
  cloud: Cloud,
  ctx: ProviderContext,
  cache: CredentialCache,
  extra: Record<string, unknown> = {},
): Promise<BuiltCredential> {
  const input: AuthInput = {
    spec,
    cloud,
    ctx,
    cache,
    common: {
      ...extra,
      authorityHost: cloud.authorityHost,
      // MSAL asks login.microsoftonline.com about unknown authorities (Azure Stack, ADFS,
      // sovereign endpoints given by customCloudConfig); that answer cannot vouch for them.
      disableInstanceDiscovery: !cloud.known,
    },
    storeId: `${store.kind}/${store.namespace ?? ''}/${store.name}`,
  };
  const authType = spec.authType ?? 'ServicePrincipal';
  if (authType === 'ManagedIdentity') return managedIdentity(input);
  if (authType === 'WorkloadIdentity') return workloadIdentity(input);
  return servicePrincipal(input);
}

function managedIdentity({ spec, cloud, ctx, cache, common, storeId }: AuthInput): BuiltCredential {
  const key = hash(['mi', storeId, spec.identityId ?? '', cloud]);
  return cache.obtain(key, ctx, () => ({
    credential: spec.identityId
      ? new ManagedIdentityCredential({ clientId: spec.identityId, ...common })
      : new ManagedIdentityCredential({ ...common }),
    identity: spec.identityId
      ? `ManagedIdentity ${short(spec.identityId)}`
      : 'the system-assigned ManagedIdentity',
  }));
}

async function workloadIdentity(input: AuthInput): Promise<BuiltCredential> {
  const { spec, cloud, ctx, cache, common, storeId } = input;
  const sa = spec.serviceAccountRef;
  if (!sa?.name) {
    // ESO's webhook mode: the operator's own pod carries the federated token file.
    const key = hash(['wi-env', storeId, cloud]);
    return cache.obtain(key, ctx, () => {
      try {
        return {
          credential: new WorkloadIdentityCredential({ ...common, tenantId: spec.tenantId }),
          identity: "the operator's own workload identity (AZURE_FEDERATED_TOKEN_FILE)",
        };
      } catch {
        throw new ProviderError(
          'InvalidProviderConfig',
          'WorkloadIdentity without serviceAccountRef needs AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_FEDERATED_TOKEN_FILE in the operator environment',
        );
      }
    });
  }
  const annotations = await ctx.readServiceAccountAnnotations(sa);
  const { clientId, tenantId } = await workloadIds(input, sa.name, annotations);
  const audiences = workloadIdentityAudiences(sa);
  const key = hash(['wi', storeId, sa.name, sa.namespace ?? '', audiences, clientId, tenantId, cloud]);
  return cache.obtain(key, ctx, (ctxRef) => ({
    // A fresh ServiceAccount token for every exchange: MSAL calls this whenever it needs a
    // new access token, so the assertion is never older than the exchange.
    credential: new ClientAssertionCredential(
      tenantId,
      clientId,
      () => ctxRef.current.requestServiceAccountToken(sa, { audiences, expirationSeconds: SA_TOKEN_SECONDS }),
      common,
    ),
    identity: `WorkloadIdentity client ${short(clientId)} in tenant ${short(tenantId)} (ServiceAccount "${sa.name}")`,
  }));
}

/** The client and tenant of a workload identity: the ServiceAccount's annotations or authSecretRef. */
async function workloadIds(
  { spec, ctx }: AuthInput,
  saName: string,
  annotations: Record<string, string>,
): Promise<{ clientId: string; tenantId: string }> {
  let clientId = annotations[ANNOTATION_CLIENT_ID];
  if (spec.authSecretRef?.clientId) {
    if (clientId)
      throw new ProviderError(
        'InvalidProviderConfig',
        `WorkloadIdentity: the client id is set both by authSecretRef.clientId and the ServiceAccount annotation ${ANNOTATION_CLIENT_ID}; keep one`,
      );
    clientId = await readText(ctx, spec.authSecretRef.clientId, 'authSecretRef.clientId');
  }
  if (!clientId)
    throw new ProviderError(
      'InvalidProviderConfig',
      `WorkloadIdentity: ServiceAccount "${saName}" has no ${ANNOTATION_CLIENT_ID} annotation (nor is authSecretRef.clientId set)`,
    );
  let tenantId = spec.tenantId;
  if (spec.authSecretRef?.tenantId)
    tenantId = await readText(ctx, spec.authSecretRef.tenantId, 'authSecretRef.tenantId');
  tenantId ||= annotations[ANNOTATION_TENANT_ID] || process.env.AZURE_TENANT_ID;
  if (!tenantId)
    throw new ProviderError(
      'InvalidProviderConfig',
      `WorkloadIdentity: no tenant: set spec.provider.azurekv.tenantId or the ServiceAccount annotation ${ANNOTATION_TENANT_ID}`,
    );
  return { clientId, tenantId };
}

async function servicePrincipal({
  spec,
  cloud,
  ctx,
  cache,
  common,
  storeId,
}: AuthInput): Promise<BuiltCredential> {
  const ref = spec.authSecretRef;
  if (!ref?.clientId)
    throw new ProviderError('InvalidProviderConfig', 'ServicePrincipal needs authSecretRef.clientId');
  if (!ref.clientSecret && !ref.clientCertificate)
    throw new ProviderError(
      'InvalidProviderConfig',
      'ServicePrincipal needs authSecretRef.clientSecret or authSecretRef.clientCertificate',
    );
  if (ref.clientSecret && ref.clientCertificate)
    throw new ProviderError(
      'InvalidProviderConfig',
      'ServicePrincipal: set only one of authSecretRef.clientSecret and authSecretRef.clientCertificate',
    );
  const clientId = await readText(ctx, ref.clientId, 'authSecretRef.clientId');
  let tenantId = spec.tenantId;
  if (ref.tenantId) tenantId = await readText(ctx, ref.tenantId, 'authSecretRef.tenantId');
  if (!tenantId)
    throw new ProviderError(
      'InvalidProviderConfig',
      'ServicePrincipal needs a tenant: spec.provider.azurekv.tenantId or authSecretRef.tenantId',
    );
  const tid = tenantId;
  const identity = `ServicePrincipal client ${short(clientId)} in tenant ${short(tid)}`;
  if (ref.clientSecret) {
    const secret = await readText(ctx, ref.clientSecret, 'authSecretRef.clientSecret');
    const key = hash(['sp-secret', storeId, clientId, tid, hash([secret]), cloud]);
    return cache.obtain(key, ctx, () => ({
      credential: new ClientSecretCredential(tid, clientId, secret, common),
      identity,
    }));
  }
  const pem = decoder.decode(
    await ctx.readSecretKey(ref.clientCertificate!, 'authSecretRef.clientCertificate'),
  );
  if (!/-----BEGIN CERTIFICATE-----/.test(pem) || !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem))
    throw new ProviderError(
      'InvalidProviderConfig',
      'authSecretRef.clientCertificate must hold a PEM certificate and its PEM private key',
    );
  const key = hash(['sp-cert', storeId, clientId, tid, hash([pem]), cloud]);
  return cache.obtain(key, ctx, () => ({
    credential: new ClientCertificateCredential(tid, clientId, { certificate: pem }, common),
    identity: `${identity} (certificate)`,
  }));
}
