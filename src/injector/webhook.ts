// The admission webhook: AdmissionReview v1 in, the mutation's JSON patch out, over HTTPS with
// the certificate tls.ts keeps (swapped in place on rotation, no restart). A pod the injector
// cannot serve as asked is refused with the reason; anything else (other kinds, updates, pods
// that asked for nothing) is allowed unchanged. Logs name the pod and the outcome, never an
// annotation's text (templates are not secret, but they are the user's).

import { createServer } from 'node:https';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { KubeLogger } from '../kube/types.js';
import { InjectionError } from './annotations.js';
import type { InjectorConfig } from './annotations.js';
import { mutatePod } from './mutate.js';
import type { StoreLookup } from './mutate.js';
import type { Pod } from './pod.js';

/** The apiserver sends at most a few MiB; a larger body is not an AdmissionReview. */
const MAX_BODY = 8 * 1024 * 1024;

interface AdmissionRequest {
  uid?: string;
  kind?: { group?: string; version?: string; kind?: string };
  operation?: string;
  namespace?: string;
  object?: Pod;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  patchType?: 'JSONPatch';
  patch?: string;
  status?: { code: number; reason?: string; message: string };
  warnings?: string[];
}

export interface ReviewDeps {
  config: InjectorConfig;
  lookup?: StoreLookup;
  logger: KubeLogger;
}

/** Answers one AdmissionReview (the parsed request body). */
export async function review(
  body: unknown,
  deps: ReviewDeps,
): Promise<{ apiVersion: string; kind: string; response: AdmissionResponse }> {
  const req = ((body as { request?: AdmissionRequest } | undefined)?.request ?? {}) as AdmissionRequest;
  const uid = typeof req.uid === 'string' ? req.uid : '';
  const answer = (response: Omit<AdmissionResponse, 'uid'>) => ({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: { uid, ...response },
  });
  const isPod = req.kind?.kind === 'Pod' && (req.kind.group ?? '') === '';
  if (!isPod || req.operation !== 'CREATE' || !req.object) return answer({ allowed: true });
  const ns = req.namespace ?? req.object.metadata?.namespace ?? '';
  const who = {
    namespace: ns,
    pod: req.object.metadata?.name ?? `${req.object.metadata?.generateName ?? ''}*`,
  };
  try {
    const r = await mutatePod(req.object, ns, deps.config, deps.lookup);
    if ('skip' in r) {
      deps.logger.debug({ ...who, reason: r.skip }, 'pod not mutated');
      return answer({ allowed: true });
    }
    deps.logger.info(
      { ...who, templates: r.config.templates.length, operations: r.patch.length },
      'pod mutated',
    );
    return answer({
      allowed: true,
      patchType: 'JSONPatch',
      patch: Buffer.from(JSON.stringify(r.patch)).toString('base64'),
    });
  } catch (e) {
    if (!(e instanceof InjectionError)) throw e;
    deps.logger.info({ ...who, reason: e.message }, 'pod refused');
    return answer({
      allowed: false,
      status: { code: 403, reason: 'Forbidden', message: `syncret injector: ${e.message}` },
    });
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, code: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' });
  res.end(text);
}

export interface WebhookServer {
  server: Server;
  /** Swaps the serving certificate for new connections. */
  setCertificate(cert: string, key: string): void;
  /** True once a certificate is in place. */
  ready(): boolean;
}

/** An HTTPS server for /mutate, /healthz and /readyz; it answers only once a certificate is set. */
export function webhookServer(deps: ReviewDeps): WebhookServer {
  let hasCert = false;
  const server = createServer({}, (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && (path === '/healthz' || path === '/readyz')) return send(res, 200, 'ok');
    if (req.method !== 'POST' || path !== '/mutate') return send(res, 404, 'not found');
    readBody(req)
      .then(async (text) => {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          return send(res, 400, 'the body is not JSON');
        }
        send(res, 200, await review(body, deps));
      })
      .catch((e: unknown) => {
        deps.logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'admission review failed');
        if (!res.headersSent) send(res, 500, 'internal error');
      });
  });
  return {
    server,
    setCertificate(cert, key) {
      server.setSecureContext({ cert, key });
      hasCert = true;
    },
    ready: () => hasCert,
  };
}
