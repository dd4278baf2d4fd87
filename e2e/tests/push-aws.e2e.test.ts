// PushSecret into moto's Secrets Manager and Parameter Store: ESO's defaults and tags, metadata
// (tags, description, type, KMS key, resource policy), property merge, IfNotExists, a remote
// someone else owns, deletionPolicy Delete and None, an outage (a proxy that refuses
// connections), and writes counted in moto's request recorder: an unchanged value costs none.

import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetResourcePolicyCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
} from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, ListTagsForResourceCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { apply, kubectl, newNamespace, plainSecret, remove, waitFor } from '../lib/kube.js';
import { startOperator } from '../lib/operator.js';
import type { OperatorHandle } from '../lib/operator.js';
import { forceSync, getPush, outageProxy, pushSecret, pushStatus, waitPush } from '../lib/push.js';
import { finishSuite } from '../lib/suite.js';
import type { Outage } from '../lib/push.js';
import { secretValue } from '../lib/values.js';
import {
  REGION,
  closeAdmins,
  mark,
  motoUrl,
  operatorCalls,
  operatorAwsEnv,
  smAdmin,
  ssmAdmin,
  startRecording,
  stopRecording,
} from './aws-moto.js';

let op: OperatorHandle;
let ns: string;
let proxy: Outage;
const sfx = Math.random().toString(16).slice(2, 8);
const v = {
  password: secretValue('a-pw'),
  password2: secretValue('a-pw2'),
  user: secretValue('a-user'),
  keep: secretValue('a-keep'),
  foreign: secretValue('a-foreign'),
  late: secretValue('a-late'),
};
const managed = { Key: 'managed-by', Value: 'external-secrets' };
const meta = (spec: object) => ({
  apiVersion: 'kubernetes.external-secrets.io/v1alpha1',
  kind: 'PushSecretMetadata',
  spec,
});
const WRITES =
  /\.(CreateSecret|PutSecretValue|TagResource|UntagResource|PutResourcePolicy|DeleteResourcePolicy|DeleteSecret|PutParameter|AddTagsToResource|RemoveTagsFromResource|DeleteParameter)$/;

function awsStore(name: string, service: string): object {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'SecretStore',
    metadata: { name, namespace: ns },
    spec: {
      provider: {
        aws: {
          service,
          region: REGION,
          prefix: `push-${sfx}/`,
          secretsManager: { forceDeleteWithoutRecovery: true },
          auth: {
            secretRef: {
              accessKeyIDSecretRef: { name: 'aws-keys', key: 'id' },
              secretAccessKeySecretRef: { name: 'aws-keys', key: 'secret' },
            },
          },
        },
      },
    },
  };
}

const smValue = async (name: string) => {
  try {
    const out = await smAdmin().send(new GetSecretValueCommand({ SecretId: `push-${sfx}/${name}` }));
    return (
      out.SecretString ?? (out.SecretBinary ? Buffer.from(out.SecretBinary).toString('utf8') : undefined)
    );
  } catch {
    return undefined;
  }
};
const psValue = async (name: string) => {
  try {
    return (
      await ssmAdmin().send(new GetParameterCommand({ Name: `push-${sfx}/${name}`, WithDecryption: true }))
    ).Parameter;
  } catch {
    return undefined;
  }
};
const written = (from: number) =>
  operatorCalls(from)
    .filter((c) => WRITES.test(c.op))
    .map((c) => c.op);

beforeAll(async () => {
  await startRecording();
  proxy = await outageProxy(motoUrl());
  op = await startOperator({ name: 'push-aws', env: operatorAwsEnv({ AWS_ENDPOINT_URL: proxy.url }) });
  ns = newNamespace('e2e-push-aws');
  apply(
    plainSecret(ns, 'aws-keys', { id: 'AKIAE2EPUSH000000000', secret: secretValue('aws-secret-key') }),
    plainSecret(ns, 'app', { password: v.password, user: v.user }),
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'policy', namespace: ns },
      data: {
        'policy.json': JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Deny', Principal: '*', Action: 'secretsmanager:DeleteSecret', Resource: '*' },
          ],
        }),
      },
    },
    awsStore('sm', 'SecretsManager'),
    awsStore('ps', 'ParameterStore'),
  );
});

afterAll(async () => {
  await stopRecording().catch(() => undefined);
  closeAdmins();
  await proxy?.close();
  await finishSuite(op);
});

describe('PushSecret into AWS Secrets Manager', () => {
  it('creates with ESO defaults and metadata, then follows the source without a version per refresh', async () => {
    apply(
      pushSecret(ns, 'sm', {
        secretStoreRefs: [{ name: 'sm' }],
        selector: { secret: { name: 'app' } },
        data: [
          {
            match: { secretKey: 'password', remoteRef: { remoteKey: 'db' } },
            metadata: meta({
              secretPushFormat: 'string',
              tags: { team: 'a' },
              description: 'the db',
              resourcePolicy: { policySourceRef: { kind: 'ConfigMap', name: 'policy', key: 'policy.json' } },
            }),
          },
          { match: { remoteRef: { remoteKey: 'all' } } },
        ],
      }),
    );
    await waitPush(ns, 'sm', { reason: 'Synced' });
    const d = await smAdmin().send(new DescribeSecretCommand({ SecretId: `push-${sfx}/db` }));
    expect(d.Tags).toEqual(expect.arrayContaining([managed, { Key: 'team', Value: 'a' }]));
    expect(d.Description).toBe('the db');
    expect(await smValue('db')).toBe(v.password);
    expect(
      JSON.parse(
        (await smAdmin().send(new GetResourcePolicyCommand({ SecretId: `push-${sfx}/db` }))).ResourcePolicy ??
          '{}',
      ).Statement[0].Effect,
    ).toBe('Deny');
    const all = await smAdmin().send(new DescribeSecretCommand({ SecretId: `push-${sfx}/all` }));
    expect(all.Description).toBe("secret 'managed-by:external-secrets'");
    expect(JSON.parse((await smValue('all')) ?? '{}')).toEqual({ password: v.password, user: v.user });

    const from = mark();
    const last = pushStatus(await getPush(ns, 'sm')).refreshTime ?? '';
    await new Promise((r) => setTimeout(r, 1100));
    forceSync(ns, 'sm', kubectl);
    await waitPush(ns, 'sm', { after: last });
    expect(written(from)).toEqual([]);
    const versions = await smAdmin().send(new ListSecretVersionIdsCommand({ SecretId: `push-${sfx}/db` }));
    expect(versions.Versions?.length).toBe(1);

    apply(plainSecret(ns, 'app', { password: v.password2, user: v.user }));
    await waitFor('the new value', async () => (await smValue('db')) === v.password2);
  });

  it('merges a property into a secret ESO created, refuses one it did not, and IfNotExists leaves it', async () => {
    await smAdmin().send(
      new CreateSecretCommand({
        Name: `push-${sfx}/merged`,
        SecretString: JSON.stringify({ keep: v.keep }),
        Tags: [managed],
      }),
    );
    await smAdmin().send(new CreateSecretCommand({ Name: `push-${sfx}/theirs`, SecretString: v.foreign }));
    apply(
      pushSecret(ns, 'merge', {
        secretStoreRefs: [{ name: 'sm' }],
        selector: { secret: { name: 'app' } },
        data: [{ match: { secretKey: 'user', remoteRef: { remoteKey: 'merged', property: 'db.user' } } }],
      }),
      pushSecret(ns, 'theirs', {
        secretStoreRefs: [{ name: 'sm' }],
        selector: { secret: { name: 'app' } },
        data: [{ match: { secretKey: 'user', remoteRef: { remoteKey: 'theirs' } } }],
      }),
      pushSecret(ns, 'once', {
        updatePolicy: 'IfNotExists',
        secretStoreRefs: [{ name: 'sm' }],
        selector: { secret: { name: 'app' } },
        data: [{ match: { secretKey: 'user', remoteRef: { remoteKey: 'theirs' } } }],
      }),
    );
    await waitPush(ns, 'merge');
    expect(JSON.parse((await smValue('merged')) ?? '{}')).toEqual({ keep: v.keep, db: { user: v.user } });
    const refused = await waitPush(ns, 'theirs', { status: 'False', reason: 'Errored' });
    expect(refused.status?.conditions?.[0]?.message).toMatch(
      /not created by Syncret or ESO \(no tag managed-by=external-secrets\)/,
    );
    await waitPush(ns, 'once');
    expect(await smValue('theirs')).toBe(v.foreign);
  });

  it('deletionPolicy Delete deletes what it owns; None keeps it', async () => {
    apply(
      pushSecret(ns, 'del', {
        deletionPolicy: 'Delete',
        secretStoreRefs: [{ name: 'sm' }],
        selector: { secret: { name: 'app' } },
        data: [
          { match: { secretKey: 'user', remoteRef: { remoteKey: 'gone' } } },
          { match: { secretKey: 'user', remoteRef: { remoteKey: 'theirs' } } },
        ],
      }),
      pushSecret(ns, 'none', {
        secretStoreRefs: [{ name: 'sm' }],
        selector: { secret: { name: 'app' } },
        data: [{ match: { secretKey: 'user', remoteRef: { remoteKey: 'kept' } } }],
      }),
    );
    await waitFor('gone created', async () => (await smValue('gone')) === v.user);
    await waitPush(ns, 'none');
    remove('pushsecret', ns, 'del');
    remove('pushsecret', ns, 'none');
    await waitFor('both gone', async () => !(await getPush(ns, 'del')) && !(await getPush(ns, 'none')));
    expect(await smValue('gone')).toBeUndefined();
    expect(await smValue('theirs')).toBe(v.foreign);
    expect(await smValue('kept')).toBe(v.user);
  });
});

describe('PushSecret into AWS Parameter Store', () => {
  it('creates with ESO defaults, type and tags; writes nothing when unchanged; merges; refuses others', async () => {
    await ssmAdmin().send(
      new PutParameterCommand({ Name: `push-${sfx}/theirs`, Value: v.foreign, Type: 'String' }),
    );
    apply(
      pushSecret(ns, 'ps', {
        secretStoreRefs: [{ name: 'ps' }],
        selector: { secret: { name: 'app' } },
        data: [
          {
            match: { secretKey: 'password', remoteRef: { remoteKey: 'db' } },
            metadata: meta({ secretType: 'SecureString', tags: { team: 'a' } }),
          },
          { match: { secretKey: 'user', remoteRef: { remoteKey: 'json', property: 'user' } } },
          { match: { remoteRef: { remoteKey: 'all' } }, metadata: meta({ encodeAsDecoded: true }) },
        ],
      }),
    );
    await waitPush(ns, 'ps');
    const db = await psValue('db');
    expect([db?.Type, db?.Value]).toEqual(['SecureString', v.password2]);
    const tags = await ssmAdmin().send(
      new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: `push-${sfx}/db` }),
    );
    expect(tags.TagList).toEqual(expect.arrayContaining([managed, { Key: 'team', Value: 'a' }]));
    expect(JSON.parse((await psValue('json'))?.Value ?? '{}')).toEqual({ user: v.user });
    expect(JSON.parse((await psValue('all'))?.Value ?? '{}')).toEqual({
      password: v.password2,
      user: v.user,
    });

    const from = mark();
    const last = pushStatus(await getPush(ns, 'ps')).refreshTime ?? '';
    await new Promise((r) => setTimeout(r, 1100));
    forceSync(ns, 'ps', kubectl);
    await waitPush(ns, 'ps', { after: last });
    expect(written(from)).toEqual([]);

    apply(
      pushSecret(ns, 'ps-theirs', {
        deletionPolicy: 'Delete',
        secretStoreRefs: [{ name: 'ps' }],
        selector: { secret: { name: 'app' } },
        data: [{ match: { secretKey: 'user', remoteRef: { remoteKey: 'theirs' } } }],
      }),
    );
    await waitPush(ns, 'ps-theirs', {
      status: 'False',
      reason: 'Errored',
      message: /not created by Syncret or ESO/,
    });
    remove('pushsecret', ns, 'ps-theirs');
    await waitFor('ps-theirs gone', async () => !(await getPush(ns, 'ps-theirs')));
    expect((await psValue('theirs'))?.Value).toBe(v.foreign);
  });
});

describe('PushSecret while AWS is unreachable', () => {
  it('retries with backoff, deletes nothing, and pushes once AWS answers again', async () => {
    apply(
      plainSecret(ns, 'late', { value: v.password }),
      pushSecret(ns, 'outage', {
        deletionPolicy: 'Delete',
        secretStoreRefs: [{ name: 'sm' }],
        selector: { secret: { name: 'late' } },
        data: [{ match: { secretKey: 'value', remoteRef: { remoteKey: 'outage' } } }],
      }),
    );
    await waitFor('pushed', async () => (await smValue('outage')) === v.password);
    proxy.down();
    try {
      apply(plainSecret(ns, 'late', { value: v.late }));
      await waitPush(ns, 'outage', {
        status: 'False',
        reason: 'Errored',
        message: /cannot reach AWS|unavailable|failed/i,
      });
      expect(await smValue('outage')).toBe(v.password);
    } finally {
      proxy.up();
    }
    await waitFor('pushed after the outage', async () => (await smValue('outage')) === v.late, {
      timeoutMs: 45_000,
    });
  }, 90_000);
});
