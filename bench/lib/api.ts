// The benchmark's own apiserver client: undici over one keep-alive pool with the admin token,
// and nothing else, so the baseline measures the apiserver (the physical limit here) and not
// a client library.

import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import { parse } from 'yaml';

interface KubeconfigDoc {
  clusters: {
    cluster: { server: string; 'certificate-authority'?: string; 'certificate-authority-data'?: string };
  }[];
  users: { user: { token?: string } }[];
}

export class Api {
  readonly server: string;
  private readonly token: string;
  private readonly agent: Agent;
  /** Requests made through this client, by verb. */
  readonly counts: Record<string, number> = {};

  constructor(kubeconfig: string, connections = 64) {
    const doc = parse(readFileSync(kubeconfig, 'utf8')) as KubeconfigDoc;
    const cluster = doc.clusters[0]!.cluster;
    this.server = cluster.server;
    this.token = doc.users[0]!.user.token ?? '';
    const ca = cluster['certificate-authority-data']
      ? Buffer.from(cluster['certificate-authority-data'], 'base64')
      : readFileSync(cluster['certificate-authority']!);
    // HTTP/1.1 as the operator's transport (src/kube/transport.ts): the baseline must pay what the
    // operator pays, and undici's HTTP/2 session idle timeout crashed a run (an 'error' event on
    // a stream nobody listened to, 2026-12-02).
    this.agent = new Agent({
      connect: { ca },
      connections,
      pipelining: 1,
      keepAliveTimeout: 60_000,
      allowH2: false,
    });
  }

  async call<T = unknown>(
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<{ status: number; body: T }> {
    this.counts[method] = (this.counts[method] ?? 0) + 1;
    for (let attempt = 0; ; attempt++) {
      const res = await request(this.server + path, {
        method,
        dispatcher: this.agent,
        headers: {
          authorization: `Bearer ${this.token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': contentType }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: 120_000,
        bodyTimeout: 120_000,
      });
      const text = await res.body.text();
      // The apiserver sheds load with 429 (max-requests-inflight): honour it, as the operator does.
      if (res.statusCode === 429 && attempt < 20) {
        const after = Number(res.headers['retry-after'] ?? 1);
        await new Promise((r) => setTimeout(r, Math.max(0.1, after) * 1000 * (0.5 + Math.random())));
        continue;
      }
      return { status: res.statusCode, body: (text ? JSON.parse(text) : undefined) as T };
    }
  }

  async must<T = unknown>(
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
    ct?: string,
  ): Promise<T> {
    const r = await this.call<T>(method, path, body, ct);
    if (r.status >= 300) {
      const msg = (r.body as { message?: string } | undefined)?.message ?? '';
      throw new Error(`${method} ${path.split('?')[0]}: HTTP ${r.status} ${msg.slice(0, 200)}`);
    }
    return r.body;
  }

  /**
   * Streams watch events of a collection until `stop` returns true or the signal aborts.
   * Reconnects from the last resourceVersion (a long watch may be closed by the server).
   */
  async watch(
    path: string,
    resourceVersion: string,
    onEvent: (type: string, obj: Record<string, unknown>) => boolean | void,
    signal: AbortSignal,
  ): Promise<void> {
    let rv = resourceVersion;
    while (!signal.aborted) {
      const sep = path.includes('?') ? '&' : '?';
      let res;
      try {
        res = await request(
          `${this.server}${path}${sep}watch=1&allowWatchBookmarks=true&resourceVersion=${rv}`,
          {
            dispatcher: this.agent,
            headers: { authorization: `Bearer ${this.token}`, accept: 'application/json' },
            signal,
            bodyTimeout: 0,
          },
        );
      } catch (e) {
        if (signal.aborted) return;
        throw e;
      }
      if (res.statusCode !== 200) throw new Error(`watch ${path}: HTTP ${res.statusCode}`);
      let buf = '';
      try {
        for await (const chunk of res.body) {
          buf += chunk.toString('utf8');
          let nl;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (!line.trim()) continue;
            const ev = JSON.parse(line) as { type: string; object: Record<string, unknown> };
            const meta = ev.object.metadata as { resourceVersion?: string } | undefined;
            if (meta?.resourceVersion) rv = meta.resourceVersion;
            if (ev.type === 'ERROR')
              throw new Error(`watch ${path}: ${JSON.stringify(ev.object).slice(0, 200)}`);
            if (ev.type !== 'BOOKMARK' && onEvent(ev.type, ev.object) === true) {
              res.body.destroy();
              return;
            }
          }
        }
      } catch (e) {
        if (signal.aborted) return;
        throw e;
      }
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** Runs fn over items with at most `concurrency` in flight. */
export async function pool<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  });
  await Promise.all(workers);
}
