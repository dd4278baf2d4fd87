// The Vault provider's API (HashiCorp Vault and OpenBao, ESO's field names): a store's
// provider.vault, and the VaultDynamicSecret generator (generators.external-secrets.io),
// whose provider block is the same schema, so auth methods and their rules are written once.
// The provider itself is in src/providers/vault/.

import {
  MAX_REF_LENGTH,
  MAX_URL_LENGTH,
  caBundle,
  caProvider,
  secretKeySelector,
  serviceAccountSelector,
} from '../common.js';
import { arr, atLeastOne, bool, enumStr, exactlyOne, int, map, obj, opaque, rule, str } from '../schema.js';
import type { Static } from '../schema.js';
import { gcpSecretRefAuth, gcpWorkloadIdentity } from './gcpsm.js';

/** The login methods of provider.vault.auth; its CEL rule requires exactly one of them. */
export const VAULT_AUTH_METHODS = [
  'tokenSecretRef',
  'appRole',
  'kubernetes',
  'jwt',
  'userPass',
  'ldap',
  'cert',
  'iam',
  'gcp',
] as const;

/** userPass and ldap share their shape: a username and a Secret key holding the password. */
export function passwordAuth(method: string, mount: string) {
  return obj(
    {
      path: str({ desc: `Mount path of the ${method} auth method. Defaults to ${mount}.` }),
      username: str(),
      secretRef: secretKeySelector('A Secret key holding the password.'),
    },
    { required: ['username'] },
  );
}

export function appRoleAuth() {
  return obj(
    {
      path: str({ desc: 'Mount path of the AppRole auth method. Defaults to approle.' }),
      roleId: str({ desc: 'The role ID; takes precedence over roleRef.' }),
      roleRef: secretKeySelector('A Secret key holding the role ID.'),
      secretRef: secretKeySelector('A Secret key holding the secret ID.'),
    },
    {
      required: ['secretRef'],
      rules: [atLeastOne(['roleId', 'roleRef'], 'appRole needs roleId or roleRef')],
    },
  );
}

/** AWS IAM login: a signed sts:GetCallerIdentity request that Vault forwards to STS. */
function iamAuth() {
  return obj(
    {
      path: str({ desc: 'Mount path of the AWS auth method. Defaults to aws.' }),
      region: str({ desc: 'Region of the STS endpoint the request is signed for. Defaults to us-east-1.' }),
      role: str({ desc: 'ARN of an AWS role to assume first.' }),
      vaultRole: str({ desc: 'The Vault role to log in as.' }),
      externalID: str({ desc: 'External ID for assuming role.' }),
      vaultAwsIamServerID: str({ desc: 'Sent (and signed) as X-Vault-AWS-IAM-Server-ID.' }),
      secretRef: obj({
        accessKeyIDSecretRef: secretKeySelector(),
        secretAccessKeySecretRef: secretKeySelector(),
        sessionTokenSecretRef: secretKeySelector(),
      }),
      jwt: obj(
        {
          serviceAccountRef: serviceAccountSelector(
            'Its eks.amazonaws.com/role-arn annotation names the role (IRSA).',
          ),
        },
        { desc: 'Web identity from a ServiceAccount token.' },
      ),
    },
    {
      desc: "Without secretRef or jwt, the operator's own AWS credentials (default chain).",
      required: ['vaultRole'],
    },
  );
}

function auth() {
  return obj(
    {
      namespace: str({ desc: 'Vault namespace to log in to, when it differs from the provider namespace.' }),
      tokenSecretRef: secretKeySelector('A Secret key holding a Vault token.'),
      appRole: appRoleAuth(),
      kubernetes: obj(
        {
          mountPath: str({ desc: 'Mount path of the Kubernetes auth method. Defaults to kubernetes.' }),
          role: str(),
          serviceAccountRef: serviceAccountSelector(
            'A ServiceAccount whose token (TokenRequest API) is used.',
          ),
          secretRef: secretKeySelector('A Secret key holding a ServiceAccount token.'),
        },
        { required: ['role'] },
      ),
      jwt: obj(
        {
          path: str({ desc: 'Mount path of the JWT/OIDC auth method. Defaults to jwt.' }),
          role: str(),
          secretRef: secretKeySelector('A Secret key holding the JWT.'),
          kubernetesServiceAccountToken: obj(
            {
              serviceAccountRef: serviceAccountSelector(),
              audiences: arr(str()),
              expirationSeconds: int({ format: 'int64' }),
            },
            {
              desc: 'Uses a ServiceAccount token from the TokenRequest API as the JWT.',
              required: ['serviceAccountRef'],
            },
          ),
        },
        {
          rules: [
            atLeastOne(
              ['secretRef', 'kubernetesServiceAccountToken'],
              'jwt needs secretRef or kubernetesServiceAccountToken',
            ),
          ],
        },
      ),
      userPass: passwordAuth('userpass', 'userpass'),
      ldap: passwordAuth('LDAP', 'ldap'),
      cert: obj({
        path: str({ desc: 'Mount path of the TLS certificate auth method. Defaults to cert.' }),
        vaultRole: str(),
        clientCert: secretKeySelector('A Secret key holding the PEM client certificate.'),
        secretRef: secretKeySelector('A Secret key holding the PEM private key.'),
      }),
      iam: iamAuth(),
      gcp: obj(
        {
          path: str({ desc: 'Mount path of the GCP auth method. Defaults to gcp.' }),
          role: str({ desc: 'The Vault role.' }),
          projectID: str(),
          location: str(),
          secretRef: gcpSecretRefAuth(),
          workloadIdentity: gcpWorkloadIdentity(),
          serviceAccountRef: serviceAccountSelector(
            'GCE login as this ServiceAccount (needs a GCE metadata server).',
          ),
        },
        {
          desc: 'GCP login (iam type with a key or Workload Identity; gce type otherwise).',
          required: ['role'],
        },
      ),
    },
    {
      desc: 'How to log in to Vault; exactly one method.',
      rules: [
        exactlyOne(VAULT_AUTH_METHODS, `auth must set exactly one of ${VAULT_AUTH_METHODS.join(', ')}`),
      ],
    },
  );
}

export function vault() {
  return obj(
    {
      server: str({ desc: 'Vault address, e.g. https://vault.example.com:8200.', maxLength: MAX_URL_LENGTH }),
      path: str({ desc: 'Mount path of the KV engine, e.g. secret.', maxLength: MAX_REF_LENGTH }),
      version: enumStr(['v1', 'v2'], { desc: 'KV engine version. Defaults to v2.' }),
      namespace: str({ desc: 'Vault Enterprise / OpenBao namespace.' }),
      caBundle: caBundle(),
      caProvider: caProvider(),
      tls: obj(
        {
          certSecretRef: secretKeySelector('A Secret key holding the PEM client certificate.'),
          keySecretRef: secretKeySelector('A Secret key holding the PEM client key.'),
        },
        {
          desc: 'Client certificate for mutual TLS.',
          rules: [
            rule(
              'has(self.certSecretRef) == has(self.keySecretRef)',
              'tls needs both certSecretRef and keySecretRef',
            ),
          ],
        },
      ),
      readYourWrites: bool({ desc: 'Sends X-Vault-Index to read data just written (Vault Enterprise).' }),
      forwardInconsistent: bool({ desc: 'Asks standbys to forward inconsistent reads to the active node.' }),
      headers: map(str(), { desc: 'Extra HTTP headers sent with every request.' }),
      checkAndSet: obj(
        { required: bool({ desc: 'Every PushSecret write carries the version it replaces (cas).' }) },
        { desc: 'Check-and-set for PushSecret writes; KV v2 only.' },
      ),
      auth: auth(),
    },
    { desc: 'HashiCorp Vault or OpenBao.', required: ['server'] },
  );
}

export type VaultProvider = Static<ReturnType<typeof vault>>;
export type VaultTls = NonNullable<VaultProvider['tls']>;
export type VaultAuth = NonNullable<VaultProvider['auth']>;
export type VaultAppRoleAuth = NonNullable<VaultAuth['appRole']>;
export type VaultKubernetesAuth = NonNullable<VaultAuth['kubernetes']>;
export type VaultJwtAuth = NonNullable<VaultAuth['jwt']>;
export type VaultPasswordAuth = Static<ReturnType<typeof passwordAuth>>;
export type VaultCertAuth = NonNullable<VaultAuth['cert']>;
export type VaultIamAuth = NonNullable<VaultAuth['iam']>;
export type VaultGcpAuth = NonNullable<VaultAuth['gcp']>;

// ---- generators.external-secrets.io/v1alpha1 VaultDynamicSecret ----

export function vaultDynamicSecretSpec() {
  return obj(
    {
      controller: str({ desc: 'Controller class; a Syncret instance uses only generators of its class.' }),
      // Connection and auth, as a store's provider.vault (path and version are unused).
      provider: vault(),
      path: str({
        desc: 'Vault API path to call, e.g. database/creds/app or pki/issue/web.',
        minLength: 1,
        maxLength: MAX_REF_LENGTH,
      }),
      method: str({ desc: 'HTTP method: GET (default), POST, PUT, LIST or DELETE.' }),
      parameters: opaque({ desc: 'JSON body of the request (the query of a GET).' }),
      getParameters: map(arr(str()), {
        desc: 'Query parameters of a GET, each with one or more values; ignored for other methods.',
      }),
      resultType: enumStr(['Data', 'Auth', 'Raw'], {
        desc: 'Which part of the answer becomes the values: Data (default), Auth or Raw (the whole JSON).',
      }),
      allowEmptyResponse: bool({ desc: 'Accept an answer without values instead of failing.' }),
      retrySettings: obj({ maxRetries: int({ format: 'int32', minimum: 0 }), retryInterval: str() }),
    },
    { required: ['provider', 'path'] },
  );
}

export type VaultDynamicSecretSpec = Static<ReturnType<typeof vaultDynamicSecretSpec>>;
export type VaultDynamicSecretResultType = NonNullable<VaultDynamicSecretSpec['resultType']>;

// Not KubeObject: src/api/types.ts re-exports this file, which must not import it back.
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
