// Scenario 2: N ExternalSecrets on the fake provider created at once; time until all are Ready.
// Its throughput is compared with scenario 1's like-for-like baseline (the creates timed too), once
// every baseline pass has run (see compareToBaselines).
// A backlog run isolates the operator: N ExternalSecrets created while it is stopped, timed from
// its start to the last Ready, in two rounds (see backlog()), against the writes-only baseline
// measured on its own ExternalSecrets right before and right after the rounds.
// Scenario 7 (restart) and 3 (create under load) reuse the largest cold namespace.

import type { OperatorHandle } from '../../e2e/lib/operator.js';
import type { Ctx, Curve, Target } from '../lib/context.js';
import { MiB } from '../lib/context.js';
import { clusterCpu, cpuSeconds, cpuSpent, ownCpu, sampleRss } from '../lib/proc.js';
import { drained } from './restart.js';
import { doneCurve, mean, round, summary } from '../lib/stats.js';
import {
  ReadyTracker,
  createExternalSecrets,
  createFakeStore,
  deleteNamespaces,
  ensureNamespace,
  syncedSince,
} from '../lib/world.js';
import { writesNextToBacklog } from './baseline.js';

/** Backlog rounds per run: each is one sample of the operator's rate (see backlog()). */
const BACKLOG_ROUNDS = 2;

/**
 * N pending ExternalSecrets, then a fresh operator: its own sync throughput. The machine's speed
 * moves by up to a quarter from one half-minute to the next, so one round is one sample of it:
 * BACKLOG_ROUNDS rounds run on the same ExternalSecrets, and the rate is their mean. With
 * scenario 1, they are the like-for-like baseline's (`given`), and the writes-only baseline runs
 * on them right before the first round and right after the last (A-B-B-A), with the operator
 * stopped (a third pass between the rounds moved the mean by under 3 % in three runs, and the
 * 15-minute budget has no room for it). Before every round (after the first, without scenario
 * 1) their Secrets, the baseline's too, are deleted while the operator is stopped, so each fresh
 * operator makes the same two writes for each again (a missing target is synced at once): every
 * round does the same work on the same state.
 */
async function backlog(
  ctx: Ctx,
  n: number,
  given?: string,
): Promise<{ rates: number[]; metrics: Record<string, number>; curves: Record<string, Curve> }> {
  const { api } = ctx;
  const ns = given ?? `bench-backlog-${n}`;
  const withWrites = ctx.opts.scenarios.has('1');
  await ctx.stopOperator();
  if (given) {
    ctx.log(`backlog N=${n}: on the ${n} ExternalSecrets of the baseline's namespace ${ns}`);
  } else {
    await ensureNamespace(api, ns);
    ctx.log(`backlog N=${n}: creating ${n} ExternalSecrets with the operator stopped`);
    await createExternalSecrets(api, ns, 0, n);
  }
  await createFakeStore(api, ns);
  const rates: number[] = [];
  const metrics: Record<string, number> = {};
  const curves: Record<string, Curve> = {};
  // The watch of the round before stays open through each writes pass, so both pay for one.
  let tracker = new ReadyTracker(api, ns);
  await tracker.start();
  if (withWrites) await writesNextToBacklog(ctx, ns, n, 'before');
  for (let i = 1; i <= BACKLOG_ROUNDS; i++) {
    if (i > 1 || withWrites) {
      await tracker.stop();
      // One request; the apiserver has deleted them all when it answers.
      await api.must(
        'DELETE',
        `/api/v1/namespaces/${ns}/secrets?labelSelector=${encodeURIComponent('reconcile.external-secrets.io/managed=true')}`,
      );
      // refreshTime has whole seconds: from the next second on, no earlier round's sync can
      // pass for this round's, however fast the deletion was (a few ms at --quick sizes).
      await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000)));
      tracker = new ReadyTracker(api, ns, syncedSince(Date.now()));
      await tracker.start();
    }
    const cpu0 = clusterCpu();
    const own0 = ownCpu();
    const start = Date.now();
    const op = await ctx.startOperator(`backlog-${n}-${i}`);
    await tracker.waitFor(n, Math.max(300_000, n * 200));
    const prefix = i === 1 ? 'backlog_' : `backlog${i}_`;
    Object.assign(metrics, cpuSpent(prefix, cpu0, { operator: cpuSeconds(op.pid), bench: ownCpu() - own0 }));
    // Two writes per ExternalSecret in every round, plus the startup's lists and watches.
    metrics[`${prefix}kube_requests`] = await op.metric('syncret_kube_requests_total');
    const seconds = (Math.max(...tracker.readyAt.values()) - start) / 1000;
    rates.push(n / seconds);
    curves[`backlog_round${i}_ready`] = doneCurve(tracker.readyAt.values(), start);
    ctx.log(
      `backlog N=${n} round ${i}: all synced ${seconds.toFixed(1)} s after the operator started (${(n / seconds).toFixed(1)}/s)`,
    );
    await ctx.stopOperator();
    if (withWrites && i === BACKLOG_ROUNDS) await writesNextToBacklog(ctx, ns, n, 'after');
  }
  await tracker.stop();
  await deleteNamespaces(api, [ns]);
  return { rates, metrics, curves };
}

/** Seconds of RSS samples "at rest" after a sync, once the queue is drained. */
const REST_SECONDS = 10;

/** The operator's RSS at rest after a sync: the mean over REST_SECONDS once drained, and its heap. */
export async function atRest(op: OperatorHandle, n: number): Promise<{ rss: number; heap: number }> {
  await drained(op, 600_000, n);
  const s = sampleRss(op.pid, 500);
  await new Promise((r) => setTimeout(r, REST_SECONDS * 1000));
  return { rss: s.stop().avg, heap: await op.metric('nodejs_heap_size_used_bytes') };
}

function memoryTargets(peak: number, rest: number): Target[] {
  return [
    {
      name: 'RSS peak during the cold sync',
      value: round(peak / MiB, 1),
      op: '<=',
      target: 160,
      unit: 'MiB',
    },
    {
      name: 'RSS at rest after the cold sync',
      value: round(rest / MiB, 1),
      op: '<=',
      target: 140,
      unit: 'MiB',
    },
  ];
}

/** `backlogNs`: the baseline's namespace of N ExternalSecrets, for the backlog to start from. */
export async function cold(
  ctx: Ctx,
  n: number,
  keep: boolean,
  withBacklog: boolean,
  backlogNs?: string,
): Promise<string> {
  const t0 = Date.now();
  const { api } = ctx;
  const pending = withBacklog ? await backlog(ctx, n, backlogNs) : undefined;
  const ns = `bench-cold-${n}`;
  await ensureNamespace(api, ns);
  await createFakeStore(api, ns);
  const op = await ctx.startOperator(`cold-${n}`);
  const tracker = new ReadyTracker(api, ns);
  await tracker.start();
  const during = sampleRss(op.pid, 250);
  ctx.log(`cold N=${n}: creating ${n} ExternalSecrets`);
  const cpu0 = clusterCpu();
  const own0 = ownCpu();
  const op0 = cpuSeconds(op.pid);
  const start = Date.now();
  const created = await createExternalSecrets(api, ns, 0, n);
  const createdIn = (Date.now() - start) / 1000;
  await tracker.waitFor(n, Math.max(300_000, n * 200));
  const cpu = cpuSpent('', cpu0, { operator: cpuSeconds(op.pid) - op0, bench: ownCpu() - own0 });
  const last = Math.max(...tracker.readyAt.values());
  await tracker.stop();
  const curves: Record<string, Curve> = { ready: doneCurve(tracker.readyAt.values(), start) };
  const peak = during.stop().peak;
  const total = (last - start) / 1000;
  const lat = [...created].map(([name, at]) => (tracker.readyAt.get(name)! - at) / 1000);
  const s = summary(lat);
  const perSec = n / total;
  const metrics: Record<string, number> = {
    all_ready_s: round(total, 2),
    create_calls_s: round(createdIn, 2),
    es_per_s: round(perSec, 1),
    create_to_ready_p50_s: round(s.p50, 3),
    create_to_ready_p99_s: round(s.p99, 3),
    operator_rss_mib: round((await op.metric('process_resident_memory_bytes')) / 1048576, 1),
    rss_peak_mib: round(peak / MiB, 1),
    operator_heap_mib: round((await op.metric('nodejs_heap_size_used_bytes')) / 1048576, 1),
    kube_requests: await op.metric('syncret_kube_requests_total'),
    ...cpu,
  };
  // Which requests the operator made, per ExternalSecret: the cost model behind the throughput.
  const perVerb: string[] = [];
  for (const line of (await op.metrics()).split('\n')) {
    const m = /^syncret_kube_requests_total\{(.*)\} (\S+)$/.exec(line);
    if (m && Number(m[2]) > 0) perVerb.push(`${m[1]}: ${(Number(m[2]) / n).toFixed(2)}/ES`);
  }
  // After the request counts: the Events sent once the burst is over are not the sync's.
  const rest = n === Math.max(...ctx.opts.coldN) ? await atRest(op, n) : undefined;
  if (rest)
    Object.assign(metrics, {
      rss_rest_mib: round(rest.rss / MiB, 1),
      heap_rest_mib: round(rest.heap / MiB, 1),
    });
  if (pending) {
    pending.rates.forEach((r, i) => (metrics[`backlog_round${i + 1}_es_per_s`] = round(r, 1)));
    metrics.backlog_es_per_s = round(mean(pending.rates), 1);
    Object.assign(metrics, pending.metrics);
    Object.assign(curves, pending.curves);
  }
  ctx.log(
    `cold N=${n}: all Ready in ${total.toFixed(1)} s (${perSec.toFixed(1)}/s), p50 ${s.p50.toFixed(2)} s, p99 ${s.p99.toFixed(2)} s`,
  );
  if (!keep) {
    await ctx.stopOperator();
    await deleteNamespaces(api, [ns]);
  }
  ctx.results.push({
    id: `2-cold-${n}`,
    title: `Cold sync: N=${n} ExternalSecrets created at once`,
    params: { n },
    metrics,
    notes: [
      ...perVerb,
      'rss_peak_mib: the highest of 4 samples a second from the start of the creates to the last Ready',
      ...(rest ? [`rss_rest_mib: the mean over ${REST_SECONDS} s once the queue is drained`] : []),
    ],
    targets: rest && n >= 5000 ? memoryTargets(peak, rest.rss) : [],
    seconds: round((Date.now() - t0) / 1000, 1),
    curves,
  });
  return ns;
}

/**
 * The throughput ratios of the cold and backlog runs, to the mean of scenario 1's passes at the
 * same N (at the largest N: the writes before and after the backlog rounds, the like-for-like
 * pass before and after the cold runs), with the passes' spread so a reader sees how
 * far the bare client moved meanwhile. Runs after the last pass.
 */
export function compareToBaselines(ctx: Ctx): void {
  for (const r of ctx.results) {
    const m = /^2-cold-(\d+)$/.exec(r.id);
    const passes = m && ctx.baselines.get(Number(m[1]));
    if (!passes) continue;
    const n = Number(m[1]);
    const writes = mean(passes.writes);
    const scenario = mean(passes.scenario);
    const spread = (xs: number[]): number => (Math.max(...xs) - Math.min(...xs)) / mean(xs);
    r.metrics.baseline_passes = passes.scenario.length;
    r.metrics.writes_baseline_passes = passes.writes.length;
    if (passes.scenario.length > 1) r.metrics.baseline_spread_scenario = round(spread(passes.scenario), 2);
    if (passes.writes.length > 1) r.metrics.baseline_spread_writes = round(spread(passes.writes), 2);
    r.metrics.ratio_to_baseline = round(r.metrics.es_per_s! / scenario, 2);
    if (passes.writes.length > 0) r.metrics.ratio_to_writes_baseline = round(r.metrics.es_per_s! / writes, 2);
    const backlog = r.metrics.backlog_es_per_s;
    if (backlog !== undefined && passes.writes.length > 0)
      r.metrics.backlog_ratio_to_writes_baseline = round(backlog / writes, 2);
    if (n < 5000) continue;
    if (r.metrics.backlog_ratio_to_writes_baseline !== undefined)
      r.targets.push({
        name: 'backlog throughput / writes baseline',
        value: r.metrics.backlog_ratio_to_writes_baseline!,
        op: '>=',
        target: 0.8,
        unit: 'ratio',
      });
    r.targets.push({
      name: 'throughput / like-for-like baseline',
      value: r.metrics.ratio_to_baseline,
      op: '>=',
      target: 0.8,
      unit: 'ratio',
    });
    ctx.log(
      `cold N=${n}: ${r.metrics.ratio_to_baseline} of the like-for-like baseline` +
        (backlog === undefined
          ? ''
          : `, backlog ${r.metrics.backlog_ratio_to_writes_baseline} of the writes baseline`) +
        ` (means of ${passes.scenario.length} and ${passes.writes.length} baseline passes)`,
    );
  }
}
