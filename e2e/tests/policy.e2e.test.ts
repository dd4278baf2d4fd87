// `syncret policy` against the real OpenBao: the HCL generated from the manifests (from files,
// and the same bytes from the cluster with --kubeconfig) is loaded, a token with only that
// policy (no default policy) syncs every ExternalSecret of the manifests through the operator,
// and reads outside it are refused (403). `--check` reads the
// live policy back: as generated, then broader once someone widens it.
//
// Kubernetes: the Role and RoleBinding generated for a kubernetes-provider store, applied to
// the real apiserver: the store validates and syncs, and `kubectl auth can-i` denies the
// ServiceAccount every other Secret, a list, and the store's own namespace.
//
// AWS: moto 5.2.5 enforces IAM for Secrets Manager and SSM on the action only (it authorizes
// those calls against the resource "*", so any ARN-scoped statement denies), so it cannot
// show least privilege. The generated documents go through its IAM CreatePolicy instead,
// whose validator implements AWS's policy grammar (vendors, actions, ARN formats), with a
// malformed document as the control. `--check` for IAM runs against moto's IAM: a policy not
// there, then created as generated, then a wider default version (CreatePolicyVersion).
//
// GCP: the Secret Manager emulator enforces secretAccessor bindings on secrets that have any
// (an unbound secret is open, unlike Google's) and has no project-level IAM: the generated
// secret bindings are applied with SetIamPolicy to secrets guarded for someone else, the store
// then syncs, and an entry added after generation is refused; the project-level bindings
// (find) are checked as output only. Azure: the Key Vault test server grants a client all of
// the vault or nothing (no role assignments), so the generated assignments are checked as
// output only.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { OAuth2Client } from 'google-auth-library';
import { grpc } from 'google-gax';
import YAML from 'yaml';
import {
  apply,
  externalSecret,
  kubectl,
  kubernetesStore,
  newNamespace,
  plainSecret,
  secretData,
  waitEs,
  waitReady,
} from '../lib/kube.js';
import { startOperator } from '../lib/operator.js';
import type { OperatorHandle } from '../lib/operator.js';
import { kubectlBin } from '../lib/cluster.js';
import { ADMIN_KUBECONFIG, ROOT } from '../lib/paths.js';
import { serverVar } from '../lib/servers.js';
import { finishSuite } from '../lib/suite.js';
import { secretValue } from '../lib/values.js';
import { ACCOUNT, motoUrl } from './aws-moto.js';
import { serviceAccountKey } from '../../src/providers/gcpsm/testing.js';
import { bao, kv2Put, mountKv, policy, suffix, vaultStore } from '../lib/vault.js';

let op: OperatorHandle | undefined;
let ns: string;
const sfx = suffix();
const mount = `pol-${sfx}`;
const dir = mkdtempSync(join(tmpdir(), 'syncret-policy-e2e-'));
const manifests = join(dir, 'manifests.yaml');
let policyName: string;
let token: string;

const v = {
  password: secretValue('password'),
  teamA: secretValue('team-a'),
  teamB: secretValue('team-b'),
  config: secretValue('config'),
  outside: secretValue('outside'),
};

/** The operator, with the Secret Manager emulator as its GCP endpoint. */
const startPolicyOperator = () =>
  startOperator({ name: 'policy', env: { SYNCRET_GCPSM_EMULATOR_HOST: serverVar('GCPSM_EMULATOR_HOST') } });

/** `node dist/main.js policy ...`: its exit code, stdout and stderr. */
function syncretPolicy(
  args: string[],
  env: Record<string, string> = {},
): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'dist/main.js'), 'policy', ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function objects(): object[] {
  return [
    vaultStore(ns, 'vault', {
      path: mount,
      version: 'v2',
      auth: { tokenSecretRef: { name: 'vault-token', key: 'token' } },
    }),
    externalSecret(ns, 'get', {
      refreshInterval: '1h',
      secretStoreRef: { name: 'vault' },
      target: { name: 'get' },
      data: [{ secretKey: 'password', remoteRef: { key: 'app/db', property: 'password' } }],
    }),
    externalSecret(ns, 'find', {
      refreshInterval: '1h',
      secretStoreRef: { name: 'vault' },
      target: { name: 'find' },
      dataFrom: [{ find: { path: 'teams', name: { regexp: '.*' } } }],
    }),
    externalSecret(ns, 'extract', {
      refreshInterval: '1h',
      secretStoreRef: { name: 'vault' },
      target: { name: 'extract' },
      dataFrom: [{ extract: { key: `${mount}/shared/config` } }],
    }),
  ];
}

beforeAll(async () => {
  ns = newNamespace('e2e-policy');
  await mountKv(mount, 2);
  await kv2Put(mount, 'app/db', { password: v.password });
  await kv2Put(mount, 'teams/a', { value: v.teamA });
  await kv2Put(mount, 'teams/b', { value: v.teamB });
  await kv2Put(mount, 'shared/config', { config: v.config });
  await kv2Put(mount, 'other/x', { value: v.outside });
  writeFileSync(manifests, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects() }));
}, 120_000);

afterAll(async () => {
  await finishSuite(op);
});

describe('syncret policy with OpenBao', () => {
  it('generates one HCL policy for the store, the same bytes every time', () => {
    const out = join(dir, 'out');
    const r = syncretPolicy(['-f', manifests, '--out', out]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const files = readdirSync(out);
    policyName = `syncret-secretstore-${ns}-vault`;
    // The operator's own scope comes with it (chart.e2e installs one).
    expect(files).toEqual(['syncret-operator.values.yaml', `${policyName}.hcl`]);
    const hcl = readFileSync(join(out, `${policyName}.hcl`), 'utf8');
    expect(syncretPolicy(['-f', manifests]).stdout).toContain(`# ---- ${policyName}.hcl\n${hcl}`);
    expect(hcl).toContain(
      `# ExternalSecret ${ns}/get spec.data[0] (key app/db)\npath "${mount}/data/app/db"`,
    );
    expect(hcl).toContain(`path "${mount}/metadata/teams/*" {\n  capabilities = ["list"]\n}`);
    expect(hcl).not.toContain('other');
  });

  it('syncs every ExternalSecret with a token that has only that policy', async () => {
    const hcl = readFileSync(join(dir, 'out', `${policyName}.hcl`), 'utf8');
    await policy(policyName, hcl);
    const created = await bao('POST', 'auth/token/create', {
      policies: [policyName],
      no_default_policy: true,
      ttl: '2h',
    });
    token = created.body.auth?.client_token ?? '';
    expect(token).not.toBe('');
    apply(plainSecret(ns, 'vault-token', { token }));
    kubectl(['apply', '-f', manifests]);
    op = await startPolicyOperator();
    for (const name of ['get', 'find', 'extract'])
      await waitEs(ns, name, { status: 'True', reason: 'SecretSynced' });
    expect(await secretData(ns, 'get')).toEqual({ password: v.password });
    const found = (await secretData(ns, 'find')) ?? {};
    expect(Object.keys(found).sort()).toEqual(['teams_a', 'teams_b']);
    expect(JSON.parse(found.teams_a!)).toEqual({ value: v.teamA });
    expect(JSON.parse(found.teams_b!)).toEqual({ value: v.teamB });
    expect(await secretData(ns, 'extract')).toEqual({ config: v.config });

    // The same manifests read from the live cluster give the same policy, byte for byte.
    const live = join(dir, 'live');
    expect(syncretPolicy(['--kubeconfig', ADMIN_KUBECONFIG, '--out', live]).code).toBe(0);
    expect(readFileSync(join(live, `${policyName}.hcl`), 'utf8')).toBe(hcl);
  });

  it('refuses the same token everything outside the policy (403)', async () => {
    const as = { token, allow: [403] };
    expect((await bao('GET', `${mount}/data/other/x`, undefined, as)).status).toBe(403);
    expect((await bao('LIST', `${mount}/metadata/`, undefined, as)).status).toBe(403);
    expect((await bao('POST', `${mount}/data/app/db`, { data: { password: 'x' } }, as)).status).toBe(403);
    expect((await bao('GET', `sys/policies/acl/${policyName}`, undefined, as)).status).toBe(403);
    // And what it needs, it has.
    expect((await bao('GET', `${mount}/data/teams/a`, undefined, as)).status).toBe(200);
  });

  it('--check: as generated, then broader once the live policy is widened', async () => {
    const env = { VAULT_ADDR: serverVar('VAULT_ADDR'), VAULT_TOKEN: serverVar('VAULT_TOKEN') };
    expect(syncretPolicy(['-f', manifests, '--check', '--out', join(dir, 'check')], env)).toEqual({
      code: 0,
      stdout: '',
      stderr: `${policyName}: as generated\n`,
    });
    const hcl = readFileSync(join(dir, 'out', `${policyName}.hcl`), 'utf8');
    await policy(
      policyName,
      `${hcl.replace(/path "auth\/token\/revoke-self" \{[^}]*\}/, '')}\npath "${mount}/data/*" {\n  capabilities = ["read", "list"]\n}\n`,
    );
    const r = syncretPolicy(['-f', manifests, '--check', '--out', join(dir, 'check')], env);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n').filter(Boolean)).toEqual([
      `${policyName}: missing path "auth/token/revoke-self": update`,
      `${policyName}: broader path "${mount}/data/*": read, list (not needed)`,
    ]);
  });
});

/** One IAM Query API call on moto (its IAM needs no signature unless enforcement is on). */
async function motoIam(params: Record<string, string>): Promise<{ status: number; text: string }> {
  const res = await fetch(motoUrl(), {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      // Routes the call to IAM (moto reads the service from the credential scope).
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIAE2EADMIN00000000/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: new URLSearchParams({ Version: '2010-05-08', ...params }),
    signal: AbortSignal.timeout(15_000),
  });
  return { status: res.status, text: await res.text() };
}

describe('syncret policy for AWS, against the IAM policy grammar', () => {
  it('generates IAM documents that IAM accepts, and the grammar check is real', async () => {
    const file = join(dir, 'aws.yaml');
    const awsStore = (name: string, service: string) => ({
      apiVersion: 'external-secrets.io/v1',
      kind: 'SecretStore',
      metadata: { name, namespace: 'team' },
      spec: { provider: { aws: { service, region: 'us-east-1', prefix: 'prod/' } } },
    });
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          awsStore('sm', 'SecretsManager'),
          awsStore('ssm', 'ParameterStore'),
          externalSecret('team', 'aws', {
            secretStoreRef: { name: 'sm' },
            data: [{ secretKey: 'a', remoteRef: { key: 'db/password' } }],
            dataFrom: [{ find: { path: 'web/', tags: { team: 'web' } } }],
          }),
          externalSecret('team', 'params', {
            secretStoreRef: { name: 'ssm' },
            data: [{ secretKey: 'a', remoteRef: { key: '/app/db' } }],
            dataFrom: [{ find: { path: '/app/flags' } }],
          }),
        ],
      }),
    );
    const out = join(dir, 'aws');
    expect(syncretPolicy(['-f', file, '--out', out, '--aws-account', ACCOUNT])).toMatchObject({ code: 0 });
    const docs = readdirSync(out).filter((f) => f.endsWith('.iam.json'));
    expect(docs).toEqual(['syncret-secretstore-team-sm.iam.json', 'syncret-secretstore-team-ssm.iam.json']);
    for (const f of docs) {
      const doc = readFileSync(join(out, f), 'utf8');
      expect(doc).not.toContain('secretsmanager:*');
      const r = await motoIam({
        Action: 'CreatePolicy',
        PolicyName: `${f}-${sfx}`.replace(/\./g, '-'),
        PolicyDocument: doc,
      });
      expect({ f, status: r.status, error: /<Code>(\w+)<\/Code>/.exec(r.text)?.[1] }).toEqual({
        f,
        status: 200,
      });
    }
    // The control: a resource that is no ARN is refused by the same validator.
    const bad = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: ['secret:db-??????'] },
      ],
    });
    const r = await motoIam({ Action: 'CreatePolicy', PolicyName: `bad-${sfx}`, PolicyDocument: bad });
    expect(r.status).toBe(400);
    expect(r.text).toContain('MalformedPolicyDocument');
  });
});

describe('syncret policy --check for AWS, against IAM in moto', () => {
  it('reports a policy not in IAM, then as generated, then the missing and broader grants of a wider version', async () => {
    const team = `chk-${sfx}`;
    const file = join(dir, 'aws-check.yaml');
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          {
            apiVersion: 'external-secrets.io/v1',
            kind: 'SecretStore',
            metadata: { name: 'sm', namespace: team },
            spec: { provider: { aws: { service: 'SecretsManager', region: 'us-east-1' } } },
          },
          externalSecret(team, 'aws', {
            secretStoreRef: { name: 'sm' },
            data: [{ secretKey: 'a', remoteRef: { key: 'db/password' } }],
            dataFrom: [{ find: { path: 'web/' } }],
          }),
        ],
      }),
    );
    const name = `syncret-secretstore-${team}-sm`;
    const env = {
      AWS_ACCESS_KEY_ID: 'AKIAE2EADMIN00000000',
      AWS_SECRET_ACCESS_KEY: 'e2e-admin-secret',
      AWS_ENDPOINT_URL_IAM: motoUrl(),
    };
    const check = () =>
      syncretPolicy(['-f', file, '--aws-account', ACCOUNT, '--check', '--out', join(dir, 'aws-check')], env);
    expect(syncretPolicy(['-f', file, '--check'], env)).toMatchObject({
      code: 2,
      stderr: 'syncret policy: --check of IAM policies needs --aws-account\n',
    });
    expect(check()).toMatchObject({ code: 1, stderr: `${name}: missing the whole policy (not in IAM)\n` });

    const doc = readFileSync(join(dir, 'aws-check', `${name}.iam.json`), 'utf8');
    const created = await motoIam({ Action: 'CreatePolicy', PolicyName: name, PolicyDocument: doc });
    expect(created.status).toBe(200);
    expect(check()).toMatchObject({ code: 0, stderr: `${name}: as generated\n` });

    // Someone widens it: secretsmanager:* on every secret, and drops the find statements.
    const wide = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'secretsmanager:*',
          Resource: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:db/*`,
        },
      ],
    });
    const arn = `arn:aws:iam::${ACCOUNT}:policy/${name}`;
    const version = await motoIam({
      Action: 'CreatePolicyVersion',
      PolicyArn: arn,
      PolicyDocument: wide,
      SetAsDefault: 'true',
    });
    expect(version.status).toBe(200);
    const r = check();
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n').filter(Boolean)).toEqual([
      `${name}: missing secretsmanager:BatchGetSecretValue on *`,
      `${name}: missing secretsmanager:ListSecrets on *`,
      `${name}: missing secretsmanager:GetSecretValue on arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:web/*`,
      `${name}: broader secretsmanager:* on arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:db/*`,
    ]);
  });
});

describe('syncret policy for the kubernetes provider, on the real apiserver', () => {
  it('the generated Role lets the store sync and denies the rest', async () => {
    const consumer = newNamespace('e2e-policy-k8s');
    const source = newNamespace('e2e-policy-src');
    const token = secretValue('k8s-token');
    apply(
      plainSecret(source, 'app', { token }),
      plainSecret(source, 'other', { token: secretValue('k8s-other') }),
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'reader', namespace: consumer } },
    );
    const file = join(dir, 'k8s.yaml');
    const items = [
      kubernetesStore(consumer, 'k8s', source, { serviceAccount: { name: 'reader' } }),
      externalSecret(consumer, 'copy', {
        refreshInterval: '1h',
        secretStoreRef: { name: 'k8s' },
        target: { name: 'copy' },
        data: [{ secretKey: 'token', remoteRef: { key: 'app', property: 'token' } }],
      }),
    ];
    writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
    const out = join(dir, 'k8s');
    expect(syncretPolicy(['-f', file, '--out', out])).toMatchObject({ code: 0, stderr: '' });
    const rbac = join(out, `syncret-secretstore-${consumer}-k8s.rbac.yaml`);
    expect(readdirSync(out)).toEqual([
      'syncret-operator.values.yaml',
      `syncret-secretstore-${consumer}-k8s.rbac.yaml`,
    ]);
    kubectl(['apply', '-f', rbac]);
    kubectl(['apply', '-f', file]);
    op ??= await startPolicyOperator();
    // Valid although no Secret may be read by any name (the rules review shows the grant).
    await waitReady('secretstores', consumer, 'k8s', { status: 'True', reason: 'Valid' });
    await waitEs(consumer, 'copy', { status: 'True', reason: 'SecretSynced' });
    expect(await secretData(consumer, 'copy')).toEqual({ token });

    const sa = `system:serviceaccount:${consumer}:reader`;
    const canI = (...a: string[]) => {
      const r = spawnSync(
        kubectlBin(),
        ['--kubeconfig', ADMIN_KUBECONFIG, 'auth', 'can-i', ...a, '--as', sa],
        { encoding: 'utf8', timeout: 60_000 },
      );
      return r.stdout.trim();
    };
    expect(canI('get', 'secret/app', '-n', source)).toBe('yes');
    expect(canI('get', 'secret/other', '-n', source)).toBe('no');
    expect(canI('list', 'secrets', '-n', source)).toBe('no');
    expect(canI('get', 'secret/app', '-n', consumer)).toBe('no');
    expect(canI('update', 'secret/app', '-n', source)).toBe('no');
  });
});

describe('syncret policy for GCP and Azure, from manifests applied to the cluster', () => {
  const project = `pol-${sfx}`;
  const READER = `reader@${project}.iam.gserviceaccount.com`;
  const OTHER = `serviceAccount:someone-else@${project}.iam.gserviceaccount.com`;
  let admin: SecretManagerServiceClient;

  beforeAll(() => {
    const host = serverVar('GCPSM_EMULATOR_HOST');
    admin = new SecretManagerServiceClient({
      apiEndpoint: host.split(':')[0],
      port: Number(host.split(':')[1]),
      sslCreds: grpc.credentials.createInsecure(),
      authClient: new OAuth2Client(),
    });
  });
  afterAll(async () => {
    await admin?.close();
  });

  async function gcpSecret(id: string, value: string, guard: boolean): Promise<void> {
    await admin.createSecret({
      parent: `projects/${project}`,
      secretId: id,
      secret: { replication: { automatic: {} } },
    });
    await admin.addSecretVersion({
      parent: `projects/${project}/secrets/${id}`,
      payload: { data: Buffer.from(value) },
    });
    if (guard)
      await admin.setIamPolicy({
        resource: `projects/${project}/secrets/${id}`,
        policy: { bindings: [{ role: 'roles/secretmanager.secretAccessor', members: [OTHER] }] },
      });
  }

  it('GCP: the generated secret bindings let the store sync, and a secret outside them is refused', async () => {
    const gns = newNamespace('e2e-policy-gcp');
    const values = {
      db: secretValue('gcp-db'),
      api: secretValue('gcp-api'),
      outside: secretValue('gcp-out'),
    };
    await gcpSecret('db', values.db, true);
    await gcpSecret('api', values.api, true);
    await gcpSecret('outside', values.outside, true);
    await gcpSecret('app-a', secretValue('gcp-app-a'), false);
    apply(plainSecret(gns, 'gcp-key', { 'key.json': serviceAccountKey(READER) }));
    const store = {
      apiVersion: 'external-secrets.io/v1',
      kind: 'SecretStore',
      metadata: { name: 'gcp', namespace: gns },
      spec: {
        provider: {
          gcpsm: {
            projectID: project,
            auth: { secretRef: { secretAccessKeySecretRef: { name: 'gcp-key', key: 'key.json' } } },
          },
        },
      },
    };
    apply(
      store,
      externalSecret(gns, 'read', {
        refreshInterval: '1h',
        secretStoreRef: { name: 'gcp' },
        target: { name: 'read' },
        data: [
          { secretKey: 'db', remoteRef: { key: 'db' } },
          { secretKey: 'api', remoteRef: { key: `projects/${project}/secrets/api/versions/1` } },
        ],
      }),
      externalSecret(gns, 'find', {
        refreshInterval: '1h',
        secretStoreRef: { name: 'gcp' },
        target: { name: 'find' },
        dataFrom: [{ find: { path: 'app-' } }],
      }),
    );
    op ??= await startPolicyOperator();
    const out = join(dir, 'gcp');
    const args = ['--kubeconfig', ADMIN_KUBECONFIG, '--gcp-member', `serviceAccount:${READER}`];
    const r = syncretPolicy([...args, '--out', out]);
    expect(r.code).toBe(0);
    const name = `syncret-secretstore-${gns}-gcp`;
    const mine = readdirSync(out).filter((f) => f.startsWith(name));
    expect(mine).toEqual([`${name}.gcp.tf`, `${name}.gcp.yaml`]);
    // Deterministic: the same cluster gives the same bytes.
    const yamlText = readFileSync(join(out, `${name}.gcp.yaml`), 'utf8');
    expect(syncretPolicy(args).stdout).toContain(`# ---- ${name}.gcp.yaml\n${yamlText}`);
    const doc = YAML.parse(yamlText) as {
      member: string;
      bindings: { resource: string; role: string; condition?: { expression: string } }[];
    };
    expect(doc.member).toBe(`serviceAccount:${READER}`);
    expect(doc.bindings.map((b) => [b.resource, b.role, b.condition?.expression])).toEqual([
      [
        `projects/${project}`,
        'roles/secretmanager.secretAccessor',
        'resource.name.startsWith("projects/PROJECT_NUMBER/secrets/app-")',
      ],
      [`projects/${project}`, 'roles/secretmanager.viewer', undefined],
      [`projects/${project}/secrets/api`, 'roles/secretmanager.secretAccessor', undefined],
      [`projects/${project}/secrets/db`, 'roles/secretmanager.secretAccessor', undefined],
    ]);
    const tf = readFileSync(join(out, `${name}.gcp.tf`), 'utf8');
    expect(tf).toContain(
      `resource "google_secret_manager_secret_iam_member" "b4" {\n  project = "${project}"\n  secret_id = "db"`,
    );

    // Guarded for someone else, db and api are refused until the generated bindings are added.
    await waitEs(gns, 'read', { status: 'False', message: /PERMISSION_DENIED/ });
    for (const b of doc.bindings.filter((x) => x.resource.includes('/secrets/'))) {
      const [current] = await admin.getIamPolicy({ resource: b.resource });
      const bindings = (current.bindings ?? []).map((x) => ({
        role: x.role!,
        members: [...(x.members ?? [])],
      }));
      const same = bindings.find((x) => x.role === b.role);
      if (same) same.members.push(doc.member);
      else bindings.push({ role: b.role, members: [doc.member] });
      await admin.setIamPolicy({ resource: b.resource, policy: { bindings } });
    }
    // A failed sync is retried no sooner than its refresh interval: an annotation enqueues it now.
    kubectl(['annotate', 'externalsecret', 'read', '-n', gns, 'force-sync=1']);
    await waitEs(gns, 'read', { status: 'True', reason: 'SecretSynced' });
    expect(await secretData(gns, 'read')).toEqual({ db: values.db, api: values.api });
    await waitEs(gns, 'find', { status: 'True', reason: 'SecretSynced' });

    // An entry the generated policy does not cover is refused.
    apply(
      externalSecret(gns, 'later', {
        refreshInterval: '1h',
        secretStoreRef: { name: 'gcp' },
        target: { name: 'later' },
        data: [{ secretKey: 'x', remoteRef: { key: 'outside' } }],
      }),
    );
    await waitEs(gns, 'later', { status: 'False', message: /PERMISSION_DENIED/ });
    const again = syncretPolicy([...args]).stdout;
    expect(again).toContain(`projects/${project}/secrets/outside`);
  });

  it('Azure: role assignments of each object type, scoped to the object, from the cluster', async () => {
    const ans = newNamespace('e2e-policy-az');
    apply({
      apiVersion: 'external-secrets.io/v1',
      kind: 'SecretStore',
      metadata: { name: 'az', namespace: ans },
      spec: {
        provider: {
          azurekv: {
            vaultUrl: 'https://policy-e2e.vault.azure.net',
            tenantId: 'tenant',
            authSecretRef: {
              clientId: { name: 'missing', key: 'id' },
              clientSecret: { name: 'missing', key: 'secret' },
            },
          },
        },
      },
    });
    apply(
      externalSecret(ans, 'read', {
        refreshInterval: '1h',
        secretStoreRef: { name: 'az' },
        data: [
          { secretKey: 'db', remoteRef: { key: 'db' } },
          { secretKey: 'tls', remoteRef: { key: 'cert/tls' } },
          { secretKey: 'jwk', remoteRef: { key: 'key/signing' } },
        ],
      }),
    );
    const name = `syncret-secretstore-${ans}-az`;
    const args = [
      '--kubeconfig',
      ADMIN_KUBECONFIG,
      '--azure-principal',
      '11111111-2222-3333-4444-555555555555',
    ];
    const out = join(dir, 'az');
    expect(syncretPolicy([...args, '--out', out]).code).toBe(0);
    expect(readdirSync(out).filter((f) => f.startsWith(name))).toEqual([
      `${name}.azure.tf`,
      `${name}.azure.yaml`,
    ]);
    const doc = YAML.parse(readFileSync(join(out, `${name}.azure.yaml`), 'utf8')) as {
      principalId: string;
      assignments: { scope: string; role: string; neededBy: string[] }[];
    };
    const base =
      '/subscriptions/SUBSCRIPTION_ID/resourceGroups/RESOURCE_GROUP/providers/Microsoft.KeyVault/vaults/policy-e2e';
    expect(doc.principalId).toBe('11111111-2222-3333-4444-555555555555');
    expect(doc.assignments).toEqual([
      {
        scope: `${base}/certificates/tls`,
        role: 'Key Vault Certificate User',
        neededBy: [`ExternalSecret ${ans}/read spec.data[1] (key cert/tls)`],
      },
      {
        scope: `${base}/keys/signing`,
        role: 'Key Vault Crypto User',
        neededBy: [`ExternalSecret ${ans}/read spec.data[2] (key key/signing)`],
      },
      {
        scope: `${base}/secrets/db`,
        role: 'Key Vault Secrets User',
        neededBy: [`ExternalSecret ${ans}/read spec.data[0] (key db)`],
      },
    ]);
    const tf = readFileSync(join(out, `${name}.azure.tf`), 'utf8');
    expect(tf).toContain(
      'scope = "${data.azurerm_key_vault.vault.id}/secrets/db"\n  role_definition_name = "Key Vault Secrets User"',
    );
    expect(tf.match(/^resource "azurerm_role_assignment"/gm)).toHaveLength(3);
    expect(syncretPolicy([...args, '--out', join(dir, 'az2')]).code).toBe(0);
    expect(readFileSync(join(dir, 'az2', `${name}.azure.tf`), 'utf8')).toBe(tf);
  });
});
