// Scenario 1: the physical limit here, with no operator running. Two figures per N, each at the
// best of a few concurrencies:
// - writes: the API writes the operator must make per ExternalSecret (server-side apply of its
//   Secret, a status patch), with the ExternalSecrets created beforehand, untimed;
// - scenario: the same two writes plus the create of the ExternalSecret itself, all timed. The
//   cold-sync scenario times from the first create to the last Ready, so its creates share the
//   apiserver with the operator's writes: this is the like-for-like limit its ratio is taken to.

import { pool } from '../lib/api.js';
import type { Api } from '../lib/api.js';
import type { Ctx } from '../lib/context.js';
import { round } from '../lib/stats.js';
import {
  GROUP_PATH,
  CREATE_CONCURRENCY,
  ReadyTracker,
  deleteNamespaces,
  ensureNamespace,
  esName,
  externalSecretBody,
} from '../lib/world.js';

const CONCURRENCIES = [16, 64];
// 64 was never better than 32 once creates are in the mix (2026-11-23: 180/s vs 210/s).
const SCENARIO_CONCURRENCIES = [32];

/** The operator's two writes for one ExternalSecret. */
async function operatorWrites(api: Api, ns: string, es: string, secret: string, rv: string): Promise<void> {
  await api.must(
    'PATCH',
    `/api/v1/namespaces/${ns}/secrets/${secret}?fieldManager=bench&force=true`,
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: secret,
        namespace: ns,
        labels: { 'reconcile.external-secrets.io/managed': 'true' },
        annotations: { 'reconcile.external-secrets.io/data-hash': 'x'.repeat(56) },
      },
      type: 'Opaque',
      data: {
        a: Buffer.from('not-a-secret-a').toString('base64'),
        pass: Buffer.from('not-a-secret-b').toString('base64'),
      },
    },
    'application/apply-patch+yaml',
  );
  const now = new Date().toISOString();
  await api.must(
    'PATCH',
    `${GROUP_PATH}/namespaces/${ns}/externalsecrets/${es}/status`,
    {
      status: {
        refreshTime: now,
        syncedResourceVersion: rv,
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'SecretSynced',
            message: 'bench',
            lastTransitionTime: now,
          },
        ],
      },
    },
    'application/merge-patch+json',
  );
}

export async function baseline(ctx: Ctx, n: number): Promise<void> {
  const t0 = Date.now();
  const { api } = ctx;
  const ns = `bench-base-${n}`;
  await ensureNamespace(api, ns);
  const names = Array.from({ length: n }, (_, i) => esName(i));
  ctx.log(`baseline N=${n}: creating ${n} ExternalSecrets (untimed; no operator)`);
  await pool(names, CREATE_CONCURRENCY, (name) =>
    api
      .must('POST', `${GROUP_PATH}/namespaces/${ns}/externalsecrets`, externalSecretBody(ns, name))
      .then(() => undefined),
  );
  // The cold scenario watches its ExternalSecrets to timestamp Ready; the same watch runs here so
  // both pay the apiserver's watch fan-out for the measurement alike.
  const observer = new ReadyTracker(api, ns);
  await observer.start();
  const metrics: Record<string, number> = {};
  let best = 0;
  for (const c of CONCURRENCIES) {
    const start = Date.now();
    await pool(names, c, (name) => operatorWrites(api, ns, name, `${name}-c${c}`, `1-${c}`));
    const perSec = n / ((Date.now() - start) / 1000);
    metrics[`es_per_s_c${c}`] = round(perSec, 1);
    best = Math.max(best, perSec);
    ctx.log(`baseline N=${n} concurrency ${c}: ${perSec.toFixed(1)} ExternalSecrets/s (${n * 2} writes)`);
  }
  metrics.es_per_s_best = round(best, 1);
  ctx.baseline.set(n, best);

  let bestScenario = 0;
  for (const c of SCENARIO_CONCURRENCIES) {
    const start = Date.now();
    await pool(names, c, async (name) => {
      const es = `${name}-s${c}`;
      await api.must('POST', `${GROUP_PATH}/namespaces/${ns}/externalsecrets`, externalSecretBody(ns, es));
      await operatorWrites(api, ns, es, es, `1-s${c}`);
    });
    const perSec = n / ((Date.now() - start) / 1000);
    metrics[`scenario_es_per_s_c${c}`] = round(perSec, 1);
    bestScenario = Math.max(bestScenario, perSec);
    ctx.log(
      `baseline N=${n} with creates, concurrency ${c}: ${perSec.toFixed(1)} ExternalSecrets/s (${n * 3} writes)`,
    );
  }
  metrics.scenario_es_per_s_best = round(bestScenario, 1);
  ctx.scenarioBaseline.set(n, bestScenario);
  await observer.stop();
  await deleteNamespaces(api, [ns]);
  ctx.results.push({
    id: `1-baseline-${n}`,
    title: `Baseline: bare-client writes for N=${n}`,
    params: {
      n,
      concurrencies: CONCURRENCIES.join('/'),
      scenarioConcurrencies: SCENARIO_CONCURRENCIES.join('/'),
    },
    metrics,
    targets: [],
    notes: [
      'es_per_s: 2 writes per ExternalSecret (Secret server-side apply + status merge patch), ExternalSecrets created beforehand',
      'scenario_es_per_s: the same plus the create of each ExternalSecret, timed as the cold-sync scenario times it',
      'a watch on the ExternalSecrets runs throughout, as in the cold-sync scenario',
    ],
    seconds: round((Date.now() - t0) / 1000, 1),
  });
}
