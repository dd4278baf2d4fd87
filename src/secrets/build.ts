// The desired target Secret, as Syncret server-side applies it. Only what Syncret owns is
// in it: with creationPolicy Merge that is the data keys (and template metadata) alone.

import { createHash } from 'node:crypto';
import type { CreationPolicy, ExternalSecret, Secret } from '../api/types.js';

/** ESO's label for Secrets it manages; the watch selects on it (kept for drop-in migration). */
export const MANAGED_LABEL = 'reconcile.external-secrets.io/managed';
/** Hash of the data Syncret last wrote; a mismatch with the actual data is drift. */
export const DATA_HASH_ANNOTATION = 'reconcile.external-secrets.io/data-hash';
/** The apiserver's limit on a Secret's data (keys + values). */
export const MAX_SECRET_BYTES = 1024 * 1024;

const KEY = /^[-._a-zA-Z0-9]+$/;

export function validSecretKey(key: string): boolean {
  return key.length > 0 && key.length <= 253 && KEY.test(key) && key !== '.' && key !== '..';
}

/** A stable hash of base64 data, computable from a watched Secret without keeping its data. */
export function hashSecretData(data: Record<string, string>): string {
  const h = createHash('sha256');
  for (const k of Object.keys(data).sort()) h.update(k).update('\u0000').update(data[k]!).update('\n');
  return h.digest('hex').slice(0, 32);
}

export type DesiredSecret =
  | { ok: true; secret: Secret; hash: string }
  | { ok: false; reason: 'InvalidKey' | 'SecretTooLarge'; message: string };

export function desiredSecret(args: {
  es: ExternalSecret;
  data: Record<string, Uint8Array>;
  targetName: string;
  creation: CreationPolicy;
  /** Rendered template.metadata (defaults: the template's values as written). */
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}): DesiredSecret {
  const { es, data, targetName, creation } = args;
  const b64: Record<string, string> = {};
  let size = 0;
  const bad: string[] = [];
  for (const key of Object.keys(data).sort()) {
    const v = data[key]!;
    if (!validSecretKey(key)) bad.push(key);
    size += Buffer.byteLength(key) + v.length;
    b64[key] = Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  }
  if (bad.length > 0) {
    const shown = bad.slice(0, 5).map((k) => JSON.stringify(k.length > 64 ? `${k.slice(0, 61)}...` : k));
    return {
      ok: false,
      reason: 'InvalidKey',
      message: `invalid Secret key${bad.length > 1 ? 's' : ''} ${shown.join(', ')}${bad.length > 5 ? ` and ${bad.length - 5} more` : ''}: keys must match [-._a-zA-Z0-9]+ (use conversionStrategy or rewrite)`,
    };
  }
  if (size > MAX_SECRET_BYTES) {
    return {
      ok: false,
      reason: 'SecretTooLarge',
      message: `the Secret data would be ${size} bytes, over the Kubernetes limit of ${MAX_SECRET_BYTES} bytes`,
    };
  }
  const hash = hashSecretData(b64);
  const tmpl = es.spec?.target?.template;
  const secret: Secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: targetName,
      namespace: es.metadata.namespace,
      labels: { ...(args.labels ?? tmpl?.metadata?.labels ?? {}), [MANAGED_LABEL]: 'true' },
      annotations: {
        ...(args.annotations ?? tmpl?.metadata?.annotations ?? {}),
        [DATA_HASH_ANNOTATION]: hash,
      },
    },
    data: b64,
  };
  if (creation !== 'Merge') {
    secret.type = tmpl?.type || 'Opaque';
    if (es.spec?.target?.immutable) secret.immutable = true;
  }
  if (creation === 'Owner') {
    secret.metadata.ownerReferences = [
      {
        apiVersion: 'external-secrets.io/v1',
        kind: 'ExternalSecret',
        name: es.metadata.name ?? '',
        uid: es.metadata.uid ?? '',
        controller: true,
        blockOwnerDeletion: true,
      },
    ];
  }
  return { ok: true, secret, hash };
}
