// TEMPORARY (deleted with src/api/old/ once green): proves that every type inferred from the
// schemas is exactly the hand-written type it replaces. Compiled by tsc, never run.

import type * as Old from './old/types.js';
import type * as New from './types.js';
import type * as Old_aws from './old/providers/aws.js';
import type * as New_aws from './providers/aws.js';
import type * as Old_azurekv from './old/providers/azurekv.js';
import type * as New_azurekv from './providers/azurekv.js';
import type * as Old_gcpsm from './old/providers/gcpsm.js';
import type * as New_gcpsm from './providers/gcpsm.js';
import type * as Old_vault from './old/providers/vault.js';
import type * as New_vault from './providers/vault.js';

// Exact: true only if A and B are the same type (not merely mutually assignable).
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
// Deep mutual assignability, for the record when Equal fails.
type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Check<T extends true> = T;

export type _Condition = [
  Check<Equal<Old.Condition, New.Condition>>,
  Check<Mutual<Old.Condition, New.Condition>>,
];
export type _SecretKeySelector = [
  Check<Equal<Old.SecretKeySelector, New.SecretKeySelector>>,
  Check<Mutual<Old.SecretKeySelector, New.SecretKeySelector>>,
];
export type _ServiceAccountSelector = [
  Check<Equal<Old.ServiceAccountSelector, New.ServiceAccountSelector>>,
  Check<Mutual<Old.ServiceAccountSelector, New.ServiceAccountSelector>>,
];
export type _CAProvider = [
  Check<Equal<Old.CAProvider, New.CAProvider>>,
  Check<Mutual<Old.CAProvider, New.CAProvider>>,
];
export type _StoreKind = [
  Check<Equal<Old.StoreKind, New.StoreKind>>,
  Check<Mutual<Old.StoreKind, New.StoreKind>>,
];
export type _CreationPolicy = [
  Check<Equal<Old.CreationPolicy, New.CreationPolicy>>,
  Check<Mutual<Old.CreationPolicy, New.CreationPolicy>>,
];
export type _DeletionPolicy = [
  Check<Equal<Old.DeletionPolicy, New.DeletionPolicy>>,
  Check<Mutual<Old.DeletionPolicy, New.DeletionPolicy>>,
];
export type _RefreshPolicy = [
  Check<Equal<Old.RefreshPolicy, New.RefreshPolicy>>,
  Check<Mutual<Old.RefreshPolicy, New.RefreshPolicy>>,
];
export type _DecodingStrategy = [
  Check<Equal<Old.DecodingStrategy, New.DecodingStrategy>>,
  Check<Mutual<Old.DecodingStrategy, New.DecodingStrategy>>,
];
export type _ConversionStrategy = [
  Check<Equal<Old.ConversionStrategy, New.ConversionStrategy>>,
  Check<Mutual<Old.ConversionStrategy, New.ConversionStrategy>>,
];
export type _MetadataPolicy = [
  Check<Equal<Old.MetadataPolicy, New.MetadataPolicy>>,
  Check<Mutual<Old.MetadataPolicy, New.MetadataPolicy>>,
];
export type _NullBytePolicy = [
  Check<Equal<Old.NullBytePolicy, New.NullBytePolicy>>,
  Check<Mutual<Old.NullBytePolicy, New.NullBytePolicy>>,
];
export type _StoreRef = [Check<Equal<Old.StoreRef, New.StoreRef>>, Check<Mutual<Old.StoreRef, New.StoreRef>>];
export type _GeneratorRef = [
  Check<Equal<Old.GeneratorRef, New.GeneratorRef>>,
  Check<Mutual<Old.GeneratorRef, New.GeneratorRef>>,
];
export type _SourceRef = [
  Check<Equal<Old.SourceRef, New.SourceRef>>,
  Check<Mutual<Old.SourceRef, New.SourceRef>>,
];
export type _RemoteRef = [
  Check<Equal<Old.RemoteRef, New.RemoteRef>>,
  Check<Mutual<Old.RemoteRef, New.RemoteRef>>,
];
export type _ExternalSecretData = [
  Check<Equal<Old.ExternalSecretData, New.ExternalSecretData>>,
  Check<Mutual<Old.ExternalSecretData, New.ExternalSecretData>>,
];
export type _FindName = [Check<Equal<Old.FindName, New.FindName>>, Check<Mutual<Old.FindName, New.FindName>>];
export type _FindRef = [Check<Equal<Old.FindRef, New.FindRef>>, Check<Mutual<Old.FindRef, New.FindRef>>];
export type _RewriteRegexp = [
  Check<Equal<Old.RewriteRegexp, New.RewriteRegexp>>,
  Check<Mutual<Old.RewriteRegexp, New.RewriteRegexp>>,
];
export type _Rewrite = [Check<Equal<Old.Rewrite, New.Rewrite>>, Check<Mutual<Old.Rewrite, New.Rewrite>>];
export type _ExternalSecretDataFrom = [
  Check<Equal<Old.ExternalSecretDataFrom, New.ExternalSecretDataFrom>>,
  Check<Mutual<Old.ExternalSecretDataFrom, New.ExternalSecretDataFrom>>,
];
export type _TemplateRefItem = [
  Check<Equal<Old.TemplateRefItem, New.TemplateRefItem>>,
  Check<Mutual<Old.TemplateRefItem, New.TemplateRefItem>>,
];
export type _TemplateFrom = [
  Check<Equal<Old.TemplateFrom, New.TemplateFrom>>,
  Check<Mutual<Old.TemplateFrom, New.TemplateFrom>>,
];
export type _TargetTemplate = [
  Check<Equal<Old.TargetTemplate, New.TargetTemplate>>,
  Check<Mutual<Old.TargetTemplate, New.TargetTemplate>>,
];
export type _ExternalSecretTarget = [
  Check<Equal<Old.ExternalSecretTarget, New.ExternalSecretTarget>>,
  Check<Mutual<Old.ExternalSecretTarget, New.ExternalSecretTarget>>,
];
export type _ExternalSecretSpec = [
  Check<Equal<Old.ExternalSecretSpec, New.ExternalSecretSpec>>,
  Check<Mutual<Old.ExternalSecretSpec, New.ExternalSecretSpec>>,
];
export type _ExternalSecretStatus = [
  Check<Equal<Old.ExternalSecretStatus, New.ExternalSecretStatus>>,
  Check<Mutual<Old.ExternalSecretStatus, New.ExternalSecretStatus>>,
];
export type _GeneratorLease = [
  Check<Equal<Old.GeneratorLease, New.GeneratorLease>>,
  Check<Mutual<Old.GeneratorLease, New.GeneratorLease>>,
];
export type _ExternalSecret = [
  Check<Equal<Old.ExternalSecret, New.ExternalSecret>>,
  Check<Mutual<Old.ExternalSecret, New.ExternalSecret>>,
];
export type _FakeProviderData = [
  Check<Equal<Old.FakeProviderData, New.FakeProviderData>>,
  Check<Mutual<Old.FakeProviderData, New.FakeProviderData>>,
];
export type _FakeProvider = [
  Check<Equal<Old.FakeProvider, New.FakeProvider>>,
  Check<Mutual<Old.FakeProvider, New.FakeProvider>>,
];
export type _KubernetesProvider = [
  Check<Equal<Old.KubernetesProvider, New.KubernetesProvider>>,
  Check<Mutual<Old.KubernetesProvider, New.KubernetesProvider>>,
];
export type _ProviderSpec = [
  Check<Equal<Old.ProviderSpec, New.ProviderSpec>>,
  Check<Mutual<Old.ProviderSpec, New.ProviderSpec>>,
];
export type _ClusterSecretStoreCondition = [
  Check<Equal<Old.ClusterSecretStoreCondition, New.ClusterSecretStoreCondition>>,
  Check<Mutual<Old.ClusterSecretStoreCondition, New.ClusterSecretStoreCondition>>,
];
export type _LabelSelector = [
  Check<Equal<Old.LabelSelector, New.LabelSelector>>,
  Check<Mutual<Old.LabelSelector, New.LabelSelector>>,
];
export type _SecretStoreSpec = [
  Check<Equal<Old.SecretStoreSpec, New.SecretStoreSpec>>,
  Check<Mutual<Old.SecretStoreSpec, New.SecretStoreSpec>>,
];
export type _StoreCapabilities = [
  Check<Equal<Old.StoreCapabilities, New.StoreCapabilities>>,
  Check<Mutual<Old.StoreCapabilities, New.StoreCapabilities>>,
];
export type _SecretStoreStatus = [
  Check<Equal<Old.SecretStoreStatus, New.SecretStoreStatus>>,
  Check<Mutual<Old.SecretStoreStatus, New.SecretStoreStatus>>,
];
export type _SecretStore = [
  Check<Equal<Old.SecretStore, New.SecretStore>>,
  Check<Mutual<Old.SecretStore, New.SecretStore>>,
];
export type _ObjectMeta = [
  Check<Equal<Old.ObjectMeta, New.ObjectMeta>>,
  Check<Mutual<Old.ObjectMeta, New.ObjectMeta>>,
];
export type _OwnerReference = [
  Check<Equal<Old.OwnerReference, New.OwnerReference>>,
  Check<Mutual<Old.OwnerReference, New.OwnerReference>>,
];
export type _KubeObject = [
  Check<Equal<Old.KubeObject, New.KubeObject>>,
  Check<Mutual<Old.KubeObject, New.KubeObject>>,
];
export type _Secret = [Check<Equal<Old.Secret, New.Secret>>, Check<Mutual<Old.Secret, New.Secret>>];
export type _Namespace = [
  Check<Equal<Old.Namespace, New.Namespace>>,
  Check<Mutual<Old.Namespace, New.Namespace>>,
];
export type _AwsService = [
  Check<Equal<Old_aws.AwsService, New_aws.AwsService>>,
  Check<Mutual<Old_aws.AwsService, New_aws.AwsService>>,
];
export type _AwsSessionTag = [
  Check<Equal<Old_aws.AwsSessionTag, New_aws.AwsSessionTag>>,
  Check<Mutual<Old_aws.AwsSessionTag, New_aws.AwsSessionTag>>,
];
export type _AwsAuth = [
  Check<Equal<Old_aws.AwsAuth, New_aws.AwsAuth>>,
  Check<Mutual<Old_aws.AwsAuth, New_aws.AwsAuth>>,
];
export type _AwsProvider = [
  Check<Equal<Old_aws.AwsProvider, New_aws.AwsProvider>>,
  Check<Mutual<Old_aws.AwsProvider, New_aws.AwsProvider>>,
];
export type _AzureAuthType = [
  Check<Equal<Old_azurekv.AzureAuthType, New_azurekv.AzureAuthType>>,
  Check<Mutual<Old_azurekv.AzureAuthType, New_azurekv.AzureAuthType>>,
];
export type _AzureEnvironmentType = [
  Check<Equal<Old_azurekv.AzureEnvironmentType, New_azurekv.AzureEnvironmentType>>,
  Check<Mutual<Old_azurekv.AzureEnvironmentType, New_azurekv.AzureEnvironmentType>>,
];
export type _AzureCustomCloudConfig = [
  Check<Equal<Old_azurekv.AzureCustomCloudConfig, New_azurekv.AzureCustomCloudConfig>>,
  Check<Mutual<Old_azurekv.AzureCustomCloudConfig, New_azurekv.AzureCustomCloudConfig>>,
];
export type _AzureKVProvider = [
  Check<Equal<Old_azurekv.AzureKVProvider, New_azurekv.AzureKVProvider>>,
  Check<Mutual<Old_azurekv.AzureKVProvider, New_azurekv.AzureKVProvider>>,
];
export type _SecretVersionSelectionPolicy = [
  Check<Equal<Old_gcpsm.SecretVersionSelectionPolicy, New_gcpsm.SecretVersionSelectionPolicy>>,
  Check<Mutual<Old_gcpsm.SecretVersionSelectionPolicy, New_gcpsm.SecretVersionSelectionPolicy>>,
];
export type _GcpsmSecretRefAuth = [
  Check<Equal<Old_gcpsm.GcpsmSecretRefAuth, New_gcpsm.GcpsmSecretRefAuth>>,
  Check<Mutual<Old_gcpsm.GcpsmSecretRefAuth, New_gcpsm.GcpsmSecretRefAuth>>,
];
export type _GcpsmWorkloadIdentity = [
  Check<Equal<Old_gcpsm.GcpsmWorkloadIdentity, New_gcpsm.GcpsmWorkloadIdentity>>,
  Check<Mutual<Old_gcpsm.GcpsmWorkloadIdentity, New_gcpsm.GcpsmWorkloadIdentity>>,
];
export type _GcpsmWorkloadIdentityFederation = [
  Check<Equal<Old_gcpsm.GcpsmWorkloadIdentityFederation, New_gcpsm.GcpsmWorkloadIdentityFederation>>,
  Check<Mutual<Old_gcpsm.GcpsmWorkloadIdentityFederation, New_gcpsm.GcpsmWorkloadIdentityFederation>>,
];
export type _GcpsmProvider = [
  Check<Equal<Old_gcpsm.GcpsmProvider, New_gcpsm.GcpsmProvider>>,
  Check<Mutual<Old_gcpsm.GcpsmProvider, New_gcpsm.GcpsmProvider>>,
];
export type _VaultProvider = [
  Check<Equal<Old_vault.VaultProvider, New_vault.VaultProvider>>,
  Check<Mutual<Old_vault.VaultProvider, New_vault.VaultProvider>>,
];
export type _VaultTls = [
  Check<Equal<Old_vault.VaultTls, New_vault.VaultTls>>,
  Check<Mutual<Old_vault.VaultTls, New_vault.VaultTls>>,
];
export type _VaultAppRoleAuth = [
  Check<Equal<Old_vault.VaultAppRoleAuth, New_vault.VaultAppRoleAuth>>,
  Check<Mutual<Old_vault.VaultAppRoleAuth, New_vault.VaultAppRoleAuth>>,
];
export type _VaultKubernetesAuth = [
  Check<Equal<Old_vault.VaultKubernetesAuth, New_vault.VaultKubernetesAuth>>,
  Check<Mutual<Old_vault.VaultKubernetesAuth, New_vault.VaultKubernetesAuth>>,
];
export type _VaultJwtAuth = [
  Check<Equal<Old_vault.VaultJwtAuth, New_vault.VaultJwtAuth>>,
  Check<Mutual<Old_vault.VaultJwtAuth, New_vault.VaultJwtAuth>>,
];
export type _VaultPasswordAuth = [
  Check<Equal<Old_vault.VaultPasswordAuth, New_vault.VaultPasswordAuth>>,
  Check<Mutual<Old_vault.VaultPasswordAuth, New_vault.VaultPasswordAuth>>,
];
export type _VaultCertAuth = [
  Check<Equal<Old_vault.VaultCertAuth, New_vault.VaultCertAuth>>,
  Check<Mutual<Old_vault.VaultCertAuth, New_vault.VaultCertAuth>>,
];
export type _VaultAuth = [
  Check<Equal<Old_vault.VaultAuth, New_vault.VaultAuth>>,
  Check<Mutual<Old_vault.VaultAuth, New_vault.VaultAuth>>,
];
export type _VaultDynamicSecretResultType = [
  Check<Equal<Old_vault.VaultDynamicSecretResultType, New_vault.VaultDynamicSecretResultType>>,
  Check<Mutual<Old_vault.VaultDynamicSecretResultType, New_vault.VaultDynamicSecretResultType>>,
];
export type _VaultDynamicSecretSpec = [
  Check<Equal<Old_vault.VaultDynamicSecretSpec, New_vault.VaultDynamicSecretSpec>>,
  Check<Mutual<Old_vault.VaultDynamicSecretSpec, New_vault.VaultDynamicSecretSpec>>,
];
export type _VaultDynamicSecret = [
  Check<Equal<Old_vault.VaultDynamicSecret, New_vault.VaultDynamicSecret>>,
  Check<Mutual<Old_vault.VaultDynamicSecret, New_vault.VaultDynamicSecret>>,
];
