// The aws provider against moto (Secrets Manager, Parameter Store, STS) on loopback. The
// operator gets only the standard SDK variables (AWS_ENDPOINT_URL, AWS_REGION); moto's request
// recorder shows which AWS calls it made, signed with which key, with which parameters.

import { randomBytes } from 'node:crypto';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  apply,
  externalSecret,
  getSecret,
  newNamespace,
  plainSecret,
  secretData,
  waitEs,
  waitFor,
  waitReady,
} from '../lib/kube.js';
import { startOperator } from '../lib/operator.js';
import type { OperatorHandle } from '../lib/operator.js';
import { finishSuite } from '../lib/suite.js';
import { secretValue } from '../lib/values.js';
import {
  DEFAULT_CHAIN_KEY,
  REGION,
  closeAdmins,
  mark,
  operatorAwsEnv,
  operatorCalls,
  smAdmin,
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
