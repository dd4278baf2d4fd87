// Objects of the benchmark: namespaces, fake stores, ExternalSecrets, and a watch that timestamps
// the moment each ExternalSecret is first seen Ready.

import type { Api } from './api.js';
import { pool } from './api.js';

export const GROUP_PATH = '/apis/external-secrets.io/v1';
/** Client-side write concurrency for creating objects (what kubectl apply fleets do at best). */
export const CREATE_CONCURRENCY = 32;

export async function ensureNamespace(api: Api, name: string): Promise<void> {
  const r = await api.call('POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { 'syncret.bench/run': 'true' } },
  });
  if (r.status !== 201 && r.status !== 409) throw new Error(`create namespace ${name}: HTTP ${r.status}`);
}

/**
 * Deletes the namespaces and waits until they are gone (the namespace controller empties them),
 * so the next scenario is not measured while thousands of objects are being deleted. With
 * `wait: false` (when nothing timed follows) it only asks; a later run removes leftovers first.
 */
export async function deleteNamespaces(
  api: Api,
  names: string[],
  opts: { wait?: boolean; timeoutMs?: number } = {},
): Promise<void> {
  await Promise.all(names.map((n) => api.call('DELETE', `/api/v1/namespaces/${n}`)));
  if (opts.wait === false) return;
  const timeoutMs = opts.timeoutMs ?? 600_000;
  const deadline = Date.now() + timeoutMs;
  for (const n of names) {
    while ((await api.call('GET', `/api/v1/namespaces/${n}`)).status !== 404) {
      if (Date.now() > deadline) throw new Error(`namespace ${n} still terminating after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

export async function createFakeStore(api: Api, ns: string, name = 'bench'): Promise<void> {
  await api.must('POST', `${GROUP_PATH}/namespaces/${ns}/secretstores`, {
    apiVersion: 'external-secrets.io/v1',
    kind: 'SecretStore',
    metadata: { name, namespace: ns },
    spec: {
      provider: {
        fake: {
          data: [
            { key: 'bench/a', value: 'not-a-secret-a' },
            { key: 'bench/b', valueMap: { user: 'bench', pass: 'not-a-secret-b' } },
          ],
        },
      },
    },
  });
}

export function externalSecretBody(
  ns: string,
  name: string,
  refreshInterval = '1h',
  store = 'bench',
): object {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name, namespace: ns },
    spec: {
      refreshInterval,
      secretStoreRef: { name: store, kind: 'SecretStore' },
      target: { name },
      data: [
        { secretKey: 'a', remoteRef: { key: 'bench/a' } },
        { secretKey: 'pass', remoteRef: { key: 'bench/b', property: 'pass' } },
      ],
    },
  };
}

export const esName = (i: number): string => `es-${String(i).padStart(5, '0')}`;

/**
 * Creates ExternalSecrets es-<from>..es-<from+n-1> at CREATE_CONCURRENCY; returns the time each
 * create call returned (ms since epoch), keyed by name.
 */
export async function createExternalSecrets(
  api: Api,
  ns: string,
  from: number,
  n: number,
  refreshInterval = '1h',
): Promise<Map<string, number>> {
  const created = new Map<string, number>();
  const names = Array.from({ length: n }, (_, i) => esName(from + i));
  await pool(names, CREATE_CONCURRENCY, async (name) => {
    await api.must(
      'POST',
      `${GROUP_PATH}/namespaces/${ns}/externalsecrets`,
      externalSecretBody(ns, name, refreshInterval),
    );
    created.set(name, Date.now());
  });
  return created;
}

export interface EsObject {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
  status?: { refreshTime?: string; conditions?: { type?: string; status?: string }[] };
}

function isReady(o: EsObject): boolean {
  return o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/**
 * Ready and synced at or after `since`, for ExternalSecrets that were Ready before and are synced
 * again. refreshTime has whole seconds, so `since` must lie in a later second than the earlier
 * syncs.
 */
export function syncedSince(since: number): (o: EsObject) => boolean {
  return (o) => isReady(o) && Date.parse(o.status?.refreshTime ?? '') >= Math.floor(since / 1000) * 1000;
}

/**
 * Timestamps, from a watch, the first time each ExternalSecret of a namespace is Ready=True (or
 * meets the constructor's `when`). With the namespace `''`: of every namespace, keyed
 * namespace/name.
 */
export class ReadyTracker {
  readonly readyAt = new Map<string, number>();
  private readonly abort = new AbortController();
  private waiters: { want: Set<string> | number; resolve: () => void }[] = [];
  private running: Promise<void> = Promise.resolve();

  private readonly api: Api;
  private readonly ns: string;
  private readonly counts: (o: EsObject) => boolean;

  /** `when` decides what counts (default: Ready=True). */
  constructor(api: Api, ns: string, when: (o: EsObject) => boolean = isReady) {
    this.api = api;
    this.ns = ns;
    this.counts = when;
  }

  private get path(): string {
    return this.ns ? `${GROUP_PATH}/namespaces/${this.ns}/externalsecrets` : `${GROUP_PATH}/externalsecrets`;
  }

  private key(o: EsObject): string | undefined {
    const name = o.metadata?.name;
    return this.ns || !name ? name : `${o.metadata?.namespace}/${name}`;
  }

  async start(): Promise<void> {
    const list = await this.api.must<{ metadata: { resourceVersion: string }; items: EsObject[] }>(
      'GET',
      this.path,
    );
    for (const o of list.items) if (this.counts(o)) this.readyAt.set(this.key(o)!, Date.now());
    this.running = this.api.watch(
      this.path,
      list.metadata.resourceVersion,
      (type, obj) => {
        const o = obj as EsObject;
        const name = this.key(o);
        if (type !== 'DELETED' && name && !this.readyAt.has(name) && this.counts(o)) {
          this.readyAt.set(name, Date.now());
          this.check();
        }
      },
      this.abort.signal,
    );
    this.running.catch(() => undefined);
  }

  private done(want: Set<string> | number): boolean {
    if (typeof want === 'number') return this.readyAt.size >= want;
    for (const n of want) if (!this.readyAt.has(n)) return false;
    return true;
  }

  private check(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!this.done(w.want)) return true;
      w.resolve();
      return false;
    });
  }

  /** Resolves when every named ExternalSecret (or this many) has been Ready; rejects on timeout. */
  waitFor(want: Set<string> | number, timeoutMs: number): Promise<void> {
    if (this.done(want)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        const have =
          typeof want === 'number' ? this.readyAt.size : [...want].filter((n) => this.readyAt.has(n)).length;
        const total = typeof want === 'number' ? want : want.size;
        reject(new Error(`only ${have}/${total} ExternalSecrets Ready after ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push({
        want,
        resolve: () => {
          clearTimeout(t);
          resolve();
        },
      });
    });
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running.catch(() => undefined);
  }
}
