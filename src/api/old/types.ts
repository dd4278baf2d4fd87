// TEMPORARY: the hand-written types of src/api/types.ts before their fields were inferred from
// the schemas, kept only for equivalence.typetest.ts.
// TypeScript shapes of the external-secrets.io API as users write it for ESO.
// Every field is optional here: objects come from the apiserver, and the reconcilers must
// treat anything the schema lets through as possibly absent. Defaults are applied in code,
// never in the CRD schema, so GitOps tools see no drift.

import type { GeneratorKind } from '../externalsecret.js';
import type { AwsProvider } from './providers/aws.js';
import type { AzureKVProvider } from './providers/azurekv.js';
import type { GcpsmProvider } from './providers/gcpsm.js';
import type { VaultProvider } from './providers/vault.js';

export const GROUP = 'external-secrets.io';
export const GENERATORS_GROUP = 'generators.external-secrets.io';
export const GENERATORS_VERSION = 'v1alpha1';
export const STORED_VERSION = 'v1';
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

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

// ---- shared selectors ----

export interface SecretKeySelector {
  name?: string;
  namespace?: string;
  key?: string;
}

export interface ServiceAccountSelector {
  name?: string;
  namespace?: string;
  audiences?: string[];
}

export interface CAProvider {
  type?: 'Secret' | 'ConfigMap';
  name?: string;
  key?: string;
  namespace?: string;
}

// ---- ExternalSecret ----

export type StoreKind = 'SecretStore' | 'ClusterSecretStore';
export type CreationPolicy = 'Owner' | 'Orphan' | 'Merge' | 'None';
export type DeletionPolicy = 'Retain' | 'Delete' | 'Merge';
export type RefreshPolicy = 'CreatedOnce' | 'Periodic' | 'OnChange';
export type DecodingStrategy = 'None' | 'Base64' | 'Base64URL' | 'Auto';
export type ConversionStrategy = 'Default' | 'Unicode';
export type MetadataPolicy = 'None' | 'Fetch';
export type NullBytePolicy = 'Ignore' | 'Fail';

export interface StoreRef {
  name?: string;
  kind?: StoreKind;
}

export interface GeneratorRef {
  apiVersion?: string;
  // Deliberate change: the schema's enum (was string).
  kind?: GeneratorKind;
  name?: string;
}

export interface SourceRef {
  storeRef?: StoreRef;
  generatorRef?: GeneratorRef;
}

export interface RemoteRef {
  key?: string;
  property?: string;
  version?: string;
  metadataPolicy?: MetadataPolicy;
  conversionStrategy?: ConversionStrategy;
  decodingStrategy?: DecodingStrategy;
  nullBytePolicy?: NullBytePolicy;
}

export interface ExternalSecretData {
  secretKey?: string;
  remoteRef?: RemoteRef;
  sourceRef?: SourceRef;
}

export interface FindName {
  regexp?: string;
}

export interface FindRef {
  path?: string;
  name?: FindName;
  tags?: Record<string, string>;
  conversionStrategy?: ConversionStrategy;
  decodingStrategy?: DecodingStrategy;
}

export interface RewriteRegexp {
  source?: string;
  target?: string;
}

export interface Rewrite {
  regexp?: RewriteRegexp;
  transform?: { template?: string };
}

export interface ExternalSecretDataFrom {
  extract?: RemoteRef;
  find?: FindRef;
  sourceRef?: SourceRef;
  rewrite?: Rewrite[];
}

export interface TemplateRefItem {
  key?: string;
  templateAs?: 'Values' | 'KeysAndValues';
}

export interface TemplateFrom {
  configMap?: { name?: string; items?: TemplateRefItem[] };
  secret?: { name?: string; items?: TemplateRefItem[] };
  // Deliberate change: the schema accepts any case (ESO compares case-insensitively), so the
  // code must not rely on these spellings (was 'Data' | 'Annotations' | 'Labels').
  target?: string;
  literal?: string;
}

export interface TargetTemplate {
  type?: string;
  // Deliberate change: the schema's enum (was 'v1' | 'v2').
  engineVersion?: 'v2';
  mergePolicy?: 'Replace' | 'Merge';
  metadata?: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
  };
  data?: Record<string, string>;
  templateFrom?: TemplateFrom[];
}

export interface ExternalSecretTarget {
  name?: string;
  creationPolicy?: CreationPolicy;
  deletionPolicy?: DeletionPolicy;
  immutable?: boolean;
  template?: TargetTemplate;
}

export interface ExternalSecretSpec {
  secretStoreRef?: StoreRef;
  refreshInterval?: string;
  refreshPolicy?: RefreshPolicy;
  target?: ExternalSecretTarget;
  data?: ExternalSecretData[];
  dataFrom?: ExternalSecretDataFrom[];
}

export interface ExternalSecretStatus {
  conditions?: Condition[];
  refreshTime?: string;
  syncedResourceVersion?: string;
  observedGeneration?: number;
  binding?: { name?: string };
  /** Syncret only: the leases behind the generated values now in the target Secret. */
  generatorLeases?: GeneratorLease[];
}

/**
 * One generator result whose lifetime Syncret manages (renewal, rotation, revocation). No
 * values: only what identifies the lease and when to act on it.
 */
export interface GeneratorLease {
  /** The dataFrom entry that produced it, e.g. `dataFrom[0]`. */
  source: string;
  kind: string;
  name: string;
  /** Vault's lease_id; empty for results without a lease (PKI certificates). */
  leaseID: string;
  /** The TTL granted at issue, in seconds: the increment asked for at each renewal. */
  leaseDuration: number;
  renewable: boolean;
  /** When the values were issued (RFC 3339). */
  issueTime: string;
  /** When the lease was last renewed, if ever. */
  renewTime?: string;
  /** When the lease (or certificate) expires as of the last issue or renewal. */
  expireTime: string;
}

export interface ExternalSecret extends KubeObject {
  spec?: ExternalSecretSpec;
  status?: ExternalSecretStatus;
}

// ---- SecretStore / ClusterSecretStore ----

export interface FakeProviderData {
  key?: string;
  value?: string;
  valueMap?: Record<string, string>;
  version?: string;
}

export interface FakeProvider {
  data?: FakeProviderData[];
  validationResult?: number | string;
}

export interface KubernetesProvider {
  server?: { url?: string; caBundle?: string; caProvider?: CAProvider };
  auth?: {
    cert?: { clientCert?: SecretKeySelector; clientKey?: SecretKeySelector };
    token?: { bearerToken?: SecretKeySelector };
    serviceAccount?: ServiceAccountSelector;
  };
  authRef?: SecretKeySelector;
  remoteNamespace?: string;
}

export interface ProviderSpec {
  fake?: FakeProvider;
  kubernetes?: KubernetesProvider;
  vault?: VaultProvider;
  aws?: AwsProvider;
  azurekv?: AzureKVProvider;
  gcpsm?: GcpsmProvider;
}

export interface ClusterSecretStoreCondition {
  namespaceSelector?: LabelSelector;
  namespaces?: string[];
  namespaceRegexes?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: {
    key: string;
    operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    values?: string[];
  }[];
}

export interface SecretStoreSpec {
  controller?: string;
  provider?: ProviderSpec;
  retrySettings?: { maxRetries?: number; retryInterval?: string };
  /** Seconds, or a Go duration string (ESO 2.9 accepts both). */
  refreshInterval?: number | string;
  conditions?: ClusterSecretStoreCondition[];
}

export type StoreCapabilities = 'ReadOnly' | 'WriteOnly' | 'ReadWrite';

export interface SecretStoreStatus {
  conditions?: Condition[];
  capabilities?: StoreCapabilities;
  observedGeneration?: number;
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
