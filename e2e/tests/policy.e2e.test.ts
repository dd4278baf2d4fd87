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
// malformed document as the control.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
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
    expect(files).toEqual([`${policyName}.hcl`]);
    const hcl = readFileSync(join(out, files[0]!), 'utf8');
    expect(syncretPolicy(['-f', manifests]).stdout).toBe(`# ---- ${policyName}.hcl\n${hcl}`);
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
    op = await startOperator({ name: 'policy' });
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
    expect(readdirSync(out)).toEqual([`syncret-secretstore-${consumer}-k8s.rbac.yaml`]);
    kubectl(['apply', '-f', rbac]);
    kubectl(['apply', '-f', file]);
    op ??= await startOperator({ name: 'policy' });
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
