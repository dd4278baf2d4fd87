// The agent's three modes.
// - init: render every template once, write all files or none, exit. The Vault token is kept
//   (revoking it would revoke the leases the app is about to use; they end at their TTL).
// - exec: render KEY=VALUE templates into the environment and replace this process with the
//   application (execve): the app keeps the PID (1 in a container), its arguments, signals
//   and exit code are its own, and the values never touch a file.
// - sidecar: keep the files fresh (refresh interval, renewals at 2/3 of a lease, re-issues),
//   rewrite a file only when its content changed and then run its command; on SIGTERM revoke
//   the leases and the token, and exit 0.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { jitteredBackoff } from '../runtime/time/backoff.js';
import { sleep } from '../runtime/time/sleep.js';
import { redactValues } from '../secrets/errors.js';
import { CommandError, resolveExecutable, runCommand, splitWords } from './command.js';
import { refreshMs } from './config.js';
import type { AgentConfig } from './config.js';
import { parseDotenv } from './dotenv.js';
import { writeAll, writeAtomic } from './files.js';
import type { FileOutput } from './files.js';
import { renderTemplates } from './render.js';
import { prepare } from './setup.js';
import type { Prepared, SetupOptions } from './setup.js';

export interface AgentLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ModeOptions extends Omit<SetupOptions, 'keepTokens'> {
  logger: AgentLogger;
}

/** Per-file commands are stopped after this long. */
const COMMAND_TIMEOUT_MS = 30_000;

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

/** A message safe to show: errors name keys and paths, and any value that slipped in is redacted. */
export function safeMessage(e: unknown, p?: Pick<Prepared, 'deps'>): string {
  const msg = e instanceof Error ? e.message : String(e);
  return p ? redactValues(msg, p.deps.values()) : msg;
}

async function renderOnce(p: Prepared): Promise<Map<string, string>> {
  return (await renderTemplates(p.compiled, p.deps)).outputs;
}

export async function runInit(c: AgentConfig, o: ModeOptions): Promise<void> {
  const p = await prepare(c, { ...o, keepTokens: true });
  try {
    const outputs = await renderOnce(p);
    const files: FileOutput[] = [...p.files].map(([name, f]) => ({
      path: f.path,
      mode: f.mode,
      content: outputs.get(name) ?? '',
    }));
    writeAll(files);
    o.logger.info({ files: files.map((f) => f.path) }, 'rendered');
  } catch (e) {
    throw new Error(safeMessage(e, p), { cause: undefined });
  } finally {
    await p.close();
  }
}

/** The environment of exec mode: every template's KEY=VALUE lines over the agent's own. */
export async function renderEnv(c: AgentConfig, o: ModeOptions): Promise<Map<string, string>> {
  const p = await prepare(c, { ...o, keepTokens: true });
  try {
    const outputs = await renderOnce(p);
    const env = new Map<string, string>();
    for (const t of c.templates)
      for (const [k, v] of parseDotenv(outputs.get(t.name) ?? '', t.name)) env.set(k, v);
    return env;
  } catch (e) {
    throw new Error(safeMessage(e, p));
  } finally {
    await p.close();
  }
}

/** Variables of the agent itself that the application does not get (and --config-env's). */
export const AGENT_ENV = ['SYNCRET_AGENT_CONFIG'];

export async function runExec(
  c: AgentConfig,
  command: string[],
  o: ModeOptions & { configEnv?: string },
): Promise<never> {
  if (command.length === 0) throw new CommandError('exec mode needs the application command (after --)');
  const rendered = await renderEnv(c, o);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !AGENT_ENV.includes(k) && k !== o.configEnv) env[k] = v;
  for (const [k, v] of rendered) env[k] = v;
  const file = resolveExecutable(command[0]!, env.PATH);
  o.logger.info({ command: command[0], variables: [...rendered.keys()] }, 'starting the application');
  if (typeof process.execve !== 'function')
    throw new CommandError('this Node.js has no process.execve (Node 24 or later on Linux/macOS)');
  process.execve(file, command, env);
  throw new CommandError('execve returned');
}

class TemplatesFailedError extends Error {
  override readonly name = 'TemplatesFailedError';
}

interface SidecarState {
  last: Map<string, string>;
  nextRefresh: number;
  failures: number;
}

async function cycle(p: Prepared, st: SidecarState, o: ModeOptions): Promise<void> {
  const m = await p.deps.maintain();
  // Paths only: a lease id names no value, but nothing here needs one.
  if (m.renewed.length > 0) o.logger.info({ paths: m.renewed }, 'leases renewed');
  if (m.replaced.length > 0)
    o.logger.info({ paths: m.replaced }, 'leases or certificates due; fetching again');
  const r = await renderTemplates(p.compiled, p.deps, { partial: true });
  // A failed template stopped before its later calls: what it did not reach may still be in
  // its last file, so nothing is forgotten (nor revoked) until every template renders.
  if (r.failed.size === 0) {
    const dropped = p.deps.prune(r.used);
    if (dropped.length > 0) await p.deps.revokeAll(dropped);
  }
  for (const [name, f] of p.files) {
    const content = r.outputs.get(name);
    // A template that failed keeps its last file; the others are still kept fresh.
    if (content === undefined) continue;
    const h = sha(content);
    if (st.last.get(name) === h) continue;
    writeAtomic({ path: f.path, mode: f.mode, content });
    st.last.set(name, h);
    o.logger.info({ file: f.path }, 'rendered');
    if (f.command) {
      const res = await runCommand(splitWords(f.command), COMMAND_TIMEOUT_MS);
      const log = res.code === 0 ? o.logger.info : o.logger.warn;
      log.call(o.logger, { file: f.path, exitCode: res.code, signal: res.signal }, 'command ran');
    }
  }
  if (r.failed.size > 0) {
    const [first] = r.failed.values();
    throw new TemplatesFailedError(
      `${[...r.failed.keys()].join(', ')} not rendered: ${safeMessage(first, p)}`,
    );
  }
}

/** Runs until `signal` aborts; then revokes (unless revokeOnShutdown is false) and returns. */
export async function runSidecar(c: AgentConfig, o: ModeOptions & { signal: AbortSignal }): Promise<void> {
  const p = await prepare(c, { ...o, keepTokens: c.revokeOnShutdown === false });
  const every = refreshMs(c);
  const backoff = jitteredBackoff({ baseMs: 1000, maxMs: Math.min(60_000, every) });
  const st: SidecarState = { last: new Map(), nextRefresh: Date.now() + every, failures: 0 };
  // Files an init container already wrote are not rewritten (nor their commands run) unchanged.
  for (const [name, f] of p.files) {
    try {
      st.last.set(name, sha(readFileSync(f.path, 'utf8')));
    } catch {
      // not there yet
    }
  }
  try {
    for (let first = true; !o.signal.aborted; first = false) {
      if (!first) {
        const due = p.deps.nextDue();
        const retry = st.failures > 0 ? Date.now() + backoff.delay(st.failures) : Infinity;
        const wake = Math.min(st.nextRefresh, due ?? Infinity, retry);
        await sleep(wake - Date.now(), o.signal);
        if (o.signal.aborted) break;
        if (Date.now() >= st.nextRefresh) {
          p.deps.markStaticStale();
          st.nextRefresh = Date.now() + every;
        }
      }
      try {
        await cycle(p, st, o);
        st.failures = 0;
      } catch (e) {
        st.failures++;
        // The last good files stay; the next attempt backs off.
        o.logger.error(
          { err: { name: (e as Error).name, message: safeMessage(e, p) } },
          'render failed; keeping the last files',
        );
      }
    }
  } finally {
    if (c.revokeOnShutdown !== false) {
      const n = await p.deps.revokeAll();
      o.logger.info({ leases: n }, 'revoked leases');
    }
    await p.close();
  }
}
