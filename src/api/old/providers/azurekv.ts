// spec.provider.azurekv as ESO users write it (ESO's AzureKVProvider field names).

import type { SecretKeySelector, ServiceAccountSelector } from '../types.js';

export type AzureAuthType = 'ServicePrincipal' | 'ManagedIdentity' | 'WorkloadIdentity';

export type AzureEnvironmentType =
  'PublicCloud' | 'USGovernmentCloud' | 'ChinaCloud' | 'GermanCloud' | 'AzureStackCloud';

export interface AzureCustomCloudConfig {
  activeDirectoryEndpoint?: string;
  keyVaultDNSSuffix?: string;
  keyVaultEndpoint?: string;
  resourceManagerEndpoint?: string;
}

export interface AzureKVProvider {
  vaultUrl?: string;
  tenantId?: string;
  authType?: AzureAuthType;
  environmentType?: AzureEnvironmentType;
  authSecretRef?: {
    clientId?: SecretKeySelector;
    tenantId?: SecretKeySelector;
    clientSecret?: SecretKeySelector;
    clientCertificate?: SecretKeySelector;
  };
  serviceAccountRef?: ServiceAccountSelector;
  identityId?: string;
  customCloudConfig?: AzureCustomCloudConfig;
  useAzureSDK?: boolean;
}
