// Objects the CRDs must accept, and objects they must reject with a given message. Used by
// crds.test.ts (they type-check as the API types, the schema accepts the valid ones and rejects
// or lets through the invalid ones as they say, the messages exist in the schema) and against
// a real apiserver (the rules compile, fit the cost budget and say what they should).

import type { CreationPolicy, ExternalSecret, ExternalSecretData, ExternalSecretSpec } from '../../types.js';
import type { ProviderSpec, SecretStore, SecretStoreSpec } from '../../types.js';
import type { ClusterPushSecret, PushSecret, PushSecretSpec } from '../../types.js';
import type {
  VaultAuth,
  VaultDynamicSecret,
  VaultDynamicSecretSpec,
  VaultProvider,
} from '../../providers/vault.js';

export type SampleObject = ExternalSecret | SecretStore | VaultDynamicSecret | PushSecret | ClusterPushSecret;

export interface Sample {
  name: string;
  object: SampleObject;
  /** A substring of the apiserver's error; absent when the object must be accepted. */
  rejectedWith?: string;
  /** The rejection comes from a schema keyword (enum, format), not from a CEL rule. */
  bySchema?: boolean;
}

const NS = 'crd-samples';

function es(name: string, spec: ExternalSecretSpec, apiVersion = 'external-secrets.io/v1'): ExternalSecret {
  return { apiVersion, kind: 'ExternalSecret', metadata: { name, namespace: NS }, spec };
}

function ss(name: string, spec: SecretStoreSpec): SecretStore {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'SecretStore',
    metadata: { name, namespace: NS },
    spec,
  };
}

function css(name: string, spec: SecretStoreSpec): SecretStore {
  return { apiVersion: 'external-secrets.io/v1', kind: 'ClusterSecretStore', metadata: { name }, spec };
}

function vds(name: string, spec: VaultDynamicSecretSpec): VaultDynamicSecret {
  return {
    apiVersion: 'generators.external-secrets.io/v1alpha1',
    kind: 'VaultDynamicSecret',
    metadata: { name, namespace: NS },
    spec,
  };
}

function ps(name: string, spec: PushSecretSpec): PushSecret {
  return {
    apiVersion: 'external-secrets.io/v1alpha1',
    kind: 'PushSecret',
    metadata: { name, namespace: NS },
    spec,
  };
}

const pushBase: PushSecretSpec = {
  secretStoreRefs: [{ name: 'vault' }],
  selector: { secret: { name: 'source' } },
};

const sel = (name: string, key: string) => ({ name, key });
const data: ExternalSecretData[] = [
  { secretKey: 'password', remoteRef: { key: '/db', property: 'password' } },
];
const fakeProvider: ProviderSpec = { fake: { data: [{ key: '/db', value: '{"password":"x"}' }] } };

export const SAMPLE_NAMESPACE = NS;

export const VALID: Sample[] = [
  {
    name: 'ps-full',
    object: ps('ps-full', {
      refreshInterval: '10m',
      updatePolicy: 'IfNotExists',
      deletionPolicy: 'Delete',
      secretStoreRefs: [
        { name: 'vault', kind: 'SecretStore' },
        { labelSelector: { matchLabels: { push: 'yes' } }, kind: 'ClusterSecretStore' },
      ],
      selector: { secret: { name: 'source' } },
      data: [
        {
          match: { secretKey: 'password', remoteRef: { remoteKey: 'app/db', property: 'password' } },
          conversionStrategy: 'ReverseUnicode',
          metadata: {
            apiVersion: 'kubernetes.external-secrets.io/v1alpha1',
            kind: 'PushSecretMetadata',
            spec: { tags: { a: 'b' } },
          },
        },
      ],
      dataTo: [
        {
          storeRef: { name: 'vault' },
          match: { regexp: '^db-' },
          rewrite: [{ regexp: { source: '^db-', target: 'app/' } }],
        },
        { storeRef: { name: 'vault' }, remoteKey: 'bundle' },
      ],
      template: { data: { url: 'postgres://{{ .user }}@db' } },
    }),
  },
  {
    name: 'ps-generator',
    object: ps('ps-generator', {
      secretStoreRefs: [{ name: 'vault' }],
      selector: {
        generatorRef: {
          apiVersion: 'generators.external-secrets.io/v1alpha1',
          kind: 'VaultDynamicSecret',
          name: 'db',
        },
      },
      data: [{ match: { secretKey: 'password', remoteRef: { remoteKey: 'app/db' } } }],
    }),
  },
  {
    name: 'cps-minimal',
    object: {
      apiVersion: 'external-secrets.io/v1alpha1',
      kind: 'ClusterPushSecret',
      metadata: { name: 'cps-minimal' },
      spec: {
        pushSecretSpec: pushBase,
        namespaceSelectors: [{ matchLabels: { team: 'a' } }],
        pushSecretName: 'pushed',
        pushSecretMetadata: { labels: { a: 'b' } },
        refreshTime: '1m',
      },
    },
  },
  { name: 'es-minimal', object: es('es-minimal', { secretStoreRef: { name: 'fake' }, data }) },
  {
    // ESO 2.9's additions: windows, CreateOrMerge, merge rewrites, find's nullBytePolicy,
    // a generic target with a nested templateFrom path and valuesDecodingStrategy.
    name: 'es-eso-2-9',
    object: es('es-eso-2-9', {
      secretStoreRef: { name: 'fake' },
      syncWindows: {
        kind: 'deny',
        windows: [
          { schedule: '0 22 * * 1-5', duration: '8h' },
          { schedule: '@every 1h', duration: '5m' },
        ],
      },
      target: {
        creationPolicy: 'CreateOrMerge',
        deletionPolicy: 'Merge',
        manifest: { apiVersion: 'v1', kind: 'ConfigMap' },
        template: {
          templateFrom: [
            {
              literal: 'a: {{ .password }}',
              target: 'spec.database.config',
              valuesDecodingStrategy: 'Base64',
            },
          ],
        },
      },
      dataFrom: [
        {
          find: { name: { regexp: '.*' }, nullBytePolicy: 'Fail' },
          rewrite: [
            {
              merge: {
                into: 'all',
                priority: ['b'],
                priorityPolicy: 'IgnoreNotFound',
                conflictPolicy: 'Ignore',
                strategy: 'JSON',
              },
            },
          ],
        },
      ],
    }),
  },
  {
    name: 'es-v1beta1',
    object: es('es-v1beta1', { secretStoreRef: { name: 'fake' }, data }, 'external-secrets.io/v1beta1'),
  },
  {
    // The operator, not the schema, reports an invalid duration.
    name: 'es-bad-duration',
    object: es('es-bad-duration', { refreshInterval: 'soon', secretStoreRef: { name: 'fake' }, data }),
  },
  {
    name: 'es-full',
    object: es('es-full', {
      refreshInterval: '1h30m',
      refreshPolicy: 'Periodic',
      secretStoreRef: { name: 'fake', kind: 'SecretStore' },
      target: {
        name: 'es-full-secret',
        creationPolicy: 'Orphan',
        deletionPolicy: 'Delete',
        immutable: false,
        template: {
          type: 'kubernetes.io/dockerconfigjson',
          engineVersion: 'v2',
          mergePolicy: 'Merge',
          metadata: { labels: { a: 'b' }, annotations: { c: 'd' }, finalizers: ['example.com/f'] },
          data: { '.dockerconfigjson': '{{ .config }}' },
          templateFrom: [
            { configMap: { name: 'tpl', items: [{ key: 'config', templateAs: 'Values' }] } },
            {
              secret: { name: 'tpl', items: [{ key: 'labels', templateAs: 'KeysAndValues' }] },
              target: 'labels',
            },
            { literal: 'x: {{ .password }}', target: 'Annotations' },
          ],
        },
      },
      data: [
        {
          secretKey: 'password',
          remoteRef: {
            key: '/db',
            property: 'password',
            version: '1',
            metadataPolicy: 'None',
            conversionStrategy: 'Default',
            decodingStrategy: 'Auto',
            nullBytePolicy: 'Fail',
          },
          sourceRef: { storeRef: { name: 'other', kind: 'ClusterSecretStore' } },
        },
      ],
      dataFrom: [
        { extract: { key: '/db' }, rewrite: [{ regexp: { source: '(.*)', target: 'DB_$1' } }] },
        {
          find: { path: '/app', name: { regexp: '.*' }, tags: { team: 'a' } },
          rewrite: [{ transform: { template: '{{ .value | upper }}' } }],
        },
        { extract: { key: '/db' }, sourceRef: { storeRef: { name: 'other' } } },
        {
          sourceRef: {
            generatorRef: {
              apiVersion: 'generators.external-secrets.io/v1alpha1',
              kind: 'VaultDynamicSecret',
              name: 'db',
            },
          },
        },
      ],
    }),
  },
  { name: 'ss-fake', object: ss('fake', { provider: fakeProvider }) },
  {
    name: 'ss-fake-int-refresh',
    object: ss('fake-int', { refreshInterval: 300, provider: { fake: { data: [], validationResult: 2 } } }),
  },
  {
    name: 'ss-fake-str-refresh',
    object: ss('fake-str', {
      refreshInterval: '5m',
      provider: { fake: { data: [{ key: 'k', valueMap: { a: 'b' } }], validationResult: 'Error' } },
    }),
  },
  {
    name: 'ss-vault',
    object: ss('vault', {
      controller: 'dev',
      retrySettings: { maxRetries: 3, retryInterval: '10s' },
      provider: {
        vault: {
          server: 'https://vault:8200',
          path: 'secret',
          version: 'v2',
          namespace: 'team',
          caBundle: 'Y2E=',
          caProvider: { type: 'ConfigMap', name: 'ca', key: 'ca.crt' },
          tls: { certSecretRef: sel('tls', 'tls.crt'), keySecretRef: sel('tls', 'tls.key') },
          readYourWrites: true,
          forwardInconsistent: true,
          headers: { 'X-Team': 'a' },
          // ESO accepts both (roleId wins).
          auth: {
            namespace: 'admin',
            appRole: {
              path: 'approle',
              roleId: 'r',
              roleRef: sel('ar', 'id'),
              secretRef: sel('ar', 'secret'),
            },
          },
        },
      },
    }),
  },
  {
    name: 'ss-vault-k8s',
    object: ss('vault-k8s', {
      provider: {
        vault: {
          server: 'https://vault:8200',
          auth: { kubernetes: { role: 'app', serviceAccountRef: { name: 'app', audiences: ['vault'] } } },
        },
      },
    }),
  },
  {
    name: 'ss-vault-jwt',
    object: ss('vault-jwt', {
      provider: {
        vault: {
          server: 'https://vault:8200',
          auth: {
            jwt: {
              role: 'app',
              kubernetesServiceAccountToken: {
                serviceAccountRef: { name: 'app' },
                audiences: ['vault'],
                expirationSeconds: 600,
              },
            },
          },
        },
      },
    }),
  },
  {
    name: 'ss-vault-iam',
    object: ss('vault-iam', {
      provider: {
        vault: {
          server: 'https://vault:8200',
          auth: { iam: { vaultRole: 'r', region: 'eu-west-1', jwt: { serviceAccountRef: { name: 'app' } } } },
        },
      },
    }),
  },
  {
    name: 'ss-aws',
    object: ss('aws', {
      provider: {
        aws: {
          service: 'SecretsManager',
          region: 'eu-west-1',
          role: 'arn:aws:iam::1:role/a',
          additionalRoles: ['arn:aws:iam::1:role/b'],
          externalID: 'x',
          sessionTags: [{ key: 'k', value: 'v' }],
          sessionTagsPolicy: 'None',
          transitiveTagKeys: ['k'],
          prefix: 'app/',
          auth: { jwt: { serviceAccountRef: { name: 'app' } } },
        },
      },
    }),
  },
  {
    name: 'ss-aws-acm-custom-tags',
    object: ss('aws-acm', {
      provider: {
        aws: {
          service: 'CertificateManager',
          region: 'eu-west-1',
          role: 'arn:aws:iam::1:role/a',
          sessionTagsPolicy: 'Custom',
          customSessionTags: { team: 'payments' },
        },
      },
    }),
  },
  {
    name: 'ss-openbao',
    object: ss('openbao', {
      provider: {
        openBao: {
          server: 'https://bao.example.com:8200',
          path: 'secret',
          version: 'v2',
          namespace: 'team-a',
          caProvider: { type: 'ConfigMap', name: 'ca', key: 'ca.crt' },
          auth: {
            namespace: 'root',
            appRole: { path: 'approle', roleRef: sel('bao', 'role'), secretRef: sel('bao', 'secret') },
          },
        },
      },
    }),
  },
  {
    name: 'ss-webhook',
    object: ss('webhook', {
      provider: {
        webhook: {
          url: 'https://api.example.com/secrets/{{ .remoteRef.key }}',
          method: 'POST',
          headers: { Authorization: 'Bearer {{ .auth.token }}' },
          body: '{"key":"{{ .remoteRef.key }}"}',
          timeout: '10s',
          result: { jsonPath: '$.data.{{ .remoteRef.property }}' },
          secrets: [{ name: 'auth', secretRef: sel('webhook-auth', 'token') }],
          caProvider: { type: 'Secret', name: 'ca', key: 'ca.crt' },
        },
      },
    }),
  },
  {
    name: 'ss-azurekv',
    object: ss('azurekv', {
      provider: {
        azurekv: {
          vaultUrl: 'https://v.vault.azure.net',
          tenantId: 't',
          authType: 'ServicePrincipal',
          environmentType: 'PublicCloud',
          authSecretRef: { clientId: sel('az', 'id'), clientSecret: sel('az', 'secret') },
          useAzureSDK: false,
        },
      },
    }),
  },
  {
    name: 'ss-gcpsm',
    object: ss('gcpsm', {
      provider: {
        gcpsm: {
          projectID: 'p',
          location: 'europe-west1',
          secretVersionSelectionPolicy: 'LatestOrFetch',
          auth: {
            workloadIdentity: {
              serviceAccountRef: { name: 'app' },
              clusterLocation: 'l',
              clusterName: 'c',
              clusterProjectID: 'p',
            },
          },
        },
      },
    }),
  },
  {
    name: 'ss-kubernetes',
    object: ss('kubernetes', {
      provider: {
        kubernetes: {
          remoteNamespace: 'source',
          server: {
            url: 'https://kubernetes.default',
            caProvider: { type: 'ConfigMap', name: 'kube-root-ca.crt', key: 'ca.crt' },
          },
          auth: { serviceAccount: { name: 'reader' } },
        },
      },
    }),
  },
  {
    name: 'css-conditions',
    object: css('crd-samples-fake', {
      provider: fakeProvider,
      conditions: [
        {
          namespaceSelector: {
            matchLabels: { team: 'a' },
            matchExpressions: [{ key: 'env', operator: 'In', values: ['dev'] }],
          },
        },
        { namespaces: ['crd-samples'] },
        { namespaceRegexes: ['^team-.*$'] },
      ],
    }),
  },
  {
    name: 'vds-database',
    object: vds('db', {
      provider: { server: 'https://vault:8200', auth: { tokenSecretRef: sel('vault', 'token') } },
      path: 'database/creds/app',
      method: 'GET',
      resultType: 'Data',
      retrySettings: { maxRetries: 2, retryInterval: '5s' },
    }),
  },
  {
    name: 'vds-pki',
    object: vds('pki', {
      provider: { server: 'https://vault:8200', auth: { tokenSecretRef: sel('vault', 'token') } },
      path: 'pki/issue/web',
      method: 'POST',
      parameters: { common_name: 'web.example.com', ttl: '1h', alt_names: ['a', 'b'] },
    }),
  },
  {
    name: 'es-generator-only',
    object: es('generated', {
      refreshInterval: '1h',
      dataFrom: [
        {
          sourceRef: {
            generatorRef: {
              apiVersion: 'generators.external-secrets.io/v1alpha1',
              kind: 'VaultDynamicSecret',
              name: 'db',
            },
          },
        },
      ],
    }),
  },
];

const withStore: ExternalSecretSpec = { secretStoreRef: { name: 'fake' } };
const vaultStore = (auth: VaultAuth, extra: VaultProvider = {}) =>
  ss('bad', { provider: { vault: { server: 'https://vault:8200', auth, ...extra } } });

export const INVALID: Sample[] = [
  {
    name: 'ps-empty-remote-key',
    object: ps('bad', { ...pushBase, data: [{ match: { remoteRef: { remoteKey: '' } } }] }),
    rejectedWith: 'remoteKey must not be empty',
  },
  {
    name: 'ps-selector-both',
    object: ps('bad', {
      ...pushBase,
      selector: { secret: { name: 'source' }, generatorRef: { kind: 'Password', name: 'p' } },
    }),
    rejectedWith: 'selector must set exactly one of secret or generatorRef',
  },
  {
    name: 'ps-dataTo-no-store',
    object: ps('bad', { ...pushBase, dataTo: [{ storeRef: { kind: 'SecretStore' } }] }),
    rejectedWith: 'storeRef must specify either name or labelSelector',
  },
  {
    name: 'ps-dataTo-bundle-and-rewrite',
    object: ps('bad', {
      ...pushBase,
      dataTo: [
        { storeRef: { name: 'vault' }, remoteKey: 'x', rewrite: [{ regexp: { source: 'a', target: 'b' } }] },
      ],
    }),
    rejectedWith: 'remoteKey and rewrite are mutually exclusive',
  },
  {
    name: 'ps-dataTo-rewrite-both',
    object: ps('bad', {
      ...pushBase,
      dataTo: [
        {
          storeRef: { name: 'vault' },
          rewrite: [{ regexp: { source: 'a', target: 'b' }, transform: { template: '{{ .value }}' } }],
        },
      ],
    }),
    rejectedWith: 'each rewrite must set exactly one of regexp or transform',
  },
  {
    name: 'ps-templateFrom-target',
    object: ps('bad', {
      ...pushBase,
      template: { templateFrom: [{ literal: 'a', target: 'metadata.ownerReferences' }] },
    }),
    rejectedWith: 'templateFrom target must be Data, Annotations or Labels',
  },
  {
    name: 'ps-bad-update-policy',
    object: ps('bad', { ...pushBase, updatePolicy: 'Sometimes' as 'Replace' }),
    rejectedWith: 'spec.updatePolicy',
    bySchema: true,
  },
  {
    name: 'es-no-data',
    object: es('bad', withStore),
    rejectedWith: 'at least one of spec.data or spec.dataFrom must be set',
  },
  {
    name: 'es-empty-key',
    object: es('bad', { ...withStore, data: [{ secretKey: 'a', remoteRef: { key: '' } }] }),
    rejectedWith: 'key must not be empty',
  },
  {
    name: 'es-empty-extract-key',
    object: es('bad', { ...withStore, dataFrom: [{ extract: { key: '' } }] }),
    rejectedWith: 'key must not be empty',
  },
  {
    name: 'es-dataFrom-empty',
    object: es('bad', { ...withStore, dataFrom: [{ rewrite: [{ regexp: { source: 'a', target: 'b' } }] }] }),
    rejectedWith: 'each dataFrom entry must set extract, find or sourceRef',
  },
  {
    name: 'es-dataFrom-extract-and-find',
    object: es('bad', { ...withStore, dataFrom: [{ extract: { key: 'a' }, find: { path: 'b' } }] }),
    rejectedWith: 'a dataFrom entry must not set both extract and find',
  },
  {
    name: 'es-dataFrom-generator-and-extract',
    object: es('bad', {
      ...withStore,
      dataFrom: [{ extract: { key: 'a' }, sourceRef: { generatorRef: { kind: 'Password', name: 'p' } } }],
    }),
    rejectedWith: 'a dataFrom entry with sourceRef.generatorRef must not set extract or find',
  },
  {
    name: 'es-sourceRef-both',
    object: es('bad', {
      ...withStore,
      dataFrom: [{ sourceRef: { storeRef: { name: 'a' }, generatorRef: { kind: 'Password', name: 'p' } } }],
    }),
    rejectedWith: 'sourceRef must set exactly one of storeRef or generatorRef',
  },
  {
    name: 'es-rewrite-both',
    object: es('bad', {
      ...withStore,
      dataFrom: [
        {
          extract: { key: 'a' },
          rewrite: [{ regexp: { source: 'a', target: 'b' }, transform: { template: 'x' } }],
        },
      ],
    }),
    rejectedWith: 'each rewrite must set exactly one of merge, regexp or transform',
  },
  {
    name: 'es-merge-delete',
    object: es('bad', { ...withStore, data, target: { creationPolicy: 'Merge', deletionPolicy: 'Delete' } }),
    rejectedWith: 'deletionPolicy Delete needs a Secret this ExternalSecret creates',
  },
  {
    name: 'es-none-merge',
    object: es('bad', { ...withStore, data, target: { creationPolicy: 'None', deletionPolicy: 'Merge' } }),
    rejectedWith: 'deletionPolicy Merge cannot be used with creationPolicy None',
  },
  {
    name: 'es-huge-remote-key',
    object: es('bad', { ...withStore, data: [{ secretKey: 'a', remoteRef: { key: 'k'.repeat(4097) } }] }),
    rejectedWith: 'spec.data[0].remoteRef.key: Too long: may not be more than 4096 bytes',
    bySchema: true,
  },
  {
    name: 'es-unsupported-creationPolicy',
    // Not a CreationPolicy: the cast lets the sample hold what the type refuses.
    object: es('bad', {
      ...withStore,
      data,
      target: { creationPolicy: 'Adopt' as string as CreationPolicy },
    }),
    rejectedWith: 'Unsupported value: "Adopt"',
    bySchema: true,
  },
  {
    name: 'es-bootstrap-token',
    object: es('bad', {
      ...withStore,
      data,
      target: { template: { type: 'bootstrap.kubernetes.io/token' } },
    }),
    rejectedWith: 'template.type bootstrap.kubernetes.io/token is not allowed',
  },
  {
    name: 'es-sa-token-annotation',
    object: es('bad', {
      ...withStore,
      data,
      target: {
        template: {
          type: 'kubernetes.io/service-account-token',
          metadata: { annotations: { 'kubernetes.io/service-account.name': 'admin' } },
        },
      },
    }),
    rejectedWith: 'with the annotation kubernetes.io/service-account.name is not allowed',
  },
  {
    name: 'es-sa-token-templateFrom-annotations',
    object: es('bad', {
      ...withStore,
      data,
      target: {
        template: {
          type: 'kubernetes.io/service-account-token',
          templateFrom: [{ literal: 'a: b', target: 'annotations' }],
        },
      },
    }),
    rejectedWith: 'with a templateFrom target Annotations is not allowed',
  },
  {
    name: 'es-templateFrom-target',
    object: es('bad', {
      ...withStore,
      data,
      target: { template: { templateFrom: [{ literal: 'a', target: 'metadata.ownerReferences' }] } },
    }),
    rejectedWith: 'templateFrom target must be Data, Annotations or Labels when the target is a Secret',
  },
  {
    name: 'es-manifest-secret-path',
    object: es('bad', {
      ...withStore,
      data,
      target: {
        manifest: { apiVersion: 'v1', kind: 'Secret' },
        template: { templateFrom: [{ literal: 'a', target: 'type' }] },
      },
    }),
    rejectedWith: 'templateFrom target must be Data, Annotations or Labels when the target is a Secret',
  },
  {
    name: 'es-create-or-merge-delete',
    object: es('bad', {
      ...withStore,
      data,
      target: { creationPolicy: 'CreateOrMerge', deletionPolicy: 'Delete' },
    }),
    rejectedWith: 'deletionPolicy Delete needs a Secret this ExternalSecret creates',
  },
  {
    name: 'es-sync-window-schedule',
    object: es('bad', {
      ...withStore,
      data,
      syncWindows: { kind: 'allow', windows: [{ schedule: '0 22 * *', duration: '1h' }] },
    }),
    rejectedWith: 'spec.syncWindows.windows[0].schedule: Invalid value',
    bySchema: true,
  },
  {
    name: 'ss-two-providers',
    object: ss('bad', {
      provider: { ...fakeProvider, kubernetes: { auth: { serviceAccount: { name: 'a' } } } },
    }),
    rejectedWith:
      'provider must set exactly one of aws, azurekv, fake, gcpsm, kubernetes, openBao, vault, webhook',
  },
  {
    name: 'ss-aws-reserved-session-tag',
    object: ss('bad', {
      provider: {
        aws: {
          service: 'SecretsManager',
          region: 'eu-west-1',
          role: 'arn:aws:iam::123456789012:role/r',
          sessionTagsPolicy: 'Custom',
          customSessionTags: { esoNamespace: 'other' },
        },
      },
    }),
    rejectedWith: 'customSessionTags must not set esoNamespace, esoStoreName or esoStoreKind',
  },
  {
    name: 'ss-openbao-two-logins',
    object: ss('bad', {
      provider: {
        openBao: {
          server: 'https://bao.example.com',
          auth: {
            tokenSecretRef: { name: 'bao', key: 'token' },
            userPass: { username: 'u', secretRef: { name: 'bao', key: 'password' } },
          },
        },
      },
    }),
    rejectedWith: 'auth must set exactly one of tokenSecretRef, appRole, userPass',
  },
  {
    name: 'ss-no-provider',
    object: ss('bad', { provider: {} }),
    rejectedWith: 'provider must set exactly one of',
  },
  {
    name: 'ss-conditions',
    object: ss('bad', { provider: fakeProvider, conditions: [{ namespaces: ['a'] }] }),
    rejectedWith: 'conditions are only supported on a ClusterSecretStore',
  },
  {
    name: 'ss-vault-two-auth',
    object: vaultStore({ tokenSecretRef: sel('t', 'token'), kubernetes: { role: 'r' } }),
    rejectedWith: 'auth must set exactly one of tokenSecretRef, appRole',
  },
  {
    name: 'ss-vault-auth-namespace-only',
    object: vaultStore({ namespace: 'admin' }),
    rejectedWith: 'auth must set exactly one of tokenSecretRef, appRole',
  },
  {
    name: 'ss-vault-approle-no-role',
    object: vaultStore({ appRole: { secretRef: sel('ar', 'secret') } }),
    rejectedWith: 'appRole needs roleId or roleRef',
  },
  {
    name: 'ss-vault-jwt-no-token',
    object: vaultStore({ jwt: { role: 'r' } }),
    rejectedWith: 'jwt needs secretRef or kubernetesServiceAccountToken',
  },
  {
    name: 'ss-vault-tls-half',
    object: vaultStore(
      { tokenSecretRef: sel('t', 'token') },
      { tls: { certSecretRef: sel('tls', 'tls.crt') } },
    ),
    rejectedWith: 'tls needs both certSecretRef and keySecretRef',
  },
  {
    name: 'ss-kubernetes-two-auth',
    object: ss('bad', {
      provider: {
        kubernetes: { auth: { serviceAccount: { name: 'a' }, token: { bearerToken: sel('t', 'token') } } },
      },
    }),
    rejectedWith: 'auth must set exactly one of cert, token or serviceAccount',
  },
  {
    name: 'ss-azure-stack-no-config',
    object: ss('bad', {
      provider: { azurekv: { vaultUrl: 'https://v', environmentType: 'AzureStackCloud' } },
    }),
    rejectedWith: 'environmentType AzureStackCloud needs customCloudConfig',
  },
  {
    name: 'ss-fake-no-value',
    object: ss('bad', { provider: { fake: { data: [{ key: 'a' }] } } }),
    rejectedWith: 'each fake data entry needs value or valueMap',
  },
  {
    name: 'ss-bad-cabundle',
    object: ss('bad', {
      provider: {
        kubernetes: { server: { caBundle: 'not base64!' }, auth: { serviceAccount: { name: 'a' } } },
      },
    }),
    rejectedWith: 'spec.provider.kubernetes.server.caBundle',
    bySchema: true,
  },
];
