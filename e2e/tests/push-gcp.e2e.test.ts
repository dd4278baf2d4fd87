// PushSecret into the Secret Manager emulator (e2e/tools/servers/gcpsm.sh): ESO's label and
// metadata (labels, annotations, mergePolicy, replication), a version only when the value
// changes (counted in the emulator's request log), property merge, IfNotExists, a secret
// someone else owns, deletionPolicy Delete and None, and an outage through a proxy.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { OAuth2Client } from 'google-auth-library';
import { grpc } from 'google-gax';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { apply, kubectl, newNamespace, plainSecret, remove, waitFor } from '../lib/kube.js';
import { startOperator } from '../lib/operator.js';
import type { OperatorHandle } from '../lib/operator.js';
import { forceSync, getPush, outageProxy, pushSecret, pushStatus, waitPush } from '../lib/push.js';
import { finishSuite } from '../lib/suite.js';
import type { Outage } from '../lib/push.js';
import { serverVar } from '../lib/servers.js';
import { secretValue } from '../lib/values.js';
import { serviceAccountKey } from '../../src/providers/gcpsm/testing.js';

let op: OperatorHandle;
let ns: string;
let admin: SecretManagerServiceClient;
let proxy: Outage;
const project = `push-${randomBytes(4).toString('hex')}`;
const v = {
  password: secretValue('g-pw'),
  password2: secretValue('g-pw2'),
  user: secretValue('g-user'),
  keep: secretValue('g-keep'),
  foreign: secretValue('g-foreign'),
  late: secretValue('g-late'),
};
const meta = (spec: object) => ({
  apiVersion: 'kubernetes.external-secrets.io/v1alpha1',
  kind: 'PushSecretMetadata',
  spec,
});
const path = (id: string) => `projects/${project}/secrets/${id}`;

async function latest(id: string): Promise<string | undefined> {
  try {
    const [r] = await admin.accessSecretVersion({ name: `${path(id)}/versions/latest` });
    return Buffer.from(r.payload?.data ?? '').toString('utf8');
  } catch {
    return undefined;
  }
}

async function info(id: string) {
  try {
    return (await admin.getSecret({ name: path(id) }))[0];
  } catch {
    return undefined;
  }
}

const versions = async (id: string) => (await admin.listSecretVersions({ parent: path(id) }))[0].length;

/** Write calls the emulator logged for this run's project since line `from`. */
function writes(from: number): string[] {
  const lines = readFileSync(serverVar('GCPSM_REQUEST_LOG'), 'utf8').split('\n').filter(Boolean);
  return lines
    .slice(from)
    .map((l) => JSON.parse(l) as { rpc: string; resource: string })
    .filter((e) => e.resource.includes(`/${project}/`) || e.resource === `projects/${project}`)
    .filter((e) => /^(CreateSecret|AddSecretVersion|UpdateSecret|DeleteSecret)$/.test(e.rpc))
    .map((e) => `${e.rpc} ${e.resource}`);
}
const logLines = () =>
  readFileSync(serverVar('GCPSM_REQUEST_LOG'), 'utf8').split('\n').filter(Boolean).length;

beforeAll(async () => {
  const host = serverVar('GCPSM_EMULATOR_HOST');
  admin = new SecretManagerServiceClient({
    apiEndpoint: host.split(':')[0],
    port: Number(host.split(':')[1]),
    sslCreds: grpc.credentials.createInsecure(),
    authClient: new OAuth2Client(),
  });
  proxy = await outageProxy(`tcp://${host}`);
  op = await startOperator({
    name: 'push-gcp',
    env: { SYNCRET_GCPSM_EMULATOR_HOST: proxy.url.replace(/^tcp:\/\//, '') },
  });
  ns = newNamespace('e2e-push-gcp');
  apply(
    plainSecret(ns, 'gcp-key', {
      'key.json': serviceAccountKey(`pusher@${project}.iam.gserviceaccount.com`),
    }),
    plainSecret(ns, 'app', { password: v.password, user: v.user }),
    {
      apiVersion: 'external-secrets.io/v1',
      kind: 'SecretStore',
      metadata: { name: 'gcp', namespace: ns },
      spec: {
        provider: {
          gcpsm: {
            projectID: project,
            auth: { secretRef: { secretAccessKeySecretRef: { name: 'gcp-key', key: 'key.json' } } },
          },
        },
      },
    },
  );
}, 60_000);

afterAll(async () => {
  await admin?.close();
  await proxy?.close();
  await finishSuite(op);
});

describe('PushSecret into GCP Secret Manager', () => {
  it('creates with the label and metadata, adds a version only when the value changes', async () => {
    apply(
      pushSecret(ns, 'gcp', {
        secretStoreRefs: [{ name: 'gcp' }],
        selector: { secret: { name: 'app' } },
        data: [
          {
            match: { secretKey: 'password', remoteRef: { remoteKey: 'db' } },
            metadata: meta({
              labels: { team: 'a' },
              annotations: { 'example.com/owner': 'ops' },
              replicationLocations: ['europe-west1'],
            }),
          },
          { match: { remoteRef: { remoteKey: 'all' } } },
        ],
      }),
    );
    await waitPush(ns, 'gcp', { reason: 'Synced' });
    const db = await info('db');
    expect(db?.labels).toEqual({ team: 'a', 'managed-by': 'external-secrets' });
    expect(db?.annotations).toEqual({ 'example.com/owner': 'ops' });
    expect(JSON.stringify(db?.replication)).toContain('europe-west1');
    expect(await latest('db')).toBe(v.password);
    expect(JSON.parse((await latest('all')) ?? '{}')).toEqual({ password: v.password, user: v.user });

    const from = logLines();
    const last = pushStatus(await getPush(ns, 'gcp')).refreshTime ?? '';
    await new Promise((r) => setTimeout(r, 1100));
    forceSync(ns, 'gcp', kubectl);
    await waitPush(ns, 'gcp', { after: last });
    expect(writes(from)).toEqual([]);
    expect(await versions('db')).toBe(1);

    apply(plainSecret(ns, 'app', { password: v.password2, user: v.user }));
    await waitFor('the new version', async () => (await latest('db')) === v.password2);
    expect(await versions('db')).toBe(2);
  });

  it('merges a property, refuses a secret it did not create, IfNotExists leaves it', async () => {
    await admin.createSecret({
      parent: `projects/${project}`,
      secretId: 'merged',
      secret: { replication: { automatic: {} }, labels: { 'managed-by': 'external-secrets' } },
    });
    await admin.addSecretVersion({
      parent: path('merged'),
      payload: { data: Buffer.from(JSON.stringify({ keep: v.keep })) },
    });
    await admin.createSecret({
      parent: `projects/${project}`,
      secretId: 'theirs',
      secret: { replication: { automatic: {} } },
    });
    await admin.addSecretVersion({ parent: path('theirs'), payload: { data: Buffer.from(v.foreign) } });
    apply(
      pushSecret(ns, 'merge', {
        secretStoreRefs: [{ name: 'gcp' }],
        selector: { secret: { name: 'app' } },
        data: [{ match: { secretKey: 'user', remoteRef: { remoteKey: 'merged', property: 'user' } } }],
      }),
      pushSecret(ns, 'theirs', {
        secretStoreRefs: [{ name: 'gcp' }],
        selector: { secret: { name: 'app' } },
        data: [{ match: { secretKey: 'user', remoteRef: { remoteKey: 'theirs', property: 'user' } } }],
      }),
      pushSecret(ns, 'once', {
        updatePolicy: 'IfNotExists',
        secretStoreRefs: [{ name: 'gcp' }],
        selector: { secret: { name: 'app' } },
        data: [{ match: { secretKey: 'user', remoteRef: { remoteKey: 'theirs' } } }],
      }),
    );
    await waitPush(ns, 'merge');
    expect(JSON.parse((await latest('merged')) ?? '{}')).toEqual({ keep: v.keep, user: v.user });
    const refused = await waitPush(ns, 'theirs', { status: 'False', reason: 'Errored' });
    expect(refused.status?.conditions?.[0]?.message).toMatch(
      /not created by Syncret or ESO \(no label managed-by=external-secrets\)/,
    );
    await waitPush(ns, 'once');
    expect(await latest('theirs')).toBe(v.foreign);
    expect((await info('theirs'))?.labels).toEqual({});
  });

  it('deletionPolicy Delete deletes what it owns; None keeps it', async () => {
    apply(
      pushSecret(ns, 'del', {
        deletionPolicy: 'Delete',
        secretStoreRefs: [{ name: 'gcp' }],
        selector: { secret: { name: 'app' } },
        data: [
          { match: { secretKey: 'user', remoteRef: { remoteKey: 'gone' } } },
          { match: { secretKey: 'user', remoteRef: { remoteKey: 'theirs' } } },
        ],
      }),
      pushSecret(ns, 'none', {
        secretStoreRefs: [{ name: 'gcp' }],
        selector: { secret: { name: 'app' } },
        data: [{ match: { secretKey: 'user', remoteRef: { remoteKey: 'kept' } } }],
      }),
    );
    await waitFor('gone created', async () => (await latest('gone')) === v.user);
    await waitPush(ns, 'none');
    remove('pushsecret', ns, 'del');
    remove('pushsecret', ns, 'none');
    await waitFor('both gone', async () => !(await getPush(ns, 'del')) && !(await getPush(ns, 'none')));
    expect(await info('gone')).toBeUndefined();
    expect(await latest('theirs')).toBe(v.foreign);
    expect(await latest('kept')).toBe(v.user);
  });

  it('retries while Secret Manager is unreachable, deletes nothing, then pushes', async () => {
    apply(
      plainSecret(ns, 'late', { value: v.password }),
      pushSecret(ns, 'outage', {
        deletionPolicy: 'Delete',
        secretStoreRefs: [{ name: 'gcp' }],
        selector: { secret: { name: 'late' } },
        data: [{ match: { secretKey: 'value', remoteRef: { remoteKey: 'outage' } } }],
      }),
    );
    await waitFor('pushed', async () => (await latest('outage')) === v.password);
    proxy.down();
    try {
      apply(plainSecret(ns, 'late', { value: v.late }));
      await waitPush(ns, 'outage', { status: 'False', reason: 'Errored', message: /unavailable|failed/i });
      expect(await latest('outage')).toBe(v.password);
    } finally {
      proxy.up();
    }
    await waitFor('pushed after the outage', async () => (await latest('outage')) === v.late, {
      timeoutMs: 45_000,
    });
  }, 90_000);
});
