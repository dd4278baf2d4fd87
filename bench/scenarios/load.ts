// Scenario 3: N ExternalSecrets all due for refresh at once (each got a new force-sync
// annotation while the operator was down), then M new ones are created: their create-to-Ready.

import { pool } from '../lib/api.js';
import type { Ctx } from '../lib/context.js';
import { cdfCurve, round, summary } from '../lib/stats.js';
import {
  GROUP_PATH,
  CREATE_CONCURRENCY,
  ReadyTracker,
  createExternalSecrets,
  createFakeStore,
  deleteNamespaces,
  ensureNamespace,
  esName,
} from '../lib/world.js';

export async function underLoad(ctx: Ctx, loadNs: string, n: number, m: number): Promise<void> {
  const t0 = Date.now();
  const { api } = ctx;
  await ctx.stopOperator();
  const stamp = String(Date.now());
  ctx.log(`under load: marking ${n} ExternalSecrets for refresh (force-sync annotation)`);
  await pool(
    Array.from({ length: n }, (_, i) => esName(i)),
    CREATE_CONCURRENCY,
    (name) =>
      api
        .must(
          'PATCH',
          `${GROUP_PATH}/namespaces/${loadNs}/externalsecrets/${name}`,
          { metadata: { annotations: { 'force-sync': stamp } } },
          'application/merge-patch+json',
        )
        .then(() => undefined),
  );
  const ns = 'bench-new';
  await ensureNamespace(api, ns);
  await createFakeStore(api, ns);
  const tracker = new ReadyTracker(api, ns);
  await tracker.start();
  const op = await ctx.startOperator('under-load');
  // Wait until the backlog is really there before creating the new objects.
  const deadline = Date.now() + 60_000;
  while ((await op.metric('syncret_queue_depth')) < Math.min(1000, n / 2) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  const depthAtStart = await op.metric('syncret_queue_depth');
  const created = await createExternalSecrets(api, ns, 0, m);
  await tracker.waitFor(m, 600_000);
  const depthAtEnd = await op.metric('syncret_queue_depth');
  await tracker.stop();
  const latencies = [...created].map(([name, at]) => (tracker.readyAt.get(name)! - at) / 1000);
  const s = summary(latencies);
  ctx.log(
    `under load: ${m} new ExternalSecrets with ${depthAtStart} queued: p50 ${s.p50.toFixed(3)} s, p99 ${s.p99.toFixed(3)} s`,
  );
  const { drained } = await import('./restart.js');
  await drained(op, 600_000);
  await deleteNamespaces(api, [ns]);
  ctx.results.push({
    id: '3-under-load',
    title: `Create under load: ${m} new ExternalSecrets while ${n} refreshes are queued`,
    params: { n, m },
    metrics: {
      queue_depth_at_create: depthAtStart,
      queue_depth_when_new_ready: depthAtEnd,
      create_to_ready_p50_s: round(s.p50, 3),
      create_to_ready_p99_s: round(s.p99, 3),
    },
    targets: [{ name: 'new create-to-Ready p99', value: round(s.p99, 3), op: '<=', target: 1, unit: 's' }],
    notes: [],
    seconds: round((Date.now() - t0) / 1000, 1),
    curves: { create_to_ready_cdf: cdfCurve(latencies) },
  });
}
