// Scenario 0: the operator with nothing to reconcile (no ExternalSecrets, no stores), as a new
// user first meets it: RSS, split into the process's own memory and mapped files, and heap.

import type { Ctx } from '../lib/context.js';
import { MiB } from '../lib/context.js';
import { rssKinds, sampleRss } from '../lib/proc.js';
import { round } from '../lib/stats.js';

/** Seconds after ready before sampling (startup's garbage collected), and of sampling. */
const SETTLE_S = 5;
const SAMPLE_S = 5;

export async function idle(ctx: Ctx): Promise<void> {
  const t0 = Date.now();
  const op = await ctx.startOperator('idle');
  await new Promise((r) => setTimeout(r, SETTLE_S * 1000));
  const s = sampleRss(op.pid, 500);
  await new Promise((r) => setTimeout(r, SAMPLE_S * 1000));
  const rss = s.stop().avg;
  const kinds = rssKinds(op.pid);
  const heap = await op.metric('nodejs_heap_size_used_bytes');
  await ctx.stopOperator();
  ctx.log(
    `idle: RSS ${(rss / MiB).toFixed(1)} MiB (own ${(kinds.anon / MiB).toFixed(1)}, mapped files ${(kinds.file / MiB).toFixed(1)}), heap ${(heap / MiB).toFixed(1)} MiB`,
  );
  ctx.results.push({
    id: '0-idle',
    title: 'Idle: nothing to reconcile',
    params: {},
    metrics: {
      rss_mib: round(rss / MiB, 1),
      rss_anon_mib: round(kinds.anon / MiB, 1),
      rss_file_mib: round(kinds.file / MiB, 1),
      heap_used_mib: round(heap / MiB, 1),
    },
    targets: [{ name: 'RSS idle', value: round(rss / MiB, 1), op: '<=', target: 60, unit: 'MiB' }],
    notes: [
      `rss_mib: the mean of ${SAMPLE_S * 2} samples from ${SETTLE_S} s after ready`,
      'rss_file_mib: mapped files, almost all the node binary (clean pages, shared with every Node process of the image)',
    ],
    seconds: round((Date.now() - t0) / 1000, 1),
  });
}
