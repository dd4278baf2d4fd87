// Scenario 9's sharded part (`--scale`, after scale.ts; issue #23): the same cold sync, scaleN
// ExternalSecrets in scaleNamespaces fresh namespaces each with its own fake SecretStore created
// at once, while scaleReplicas (3) operators run with --sharding on the same control plane. Its
// rate against the single replica's of the same run, where the CPU went (the control plane, idle,
// each replica), each replica's share (its Secret writes, the ExternalSecrets it holds, whether
// it ran the assigner) and its RSS and heap at rest. On 2 cores the apiserver and etcd take most
// of the CPU whatever runs the operator, so more replicas cannot raise the rate by much, and the
// assigner adds one label write per ExternalSecret: the CPU split says which one limits.

import { cpus } from 'node:os';
import type { OperatorHandle } from '../../e2e/lib/operator.js';
import { OPERATOR_NAMESPACE } from '../../e2e/lib/operator.js';
import type { Api } from '../lib/api.js';
import { pool } from '../lib/api.js';
import type { Ctx, Target } from '../lib/context.js';
import { MiB } from '../lib/context.js';
import { clusterCpu, cpuSeconds, cpuSpent, ownCpu, sampleRss } from '../lib/proc.js';
import { round } from '../lib/stats.js';
import {
  CREATE_CONCURRENCY,
  GROUP_PATH,
  ReadyTracker,
  deleteNamespaces,
  externalSecretBody,
} from '../lib/world.js';
import { atRest } from './cold.js';
import type { SingleReplica } from './scale.js';
import { namespaces, spread } from './scale.js';

// As src/kube/shards.ts and src/kube/membership.ts name them. Not imported: the bench runs its
// TypeScript with Node's type stripping, which refuses src/'s parameter properties (Ring).
const ASSIGNMENT_LEASE = (group: string): string => `${group}-shards`;
const EPOCH_ANNOTATION = 'sharding.syncret.io/epoch';
const MEMBERS_ANNOTATION = 'sharding.syncret.io/members';

/** The chart's lease timings, as the sharding e2e test runs them. */
const shardingArgs = (group: string): string[] => [
  '--sharding',
  '--leader-election-namespace',
  OPERATOR_NAMESPACE,
  '--leader-election-id',
  group,
  '--lease-duration',
  '15s',
  '--renew-deadline',
  '10s',
  '--retry-period',
  '2s',
];

/**
 * A metric, asked again on failure: the 5 s /metrics request timed out once on a loaded machine
 * right after a 50,000 sync and lost the whole run (bench/results/2026-12-02-scale-50000.md).
 */
async function metricOf(op: OperatorHandle, name: string, labels?: Record<string, string>): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op.metric(name, labels);
    } catch (e) {
      if (attempt >= 4 || op.exited()) throw e;
      await new Promise((r) => setTimeout(r, 2_000));
    }
  }
}

/** CPU-seconds of a process that may have exited (NaN then: its share is not known). */
function cpuOf(op: OperatorHandle): number {
  try {
    return cpuSeconds(op.pid);
  } catch {
    return NaN;
  }
}

/**
 * Waits until the assignment Lease names exactly `members` and every replica follows its epoch,
 * as the sharding e2e test does; returns that epoch. Creating before then would time the first
 * epochs' hand-overs, not the sync.
 */
async function settled(api: Api, group: string, members: string[], reps: OperatorHandle[]): Promise<number> {
  const want = [...members].sort().join(',');
  const deadline = Date.now() + 180_000;
  for (;;) {
    const lease = await api.call<{ metadata?: { annotations?: Record<string, string> } }>(
      'GET',
      `/apis/coordination.k8s.io/v1/namespaces/${OPERATOR_NAMESPACE}/leases/${ASSIGNMENT_LEASE(group)}`,
    );
    const a = lease.status === 200 ? (lease.body.metadata?.annotations ?? {}) : {};
    const epoch = Number(a[EPOCH_ANNOTATION] ?? 0);
    const named = (a[MEMBERS_ANNOTATION] ?? '').split(',').filter(Boolean).sort().join(',');
    if (epoch > 0 && named === want) {
      const followed = await Promise.all(
        reps.map((op) => metricOf(op, 'syncret_shard_epoch').catch(() => 0)),
      );
      if (followed.every((e) => e === epoch)) return epoch;
    }
    const gone = reps.find((op) => op.exited());
    if (gone) throw new Error(`a replica exited before the assignment settled; see ${gone.logFile}`);
    if (Date.now() > deadline) throw new Error(`no assignment of ${want} followed by all after 180 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

interface Share {
  writes: number;
  held: number;
  heldSecrets: number;
  requests: number;
  assigner: number;
  relabelsFirst: number;
  relabelsMoved: number;
  epoch: number;
  rss: number;
  heap: number;
}

async function shareOf(op: OperatorHandle, rest: { rss: number; heap: number }): Promise<Share> {
  return {
    writes: await metricOf(op, 'syncret_secret_writes_total'),
    held: await metricOf(op, 'syncret_externalsecrets'),
    heldSecrets: await metricOf(op, 'syncret_cached_objects', { cache: 'managed_secrets' }),
    requests: await metricOf(op, 'syncret_kube_requests_total'),
    assigner: await metricOf(op, 'syncret_leader'),
    relabelsFirst: await metricOf(op, 'syncret_shard_relabels_total', { move: 'false' }),
    relabelsMoved: await metricOf(op, 'syncret_shard_relabels_total', { move: 'true' }),
    epoch: await metricOf(op, 'syncret_shard_epoch'),
    ...rest,
  };
}

export async function scaleSharded(ctx: Ctx, single: SingleReplica): Promise<void> {
  const t0 = Date.now();
  const { api, opts } = ctx;
  const n = opts.scaleN;
  const count = opts.scaleNamespaces;
  const k = opts.scaleReplicas;

  // The assigner labels every ExternalSecret of the cluster, so the replicas would sync the
  // single replica's too: they must be gone first.
  ctx.log(`scale-sharded: waiting for the single replica's ${single.namespaces.length} namespaces to go`);
  const d0 = Date.now();
  await deleteNamespaces(api, single.namespaces, { timeoutMs: Math.max(1_200_000, n * 40) });
  const deletedS = (Date.now() - d0) / 1000;
  const left = await api.must<{ items: unknown[] }>('GET', `${GROUP_PATH}/externalsecrets?limit=1`);
  if (left.items.length > 0)
    throw new Error('ExternalSecrets are left in the cluster: the sharded replicas would sync them too');

  ctx.log(`scale-sharded: ${count} namespaces, each with a fake SecretStore; ${k} replicas`);
  const nss = await namespaces(api, 'bench-shard', count, true);
  const group = `bench-shard-${Date.now().toString(36)}`;
  const members = Array.from({ length: k }, (_, i) => `${group}-${i + 1}`);
  const s0 = Date.now();
  const reps = await ctx.startReplicas('scale-sharded', k, shardingArgs(group), (i) => ({
    POD_NAME: members[i]!,
  }));
  const epoch = await settled(api, group, members, reps);
  const settleS = (Date.now() - s0) / 1000;
  ctx.log(`scale-sharded: all ${k} replicas follow epoch ${epoch} after ${settleS.toFixed(1)} s`);

  const tracker = new ReadyTracker(api, '');
  await tracker.start();
  const during = reps.map((op) => sampleRss(op.pid, 500));
  ctx.log(`scale-sharded: creating ${n} ExternalSecrets in ${count} namespaces`);
  const cpu0 = clusterCpu();
  const own0 = ownCpu();
  const rep0 = reps.map(cpuOf);
  const start = Date.now();
  await pool(spread('bench-shard', n, count), CREATE_CONCURRENCY, async ({ ns, name }) => {
    await api.must('POST', `${GROUP_PATH}/namespaces/${ns}/externalsecrets`, externalSecretBody(ns, name));
  });
  await tracker.waitFor(n, Math.max(900_000, n * 40));
  const repCpu = reps.map((op, i) => cpuOf(op) - rep0[i]!);
  const cpu = cpuSpent('cold_', cpu0, {
    ...Object.fromEntries(repCpu.map((c, i) => [`r${i + 1}`, c])),
    replicas: repCpu.reduce((a, b) => a + b, 0),
    bench: ownCpu() - own0,
  });
  const coldS = (Math.max(...tracker.readyAt.values()) - start) / 1000;
  await tracker.stop();
  const peaks = during.map((s) => s.stop().peak);
  const rate = n / coldS;
  const ratio = rate / single.rate;
  ctx.log(
    `scale-sharded: all ${n} Ready in ${coldS.toFixed(1)} s (${rate.toFixed(1)}/s, ${ratio.toFixed(2)} of one replica's ${single.rate.toFixed(1)}/s)`,
  );

  // A replica that lost its Lease under load exits; the others take its share over, so the run
  // still ends, and the figures say so instead of losing it.
  const live = reps.filter((op) => !op.exited());
  const rests = await Promise.all(live.map((op) => atRest(op, 0)));
  const shares = new Map<OperatorHandle, Share>();
  for (const [i, op] of live.entries()) shares.set(op, await shareOf(op, rests[i]!));
  await ctx.stopOperator();
  // Nothing timed follows; the next run deletes what is left.
  await deleteNamespaces(api, nss, { wait: false });

  const perReplica: Record<string, number> = {};
  let writesSum = 0;
  let rssSum = 0;
  let heapSum = 0;
  let requestsSum = 0;
  let relabelsFirst = 0;
  let relabelsMoved = 0;
  let epochChanges = 0;
  for (const [i, op] of reps.entries()) {
    const r = `r${i + 1}_`;
    perReplica[`${r}rss_peak_mib`] = round(peaks[i]! / MiB, 1);
    const sh = shares.get(op);
    if (!sh) {
      ctx.log(`scale-sharded: replica ${i + 1} exited during the sync; see ${op.logFile}`);
      continue;
    }
    Object.assign(perReplica, {
      [`${r}secret_writes`]: sh.writes,
      [`${r}share_pct`]: round((100 * sh.writes) / n, 1),
      [`${r}externalsecrets`]: sh.held,
      [`${r}managed_secrets`]: sh.heldSecrets,
      [`${r}kube_requests`]: sh.requests,
      [`${r}assigner`]: sh.assigner,
      [`${r}rss_rest_mib`]: round(sh.rss / MiB, 1),
      [`${r}heap_rest_mib`]: round(sh.heap / MiB, 1),
    });
    writesSum += sh.writes;
    rssSum += sh.rss;
    heapSum += sh.heap;
    requestsSum += sh.requests;
    relabelsFirst += sh.relabelsFirst;
    relabelsMoved += sh.relabelsMoved;
    if (sh.epoch !== epoch) epochChanges++;
    ctx.log(
      `scale-sharded: replica ${i + 1}${sh.assigner ? ' (assigner)' : ''}: ${sh.writes} Secret writes (${((100 * sh.writes) / n).toFixed(1)} %), holds ${sh.held}, RSS at rest ${(sh.rss / MiB).toFixed(1)} MiB, heap ${(sh.heap / MiB).toFixed(1)} MiB`,
    );
  }
  const exited = reps.length - live.length;
  ctx.log(
    `scale-sharded: ${writesSum} Secret writes in all for ${n} ExternalSecrets; RSS at rest ${(rssSum / MiB).toFixed(1)} MiB in all`,
  );

  const targets: Target[] = [
    // No goal: on a machine of few cores the control plane caps both runs (see the notes).
    { name: `cold sync, ${k} replicas / 1`, value: round(ratio, 2), op: '>=', target: 0, unit: 'ratio' },
    {
      name: 'Secret writes off one per ExternalSecret',
      value: Math.abs(writesSum - n),
      op: '<=',
      target: 0,
      unit: 'writes',
    },
    {
      name: 'replicas that exited or changed epoch',
      value: exited + epochChanges,
      op: '<=',
      target: 0,
      unit: '',
    },
  ];
  ctx.results.push({
    id: `9-scale-sharded-${n}`,
    title: `Scale, sharded: N=${n} ExternalSecrets in ${count} namespaces, ${k} replicas`,
    params: { n, namespaces: count, replicas: k },
    metrics: {
      wait_single_deleted_s: round(deletedS, 1),
      settle_s: round(settleS, 1),
      cold_all_ready_s: round(coldS, 1),
      cold_es_per_s: round(rate, 1),
      single_cold_all_ready_s: round(single.coldS, 1),
      single_cold_es_per_s: round(single.rate, 1),
      ratio_to_single: round(ratio, 2),
      ...cpu,
      secret_writes_sum: writesSum,
      kube_requests_sum: requestsSum,
      relabels_first: relabelsFirst,
      relabels_moved: relabelsMoved,
      rss_rest_sum_mib: round(rssSum / MiB, 1),
      heap_rest_sum_mib: round(heapSum / MiB, 1),
      replicas_exited: exited,
      ...perReplica,
    },
    targets,
    notes: [
      `ratio_to_single: against 9-scale-${n}'s cold_es_per_s, same run; no goal: on ${cpus().length} cores the apiserver and etcd are the limit (cold_cpu_apiserver_s and cold_cpu_etcd_s against cold_cpu_replicas_s, idle near 0), and the assigner adds its label writes (relabels_first: N when each ExternalSecret is labelled once)`,
      'rK_secret_writes: Secret writes of replica K; secret_writes_sum is N when no ExternalSecret was written by two replicas or twice',
      'rK_externalsecrets, rK_managed_secrets: the ExternalSecrets and managed Secrets in replica K’s caches (syncret_externalsecrets, syncret_cached_objects); rK_assigner: 1 on the replica that ran the shard assigner',
      'rK_rss_rest_mib: the mean over 10 s once the replica’s queue is drained',
    ],
    seconds: round((Date.now() - t0) / 1000, 1),
  });
}
