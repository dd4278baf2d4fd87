// Faults for e2e/tests/faults.e2e.test.ts, on the real parts: a control-plane component killed
// (SIGKILL) and started again with the same data, ports and certificates (e2e/tools/cluster.sh
// kill|start), etcd compacted over its client port, a backend test server stopped and started on
// the same port (e2e/tools/servers.sh stop|start), a process frozen and thawed, and the upper
// bound on retries that a backoff allows in a window, which the tests hold provider calls to.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { clusterEnv } from './cluster.js';
import { ROOT } from './paths.js';

export type Component = 'etcd' | 'kube-apiserver' | 'kube-controller-manager';

const run = promisify(execFile);

// Asynchronous: the test's samplers and pollers keep running while a component restarts.
async function script(name: string, args: string[], timeoutMs: number): Promise<void> {
  await run('bash', [`${ROOT}/e2e/tools/${name}`, ...args], { cwd: ROOT, timeout: timeoutMs });
}

/** SIGKILL: the component dies as in a crash (nothing flushed, no graceful shutdown). */
export function killComponent(c: Component): Promise<void> {
  return script('cluster.sh', ['kill', c], 20_000);
}

/** Starts it again with the same data dir, ports and certificates; returns once it is ready. */
export function startComponent(c: Component): Promise<void> {
  return script('cluster.sh', ['start', c], 120_000);
}

/** `servers.sh stop <name>`: the server goes, its port and client variables stay. */
export function stopServer(name: string): Promise<void> {
  return script('servers.sh', ['stop', name], 30_000);
}

/** `servers.sh start <name>`: the same server again, on the same port. */
export function startServer(name: string): Promise<void> {
  return script('servers.sh', ['start', name], 90_000);
}

async function etcd(path: string, body: object): Promise<Record<string, unknown>> {
  const res = await fetch(`${clusterEnv().ETCD_URL}/v3/${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`etcd ${path}: HTTP ${res.status} ${text.slice(0, 200)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** etcd's current revision (every write of the cluster moves it). */
export async function etcdRevision(): Promise<number> {
  const r = (await etcd('kv/range', { key: Buffer.from('/').toString('base64') })) as {
    header?: { revision?: string };
  };
  return Number(r.header?.revision ?? 0);
}

/**
 * Compacts etcd's history up to its current revision (physically, as the apiserver's own
 * periodic compaction does): any read or watch from an older revision answers "compacted", and
 * the apiserver turns that into 410 Gone. Returns the revision.
 */
export async function compactEtcd(): Promise<number> {
  const revision = await etcdRevision();
  await etcd('kv/compaction', { revision: String(revision), physical: true });
  return revision;
}

/**
 * Writes `count` revisions straight into etcd, under a key outside the apiserver's prefix. While
 * the apiserver is down no watcher can be told of them (no event, no bookmark), so every
 * resourceVersion a client holds is older than the revision this returns.
 */
export async function advanceEtcd(count: number): Promise<number> {
  const key = Buffer.from('/syncret-e2e/advance').toString('base64');
  for (let i = 0; i < count; i++)
    await etcd('kv/put', { key, value: Buffer.from(String(i)).toString('base64') });
  return etcdRevision();
}

/** SIGSTOP / SIGCONT: the process keeps its sockets but runs no code meanwhile. */
export function freeze(pid: number): void {
  process.kill(pid, 'SIGSTOP');
}

export function thaw(pid: number): void {
  process.kill(pid, 'SIGCONT');
}

/**
 * The most attempts a retry schedule can make within `windowMs`: the first at once, each later
 * one no sooner than `minDelayMs(n)` after the previous (n = 1 for the first retry). With a
 * jittered backoff whose jitter only shortens, the shortest delay is (1 - jitter) · nominal.
 */
export function maxAttempts(windowMs: number, minDelayMs: (n: number) => number): number {
  let t = 0;
  let n = 0;
  for (;;) {
    const d = minDelayMs(n + 1);
    if (!(d > 0) || t + d > windowMs) return n + 1;
    t += d;
    n++;
  }
}

/** The shortest delay before retry n of a doubling backoff: base, cap and jitter as configured. */
export const doublingMin =
  (baseMs: number, maxMs: number, jitter = 0.2) =>
  (n: number): number =>
    Math.min(maxMs, baseMs * 2 ** (n - 1)) * (1 - jitter);

/** Prints one progress or measurement line at once (jest buffers console.log per test). */
export function say(line: string): void {
  process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}
