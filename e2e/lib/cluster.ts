// The test side's access to the local control plane (e2e/tools/cluster.sh), always as the
// admin. Deliberately independent of Syncret's own Kubernetes client: a bug there must not be
// able to hide itself from the tests.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import {
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
} from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import { ADMIN_KUBECONFIG, CLUSTER_ENV } from './paths.js';

export const GROUP = 'external-secrets.io';
export const VERSION = 'v1';

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

export interface Obj {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[];
    finalizers?: string[];
    deletionTimestamp?: string;
  };
  spec?: Record<string, unknown>;
  status?: {
    conditions?: Condition[];
    refreshTime?: string;
    syncedResourceVersion?: string;
    observedGeneration?: number;
    binding?: { name?: string };
    capabilities?: string;
  };
}

/** What cluster.sh writes to .e2e/cluster/env. */
export interface ClusterEnv {
  APISERVER_URL: string;
  APISERVER_PORT: string;
  APISERVER_CA: string;
  SA_ISSUER: string;
  SA_PUBLIC_KEY: string;
  ETCD_URL: string;
  KCM_PORT: string;
  KUBECONFIG_ADMIN: string;
  KUBECTL?: string;
  K8S_VERSION?: string;
}

export function clusterEnv(): ClusterEnv {
  const text = readFileSync(CLUSTER_ENV, 'utf8');
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  for (const key of ['APISERVER_URL', 'APISERVER_CA', 'SA_ISSUER', 'KUBECONFIG_ADMIN'])
    if (!env[key]) throw new Error(`${CLUSTER_ENV} has no ${key}; is the control plane up?`);
  return env as unknown as ClusterEnv;
}

/** The kubectl built with the control plane (same version), else the one on PATH. */
export function kubectlBin(): string {
  if (process.env.KUBECTL) return process.env.KUBECTL;
  try {
    const bin = clusterEnv().KUBECTL;
    if (bin && existsSync(bin)) return bin;
  } catch {
    // no env file: a cluster from an older cluster.sh, or none at all
  }
  return 'kubectl';
}

/** Runs kubectl as the admin; throws with kubectl's stderr in the message on failure. */
export function kubectl(args: string[], input?: string): string {
  try {
    return execFileSync(kubectlBin(), ['--kubeconfig', ADMIN_KUBECONFIG, ...args], {
      encoding: 'utf8',
      input,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: 60_000,
    });
  } catch (e) {
    const stderr = String((e as { stderr?: string }).stderr ?? '').trim();
    const err = new Error(`kubectl ${args.slice(0, 3).join(' ')} failed: ${stderr || String(e)}`);
    Object.assign(err, { stderr });
    throw err;
  }
}

interface Clients {
  kc: KubeConfig;
  core: CoreV1Api;
  custom: CustomObjectsApi;
  coordination: CoordinationV1Api;
  objects: KubernetesObjectApi;
}

let clients: Clients | undefined;

function adminClients(): Clients {
  if (!clients) {
    const kc = new KubeConfig();
    kc.loadFromFile(ADMIN_KUBECONFIG);
    clients = {
      kc,
      core: kc.makeApiClient(CoreV1Api),
      custom: kc.makeApiClient(CustomObjectsApi),
      coordination: kc.makeApiClient(CoordinationV1Api),
      objects: KubernetesObjectApi.makeApiClient(kc),
    };
  }
  return clients;
}

/** The admin (system:masters) identity. The operator under test never gets this one. */
export const adminKubeConfig = (): KubeConfig => adminClients().kc;
export const coreApi = (): CoreV1Api => adminClients().core;
export const customObjectsApi = (): CustomObjectsApi => adminClients().custom;
export const coordinationApi = (): CoordinationV1Api => adminClients().coordination;
export const objectApi = (): KubernetesObjectApi => adminClients().objects;

export function isNotFound(e: unknown): boolean {
  return (e as { code?: number } | undefined)?.code === 404;
}

/**
 * Server-side apply as the admin (field manager `e2e`, conflicts forced): creates or updates,
 * and, unlike client-side apply, has no 256 KiB last-applied annotation limit.
 */
export async function applyManifest<T extends KubernetesObject>(
  obj: T,
  opts: { fieldManager?: string } = {},
): Promise<T & KubernetesObject> {
  return objectApi().patch(
    obj,
    undefined,
    undefined,
    opts.fieldManager ?? 'e2e',
    true,
    PatchStrategy.ServerSideApply,
  );
}

const namespaces = new Set<string>();

/** Registers a namespace for cleanupNamespaces(); used by helpers that create them otherwise. */
export function trackNamespace(name: string): void {
  namespaces.add(name);
}

/** Creates a namespace with a unique name `<prefix>-<hex>` and returns the name. */
export async function createNamespace(prefix: string, labels: Record<string, string> = {}): Promise<string> {
  const base = prefix
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 50);
  const name = `${base}-${randomBytes(3).toString('hex')}`;
  await coreApi().createNamespace({ body: { metadata: { name, labels } } });
  namespaces.add(name);
  return name;
}

/**
 * Deletes the namespace without waiting for it to go (the namespace controller empties it
 * in the background); pass wait to block until it is gone, e.g. to test finalizers.
 */
export async function deleteNamespace(name: string, opts: { wait?: boolean; timeoutMs?: number } = {}) {
  namespaces.delete(name);
  try {
    await coreApi().deleteNamespace({ name });
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  if (opts.wait) {
    await waitFor(
      async () => {
        try {
          await coreApi().readNamespace({ name });
          return false;
        } catch (e) {
          return isNotFound(e);
        }
      },
      { what: `namespace ${name} to be deleted`, timeoutMs: opts.timeoutMs ?? 60_000 },
    );
  }
}

/**
 * Waits until no namespace is terminating. The files that time their operator against the
 * clock (fuzz, hostile, faults, sharding: run alone, e2e/tools/run-shards.sh) start with it:
 * the namespaces an earlier file left (3,000 ExternalSecrets and their Secrets for sharding)
 * are deleted in the background, and that takes the 2 cores for tens of seconds and puts
 * another file's objects into this one's cluster-wide counts.
 */
export async function quietNamespaces(timeoutMs = 75_000): Promise<void> {
  const t0 = Date.now();
  try {
    await waitFor(
      async () => {
        const list = await coreApi().listNamespace();
        return !list.items.some((n) => n.status?.phase === 'Terminating');
      },
      { what: 'namespaces of earlier files to be deleted', timeoutMs, intervalMs: 1_000 },
    );
  } catch {
    // Within the hook's time: the file runs anyway, and its own checks say what went wrong.
    console.log(`namespaces of earlier files still terminating after ${timeoutMs} ms`);
    return;
  }
  if (Date.now() - t0 > 2_000) console.log(`waited ${Date.now() - t0} ms for earlier files' namespaces`);
}

/** Deletes every namespace created through this module (best effort; for afterAll). */
export async function cleanupNamespaces(): Promise<void> {
  const names = [...namespaces];
  await Promise.all(names.map((n) => deleteNamespace(n).catch(() => undefined)));
}

export function namespacesToCleanUp(): string[] {
  return [...namespaces];
}

export function untrackNamespace(name: string): void {
  namespaces.delete(name);
}

export interface WaitOptions {
  /** Describes the awaited state for the timeout error: "ExternalSecret a/b to be Ready". */
  what: string;
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Polls fn until it returns something other than undefined, null or false, and returns that.
 * Errors thrown by fn count as "not yet"; the last one is quoted in the timeout error.
 */
export async function waitFor<T>(
  fn: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  opts: WaitOptions,
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const start = Date.now();
  let lastError: unknown;
  let attempts = 0;
  for (;;) {
    attempts++;
    try {
      const v = await fn();
      if (v !== undefined && v !== null && v !== false) return v;
      lastError = undefined;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() - start >= timeoutMs) {
      const detail =
        lastError === undefined
          ? ''
          : `; last error: ${lastError instanceof Error ? lastError.message : String(lastError)}`;
      throw new Error(
        `timed out after ${timeoutMs} ms (${attempts} checks) waiting for ${opts.what}${detail}`,
      );
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  }
}

/** A namespaced (ns given) or cluster-scoped external-secrets.io/v1 object, or undefined. */
export async function getCustom(
  plural: string,
  ns: string | undefined,
  name: string,
): Promise<Obj | undefined> {
  const custom = customObjectsApi();
  try {
    const o: unknown = ns
      ? await custom.getNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace: ns,
          plural,
          name,
        })
      : await custom.getClusterCustomObject({ group: GROUP, version: VERSION, plural, name });
    return o as Obj;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

export const getExternalSecret = (ns: string, name: string): Promise<Obj | undefined> =>
  getCustom('externalsecrets', ns, name);

export function readyCondition(obj: Obj | undefined): Condition | undefined {
  return obj?.status?.conditions?.find((c) => c.type === 'Ready');
}
