// The aws provider against moto (Secrets Manager, Parameter Store, STS) on loopback. The
// operator gets only the standard SDK variables (AWS_ENDPOINT_URL, AWS_REGION); moto's request
// recorder shows which AWS calls it made, signed with which key, with which parameters.

import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  PutSecretValueCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { LabelParameterVersionCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  apply,
  externalSecret,
  getEs,
  getSecret,
  kubectl,
  newNamespace,
  ready,
  remove,
  plainSecret,
  secretData,
  waitEs,
  waitFor,
  waitReady,
} from '../lib/kube.js';
import { startOperator } from '../lib/operator.js';
import { ROOT } from '../lib/paths.js';
import type { OperatorHandle } from '../lib/operator.js';
import { finishSuite } from '../lib/suite.js';
import { secretValue } from '../lib/values.js';
import {
  DEFAULT_CHAIN_KEY,
  REGION,
  closeAdmins,
  enforceIam,
  iamUserWithoutPolicies,
  jwtPayload,
  mark,
  operatorAwsEnv,
  operatorCalls,
  roleArn,
  smAdmin,
  ssmAdmin,
  startRecording,
  stopRecording,
} from './aws-moto.js';

let op: OperatorHandle;
let ns: string;
/** Every remote name of this run starts here, so reruns against a kept moto never collide. */
const run = `e2e-${randomBytes(3).toString('hex')}`;
const STATIC_KEY = 'AKIASTATICE2E0000000';

async function createSecret(
  name: string,
  value: string | Uint8Array,
  tags: Record<string, string> = {},
): Promise<{ arn: string; versionId: string }> {
  const out = await smAdmin().send(
    new CreateSecretCommand({
      Name: name,
      ...(typeof value === 'string' ? { SecretString: value } : { SecretBinary: value }),
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    }),
  );
  return { arn: out.ARN!, versionId: out.VersionId! };
}

async function putParameter(
  name: string,
  value: string,
  type: 'String' | 'StringList' | 'SecureString',
  tags: Record<string, string> = {},
  overwrite = false,
): Promise<void> {
  await ssmAdmin().send(
    new PutParameterCommand({
      Name: name,
      Value: value,
      Type: type,
      Overwrite: overwrite || undefined,
      ...(Object.keys(tags).length > 0
        ? { Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }
        : {}),
    }),
  );
}

/** Creates the secret, or gives an existing one (a moto kept from an earlier run) this value. */
async function upsertSecret(name: string, value: string): Promise<void> {
  try {
    await createSecret(name, value);
  } catch (e) {
    if ((e as Error).name !== 'ResourceExistsException') throw e;
    await smAdmin().send(new PutSecretValueCommand({ SecretId: name, SecretString: value }));
  }
}

function serviceAccount(namespace: string, name: string, role?: string): object {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: {
      name,
      namespace,
      ...(role ? { annotations: { 'eks.amazonaws.com/role-arn': role } } : {}),
    },
  };
}

function awsStore(name: string, aws: Record<string, unknown>): object {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'SecretStore',
    metadata: { name, namespace: ns },
    spec: { provider: { aws: { service: 'SecretsManager', region: REGION, ...aws } } },
  };
}

const staticAuth = {
  secretRef: {
    accessKeyIDSecretRef: { name: 'aws-keys', key: 'id' },
    secretAccessKeySecretRef: { name: 'aws-keys', key: 'secret' },
  },
};

beforeAll(async () => {
  await startRecording();
  op = await startOperator({ name: 'aws', env: operatorAwsEnv() });
  ns = newNamespace('e2e-aws');
  apply(plainSecret(ns, 'aws-keys', { id: STATIC_KEY, secret: secretValue('aws-secret-key') }));
});

afterAll(async () => {
  await stopRecording().catch(() => undefined);
  closeAdmins();
  await finishSuite(op);
});

describe('aws provider: Secrets Manager', () => {
  it('reads by name and ARN, versions and stages, nested properties, binary, tags and extract', async () => {
    const password = secretValue('sm-password');
    const old = secretValue('sm-old');
    const custom = secretValue('sm-custom');
    const bin = new Uint8Array([0, 1, 2, 250, 255]);
    const name = `${run}/app/db`;
    const first = await createSecret(name, JSON.stringify({ user: 'app', db: { password: old } }), {
      team: 'payments',
    });
    await smAdmin().send(
      new PutSecretValueCommand({
        SecretId: name,
        SecretString: JSON.stringify({ user: 'app', db: { password } }),
      }),
    );
    await smAdmin().send(
      new UpdateSecretVersionStageCommand({
        SecretId: name,
        VersionStage: 'BLUE',
        MoveToVersionId: first.versionId,
      }),
    );
    const other = await createSecret(`${run}/app/other`, custom);
    await createSecret(`${run}/app/bin`, bin);

    apply(awsStore('static', { auth: staticAuth }));
    await waitReady('secretstores', ns, 'static', { status: 'True', reason: 'Valid' });
    const m = mark();
    apply(
      externalSecret(ns, 'sm-read', {
        secretStoreRef: { name: 'static' },
        refreshInterval: '1h',
        data: [
          { secretKey: 'password', remoteRef: { key: name, property: 'db.password' } },
          { secretKey: 'user', remoteRef: { key: name, property: 'user' } },
          {
            secretKey: 'previous',
            remoteRef: { key: name, property: 'db.password', version: 'AWSPREVIOUS' },
          },
          { secretKey: 'blue', remoteRef: { key: name, property: 'db.password', version: 'BLUE' } },
          {
            secretKey: 'byid',
            remoteRef: { key: name, property: 'db.password', version: `uuid/${first.versionId}` },
          },
          { secretKey: 'byarn', remoteRef: { key: other.arn } },
          { secretKey: 'bin', remoteRef: { key: `${run}/app/bin` } },
          { secretKey: 'team', remoteRef: { key: name, metadataPolicy: 'Fetch', property: 'team' } },
        ],
        dataFrom: [{ extract: { key: name } }],
      }),
    );
    await waitEs(ns, 'sm-read');
    const data = await secretData(ns, 'sm-read');
    expect(data).toEqual({
      password,
      user: 'app',
      previous: old,
      blue: old,
      byid: old,
      byarn: custom,
      bin: Buffer.from(bin).toString('utf8'),
      team: 'payments',
      db: JSON.stringify({ password }),
    });
    const s = await getSecret(ns, 'sm-read');
    expect(Buffer.from(s!.data!.bin!, 'base64')).toEqual(Buffer.from(bin));

    // Every call was signed with the store's static key, and the secret that five entries
    // read at its current version was fetched once.
    const calls = operatorCalls(m).filter((c) => c.op.startsWith('secretsmanager.'));
    expect(new Set(calls.map((c) => c.keyId))).toEqual(new Set([STATIC_KEY]));
    const current = calls.filter(
      (c) =>
        c.op === 'secretsmanager.GetSecretValue' &&
        c.params.SecretId === name &&
        !c.params.VersionStage &&
        !c.params.VersionId,
    );
    expect(current).toHaveLength(1);
  });

  it('brings a PutSecretValue rotation into the Kubernetes Secret at the next refresh', async () => {
    const name = `${run}/rotate`;
    const v1 = secretValue('rot1');
    const v2 = secretValue('rot2');
    await createSecret(name, v1);
    apply(
      externalSecret(ns, 'rotate', {
        secretStoreRef: { name: 'static' },
        refreshInterval: '2s',
        data: [{ secretKey: 'value', remoteRef: { key: name } }],
      }),
    );
    await waitEs(ns, 'rotate');
    expect((await secretData(ns, 'rotate'))?.value).toBe(v1);
    await smAdmin().send(new PutSecretValueCommand({ SecretId: name, SecretString: v2 }));
    await waitFor('rotated value', async () => (await secretData(ns, 'rotate'))?.value === v2, {
      timeoutMs: 20_000,
    });
    remove('externalsecret', ns, 'rotate');
  });

  it('prepends the store prefix to every key', async () => {
    const value = secretValue('prefixed');
    await createSecret(`${run}/team-a/token`, value);
    apply(awsStore('prefixed', { auth: staticAuth, prefix: `${run}/team-a/` }));
    apply(
      externalSecret(ns, 'prefixed', {
        secretStoreRef: { name: 'prefixed' },
        data: [{ secretKey: 'token', remoteRef: { key: 'token' } }],
      }),
    );
    await waitEs(ns, 'prefixed');
    expect(await secretData(ns, 'prefixed')).toEqual({ token: value });
  });

  it('uses the default credential chain of the operator when the store has no auth', async () => {
    const value = secretValue('default-chain');
    const name = `${run}/default-chain`;
    await createSecret(name, value);
    apply(awsStore('nokeys', {}));
    const m = mark();
    apply(
      externalSecret(ns, 'nokeys', {
        secretStoreRef: { name: 'nokeys' },
        data: [{ secretKey: 'v', remoteRef: { key: name } }],
      }),
    );
    await waitEs(ns, 'nokeys');
    expect(await secretData(ns, 'nokeys')).toEqual({ v: value });
    const get = operatorCalls(m).find(
      (c) => c.op === 'secretsmanager.GetSecretValue' && c.params.SecretId === name,
    );
    expect(get?.keyId).toBe(DEFAULT_CHAIN_KEY);
  });
});

describe('aws provider: dataFrom.find on Secrets Manager', () => {
  const names = Array.from({ length: 25 }, (_, i) => `${run}/batch/s${String(i).padStart(2, '0')}`);
  const values = names.map((_, i) => secretValue(`batch${i}`));
  const key = (name: string): string => name.replaceAll('/', '_');

  beforeAll(async () => {
    for (const [i, name] of names.entries())
      await createSecret(name, values[i]!, { run, team: i % 2 === 0 ? 'even' : 'odd' });
  });

  const findCalls = (m: number) => {
    const calls = operatorCalls(m);
    return {
      list: calls.filter((c) => c.op === 'secretsmanager.ListSecrets'),
      batch: calls.filter((c) => c.op === 'secretsmanager.BatchGetSecretValue'),
      get: calls.filter(
        (c) =>
          c.op === 'secretsmanager.GetSecretValue' && String(c.params.SecretId).startsWith(`${run}/batch/`),
      ),
    };
  };

  it('finds by path with one ListSecrets and BatchGetSecretValue calls of at most 20', async () => {
    const m = mark();
    apply(
      externalSecret(ns, 'find-path', {
        secretStoreRef: { name: 'static' },
        refreshInterval: '1h',
        dataFrom: [{ find: { path: `${run}/batch/` } }],
      }),
    );
    await waitEs(ns, 'find-path');
    const data = await secretData(ns, 'find-path');
    expect(Object.keys(data!).sort()).toEqual(names.map(key).sort());
    expect(data![key(names[7]!)]).toBe(values[7]);
    const c = findCalls(m);
    expect(c.list).toHaveLength(1);
    expect(c.list[0]!.params.Filters).toEqual([{ Key: 'name', Values: [`${run}/batch/`] }]);
    expect(c.batch.map((b) => (b.params.SecretIdList as string[]).length)).toEqual([20, 5]);
    expect(c.get).toHaveLength(0);
  });

  it('finds by tags (exact pairs) and by name regexp', async () => {
    let m = mark();
    apply(
      externalSecret(ns, 'find-tags', {
        secretStoreRef: { name: 'static' },
        refreshInterval: '1h',
        dataFrom: [{ find: { tags: { run, team: 'odd' } } }],
      }),
    );
    await waitEs(ns, 'find-tags');
    const odd = names.filter((_, i) => i % 2 === 1).map(key);
    expect(Object.keys((await secretData(ns, 'find-tags'))!).sort()).toEqual(odd.sort());
    expect(findCalls(m).batch).toHaveLength(1);

    m = mark();
    apply(
      externalSecret(ns, 'find-regexp', {
        secretStoreRef: { name: 'static' },
        refreshInterval: '1h',
        dataFrom: [
          {
            find: { name: { regexp: `^${run}/batch/s0[0-4]$` } },
            // As in ESO, a rewrite sees the names as found (no conversionStrategy with rewrite).
            rewrite: [{ regexp: { source: '^.*/(s\\d+)$', target: '$1' } }],
          },
        ],
      }),
    );
    await waitEs(ns, 'find-regexp');
    expect(await secretData(ns, 'find-regexp')).toEqual(
      Object.fromEntries(values.slice(0, 5).map((v, i) => [`s0${i}`, v])),
    );
    expect(findCalls(m).batch.map((b) => (b.params.SecretIdList as string[]).length)).toEqual([5]);
  });
});

describe('aws provider: Parameter Store', () => {
  const base = `/${run}/app`;
  const pw1 = secretValue('ssm-pw1');
  const pw2 = secretValue('ssm-pw2');
  const plainValue = secretValue('ssm-plain');

  beforeAll(async () => {
    await putParameter(`${base}/db/password`, pw1, 'SecureString');
    await putParameter(`${base}/db/password`, pw2, 'SecureString', {}, true);
    await ssmAdmin().send(
      new LabelParameterVersionCommand({
        Name: `${base}/db/password`,
        ParameterVersion: 1,
        Labels: ['stable'],
      }),
    );
    await putParameter(`${base}/hosts`, 'a.example,b.example', 'StringList');
    await putParameter(`${base}/name`, plainValue, 'String', { run, team: 'web' });
    await putParameter(`/${run}/elsewhere/name`, 'other', 'String', { run, team: 'web' });
    apply(awsStore('ssm', { service: 'ParameterStore', auth: staticAuth }));
    await waitReady('secretstores', ns, 'ssm', { status: 'True', reason: 'Valid' });
  });

  it('reads String, StringList and decrypted SecureString, by version and label, and tags', async () => {
    apply(
      externalSecret(ns, 'ssm-read', {
        secretStoreRef: { name: 'ssm' },
        refreshInterval: '1h',
        data: [
          { secretKey: 'password', remoteRef: { key: `${base}/db/password` } },
          { secretKey: 'v1', remoteRef: { key: `${base}/db/password`, version: '1' } },
          { secretKey: 'stable', remoteRef: { key: `${base}/db/password`, version: 'stable' } },
          { secretKey: 'hosts', remoteRef: { key: `${base}/hosts` } },
          { secretKey: 'name', remoteRef: { key: `${base}/name` } },
          {
            secretKey: 'team',
            remoteRef: { key: `${base}/name`, metadataPolicy: 'Fetch', property: 'team' },
          },
        ],
      }),
    );
    await waitEs(ns, 'ssm-read');
    expect(await secretData(ns, 'ssm-read')).toEqual({
      password: pw2,
      v1: pw1,
      stable: pw1,
      hosts: 'a.example,b.example',
      name: plainValue,
      team: 'web',
    });
  });

  it('finds by path (recursive), by tags and by name regexp', async () => {
    const m = mark();
    const slashes = { regexp: { source: '/', target: '_' } };
    apply(
      externalSecret(ns, 'ssm-find', {
        secretStoreRef: { name: 'ssm' },
        refreshInterval: '1h',
        dataFrom: [
          // Rewrites see the parameter names as found and must leave valid keys themselves
          // (ESO applies no conversionStrategy to rewritten keys).
          {
            find: { path: base },
            rewrite: [{ regexp: { source: `^/${run}/app/`, target: 'path-' } }, slashes],
          },
          {
            find: { tags: { run, team: 'web' } },
            rewrite: [{ regexp: { source: `^/${run}/`, target: 'tag-' } }, slashes],
          },
          {
            find: { name: { regexp: `^/${run}/.*/name$` } },
            rewrite: [{ regexp: { source: `^/${run}/`, target: 're-' } }, slashes],
          },
        ],
      }),
    );
    await waitEs(ns, 'ssm-find');
    expect(await secretData(ns, 'ssm-find')).toEqual({
      'path-db_password': pw2,
      'path-hosts': 'a.example,b.example',
      'path-name': plainValue,
      'tag-app_name': plainValue,
      'tag-elsewhere_name': 'other',
      're-app_name': plainValue,
      're-elsewhere_name': 'other',
    });
    const ops = operatorCalls(m).map((c) => c.op);
    expect(ops.filter((o) => o === 'ssm.GetParametersByPath').length).toBeGreaterThanOrEqual(1);
    expect(ops.filter((o) => o === 'ssm.GetParameter')).toHaveLength(0);
  });
});

describe('aws provider: IRSA and assumed roles', () => {
  it('exchanges a TokenRequest token with STS AssumeRoleWithWebIdentity for the annotated role', async () => {
    const value = secretValue('irsa');
    const name = `${run}/irsa`;
    await createSecret(name, value);
    const role = roleArn(`irsa-reader-${run}`);
    apply(serviceAccount(ns, 'irsa', role));
    const m = mark();
    apply(awsStore('irsa', { auth: { jwt: { serviceAccountRef: { name: 'irsa' } } } }));
    apply(
      externalSecret(ns, 'irsa', {
        secretStoreRef: { name: 'irsa' },
        refreshInterval: '1s',
        data: [{ secretKey: 'v', remoteRef: { key: name } }],
      }),
    );
    await waitEs(ns, 'irsa');
    expect(await secretData(ns, 'irsa')).toEqual({ v: value });
    // Several refreshes, one exchange: the credentials are cached until near expiry.
    await waitFor(
      'three more reads',
      () => operatorCalls(m).filter((c) => c.params.SecretId === name).length >= 4,
      { timeoutMs: 30_000 },
    );
    const calls = operatorCalls(m);
    const exchanges = calls.filter(
      (c) => c.op === 'sts.AssumeRoleWithWebIdentity' && c.params.RoleArn === role,
    );
    expect(exchanges).toHaveLength(1);
    const claims = jwtPayload(String(exchanges[0]!.params.WebIdentityToken));
    expect(claims.aud).toEqual(['sts.amazonaws.com']);
    expect(claims.sub).toBe(`system:serviceaccount:${ns}:irsa`);
    const reads = calls.filter((c) => c.params.SecretId === name);
    expect(reads[0]!.keyId).toMatch(/^ASIA/);
    expect(new Set(reads.map((r) => r.keyId)).size).toBe(1);
    apply(
      externalSecret(ns, 'irsa', {
        secretStoreRef: { name: 'irsa' },
        refreshInterval: '1h',
        data: [{ secretKey: 'v', remoteRef: { key: name } }],
      }),
    );
  });

  it('chains additionalRoles then role with externalID, session tags and transitive tag keys', async () => {
    const value = secretValue('chain');
    const name = `${run}/chain`;
    await createSecret(name, value);
    const hop = roleArn(`hop-${run}`);
    const final = roleArn(`final-${run}`);
    const m = mark();
    apply(
      awsStore('chain', {
        auth: staticAuth,
        additionalRoles: [hop],
        role: final,
        externalID: 'ext-e2e',
        sessionTags: [{ key: 'team', value: 'payments' }],
        transitiveTagKeys: ['team'],
      }),
    );
    apply(
      externalSecret(ns, 'chain', {
        secretStoreRef: { name: 'chain' },
        refreshInterval: '1h',
        data: [{ secretKey: 'v', remoteRef: { key: name } }],
      }),
    );
    await waitEs(ns, 'chain');
    expect(await secretData(ns, 'chain')).toEqual({ v: value });
    const calls = operatorCalls(m);
    const assumes = calls.filter((c) => c.op === 'sts.AssumeRole');
    expect(assumes.map((a) => a.params.RoleArn)).toEqual([hop, final]);
    expect(assumes[0]!.keyId).toBe(STATIC_KEY);
    expect(assumes[0]!.params.ExternalId).toBeUndefined();
    expect(assumes[1]!.keyId).toMatch(/^ASIA/);
    expect(assumes[1]!.params).toMatchObject({
      ExternalId: 'ext-e2e',
      'Tags.member.1.Key': 'team',
      'Tags.member.1.Value': 'payments',
      'TransitiveTagKeys.member.1': 'team',
    });
    const read = calls.find((c) => c.params.SecretId === name);
    expect(read!.keyId).toMatch(/^ASIA/);
    expect(read!.keyId).not.toBe(assumes[1]!.keyId);
  });

  it('reports a ServiceAccount without the role annotation', async () => {
    apply(serviceAccount(ns, 'plain-sa'));
    apply(awsStore('irsa-missing', { auth: { jwt: { serviceAccountRef: { name: 'plain-sa' } } } }));
    apply(
      externalSecret(ns, 'irsa-missing', {
        secretStoreRef: { name: 'irsa-missing' },
        data: [{ secretKey: 'v', remoteRef: { key: `${run}/irsa` } }],
      }),
    );
    const es = await waitEs(ns, 'irsa-missing', { status: 'False', reason: 'InvalidStoreConfiguration' });
    expect(ready(es)!.message).toContain(
      `ServiceAccount "${ns}/plain-sa" has no eks.amazonaws.com/role-arn annotation`,
    );
  });
});

describe('aws provider: errors', () => {
  it('names a missing secret, keeps the last good Secret when one is marked for deletion', async () => {
    apply(
      externalSecret(ns, 'ghost', {
        secretStoreRef: { name: 'static' },
        data: [{ secretKey: 'v', remoteRef: { key: `${run}/ghost` } }],
      }),
    );
    const ghost = await waitEs(ns, 'ghost', { status: 'False', reason: 'ProviderError' });
    expect(ready(ghost)!.message).toMatch(
      new RegExp(`secret "${run}/ghost" not found \\(ResourceNotFoundException, HTTP 4\\d\\d\\)`),
    );

    const value = secretValue('doomed');
    const name = `${run}/doomed`;
    await createSecret(name, value);
    apply(
      externalSecret(ns, 'doomed', {
        secretStoreRef: { name: 'static' },
        refreshInterval: '1s',
        data: [{ secretKey: 'v', remoteRef: { key: name } }],
      }),
    );
    await waitEs(ns, 'doomed');
    await smAdmin().send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7 }));
    const doomed = await waitEs(ns, 'doomed', { status: 'False', reason: 'ProviderError' });
    expect(ready(doomed)!.message).toContain(`secret "${name}" is marked for deletion`);
    expect(await secretData(ns, 'doomed')).toEqual({ v: value });
    remove('externalsecret', ns, 'doomed');
  });

  it('reports AccessDenied for an identity whose IAM policies do not allow the read', async () => {
    const value = secretValue('denied');
    const name = `${run}/denied`;
    await createSecret(name, value);
    const key = await iamUserWithoutPolicies(`denied-${run}`);
    apply(plainSecret(ns, 'denied-keys', { id: key.id, secret: key.secret }));
    apply(
      awsStore('denied', {
        auth: {
          secretRef: {
            accessKeyIDSecretRef: { name: 'denied-keys', key: 'id' },
            secretAccessKeySecretRef: { name: 'denied-keys', key: 'secret' },
          },
        },
      }),
    );
    await enforceIam(true);
    try {
      apply(
        externalSecret(ns, 'denied', {
          secretStoreRef: { name: 'denied' },
          data: [{ secretKey: 'v', remoteRef: { key: name } }],
        }),
      );
      const es = await waitEs(ns, 'denied', { status: 'False', reason: 'ProviderError' });
      expect(ready(es)!.message).toMatch(
        new RegExp(
          `^ProviderError: the store's AWS identity is not allowed to read secret "${name}" \\((AccessDeniedException, )?HTTP 4\\d\\d\\)$`,
        ),
      );
    } finally {
      await enforceIam(false);
    }
    expect(await secretData(ns, 'denied')).toBeUndefined();
  });

  it('retries a failing ExternalSecret no more often than its refresh interval', async () => {
    const name = `${run}/never`;
    apply(
      externalSecret(ns, 'paced', {
        secretStoreRef: { name: 'static' },
        refreshInterval: '3s',
        data: [{ secretKey: 'v', remoteRef: { key: name } }],
      }),
    );
    await waitEs(ns, 'paced', { status: 'False', reason: 'ProviderError' });
    const m = mark();
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 10_000));
    const elapsed = Date.now() - t0;
    const attempts = operatorCalls(m).filter(
      (c) => c.op === 'secretsmanager.GetSecretValue' && c.params.SecretId === name,
    ).length;
    expect(attempts).toBeGreaterThanOrEqual(1);
    expect(attempts).toBeLessThanOrEqual(Math.floor(elapsed / 3000) + 1);
    remove('externalsecret', ns, 'paced');
  });
});

describe('aws provider: throttling', () => {
  it('lets the SDK retry a throttled call with jitter, then backs off to the refresh interval', async () => {
    // moto never throttles, so this one scenario runs a second operator (its own controller
    // class) against a loopback endpoint that answers every call with ThrottlingException.
    const attempts: number[] = [];
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        attempts.push(Date.now());
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const throttled = await startOperator({
      name: 'aws-throttled',
      args: ['--controller-class', 'throttled'],
      env: operatorAwsEnv({ AWS_ENDPOINT_URL: url }),
    });
    try {
      apply({
        apiVersion: 'external-secrets.io/v1',
        kind: 'SecretStore',
        metadata: { name: 'throttled', namespace: ns },
        spec: {
          controller: 'throttled',
          provider: { aws: { service: 'SecretsManager', region: REGION, auth: staticAuth } },
        },
      });
      apply(
        externalSecret(ns, 'throttled', {
          secretStoreRef: { name: 'throttled' },
          refreshInterval: '4s',
          data: [{ secretKey: 'v', remoteRef: { key: `${run}/throttled` } }],
        }),
      );
      const es = await waitEs(ns, 'throttled', { status: 'False', reason: 'ProviderError' });
      expect(ready(es)!.message).toBe(
        `ProviderError: AWS throttled the request for secret "${run}/throttled" (ThrottlingException, HTTP 400)`,
      );
      const first = attempts.length;
      // The SDK's standard mode: 3 attempts per call.
      expect(first).toBe(3);
      const t0 = Date.now();
      await new Promise((r) => setTimeout(r, 10_000));
      const calls = Math.ceil((attempts.length - first) / 3);
      expect(calls).toBeLessThanOrEqual(Math.floor((Date.now() - t0) / 4000) + 1);
      expect(attempts.length % 3).toBe(0);
    } finally {
      remove('externalsecret', ns, 'throttled');
      await throttled.stop();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('aws provider: the seed example', () => {
  it('applies the ClusterSecretStore aws-secrets-manager and ExternalSecret webapp-secrets unchanged', async () => {
    const dbPassword = secretValue('seed-db');
    const apiKey = secretValue('seed-api');
    await upsertSecret('prod/myapp/database', JSON.stringify({ username: 'webapp', password: dbPassword }));
    await upsertSecret('prod/myapp/api', JSON.stringify({ key: apiKey }));
    // What EKS (eksctl, the Helm chart) sets up beside the manifests: the operator's
    // ServiceAccount with its IRSA role.
    // A kept cluster may still be removing the previous run's namespace.
    await waitFor(
      'namespace external-secrets not terminating',
      () => {
        const phase = kubectl([
          'get',
          'namespace',
          'external-secrets',
          '--ignore-not-found',
          '-o',
          'jsonpath={.status.phase}',
        ]);
        return phase.trim() !== 'Terminating';
      },
      { timeoutMs: 60_000 },
    );
    apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'external-secrets' } });
    apply(serviceAccount('external-secrets', 'external-secrets-sa', roleArn('external-secrets')));
    const file = join(ROOT, 'examples/providers/aws-secrets-manager.yaml');
    kubectl(['apply', '-n', ns, '-f', file]);
    try {
      await waitReady('clustersecretstores', undefined, 'aws-secrets-manager', {
        status: 'True',
        reason: 'Valid',
      });
      await waitEs(ns, 'webapp-secrets');
      expect(await secretData(ns, 'webapp-secrets')).toEqual({ DB_PASSWORD: dbPassword, API_KEY: apiKey });
      const es = await getEs(ns, 'webapp-secrets');
      expect(es!.apiVersion).toBe('external-secrets.io/v1');
    } finally {
      kubectl(['delete', '-n', ns, '-f', file, '--ignore-not-found', '--wait=false']);
      kubectl(['delete', 'namespace', 'external-secrets', '--ignore-not-found', '--wait=false']);
    }
  });
});
