// Which Secret an ExternalSecret writes and whether it may: ESO's markers (labels and the
// data-hash annotation, ESO's own names so Secrets written by ESO are adopted as in sync) and
// ESO's ownership rules.

import { createHash } from 'node:crypto';
import { GROUP } from '../../api/types.js';
import type { CreationPolicy, ExternalSecret, OwnerReference } from '../../api/types.js';

/** ESO's label for Secrets it manages; the managed-Secret watch selects on it. */
export const MANAGED_LABEL = 'reconcile.external-secrets.io/managed';
/** ESO's label naming the owning ExternalSecret (a hash of namespace/name), creationPolicy Owner only. */
export const OWNER_LABEL = 'reconcile.external-secrets.io/created-by';
/** ESO's hash of the Secret's data; a mismatch with the actual data is drift. */
export const DATA_HASH_ANNOTATION = 'reconcile.external-secrets.io/data-hash';

const OWNER_API_VERSION = `${GROUP}/v1`;

/** The target Secret's name: spec.target.name, else the ExternalSecret's own. */
export function targetSecretName(es: ExternalSecret): string {
  return es.spec?.target?.name || es.metadata.name || '';
}

/** spec.target.creationPolicy; ESO's default is Owner. */
export function creationPolicyOf(es: ExternalSecret): CreationPolicy {
  return es.spec?.target?.creationPolicy ?? 'Owner';
}

/**
 * Merge and CreateOrMerge write only their own keys into a Secret whose other keys (and type)
 * belong to someone else; they never own it.
 */
export function mergesInto(creation: CreationPolicy): boolean {
  return creation === 'Merge' || creation === 'CreateOrMerge';
}

/** ESO's OWNER_LABEL value: ObjectHash("namespace/name"), 56 hex characters. */
export function ownerLabelValue(es: ExternalSecret): string {
  return createHash('sha3-224')
    .update(`${es.metadata.namespace ?? ''}/${es.metadata.name ?? ''}`)
    .digest('hex');
}

interface Owned {
  ownerReferences?: OwnerReference[];
}

/** The object's controller reference (at most one per object). */
export function controllerOf(meta: Owned | undefined): OwnerReference | undefined {
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
export function ownedBy(meta: Owned | undefined, es: ExternalSecret): boolean {
  const c = controllerOf(meta);
  return c !== undefined && isExternalSecretRef(c) && c.name === es.metadata.name;
}

/** The Secret's controller when it is anything but this ExternalSecret. */
export function ownedBySomeoneElse(meta: Owned | undefined, es: ExternalSecret): OwnerReference | undefined {
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
  meta: Owned | undefined,
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
