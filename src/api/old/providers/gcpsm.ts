// provider.gcpsm: Google Cloud Secret Manager, with ESO's field names.

import type { SecretKeySelector, ServiceAccountSelector } from '../types.js';

export type SecretVersionSelectionPolicy = 'LatestOrFail' | 'LatestOrFetch';

export interface GcpsmSecretRefAuth {
  /** A Secret key holding a service account JSON key. */
  secretAccessKeySecretRef?: SecretKeySelector;
}

export interface GcpsmWorkloadIdentity {
  serviceAccountRef?: ServiceAccountSelector;
  clusterLocation?: string;
  clusterName?: string;
  clusterProjectID?: string;
}

export interface GcpsmWorkloadIdentityFederation {
  credConfig?: { name?: string; namespace?: string; key?: string };
  serviceAccountRef?: ServiceAccountSelector;
  awsSecurityCredentials?: {
    region?: string;
    awsCredentialsSecretRef?: { name?: string; namespace?: string };
  };
  audience?: string;
  externalTokenEndpoint?: string;
  gcpServiceAccountEmail?: string;
}

export interface GcpsmProvider {
  projectID?: string;
  /** Region of regional secrets (regional endpoint); empty for global secrets. */
  location?: string;
  secretVersionSelectionPolicy?: SecretVersionSelectionPolicy;
  /** Without it, application default credentials are used. */
  auth?: {
    secretRef?: GcpsmSecretRefAuth;
    workloadIdentity?: GcpsmWorkloadIdentity;
    workloadIdentityFederation?: GcpsmWorkloadIdentityFederation;
  };
}
