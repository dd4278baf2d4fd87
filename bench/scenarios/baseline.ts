// Scenario 1: the physical limit here, with no operator running. Two figures per pass, each at the
// concurrency that served it best here (2026-11-23: 64 for the writes, in all of four runs; 32 once
// creates are in the mix, 210/s against 180/s at 64):
// - scenario: the ExternalSecret's create plus the two API writes the operator must make for it
//   (server-side apply of its Secret, a status patch), all timed. The cold-sync scenario times from
//   the first create to the last Ready, so its creates share the apiserver with the operator's
//   writes: this is the like-for-like limit its ratio is taken to;
// - writes: the two writes alone, on the ExternalSecrets the first figure left behind (the limit of
//   the backlog run, whose ExternalSecrets exist before the operator starts).
//
// At the largest N the pass runs twice, before and after the operator's runs (A-B-A), and the
// ratios are taken to the mean: the control plane's speed drifts by up to a quarter within one run
// (277 vs 348/s for the same writes between runs of the same code), so a single baseline measured
// minutes away made the ratio a measure of when the baseline ran.

import { createHash } from 'node:crypto';
import type { ExternalSecret } from '../../src/api/types.js';
import type { Api } from '../lib/api.js';
import { pool } from '../lib/api.js';
import type { Ctx } from '../lib/context.js';
import { clusterCpu, cpuSpent, ownCpu } from '../lib/proc.js';
import { round } from '../lib/stats.js';
import {
  GROUP_PATH,
  ReadyTracker,
  deleteNamespaces,
  ensureNamespace,
  esName,
  externalSecretBody,
} from '../lib/world.js';

const WRITES_CONCURRENCY = 64;
const SCENARIO_CONCURRENCY = 32;

/**
 * The operator's two writes for one ExternalSecret, the same bodies it sends for the fake store
 * (labels, owner reference, data hash, status: see src/secrets/build.ts and
 * src/controller/externalsecret/reconcile.ts), and under its own ServiceAccount: the
 * apiserver's costs that come with them (RBAC for a non-admin, API Priority and Fairness, the
 * owner-reference permission check, the garbage collector's graph) are the operator's too.
 */
async function operatorWrites(
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
const SRV = `1-${'0'.repeat(32)}`;

export async function baseline(ctx: Ctx, n: number, pass: 'before' | 'after' = 'before'): Promise<void> {
  const t0 = Date.now();
  const { api } = ctx;
  const ns = `bench-base-${n}-${pass}`;
  await ensureNamespace(api, ns);
  const names = Array.from({ length: n }, (_, i) => esName(i));
  // The cold scenario watches its ExternalSecrets to timestamp Ready; the same watch runs here so
  // both pay the apiserver's watch fan-out for the measurement alike.
  const observer = new ReadyTracker(api, ns);
  await observer.start();

  // Creates as the benchmark (the admin), writes as the operator, as in scenario 2.
  const uids = new Map<string, string>();
  let start = Date.now();
  await pool(names, SCENARIO_CONCURRENCY, async (name) => {
    const es = await api.must<ExternalSecret>(
      'POST',
      `${GROUP_PATH}/namespaces/${ns}/externalsecrets`,
      externalSecretBody(ns, name),
    );
    const uid = es.metadata.uid ?? '';
    uids.set(name, uid);
    await operatorWrites(ctx.operatorApi, ns, { name, uid }, name, SRV);
  });
  const scenario = n / ((Date.now() - start) / 1000);
  ctx.log(
    `baseline N=${n} (${pass}) with creates, concurrency ${SCENARIO_CONCURRENCY}: ${scenario.toFixed(1)}/s`,
  );

  const cpu0 = clusterCpu();
  const own0 = ownCpu();
  start = Date.now();
  await pool(names, WRITES_CONCURRENCY, (name) =>
    operatorWrites(ctx.operatorApi, ns, { name, uid: uids.get(name)! }, `${name}-w`, SRV),
  );
  const writes = n / ((Date.now() - start) / 1000);
  const cpu = cpuSpent('writes_', cpu0, { bench: ownCpu() - own0 });
  ctx.log(`baseline N=${n} (${pass}) writes only, concurrency ${WRITES_CONCURRENCY}: ${writes.toFixed(1)}/s`);

  await observer.stop();
  await deleteNamespaces(api, [ns]);
  const passes = ctx.baselines.get(n) ?? { writes: [], scenario: [] };
  passes.writes.push(writes);
  passes.scenario.push(scenario);
  ctx.baselines.set(n, passes);
  ctx.results.push({
    id: pass === 'before' ? `1-baseline-${n}` : `1-baseline-${n}-after`,
    title: `Baseline: bare-client writes for N=${n}${pass === 'after' ? ', after the operator runs' : ''}`,
    params: { n, writesConcurrency: WRITES_CONCURRENCY, scenarioConcurrency: SCENARIO_CONCURRENCY },
    metrics: { scenario_es_per_s: round(scenario, 1), es_per_s: round(writes, 1), ...cpu },
    targets: [],
    notes: [
      "scenario_es_per_s: the create of each ExternalSecret (as the admin) plus its Secret server-side apply and status merge patch (as the operator's ServiceAccount, the operator's exact bodies), timed as the cold-sync scenario times it",
      'es_per_s: the two writes alone on existing ExternalSecrets, as the backlog run finds them',
      'a watch on the ExternalSecrets runs throughout, as in the cold-sync scenario',
      'writes_cpu_*_s: CPU-seconds of each process during the writes-only pass (bench: this client and its watch; idle: the whole machine)',
    ],
    seconds: round((Date.now() - t0) / 1000, 1),
  });
}
