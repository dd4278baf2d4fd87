// The target Secret: what Syncret server-side applies (desiredSecret), and what to do with the
// existing one once the provider data is in hand (buildTarget: creationPolicy, deletionPolicy,
// ownership, and whether a write is needed at all).

import type { Condition, CreationPolicy, ExternalSecret, ObjectMeta, Secret } from '../../api/types.js';
import {
  MAX_SECRET_BYTES,
  base64Data,
  goMapHash,
  hashSecretData,
  invalidKeys,
  invalidKeysMessage,
  secretDataSize,
  tooLargeMessage,
} from '../../secrets/secret-data.js';
import { withoutShardKeys } from '../../kube/shards.js';
import { Reason } from '../reasons.js';
import {
  DATA_HASH_ANNOTATION,
  MANAGED_LABEL,
  OWNER_LABEL,
  controllerOf,
  creationPolicyOf,
  mergesInto,
  ownedBy,
  ownerLabelValue,
  ownerReference,
  ownershipConflict,
  targetSecretName,
} from './ownership.js';

/** What reconciles know of an existing target Secret (data only when fetched for Merge). */
export interface TargetSecretInfo {
  name: string;
  uid?: string;
  resourceVersion?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  ownerReferences: NonNullable<ObjectMeta['ownerReferences']>;
  type?: string;
  immutable?: boolean;
  /** hashSecretData of the Secret's actual data. */
  dataHash: string;
  /** The data annotation says one thing, the data another: edited outside Syncret. */
  drifted: boolean;
  /** Full data (base64), present only when the Secret was read with a GET. */
  data?: Record<string, string>;
}

/**
 * previousDataHash: the data hash the Secret had before (its data-hash annotation, else the
 * hash of its data); absent when the write creates it. The executor compares it with the
 * written one to tell a change of data (rollout restarts) from a write of metadata only.
 */
export type SecretWrite =
  | { op: 'apply'; body: Secret; name: string; created: boolean; previousDataHash?: string }
  /** Delete then create: type or immutable data cannot change in place. */
  | { op: 'recreate'; body: Secret; name: string; uid?: string; previousDataHash?: string }
  | { op: 'delete'; name: string; uid?: string }
  /**
   * Syncret's own labels only (a merge patch): a Secret written before sharding was turned on
   * gains its bucket without a sync, so CreatedOnce and OnChange keep their data.
   */
  | { op: 'label'; name: string; labels: Record<string, string> };

export type TargetResult =
  | { ok: true; write?: SecretWrite; ready: Pick<Condition, 'status' | 'reason' | 'message'> }
  | { ok: false; reason: string; message: string };

const DELETED_MESSAGE = 'the provider returned no data; the Secret is deleted (deletionPolicy Delete)';
const SYNCED = { status: 'True', reason: Reason.SecretSynced, message: 'Secret was synced' } as const;

export function targetInfoFromSecret(secret: Secret, withData: boolean): TargetSecretInfo {
  const annotations = secret.metadata.annotations ?? {};
  const dataHash = hashSecretData(secret.data ?? {});
  const recorded = annotations[DATA_HASH_ANNOTATION];
  return {
    name: secret.metadata.name ?? '',
    uid: secret.metadata.uid,
    resourceVersion: secret.metadata.resourceVersion,
    labels: secret.metadata.labels ?? {},
    annotations,
    ownerReferences: secret.metadata.ownerReferences ?? [],
    type: secret.type,
    immutable: secret.immutable,
    // The annotation's own string when they agree: one copy per cached Secret, not two.
    dataHash: recorded === dataHash ? recorded : dataHash,
    drifted: recorded !== undefined && recorded !== dataHash,
    data: withData ? (secret.data ?? {}) : undefined,
  };
}

// ---- the desired Secret ----

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
  /** Syncret's own labels besides the managed label (sharding's bucket); no template overrides them. */
  ownLabels?: Record<string, string>;
}

export type DesiredSecret =
  | { ok: true; secret: Secret; hash: string }
  | { ok: false; reason: 'InvalidKey' | 'SecretTooLarge'; message: string };

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

  const b64 = base64Data(data, keys);
  const hash =
    mergesInto(creation) && existing?.data
      ? hashSecretData({ ...existing.data, ...b64 })
      : goMapHash(keys, (k) => data[k]!);
  const target = es.spec?.target;
  const secret: Secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: desiredMetadata(args, creation, hash),
  };
  // A Secret merged into keeps its type unless the template sets one; CreateOrMerge creates Opaque.
  const keepType = creation === 'Merge' || (creation === 'CreateOrMerge' && existing !== undefined);
  const type = target?.template?.type || (keepType ? undefined : existing?.type || 'Opaque');
  if (type) secret.type = type;
  if (target?.immutable) secret.immutable = true;
  secret.data = b64;
  return { ok: true, secret, hash };
}

function desiredMetadata(args: DesiredSecretArgs, creation: CreationPolicy, hash: string): ObjectMeta {
  const { es } = args;
  const tmpl = es.spec?.target?.template;
  const labels: Record<string, string> = {
    ...(args.metadata?.labels ?? (tmpl ? tmpl.metadata?.labels : withoutShardKeys(es.metadata.labels))),
    ...args.ownLabels,
    [MANAGED_LABEL]: 'true',
  };
  if (creation === 'Owner') labels[OWNER_LABEL] = ownerLabelValue(es);
  else delete labels[OWNER_LABEL];
  const annotations: Record<string, string> = {
    ...(args.metadata?.annotations ??
      (tmpl ? tmpl.metadata?.annotations : withoutShardKeys(es.metadata.annotations))),
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
  return metadata;
}

// ---- what to do with the existing Secret ----

/**
 * The label write `target` needs so that it carries `own` (none when it does). Only on a Secret
 * Syncret wrote for this ExternalSecret: the managed label there, and no other owner that a sync
 * would refuse (a label is no way to adopt a Secret; the next sync does that or says why not).
 */
export function ownLabelsWrite(
  target: TargetSecretInfo,
  own: Record<string, string> | undefined,
  es: ExternalSecret,
  creation: CreationPolicy,
): SecretWrite | undefined {
  if (!own || subset(own, target.labels)) return undefined;
  if (target.labels[MANAGED_LABEL] !== 'true' || ownershipConflict(target, es, creation)) return undefined;
  return { op: 'label', name: target.name, labels: own };
}

function subset(want: Record<string, string> | undefined, have: Record<string, string>): boolean {
  return Object.entries(want ?? {}).every(([k, v]) => have[k] === v);
}

/** True when applying `body` would change nothing Syncret cares about. */
function upToDate(body: Secret, t: TargetSecretInfo, creation: CreationPolicy): boolean {
  const want = body.data ?? {};
  if (!subset(body.metadata.labels, t.labels) || !subset(body.metadata.annotations, t.annotations))
    return false;
  if (mergesInto(creation)) {
    if (!t.data) return false;
    return Object.entries(want).every(([k, v]) => t.data![k] === v);
  }
  if (t.drifted || t.dataHash !== hashSecretData(want)) return false;
  if (body.type && (t.type ?? 'Opaque') !== body.type) return false;
  if (!!body.immutable !== !!t.immutable) return false;
  const wantOwner = body.metadata.ownerReferences?.[0];
  if (wantOwner && controllerOf(t)?.uid !== wantOwner.uid) return false;
  return true;
}

export interface BuildTargetArgs {
  es: ExternalSecret;
  data: Record<string, Uint8Array>;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  target: TargetSecretInfo | undefined;
  targetName: string;
  creation: CreationPolicy;
  ownLabels?: Record<string, string>;
}

export function buildTarget(args: BuildTargetArgs): TargetResult {
  const { es, data, target, targetName, creation } = args;
  const deletion = es.spec?.target?.deletionPolicy ?? 'Retain';

  if (creation === 'None') return { ok: true, ready: SYNCED };
  if (creation === 'Merge' && !target) return { ok: false, ...mergeTargetMissing(targetName) };
  // As ESO: another ExternalSecret's Secret is refused for every policy (two reconcilers
  // would fight over it); another controller's only when Owner would have to replace it.
  const other = target ? ownershipConflict(target, es, creation) : undefined;
  if (other) {
    return {
      ok: false,
      reason: Reason.SecretOwnedByOther,
      message: `target Secret "${targetName}" is controlled by ${other.kind} "${other.name}"; Syncret does not take over Secrets owned by others`,
    };
  }

  const empty = Object.keys(data).length === 0;
  if (empty && deletion === 'Delete') {
    const ready = { status: 'True', reason: Reason.SecretDeleted, message: DELETED_MESSAGE } as const;
    if (!target) return { ok: true, ready };
    return { ok: true, write: { op: 'delete', name: targetName, uid: target.uid }, ready };
  }
  if (empty && deletion === 'Retain' && target) {
    return {
      ok: true,
      ready: { ...SYNCED, message: 'the provider returned no data; Secret retained (deletionPolicy Retain)' },
    };
  }

  const built = desiredSecret({
    es,
    data,
    targetName,
    creation,
    ownLabels: args.ownLabels,
    existing: target ? { type: target.type, data: target.data } : undefined,
    metadata:
      args.labels || args.annotations ? { labels: args.labels, annotations: args.annotations } : undefined,
  });
  if (!built.ok) return { ok: false, reason: built.reason, message: built.message };
  const body = built.secret;
  if (target && upToDate(body, target, creation)) return { ok: true, ready: SYNCED };
  if (target && !mergesInto(creation)) {
    const replace = replacement(body, target, args);
    if (replace) return replace;
  }
  return {
    ok: true,
    write: { op: 'apply', body, name: targetName, created: !target, previousDataHash: recordedHash(target) },
    ready: SYNCED,
  };
}

/**
 * What the Secret's data was as far as its readers know: the hash Syncret (or ESO) recorded at
 * its last write. A repair of an edit (drift) writes that data again, so it is no change.
 */
function recordedHash(target: TargetSecretInfo | undefined): string | undefined {
  return target ? (target.annotations[DATA_HASH_ANNOTATION] ?? target.dataHash) : undefined;
}

/** A type or immutable data cannot change in place: recreate, if the Secret is ours to delete. */
function replacement(
  body: Secret,
  target: TargetSecretInfo,
  args: BuildTargetArgs,
): TargetResult | undefined {
  const typeChanges = body.type !== undefined && (target.type ?? 'Opaque') !== body.type;
  const immutableChanges = !!target.immutable && target.dataHash !== hashSecretData(body.data ?? {});
  if (!typeChanges && !immutableChanges) return undefined;
  const why = typeChanges ? `its type changes to ${body.type}` : 'it is immutable and its data changes';
  if (args.creation !== 'Owner' || !ownedBy(target, args.es)) {
    return {
      ok: false,
      reason: Reason.SecretWriteFailed,
      message: `target Secret "${args.targetName}" must be recreated because ${why}, but it is not owned by this ExternalSecret; delete it to let Syncret recreate it`,
    };
  }
  return {
    ok: true,
    write: {
      op: 'recreate',
      body,
      name: args.targetName,
      uid: target.uid,
      previousDataHash: recordedHash(target),
    },
    ready: SYNCED,
  };
}

/** creationPolicy Merge only merges into a Secret someone else created. */
export function mergeTargetMissing(targetName: string): { reason: string; message: string } {
  return {
    reason: Reason.SecretMissing,
    message: `target Secret "${targetName}" does not exist; creationPolicy Merge only merges into an existing Secret`,
  };
}
