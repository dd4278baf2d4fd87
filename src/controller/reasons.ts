// Condition reasons. Syncret decides with precise causes (StoreNotFound, ProviderError, ...), but
// the Ready condition carries ESO's reason wherever ESO's code writes one for the same situation,
// so alerts and dashboards written for ESO keep working after a migration: ESO 2.9 reports every
// ExternalSecret failure as SecretSyncedError and every store failure as InvalidProviderConfig.
// The precise cause is kept at the start of the message ("ProviderError: ..."), where people see
// it in `kubectl describe` and Argo CD, the metrics count it (syncret_externalsecrets_by_reason's
// `cause`), and the controllers read it back (causeOf). The mapping table is docs/OBSERVABILITY.md.

import type { Condition } from '../api/types.js';

export const Reason = {
  SecretSynced: 'SecretSynced',
  SecretSyncedError: 'SecretSyncedError',
  SecretDeleted: 'SecretDeleted',
  SecretMissing: 'SecretMissing',
  /** ESO's reasons for a target.manifest of another kind than Secret. */
  ResourceSynced: 'ResourceSynced',
  ResourceSyncedError: 'ResourceSyncedError',
  ResourceDeleted: 'ResourceDeleted',
  ResourceMissing: 'ResourceMissing',
  InvalidSpec: 'InvalidSpec',
  StoreNotFound: 'StoreNotFound',
  StoreNotAllowed: 'StoreNotAllowed',
  InvalidStoreConfig: 'InvalidStoreConfiguration',
  ProviderError: 'ProviderError',
  SecretOwnedByOther: 'SecretOwnedByOther',
  SecretWriteFailed: 'SecretWriteFailed',
  SecretTooLarge: 'SecretTooLarge',
  TemplateFailed: 'TemplateError',
  /** Syncret's own cause: a generator lease could not be renewed; the values in the Secret still work. */
  LeaseRenewalFailed: 'LeaseRenewalFailed',
  /** Syncret's own cause: a generator kind whose CRD is served but whose backend is not implemented. */
  GeneratorNotSupported: 'GeneratorNotSupported',
  // store reasons
  Valid: 'Valid',
  InvalidProviderConfig: 'InvalidProviderConfig',
  ValidationFailed: 'ValidationFailed',
  ValidationUnknown: 'ValidationUnknown',
  // ClusterExternalSecret reasons (ESO writes none; Syncret adds them for people and alerts)
  NamespacesProvisioned: 'NamespacesProvisioned',
  NamespacesFailed: 'NamespacesFailed',
} as const;

/** The reasons ESO 2.9 writes on an ExternalSecret's Ready condition. */
const ESO_EXTERNALSECRET_REASONS: ReadonlySet<string> = new Set([
  Reason.SecretSynced,
  Reason.SecretSyncedError,
  Reason.SecretDeleted,
  Reason.SecretMissing,
  Reason.ResourceSynced,
  Reason.ResourceSyncedError,
  Reason.ResourceDeleted,
  Reason.ResourceMissing,
]);

/** ESO's Secret reasons as it writes them for a target of another kind (target.manifest). */
const RESOURCE_REASONS: Readonly<Record<string, string>> = {
  [Reason.SecretSynced]: Reason.ResourceSynced,
  [Reason.SecretSyncedError]: Reason.ResourceSyncedError,
  [Reason.SecretDeleted]: Reason.ResourceDeleted,
  [Reason.SecretMissing]: Reason.ResourceMissing,
};

/** The reasons ESO 2.9 writes on a store's Ready condition (it declares ValidationFailed but never writes it). */
const ESO_STORE_REASONS: ReadonlySet<string> = new Set([
  Reason.Valid,
  Reason.InvalidProviderConfig,
  Reason.ValidationUnknown,
]);

/** Every precise cause a message may start with; anything else is not a cause (causeOf). */
const CAUSES: ReadonlySet<string> = new Set([
  Reason.InvalidSpec,
  Reason.StoreNotFound,
  Reason.StoreNotAllowed,
  Reason.InvalidStoreConfig,
  Reason.ProviderError,
  Reason.SecretOwnedByOther,
  Reason.SecretWriteFailed,
  Reason.SecretTooLarge,
  Reason.TemplateFailed,
  Reason.LeaseRenewalFailed,
  Reason.GeneratorNotSupported,
  Reason.ValidationFailed,
]);

type Cond = Pick<Condition, 'status' | 'reason' | 'message'>;

function mapped(cond: Cond, eso: ReadonlySet<string>, fallback: string): Cond {
  const cause = cond.reason;
  if (cause === undefined || eso.has(cause)) return cond;
  const message = cond.message ? `${cause}: ${cond.message}` : cause;
  return { ...cond, reason: fallback, message };
}

/** An ExternalSecret's Ready condition as written: ESO's reason, the precise cause in front of the message. */
export function externalSecretReady<C extends Cond>(cond: C, generic = false): C {
  const out = { ...cond, ...mapped(cond, ESO_EXTERNALSECRET_REASONS, Reason.SecretSyncedError) };
  if (generic && out.reason !== undefined) out.reason = RESOURCE_REASONS[out.reason] ?? out.reason;
  return out;
}

/** A store's Ready condition as written: ESO's reason, the precise cause in front of the message. */
export function storeReady<C extends Cond>(cond: C): C {
  return { ...cond, ...mapped(cond, ESO_STORE_REASONS, Reason.InvalidProviderConfig) };
}

/**
 * The precise cause of a condition: the known cause its message starts with, else its reason.
 * Conditions written before the mapping carry the cause as their reason, so both read the same.
 */
export function causeOf(cond: Pick<Condition, 'reason' | 'message'> | undefined): string | undefined {
  if (!cond) return undefined;
  const m = cond.message;
  if (m) {
    const colon = m.indexOf(':');
    if (colon > 0 && colon <= 32) {
      const head = m.slice(0, colon);
      if (CAUSES.has(head)) return head;
    } else if (CAUSES.has(m)) return m;
  }
  return cond.reason;
}
