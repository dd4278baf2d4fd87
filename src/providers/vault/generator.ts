// The VaultDynamicSecret generator: one call to any Vault/OpenBao path (database/creds/<role>,
// pki/issue/<role>, aws/creds/<role>, ...) per issue, with the generator's own provider block
// for connection and auth. Lease renewal and revocation go through sys/leases/*.
// The lifecycle (when to renew, rotate or revoke) lives in the ExternalSecret reconciler.

import type { KubeObject } from '../../api/types.js';
import type { VaultDynamicSecret, VaultDynamicSecretSpec } from '../../api/providers/vault.js';
import { parseGoDuration } from '../../config/duration.js';
import type { Generated, Generator, LeaseGrant } from '../generator.js';
import { VAULT_DYNAMIC_SECRETS } from '../../kube/resources.js';
import { sleep } from '../../runtime/time/sleep.js';
import { ProviderError } from '../errors.js';
import type { SecretsClient, StoreInfo } from '../types.js';
import { VaultClient } from './client.js';
import type { VaultResponse } from './http.js';
import { validateVaultSpec, vaultProvider } from './index.js';
import type { VaultProviderOptions } from './index.js';

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'LIST'] as const;
type Method = (typeof METHODS)[number];

const encoder = new TextEncoder();

/** A request never waits longer than this between retries, whatever retrySettings say. */
const MAX_RETRY_INTERVAL_MS = 60_000;

function specOf(obj: KubeObject): VaultDynamicSecretSpec {
  return (obj as VaultDynamicSecret).spec ?? {};
}

/** The query of a GET: getParameters (lists of values) over parameters (one value each). */
function queryOf(spec: VaultDynamicSecretSpec): Record<string, string | string[]> {
  const q: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(spec.parameters ?? {}))
    if (v !== undefined && v !== null) q[k] = typeof v === 'string' ? v : JSON.stringify(v);
  for (const [k, values] of Object.entries(spec.getParameters ?? {}))
    if (values.length > 0) q[k] = [...values];
  return q;
}

export function validateVaultDynamicSecret(spec: VaultDynamicSecretSpec): string | undefined {
  if (!spec.path || !spec.path.replace(/^\/+|\/+$/g, '')) return 'spec.path must be set';
  const method = (spec.method || 'GET').toUpperCase();
  if (!(METHODS as readonly string[]).includes(method))
    return `spec.method "${spec.method}" must be one of ${METHODS.join(', ')}`;
  if (spec.resultType !== undefined && !['Data', 'Auth', 'Raw'].includes(spec.resultType))
    return 'spec.resultType must be Data, Auth or Raw';
  if (
    spec.parameters !== undefined &&
    (typeof spec.parameters !== 'object' || Array.isArray(spec.parameters))
  )
    return 'spec.parameters must be a JSON object';
  if (spec.retrySettings?.retryInterval) {
    try {
      parseGoDuration(spec.retrySettings.retryInterval);
    } catch {
      return `spec.retrySettings.retryInterval "${spec.retrySettings.retryInterval}" is not a duration`;
    }
  }
  // The store validator names its fields spec.provider.vault.*; here the block is spec.provider.
  const problem = validateVaultSpec({ ...spec.provider, version: undefined });
  return problem?.replace(/spec\.provider\.vault/g, 'spec.provider');
}

function asClient(client: SecretsClient): VaultClient {
  if (!(client instanceof VaultClient))
    throw new ProviderError('InvalidProviderConfig', 'VaultDynamicSecret needs a Vault client');
  return client;
}

/** The part of the answer that becomes the values, per resultType. */
function resultOf(spec: VaultDynamicSecretSpec, r: VaultResponse): Record<string, unknown> {
  if (spec.resultType === 'Auth') return { ...(r.auth ?? {}) };
  if (spec.resultType === 'Raw') return { ...r };
  const data = r.data ?? {};
  // A KV v2 read answers {data: {...}, metadata: {...}}: the secret is the inner data.
  const inner = data.data;
  const meta = data.metadata;
  if (
    Object.keys(data).length === 2 &&
    inner !== null &&
    typeof inner === 'object' &&
    !Array.isArray(inner) &&
    meta !== null &&
    typeof meta === 'object'
  )
    return { ...(inner as Record<string, unknown>) };
  return { ...data };
}

/** Strings as they are; anything else (numbers, lists, objects) JSON-encoded, as ESO does. */
export function valuesOf(result: Record<string, unknown>): Record<string, Uint8Array> {
  const out = Object.create(null) as Record<string, Uint8Array>;
  for (const [k, v] of Object.entries(result)) {
    if (v === undefined) continue;
    out[k] = encoder.encode(typeof v === 'string' ? v : JSON.stringify(v));
  }
  return out;
}

/** The lease of an answer: Vault's lease, or a certificate's expiration (PKI has no lease). */
export function leaseOf(r: VaultResponse, now: number): LeaseGrant | undefined {
  if (r.lease_id && (r.lease_duration ?? 0) > 0) {
    const d = r.lease_duration ?? 0;
    return { leaseID: r.lease_id, leaseDuration: d, renewable: !!r.renewable, expireAt: now + d * 1000 };
  }
  const expiration = (r.data as { expiration?: unknown } | null | undefined)?.expiration;
  if (typeof expiration === 'number' && expiration > 0) {
    const expireAt = expiration * 1000;
    return {
      leaseID: '',
      leaseDuration: Math.max(0, Math.round((expireAt - now) / 1000)),
      renewable: false,
      expireAt,
    };
  }
  return undefined;
}

async function withRetries<T>(spec: VaultDynamicSecretSpec, fn: () => Promise<T>): Promise<T> {
  const max = Math.max(0, Math.min(10, spec.retrySettings?.maxRetries ?? 0));
  const interval = Math.min(
    MAX_RETRY_INTERVAL_MS,
    spec.retrySettings?.retryInterval ? parseGoDuration(spec.retrySettings.retryInterval) : 1000,
  );
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      // Only transient failures: a denied or malformed request fails the same way again.
      const transient =
        e instanceof ProviderError && (e.reason === 'Unavailable' || e.reason === 'Throttled');
      if (!transient || attempt >= max) throw e;
      await sleep(interval);
    }
  }
}

export async function generateVaultDynamicSecret(
  client: SecretsClient,
  spec: VaultDynamicSecretSpec,
  now: number,
): Promise<Generated> {
  const problem = validateVaultDynamicSecret(spec);
  if (problem) throw new ProviderError('InvalidProviderConfig', problem);
  const vault = asClient(client);
  const method = (spec.method || 'GET').toUpperCase() as Method;
  const path = spec.path ?? '';
  const r = await withRetries(spec, () =>
    method === 'GET' || method === 'LIST'
      ? vault.apiRequest('GET', path, {
          query: { ...queryOf(spec), ...(method === 'LIST' ? { list: 'true' } : {}) },
        })
      : vault.apiRequest(method, path, { body: spec.parameters ?? {} }),
  );
  const result = resultOf(spec, r);
  if (Object.keys(result).length === 0 && !spec.allowEmptyResponse)
    throw new ProviderError(
      'NotFound',
      `Vault answered no ${spec.resultType === 'Auth' ? 'auth' : 'data'} for ${method} ${path} (set allowEmptyResponse to accept that)`,
    );
  return { data: valuesOf(result), lease: leaseOf(r, now) };
}

export async function renewVaultLease(
  client: SecretsClient,
  leaseID: string,
  incrementSeconds: number,
): Promise<{ leaseDuration: number; renewable: boolean }> {
  const r = await asClient(client).apiRequest('PUT', 'sys/leases/renew', {
    body: { lease_id: leaseID, increment: incrementSeconds },
  });
  return { leaseDuration: r.lease_duration ?? 0, renewable: !!r.renewable };
}

export async function revokeVaultLease(client: SecretsClient, leaseID: string): Promise<void> {
  await asClient(client).apiRequest('PUT', 'sys/leases/revoke', { body: { lease_id: leaseID } });
}

export function vaultDynamicSecretGenerator(opts: VaultProviderOptions = {}): Generator {
  const connector = vaultProvider({ ...opts, keepTokens: true });
  return {
    kind: 'VaultDynamicSecret',
    resource: VAULT_DYNAMIC_SECRETS,
    provider: connector.name,
    watched: true,
    connection: {
      connector,
      // Credentials resolve in the generator's (= the ExternalSecret's) namespace, as for a
      // SecretStore; the name cannot collide with a store's (':' is not valid in names).
      of(obj: KubeObject, namespace: string): StoreInfo {
        return {
          kind: 'SecretStore',
          name: `VaultDynamicSecret:${obj.metadata.name ?? ''}`,
          namespace,
          requesterNamespace: namespace,
          provider: { vault: { ...specOf(obj).provider } },
        };
      },
    },
    validate: (obj) => validateVaultDynamicSecret(specOf(obj)),
    generate: (env, obj) => generateVaultDynamicSecret(connected(env.client), specOf(obj), env.now),
    renew: (env, _obj, leaseID, increment) => renewVaultLease(connected(env.client), leaseID, increment),
    revoke: (env, _obj, leaseID) => revokeVaultLease(connected(env.client), leaseID),
  };
}

function connected(client: SecretsClient | undefined): SecretsClient {
  if (!client) throw new ProviderError('InvalidProviderConfig', 'VaultDynamicSecret needs a Vault client');
  return client;
}
