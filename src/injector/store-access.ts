// What a store named by syncret.io/store needs from the pod, since the agent in it cannot ask
// the apiserver as the operator does:
// - the Secret and ConfigMap keys its provider block references (static keys, a CA bundle), as
//   volumes the kubelet fills: <CREDENTIALS_DIR>/<name>/<key>, the layout the agent's key
//   reader expects. Only the pod's own namespace: a pod can mount nothing else, and a pod's
//   author may already mount any Secret there, so the mount grants nothing new;
// - a projected token per audience its auth asks for (IRSA's sts.amazonaws.com, Azure's
//   token exchange, a serviceAccountRef's audiences), as the operator's TokenRequest would;
// - the identity annotations of the pod's ServiceAccount (read by the caller), which IRSA and
//   workload identity take the role and client ids from.
// Pure: the provider block in, volumes and configuration out.

import type { ProviderSpec, ServiceAccountSelector } from '../api/types.js';
import { webIdentityAudiences } from '../providers/aws/identity.js';
import { workloadIdentityAudiences } from '../providers/azurekv/identity.js';
import type { VaultJwtAuth } from '../api/providers/vault.js';
import { jwtTokenAudiences } from '../providers/vault/identity.js';
import { validSecretKey } from '../secrets/secret-data.js';
import { InjectionError } from './annotations.js';
import type { Volume, VolumeMount } from './pod.js';

export const CREDENTIALS_DIR = '/var/run/secrets/syncret-credentials';
const VOLUME_PREFIX = 'syncret-cred-';
/** A provider block is a few levels deep; a deeper one is not a store anyone wrote. */
const MAX_DEPTH = 12;
const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** The annotations providers read from a ServiceAccount (IRSA, Azure and GKE workload identity). */
export const IDENTITY_ANNOTATION_PREFIXES = ['eks.amazonaws.com/', 'azure.workload.identity/', 'iam.gke.io/'];

export interface KeyRef {
  kind: 'Secret' | 'ConfigMap';
  name: string;
  key: string;
  /** Where in the provider block, for messages. */
  field: string;
}

export interface StoreAccess {
  /** Secret and ConfigMap volumes, one per object. */
  volumes: Volume[];
  /** Their mounts, for every container the agent runs in. */
  mounts: VolumeMount[];
  /** Set when the store references keys: identity.secretsDir. */
  secretsDir?: string;
  /** Audiences beyond the pod's main token, each a projected token of its own. */
  audiences: string[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Every `{ name, key }` selector of a provider block: ESO's SecretKeySelector and the
 * caProvider (`type: ConfigMap` or a field named for a ConfigMap says which kind).
 */
export function keyRefsOf(provider: unknown, podNamespace: string, storeKind: string): KeyRef[] {
  const out: KeyRef[] = [];
  const walk = (v: unknown, field: string, depth: number): void => {
    if (depth > MAX_DEPTH) return;
    if (Array.isArray(v)) {
      v.forEach((x, i) => walk(x, `${field}[${i}]`, depth + 1));
      return;
    }
    if (!isObject(v)) return;
    if (typeof v.name === 'string' && typeof v.key === 'string') {
      const last = field.slice(field.lastIndexOf('.') + 1);
      const kind = v.type === 'ConfigMap' || /configmap/i.test(last) ? 'ConfigMap' : 'Secret';
      const ns = typeof v.namespace === 'string' && v.namespace !== '' ? v.namespace : podNamespace;
      if (ns !== podNamespace)
        throw new InjectionError(
          `${storeKind} ${field} references ${kind} "${ns}/${v.name}": a pod mounts only its own namespace's (${podNamespace}); use a store of this namespace or workload identity`,
        );
      // A Secret volume's item path is the key: the apiserver's key rule keeps it one file name.
      if (!NAME.test(v.name) || !validSecretKey(v.key))
        throw new InjectionError(`${storeKind} ${field}: name "${v.name}" or key "${v.key}" is not valid`);
      out.push({ kind, name: v.name, key: v.key, field });
      return;
    }
    for (const [k, x] of Object.entries(v)) walk(x, `${field}.${k}`, depth + 1);
  };
  walk(provider, 'spec.provider', 0);
  return out;
}

function audiencesOf(sel: unknown): string[] {
  if (!isObject(sel) || !Array.isArray(sel.audiences)) return [];
  return sel.audiences.filter((a): a is string => typeof a === 'string' && a !== '');
}

/**
 * The token audiences a store's auth asks for, as the providers ask the TokenRequest API.
 * GCP's workload identity pool and Vault's kubernetes auth without audiences take the pod's
 * main token (syncret.io/token-audience names its audience).
 */
export function audiencesOfStore(provider: ProviderSpec): string[] {
  const p = provider as Record<string, unknown>;
  const out = new Set<string>();
  const aws = isObject(p.aws) && isObject(p.aws.auth) ? p.aws.auth : undefined;
  if (aws && isObject(aws.jwt))
    for (const a of webIdentityAudiences({ audiences: audiencesOf(aws.jwt.serviceAccountRef) })) out.add(a);
  const az = isObject(p.azurekv) ? p.azurekv : undefined;
  // Without serviceAccountRef, Azure's own webhook gives the pod its token file and ids.
  if (az && az.authType === 'WorkloadIdentity' && isObject(az.serviceAccountRef))
    out.add(workloadIdentityAudiences(az.serviceAccountRef as ServiceAccountSelector)[0]!);
  const vault = isObject(p.vault) && isObject(p.vault.auth) ? p.vault.auth : undefined;
  if (vault) {
    if (isObject(vault.kubernetes))
      for (const a of audiencesOf(vault.kubernetes.serviceAccountRef)) out.add(a);
    const kst = isObject(vault.jwt) ? vault.jwt.kubernetesServiceAccountToken : undefined;
    if (isObject(kst) && isObject(kst.serviceAccountRef))
      for (const a of jwtTokenAudiences(kst as NonNullable<VaultJwtAuth['kubernetesServiceAccountToken']>))
        out.add(a);
  }
  return [...out];
}

/** The volumes and audiences a store needs in a pod of `podNamespace`. */
export function storeAccess(provider: ProviderSpec, podNamespace: string, storeKind: string): StoreAccess {
  const refs = keyRefsOf(provider, podNamespace, storeKind);
  const byName = new Map<string, { kind: KeyRef['kind']; keys: Set<string> }>();
  for (const r of refs) {
    const seen = byName.get(r.name);
    if (seen && seen.kind !== r.kind)
      throw new InjectionError(
        `${storeKind} references a Secret and a ConfigMap both named "${r.name}": the agent reads both from ${CREDENTIALS_DIR}/${r.name}`,
      );
    if (seen) seen.keys.add(r.key);
    else byName.set(r.name, { kind: r.kind, keys: new Set([r.key]) });
  }
  const volumes: Volume[] = [];
  const mounts: VolumeMount[] = [];
  [...byName].forEach(([name, { kind, keys }], i) => {
    const vol = `${VOLUME_PREFIX}${i}`;
    const items = [...keys].sort().map((key) => ({ key, path: key }));
    // 0444: the agent runs as a uid of the pod's choosing; only the containers that mount the
    // volume (the agent's, and in exec mode the app it becomes) see it.
    volumes.push(
      kind === 'Secret'
        ? { name: vol, secret: { secretName: name, items, defaultMode: 0o444 } }
        : { name: vol, configMap: { name, items, defaultMode: 0o444 } },
    );
    mounts.push({ name: vol, mountPath: `${CREDENTIALS_DIR}/${name}`, readOnly: true });
  });
  return {
    volumes,
    mounts,
    ...(volumes.length ? { secretsDir: CREDENTIALS_DIR } : {}),
    audiences: audiencesOfStore(provider),
  };
}

/** The identity annotations of a ServiceAccount's, the others (last-applied and the like) left out. */
export function identityAnnotations(all: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(all ?? {}))
    if (IDENTITY_ANNOTATION_PREFIXES.some((p) => k.startsWith(p))) out[k] = v;
  return out;
}
