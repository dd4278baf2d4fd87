// `syncret policy` for GCP Secret Manager and Azure Key Vault, offline: the bindings and role
// assignments each entry kind gets, what a wider grant absorbs, the Terraform form, the
// placeholders for what the manifests do not hold, and the same bytes every time.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import YAML from 'yaml';
import { generatePolicies } from './index.js';
import type { Manifests } from './usage.js';

const store = (name: string, provider: object) => ({
  apiVersion: 'external-secrets.io/v1',
  kind: 'SecretStore',
  metadata: { name, namespace: 'team' },
  spec: { provider },
});
const es = (name: string, storeName: string, spec: object) => ({
  apiVersion: 'external-secrets.io/v1',
  kind: 'ExternalSecret',
  metadata: { name, namespace: 'team' },
  spec: { secretStoreRef: { name: storeName }, ...spec },
});
const manifests = (stores: object[], ess: object[]): Manifests =>
  ({ externalSecrets: ess, clusterExternalSecrets: [], stores, generators: [], namespaces: [] }) as Manifests;
const AWS = { account: '*', partition: 'aws' };
const file = (r: ReturnType<typeof generatePolicies>, name: string) =>
  r.files.find((f) => f.file === name)!.text;

describe('syncret policy for GCP and Azure', () => {
  it('binds secretAccessor on exactly the GCP secrets read, viewer for metadata and find (the project-wide viewer of find covers metadata)', () => {
    const m = manifests(
      [store('gcp', { gcpsm: { projectID: 'proj', auth: { secretRef: {} } } })],
      [
        es('app', 'gcp', {
          data: [
            { secretKey: 'a', remoteRef: { key: 'db' } },
            { secretKey: 'b', remoteRef: { key: 'db', version: '2' } },
            { secretKey: 'c', remoteRef: { key: 'projects/other/locations/eu/secrets/api/versions/3' } },
            { secretKey: 'd', remoteRef: { key: 'labels', metadataPolicy: 'Fetch' } },
            { secretKey: 'e', remoteRef: { key: 'not a secret id' } },
          ],
          dataFrom: [{ find: { path: 'app-' } }],
        }),
      ],
    );
    const r = generatePolicies(m, AWS, { gcp: 'serviceAccount:r@proj.iam.gserviceaccount.com' });
    expect(r.files.map((f) => f.file)).toEqual([
      'syncret-operator.values.yaml',
      'syncret-secretstore-team-gcp.gcp.tf',
      'syncret-secretstore-team-gcp.gcp.yaml',
    ]);
    const doc = YAML.parse(file(r, 'syncret-secretstore-team-gcp.gcp.yaml')) as {
      member: string;
      bindings: { resource: string; role: string; condition?: { expression: string }; neededBy: string[] }[];
    };
    expect(doc.member).toBe('serviceAccount:r@proj.iam.gserviceaccount.com');
    expect(doc.bindings.map((b) => [b.resource, b.role, b.condition?.expression])).toEqual([
      ['projects/other/locations/eu/secrets/api', 'roles/secretmanager.secretAccessor', undefined],
      [
        'projects/proj',
        'roles/secretmanager.secretAccessor',
        'resource.name.startsWith("projects/PROJECT_NUMBER/secrets/app-")',
      ],
      ['projects/proj', 'roles/secretmanager.viewer', undefined],
      ['projects/proj/secrets/db', 'roles/secretmanager.secretAccessor', undefined],
    ]);
    expect(doc.bindings[3]!.neededBy).toEqual([
      'ExternalSecret team/app spec.data[0] (key db)',
      'ExternalSecret team/app spec.data[1] (key db)',
    ]);
    expect(r.warnings.some((w) => w.includes('spec.data[4]') && w.includes('not a valid secret id'))).toBe(
      true,
    );
    const tf = file(r, 'syncret-secretstore-team-gcp.gcp.tf');
    expect(tf).toContain('default = "serviceAccount:r@proj.iam.gserviceaccount.com"');
    expect(tf).toContain(
      'resource "google_secret_manager_regional_secret_iam_member" "b1" {\n  project = "other"\n  location = "eu"\n  secret_id = "api"',
    );
    expect(tf).toContain(
      'expression = "resource.name.startsWith(\\"projects/${data.google_project.p1.number}/secrets/app-\\")"',
    );
    expect(tf).toContain(
      'resource "google_secret_manager_secret_iam_member" "b4" {\n  project = "proj"\n  secret_id = "db"',
    );
    expect(tf.match(/^resource /gm)).toHaveLength(4);
  });

  it('lets an unconditioned project grant absorb the secret ones, and LatestOrFetch adds viewer', () => {
    const m = manifests(
      [
        store('gcp', {
          gcpsm: {
            projectID: 'proj',
            secretVersionSelectionPolicy: 'LatestOrFetch',
            auth: {
              workloadIdentityFederation: { gcpServiceAccountEmail: 'wi@proj.iam.gserviceaccount.com' },
            },
          },
        }),
      ],
      [
        es('a', 'gcp', { data: [{ secretKey: 'a', remoteRef: { key: 'db' } }] }),
        es('b', 'gcp', { dataFrom: [{ find: { tags: { team: 'a' } } }] }),
      ],
    );
    const r = generatePolicies(m, AWS);
    const doc = YAML.parse(file(r, 'syncret-secretstore-team-gcp.gcp.yaml')) as {
      member: string;
      bindings: { resource: string; role: string; neededBy: string[] }[];
    };
    expect(doc.member).toBe('serviceAccount:wi@proj.iam.gserviceaccount.com');
    expect(doc.bindings.map((b) => [b.resource, b.role])).toEqual([
      ['projects/proj', 'roles/secretmanager.secretAccessor'],
      ['projects/proj', 'roles/secretmanager.viewer'],
    ]);
    expect(doc.bindings[1]!.neededBy).toContain(
      'ExternalSecret team/a spec.data[0] (key db) (LatestOrFetch lists the versions)',
    );
  });

  it('leaves a placeholder and warns when no GCP member is known', () => {
    const m = manifests(
      [store('gcp', { gcpsm: { projectID: 'p' } })],
      [es('a', 'gcp', { data: [{ secretKey: 'a', remoteRef: { key: 'x' } }] })],
    );
    const r = generatePolicies(m, AWS);
    expect(YAML.parse(file(r, 'syncret-secretstore-team-gcp.gcp.yaml'))).toMatchObject({ member: 'MEMBER' });
    expect(file(r, 'syncret-secretstore-team-gcp.gcp.tf')).toContain(
      'variable "member" {\n  type = string\n}',
    );
    expect(r.warnings).toContain(
      'SecretStore team/gcp: no IAM member known; give --gcp-member (MEMBER in the output)',
    );
  });

  it('assigns the Key Vault role of each object type on the object, and Secrets User on the vault for find', () => {
    const az = store('az', {
      azurekv: { vaultUrl: 'https://my-vault.vault.azure.net', authType: 'WorkloadIdentity' },
    });
    const data = [
      { secretKey: 'a', remoteRef: { key: 'db' } },
      { secretKey: 'b', remoteRef: { key: 'cert/tls' } },
      { secretKey: 'c', remoteRef: { key: 'key/signing' } },
      { secretKey: 'd', remoteRef: { key: 'secret/db', metadataPolicy: 'Fetch' } },
      { secretKey: 'e', remoteRef: { key: 'blob/x' } },
    ];
    const r = generatePolicies(manifests([az], [es('a', 'az', { data })]), AWS, {
      azure: '00000000-0000-0000-0000-000000000001',
    });
    const doc = YAML.parse(file(r, 'syncret-secretstore-team-az.azure.yaml')) as {
      principalId: string;
      assignments: { scope: string; role: string; neededBy: string[] }[];
    };
    const base =
      '/subscriptions/SUBSCRIPTION_ID/resourceGroups/RESOURCE_GROUP/providers/Microsoft.KeyVault/vaults/my-vault';
    expect(doc.principalId).toBe('00000000-0000-0000-0000-000000000001');
    expect(doc.assignments.map((a) => [a.scope, a.role])).toEqual([
      [`${base}/certificates/tls`, 'Key Vault Certificate User'],
      [`${base}/keys/signing`, 'Key Vault Crypto User'],
      [`${base}/secrets/db`, 'Key Vault Secrets User'],
    ]);
    expect(doc.assignments[2]!.neededBy).toEqual([
      'ExternalSecret team/a spec.data[0] (key db)',
      'ExternalSecret team/a spec.data[3] (key secret/db)',
    ]);
    expect(r.warnings.some((w) => w.includes('spec.data[4]') && w.includes('unknown object type'))).toBe(
      true,
    );
    const tf = file(r, 'syncret-secretstore-team-az.azure.tf');
    expect(tf).toContain(
      'data "azurerm_key_vault" "vault" {\n  name = "my-vault"\n  resource_group_name = var.resource_group_name\n}',
    );
    expect(tf).toContain(
      'scope = "${data.azurerm_key_vault.vault.id}/keys/signing"\n  role_definition_name = "Key Vault Crypto User"',
    );

    const found = generatePolicies(
      manifests([az], [es('a', 'az', { data, dataFrom: [{ find: { name: { regexp: '^app' } } }] })]),
      AWS,
    );
    const wide = YAML.parse(file(found, 'syncret-secretstore-team-az.azure.yaml')) as typeof doc;
    expect(wide.principalId).toBe('PRINCIPAL_ID');
    expect(wide.assignments.map((a) => [a.scope, a.role])).toEqual([
      [base, 'Key Vault Secrets User'],
      [`${base}/certificates/tls`, 'Key Vault Certificate User'],
      [`${base}/keys/signing`, 'Key Vault Crypto User'],
    ]);
    expect(file(found, 'syncret-secretstore-team-az.azure.tf')).toContain(
      'scope = data.azurerm_key_vault.vault.id\n',
    );
    expect(found.warnings).toContain(
      'SecretStore team/az: no principal known; give --azure-principal (PRINCIPAL_ID in the output)',
    );
  });

  it('gives the same bytes for the same manifests in any order', () => {
    const stores = [
      store('gcp', { gcpsm: { projectID: 'p' } }),
      store('az', { azurekv: { vaultUrl: 'https://v.vault.azure.net' } }),
    ];
    const ess = [
      es('a', 'gcp', {
        data: [
          { secretKey: 'a', remoteRef: { key: 'x' } },
          { secretKey: 'b', remoteRef: { key: 'y' } },
        ],
      }),
      es('b', 'az', {
        data: [
          { secretKey: 'a', remoteRef: { key: 'x' } },
          { secretKey: 'b', remoteRef: { key: 'cert/c' } },
        ],
      }),
    ];
    const one = generatePolicies(manifests(stores, ess), AWS);
    const two = generatePolicies(manifests([...stores].reverse(), [...ess].reverse()), AWS);
    expect(two.files.map((f) => f.text)).toEqual(one.files.map((f) => f.text));
    expect(one.warnings.some((w) => w.includes('has no policy generator'))).toBe(false);
  });
});

describe('syncret policy --check with GCP and Azure stores', () => {
  it('says that their bindings are not read back, and reads nothing', async () => {
    const { policy } = await import('./index.js');
    const dir = mkdtempSync(join(tmpdir(), 'syncret-policy-cloud-'));
    const f = join(dir, 'm.yaml');
    const docs = [
      store('gcp', { gcpsm: { projectID: 'p' } }),
      es('a', 'gcp', { data: [{ secretKey: 'a', remoteRef: { key: 'x' } }] }),
    ];
    writeFileSync(f, docs.map((d) => YAML.stringify(d)).join('---\n'));
    const r = await policy({ files: [f], aws: AWS, check: true }, {});
    expect(r.checks).toEqual([]);
    expect(r.warnings).toContain(
      '--check compares Vault and IAM policies; GCP bindings and Azure role assignments are not read back',
    );
  });
});

describe('syncret policy arguments for GCP and Azure', () => {
  it('takes the members', async () => {
    const { parsePolicyArgs } = await import('./index.js');
    expect(
      parsePolicyArgs(['-f', 'x', '--gcp-member=serviceAccount:a@b', '--azure-principal', 'id']),
    ).toMatchObject({
      members: { gcp: 'serviceAccount:a@b', azure: 'id' },
    });
  });
});
