// `npm run bench`: the performance scenarios of docs/PERFORMANCE.md on the local control plane
// (started if none runs, as the e2e suite does), with the operator as its own process.
// Prints a table and writes bench/results/<date>.json and .md, and its pictures as <date>-*.svg.
//
//   npm run bench -- [--quick] [--scenarios 1,2,3,4,5,7] [--n 5000] [--steady-n 10000]
//                    [--push-n 1000] (scenario 8, PushSecret, runs only when named)
//                    [--steady-seconds 300] [--unrelated-n 10000] [--unrelated-kib 100]
//                    [--operator-args '--kube-qps 0'] [--node-defaults] [--label NAME]
//                    [--operator-node-options '--max-semi-space-size=16']  (the operator's NODE_OPTIONS)
//   npm run bench -- --scale [--scale-n 50000] [--scale-namespaces 500] [--scale-base-n 10000]
//                    [--scale-steady-seconds 120]   (scenario 9 alone: see bench/scenarios/scale.ts)
//                    [--scale-replicas 3]   (then the same cold sync with that many replicas
//                    under --sharding, bench/scenarios/scale-sharded.ts; 0 skips it)
//                    [--no-scale-bare-after]   (only the bare pass before the operator)
//   npm run bench -- --scenarios 10 [--refresh-n 5000] [--refresh-interval-s 360]
//                    [--refresh-seconds 180]   (refreshes at 50,000-at-1h's rate: scenarios/refresh.ts)

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { OperatorHandle } from '../e2e/lib/operator.js';
import { startOperator } from '../e2e/lib/operator.js';
import { ADMIN_KUBECONFIG, OPERATOR_KUBECONFIG, ROOT } from '../e2e/lib/paths.js';
import globalSetup from '../e2e/setup/global-setup.js';
import globalTeardown from '../e2e/setup/global-teardown.js';
import { Api } from './lib/api.js';
import type { BenchOptions, Ctx, ScenarioResult } from './lib/context.js';
import { writePictures } from './lib/plots.js';
import { deleteNamespaces } from './lib/world.js';
import { baseline } from './scenarios/baseline.js';
import { idle } from './scenarios/idle.js';
import { cold, compareToBaselines } from './scenarios/cold.js';
import { providerCalls } from './scenarios/provider-calls.js';
import { pushScenario } from './scenarios/push.js';
import { underLoad } from './scenarios/load.js';
import { refresh } from './scenarios/refresh.js';
import { restart } from './scenarios/restart.js';
import { scale } from './scenarios/scale.js';
import { scaleSharded } from './scenarios/scale-sharded.js';
import { steady, unrelated } from './scenarios/steady.js';

function parse(argv: string[]): BenchOptions {
  const o: BenchOptions = {
    coldN: [1000, 5000],
    loadN: 5000,
    newN: 50,
    steadyN: 10000,
    steadySeconds: 300,
    unrelatedN: 10000,
    unrelatedBytes: 100 * 1024,
    scenarios: new Set(['0', '1', '2', '3', '4', '5', '6', '7']),
    callsN: 1000,
    // The count is exact (10 per cycle); the 15-minute budget has no room for a second minute.
    callsCycles: 1,
    pushN: 1000,
    operatorArgs: [],
    nodeDefaults: false,
    operatorNodeOptions: '',
    label: '',
    scaleN: 50_000,
    scaleNamespaces: 500,
    scaleBaseN: 10_000,
    scaleSteadySeconds: 120,
    scaleReplicas: 3,
    scaleBareAfter: true,
    refreshN: 5000,
    refreshIntervalS: 360,
    refreshSeconds: 180,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = (): string => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${a} needs a value`);
      return x;
    };
    if (a === '--quick') {
      Object.assign(o, {
        coldN: [100, 500],
        loadN: 500,
        newN: 20,
        steadyN: 1000,
        steadySeconds: 20,
        unrelatedN: 300,
        callsN: 200,
        callsCycles: 1,
      });
    } else if (a === '--scenarios') o.scenarios = new Set(v().split(','));
    else if (a === '--n') {
      o.loadN = Number(v());
      o.coldN = [Math.min(1000, o.loadN), o.loadN].filter((x, j, arr) => arr.indexOf(x) === j);
    } else if (a === '--operator-args') o.operatorArgs = v().split(' ').filter(Boolean);
    else if (a === '--steady-n') o.steadyN = Number(v());
    else if (a === '--steady-seconds') o.steadySeconds = Number(v());
    else if (a === '--unrelated-n') o.unrelatedN = Number(v());
    else if (a === '--unrelated-kib') o.unrelatedBytes = Number(v()) * 1024;
    else if (a === '--push-n') o.pushN = Number(v());
    else if (a === '--node-defaults') o.nodeDefaults = true;
    else if (a === '--operator-node-options') o.operatorNodeOptions = v();
    else if (a === '--label') o.label = v();
    else if (a === '--scale') o.scenarios = new Set(['9']);
    else if (a === '--scale-n') o.scaleN = Number(v());
    else if (a === '--scale-namespaces') o.scaleNamespaces = Number(v());
    else if (a === '--scale-base-n') o.scaleBaseN = Number(v());
    else if (a === '--scale-steady-seconds') o.scaleSteadySeconds = Number(v());
    else if (a === '--scale-replicas') o.scaleReplicas = Number(v());
    else if (a === '--no-scale-bare-after') o.scaleBareAfter = false;
    else if (a === '--refresh-n') o.refreshN = Number(v());
    else if (a === '--refresh-interval-s') o.refreshIntervalS = Number(v());
    else if (a === '--refresh-seconds') o.refreshSeconds = Number(v());
    else throw new Error(`unknown flag ${a}`);
  }
  return o;
}

function log(msg: string): void {
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

function table(results: ScenarioResult[]): string {
  const lines = ['| scenario | metric | value |', '|---|---|---|'];
  for (const r of results) {
    for (const [k, v] of Object.entries(r.metrics)) lines.push(`| ${r.id} | ${k} | ${v} |`);
  }
  lines.push('', '| target | measured | goal | met |', '|---|---|---|---|');
  for (const r of results)
    for (const t of r.targets) {
      const met = t.op === '<=' ? t.value <= t.target : t.value >= t.target;
      lines.push(
        `| ${t.name} (${r.id}) | ${t.value} ${t.unit} | ${t.op} ${t.target} ${t.unit} | ${met ? 'yes' : 'NO'} |`,
      );
    }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const opts = parse(process.argv.slice(2));
  const began = Date.now();
  // The fake provider needs no backend servers.
  process.env.SYNCRET_E2E_SERVERS ??= opts.scenarios.has('6') || opts.scenarios.has('8') ? 'moto' : '';
  await globalSetup({} as never, { rootDir: ROOT } as never);
  const api = new Api(ADMIN_KUBECONFIG);
  const operatorApi = new Api(OPERATOR_KUBECONFIG);
  let op: OperatorHandle | undefined;
  let replicas: OperatorHandle[] = [];
  const launch = (name: string, args: string[], env: Record<string, string>): Promise<OperatorHandle> =>
    startOperator({
      name: `bench-${name}`,
      args: ['--log-level', 'info', ...opts.operatorArgs, ...args],
      // The operator applies its own runtime settings (src/cli/runtime-settings.ts);
      // --node-defaults turns them off to measure Node's and glibc's defaults.
      env: {
        ...(opts.nodeDefaults ? { SYNCRET_RUNTIME_SETTINGS: 'off' } : {}),
        ...(opts.operatorNodeOptions ? { NODE_OPTIONS: opts.operatorNodeOptions } : {}),
        ...env,
      },
      // A loaded machine (other work on the same cores) can take longer than 30 s to start Node.
      readyTimeoutMs: 120_000,
    });
  const ctx: Ctx = {
    api,
    operatorApi,
    opts,
    results: [],
    baselines: new Map(),
    log,
    operator: () => (op && !op.exited() ? op : undefined),
    async stopOperator() {
      const all = [...(op ? [op] : []), ...replicas];
      op = undefined;
      replicas = [];
      await Promise.all(all.filter((h) => !h.exited()).map((h) => h.stop()));
    },
    async startOperator(name, args = [], env = {}) {
      await ctx.stopOperator();
      op = await launch(name, args, env);
      return op;
    },
    async startReplicas(name, count, args, env) {
      await ctx.stopOperator();
      // At once, not one after another: Node's startup on a loaded machine is the slow part, and
      // the caller waits for the assignment that names them all anyway.
      const started = await Promise.allSettled(
        Array.from({ length: count }, (_, i) => launch(`${name}-${i + 1}`, args, env(i))),
      );
      for (const r of started) if (r.status === 'fulfilled') replicas.push(r.value);
      const failed = started.find((r) => r.status === 'rejected');
      if (failed) {
        await ctx.stopOperator();
        throw failed.reason;
      }
      return [...replicas];
    },
  };
  const leftovers = await api.must<{ items: { metadata: { name: string } }[] }>(
    'GET',
    '/api/v1/namespaces?labelSelector=syncret.bench%2Frun%3Dtrue',
  );
  if (leftovers.items.length > 0) {
    log(`deleting ${leftovers.items.length} namespaces of an earlier run`);
    await deleteNamespaces(
      api,
      leftovers.items.map((i) => i.metadata.name),
    );
  }
  const s = opts.scenarios;
  const maxN = Math.max(...opts.coldN);
  try {
    if (s.has('0')) await idle(ctx);
    let loadNs: string | undefined;
    // Each N's baseline right before its cold run. At the largest N the writes-only passes
    // bracket the backlog's rounds inside cold() instead, and the like-for-like pass runs once
    // more after the cold run: A-B-B-A and A-B-A.
    for (const n of opts.coldN) {
      const backlogHere = n === maxN && s.has('2');
      // The writes-only figure is compared at the largest N only (with the backlog).
      const pending = s.has('1')
        ? await baseline(ctx, n, 'before', { writes: n === maxN && !backlogHere, keep: backlogHere })
        : undefined;
      if (!s.has('2')) continue;
      const keep = n === maxN && (s.has('3') || s.has('4') || s.has('7'));
      const ns = await cold(ctx, n, keep, backlogHere, pending);
      if (keep) loadNs = ns;
    }
    if (s.has('1') && s.has('2')) {
      // Restart scenario 7 starts a fresh operator anyway.
      await ctx.stopOperator();
      await baseline(ctx, maxN, 'after', { writes: false });
    }
    compareToBaselines(ctx);
    if (loadNs && s.has('7')) await restart(ctx, maxN);
    if (loadNs && s.has('3')) await underLoad(ctx, loadNs, maxN, opts.newN);
    if (s.has('4')) loadNs = await steady(ctx, loadNs, loadNs ? maxN : 0);
    if (s.has('5')) await unrelated(ctx);
    if (s.has('6')) await providerCalls(ctx, opts.callsN, opts.callsCycles, 60);
    if (s.has('8')) await pushScenario(ctx, opts.pushN, 60);
    if (s.has('9')) {
      const single = await scale(ctx);
      if (opts.scaleReplicas > 1) await scaleSharded(ctx, single);
    }
    if (s.has('10')) await refresh(ctx);
    await ctx.stopOperator();
    if (loadNs) await deleteNamespaces(api, [loadNs], { wait: false });
  } finally {
    await ctx.stopOperator();
    await api.close();
    await operatorApi.close();
    await globalTeardown();
  }

  const date = new Date().toISOString().slice(0, 10) + (opts.label ? `-${opts.label}` : '');
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? '',
    memGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
  const doc = {
    date: new Date().toISOString(),
    machine,
    options: { ...opts, scenarios: [...opts.scenarios] },
    results: ctx.results,
    totalSeconds: Math.round((Date.now() - began) / 1000),
  };
  const md = `# Benchmark ${doc.date}\n\nMachine: ${machine.cpus} cores (${machine.cpuModel}), ${machine.memGiB} GiB, Node ${machine.node}. Total ${doc.totalSeconds} s.\n\n${table(ctx.results)}\n`;
  writeFileSync(join(dir, `${date}.json`), JSON.stringify(doc, null, 2) + '\n');
  writeFileSync(join(dir, `${date}.md`), md);
  const svgs = await writePictures(join(dir, `${date}.json`), ctx.results);
  console.log(`\n${table(ctx.results)}\n`);
  log(
    `done in ${doc.totalSeconds} s; results in bench/results/${date}.{json,md} and ${svgs.length} pictures (.svg)`,
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
