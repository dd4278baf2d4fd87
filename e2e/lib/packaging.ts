// Installs rendered packaging (helm template / kubectl kustomize output) on the e2e control plane
// and runs the operator the way the rendered Deployment would: its ServiceAccount (a TokenRequest
// token, like the one the kubelet would project), its arguments and its environment. There is no
// kubelet here, so the Deployment itself never starts a pod; the operator runs as a local process.

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { clusterEnv, kubectl, kubectlBin } from './cluster.js';
import { startOperator } from './operator.js';
import type { OperatorHandle } from './operator.js';
import { ADMIN_KUBECONFIG, E2E_DIR, ROOT } from './paths.js';

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string } };
}

interface Container {
  name: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
}

export interface DeploymentManifest extends Manifest {
  spec: { template: { spec: { serviceAccountName?: string; containers: Container[] } } };
}

export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Manifest | null)
    .filter((o): o is Manifest => !!o && typeof o === 'object' && typeof o.kind === 'string');
}

function run(cmd: string, args: string[], opts: { input?: string; cwd?: string } = {}): string {
  try {
    return execFileSync(cmd, args, {
      cwd: opts.cwd ?? ROOT,
      encoding: 'utf8',
      input: opts.input,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: 300_000,
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (e) {
    const stderr = String((e as { stderr?: string }).stderr ?? '').trim();
    throw new Error(`${cmd.split('/').pop()} ${args.slice(0, 2).join(' ')} failed: ${stderr || String(e)}`);
  }
}

let helmPath: string | undefined;

/** helm from the Go module proxy, built once per version (e2e/tools/build-tools.sh). */
export function helmBin(): string {
  helmPath ??= run('bash', [join(ROOT, 'e2e/tools/build-tools.sh'), 'helm']).trim();
  return helmPath;
}

/** `helm template RELEASE charts/syncret -n NAMESPACE --set ...` (CRDs included). */
export function renderChart(
  release: string,
  namespace: string,
  set: string[] = [],
  valuesFiles: string[] = [],
): Manifest[] {
  const version = clusterEnv().K8S_VERSION ?? 'v1.34.4';
  const args = ['template', release, join(ROOT, 'charts/syncret'), '--namespace', namespace];
  args.push('--include-crds', '--kube-version', version, ...valuesFiles.flatMap((f) => ['-f', f]));
  args.push(...set.flatMap((s) => ['--set', s]));
  return parseManifests(run(helmBin(), args));
}

/**
 * `kubectl kustomize` of a directory in the repo; with namePrefix, through a generated overlay
 * (as a user would write one), so an install can live beside the one the global setup made.
 */
export function renderKustomize(dir: string, opts: { namePrefix?: string } = {}): Manifest[] {
  if (!opts.namePrefix) return parseManifests(kubectl(['kustomize', join(ROOT, dir)]));
  // kustomize refuses absolute resource paths and paths outside the overlay's tree without a
  // flag, so the overlay lives under the repo (E2E_DIR may be elsewhere: then use .e2e).
  const base = relative(ROOT, E2E_DIR).startsWith('..') ? join(ROOT, '.e2e') : E2E_DIR;
  const overlay = join(base, 'kustomize', `${opts.namePrefix}${dir.replaceAll('/', '-')}`);
  mkdirSync(overlay, { recursive: true });
  writeFileSync(
    join(overlay, 'kustomization.yaml'),
    [
      'apiVersion: kustomize.config.k8s.io/v1beta1',
      'kind: Kustomization',
      `namePrefix: ${opts.namePrefix}`,
      'resources:',
      `  - ${relative(overlay, join(ROOT, dir))}`,
      '',
    ].join('\n'),
  );
  try {
    return parseManifests(kubectl(['kustomize', overlay]));
  } finally {
    rmSync(overlay, { recursive: true, force: true });
  }
}

/** Server-side apply as the admin, namespaces and CRDs first (what `kubectl apply` users do). */
export function installManifests(objects: Manifest[]): void {
  const first = objects.filter((o) => o.kind === 'Namespace' || o.kind === 'CustomResourceDefinition');
  const rest = objects.filter((o) => !first.includes(o));
  for (const batch of [first, rest]) {
    if (batch.length === 0) continue;
    kubectl(
      ['apply', '--server-side', '--force-conflicts', '--field-manager', 'e2e-install', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: batch }),
    );
  }
}

/** Deletes what installManifests created, except namespaces and CRDs (shared with other tests). */
export function uninstallManifests(objects: Manifest[]): void {
  for (const o of objects) {
    if (o.kind === 'Namespace' || o.kind === 'CustomResourceDefinition') continue;
    try {
      kubectl([
        'delete',
        o.kind,
        o.metadata.name,
        ...(o.metadata.namespace ? ['-n', o.metadata.namespace] : []),
        '--ignore-not-found',
        '--wait=false',
      ]);
    } catch {
      // best effort: a namespace deleted meanwhile takes its objects along
    }
  }
}

export function deploymentOf(objects: Manifest[]): DeploymentManifest {
  const deployments = objects.filter((o) => o.kind === 'Deployment');
  if (deployments.length !== 1) throw new Error(`expected one Deployment, rendered ${deployments.length}`);
  return deployments[0] as DeploymentManifest;
}

/** The flags of the rendered container, minus what the test must own (the listen address). */
export function renderedArgs(deploy: DeploymentManifest): string[] {
  const c = deploy.spec.template.spec.containers[0];
  if (!c) throw new Error('the Deployment has no container');
  // The image's entrypoint is `node /app/dist/main.js`: a command would bypass it.
  if (c.command)
    throw new Error(`the container overrides the image's entrypoint: ${JSON.stringify(c.command)}`);
  const args = [...(c.args ?? [])];
  if (args[0] !== 'run')
    throw new Error(`the container's first argument is not "run": ${JSON.stringify(args)}`);
  const out: string[] = [];
  for (let i = 1; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === '--metrics-addr') i++;
    else if (!a.startsWith('--metrics-addr=')) out.push(a);
  }
  return out;
}

/** The container's environment, with the downward API resolved as the kubelet would. */
export function renderedEnv(deploy: DeploymentManifest, podName: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of deploy.spec.template.spec.containers[0]?.env ?? []) {
    const path = e.valueFrom?.fieldRef?.fieldPath;
    if (e.value !== undefined) env[e.name] = e.value;
    else if (path === 'metadata.name') env[e.name] = podName;
    else if (path === 'metadata.namespace') env[e.name] = deploy.metadata.namespace ?? 'default';
    else throw new Error(`env ${e.name}: unsupported source ${JSON.stringify(e.valueFrom)}`);
  }
  return env;
}

/** A kubeconfig with a TokenRequest token of the ServiceAccount (what a pod would mount). */
export function serviceAccountKubeconfig(namespace: string, name: string): string {
  const env = clusterEnv();
  const token = kubectl(['create', 'token', name, '-n', namespace, '--duration', '2h']).trim();
  const ca = readFileSync(env.APISERVER_CA).toString('base64');
  const file = join(E2E_DIR, `sa-${namespace}-${name}.kubeconfig`);
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: e2e`,
      `  cluster: {server: '${env.APISERVER_URL}', certificate-authority-data: '${ca}'}`,
      'users:',
      `- name: ${name}`,
      `  user: {token: '${token}'}`,
      'contexts:',
      `- name: ${name}`,
      `  context: {cluster: e2e, user: ${name}, namespace: ${namespace}}`,
      `current-context: ${name}`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return file;
}

/**
 * Starts the operator as the rendered Deployment describes it: under its ServiceAccount, with
 * its arguments and environment (the metrics address aside: the test picks a free port).
 */
export async function startFromDeployment(objects: Manifest[], name: string): Promise<OperatorHandle> {
  const deploy = deploymentOf(objects);
  const ns = deploy.metadata.namespace;
  if (!ns) throw new Error('the rendered Deployment has no namespace');
  const sa = deploy.spec.template.spec.serviceAccountName ?? 'default';
  const kubeconfig = serviceAccountKubeconfig(ns, sa);
  return startOperator({
    name,
    // Last flag wins: the SA's kubeconfig replaces the harness' default one.
    args: [...renderedArgs(deploy), '--kubeconfig', kubeconfig],
    env: renderedEnv(deploy, `${deploy.metadata.name}-e2e`),
  });
}

/** The apiserver's answer to "may this ServiceAccount do this?" (a SubjectAccessReview). */
export function canI(
  sa: { namespace: string; name: string },
  verb: string,
  resource: string,
  ns?: string,
  subresource?: string,
): boolean {
  const args = ['--kubeconfig', ADMIN_KUBECONFIG, 'auth', 'can-i', verb, resource];
  if (subresource) args.push(`--subresource=${subresource}`);
  args.push(...(ns ? ['-n', ns] : ['--all-namespaces']));
  args.push('--as', `system:serviceaccount:${sa.namespace}:${sa.name}`);
  try {
    return (
      execFileSync(kubectlBin(), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim() ===
      'yes'
    );
  } catch (e) {
    // `can-i` answers "no" with exit status 1.
    const err = e as { status?: number; stdout?: string };
    if (err.status === 1 && String(err.stdout ?? '').trim() === 'no') return false;
    throw e;
  }
}
