// The desired target Secret, as Syncret server-side applies it, and the ownership rules around
// it. Markers (labels, annotation, hash) are ESO's own, computed the way ESO computes them, so
// Secrets written by ESO are recognised as in sync after a migration and nothing is rewritten.

import { createHash } from 'node:crypto';
import { GROUP } from '../api/types.js';
import type { CreationPolicy, ExternalSecret, ObjectMeta, OwnerReference, Secret } from '../api/types.js';
import { quoteName } from './errors.js';

/** ESO's label for Secrets it manages; the watch selects on it. */
export const MANAGED_LABEL = 'reconcile.external-secrets.io/managed';
/** ESO's label naming the owning ExternalSecret (a hash of namespace/name), creationPolicy Owner only. */
export const OWNER_LABEL = 'reconcile.external-secrets.io/created-by';
/** ESO's hash of the Secret's data; a mismatch with the actual data is drift. */
export const DATA_HASH_ANNOTATION = 'reconcile.external-secrets.io/data-hash';
/** The apiserver's limit on the sum of a Secret's (decoded) data values. */
export const MAX_SECRET_BYTES = 1024 * 1024;
export const MAX_KEY_LENGTH = 253;

const OWNER_API_VERSION = `${GROUP}/v1`;
const KEY = /^[-._a-zA-Z0-9]+$/;

// ---- keys and size ----

/** The apiserver's rule for Secret data keys (IsConfigMapKey). */
export function validSecretKey(key: string): boolean {
  return key.length <= MAX_KEY_LENGTH && KEY.test(key) && key !== '.' && !key.startsWith('..');
}

function invalidKeysMessage(bad: string[]): string {
  const shown = bad
    .slice(0, 5)
    .map((k) => quoteName(k))
    .join(', ');
  const more = bad.length > 5 ? ` and ${bad.length - 5} more` : '';
  return `invalid Secret key${bad.length > 1 ? 's' : ''} ${shown}${more}: keys must consist of alphanumerics, '-', '_' or '.', be at most ${MAX_KEY_LENGTH} characters and not start with '..' (use conversionStrategy or rewrite)`;
}

function invalidKeys(keys: Iterable<string>): string[] {
  const bad: string[] = [];
  for (const k of keys) if (!validSecretKey(k)) bad.push(k);
  return bad;
}

export function secretDataSize(data: Record<string, Uint8Array>): number {
  let size = 0;
  for (const k in data) size += data[k]!.byteLength;
  return size;
}

function tooLargeMessage(size: number): string {
  return `the Secret data would be ${size} bytes, over the Kubernetes limit of ${MAX_SECRET_BYTES} bytes`;
}

// ---- hashes ----

// Reused for the common small Secret; a larger one gets its own buffer, dropped afterwards.
const scratch = Buffer.allocUnsafe(64 * 1024);

/**
 * ESO's ObjectHash of a map[string][]byte: sha3-224 of fmt's `map[k1:[1 2] k2:[3]]` (keys
 * sorted by the caller, as fmt sorts them). The rendering is written into one buffer and
 * hashed in one call: per-byte hash updates cost several times more.
 */
function goMapHash(keys: string[], valueOf: (key: string) => Uint8Array): string {
  let need = 5;
  for (const k of keys) need += Buffer.byteLength(k) + 4 + valueOf(k).byteLength * 4;
  const buf = need <= scratch.length ? scratch : Buffer.allocUnsafe(need);
  let p = buf.write('map[', 0, 'latin1');
  for (let i = 0; i < keys.length; i++) {
    if (i > 0) buf[p++] = 0x20;
    p += buf.write(keys[i]!, p, 'utf8');
    buf[p++] = 0x3a; // ':'
    buf[p++] = 0x5b; // '['
    const v = valueOf(keys[i]!);
    for (let j = 0; j < v.length; j++) {
      if (j > 0) buf[p++] = 0x20;
      const b = v[j]!;
      if (b >= 100) {
        buf[p++] = 48 + ((b / 100) | 0);
        buf[p++] = 48 + (((b / 10) | 0) % 10);
      } else if (b >= 10) buf[p++] = 48 + ((b / 10) | 0);
      buf[p++] = 48 + (b % 10);
    }
    buf[p++] = 0x5d; // ']'
  }
  buf[p++] = 0x5d;
  return createHash('sha3-224').update(buf.subarray(0, p)).digest('hex');
}

/**
 * The data-hash of a Secret's data as the apiserver returns it (base64 values): what ESO puts
 * in the data-hash annotation, so a watched Secret can be checked for drift without keeping
 * its data.
 */
export function hashSecretData(data: Record<string, string> | undefined): string {
  const d = data ?? {};
  return goMapHash(Object.keys(d).sort(), (k) => Buffer.from(d[k]!, 'base64'));
}

// ---- target and ownership ----

export function targetSecretName(es: ExternalSecret): string {
  return es.spec?.target?.name || es.metadata.name || '';
}

export function creationPolicyOf(es: ExternalSecret): CreationPolicy {
  return es.spec?.target?.creationPolicy ?? 'Owner';
}

/** ESO's OWNER_LABEL value: ObjectHash("namespace/name"), 56 hex characters. */
export function ownerLabelValue(es: ExternalSecret): string {
  return createHash('sha3-224')
    .update(`${es.metadata.namespace ?? ''}/${es.metadata.name ?? ''}`)
    .digest('hex');
}

export function controllerOf(meta: ObjectMeta | undefined): OwnerReference | undefined {
  return meta?.ownerReferences?.find((o) => o.controller === true);
}

export function isExternalSecretRef(ref: OwnerReference): boolean {
  const slash = ref.apiVersion.lastIndexOf('/');
  return ref.kind === 'ExternalSecret' && slash > 0 && ref.apiVersion.slice(0, slash) === GROUP;
}

/**
 * The Secret's controller is this ExternalSecret. Like ESO (and controller-runtime), the
 * reference is matched by group, kind and name: the API version may have changed since, and
 * a recreated ExternalSecret of the same name takes its Secret back.
 */
export function ownedBy(meta: ObjectMeta | undefined, es: ExternalSecret): boolean {
  const c = controllerOf(meta);
  return c !== undefined && isExternalSecretRef(c) && c.name === es.metadata.name;
}

/** The Secret's controller when it is anything but this ExternalSecret. */
export function ownedBySomeoneElse(
  meta: ObjectMeta | undefined,
  es: ExternalSecret,
): OwnerReference | undefined {
  const c = controllerOf(meta);
  if (c === undefined || (isExternalSecretRef(c) && c.name === es.metadata.name)) return undefined;
  return c;
}

/**
 * ESO's refusal to write a target: another ExternalSecret controls it (for every policy, or
 * two reconcilers would fight), or any other controller does and creationPolicy Owner would
 * need to become the controller too (an object has at most one).
 */
export function ownershipConflict(
  meta: ObjectMeta | undefined,
  es: ExternalSecret,
  creation: CreationPolicy = creationPolicyOf(es),
): OwnerReference | undefined {
  const other = ownedBySomeoneElse(meta, es);
  if (other === undefined) return undefined;
  return isExternalSecretRef(other) || creation === 'Owner' ? other : undefined;
}

export function ownerReference(es: ExternalSecret): OwnerReference {
  return {
    apiVersion: OWNER_API_VERSION,
    kind: 'ExternalSecret',
    name: es.metadata.name ?? '',
    uid: es.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

// ---- desired Secret ----

export interface DesiredSecretArgs {
  es: ExternalSecret;
  /** Final data (after templating). */
  data: Record<string, Uint8Array>;
  /** What is known of the current Secret: its type is kept when the template sets none; for
   *  Merge its data (base64) joins the data-hash. */
  existing?: { type?: string; data?: Record<string, string> };
  /** Rendered template.metadata (templates may compute labels and annotations). */
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  /** Overrides targetSecretName(es). */
  targetName?: string;
  /** Overrides creationPolicyOf(es). */
  creation?: CreationPolicy;
}

export type DesiredSecret =
  | { ok: true; secret: Secret; hash: string }
  | { ok: false; reason: 'InvalidKey' | 'SecretTooLarge'; message: string };

function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  // A remote JSON object may well hold "__proto__"; a plain assignment would set the prototype.
  if (key === '__proto__')
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/**
 * The Secret to server-side apply, following ESO's mutation of a target:
 * - labels and annotations from template.metadata, or, without a template, the
 *   ExternalSecret's own (ESO copies them), plus the managed label, the owner label (Owner)
 *   and the data-hash annotation;
 * - type from the template, else the existing Secret's, else Opaque; with Merge only the
 *   template's (the rest of a merged Secret belongs to someone else);
 * - immutable when target.immutable; template finalizers; a controller reference for Owner.
 * Validates keys and size first (reasons as condition reasons, messages without values).
 */
export function desiredSecret(args: DesiredSecretArgs): DesiredSecret {
  const { es, data, existing } = args;
  const creation = args.creation ?? creationPolicyOf(es);
  const keys = Object.keys(data).sort();
  const bad = invalidKeys(keys);
  if (bad.length > 0) return { ok: false, reason: 'InvalidKey', message: invalidKeysMessage(bad) };
  const size = secretDataSize(data);
  if (size > MAX_SECRET_BYTES) return { ok: false, reason: 'SecretTooLarge', message: tooLargeMessage(size) };

  const b64: Record<string, string> = {};
  for (const k of keys) {
    const v = data[k]!;
    setOwn(b64, k, Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64'));
  }
  const hash =
    creation === 'Merge' && existing?.data
      ? hashSecretData({ ...existing.data, ...b64 })
      : goMapHash(keys, (k) => data[k]!);

  const target = es.spec?.target;
  const tmpl = target?.template;
  const labels: Record<string, string> = {
    ...(args.metadata?.labels ?? (tmpl ? tmpl.metadata?.labels : es.metadata.labels)),
    [MANAGED_LABEL]: 'true',
  };
  if (creation === 'Owner') labels[OWNER_LABEL] = ownerLabelValue(es);
  else delete labels[OWNER_LABEL];
  const annotations: Record<string, string> = {
    ...(args.metadata?.annotations ?? (tmpl ? tmpl.metadata?.annotations : es.metadata.annotations)),
    [DATA_HASH_ANNOTATION]: hash,
  };

  const metadata: ObjectMeta = {
    name: args.targetName ?? targetSecretName(es),
    namespace: es.metadata.namespace,
    labels,
    annotations,
  };
  const finalizers = tmpl?.metadata?.finalizers;
  if (finalizers && finalizers.length > 0) metadata.finalizers = [...finalizers];
  if (creation === 'Owner') metadata.ownerReferences = [ownerReference(es)];

  const secret: Secret = { apiVersion: 'v1', kind: 'Secret', metadata };
  const type = tmpl?.type || (creation === 'Merge' ? undefined : existing?.type || 'Opaque');
  if (type) secret.type = type;
  if (target?.immutable) secret.immutable = true;
  secret.data = b64;
  return { ok: true, secret, hash };
}
