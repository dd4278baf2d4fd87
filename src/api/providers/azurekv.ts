// provider.azurekv: Azure Key Vault secrets, keys and certificates, with ESO's field names
// (ESO's AzureKVProvider). The provider itself is in src/providers/azurekv/.

import { MAX_URL_LENGTH, secretKeySelector, serviceAccountSelector } from '../common.js';
import { bool, enumStr, obj, rule, str } from '../schema.js';
import type { Static } from '../schema.js';

/** Azure clouds, as ESO names them (also the ACRAccessToken generator's environmentType). */
export const AZURE_ENVIRONMENTS = [
  'PublicCloud',
  'USGovernmentCloud',
  'ChinaCloud',
  'GermanCloud',
  'AzureStackCloud',
] as const;

export function azurekv() {
  return obj(
    {
      vaultUrl: str({ desc: 'e.g. https://my-vault.vault.azure.net.', maxLength: MAX_URL_LENGTH }),
      tenantId: str(),
      authType: enumStr(['ServicePrincipal', 'ManagedIdentity', 'WorkloadIdentity'], {
        desc: 'Defaults to ServicePrincipal.',
      }),
      environmentType: enumStr(AZURE_ENVIRONMENTS, { desc: 'Defaults to PublicCloud.' }),
      authSecretRef: obj(
        {
          clientId: secretKeySelector(),
          tenantId: secretKeySelector(),
          clientSecret: secretKeySelector(),
          clientCertificate: secretKeySelector('A Secret key holding a PEM certificate and private key.'),
        },
        { desc: 'Service principal credentials.' },
      ),
      serviceAccountRef: serviceAccountSelector('The ServiceAccount for workload identity.'),
      identityId: str({ desc: 'Client ID of a user-assigned managed identity.' }),
      customCloudConfig: obj(
        {
          activeDirectoryEndpoint: str(),
          keyVaultDNSSuffix: str(),
          keyVaultEndpoint: str(),
          resourceManagerEndpoint: str(),
        },
        { desc: 'Endpoints of a custom cloud (AzureStackCloud).', required: ['activeDirectoryEndpoint'] },
      ),
      // ESO 2.9 defaults this to false and requires true with customCloudConfig; accepted, not used.
      useAzureSDK: bool({ desc: 'Accepted for ESO compatibility; has no effect.' }),
    },
    {
      desc: 'Azure Key Vault.',
      required: ['vaultUrl'],
      rules: [
        rule(
          "!has(self.environmentType) || self.environmentType != 'AzureStackCloud' || has(self.customCloudConfig)",
          'environmentType AzureStackCloud needs customCloudConfig',
        ),
      ],
    },
  );
}

export type AzureKVProvider = Static<ReturnType<typeof azurekv>>;
export type AzureAuthType = NonNullable<AzureKVProvider['authType']>;
export type AzureEnvironmentType = NonNullable<AzureKVProvider['environmentType']>;
export type AzureCustomCloudConfig = NonNullable<AzureKVProvider['customCloudConfig']>;
