// `syncret policy` offline: which paths and ARNs each store identity gets, the comments that
// name the manifests, deterministic bytes, and --check's comparison with a live policy.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import YAML from 'yaml';
import { generatePolicies, loadManifests, parsePolicyArgs, PolicyError } from './index.js';
import { compareVault, globMatches, parseHclPaths, vaultRules } from './vault.js';

const MANIFESTS = `
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: { name: vault, namespace: team }
spec:
  provider:
    vault: { server: "https://vault.example", path: kv, version: v2, auth: { tokenSecretRef: { name: t, key: token } } }
---
apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata: { name: legacy }
spec:
  provider:
    vault: { server: "https://vault.example", path: old, version: v1 }
---
apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata: { name: aws }
spec:
  provider:
    aws: { service: SecretsManager, region: eu-west-1, prefix: "prod/" }
---
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: { name: ssm, namespace: team }
spec:
  provider:
    aws: { service: ParameterStore, region: us-east-1 }
---
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: { name: k8s, namespace: team }
spec:
  provider:
    kubernetes: { remoteNamespace: source, auth: { serviceAccount: { name: reader } } }
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: { name: copy, namespace: team }
spec:
  secretStoreRef: { name: k8s }
  data:
    - { secretKey: a, remoteRef: { key: db, property: password } }
    - { secretKey: b, remoteRef: { key: api } }
  dataFrom:
    - find: { tags: { team: a } }
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: { name: app, namespace: team }
spec:
  secretStoreRef: { name: vault }
  data:
    - { secretKey: user, remoteRef: { key: app, property: user } }
    - { secretKey: pw, remoteRef: { key: kv/app, property: password, version: "2" } }
    - { secretKey: tags, remoteRef: { key: tagged, metadataPolicy: Fetch } }
    - secretKey: old
      remoteRef: { key: x }
      sourceRef: { storeRef: { name: legacy, kind: ClusterSecretStore } }
  dataFrom:
    - find: { path: teams, name: { regexp: "^a" } }
    - extract: { key: shared/config }
    - sourceRef: { generatorRef: { apiVersion: generators.external-secrets.io/v1alpha1, kind: VaultDynamicSecret, name: db } }
---
apiVersion: generators.external-secrets.io/v1alpha1
kind: VaultDynamicSecret
metadata: { name: db, namespace: team }
spec:
  path: database/creds/app
  provider: { server: "https://vault.example", auth: { tokenSecretRef: { name: t, key: token } } }
---
apiVersion: external-secrets.io/v1
kind: ClusterExternalSecret
metadata: { name: shared }
spec:
  namespaceSelectors: [{ matchLabels: { tier: web } }]
  externalSecretSpec:
    secretStoreRef: { name: aws, kind: ClusterSecretStore }
    data:
      - { secretKey: k, remoteRef: { key: api-key } }
      - { secretKey: arn, remoteRef: { key: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:full-AbCdEf" } }
    dataFrom:
      - find: { path: "web/", tags: { team: web } }
---
apiVersion: v1
kind: Namespace
metadata: { name: web-a, labels: { tier: web } }
---
apiVersion: v1
kind: List
items:
  - apiVersion: external-secrets.io/v1
    kind: ExternalSecret
    metadata: { name: params, namespace: team }
    spec:
      secretStoreRef: { name: ssm }
      data:
        - { secretKey: a, remoteRef: { key: /app/db/password } }
      dataFrom:
        - find: { path: /app/flags }
        - find: { name: { regexp: "^feature-" } }
  - apiVersion: external-secrets.io/v1
    kind: ExternalSecret
    metadata: { name: lost, namespace: team }
    spec:
      secretStoreRef: { name: nowhere }
      data: [{ secretKey: a, remoteRef: { key: a } }]
`;

function fixture(text = MANIFESTS): string {
  const dir = mkdtempSync(join(tmpdir(), 'syncret-policy-'));
  const file = join(dir, 'all.yaml');
  writeFileSync(file, text);
  return file;
}

const generate = () =>
  generatePolicies(loadManifests([fixture()]), { account: '111122223333', partition: 'aws' });

describe('syncret policy', () => {
  it('grants a Vault store exactly the KV v2 paths its entries read, each commented', () => {
    const r = generate();
    const hcl = r.files.find((f) => f.file === 'syncret-secretstore-team-vault.hcl')!.text;
    expect([...parseHclPaths(hcl)].map(([p, c]) => `${p} ${[...c].join(',')}`)).toEqual([
      'auth/token/lookup-self read',
      'auth/token/renew-self update',
      'auth/token/revoke-self update',
      'kv/data/app read',
      'kv/data/shared/config read',
      'kv/data/teams/* read',
      'kv/metadata/tagged read',
      'kv/metadata/teams/* list',
    ]);
    expect(hcl).toContain(
      '# ExternalSecret team/app spec.data[0] (key app)\n# ExternalSecret team/app spec.data[1] (key kv/app, version 2)\npath "kv/data/app" {\n  capabilities = ["read"]\n}',
    );
    expect(hcl).toContain('(find.name.regexp cannot narrow a Vault path)');
    // Nothing of the other store, nor of the generator, which has its own identity.
    expect(hcl).not.toContain('old/');
    expect(hcl).not.toContain('database/');
  });

  it('gives KV v1 stores and VaultDynamicSecret generators their own policies', () => {
    const r = generate();
    const legacy = parseHclPaths(
      r.files.find((f) => f.file === 'syncret-clustersecretstore-legacy.hcl')!.text,
    );
    expect(legacy.get('old/x')).toEqual(new Set(['read']));
    const gen = parseHclPaths(r.files.find((f) => f.file === 'syncret-vaultdynamicsecret-team-db.hcl')!.text);
    expect([...gen.keys()]).toEqual([
      'auth/token/lookup-self',
      'auth/token/renew-self',
      'auth/token/revoke-self',
      'database/creds/app',
      'sys/leases/renew',
      'sys/leases/revoke',
    ]);
    expect(gen.get('database/creds/app')).toEqual(new Set(['read']));
  });

  it('grants an AWS store the exact secret ARNs, and the list calls only for find', () => {
    const r = generate();
    const doc = JSON.parse(
      r.files.find((f) => f.file === 'syncret-clustersecretstore-aws.iam.json')!.text,
    ) as {
      Statement: { Sid: string; Action: string[]; Resource: string[] }[];
    };
    expect(doc.Statement).toEqual([
      {
        Sid: 'Syncret1',
        Effect: 'Allow',
        Action: ['secretsmanager:BatchGetSecretValue', 'secretsmanager:ListSecrets'],
        Resource: ['*'],
      },
      {
        Sid: 'Syncret2',
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue'],
        Resource: [
          'arn:aws:secretsmanager:eu-west-1:111122223333:secret:full-AbCdEf',
          'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/api-key-??????',
          'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/web/*',
        ],
      },
    ]);
    const notes = r.files.find((f) => f.file === 'syncret-clustersecretstore-aws.iam.txt')!.text;
    expect(notes).toContain('Syncret2: ClusterExternalSecret shared (in web-a) spec.data[0] (key api-key)');
    const ssm = JSON.parse(r.files.find((f) => f.file === 'syncret-secretstore-team-ssm.iam.json')!.text) as {
      Statement: { Action: string[]; Resource: string[] }[];
    };
    expect(ssm.Statement.map((s) => `${s.Action.join(',')} ${s.Resource.join(' ')}`)).toEqual([
      'ssm:DescribeParameters *',
      'ssm:GetParameter arn:aws:ssm:us-east-1:111122223333:parameter/app/db/password',
      'ssm:GetParameters arn:aws:ssm:us-east-1:111122223333:parameter/*',
      'ssm:GetParametersByPath arn:aws:ssm:us-east-1:111122223333:parameter/app/flags arn:aws:ssm:us-east-1:111122223333:parameter/app/flags/*',
    ]);
  });

  it('grants a kubernetes store get on the named Secrets, list only for find, bound to its ServiceAccount', () => {
    const r = generate();
    const text = r.files.find((f) => f.file === 'syncret-secretstore-team-k8s.rbac.yaml')!.text;
    expect(text).toContain('# get db: ExternalSecret team/copy spec.data[0]\n');
    expect(text).toContain(
      '# list (every Secret of source: RBAC cannot narrow a list): ExternalSecret team/copy spec.dataFrom[0]',
    );
    const docs = YAML.parseAllDocuments(text).map((d) => d.toJS() as Record<string, unknown>);
    expect(docs).toEqual([
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'syncret-secretstore-team-k8s', namespace: 'source' },
        rules: [
          { apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ['api', 'db'] },
          { apiGroups: [''], resources: ['secrets'], verbs: ['list'] },
        ],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'syncret-secretstore-team-k8s', namespace: 'source' },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'Role',
          name: 'syncret-secretstore-team-k8s',
        },
        subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: 'team' }],
      },
    ]);
  });

  it('warns of entries whose store is not in the manifests, and is byte-for-byte stable', () => {
    const a = generate();
    expect(a.warnings).toEqual([
      'ExternalSecret team/lost spec.data[0]: SecretStore "nowhere" in team is not in the manifests',
    ]);
    expect(generate()).toEqual(a);
    expect(a.files.map((f) => f.file)).toEqual([...a.files.map((f) => f.file)].sort());
  });

  it('compares with a live policy: what is missing, and what is broader', () => {
    const r = generate();
    const id = r.files.find((f) => f.file === 'syncret-secretstore-team-vault.hcl')!.identity!;
    const rules = vaultRules(id, []);
    const live = parseHclPaths(`
      path "kv/data/*" { capabilities = ["read", "list"] }
      path "kv/metadata/tagged" { capabilities = ["read"] }
      path "auth/token/lookup-self" { capabilities = ["read"] }
    `);
    const c = compareVault(rules, live);
    expect(c.missing).toEqual([
      'path "auth/token/renew-self": update',
      'path "auth/token/revoke-self": update',
      'path "kv/metadata/teams/*": list',
    ]);
    expect(c.broader).toEqual(['path "kv/data/*": read, list (not needed)']);
    expect(
      compareVault(rules, parseHclPaths(r.files.find((f) => f.file.endsWith('team-vault.hcl'))!.text)),
    ).toEqual({
      missing: [],
      broader: [],
    });
  });

  it('matches Vault globs as Vault does', () => {
    expect(globMatches('kv/data/*', 'kv/data/a/b')).toBe(true);
    expect(globMatches('kv/data/a*', 'kv/data/ab')).toBe(true);
    expect(globMatches('kv/+/a', 'kv/data/a')).toBe(true);
    expect(globMatches('kv/+/a', 'kv/data/a/b')).toBe(false);
    expect(globMatches('kv/data/a', 'kv/data/ab')).toBe(false);
  });

  it('parses its arguments', () => {
    expect(
      parsePolicyArgs(['-f', 'a.yaml', '--file=b.yaml', '--aws-account', '111122223333', '--check']),
    ).toEqual({
      files: ['a.yaml', 'b.yaml'],
      aws: { account: '111122223333', partition: 'aws' },
      check: true,
    });
    expect(() => parsePolicyArgs([])).toThrow(PolicyError);
    expect(parsePolicyArgs(['--kubeconfig', '/k', '--out', 'd'])).toMatchObject({
      files: [],
      kubeconfig: '/k',
      out: 'd',
    });
    expect(() => parsePolicyArgs(['-f', 'a', '--aws-account', 'x'])).toThrow(
      '--aws-account must be 12 digits',
    );
    expect(parsePolicyArgs(['--help'])).toBe('help');
  });
});
