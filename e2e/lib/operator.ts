// Runs the operator as its own process, the way a user runs it: `node dist/main.js run`
// under the syncret ServiceAccount's kubeconfig (written by the global setup), so it has
// exactly the RBAC of config/rbac and never the admin's rights.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { LOG_DIR, OPERATOR_KUBECONFIG, OPERATOR_PID_DIR, ROOT } from './paths.js';
import { parseScrape, select } from './prom.js';

export const OPERATOR_NAMESPACE = 'syncret-system';

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface OperatorHandle {
  pid: number;
  port: number;
  metricsUrl: string;
  logFile: string;
  /** Sends SIGTERM (or the given signal), waits for the exit (SIGKILL after 25 s); the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** SIGKILL: a crash, no graceful release of anything. */
  kill(): Promise<number | null>;
  /** Resolves when the process has exited, however that happened. */
  waitExit(): Promise<ExitStatus>;
  exited(): boolean;
  /** The Prometheus text from /metrics. */
  metrics(): Promise<string>;
  /** The value of one metric (summed over the series whose labels include `labels`). */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
}

export interface StartOptions {
  /** Names the log file `.e2e/logs/operator-<name>.log`; default a number. */
  name?: string;
  /** Adds --leader-elect --leader-election-namespace syncret-system. */
  leaderElect?: boolean;
  /**
   * Adds --allow-insecure-credentials (default true): the test servers (OpenBao's dev
   * listener, moto, the token endpoints) speak plain HTTP on loopback. false: the default a
   * user gets, which refuses credentials to http:// URLs.
   */
  insecureCredentials?: boolean;
  args?: string[];
  env?: Record<string, string>;
  /** Wait for /readyz to answer 200 (default true). */
  waitReady?: boolean;
  readyTimeoutMs?: number;
}

const running = new Set<OperatorHandle>();

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

// Numbered from what is on disk, not from a module counter: every test file loads this module
// afresh and would otherwise start again at 1 and append to another file's log.
function nextLogFile(): string {
  const taken = readdirSync(LOG_DIR)
    .map((f) => /^operator-(\d+)\.log$/.exec(f)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number);
  return join(LOG_DIR, `operator-${Math.max(0, ...taken) + 1}.log`);
}

function exitStatus(child: ChildProcess): Promise<ExitStatus> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

export async function startOperator(opts: StartOptions = {}): Promise<OperatorHandle> {
  if (!existsSync(OPERATOR_KUBECONFIG))
    throw new Error(`${OPERATOR_KUBECONFIG} is missing; the e2e global setup writes it`);
  if (!existsSync(join(ROOT, 'dist/main.js')))
    throw new Error('dist/main.js is missing; run `make build` first');
  mkdirSync(LOG_DIR, { recursive: true });
  mkdirSync(OPERATOR_PID_DIR, { recursive: true });
  const port = await freePort();
  const logFile = opts.name ? join(LOG_DIR, `operator-${opts.name}.log`) : nextLogFile();
  const args = [
    join(ROOT, 'dist/main.js'),
    'run',
    '--kubeconfig',
    OPERATOR_KUBECONFIG,
    '--metrics-addr',
    `127.0.0.1:${port}`,
    '--log-level',
    'debug',
    // Tests of refresh timing use intervals of 1-4 s: no floor, unless a test sets one (a later
    // flag wins; hostile.e2e.test.ts runs with the default 10 s).
    '--min-refresh-interval=0',
    ...(opts.leaderElect ? ['--leader-elect', '--leader-election-namespace', OPERATOR_NAMESPACE] : []),
    ...(opts.insecureCredentials === false ? [] : ['--allow-insecure-credentials']),
    ...(opts.args ?? []),
  ];
  const fd = openSync(logFile, 'a');
  writeFileSync(fd, `--- ${new Date().toISOString()} node ${args.join(' ')}\n`);
  // KUBECONFIG is dropped so nothing can fall back to another identity than --kubeconfig.
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env };
  delete env.KUBECONFIG;
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', fd, fd], env });
  } finally {
    closeSync(fd);
  }
  const pid = child.pid ?? 0;
  // The test environment kills what is left in this directory after each test file.
  const pidFile = join(OPERATOR_PID_DIR, String(pid));
  if (pid) writeFileSync(pidFile, `${logFile}\n`);
  const exit = exitStatus(child).then((status) => {
    rmSync(pidFile, { force: true });
    running.delete(handle);
    return status;
  });

  const metricsUrl = `http://127.0.0.1:${port}/metrics`;
  const handle: OperatorHandle = {
    pid,
    port,
    metricsUrl,
    logFile,
    exited: () => child.exitCode !== null || child.signalCode !== null,
    waitExit: () => exit,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (!handle.exited()) child.kill(signal);
      const force = setTimeout(() => child.kill('SIGKILL'), 25_000);
      const { code } = await exit;
      clearTimeout(force);
      return code;
    },
    kill: () => handle.stop('SIGKILL'),
    async metrics() {
      const res = await fetch(metricsUrl, { signal: AbortSignal.timeout(5_000) });
      if (!res.ok) throw new Error(`GET ${metricsUrl}: HTTP ${res.status}`);
      return res.text();
    },
    async metric(name: string, labels: Record<string, string> = {}) {
      let sum = 0;
      for (const x of select(parseScrape(await handle.metrics()), name, labels)) sum += x.value;
      return sum;
    },
  };
  running.add(handle);

  if (opts.waitReady !== false) {
    const timeoutMs = opts.readyTimeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (handle.exited()) {
        const { code, signal } = await exit;
        throw new Error(`operator exited during startup (code ${code}, signal ${signal}); see ${logFile}`);
      }
      try {
        const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2_000) });
        if (res.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await handle.stop();
        throw new Error(`operator not ready after ${timeoutMs} ms (stopped it); see ${logFile}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return handle;
}

/** Stops every operator this test file started. */
export async function stopAllOperators(): Promise<void> {
  await Promise.all([...running].map((h) => h.stop()));
}
