// The operator's HTTP endpoint: Prometheus metrics and the kubelet's probes.
// /healthz answers as long as the event loop turns and the controller has not declared itself
// broken (a failed liveness probe restarts the pod, so it must not depend on the apiserver);
// /readyz turns 200 once caches have synced.

import { createRequire } from 'node:module';
import type * as Http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatListenAddress, parseListenAddress } from '../config/address.js';
import type { KubeLogger } from '../kube/types.js';
import type { Metrics } from './metrics.js';

// Not `import ... from 'node:http'`: an ES import of a built-in reads all of its exports, and
// node:http's WebSocket, CloseEvent and MessageEvent getters then load Node's own copy of undici
// and the web streams (1 to 2.5 MiB of RSS at idle, Node 24.21); require() leaves them unread.
const { createServer } = createRequire(import.meta.url)('node:http') as typeof Http;

export type ReadyResult = boolean | { ok: boolean; detail: string };

export interface HealthChecks {
  live(): boolean;
  ready(): ReadyResult;
}

export interface HttpServerOptions {
  /** "host:port" or ":port" (every interface); port 0 picks a free port. */
  address: string;
  metrics: Pick<Metrics, 'text' | 'contentType'>;
  health: HealthChecks;
  logger?: Pick<KubeLogger, 'debug' | 'warn' | 'error'>;
}

export interface HttpServer {
  /** The address actually bound, "host:port" ("[::]:8080" for every interface). */
  address: string;
  port: number;
  close(): Promise<void>;
}

const TEXT = 'text/plain; charset=utf-8';

function reply(res: ServerResponse, status: number, body: string, type = TEXT, head = false): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(head ? undefined : body);
}

/** A probe answer short enough for `kubectl describe pod` and free of line breaks. */
function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 197)}...` : flat;
}

/** The routes; each answers from memory, so a probe never waits on the operator's work. */
async function handle(o: HttpServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  const head = req.method === 'HEAD';
  if (req.method !== 'GET' && !head) {
    res.setHeader('allow', 'GET, HEAD');
    reply(res, 405, 'method not allowed\n');
    return;
  }
  switch (path) {
    case '/metrics':
      return metricsPage(o, res, head);
    case '/healthz':
    case '/livez': {
      let live = false;
      try {
        live = o.health.live();
      } catch (e) {
        o.logger?.warn({ err: e }, 'liveness check threw');
      }
      reply(res, live ? 200 : 503, live ? 'ok\n' : 'not live: controller failed\n', TEXT, head);
      return;
    }
    case '/readyz':
      return readyPage(o, res, head);
    default:
      reply(res, 404, 'not found\n', TEXT, head);
  }
}

async function metricsPage(o: HttpServerOptions, res: ServerResponse, head: boolean): Promise<void> {
  let text: string;
  try {
    text = await o.metrics.text();
  } catch (e) {
    o.logger?.error({ err: e }, 'collecting metrics failed');
    reply(res, 500, 'collecting metrics failed\n', TEXT, head);
    return;
  }
  reply(res, 200, text, o.metrics.contentType, head);
}

function readyPage(o: HttpServerOptions, res: ServerResponse, head: boolean): void {
  let ok = false;
  let detail = 'not ready';
  try {
    const r = o.health.ready();
    if (typeof r === 'boolean') ok = r;
    else [ok, detail] = [r.ok, r.detail || detail];
  } catch (e) {
    detail = 'readiness check failed';
    o.logger?.warn({ err: e }, 'readiness check threw');
  }
  reply(res, ok ? 200 : 503, ok ? 'ok\n' : `${oneLine(detail)}\n`, TEXT, head);
}

export async function startHttpServer(o: HttpServerOptions): Promise<HttpServer> {
  const { host, port } = parseListenAddress(o.address);
  const server = createServer((req, res) => {
    handle(o, req, res).catch((e: unknown) => {
      o.logger?.error({ err: e }, 'http handler failed');
      if (!res.headersSent) reply(res, 500, 'internal error\n');
      else res.destroy();
    });
  });
  // Probes and scrapes are tiny; slow clients must not hold sockets open.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.keepAliveTimeout = 65_000;
  server.on('clientError', (_e, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (e) => o.logger?.error({ err: e }, 'http server error'));

  const bound = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    address: formatListenAddress(bound.address, bound.port),
    port: bound.port,
    close: () =>
      (closing ??= new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        // Prometheus keeps connections alive; close() alone would wait for them.
        server.closeIdleConnections();
      })),
  };
}
