// Scenario 4: N ExternalSecrets synced with refreshInterval 1h; the operator's RSS, heap and CPU
// over a quiet window, and its requests per minute to the apiserver.
// Scenario 5: then M unrelated Secrets of B bytes appear; the operator's RSS must not follow.

import { pool } from '../lib/api.js';
import type { Ctx } from '../lib/context.js';
import { MiB } from '../lib/context.js';
import { cpuSeconds, rssKinds, sampleRss } from '../lib/proc.js';
import { round, sampleCurve } from '../lib/stats.js';
import {
  CREATE_CONCURRENCY,
  ReadyTracker,
  createExternalSecrets,
  createFakeStore,
  deleteNamespaces,
  ensureNamespace,
} from '../lib/world.js';
import { drained } from './restart.js';

export async function steady(ctx: Ctx, reuseNs: string | undefined, reuseN: number): Promise<string> {
  const t0 = Date.now();
  const { api, opts } = ctx;
  const n = opts.steadyN;
  let ns = reuseNs;
  let have = reuseNs ? reuseN : 0;
  if (!ns) {
    ns = 'bench-steady';
    await ensureNamespace(api, ns);
    await createFakeStore(api, ns);
  }
  let op = ctx.operator() ?? (await ctx.startOperator('steady'));
  const tracker = new ReadyTracker(api, ns);
  await tracker.start();
  if (have < n) {
    ctx.log(`steady: creating ${n - have} more ExternalSecrets (to ${n})`);
    await createExternalSecrets(api, ns, have, n - have);
    have = n;
  }
  await tracker.waitFor(n, 900_000);
  await tracker.stop();
  // A fresh process: RSS after a burst of work says more about the allocator than the design.
  op = await ctx.startOperator('steady');
  await drained(op, 600_000, n);
  await new Promise((r) => setTimeout(r, 5_000));
  const cpu0 = cpuSeconds(op.pid);
  const req0 = await op.metric('syncret_kube_requests_total');
  const calls0 = await op.metric('syncret_provider_calls_total');
  const rss = sampleRss(op.pid);
  ctx.log(`steady: ${n} ExternalSecrets; measuring for ${opts.steadySeconds} s`);
  const w0 = Date.now();
  await new Promise((r) => setTimeout(r, opts.steadySeconds * 1000));
  const secs = (Date.now() - w0) / 1000;
  const r = rss.stop();
  const cpu = ((cpuSeconds(op.pid) - cpu0) / secs) * 100;
  const reqPerMin = ((await op.metric('syncret_kube_requests_total')) - req0) / (secs / 60);
  const calls = (await op.metric('syncret_provider_calls_total')) - calls0;
  const heap = (await op.metric('nodejs_heap_size_used_bytes')) / MiB;
  const heapTotal = (await op.metric('nodejs_heap_size_total_bytes')) / MiB;
  const kinds = rssKinds(op.pid);
  ctx.log(
    `steady: RSS avg ${(r.avg / MiB).toFixed(1)} MiB (peak ${(r.peak / MiB).toFixed(1)}), heap ${heap.toFixed(1)} MiB, CPU ${cpu.toFixed(2)}% of a core, ${reqPerMin.toFixed(1)} API requests/min`,
  );
  ctx.results.push({
    id: '4-steady',
    title: `Steady state: N=${n} ExternalSecrets, refreshInterval 1h`,
    params: { n, window_s: round(secs, 0) },
    metrics: {
      rss_avg_mib: round(r.avg / MiB, 1),
      rss_peak_mib: round(r.peak / MiB, 1),
      heap_used_mib: round(heap, 1),
      heap_total_mib: round(heapTotal, 1),
      rss_anon_mib: round(kinds.anon / MiB, 1),
      rss_file_mib: round(kinds.file / MiB, 1),
      cpu_pct_of_core: round(cpu, 2),
      api_requests_per_min: round(reqPerMin, 1),
      provider_calls: calls,
    },
    targets: [
      { name: 'RSS at steady state', value: round(r.avg / MiB, 1), op: '<=', target: 150, unit: 'MiB' },
      { name: 'CPU at steady state', value: round(cpu, 2), op: '<=', target: 2, unit: '% of a core' },
    ],
    notes: [],
    seconds: round((Date.now() - t0) / 1000, 1),
    curves: {
      rss_mib: sampleCurve(
        r.samples.map((b) => b / MiB),
        1,
      ),
    },
  });
  return ns;
}

export async function unrelated(ctx: Ctx): Promise<void> {
  const t0 = Date.now();
  const { api, opts } = ctx;
  const op = ctx.operator() ?? (await ctx.startOperator('unrelated'));
  const ns = 'bench-unrelated';
  await ensureNamespace(api, ns);
  // Five one-second samples per phase: the idle operator's RSS is flat to 0.1 MiB (2026-11-23).
  const before = sampleRss(op.pid);
  await new Promise((r) => setTimeout(r, 5_000));
  const b = before.stop();
  const heap0 = await op.metric('nodejs_heap_size_used_bytes');
  const blob = Buffer.alloc(opts.unrelatedBytes, 'not-a-secret ').toString('base64');
  ctx.log(`unrelated: creating ${opts.unrelatedN} Secrets of ${opts.unrelatedBytes} bytes`);
  const names = Array.from({ length: opts.unrelatedN }, (_, i) => `blob-${i}`);
  const during = sampleRss(op.pid);
  await pool(names, CREATE_CONCURRENCY, (name) =>
    api
      .must('POST', `/api/v1/namespaces/${ns}/secrets`, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name },
        data: { blob },
      })
      .then(() => undefined),
  );
  await new Promise((r) => setTimeout(r, 5_000));
  const d = during.stop();
  const after = sampleRss(op.pid);
  await new Promise((r) => setTimeout(r, 5_000));
  const a = after.stop();
  const heap1 = await op.metric('nodejs_heap_size_used_bytes');
  const growth = (a.avg - b.avg) / MiB;
  ctx.log(
    `unrelated: RSS ${(b.avg / MiB).toFixed(1)} → ${(a.avg / MiB).toFixed(1)} MiB (peak during ${(d.peak / MiB).toFixed(1)}), heap ${(heap0 / MiB).toFixed(1)} → ${(heap1 / MiB).toFixed(1)} MiB`,
  );
  // Not waited for: only scenario 6 follows, and it counts provider calls, not seconds.
  await deleteNamespaces(api, [ns], { wait: false });
  ctx.results.push({
    id: '5-unrelated',
    title: `Unrelated Secrets: ${opts.unrelatedN} × ${opts.unrelatedBytes / 1024} KiB not managed by Syncret`,
    params: { n: opts.unrelatedN, bytes: opts.unrelatedBytes },
    metrics: {
      rss_before_mib: round(b.avg / MiB, 1),
      rss_after_mib: round(a.avg / MiB, 1),
      rss_peak_during_mib: round(d.peak / MiB, 1),
      rss_growth_mib: round(growth, 1),
      heap_before_mib: round(heap0 / MiB, 1),
      heap_after_mib: round(heap1 / MiB, 1),
    },
    targets: [
      {
        name: 'RSS growth from unrelated Secrets',
        value: round(growth, 1),
        op: '<=',
        target: 10,
        unit: 'MiB',
      },
    ],
    notes: [],
    seconds: round((Date.now() - t0) / 1000, 1),
  });
}
