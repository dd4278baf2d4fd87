// Scenario 7: the operator restarted with N synced ExternalSecrets and nothing changed: time to
// resume (ready and queue drained) and what it writes and fetches meanwhile.

import type { OperatorHandle } from '../../e2e/lib/operator.js';
import type { Ctx } from '../lib/context.js';
import { round } from '../lib/stats.js';

/** Waits until the operator's queue is empty and nothing is in flight (polling /metrics). */
export async function drained(op: OperatorHandle, timeoutMs: number, minAdds = 0): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let quiet = 0;
  while (Date.now() < deadline) {
    const depth = await op.metric('syncret_queue_depth');
    const inflight = await op.metric('syncret_inflight_reconciles');
    const adds = await op.metric('syncret_queue_adds_total');
    quiet = depth === 0 && inflight === 0 && adds >= minAdds ? quiet + 1 : 0;
    if (quiet >= 3) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`operator queue not drained after ${timeoutMs} ms`);
}

export async function restart(ctx: Ctx, n: number): Promise<void> {
  const t0 = Date.now();
  await ctx.stopOperator();
  const start = Date.now();
  const op = await ctx.startOperator(`restart-${n}`);
  const readyS = (Date.now() - start) / 1000;
  await drained(op, 600_000, n);
  const resumeS = (Date.now() - start) / 1000 - 0.6; // minus the drain detector's quiet period
  const writes = await op.metric('syncret_secret_writes_total');
  const statusWrites = await op.metric('syncret_status_writes_total');
  const calls = await op.metric('syncret_provider_calls_total');
  ctx.log(
    `restart N=${n}: ready ${readyS.toFixed(1)} s, resumed ${resumeS.toFixed(1)} s, ${writes} Secret writes, ${statusWrites} status writes, ${calls} provider calls`,
  );
  ctx.results.push({
    id: `7-restart-${n}`,
    title: `Restart with N=${n} synced ExternalSecrets`,
    params: { n },
    metrics: {
      ready_s: round(readyS, 2),
      resume_s: round(resumeS, 2),
      secret_writes: writes,
      status_writes: statusWrites,
      provider_calls: calls,
    },
    targets: [{ name: 'Secret writes on restart', value: writes, op: '<=', target: 0, unit: 'writes' }],
    notes: [],
    seconds: round((Date.now() - t0) / 1000, 1),
  });
}
