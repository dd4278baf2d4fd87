// Scenario 1: the physical limit here, with no operator running. Two figures, each at the
// concurrency that served it best here (2026-11-23: 64 for the writes, in all of four runs; 32 once
// creates are in the mix, 210/s against 180/s at 64):
// - scenario: the ExternalSecret's create plus the two API writes the operator must make for it
//   (server-side apply of its Secret, a status patch), all timed. The cold-sync scenario times from
//   the first create to the last Ready, so its creates share the apiserver with the operator's
//   writes: this is the like-for-like limit its ratio is taken to;
// - writes: the two writes alone, on ExternalSecrets that exist (the limit of the backlog run,
//   whose ExternalSecrets exist before the operator starts).
//
// At the largest N each figure is measured next to the operator's runs it is compared with, and
// the ratios are taken to the mean of its passes: the machine's speed drifts by up to a quarter
// within minutes (every process's CPU-seconds for the same work rise together), so a single
// baseline measured minutes away made the ratio a measure of when the baseline ran. The writes
// bracket the backlog rounds on the backlog's own ExternalSecrets (A-B-B-A): right before the
// first round and right after the last, with the operator stopped (writesNextToBacklog). The
// like-for-like pass runs before and after the cold runs.

import { createHash } from 'node:crypto';
import type { ExternalSecret } from '../../src/api/types.js';
import type { Api } from '../lib/api.js';
import { pool } from '../lib/api.js';
import type { Ctx, Curve } from '../lib/context.js';
import { clusterCpu, cpuSpent, ownCpu } from '../lib/proc.js';
import { doneCurve, round } from '../lib/stats.js';
import {
  GROUP_PATH,
  ReadyTracker,
  deleteNamespaces,
  ensureNamespace,
  esName,
  externalSecretBody,
} from '../lib/world.js';

const WRITES_CONCURRENCY = 64;
export const SCENARIO_CONCURRENCY = 32;

/**
 * The operator's two writes for one ExternalSecret, the same bodies it sends for the fake store
 * (labels, owner reference, data hash, status: see src/secrets/build.ts and
 * src/controller/externalsecret/reconcile.ts), and under its own ServiceAccount: the
 * apiserver's costs that come with them (RBAC for a non-admin, API Priority and Fairness, the
 * owner-reference permission check, the garbage collector's graph) are the operator's too.
 */
export async function operatorWrites(
  api: Api,
  ns: string,
  es: { name: string; uid: string },
  secret: string,
  srv: string,
): Promise<void> {
  await api.must(
    'PATCH',
    `/api/v1/namespaces/${ns}/secrets/${secret}?fieldManager=syncret&force=true`,
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: secret,
        namespace: ns,
        labels: {
          'reconcile.external-secrets.io/managed': 'true',
          'reconcile.external-secrets.io/created-by': createHash('sha3-224')
            .update(`${ns}/${es.name}`)
            .digest('hex'),
        },
        annotations: { 'reconcile.external-secrets.io/data-hash': DATA_HASH },
        ownerReferences: [
          {
            apiVersion: 'external-secrets.io/v1',
            kind: 'ExternalSecret',
            name: es.name,
            uid: es.uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      type: 'Opaque',
      data: DATA,
    },
    'application/apply-patch+yaml',
  );
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  await api.must(
    'PATCH',
    `${GROUP_PATH}/namespaces/${ns}/externalsecrets/${es.name}/status`,
    {
      status: {
        refreshTime: now,
        syncedResourceVersion: srv,
        binding: { name: secret },
        observedGeneration: 1,
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'SecretSynced',
            message: 'Secret was synced',
            lastTransitionTime: now,
            observedGeneration: 1,
          },
        ],
      },
    },
    'application/merge-patch+json',
  );
}

const DATA = {
  a: Buffer.from('not-a-secret-a').toString('base64'),
  pass: Buffer.from('not-a-secret-b').toString('base64'),
};
/** The data-hash annotation's shape (56 hex characters); nothing reads it here. */
const DATA_HASH = 'd'.repeat(56);
/** The shape of the operator's syncedResourceVersion: generation, hash of labels and annotations. */
export const SRV = `1-${'0'.repeat(32)}`;

/**
 * The writes-only figure: both writes for each named ExternalSecret, to a second Secret
 * (`<name>-w`) so existing ones are not touched, WRITES_CONCURRENCY at a time.
 */
async function writesPass(
  ctx: Ctx,
  ns: string,
  uids: Map<string, string>,
): Promise<{ rate: number; cpu: Record<string, number>; curve: Curve }> {
  const cpu0 = clusterCpu();
  const own0 = ownCpu();
  const start = Date.now();
  const done: number[] = [];
  await pool([...uids], WRITES_CONCURRENCY, async ([name, uid]) => {
    await operatorWrites(ctx.operatorApi, ns, { name, uid }, `${name}-w`, SRV);
    done.push(Date.now());
  });
  const rate = uids.size / ((Date.now() - start) / 1000);
  return { rate, cpu: cpuSpent('writes_', cpu0, { bench: ownCpu() - own0 }), curve: doneCurve(done, start) };
}

function record(ctx: Ctx, n: number, figures: { writes?: number; scenario?: number }): void {
  const passes = ctx.baselines.get(n) ?? { writes: [], scenario: [] };
  if (figures.writes !== undefined) passes.writes.push(figures.writes);
  if (figures.scenario !== undefined) passes.scenario.push(figures.scenario);
  ctx.baselines.set(n, passes);
}

const NOTES = {
  scenario:
    "scenario_es_per_s: the create of each ExternalSecret (as the admin) plus its Secret server-side apply and status merge patch (as the operator's ServiceAccount, the operator's exact bodies), timed as the cold-sync scenario times it",
  writes: 'es_per_s: the two writes alone on existing ExternalSecrets, as the backlog run finds them',
  watch: 'a watch on the ExternalSecrets runs throughout, as in the cold-sync scenario',
  cpu: 'writes_cpu_*_s: CPU-seconds of each process during the writes-only pass (bench: this client and its watch; idle: the whole machine)',
};

/**
 * One pass of scenario 1 in a namespace of its own: the like-for-like figure, then (unless
 * `writes` is false) the writes-only figure on the ExternalSecrets it created. With `keep`, the
 * namespace and its ExternalSecrets stay and its name is returned: the backlog run starts from
 * them instead of deleting N objects and creating N more (half a minute at 5,000).
 */
export async function baseline(
  ctx: Ctx,
  n: number,
  pass: 'before' | 'after' = 'before',
  opts: { writes?: boolean; keep?: boolean } = {},
): Promise<string | undefined> {
  const t0 = Date.now();
  const { api } = ctx;
  const withWrites = opts.writes ?? true;
  const ns = `bench-base-${n}-${pass}`;
  await ensureNamespace(api, ns);
  const names = Array.from({ length: n }, (_, i) => esName(i));
  // The cold scenario watches its ExternalSecrets to timestamp Ready; the same watch runs here so
  // both pay the apiserver's watch fan-out for the measurement alike.
  const observer = new ReadyTracker(api, ns);
  await observer.start();

  // Creates as the benchmark (the admin), writes as the operator, as in scenario 2.
  const uids = new Map<string, string>();
  const start = Date.now();
  const done: number[] = [];
  await pool(names, SCENARIO_CONCURRENCY, async (name) => {
    const es = await api.must<ExternalSecret>(
      'POST',
      `${GROUP_PATH}/namespaces/${ns}/externalsecrets`,
      externalSecretBody(ns, name),
    );
    const uid = es.metadata.uid ?? '';
    uids.set(name, uid);
    await operatorWrites(ctx.operatorApi, ns, { name, uid }, name, SRV);
    done.push(Date.now());
  });
  const scenario = n / ((Date.now() - start) / 1000);
  ctx.log(
    `baseline N=${n} (${pass}) with creates, concurrency ${SCENARIO_CONCURRENCY}: ${scenario.toFixed(1)}/s`,
  );
  const w = withWrites ? await writesPass(ctx, ns, uids) : undefined;
  if (w)
    ctx.log(
      `baseline N=${n} (${pass}) writes only, concurrency ${WRITES_CONCURRENCY}: ${w.rate.toFixed(1)}/s`,
    );

  await observer.stop();
  if (!opts.keep) await deleteNamespaces(api, [ns]);
  record(ctx, n, { scenario, writes: w?.rate });
  ctx.results.push({
    id: pass === 'before' ? `1-baseline-${n}` : `1-baseline-${n}-after`,
    title: `Baseline: bare-client writes for N=${n}${pass === 'after' ? ', after the operator runs' : ''}`,
    params: { n, writesConcurrency: WRITES_CONCURRENCY, scenarioConcurrency: SCENARIO_CONCURRENCY },
    metrics: {
      scenario_es_per_s: round(scenario, 1),
      ...(w ? { es_per_s: round(w.rate, 1), ...w.cpu } : {}),
    },
    targets: [],
    notes: w ? [NOTES.scenario, NOTES.writes, NOTES.watch, NOTES.cpu] : [NOTES.scenario, NOTES.watch],
    seconds: round((Date.now() - t0) / 1000, 1),
    curves: { ready: doneCurve(done, start), ...(w ? { writes_ready: w.curve } : {}) },
  });
  return opts.keep ? ns : undefined;
}

/**
 * The writes-only figure on the backlog's ExternalSecrets, with the operator stopped and the
 * backlog's watch open: right before its first round and right after its last.
 */
export async function writesNextToBacklog(
  ctx: Ctx,
  ns: string,
  n: number,
  where: 'before' | 'after',
): Promise<void> {
  const t0 = Date.now();
  const list = await ctx.api.must<{ items: ExternalSecret[] }>(
    'GET',
    `${GROUP_PATH}/namespaces/${ns}/externalsecrets`,
  );
  const uids = new Map(list.items.map((es) => [es.metadata.name ?? '', es.metadata.uid ?? '']));
  const w = await writesPass(ctx, ns, uids);
  const label = `${where} the backlog rounds`;
  ctx.log(
    `baseline N=${n} (${label}) writes only, concurrency ${WRITES_CONCURRENCY}: ${w.rate.toFixed(1)}/s`,
  );
  record(ctx, n, { writes: w.rate });
  ctx.results.push({
    id: `1-baseline-${n}-${where}-backlog`,
    title: `Baseline: bare-client writes for N=${n}, ${label}`,
    params: { n, writesConcurrency: WRITES_CONCURRENCY },
    metrics: { es_per_s: round(w.rate, 1), ...w.cpu },
    targets: [],
    notes: [NOTES.writes, NOTES.watch, NOTES.cpu],
    seconds: round((Date.now() - t0) / 1000, 1),
    curves: { writes_ready: w.curve },
  });
}
