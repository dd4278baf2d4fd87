// Condition reasons Syncret writes; ESO's names where ESO has one, so alerts written for ESO
// keep working.

export const Reason = {
  SecretSynced: 'SecretSynced',
  SecretSyncedError: 'SecretSyncedError',
  SecretDeleted: 'SecretDeleted',
  SecretMissing: 'SecretMissing',
  InvalidSpec: 'InvalidSpec',
  StoreNotFound: 'StoreNotFound',
  StoreNotAllowed: 'StoreNotAllowed',
  InvalidStoreConfig: 'InvalidStoreConfiguration',
  ProviderError: 'ProviderError',
  SecretOwnedByOther: 'SecretOwnedByOther',
  SecretWriteFailed: 'SecretWriteFailed',
  SecretTooLarge: 'SecretTooLarge',
  TemplateFailed: 'TemplateError',
  /** Syncret's own: a generator lease could not be renewed; the values in the Secret still work. */
  LeaseRenewalFailed: 'LeaseRenewalFailed',
  /** Syncret's own: a generator kind whose CRD is served but whose backend is not implemented. */
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
