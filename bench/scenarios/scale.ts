// Scenario 9 (`--scale`, on its own): a large multi-tenant cluster. N ExternalSecrets (50,000)
// spread over namespaces (500), each namespace with its own fake SecretStore, created at once
// while the operator runs, interleaved across namespaces as a fleet of tenants applies them:
// - the bare client's like-for-like rate right before (the create of each ExternalSecret plus
//   the operator's two writes, scenario 1's bodies), on scaleBaseN ExternalSecrets in namespaces
//   of the same size, deleted before the operator starts; and again once the operator's
//   namespaces are gone (A-B-A): a control plane that has just created and deleted tens of
//   thousands of objects is slower than a fresh one (2026-12-03 at 20,000: the apiserver spent
//   8.4 ms per ExternalSecret of the cold sync on a fresh cluster, 11.9 after a bare pass), so
//   the operator is compared with the mean of a pass before it and one after it;
// - the operator's cold-sync rate, its RSS peak during the sync and at rest after it;
// - a restart with nothing changed: what it writes;
// - the restarted operator at steady state (refreshInterval 1h): CPU, RSS, heap, API requests;
// - then (bench/scenarios/scale-sharded.ts) the same cold sync with three replicas under
//   --sharding, in fresh namespaces, against this run's single-replica rate.

import type { Api } from '../lib/api.js';
import { pool } from '../lib/api.js';
import type { OperatorHandle } from '../../e2e/lib/operator.js';
import { parseScrape, select } from '../../e2e/lib/prom.js';
import type { Ctx, Target } from '../lib/context.js';
import { MiB } from '../lib/context.js';
import { clusterCpu, cpuSeconds, cpuSpent, ownCpu, rssKinds, sampleRss } from '../lib/proc.js';
import { round } from '../lib/stats.js';
import {
  CREATE_CONCURRENCY,
  GROUP_PATH,
  ReadyTracker,
  createFakeStore,
  deleteNamespaces,
  ensureNamespace,
  esName,
  externalSecretBody,
} from '../lib/world.js';
import { SCENARIO_CONCURRENCY, SRV, operatorWrites } from './baseline.js';
import { atRest } from './cold.js';
import { drained } from './restart.js';

const nsName = (prefix: string, i: number): string => `${prefix}-${String(i).padStart(3, '0')}`;

/** Items k = 0..n-1: namespace k mod count, so creates interleave the tenants. */
export function spread(prefix: string, n: number, count: number): { ns: string; name: string }[] {
  return Array.from({ length: n }, (_, k) => ({
    ns: nsName(prefix, k % count),
    name: esName(Math.floor(k / count)),
  }));
}

export async function namespaces(
  api: Api,
  prefix: string,
  count: number,
  stores: boolean,
): Promise<string[]> {
  const names = Array.from({ length: count }, (_, i) => nsName(prefix, i));
  await pool(names, 16, async (ns) => {
    await ensureNamespace(api, ns);
    if (stores) await createFakeStore(api, ns);
  });
  return names;
}

/** The bare client on `n` ExternalSecrets in namespaces of the scenario's size: ES per second. */
async function bareClient(
  ctx: Ctx,
  n: number,
  perNs: number,
  prefix = 'bare_',
): Promise<{ rate: number; cpu: Record<string, number> }> {
  const { api } = ctx;
  const count = Math.max(1, Math.round(n / perNs));
  const nss = await namespaces(api, 'bench-scale-base', count, false);
  const tracker = new ReadyTracker(api, '');
  await tracker.start();
  const cpu0 = clusterCpu();
  const own0 = ownCpu();
  const start = Date.now();
  await pool(spread('bench-scale-base', n, count), SCENARIO_CONCURRENCY, async ({ ns, name }) => {
    const es = await api.must<{ metadata: { uid?: string } }>(
      'POST',
      `${GROUP_PATH}/namespaces/${ns}/externalsecrets`,
      externalSecretBody(ns, name),
    );
    await operatorWrites(ctx.operatorApi, ns, { name, uid: es.metadata.uid ?? '' }, name, SRV);
  });
  const rate = n / ((Date.now() - start) / 1000);
  // Where the CPU went, as for the cold sync: the two compare per ExternalSecret.
  const cpu = cpuSpent(prefix, cpu0, { bench: ownCpu() - own0 });
  await tracker.stop();
  ctx.log(`scale: bare client, ${n} in ${count} namespaces: ${rate.toFixed(1)}/s; deleting them`);
  await deleteNamespaces(api, nss, { timeoutMs: 1_200_000 });
  return { rate, cpu };
}

/** The operator's time in V8's collector so far, by kind (prom-client's GC histogram), one scrape. */
async function gcSeconds(op: OperatorHandle): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const x of select(parseScrape(await op.metrics()), 'nodejs_gc_duration_seconds_sum'))
    out[x.labels.kind ?? 'unknown'] = (out[x.labels.kind ?? 'unknown'] ?? 0) + x.value;
  return out;
}

/** The operator's API requests so far, by verb, resource and code, largest first, one scrape. */
async function requestsByKind(op: OperatorHandle): Promise<string> {
  const by = new Map<string, number>();
  for (const x of select(parseScrape(await op.metrics()), 'syncret_kube_requests_total')) {
    const k = `${x.labels.verb} ${x.labels.resource} ${x.labels.code}`;
    by.set(k, (by.get(k) ?? 0) + x.value);
  }
  return [...by]
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
}

/** GC seconds spent between two readings, as metrics (`cold_gc_major_s`, ...). */
function gcSpent(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  let total = 0;
  for (const [kind, v] of Object.entries(b)) {
    const d = v - (a[kind] ?? 0);
    total += d;
    out[`cold_gc_${kind}_s`] = round(d, 1);
  }
  out.cold_gc_s = round(total, 1);
  return out;
}

/** What the sharded part compares itself with. */
export interface SingleReplica {
  coldS: number;
  rate: number;
  /** Its namespaces, being deleted. */
  namespaces: string[];
}

export async function scale(ctx: Ctx): Promise<SingleReplica> {
  const t0 = Date.now();
  const { api, opts } = ctx;
  const n = opts.scaleN;
  const count = opts.scaleNamespaces;
  const perNs = n / count;
  const baseN = Math.min(n, opts.scaleBaseN);
  const { rate: bareBefore, cpu: bareCpu } = await bareClient(ctx, baseN, perNs);

  ctx.log(`scale: ${count} namespaces, each with a fake SecretStore`);
  const nss = await namespaces(api, 'bench-scale', count, true);
  const op = await ctx.startOperator('scale-cold');
  const tracker = new ReadyTracker(api, '');
  await tracker.start();
  const during = sampleRss(op.pid, 500);
  ctx.log(`scale: creating ${n} ExternalSecrets in ${count} namespaces`);
  const cpu0 = clusterCpu();
  const own0 = ownCpu();
  const op0 = cpuSeconds(op.pid);
  const gc0 = await gcSeconds(op);
  const start = Date.now();
  await pool(spread('bench-scale', n, count), CREATE_CONCURRENCY, async ({ ns, name }) => {
    await api.must('POST', `${GROUP_PATH}/namespaces/${ns}/externalsecrets`, externalSecretBody(ns, name));
  });
  await tracker.waitFor(n, Math.max(900_000, n * 40));
  const cpu = cpuSpent('cold_', cpu0, { operator: cpuSeconds(op.pid) - op0, bench: ownCpu() - own0 });
  const gc = gcSpent(gc0, await gcSeconds(op));
  const coldS = (Math.max(...tracker.readyAt.values()) - start) / 1000;
  await tracker.stop();
  const peak = during.stop().peak;
  const rate = n / coldS;
  ctx.log(
    `scale: all ${n} Ready in ${coldS.toFixed(1)} s (${rate.toFixed(1)}/s, ${(rate / bareBefore).toFixed(2)} of the bare client before it)`,
  );
  const rest = await atRest(op, n);
  const coldRequests = await op.metric('syncret_kube_requests_total');
  ctx.log(`scale: the cold sync's API requests: ${await requestsByKind(op)}`);

  // Restart with nothing changed.
  await ctx.stopOperator();
  const r0 = Date.now();
  const again = await ctx.startOperator('scale-restart');
  const readyS = (Date.now() - r0) / 1000;
  await drained(again, 900_000, n);
  const resumeS = (Date.now() - r0) / 1000 - 0.6;
  const writes =
    (await again.metric('syncret_secret_writes_total')) + (await again.metric('syncret_status_writes_total'));
  const calls = await again.metric('syncret_provider_calls_total');
  ctx.log(`scale: restart resumed in ${resumeS.toFixed(1)} s, ${writes} writes, ${calls} provider calls`);

  // Steady state of the restarted operator.
  await new Promise((r) => setTimeout(r, 5_000));
  const c0 = cpuSeconds(again.pid);
  const req0 = await again.metric('syncret_kube_requests_total');
  const rss = sampleRss(again.pid);
  const w0 = Date.now();
  await new Promise((r) => setTimeout(r, opts.scaleSteadySeconds * 1000));
  const secs = (Date.now() - w0) / 1000;
  const steadyRss = rss.stop();
  const cpuPct = ((cpuSeconds(again.pid) - c0) / secs) * 100;
  const reqPerMin = ((await again.metric('syncret_kube_requests_total')) - req0) / (secs / 60);
  const heap = await again.metric('nodejs_heap_size_used_bytes');
  const kinds = rssKinds(again.pid);
  ctx.log(
    `scale: steady RSS ${(steadyRss.avg / MiB).toFixed(1)} MiB, heap ${(heap / MiB).toFixed(1)} MiB, CPU ${cpuPct.toFixed(2)} % of a core`,
  );
  await ctx.stopOperator();
  let bareAfter: number | undefined;
  let bareAfterCpu: Record<string, number> = {};
  if (opts.scaleBareAfter) {
    ctx.log(`scale: deleting the operator's ${count} namespaces for the second bare pass`);
    await deleteNamespaces(api, nss, { timeoutMs: Math.max(1_200_000, n * 40) });
    ({ rate: bareAfter, cpu: bareAfterCpu } = await bareClient(ctx, baseN, perNs, 'bare_after_'));
  } else {
    // Nothing timed follows here (the sharded part waits for them to be gone); the next run
    // deletes what is left.
    await deleteNamespaces(api, nss, { wait: false });
  }
  const bare = bareAfter === undefined ? bareBefore : (bareBefore + bareAfter) / 2;
  ctx.log(
    `scale: cold sync ${rate.toFixed(1)}/s against the bare client's ${bare.toFixed(1)}/s` +
      (bareAfter === undefined ? '' : ` (before ${bareBefore.toFixed(1)}, after ${bareAfter.toFixed(1)})`) +
      `: ${(rate / bare).toFixed(2)}`,
  );

  const targets: Target[] = [
    { name: 'cold sync / bare client', value: round(rate / bare, 2), op: '>=', target: 0.9, unit: 'ratio' },
    {
      name: 'RSS at rest after the cold sync',
      value: round(rest.rss / MiB, 1),
      op: '<=',
      target: 400,
      unit: 'MiB',
    },
    {
      name: 'RSS at steady state after a restart',
      value: round(steadyRss.avg / MiB, 1),
      op: '<=',
      target: 400,
      unit: 'MiB',
    },
    { name: 'writes on restart', value: writes, op: '<=', target: 0, unit: 'writes' },
    { name: 'CPU at steady state', value: round(cpuPct, 2), op: '<=', target: 2, unit: '% of a core' },
  ];
  ctx.results.push({
    id: `9-scale-${n}`,
    title: `Scale: N=${n} ExternalSecrets in ${count} namespaces`,
    params: { n, namespaces: count, bare_n: baseN, window_s: round(secs, 0) },
    metrics: {
      bare_es_per_s: round(bare, 1),
      bare_before_es_per_s: round(bareBefore, 1),
      ...(bareAfter === undefined ? {} : { bare_after_es_per_s: round(bareAfter, 1) }),
      ...bareCpu,
      ...bareAfterCpu,
      cold_all_ready_s: round(coldS, 1),
      cold_es_per_s: round(rate, 1),
      ratio_to_bare: round(rate / bare, 2),
      cold_kube_requests: coldRequests,
      rss_peak_mib: round(peak / MiB, 1),
      rss_rest_mib: round(rest.rss / MiB, 1),
      heap_rest_mib: round(rest.heap / MiB, 1),
      restart_ready_s: round(readyS, 1),
      restart_resume_s: round(resumeS, 1),
      restart_writes: writes,
      restart_provider_calls: calls,
      steady_rss_avg_mib: round(steadyRss.avg / MiB, 1),
      steady_rss_peak_mib: round(steadyRss.peak / MiB, 1),
      steady_rss_anon_mib: round(kinds.anon / MiB, 1),
      steady_rss_file_mib: round(kinds.file / MiB, 1),
      steady_heap_mib: round(heap / MiB, 1),
      steady_cpu_pct_of_core: round(cpuPct, 2),
      steady_api_requests_per_min: round(reqPerMin, 1),
      ...cpu,
      ...gc,
    },
    targets,
    notes: [
      'bare_es_per_s: the create plus the Secret apply and status patch of scenario 1, 32 concurrent; the mean of a pass right before the operator starts and, unless --no-scale-bare-after, one once its namespaces are gone',
      'rss_rest_mib: the mean over 10 s once the queue is drained, in the process that synced',
      'restart_writes: Secret writes plus status writes of a fresh operator with everything synced',
    ],
    seconds: round((Date.now() - t0) / 1000, 1),
  });
  return { coldS, rate, namespaces: nss };
}
