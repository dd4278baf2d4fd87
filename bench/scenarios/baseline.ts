// Scenario 1: the physical limit here. A bare client makes the API writes the operator must
// make for N ExternalSecrets (server-side apply of N Secrets, N status patches), at the best of
// a few concurrencies; no operator runs.

import { pool } from '../lib/api.js';
import type { Ctx } from '../lib/context.js';
import { round } from '../lib/stats.js';
import {
  GROUP_PATH,
  CREATE_CONCURRENCY,
  deleteNamespaces,
  ensureNamespace,
  esName,
  externalSecretBody,
} from '../lib/world.js';

const CONCURRENCIES = [16, 64];

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
  const metrics: Record<string, number> = {};
  let best = 0;
  for (const c of CONCURRENCIES) {
    const start = Date.now();
    await pool(names, c, async (name) => {
      const secret = `${name}-c${c}`;
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
        `${GROUP_PATH}/namespaces/${ns}/externalsecrets/${name}/status`,
        {
          status: {
            refreshTime: now,
            syncedResourceVersion: `1-${c}`,
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
    });
    const perSec = n / ((Date.now() - start) / 1000);
    metrics[`es_per_s_c${c}`] = round(perSec, 1);
    best = Math.max(best, perSec);
    ctx.log(`baseline N=${n} concurrency ${c}: ${perSec.toFixed(1)} ExternalSecrets/s (${n * 2} writes)`);
  }
  metrics.es_per_s_best = round(best, 1);
  ctx.baseline.set(n, best);
  await deleteNamespaces(api, [ns]);
  ctx.results.push({
    id: `1-baseline-${n}`,
    title: `Baseline: bare-client writes for N=${n}`,
    params: { n, concurrencies: CONCURRENCIES.join('/') },
    metrics,
    targets: [],
    notes: ['2 writes per ExternalSecret: Secret server-side apply + status merge patch'],
    seconds: round((Date.now() - t0) / 1000, 1),
  });
}
