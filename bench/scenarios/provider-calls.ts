// Scenario 6: 1,000 ExternalSecrets across 10 namespaces reading 10 distinct AWS secrets (moto)
// through one ClusterSecretStore, refreshed every minute: provider calls per refresh cycle.
// The target is one call per distinct remote secret, not one per ExternalSecret.

import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { serversEnv } from '../../e2e/lib/servers.js';
import { pool } from '../lib/api.js';
import type { Ctx } from '../lib/context.js';
import { round } from '../lib/stats.js';
import {
  CREATE_CONCURRENCY,
  GROUP_PATH,
  ReadyTracker,
  deleteNamespaces,
  ensureNamespace,
  esName,
} from '../lib/world.js';

const NAMESPACES = 10;
const DISTINCT = 10;

export async function providerCalls(ctx: Ctx, n: number, cycles: number, intervalS: number): Promise<void> {
  const t0 = Date.now();
  const { api } = ctx;
  const env = serversEnv();
  const url = env.AWS_ENDPOINT_URL;
  if (!url) throw new Error('moto is not running (e2e/tools/servers.sh up moto)');
  const region = env.AWS_REGION ?? 'us-east-1';
  const run = Date.now().toString(36);
  const sm = new SecretsManagerClient({
    region,
    endpoint: url,
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID ?? 'x',
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? 'x',
    },
  });
  const keys = Array.from({ length: DISTINCT }, (_, i) => `bench/${run}/app-${i}`);
  for (const k of keys)
    await sm.send(
      new CreateSecretCommand({ Name: k, SecretString: JSON.stringify({ password: `not-a-secret-${k}` }) }),
    );
  sm.destroy();

  const store = `bench-aws-${run}`;
  await api.must('POST', `${GROUP_PATH}/clustersecretstores`, {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ClusterSecretStore',
    metadata: { name: store },
    spec: { provider: { aws: { service: 'SecretsManager', region } } },
  });
  const op = await ctx.startOperator('provider-calls', [], {
    AWS_ENDPOINT_URL: url,
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID ?? 'x',
    AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY ?? 'x',
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  const namespaces = Array.from({ length: NAMESPACES }, (_, i) => `bench-aws-${i}`);
  const perNs = Math.ceil(n / NAMESPACES);
  const trackers: ReadyTracker[] = [];
  for (const ns of namespaces) {
    await ensureNamespace(api, ns);
    const t = new ReadyTracker(api, ns);
    await t.start();
    trackers.push(t);
  }
  ctx.log(
    `provider calls: ${n} ExternalSecrets in ${NAMESPACES} namespaces on ${DISTINCT} AWS secrets, refresh ${intervalS}s`,
  );
  const items = Array.from({ length: n }, (_, i) => i);
  await pool(items, CREATE_CONCURRENCY, async (i) => {
    const ns = namespaces[i % NAMESPACES]!;
    await api.must('POST', `${GROUP_PATH}/namespaces/${ns}/externalsecrets`, {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: esName(i), namespace: ns },
      spec: {
        refreshInterval: `${intervalS}s`,
        secretStoreRef: { name: store, kind: 'ClusterSecretStore' },
        target: { name: esName(i) },
        data: [{ secretKey: 'password', remoteRef: { key: keys[i % DISTINCT]!, property: 'password' } }],
      },
    });
  });
  await Promise.all(trackers.map((t) => t.waitFor(perNs, 900_000)));
  await Promise.all(trackers.map((t) => t.stop()));
  const firstSyncCalls = await op.metric('syncret_provider_calls_total', { operation: 'get' });
  // Each ExternalSecret refreshes one interval after its own sync plus a stable offset under 10 %
  // of the interval (src/runtime/schedule.ts). The first syncs took a few seconds, so from now
  // until every ExternalSecret has refreshed `cycles` times is exactly that many whole cycles: no
  // warm-up interval, and no window that cuts a cycle in two.
  const before = await op.metric('syncret_provider_calls_total', { operation: 'get' });
  const sharedBefore = await op.metric('syncret_provider_shared_reads_total', { operation: 'get' });
  const syncsBefore = await op.metric('syncret_sync_total');
  ctx.log(`provider calls: all Ready after ${firstSyncCalls} get calls; watching ${cycles} refresh cycles`);
  const deadline = Date.now() + cycles * intervalS * 1100 + 15_000;
  while ((await op.metric('syncret_sync_total')) - syncsBefore < n * cycles) {
    if (Date.now() > deadline) throw new Error(`not every ExternalSecret refreshed ${cycles} times in time`);
    await new Promise((r) => setTimeout(r, 500));
  }
  // Late stragglers of the same cycle (a retry) would still count.
  await new Promise((r) => setTimeout(r, 2_000));
  const calls = (await op.metric('syncret_provider_calls_total', { operation: 'get' })) - before;
  const shared =
    (await op.metric('syncret_provider_shared_reads_total', { operation: 'get' })) - sharedBefore;
  const syncs = (await op.metric('syncret_sync_total')) - syncsBefore;
  const perCycle = calls / cycles;
  ctx.log(
    `provider calls: ${perCycle.toFixed(1)} get calls per cycle for ${DISTINCT} distinct secrets (${syncs} syncs, ${shared} shared reads)`,
  );
  await ctx.stopOperator();
  // The last scenario: nothing is measured after it.
  await deleteNamespaces(api, namespaces, { wait: false });
  await api.call('DELETE', `${GROUP_PATH}/clustersecretstores/${store}`);
  ctx.results.push({
    id: '6-provider-calls',
    title: `Provider calls: ${n} ExternalSecrets, ${NAMESPACES} namespaces, ${DISTINCT} distinct AWS secrets (moto)`,
    params: { n, distinct: DISTINCT, interval_s: intervalS, cycles },
    metrics: {
      first_sync_get_calls: firstSyncCalls,
      get_calls_per_cycle: round(perCycle, 1),
      syncs_per_cycle: round(syncs / cycles, 1),
      shared_reads_per_cycle: round(shared / cycles, 1),
    },
    targets: [
      {
        name: 'provider calls per refresh cycle',
        value: round(perCycle, 1),
        op: '<=',
        target: DISTINCT,
        unit: 'calls',
      },
    ],
    notes: [],
    seconds: round((Date.now() - t0) / 1000, 1),
  });
}
