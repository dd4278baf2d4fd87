// provider.aws as users write it for ESO (AWS Secrets Manager and Parameter Store).

import type { SecretKeySelector, ServiceAccountSelector } from '../types.js';

export type AwsService = 'SecretsManager' | 'ParameterStore';

export interface AwsSessionTag {
  key?: string;
  value?: string;
}

export interface AwsAuth {
  /** Static keys (optionally with a session token) from a Secret. */
  secretRef?: {
    accessKeyIDSecretRef?: SecretKeySelector;
    secretAccessKeySecretRef?: SecretKeySelector;
    sessionTokenSecretRef?: SecretKeySelector;
  };
  /** IRSA: a TokenRequest token of this ServiceAccount, exchanged for its annotated role. */
  jwt?: { serviceAccountRef?: ServiceAccountSelector };
}

export interface AwsProvider {
  service?: AwsService;
  region?: string;
  /** Assumed last, with externalID and session tags. */
  role?: string;
  /** Assumed in order before `role` (each with the previous one's credentials). */
  additionalRoles?: string[];
  externalID?: string;
  sessionTags?: AwsSessionTag[];
  sessionTagsPolicy?: 'None';
  transitiveTagKeys?: string[];
  /** Prepended to every remote key. */
  prefix?: string;
  /** Only used when pushing secrets (not supported yet). */
  secretsManager?: { forceDeleteWithoutRecovery?: boolean; recoveryWindowInDays?: number };
  auth?: AwsAuth;
}
