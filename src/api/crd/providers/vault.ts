// provider.vault: HashiCorp Vault and OpenBao (KV v1/v2).

import { caBundle, caProvider, secretKeySelector, serviceAccountSelector } from '../common.js';
import { arr, atLeastOne, bool, enumStr, exactlyOne, int, map, obj, opaque, rule, str } from '../schema.js';
import type { Schema } from '../schema.js';

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

function auth(): Schema {
  return obj(
    {
      namespace: str({ desc: 'Vault namespace to log in to, when it differs from the provider namespace.' }),
      tokenSecretRef: secretKeySelector('A Secret key holding a Vault token.'),
      appRole: obj(
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
      ),
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
      userPass: obj(
        {
          path: str({ desc: 'Mount path of the userpass auth method. Defaults to userpass.' }),
          username: str(),
          secretRef: secretKeySelector('A Secret key holding the password.'),
        },
        { required: ['username'] },
      ),
      ldap: obj(
        {
          path: str({ desc: 'Mount path of the LDAP auth method. Defaults to ldap.' }),
          username: str(),
          secretRef: secretKeySelector('A Secret key holding the password.'),
        },
        { required: ['username'] },
      ),
      cert: obj({
        path: str({ desc: 'Mount path of the TLS certificate auth method. Defaults to cert.' }),
        vaultRole: str(),
        clientCert: secretKeySelector('A Secret key holding the PEM client certificate.'),
        secretRef: secretKeySelector('A Secret key holding the PEM private key.'),
      }),
      iam: opaque({ desc: 'AWS IAM login to Vault (ESO fields).' }),
      gcp: opaque({ desc: 'GCP login to Vault (ESO fields).' }),
    },
    {
      desc: 'How to log in to Vault; exactly one method.',
      rules: [
        exactlyOne(VAULT_AUTH_METHODS, `auth must set exactly one of ${VAULT_AUTH_METHODS.join(', ')}`),
      ],
    },
  );
}

export function vault(): Schema {
  return obj(
    {
      server: str({ desc: 'Vault address, e.g. https://vault.example.com:8200.' }),
      path: str({ desc: 'Mount path of the KV engine, e.g. secret.' }),
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
      auth: auth(),
    },
    { desc: 'HashiCorp Vault or OpenBao.', required: ['server'] },
  );
}
