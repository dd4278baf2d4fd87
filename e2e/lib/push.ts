// PushSecrets (external-secrets.io/v1alpha1) as the e2e tests write and read them, and the
// backends' request logs the tests count writes in.

import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import type { Socket } from 'node:net';
import { customObjectsApi, isNotFound } from './cluster.js';
import type { Obj } from './cluster.js';
import { waitFor } from './kube.js';
import { serverVar } from './servers.js';

export const PUSH_API = 'external-secrets.io/v1alpha1';

export function pushSecret(
  ns: string,
  name: string,
  spec: Record<string, unknown>,
  meta: object = {},
): object {
  return { apiVersion: PUSH_API, kind: 'PushSecret', metadata: { name, namespace: ns, ...meta }, spec };
}

export async function getPush(
  ns: string | undefined,
  name: string,
  plural = 'pushsecrets',
): Promise<Obj | undefined> {
  const custom = customObjectsApi();
  const ref = { group: 'external-secrets.io', version: 'v1alpha1', plural, name };
  try {
    return (
      ns
        ? await custom.getNamespacedCustomObject({ ...ref, namespace: ns })
        : await custom.getClusterCustomObject(ref)
    ) as Obj;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

export interface PushStatus {
  refreshTime?: string;
  syncedResourceVersion?: string;
  syncedPushSecrets?: Record<string, Record<string, unknown>>;
}

export const pushStatus = (o: Obj | undefined): PushStatus => (o?.status ?? {}) as PushStatus;

/** Waits until the PushSecret's Ready condition matches (and, by default, was written after `since`). */
export async function waitPush(
  ns: string,
  name: string,
  want: { status?: 'True' | 'False'; reason?: string; message?: RegExp; after?: string } = {},
  timeoutMs = 30_000,
): Promise<Obj> {
  return waitFor(
    `PushSecret ${ns}/${name} Ready=${want.status ?? 'True'} ${want.reason ?? ''} ${want.message ?? ''}`,
    async () => {
      const o = await getPush(ns, name);
      const c = o?.status?.conditions?.find((x) => x.type === 'Ready');
      if (!o || !c || c.status !== (want.status ?? 'True')) return undefined;
      if (want.reason && c.reason !== want.reason) return undefined;
      if (want.message && !want.message.test(c.message ?? '')) return undefined;
      if (want.after && !((pushStatus(o).refreshTime ?? '') > want.after)) return undefined;
      return o;
    },
    { timeoutMs },
  );
}

export function forceSync(ns: string, name: string, kubectl: (args: string[]) => string): void {
  kubectl(['annotate', 'pushsecret', name, '-n', ns, '--overwrite', `force-sync=${Date.now()}`]);
}

/** One request of OpenBao's audit log (values are HMAC'd there). */
interface AuditEntry {
  type: string;
  time: string;
  request?: { operation?: string; path?: string };
}

/** The write requests (create, update, delete) OpenBao logged under `prefix` since line `from`. */
export function vaultWrites(prefix: string, from = 0): { lines: number; writes: string[] } {
  const text = readFileSync(serverVar('VAULT_AUDIT_LOG'), 'utf8');
  const lines = text.split('\n').filter((l) => l.trim());
  const writes: string[] = [];
  for (const l of lines.slice(from)) {
    const e = JSON.parse(l) as AuditEntry;
    const op = e.request?.operation ?? '';
    const path = e.request?.path ?? '';
    if (e.type === 'request' && path.startsWith(prefix) && ['create', 'update', 'delete'].includes(op))
      writes.push(`${op} ${path}`);
  }
  return { lines: lines.length, writes };
}

/** Requests of any operation under `prefix` since line `from`. */
export function vaultRequests(prefix: string, from = 0): string[] {
  const lines = readFileSync(serverVar('VAULT_AUDIT_LOG'), 'utf8')
    .split('\n')
    .filter((l) => l.trim());
  const out: string[] = [];
  for (const l of lines.slice(from)) {
    const e = JSON.parse(l) as AuditEntry;
    if (e.type === 'request' && (e.request?.path ?? '').startsWith(prefix))
      out.push(`${e.request?.operation ?? ''} ${e.request?.path ?? ''}`);
  }
  return out;
}

/**
 * A TCP proxy on loopback in front of a test server: `down()` refuses every connection (a
 * backend outage as the operator sees it), `up()` forwards again.
 */
export interface Outage {
  url: string;
  down(): void;
  up(): void;
  close(): Promise<void>;
}

export async function outageProxy(target: string): Promise<Outage> {
  const t = new URL(target);
  let open = true;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    if (!open) return client.destroy();
    const upstream = connect(Number(t.port), t.hostname);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `${t.protocol}//127.0.0.1:${port}`,
    down() {
      open = false;
      for (const s of sockets) s.destroy();
    },
    up() {
      open = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
