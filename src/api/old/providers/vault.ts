// provider.vault (HashiCorp Vault and OpenBao): ESO's field names. The CRD schema is in
// src/api/crd/providers/vault.ts; the provider in src/providers/vault/.

import type { CAProvider, SecretKeySelector, ServiceAccountSelector } from '../types.js';

export interface VaultProvider {
  server?: string;
  /** Mount path of the KV engine (or any engine for version v1 reads), e.g. `secret`. */
  path?: string;
  version?: 'v1' | 'v2';
  /** Vault Enterprise / OpenBao namespace, sent as X-Vault-Namespace. */
  namespace?: string;
  /** Base64 PEM bundle trusted for the server certificate. */
  caBundle?: string;
  caProvider?: CAProvider;
  /** Client certificate for mutual TLS. */
  tls?: VaultTls;
  readYourWrites?: boolean;
  forwardInconsistent?: boolean;
  headers?: Record<string, string>;
  auth?: VaultAuth;
}

export interface VaultTls {
  certSecretRef?: SecretKeySelector;
  keySecretRef?: SecretKeySelector;
}

export interface VaultAppRoleAuth {
  path?: string;
  roleId?: string;
  roleRef?: SecretKeySelector;
  secretRef?: SecretKeySelector;
}

export interface VaultKubernetesAuth {
  mountPath?: string;
  role?: string;
  serviceAccountRef?: ServiceAccountSelector;
  secretRef?: SecretKeySelector;
}

export interface VaultJwtAuth {
  path?: string;
  role?: string;
  secretRef?: SecretKeySelector;
  kubernetesServiceAccountToken?: {
    serviceAccountRef?: ServiceAccountSelector;
    audiences?: string[];
    expirationSeconds?: number;
  };
}

/** userPass and ldap share their shape: a username and a Secret key holding the password. */
export interface VaultPasswordAuth {
  path?: string;
  username?: string;
  secretRef?: SecretKeySelector;
}

export interface VaultCertAuth {
  path?: string;
  /** The cert auth role (`name` in the login body); empty tries every role. */
  vaultRole?: string;
  /** PEM client certificate. */
  clientCert?: SecretKeySelector;
  /** PEM private key of clientCert. */
  secretRef?: SecretKeySelector;
}

export interface VaultAuth {
  /** Namespace to log in to, when it differs from the provider namespace. */
  namespace?: string;
  tokenSecretRef?: SecretKeySelector;
  appRole?: VaultAppRoleAuth;
  kubernetes?: VaultKubernetesAuth;
  jwt?: VaultJwtAuth;
  userPass?: VaultPasswordAuth;
  ldap?: VaultPasswordAuth;
  cert?: VaultCertAuth;
  /** Cloud logins: accepted by the schema, not supported by this version. */
  iam?: Record<string, unknown>;
  gcp?: Record<string, unknown>;
}

// ---- generators.external-secrets.io/v1alpha1 VaultDynamicSecret ----

export type VaultDynamicSecretResultType = 'Data' | 'Auth' | 'Raw';

export interface VaultDynamicSecretSpec {
  /** Controller class; a Syncret instance uses only generators of its class. */
  controller?: string;
  /** Connection and auth, as a store's provider.vault (path and version are unused). */
  provider?: VaultProvider;
  /** The API path to call, e.g. `database/creds/app` or `pki/issue/web`. */
  path?: string;
  /** HTTP method; GET by default. */
  method?: string;
  /** The JSON body (or query for GET). */
  parameters?: Record<string, unknown>;
  resultType?: VaultDynamicSecretResultType;
  allowEmptyResponse?: boolean;
  retrySettings?: { maxRetries?: number; retryInterval?: string };
}

export interface VaultDynamicSecret {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
  };
  spec?: VaultDynamicSecretSpec;
}
