// Decides what to do with the target Secret once the provider data is in hand:
// creationPolicy, deletionPolicy, ownership, and whether a write is needed at all.

import type { Condition, CreationPolicy, ExternalSecret, OwnerReference, Secret } from '../../api/types.js';
import {
  DATA_HASH_ANNOTATION,
  MANAGED_LABEL,
  desiredSecret,
  hashSecretData,
  ownedBy,
  ownershipConflict,
} from '../../secrets/build.js';
import { Reason } from '../reasons.js';

/** What reconciles know of an existing target Secret (data only when fetched for Merge). */
export interface TargetSecretInfo {
  name: string;
  uid?: string;
  resourceVersion?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  ownerReferences: OwnerReference[];
  type?: string;
  immutable?: boolean;
  /** hashSecretData of the Secret's actual data. */
  dataHash: string;
  /** The data annotation says one thing, the data another: edited outside Syncret. */
  drifted: boolean;
  /** Full data (base64), present only when the Secret was read with a GET. */
  data?: Record<string, string>;
}

export type SecretWrite =
  | { op: 'apply'; body: Secret; name: string; created: boolean }
  /** Delete then create: type or immutable data cannot change in place. */
  | { op: 'recreate'; body: Secret; name: string; uid?: string }
  | { op: 'delete'; name: string; uid?: string };

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

function controllerOf(t: TargetSecretInfo): OwnerReference | undefined {
  return t.ownerReferences.find((o) => o.controller);
}

function subset(want: Record<string, string> | undefined, have: Record<string, string>): boolean {
  return Object.entries(want ?? {}).every(([k, v]) => have[k] === v);
}

/** True when applying `body` would change nothing Syncret cares about. */
function upToDate(body: Secret, t: TargetSecretInfo, creation: CreationPolicy): boolean {
  const want = body.data ?? {};
  if (!subset(body.metadata.labels, t.labels) || !subset(body.metadata.annotations, t.annotations))
    return false;
  if (creation === 'Merge') {
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

export function buildTarget(args: {
  es: ExternalSecret;
  data: Record<string, Uint8Array>;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  target: TargetSecretInfo | undefined;
  targetName: string;
  creation: CreationPolicy;
  now: string;
}): TargetResult {
  const { es, data, target, targetName, creation } = args;
  const deletion = es.spec?.target?.deletionPolicy ?? 'Retain';

  if (creation === 'None') return { ok: true, ready: SYNCED };
  if (creation === 'Merge' && !target) {
    return {
      ok: false,
      reason: Reason.SecretMissing,
      message: `target Secret "${targetName}" does not exist; creationPolicy Merge only merges into an existing Secret`,
    };
  }
  if (target) {
    // As ESO: another ExternalSecret's Secret is refused for every policy (two reconcilers
    // would fight over it); another controller's only when Owner would have to replace it.
    const other = ownershipConflict({ ownerReferences: target.ownerReferences }, es, creation);
    if (other) {
      return {
        ok: false,
        reason: Reason.SecretOwnedByOther,
        message: `target Secret "${targetName}" is controlled by ${other.kind} "${other.name}"; Syncret does not take over Secrets owned by others`,
      };
    }
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
    existing: target ? { type: target.type, data: target.data } : undefined,
    metadata:
      args.labels || args.annotations ? { labels: args.labels, annotations: args.annotations } : undefined,
  });
  if (!built.ok) return { ok: false, reason: built.reason, message: built.message };
  const body = built.secret;
  if (target && upToDate(body, target, creation)) return { ok: true, ready: SYNCED };

  if (target && creation !== 'Merge') {
    const typeChanges = body.type !== undefined && (target.type ?? 'Opaque') !== body.type;
    const immutableChanges = !!target.immutable && target.dataHash !== hashSecretData(body.data ?? {});
    if (typeChanges || immutableChanges) {
      const why = typeChanges ? `its type changes to ${body.type}` : 'it is immutable and its data changes';
      if (creation !== 'Owner' || !ownedBy({ ownerReferences: target.ownerReferences }, es)) {
        return {
          ok: false,
          reason: Reason.SecretWriteFailed,
          message: `target Secret "${targetName}" must be recreated because ${why}, but it is not owned by this ExternalSecret; delete it to let Syncret recreate it`,
        };
      }
      return { ok: true, write: { op: 'recreate', body, name: targetName, uid: target.uid }, ready: SYNCED };
    }
  }
  return { ok: true, write: { op: 'apply', body, name: targetName, created: !target }, ready: SYNCED };
}

export { MANAGED_LABEL, DATA_HASH_ANNOTATION };
