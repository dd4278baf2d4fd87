// Jest's global setup: reuses a running local control plane (`make cluster-up`) or starts one,
// installs the CRDs and RBAC as a user would, and writes .e2e/operator.kubeconfig, the
// operator's own ServiceAccount identity.
//
// Jest compiles this file to CommonJS outside the ESM test runtime and without
// moduleNameMapper: it may import only node: builtins and packages (no './x.js', no
// import.meta), so the few helpers it shares with e2e/lib are repeated here.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '@jest/types';

/** Handed to global-teardown.ts, which runs in the same process. */
export interface E2EGlobalState {
  root: string;
  e2eDir: string;
  startedCluster: boolean;
  /** Backend servers (e2e/tools/servers.sh) this run started, to stop in the teardown. */
  startedServers: string[];
}

const OPERATOR_NAMESPACE = 'syncret-system';
const OPERATOR_SA = 'syncret';

function log(msg: string): void {
  console.log(`[e2e ${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

function readEnv(file: string): Record<string, string> {
  const env: Record<string, string> = {};
  if (!existsSync(file)) return env;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** Operators a crashed earlier run left behind (pid files of e2e/lib/operator.ts). */
function killStrayOperators(e2eDir: string): void {
  const dir = join(e2eDir, 'operators');
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir)) {
    rmSync(join(dir, f), { force: true });
    const pid = Number(f);
    // The pid may have been reused: only a process running with this checkout's operator
    // kubeconfig is ours.
    if (!Number.isInteger(pid) || !cmdline(pid).includes(join(e2eDir, 'operator.kubeconfig'))) continue;
    log(`killing operator pid ${pid} left over from an earlier run`);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/**
 * Starts the backend test servers that are not running yet (`make servers-up` keeps them
 * between runs). SYNCRET_E2E_SERVERS limits them to a space-separated list, or none with "".
 */
function startServers(root: string, state: E2EGlobalState): void {
  const sh = join(root, 'e2e/tools/servers.sh');
  const all = execFileSync('bash', [sh, 'list'], { encoding: 'utf8' }).trim().split(/\s+/).filter(Boolean);
  const wanted = process.env.SYNCRET_E2E_SERVERS?.split(/\s+/).filter(Boolean) ?? all;
  const missing = wanted.filter((name) => {
    try {
      execFileSync('bash', [sh, 'status', name], { stdio: 'ignore', timeout: 10_000 });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length === 0) {
    if (wanted.length > 0) log(`reusing running test servers: ${wanted.join(' ')}`);
    return;
  }
  log(`starting test servers: ${missing.join(' ')}`);
  // Recorded first: a server that fails half-way still gets stopped.
  state.startedServers.push(...missing);
  execFileSync('bash', [sh, 'up', ...missing], {
    cwd: root,
    stdio: 'inherit',
    env: process.env,
    timeout: 900_000,
  });
}

export default async function globalSetup(_global: Config.GlobalConfig, project: Config.ProjectConfig) {
  const t0 = Date.now();
  const root = project.rootDir;
  const e2eDir = process.env.SYNCRET_E2E_DIR ?? join(root, '.e2e');
  const admin = join(e2eDir, 'kubeconfig');
  const clusterSh = join(root, 'e2e/tools/cluster.sh');
  const state: E2EGlobalState = { root, e2eDir, startedCluster: false, startedServers: [] };
  (globalThis as { __syncretE2E?: E2EGlobalState }).__syncretE2E = state;

  // A `make dev` operator watches the whole cluster and would reconcile the tests' objects
  // alongside the operators under test.
  const devPid = Number(
    existsSync(join(e2eDir, 'dev-operator.pid')) ? readFileSync(join(e2eDir, 'dev-operator.pid'), 'utf8') : 0,
  );
  if (devPid > 0 && cmdline(devPid).includes('dist/main.js'))
    throw new Error(
      `the \`make dev\` operator (pid ${devPid}) runs against this control plane and would interfere; ` +
        'stop it with `make dev-down`, or give the tests their own control plane with SYNCRET_E2E_DIR=<dir>',
    );

  killStrayOperators(e2eDir);
  const logDir = join(e2eDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  // Only the previous run's operator logs: the leak scan reads every log in this directory.
  for (const f of readdirSync(logDir))
    if (/^operator-.*\.log$/.test(f)) rmSync(join(logDir, f), { force: true });

  const running = (() => {
    try {
      execFileSync('bash', [clusterSh, 'status'], { stdio: 'ignore', timeout: 10_000 });
      return true;
    } catch {
      return false;
    }
  })();
  if (running && existsSync(admin)) {
    log(`reusing the running control plane (${readEnv(join(e2eDir, 'cluster/env')).APISERVER_URL ?? '?'})`);
  } else {
    log('starting a control plane (e2e/tools/cluster.sh up)');
    execFileSync('bash', [clusterSh, 'up'], { cwd: root, stdio: 'inherit', env: process.env });
    state.startedCluster = true;
  }

  try {
    const env = readEnv(join(e2eDir, 'cluster/env'));
    const kubectlBin = env.KUBECTL && existsSync(env.KUBECTL) ? env.KUBECTL : 'kubectl';
    const kubectl = (...args: string[]): string =>
      execFileSync(kubectlBin, ['--kubeconfig', admin, ...args], {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        timeout: 90_000,
      });

    kubectl('get', '--raw', '/readyz');
    kubectl('apply', '--server-side', '--force-conflicts', '-f', 'crds/');
    kubectl('wait', '--for', 'condition=Established', 'crd', '--all', '--timeout', '60s');
    kubectl('apply', '-k', 'config/rbac');

    // A TokenRequest token: the same kind of short-lived, audience-bound credential a pod gets.
    const token = kubectl(
      'create',
      'token',
      OPERATOR_SA,
      '-n',
      OPERATOR_NAMESPACE,
      '--duration',
      '24h',
    ).trim();
    if (!env.APISERVER_URL || !env.APISERVER_CA) throw new Error('cluster env file lacks APISERVER_URL/CA');
    const ca = readFileSync(env.APISERVER_CA).toString('base64');
    writeFileSync(
      join(e2eDir, 'operator.kubeconfig'),
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: syncret-e2e',
        `  cluster: {server: '${env.APISERVER_URL}', certificate-authority-data: '${ca}'}`,
        'users:',
        `- name: ${OPERATOR_SA}`,
        `  user: {token: '${token}'}`,
        'contexts:',
        `- name: ${OPERATOR_SA}`,
        `  context: {cluster: syncret-e2e, user: ${OPERATOR_SA}, namespace: ${OPERATOR_NAMESPACE}}`,
        `current-context: ${OPERATOR_SA}`,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );

    startServers(root, state);
  } catch (e) {
    // Jest skips the global teardown when the setup fails; do its job here.
    if (process.env.SYNCRET_E2E_KEEP_CLUSTER !== '1') {
      if (state.startedServers.length > 0)
        execFileSync('bash', [join(root, 'e2e/tools/servers.sh'), 'down', ...state.startedServers], {
          stdio: 'inherit',
        });
      if (state.startedCluster) execFileSync('bash', [clusterSh, 'down'], { stdio: 'inherit' });
    }
    throw e;
  }
  log(
    `control plane ready with CRDs, RBAC and the operator's kubeconfig in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
}
