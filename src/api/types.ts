// TypeScript shapes of the external-secrets.io API as users write it for ESO, for the rest of
// the code to import from one place. The types of the CRDs' fields are inferred from their
// schemas (./externalsecret.ts, ./secretstore.ts, ./common.ts, ./providers/) and re-exported
// here; only the objects around them (metadata, core kinds) are written by hand.
//
// Every field is optional: objects come from the apiserver, and the reconcilers must treat
// anything the schema lets through as possibly absent. Defaults are applied in code, never in
// the CRD schema, so GitOps tools see no drift.
//
// Only `export type` below: the operator loads this module at run time (for the constants),
// and must not load the schema builder with it.

import type { ClusterExternalSecretSpec, ClusterExternalSecretStatus } from './clusterexternalsecret.js';
import type { ExternalSecretSpec, ExternalSecretStatus } from './externalsecret.js';
import type {
  ClusterPushSecretSpec,
  ClusterPushSecretStatus,
  PushSecretSpec,
  PushSecretStatus,
} from './pushsecret.js';
import type { SecretStoreSpec, SecretStoreStatus } from './secretstore.js';

export type {
  CAProvider,
  Condition,
  LabelSelector,
  SecretKeySelector,
  ServiceAccountSelector,
} from './common.js';
export type {
  ConversionStrategy,
  CreationPolicy,
  DecodingStrategy,
  DeletionPolicy,
  ExternalSecretData,
  ExternalSecretDataFrom,
  ExternalSecretSpec,
  ExternalSecretStatus,
  ExternalSecretTarget,
  FindName,
  FindRef,
  GeneratorKind,
  GeneratorLease,
  GeneratorRef,
  MetadataPolicy,
  NullBytePolicy,
  RefreshPolicy,
  RemoteRef,
  Rewrite,
  RewriteMerge,
  RewriteRegexp,
  SourceRef,
  StoreKind,
  StoreRef,
  SyncWindow,
  SyncWindows,
  TargetManifest,
  TargetTemplate,
  TemplateFrom,
  TemplateRefItem,
} from './externalsecret.js';
export type {
  ClusterExternalSecretSpec,
  ClusterExternalSecretStatus,
  ExternalSecretMetadata,
  NamespaceFailure,
} from './clusterexternalsecret.js';
export type {
  ClusterPushSecretSpec,
  ClusterPushSecretStatus,
  PushConversionStrategy,
  PushDeletionPolicy,
  PushSecretData,
  PushSecretDataTo,
  PushSecretRemoteRef,
  PushSecretSelector,
  PushSecretSpec,
  PushSecretStatus,
  PushSecretStoreRef,
  SyncedPushSecrets,
  UpdatePolicy,
} from './pushsecret.js';
export type {
  ClusterSecretStoreCondition,
  ProviderSpec,
  SecretStoreSpec,
  SecretStoreStatus,
  StoreCapabilities,
} from './secretstore.js';
export type { FakeProvider, FakeProviderData } from './providers/fake.js';
export type { KubernetesProvider } from './providers/kubernetes.js';

export const GROUP = 'external-secrets.io';
export const GENERATORS_GROUP = 'generators.external-secrets.io';
export const GENERATORS_VERSION = 'v1alpha1';
export const STORED_VERSION = 'v1';
/** PushSecret and ClusterPushSecret: ESO serves and stores them only at v1alpha1. */
export const PUSH_VERSION = 'v1alpha1';
export const SERVED_VERSIONS = ['v1', 'v1beta1'] as const;

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: unknown[];
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

export interface ExternalSecret extends KubeObject {
  spec?: ExternalSecretSpec;
  status?: ExternalSecretStatus;
}

export interface ClusterExternalSecret extends KubeObject {
  spec?: ClusterExternalSecretSpec;
  status?: ClusterExternalSecretStatus;
}

export interface PushSecret extends KubeObject {
  spec?: PushSecretSpec;
  status?: PushSecretStatus;
}

export interface ClusterPushSecret extends KubeObject {
  spec?: ClusterPushSecretSpec;
  status?: ClusterPushSecretStatus;
}

export interface SecretStore extends KubeObject {
  spec?: SecretStoreSpec;
  status?: SecretStoreStatus;
}

// ---- core objects Syncret touches ----

export interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
  immutable?: boolean;
}

export interface Namespace extends KubeObject {
  status?: { phase?: string };
}

export interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}
