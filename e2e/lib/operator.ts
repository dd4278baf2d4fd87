// Runs the operator as its own process, the way a user runs it: `node dist/main.js run`
// under the syncret ServiceAccount's kubeconfig (RBAC from config/rbac).

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { LOG_DIR, OPERATOR_KUBECONFIG, ROOT } from './paths.js';

export interface OperatorHandle {
  pid: number;
  port: number;
  metricsUrl: string;
  logFile: string;
  /** Sends SIGTERM (or the given signal) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** SIGKILL: a crash, no graceful release of anything. */
  kill(): Promise<number | null>;
  metrics(): Promise<string>;
  /** The value of one metric series (sum over series matching the label filter). */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  exited(): boolean;
}

const running = new Set<OperatorHandle>();
let counter = 0;

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

function waitExit(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

export async function startOperator(
  opts: { args?: string[]; env?: Record<string, string>; waitReady?: boolean; name?: string } = {},
): Promise<OperatorHandle> {
  mkdirSync(LOG_DIR, { recursive: true });
  const port = await freePort();
  const logFile = join(LOG_DIR, `operator-${opts.name ?? ++counter}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'dist/main.js'),
      'run',
      '--kubeconfig',
      OPERATOR_KUBECONFIG,
      '--metrics-addr',
      `127.0.0.1:${port}`,
      '--log-level',
      'debug',
      ...(opts.args ?? []),
    ],
    { cwd: ROOT, stdio: ['ignore', fd, fd], env: { ...process.env, ...opts.env } },
  );
  closeSync(fd);
  const metricsUrl = `http://127.0.0.1:${port}/metrics`;
  const handle: OperatorHandle = {
    pid: child.pid ?? 0,
    port,
    metricsUrl,
    logFile,
    exited: () => child.exitCode !== null || child.signalCode !== null,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      running.delete(handle);
      if (!handle.exited()) child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), 25_000);
      const code = await waitExit(child);
      clearTimeout(t);
      return code;
    },
    async kill() {
      return handle.stop('SIGKILL');
    },
    async metrics() {
      const res = await fetch(metricsUrl);
      return res.text();
    },
    async metric(name: string, labels: Record<string, string> = {}) {
      const text = await handle.metrics();
      let sum = 0;
      for (const line of text.split('\n')) {
        if (!line.startsWith(name)) continue;
        const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
        if (!m || m[1] !== name) continue;
        const have = Object.fromEntries(
          [...(m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((x) => [
            x[1],
            x[2],
          ]),
        );
        if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[4]);
      }
      return sum;
    },
  };
  running.add(handle);
  if (opts.waitReady !== false) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (handle.exited()) throw new Error(`operator exited early (code ${child.exitCode}); see ${logFile}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/readyz`);
        if (res.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`operator not ready after 30s; see ${logFile}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return handle;
}

export async function stopAllOperators(): Promise<void> {
  await Promise.all([...running].map((h) => h.stop()));
}
