import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../api/types.js';
import { KubeClient, connectionsForWorkers, createKubeClient } from './client.js';
import type { KubeClientOptions, KubeRequestInfo } from './client.js';
import { CONFIGMAPS, EXTERNAL_SECRETS, NAMESPACES, SECRETS, SERVICEACCOUNTS } from './resources.js';
import { KubeApiError } from './types.js';

// ---- a tiny scripted apiserver ----

interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}

type Handler = (req: Seen, res: ServerResponse) => void;

let server: Server;
let base: string;
let handler: Handler = (_req, res) => res.end('{}');
const seen: Seen[] = [];
const clients: KubeClient[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const s: Seen = {
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(s);
      handler(s, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  seen.length = 0;
  handler = (_req, res) => res.end('{}');
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function client(
  opts: KubeClientOptions & { token?: string | (() => Promise<string>); server?: string } = {},
): KubeClient {
  const c = new KubeClient({ server: opts.server ?? base, token: opts.token }, { maxRetries: 3, ...opts });
  clients.push(c);
  return c;
}

function json(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(code, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function status(code: number, reason: string, message: string, retryAfterSeconds?: number) {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    status: 'Failure',
    code,
    reason,
    message,
    ...(retryAfterSeconds !== undefined ? { details: { retryAfterSeconds } } : {}),
  };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

// ---- tests ----

describe('KubeClient requests', () => {
  it('gets an object with auth, accept and user-agent headers, under a server path prefix', async () => {
    handler = (_q, res) => json(res, 200, { kind: 'Secret', metadata: { name: 's' } });
    const c = client({ token: 'tok', userAgent: 'syncret/test', server: `${base}/prefix/` });
    const s = await c.get({ type: SECRETS, namespace: 'ns', name: 's' });
    expect(s.metadata.name).toBe('s');
    expect(seen[0]).toMatchObject({ method: 'GET', path: '/prefix/api/v1/namespaces/ns/secrets/s' });
    expect(seen[0]!.headers).toMatchObject({
      authorization: 'Bearer tok',
      accept: 'application/json',
      'user-agent': 'syncret/test',
    });
  });

  it('requires a namespace for namespaced objects', async () => {
    const c = client();
    await expect(c.get({ type: SECRETS, name: 's' })).rejects.toThrow(/namespace is required/);
    await expect(c.get({ type: SECRETS, namespace: 'ns' })).rejects.toThrow(/needs a name/);
  });

  it('lists with selectors and pagination and fills apiVersion/kind of items', async () => {
    handler = (_q, res) =>
      json(res, 200, {
        kind: 'ExternalSecretList',
        metadata: { resourceVersion: '42', continue: 'next' },
        items: [{ metadata: { name: 'a' } }],
      });
    const c = client();
    const r = await c.list(EXTERNAL_SECRETS, {
      namespace: 'ns',
      labelSelector: 'a=b',
      limit: 10,
      continue: 'tok',
    });
    expect(r).toEqual({
      items: [{ apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'a' } }],
      resourceVersion: '42',
      continue: 'next',
    });
    expect(seen[0]!.path).toBe('/apis/external-secrets.io/v1/namespaces/ns/externalsecrets');
    expect(Object.fromEntries(seen[0]!.query)).toEqual({
      labelSelector: 'a=b',
      limit: '10',
      continue: 'tok',
    });

    handler = (_q, res) => json(res, 200, { metadata: { resourceVersion: '7' }, items: null });
    expect(await c.list(CONFIGMAPS)).toEqual({ items: [], resourceVersion: '7', continue: undefined });
    expect(seen[1]!.path).toBe('/api/v1/configmaps');
  });

  it('applies with server-side apply: PATCH, apply content type, fieldManager and force', async () => {
    handler = (q, res) => json(res, 200, JSON.parse(q.body));
    const c = client();
    const out = await c.apply<KubeObject & { data?: Record<string, string> }>(
      { type: SECRETS, namespace: 'ns', name: 's' },
      { metadata: { name: 's', namespace: 'ns' }, data: { k: 'dg==' } },
      { fieldManager: 'syncret' },
    );
    expect(seen[0]).toMatchObject({ method: 'PATCH', path: '/api/v1/namespaces/ns/secrets/s' });
    expect(seen[0]!.headers['content-type']).toBe('application/apply-patch+yaml');
    expect(Object.fromEntries(seen[0]!.query)).toEqual({ fieldManager: 'syncret', force: 'true' });
    expect(out).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'ns' },
      data: { k: 'dg==' },
    });

    await c.apply(
      { type: SECRETS, namespace: 'ns', name: 's' },
      { metadata: {} },
      { fieldManager: 'm', force: false },
    );
    expect(Object.fromEntries(seen[1]!.query)).toEqual({ fieldManager: 'm' });
  });

  it('merge-patches, replaces, creates and deletes with the right verbs, paths and bodies', async () => {
    const c = client();
    await c.mergePatch(
      { type: EXTERNAL_SECRETS, namespace: 'ns', name: 'es', subresource: 'status' },
      { status: {} },
    );
    expect(seen[0]).toMatchObject({
      method: 'PATCH',
      path: '/apis/external-secrets.io/v1/namespaces/ns/externalsecrets/es/status',
    });
    expect(seen[0]!.headers['content-type']).toBe('application/merge-patch+json');

    await c.replace(
      { type: CONFIGMAPS, namespace: 'ns', name: 'c' },
      { metadata: { name: 'c', resourceVersion: '1' } },
    );
    expect(seen[1]).toMatchObject({ method: 'PUT', path: '/api/v1/namespaces/ns/configmaps/c' });

    await c.create({ type: CONFIGMAPS, namespace: 'ns', name: 'c' }, { metadata: { name: 'c' } });
    expect(seen[2]).toMatchObject({ method: 'POST', path: '/api/v1/namespaces/ns/configmaps' });
    await c.create(
      { type: SERVICEACCOUNTS, namespace: 'ns', name: 'sa', subresource: 'token' },
      { spec: {} },
    );
    expect(seen[3]).toMatchObject({ method: 'POST', path: '/api/v1/namespaces/ns/serviceaccounts/sa/token' });

    await c.delete({ type: SECRETS, namespace: 'ns', name: 's' }, { preconditionUid: 'u1' });
    expect(seen[4]).toMatchObject({ method: 'DELETE', path: '/api/v1/namespaces/ns/secrets/s' });
    expect(JSON.parse(seen[4]!.body)).toEqual({
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      propagationPolicy: 'Background',
      preconditions: { uid: 'u1' },
    });
  });

  it('keeps as many requests in flight as it has connections, one per worker and more', async () => {
    expect(connectionsForWorkers(1)).toBe(32);
    expect(connectionsForWorkers(64)).toBe(72);
    const held: ServerResponse[] = [];
    let release = false;
    let arrived: () => void = () => {};
    handler = (_req, res) => {
      if (release) return json(res, 200, {});
      held.push(res);
      arrived();
    };
    const inFlight = async (connections: number, requests: number): Promise<number> => {
      release = false;
      const c = client({ connections });
      const all = Promise.all(
        Array.from({ length: requests }, (_, i) =>
          c.get({ type: CONFIGMAPS, namespace: 'ns', name: `c${i}` }),
        ),
      );
      while (held.length < Math.min(connections, requests)) await new Promise<void>((r) => (arrived = r));
      // Any request beyond the pool would arrive now.
      await new Promise((r) => setTimeout(r, 50));
      const n = held.length;
      release = true;
      for (const res of held.splice(0)) json(res, 200, {});
      await all;
      return n;
    };
    expect(await inFlight(4, 10)).toBe(4);
    expect(await inFlight(connectionsForWorkers(64), 64)).toBe(64);
  });

  it('reports each attempt to onRequest', async () => {
    const infos: KubeRequestInfo[] = [];
    let n = 0;
    handler = (_q, res) =>
      n++ === 0
        ? json(res, 429, status(429, 'TooManyRequests', 'slow down'), { 'retry-after': '0' })
        : json(res, 200, {});
    const c = client({ onRequest: (i) => infos.push(i) });
    await c.mergePatch({ type: EXTERNAL_SECRETS, namespace: 'ns', name: 'es', subresource: 'status' }, {});
    expect(infos.map((i) => [i.verb, i.resource, i.code])).toEqual([
      ['patch', 'externalsecrets/status', 429],
      ['patch', 'externalsecrets/status', 200],
    ]);
    expect(infos[0]!.seconds).toBeGreaterThanOrEqual(0);
  });
});

describe('KubeClient errors and retries', () => {
  it('turns a metav1.Status into a typed KubeApiError', async () => {
    handler = (_q, res) => json(res, 404, status(404, 'NotFound', 'secrets "s" not found'));
    const e = (await rejection(client().get({ type: SECRETS, namespace: 'ns', name: 's' }))) as KubeApiError;
    expect(e).toBeInstanceOf(KubeApiError);
    expect(e.notFound).toBe(true);
    expect(e.reason).toBe('NotFound');
    expect(e.message).toBe('GET /api/v1/namespaces/ns/secrets/s: secrets "s" not found');

    handler = (_q, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>bad gateway</html>');
    };
    const e2 = (await rejection(
      client({ maxRetries: 0 }).get({ type: SECRETS, namespace: 'ns', name: 's' }),
    )) as KubeApiError;
    expect([e2.code, e2.reason]).toEqual([502, 'HTTP502']);
    expect(e2.message).toContain('bad gateway');
  });

  it('retries 429 with Retry-After for every verb, including create', async () => {
    let n = 0;
    handler = (_q, res) =>
      ++n < 3
        ? json(res, 429, status(429, 'TooManyRequests', 'slow down'), { 'retry-after': '0' })
        : json(res, 201, { metadata: { name: 'c' } });
    const created = await client().create({ type: CONFIGMAPS, namespace: 'ns' }, { metadata: { name: 'c' } });
    expect(created.metadata.name).toBe('c');
    expect(seen).toHaveLength(3);
  });

  it('gives up when Retry-After is longer than allowed, or after maxRetries', async () => {
    handler = (_q, res) =>
      json(res, 429, status(429, 'TooManyRequests', 'slow down'), { 'retry-after': '60' });
    const e = (await rejection(client().get({ type: SECRETS, namespace: 'ns', name: 's' }))) as KubeApiError;
    expect([e.code, e.retryAfterSeconds]).toEqual([429, 60]);
    expect(seen).toHaveLength(1);

    seen.length = 0;
    handler = (_q, res) =>
      json(res, 429, status(429, 'TooManyRequests', 'slow down'), { 'retry-after': '0' });
    await expect(
      client({ maxRetries: 2 }).get({ type: SECRETS, namespace: 'ns', name: 's' }),
    ).rejects.toThrow(/slow down/);
    expect(seen).toHaveLength(3);
  });

  it('retries 503 for idempotent verbs only; never retries other failures', async () => {
    handler = (_q, res) => json(res, 503, status(503, 'ServiceUnavailable', 'starting'));
    await expect(
      client({ maxRetries: 2 }).get({ type: SECRETS, namespace: 'ns', name: 's' }),
    ).rejects.toThrow(/starting/);
    expect(seen).toHaveLength(3);

    seen.length = 0;
    await expect(client({ maxRetries: 2 }).create({ type: CONFIGMAPS, namespace: 'ns' }, {})).rejects.toThrow(
      /starting/,
    );
    expect(seen).toHaveLength(1);

    seen.length = 0;
    handler = (_q, res) => json(res, 500, status(500, 'InternalError', 'boom'));
    await expect(client().get({ type: SECRETS, namespace: 'ns', name: 's' })).rejects.toThrow(/boom/);
    expect(seen).toHaveLength(1);
  });

  it('retries a reset connection for idempotent verbs but never a create with an unknown outcome', async () => {
    let n = 0;
    handler = (_q, res) => {
      if (n++ === 0) res.socket?.destroy();
      else json(res, 200, { metadata: { name: 'ok' } });
    };
    const got = await client().get({ type: SECRETS, namespace: 'ns', name: 's' });
    expect(got.metadata.name).toBe('ok');
    expect(seen).toHaveLength(2);

    seen.length = 0;
    handler = (_q, res) => res.socket?.destroy();
    const e = (await rejection(client().create({ type: CONFIGMAPS, namespace: 'ns' }, {}))) as KubeApiError;
    expect([e.code, e.reason, e.noResponse]).toEqual([0, 'NetworkError', true]);
    expect(seen).toHaveLength(1);
  });

  it('reports an unreachable apiserver as a NetworkError', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const e = (await rejection(
      client({ server: `http://127.0.0.1:${port}`, maxRetries: 1 }).get({
        type: SECRETS,
        namespace: 'ns',
        name: 's',
      }),
    )) as KubeApiError;
    expect([e.code, e.reason]).toEqual([0, 'NetworkError']);
    expect(e.message).toContain('ECONNREFUSED');
  });

  it('times out a body that stalls after the headers', async () => {
    handler = (_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"kind":');
    };
    const e = (await rejection(
      client({ timeoutMs: 100 }).get({ type: SECRETS, namespace: 'ns', name: 's' }),
    )) as KubeApiError;
    expect([e.code, e.reason]).toEqual([0, 'Timeout']);
  });

  it('times out a request that gets no answer, but lets a caller abort win', async () => {
    handler = () => undefined; // never answers
    const e = (await rejection(
      client({ timeoutMs: 100 }).get({ type: SECRETS, namespace: 'ns', name: 's' }),
    )) as KubeApiError;
    expect([e.code, e.reason]).toEqual([0, 'Timeout']);

    const ac = new AbortController();
    const p = client().get({ type: SECRETS, namespace: 'ns', name: 's' }, ac.signal);
    setTimeout(() => ac.abort(new Error('caller gave up')), 30);
    const e2 = await rejection(p);
    expect(e2).not.toBeInstanceOf(KubeApiError);
    expect((e2 as Error).message).toBe('caller gave up');
  });

  it('refreshes a token function after a 401, and caches it otherwise', async () => {
    let calls = 0;
    const token = async () => `t${++calls}`;
    handler = (q, res) =>
      q.headers.authorization === 'Bearer t1'
        ? json(res, 401, status(401, 'Unauthorized', 'expired'))
        : json(res, 200, { metadata: {} });
    const c = client({ token });
    await c.get({ type: SECRETS, namespace: 'ns', name: 's' });
    await c.get({ type: SECRETS, namespace: 'ns', name: 's' });
    expect(seen.map((s) => s.headers.authorization)).toEqual(['Bearer t1', 'Bearer t2', 'Bearer t2']);
    expect(calls).toBe(2);
  });
});

describe('credentials', () => {
  it('reports a failing token source as a CredentialsError', async () => {
    const c = client({
      token: async () => {
        throw new Error('exec plugin failed');
      },
    });
    const e = (await rejection(c.get({ type: SECRETS, namespace: 'ns', name: 's' }))) as KubeApiError;
    expect([e.code, e.reason]).toEqual([0, 'CredentialsError']);
    expect(e.message).toContain('exec plugin failed');
    expect(seen).toHaveLength(0);
  });

  it('builds a client from a kubeconfig file (token user)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kc-'));
    const file = join(dir, 'config');
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: base } }],
        users: [{ name: 'u', user: { token: 'kc-token' } }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'x',
      }),
    );
    handler = (_q, res) => json(res, 200, { metadata: { name: 'n' } });
    const c = await createKubeClient({ kubeconfigPath: file });
    clients.push(c);
    await c.get({ type: NAMESPACES, name: 'n' });
    expect(seen[0]!.headers.authorization).toBe('Bearer kc-token');
    expect(seen[0]!.path).toBe('/api/v1/namespaces/n');
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('rate limiting', () => {
  it('spaces requests at the configured qps', async () => {
    const c = client({ qps: 20, burst: 1 });
    const t0 = performance.now();
    await Promise.all([1, 2, 3].map(() => c.get({ type: SECRETS, namespace: 'ns', name: 's' })));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(90);
  });

  it('withRateLimit shares the connection but not the bucket', async () => {
    const c = client({ qps: 0.1, burst: 1 });
    await c.get({ type: SECRETS, namespace: 'ns', name: 's' }); // empties c's bucket
    const lease = c.withRateLimit(0, 1);
    const t0 = performance.now();
    await lease.get({ type: SECRETS, namespace: 'ns', name: 's' });
    // c's bucket refills in 10 s: a shared bucket would wait that long
    expect(performance.now() - t0).toBeLessThan(5_000);
  }, 20_000);
});

describe('KubeClient.watch', () => {
  const cmEvent = (type: string, name: string, rv: string, extra: object = {}) =>
    JSON.stringify({
      type,
      object: { kind: 'ConfigMap', metadata: { name, namespace: 'ns', resourceVersion: rv }, ...extra },
    }) + '\n';

  it('streams events parsed incrementally, survives silent gaps longer than the request timeout', async () => {
    const big = 'x'.repeat(1024 * 1024);
    handler = (_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const payload = cmEvent('ADDED', 'a', '11') + cmEvent('MODIFIED', 'big', '12', { data: { v: big } });
      // split at awkward places, including inside the 1 MiB line
      res.write(payload.slice(0, 5));
      res.write(payload.slice(5, 70_000));
      setTimeout(() => {
        res.write(payload.slice(70_000));
        setTimeout(() => {
          res.write(
            JSON.stringify({
              type: 'BOOKMARK',
              object: { kind: 'ConfigMap', metadata: { resourceVersion: '20' } },
            }),
          );
          res.end(); // last line unterminated
        }, 250);
      }, 250);
    };
    const infos: KubeRequestInfo[] = [];
    const c = client({ timeoutMs: 100, onRequest: (i) => infos.push(i) });
    const got: string[] = [];
    for await (const ev of c.watch(CONFIGMAPS, {
      namespace: 'ns',
      resourceVersion: '10',
      timeoutSeconds: 321,
      labelSelector: 'x=y',
    })) {
      got.push(`${ev.type} ${ev.object.metadata.resourceVersion}`);
      if (ev.object.metadata.name === 'big')
        expect((ev.object as { data?: { v: string } }).data?.v.length).toBe(big.length);
    }
    expect(got).toEqual(['ADDED 11', 'MODIFIED 12', 'BOOKMARK 20']);
    expect(seen[0]!.path).toBe('/api/v1/namespaces/ns/configmaps');
    expect(Object.fromEntries(seen[0]!.query)).toEqual({
      watch: '1',
      allowWatchBookmarks: 'true',
      resourceVersion: '10',
      timeoutSeconds: '321',
      labelSelector: 'x=y',
    });
    expect(infos.map((i) => [i.verb, i.resource, i.code])).toEqual([['watch', 'configmaps', 200]]);
  });

  it('throws a KubeApiError when the watch is refused', async () => {
    handler = (_q, res) => json(res, 410, status(410, 'Expired', 'too old resource version: 1 (99)'));
    const e = (await rejection(
      (async () => {
        for await (const _ev of client().watch(CONFIGMAPS, { resourceVersion: '1' })) {
          // no events expected
        }
      })(),
    )) as KubeApiError;
    expect(e.gone).toBe(true);
  });

  it('ends quietly on abort and when the consumer breaks out', async () => {
    handler = (_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(cmEvent('ADDED', 'a', '11'));
    };
    const ac = new AbortController();
    const got: string[] = [];
    setTimeout(() => ac.abort(), 100);
    for await (const ev of client().watch(CONFIGMAPS, { resourceVersion: '10', signal: ac.signal }))
      got.push(ev.type);
    expect(got).toEqual(['ADDED']);

    for await (const _ev of client().watch(CONFIGMAPS, { resourceVersion: '10' })) break;
  });

  it('reports a malformed stream as a DecodeError', async () => {
    handler = (_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"type":"ADDED","object":\n');
    };
    const e = (await rejection(
      (async () => {
        for await (const _ev of client().watch(CONFIGMAPS, { resourceVersion: '10' })) {
          // none
        }
      })(),
    )) as KubeApiError;
    expect([e.code, e.reason]).toEqual([0, 'DecodeError']);
  });
});
