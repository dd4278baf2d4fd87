// Scenario 10 (runs only when named): the refresh load of a large cluster at steady state, at a
// size that fits the bench. 50,000 ExternalSecrets at refreshInterval 1h refresh 13.9 times a
// second; so do 5,000 at 6m. The ExternalSecrets are created at that rate, evenly over one
// interval, so their refreshes stay evenly spread (each is due one interval plus its stable
// jitter after its last sync), and the window then measures a round of real refreshes: a
// provider read and a status patch each, as ESO does. Prometheus scrapes /metrics every 30 s
// meanwhile, as a user's does.
//
// What it reports: the operator's CPU as a share of a core and per refresh, and the
// apiserver's. At 50,000 the per-object idle cost (scenario 9's steady window, which has no
// refreshes due) adds to it.

import { pool } from '../lib/api.js';
import type { Ctx, Target } from '../lib/context.js';
import { MiB } from '../lib/context.js';
import { clusterCpu, cpuSeconds, cpuSpent, ownCpu, sampleRss, threadCpu } from '../lib/proc.js';
import { round } from '../lib/stats.js';
import { GROUP_PATH, ReadyTracker, deleteNamespaces, externalSecretBody } from '../lib/world.js';
import { namespaces, spread } from './scale.js';

const SCRAPE_EVERY_MS = 30_000;

export async function refresh(ctx: Ctx): Promise<void> {
  const t0 = Date.now();
  const { api, opts } = ctx;
  const n = opts.refreshN;
  const intervalS = opts.refreshIntervalS;
  const count = Math.max(1, Math.round(n / 100));
  const perSecond = n / intervalS;
  ctx.log(
    `refresh: ${n} ExternalSecrets in ${count} namespaces at ${intervalS} s, ${perSecond.toFixed(1)} refreshes/s`,
  );
  const nss = await namespaces(api, 'bench-refresh', count, true);
  const op = await ctx.startOperator('refresh');
  const tracker = new ReadyTracker(api, '');
  await tracker.start();

  // Paced creates: item k at k / perSecond seconds from the start.
  const items = spread('bench-refresh', n, count);
  const start = Date.now();
  await pool(
    items.map((it, k) => ({ ...it, at: start + (k * 1000) / perSecond })),
    8,
    async ({ ns, name, at }) => {
      const wait = at - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      await api.must(
        'POST',
        `${GROUP_PATH}/namespaces/${ns}/externalsecrets`,
        externalSecretBody(ns, name, `${intervalS}s`),
      );
    },
  );
  await tracker.waitFor(n, 600_000);
  await tracker.stop();
  // The first refreshes are due one interval after the first sync, plus up to 10 % of jitter.
  const due = start + intervalS * 1000 * 1.1;
  ctx.log(`refresh: all ${n} Ready; the window opens in ${Math.round((due - Date.now()) / 1000)} s`);
  await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));

  const calls0 = await op.metric('syncret_provider_calls_total');
  const status0 = await op.metric('syncret_status_writes_total');
  const secrets0 = await op.metric('syncret_secret_writes_total');
  const req0 = await op.metric('syncret_kube_requests_total');
  const c0 = cpuSeconds(op.pid);
  const t0s = threadCpu(op.pid);
  const cluster0 = clusterCpu();
  const rss = sampleRss(op.pid);
  const w0 = Date.now();
  let scrapes = 0;
  while (Date.now() - w0 < opts.refreshSeconds * 1000) {
    await new Promise((r) =>
      setTimeout(r, Math.min(SCRAPE_EVERY_MS, opts.refreshSeconds * 1000 - (Date.now() - w0))),
    );
    await op.metrics();
    scrapes++;
  }
  const secs = (Date.now() - w0) / 1000;
  const opCpu = cpuSeconds(op.pid) - c0;
  const t1s = threadCpu(op.pid);
  const cpu = cpuSpent('window_', cluster0, { operator: opCpu });
  const r = rss.stop();
  const refreshes = (await op.metric('syncret_provider_calls_total')) - calls0;
  const statusWrites = (await op.metric('syncret_status_writes_total')) - status0;
  const secretWrites = (await op.metric('syncret_secret_writes_total')) - secrets0;
  const requests = (await op.metric('syncret_kube_requests_total')) - req0;
  const heap = await op.metric('nodejs_heap_size_used_bytes');
  await ctx.stopOperator();
  const bare = await bareRefresh(ctx, items, perSecond, opts.refreshSeconds);
  await deleteNamespaces(api, nss, { wait: false });

  const cpuPct = (opCpu / secs) * 100;
  // Each refresh patches status.refreshTime once.
  const refreshCount = statusWrites;
  const msPerRefresh = refreshCount > 0 ? (opCpu * 1000) / refreshCount : NaN;
  const bareMs = (bare.cpu * 1000) / bare.patches;
  ctx.log(
    `refresh: ${(refreshCount / secs).toFixed(1)} refreshes/s over ${secs.toFixed(0)} s: operator ${cpuPct.toFixed(2)} % of a core (${msPerRefresh.toFixed(2)} ms each), apiserver ${((cpu.window_cpu_apiserver_s! / secs) * 100).toFixed(1)} %, ${statusWrites} status writes, ${secretWrites} Secret writes`,
  );
  ctx.log(
    `refresh: the bare client's patch + watch event costs ${bareMs.toFixed(2)} ms (${bare.patches} patches, ${bare.events} events): operator / bare ${(msPerRefresh / bareMs).toFixed(2)}`,
  );
  const targets: Target[] = [
    {
      name: 'CPU at 1h-equivalent refresh load',
      value: round(cpuPct, 2),
      op: '<=',
      target: 2,
      unit: '% of a core',
    },
    { name: 'Secret writes when nothing changed', value: secretWrites, op: '<=', target: 0, unit: 'writes' },
  ];
  ctx.results.push({
    id: `10-refresh-${n}`,
    title: `Refresh load: N=${n} ExternalSecrets at ${intervalS} s (${perSecond.toFixed(1)}/s, as 50,000 at 1h)`,
    params: { n, namespaces: count, interval_s: intervalS, window_s: round(secs, 0), scrapes },
    metrics: {
      refreshes_per_s: round(refreshCount / secs, 2),
      provider_calls: refreshes,
      cpu_pct_of_core: round(cpuPct, 2),
      cpu_ms_per_refresh: round(msPerRefresh, 3),
      cpu_main_thread_s: round(t1s.main - t0s.main, 2),
      cpu_other_threads_s: round(t1s.other - t0s.other, 2),
      bare_cpu_ms_per_refresh: round(bareMs, 3),
      bare_patches: bare.patches,
      bare_watch_events: bare.events,
      operator_per_bare: round(msPerRefresh / bareMs, 2),
      apiserver_pct_of_core: round((cpu.window_cpu_apiserver_s! / secs) * 100, 2),
      status_writes: statusWrites,
      secret_writes: secretWrites,
      kube_requests: requests,
      rss_avg_mib: round(r.avg / MiB, 1),
      heap_mib: round(heap / MiB, 1),
      ...cpu,
    },
    targets,
    notes: [
      'refreshes: status writes (each refresh patches status.refreshTime, as ESO does); provider_calls: the reads they made',
      'cpu_pct_of_core: the operator process over the window, including a /metrics scrape every 30 s',
      'bare: right after, with the operator stopped, the bench itself patches status.refreshTime of the same objects at the same rate and parses each response and each watch event (the least any client pays per refresh)',
    ],
    seconds: round((Date.now() - t0) / 1000, 1),
  });
}

/**
 * The least a client pays per refresh: a merge patch of status.refreshTime with its response
 * parsed, and the watch event it causes parsed, at the operator's rate over the same window.
 */
async function bareRefresh(
  ctx: Ctx,
  items: readonly { ns: string; name: string }[],
  perSecond: number,
  seconds: number,
): Promise<{ cpu: number; patches: number; events: number }> {
  const { api } = ctx;
  const list = await api.must<{ metadata: { resourceVersion: string } }>(
    'GET',
    `${GROUP_PATH}/externalsecrets?limit=1`,
  );
  const abort = new AbortController();
  let events = 0;
  const watching = api
    .watch(
      `${GROUP_PATH}/externalsecrets`,
      list.metadata.resourceVersion,
      () => {
        events++;
      },
      abort.signal,
    )
    .catch((e: unknown) => ctx.log(`refresh: the bare client's watch ended: ${String(e)}`));
  const cpu0 = ownCpu();
  const start = Date.now();
  const total = Math.floor(perSecond * seconds);
  let patches = 0;
  await pool(
    Array.from({ length: total }, (_, k) => ({
      ...items[k % items.length]!,
      at: start + (k * 1000) / perSecond,
    })),
    8,
    async ({ ns, name, at }) => {
      const wait = at - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const refreshTime = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      await api.must(
        'PATCH',
        `${GROUP_PATH}/namespaces/${ns}/externalsecrets/${name}/status`,
        { status: { refreshTime } },
        'application/merge-patch+json',
      );
      patches++;
    },
  );
  // The last events arrive just after the last patch.
  await new Promise((r) => setTimeout(r, 1000));
  const cpu = ownCpu() - cpu0;
  abort.abort();
  await watching;
  return { cpu, patches, events };
}
