// Syncret's delivery commands (`syncret agent`, `syncret fetch`, `syncret injector`) as their
// own processes, logging into .e2e/logs/ so the leak scan reads what they printed; plus the
// OpenBao setup the delivery tests share (their own kubernetes auth mount and database engine).

import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  writeFileSync,
} from 'node:fs';
import type { Dirent } from 'node:fs';
import { join, relative } from 'node:path';
import { kubectl } from './cluster.js';
import { LOG_DIR, ROOT } from './paths.js';
import { serverVar } from './servers.js';
import { bao, configureKubernetesAuth, policy } from './vault.js';

export const MAIN = join(ROOT, 'dist', 'main.js');

export interface Proc {
  child: ChildProcess;
  pid: number;
  logFile: string;
  /** Exit code (or 128 + signal number style name for signals). */
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  log(): string;
}

let n = 0;

/**
 * Spawns a process, stderr (and stdout, unless `stdoutFile` is given) appended to
 * .e2e/logs/<name>.log and kept for log().
 */
export function run(
  name: string,
  command: string,
  args: string[],
  opts: SpawnOptions = {},
  stdoutFile?: string,
): Proc {
  mkdirSync(LOG_DIR, { recursive: true });
  const logFile = join(LOG_DIR, `${name}-${process.pid}-${++n}.log`);
  const fd = openSync(logFile, 'a');
  const out = stdoutFile ? openSync(stdoutFile, 'w', 0o600) : fd;
  const child = spawn(command, args, { ...opts, stdio: ['ignore', out, fd] });
  closeSync(fd);
  if (out !== fd) closeSync(out);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, pid: child.pid ?? -1, logFile, exit, log: () => readFileSync(logFile, 'utf8') };
}

/**
 * `node dist/main.js ARGS` with stdout in `stdoutFile` (outside the logs the leak scan reads:
 * it is where `syncret fetch` prints values on purpose) and stderr in the log.
 */
export function syncretSplit(
  name: string,
  args: string[],
  env: Record<string, string | undefined>,
  stdoutFile: string,
): Proc {
  return run(
    name,
    process.execPath,
    [MAIN, ...args],
    { env: { PATH: process.env.PATH, ...env } },
    stdoutFile,
  );
}

/** `node dist/main.js ARGS`. */
export function syncret(
  name: string,
  args: string[],
  env: Record<string, string | undefined> = {},
  cwd?: string,
): Proc {
  return run(name, process.execPath, [MAIN, ...args], { env: { PATH: process.env.PATH, ...env }, cwd });
}

/** Runs to the end, bounded. */
export async function finished(
  p: Proc,
  timeoutMs = 60_000,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const t = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  try {
    return await p.exit;
  } finally {
    clearTimeout(t);
  }
}

/** A TokenRequest token of a ServiceAccount, written to `file` (as the kubelet's projection). */
export function projectToken(ns: string, sa: string, file: string, audience?: string): string {
  const token = kubectl([
    'create',
    'token',
    sa,
    '-n',
    ns,
    '--duration',
    '1h',
    ...(audience ? ['--audience', audience] : []),
  ]).trim();
  writeFileSync(file, token, { mode: 0o600 });
  return token;
}

export interface VaultSetup {
  authMount: string;
  dbMount: string;
  /** Leases of 6 s, at most 10 s: renewed once, then replaced. */
  dbRole: string;
  /** Leases of 6 s, at most 1 h: renewed again and again, never replaced. */
  renewRole: string;
  kvMount: string;
}

/**
 * Own mounts (random names; other files reconfigure the shared ones): KV v2, kubernetes auth
 * against the test apiserver, a database engine on the PostgreSQL server with a role of short
 * leases (6 s, at most 10 s) and one renewed for an hour, and a role `app` for ServiceAccount
 * `sa` in `ns` reading them.
 */
export async function setUpVault(
  sfx: string,
  ns: string,
  sa: string,
  opts: { maxTtl?: string } = {},
): Promise<VaultSetup> {
  const s: VaultSetup = {
    authMount: `k8s-${sfx}`,
    dbMount: `db-${sfx}`,
    dbRole: 'app',
    renewRole: 'renew',
    kvMount: `kv-${sfx}`,
  };
  await bao('POST', `sys/mounts/${s.kvMount}`, { type: 'kv', options: { version: '2' } });
  await bao('POST', `sys/mounts/${s.dbMount}`, { type: 'database' });
  await configureKubernetesAuth(s.authMount, ns);
  await bao('POST', `${s.dbMount}/config/pg`, {
    plugin_name: 'postgresql-database-plugin',
    connection_url: `postgresql://{{username}}:{{password}}@${serverVar('PG_HOST')}:${serverVar('PG_PORT')}/postgres?sslmode=disable`,
    username: serverVar('PG_ADMIN_USER'),
    password: serverVar('PG_ADMIN_PASSWORD'),
    allowed_roles: [s.dbRole, s.renewRole],
  });
  for (const [role, maxTtl] of [
    [s.dbRole, opts.maxTtl ?? '10s'],
    [s.renewRole, '1h'],
  ] as const)
    await bao('POST', `${s.dbMount}/roles/${role}`, {
      db_name: 'pg',
      creation_statements: [
        `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
        `GRANT CONNECT ON DATABASE postgres TO "{{name}}";`,
      ],
      default_ttl: '6s',
      max_ttl: maxTtl,
    });
  await policy(
    `app-${sfx}`,
    [
      `path "${s.kvMount}/data/*" { capabilities = ["read"] }`,
      `path "${s.dbMount}/creds/*" { capabilities = ["read"] }`,
      `path "sys/leases/renew" { capabilities = ["update"] }`,
      `path "sys/leases/revoke" { capabilities = ["update"] }`,
    ].join('\n'),
  );
  await bao('POST', `auth/${s.authMount}/role/app`, {
    bound_service_account_names: [sa],
    bound_service_account_namespaces: [ns],
    token_policies: [`app-${sfx}`],
    token_ttl: '1h',
  });
  return s;
}

export async function tearDownVault(s: VaultSetup): Promise<void> {
  for (const m of [s.kvMount, s.dbMount])
    await bao('DELETE', `sys/mounts/${m}`, undefined, { allow: [400, 404] });
  await bao('DELETE', `sys/auth/${s.authMount}`, undefined, { allow: [400, 404] });
}

/** The ids of the live leases under a prefix (e.g. `db/creds/role`), as the administrator sees them. */
export async function leasesUnder(prefix: string): Promise<string[]> {
  const r = await bao('LIST', `sys/leases/lookup/${prefix}/`, undefined, { allow: [404] });
  const keys = ((r.body.data as { keys?: string[] } | undefined)?.keys ?? []) as string[];
  return keys.map((k) => `${prefix}/${k}`);
}

/** When a lease was last renewed (undefined: never). */
export async function lastRenewal(leaseId: string): Promise<string | undefined> {
  const r = await bao('PUT', 'sys/leases/lookup', { lease_id: leaseId });
  return (
    ((r.body.data as { last_renewal?: string | null } | undefined)?.last_renewal ?? undefined) || undefined
  );
}

/** Every file under `dir`, relative, sorted (a missing dir has none). */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as Dirent[])
    .filter((d) => !d.isDirectory())
    .map((d) => relative(dir, join(d.parentPath, d.name)))
    .sort();
}

/** Compares secret text without printing it (Jest's diff would show both values). */
export function expectValue(actual: string | undefined, expected: string, what: string): void {
  if (actual !== expected)
    throw new Error(
      `${what}: not the expected value (${actual === undefined ? 'absent' : `${actual.length} characters`})`,
    );
}
