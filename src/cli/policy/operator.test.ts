import { describe, expect, it } from '@jest/globals';
import YAML from 'yaml';
import type { KubeObject } from '../../api/types.js';
import { generatePolicies } from './index.js';
import type { Manifests } from './usage.js';

const obj = (kind: string, name: string, namespace: string | undefined, spec: object): KubeObject =>
  ({ apiVersion: 'external-secrets.io/v1', kind, metadata: { name, namespace }, spec }) as KubeObject;

function manifests(): Manifests {
  return {
    externalSecrets: [
      obj('ExternalSecret', 'db', 'app', { secretStoreRef: { kind: 'ClusterSecretStore', name: 'shared' } }),
      obj('ExternalSecret', 'api', 'web', { secretStoreRef: { name: 'local' } }),
    ],
    clusterExternalSecrets: [
      obj('ClusterExternalSecret', 'fanout', undefined, {
        namespaces: ['team-a'],
        externalSecretSpec: { secretStoreRef: { kind: 'ClusterSecretStore', name: 'shared' } },
      }),
    ],
    stores: [
      obj('SecretStore', 'local', 'web', { provider: { fake: { data: [] } } }),
      obj('ClusterSecretStore', 'shared', undefined, {
        provider: {
          vault: {
            server: 'https://vault.example:8200',
            auth: {
              kubernetes: {
                mountPath: 'kubernetes',
                role: 'r',
                serviceAccountRef: { name: 'reader', namespace: 'vault-auth' },
              },
            },
          },
        },
      }),
    ],
    generators: [],
    namespaces: [],
  } as unknown as Manifests;
}

describe('syncret policy: the operator scope', () => {
  it('lists the namespaces the manifests use, and where ClusterSecretStores keep credentials', () => {
    const r = generatePolicies(manifests(), { account: '*', partition: 'aws' });
    const f = r.files.find((x) => x.file === 'syncret-operator.values.yaml')!;
    expect(f.backend).toBe('operator');
    expect(YAML.parse(f.text)).toEqual({
      scope: { namespaces: ['app', 'team-a', 'web'], credentialNamespaces: ['vault-auth'] },
    });
    // Which manifest needs each namespace, as a comment right above it.
    expect(f.text).toContain('# ExternalSecret web/api; SecretStore web/local\n    - "web"');
    expect(f.text).toContain(
      '# ClusterSecretStore shared (spec.provider.vault.auth.kubernetes.serviceAccountRef)\n    - "vault-auth"',
    );
    expect(f.text).toContain('regenerate (with\n# --kubeconfig) when namespaces gain or lose their labels');
    expect(generatePolicies(manifests(), { account: '*', partition: 'aws' })).toEqual(r);
  });

  it('leaves credentialNamespaces out when the credentials sit in a watched namespace', () => {
    const m = manifests();
    m.externalSecrets.push(
      obj('ExternalSecret', 'x', 'vault-auth', { secretStoreRef: { name: 'local' } }) as never,
    );
    const f = generatePolicies(m, { account: '*', partition: 'aws' }).files.find(
      (x) => x.file === 'syncret-operator.values.yaml',
    )!;
    expect(YAML.parse(f.text)).toEqual({ scope: { namespaces: ['app', 'team-a', 'vault-auth', 'web'] } });
  });

  it('writes no scope for manifests without a namespaced object', () => {
    const m = manifests();
    m.externalSecrets = [];
    m.clusterExternalSecrets = [];
    m.stores = m.stores.filter((s) => s.kind === 'ClusterSecretStore');
    expect(generatePolicies(m, { account: '*', partition: 'aws' }).files.map((f) => f.file)).not.toContain(
      'syncret-operator.values.yaml',
    );
  });
});
