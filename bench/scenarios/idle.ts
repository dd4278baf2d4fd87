// Scenario 0: the operator with nothing to reconcile (no ExternalSecrets, no stores), as a new
// user first meets it: RSS, split into the process's own memory and mapped files, and heap.
// Next to it, in the same run, the floor any Node process of this kind pays with the same
// flags and environment: an empty script, and one that serves HTTP and has made one request
// with undici (what /healthz, /metrics and the kube client need before any Syncret code).

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ROOT } from '../../e2e/lib/paths.js';
import type { Ctx } from '../lib/context.js';
import { MiB } from '../lib/context.js';
import { rssKinds, sampleRss } from '../lib/proc.js';
import { round } from '../lib/stats.js';

/** Seconds after ready before sampling (startup's garbage collected), and of sampling. */
const SETTLE_S = 5;
const SAMPLE_S = 5;

const EMPTY = 'setInterval(() => {}, 60_000);';
const HTTP_AND_UNDICI = `
import { Agent } from 'undici';
import { createServer } from 'node:http';
const server = createServer((_q, r) => r.end('ok')).listen(0, '127.0.0.1');
await new Promise((r) => server.on('listening', r));
const res = await new Agent().request({ origin: 'http://127.0.0.1:' + server.address().port, path: '/', method: 'GET' });
await res.body.text();
setInterval(() => {}, 60_000);
`;

/** The node flags and environment the operator runs with (after its own re-exec). */
function runtimeOf(pid: number): { flags: string[]; env: NodeJS.ProcessEnv } {
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  const script = argv.findIndex((a, i) => i > 0 && !a.startsWith('-'));
  const env: NodeJS.ProcessEnv = {};
  for (const kv of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
    const i = kv.indexOf('=');
    if (i > 0 && /^(MALLOC_|NODE_OPTIONS$)/.test(kv.slice(0, i))) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return { flags: argv.slice(1, script < 0 ? undefined : script), env };
}

/** RSS of a Node process running `source` with the operator's runtime, measured as the operator's. */
async function floorRss(source: string, rt: { flags: string[]; env: NodeJS.ProcessEnv }): Promise<number> {
  const child = spawn(process.execPath, [...rt.flags, '--input-type=module', '-e', source], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, ...rt.env },
    stdio: 'ignore',
  });
  try {
    await new Promise((r) => setTimeout(r, SETTLE_S * 1000));
    const s = sampleRss(child.pid!, 500);
    await new Promise((r) => setTimeout(r, SAMPLE_S * 1000));
    return s.stop().avg;
  } finally {
    child.kill('SIGKILL');
  }
}

export async function idle(ctx: Ctx): Promise<void> {
  const t0 = Date.now();
  const op = await ctx.startOperator('idle');
  await new Promise((r) => setTimeout(r, SETTLE_S * 1000));
  const s = sampleRss(op.pid, 500);
  await new Promise((r) => setTimeout(r, SAMPLE_S * 1000));
  const rss = s.stop().avg;
  const kinds = rssKinds(op.pid);
  const heap = await op.metric('nodejs_heap_size_used_bytes');
  const rt = runtimeOf(op.pid);
  await ctx.stopOperator();
  const empty = await floorRss(EMPTY, rt);
  const http = await floorRss(HTTP_AND_UNDICI, rt);
  ctx.log(
    `idle floor with the operator's flags (${rt.flags.join(' ')}): empty script ${(empty / MiB).toFixed(1)} MiB, HTTP server + one undici request ${(http / MiB).toFixed(1)} MiB`,
  );
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
      node_empty_rss_mib: round(empty / MiB, 1),
      node_http_undici_rss_mib: round(http / MiB, 1),
      above_http_undici_mib: round((rss - http) / MiB, 1),
    },
    targets: [{ name: 'RSS idle', value: round(rss / MiB, 1), op: '<=', target: 60, unit: 'MiB' }],
    notes: [
      `rss_mib: the mean of ${SAMPLE_S * 2} samples from ${SETTLE_S} s after ready`,
      'rss_file_mib: mapped files, almost all the node binary (clean pages, shared with every Node process of the image)',
      'node_empty_rss_mib, node_http_undici_rss_mib: Node with the operator’s flags and allocator settings running an empty script, and an HTTP server plus one undici request: the floor before any Syncret code, measured right after the operator',
    ],
    seconds: round((Date.now() - t0) / 1000, 1),
  });
}
