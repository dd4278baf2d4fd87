// Scenario 8: 1,000 PushSecrets across 10 namespaces, each pushing its own unchanging Secret to
// its own AWS Secrets Manager secret (moto) through one ClusterSecretStore, refreshed every
// minute: backend calls per refresh cycle, counted by moto's request recorder. The target is
// zero writes per cycle: only the reads a compare needs (DescribeSecret, GetSecretValue).

import { serversEnv } from '../../e2e/lib/servers.js';
import { startRecording, since, mark, stopRecording } from '../../e2e/tests/aws-moto.js';
import { pool } from '../lib/api.js';
import type { Ctx } from '../lib/context.js';
import { round } from '../lib/stats.js';
import { CREATE_CONCURRENCY, deleteNamespaces, ensureNamespace } from '../lib/world.js';

const NAMESPACES = 10;
const PUSH_PATH = '/apis/external-secrets.io/v1alpha1';
const WRITE =
  /\.(CreateSecret|PutSecretValue|TagResource|UntagResource|PutResourcePolicy|DeleteResourcePolicy|DeleteSecret|ReplicateSecretToRegions|RemoveRegionsFromReplication)$/;

interface PushList {
  items: { status?: { conditions?: { type: string; status: string }[] } }[];
}

/** PushSecrets with Ready=True; a list the apiserver could not answer in time counts none (polled again). */
async function readyCount(ctx: Ctx, namespaces: string[]): Promise<number> {
  let n = 0;
  for (const ns of namespaces) {
    const r = await ctx.api.call<PushList>('GET', `${PUSH_PATH}/namespaces/${ns}/pushsecrets`);
    if (r.status !== 200) continue;
    const list = r.body;
    n += list.items.filter((o) =>
      o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    ).length;
  }
  return n;
}

export async function pushScenario(ctx: Ctx, n: number, intervalS: number): Promise<void> {
  const t0 = Date.now();
  const { api } = ctx;
  const env = serversEnv();
  const url = env.AWS_ENDPOINT_URL;
  if (!url) throw new Error('moto is not running (e2e/tools/servers.sh up moto)');
  const region = env.AWS_REGION ?? 'us-east-1';
  const run = Date.now().toString(36);
  const store = `bench-push-${run}`;
  await api.must('POST', '/apis/external-secrets.io/v1/clustersecretstores', {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ClusterSecretStore',
    metadata: { name: store },
    spec: { provider: { aws: { service: 'SecretsManager', region, prefix: `bench/${run}/` } } },
  });
  await startRecording();
  const op = await ctx.startOperator('push', [], {
    AWS_ENDPOINT_URL: url,
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID ?? 'x',
    AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY ?? 'x',
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  const namespaces = Array.from({ length: NAMESPACES }, (_, i) => `bench-push-${i}`);
  for (const ns of namespaces) await ensureNamespace(api, ns);
  ctx.log(
    `push: ${n} PushSecrets in ${NAMESPACES} namespaces to moto Secrets Manager, refresh ${intervalS}s`,
  );
  const created = Date.now();
  await pool(
    Array.from({ length: n }, (_, i) => i),
    CREATE_CONCURRENCY,
    async (i) => {
      const ns = namespaces[i % NAMESPACES]!;
      const name = `ps-${String(i).padStart(5, '0')}`;
      await api.must('POST', `/api/v1/namespaces/${ns}/secrets`, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name, namespace: ns },
        stringData: { password: `not-a-secret-${run}-${i}` },
      });
      await api.must('POST', `${PUSH_PATH}/namespaces/${ns}/pushsecrets`, {
        apiVersion: 'external-secrets.io/v1alpha1',
        kind: 'PushSecret',
        metadata: { name, namespace: ns },
        spec: {
          refreshInterval: `${intervalS}s`,
          secretStoreRefs: [{ name: store, kind: 'ClusterSecretStore' }],
          selector: { secret: { name } },
          data: [{ match: { secretKey: 'password', remoteRef: { remoteKey: `${ns}/${name}` } } }],
        },
      });
    },
  );
  const deadline = Date.now() + 2_400_000;
  while ((await readyCount(ctx, namespaces)) < n) {
    if (Date.now() > deadline) throw new Error('not every PushSecret became Ready in time');
    await new Promise((r) => setTimeout(r, 2_000));
  }
  const firstPushS = (Date.now() - created) / 1000;
  const from = mark();
  const syncsBefore = await op.metric('syncret_sync_total', { kind: 'PushSecret' });
  ctx.log(`push: all Ready after ${round(firstPushS, 1)} s; watching one refresh cycle`);
  // One cycle is every PushSecret pushed once more; on a loaded machine that takes longer than
  // the interval, and every push in the window is of an unchanged source all the same.
  const cycleEnd = Date.now() + Math.max(intervalS * 1100 + 30_000, 900_000);
  while ((await op.metric('syncret_sync_total', { kind: 'PushSecret' })) - syncsBefore < n) {
    if (Date.now() > cycleEnd) throw new Error('not every PushSecret refreshed in time');
    await new Promise((r) => setTimeout(r, 500));
  }
  await new Promise((r) => setTimeout(r, 2_000));
  const calls = since(from).filter((c) => c.op.startsWith('secretsmanager.'));
  const writes = calls.filter((c) => WRITE.test(c.op)).length;
  const reads = calls.length - writes;
  const syncs = (await op.metric('syncret_sync_total', { kind: 'PushSecret' })) - syncsBefore;
  ctx.log(`push: ${writes} writes and ${reads} reads in one cycle (${syncs} pushes)`);
  await stopRecording();
  await ctx.stopOperator();
  await deleteNamespaces(api, namespaces, { wait: false });
  await api.call('DELETE', `/apis/external-secrets.io/v1/clustersecretstores/${store}`);
  ctx.results.push({
    id: '8-push',
    title: `PushSecret: ${n} unchanged sources to moto Secrets Manager, one refresh cycle`,
    params: { n, namespaces: NAMESPACES, interval_s: intervalS },
    metrics: {
      first_push_s: round(firstPushS, 1),
      pushes_per_cycle: syncs,
      writes_per_cycle: writes,
      reads_per_cycle: reads,
      reads_per_push: round(reads / Math.max(1, syncs), 2),
    },
    targets: [
      { name: 'provider writes per refresh cycle', value: writes, op: '<=', target: 0, unit: 'writes' },
    ],
    notes: [],
    seconds: round((Date.now() - t0) / 1000, 1),
  });
}
