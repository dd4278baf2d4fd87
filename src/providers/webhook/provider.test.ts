// provider.webhook against a local node:http server: templates, the label rule, result.jsonPath
// with ESO's renderings, status mapping, the TLS rule, and JSONPath on its own.

import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { renderWebhookTemplate } from '../../controller/store/credentials.js';
import type { ProviderError } from '../errors.js';
import { requireTls } from '../tls.js';
import type { ProviderContext, StoreInfo } from '../types.js';
import { formatFloat0, webhookProvider } from './provider.js';
import { compileJsonPath, queryJson } from './jsonpath.js';

let server: Server;
let base = '';
const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
type Answer = { status: number; body: string; headers?: Record<string, string>; never?: boolean };
let answer: (url: string) => Answer = () => ({ status: 200, body: '{}' });

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const a = answer(req.url ?? '');
      // A backend that never answers: the store's timeout is what ends the call.
      if (a.never) return;
      res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
      res.end(a.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const TOKEN = 'tok en&1';

function ctx(
  labels: Record<string, string> = { 'external-secrets.io/type': 'webhook' },
  allowHttp = true,
): ProviderContext {
  return {
    signal: new AbortController().signal,
    requireTls: (url, what) => requireTls(url, what, allowHttp),
    readSecretKey: async () => new Uint8Array(),
    readConfigMapKey: async () => '',
    requestServiceAccountToken: async () => '',
    readServiceAccountAnnotations: async () => ({}),
    readSecret: async () => ({ data: { token: new TextEncoder().encode(TOKEN) }, labels }),
    renderTemplate: renderWebhookTemplate,
  };
}

function store(webhook: object, kind: StoreInfo['kind'] = 'SecretStore'): StoreInfo {
  return {
    kind,
    name: 'wh',
    namespace: kind === 'SecretStore' ? 'app' : undefined,
    requesterNamespace: 'app',
    provider: { webhook: { url: `${base}/x`, ...webhook } },
  };
}

const authSecret = { secrets: [{ name: 'auth', secretRef: { name: 'wh-auth' } }] };

async function get(spec: object, key: string, property?: string, c = ctx()) {
  const client = await webhookProvider().connect(store(spec), c);
  try {
    const v = await client.getSecret({ key, property });
    return new TextDecoder().decode((v as { data: Uint8Array }).data);
  } finally {
    await client.close();
  }
}

describe('provider.webhook', () => {
  it('renders url (escaped), headers and body (raw) from remoteRef and the referenced Secrets', async () => {
    answer = () => ({ status: 200, body: '{"data":{"password":"pw","n":2.5}}' });
    seen.length = 0;
    const out = await get(
      {
        url: `${base}/secrets/{{ .remoteRef.key }}?t={{ .auth.token }}`,
        method: 'POST',
        headers: { Authorization: 'Bearer {{ .auth.token }}', 'Content-Type': 'application/json' },
        body: '{"key":"{{ .remoteRef.key }}","ns":"{{ .remoteRef.namespace }}"}',
        result: { jsonPath: '$.data.{{ .remoteRef.property }}' },
        ...authSecret,
      },
      'db/main',
      'password',
    );
    expect(out).toBe('pw');
    expect(seen[0]!.method).toBe('POST');
    expect(seen[0]!.url).toBe('/secrets/db%2Fmain?t=tok+en%261');
    expect(seen[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(JSON.parse(seen[0]!.body)).toEqual({ key: 'db/main', ns: 'app' });
    // ESO formats numbers with FormatFloat(v, 'f', 0): 2.5 rounds to even.
    expect(await get({ result: { jsonPath: '$.data.n' } }, 'k')).toBe('2');
  });
  it('returns the body without jsonPath, an object as JSON, a list by its first element', async () => {
    answer = () => ({ status: 200, body: '{"items":[{"name":"a","v":"1"},{"name":"b","v":"<2>"}]}' });
    expect(await get({}, 'k')).toBe('{"items":[{"name":"a","v":"1"},{"name":"b","v":"<2>"}]}');
    expect(await get({ result: { jsonPath: '$.items[1]' } }, 'k')).toBe('{"name":"b","v":"\\u003c2\\u003e"}');
    expect(await get({ result: { jsonPath: '$.items[?(@.name=="b")].v' } }, 'k')).toBe('<2>');
  });
  it('requires the webhook label on referenced Secrets', async () => {
    answer = () => ({ status: 200, body: '{}' });
    await expect(get(authSecret, 'k', undefined, ctx({}))).rejects.toThrow(
      'Secret "wh-auth" needs the label external-secrets.io/type: webhook',
    );
  });
  it('maps 404 to NotFound and other statuses to errors naming the host only', async () => {
    answer = () => ({ status: 404, body: '' });
    await expect(get({ url: `${base}/secret?token=abc` }, 'gone')).rejects.toMatchObject({
      reason: 'NotFound',
    });
    answer = () => ({ status: 500, body: 'boom' });
    const e = (await get({ url: `${base}/secret?token=abc` }, 'k').catch((x: unknown) => x)) as ProviderError;
    expect(e.reason).toBe('Unavailable');
    expect(e.message).toBe(`webhook ${new URL(base).host} answered 500 for "k"`);
  });
  it('passes Retry-After on with a 429, and ends a call that outlives spec.timeout', async () => {
    answer = () => ({ status: 429, body: '', headers: { 'retry-after': '7' } });
    await expect(get({}, 'k')).rejects.toMatchObject({ reason: 'Throttled', retryAfterMs: 7000 });
    answer = () => ({ status: 200, body: '', never: true });
    await expect(get({ timeout: '100ms' }, 'k')).rejects.toThrow(/: no answer in time$/);
  });
  it('sends referenced Secrets and Authorization headers only over TLS unless allowed', async () => {
    await expect(get(authSecret, 'k', undefined, ctx(undefined, false))).rejects.toThrow(/is plain HTTP/);
    await expect(
      get({ headers: { Authorization: 'x' } }, 'k', undefined, ctx(undefined, false)),
    ).rejects.toThrow(/is plain HTTP/);
    answer = () => ({ status: 200, body: 'plain' });
    expect(await get({}, 'k', undefined, ctx(undefined, false))).toBe('plain');
  });
  it('validates its spec with messages a user can act on', () => {
    const p = webhookProvider();
    expect(p.validateSpec(store({ url: '' }))).toBe('spec.provider.webhook.url must be set');
    expect(p.validateSpec(store({ timeout: 'soon' }))).toMatch(/timeout "soon" is not a Go duration/);
    expect(p.validateSpec(store({ auth: { ntlm: { usernameSecret: {}, passwordSecret: {} } } }))).toMatch(
      /NTLM authentication is not supported/,
    );
    expect(p.validateSpec(store(authSecret, 'ClusterSecretStore'))).toMatch(
      /secrets\[0\].secretRef.namespace must be set in a ClusterSecretStore/,
    );
  });
});

describe('JSONPath (PaesslerAG/jsonpath semantics)', () => {
  const doc = {
    store: {
      book: [
        { title: 'a', price: 8, tags: ['x'] },
        { title: 'b', price: 12 },
        { title: 'c', price: 15, isbn: '1' },
      ],
      bike: { color: 'red' },
    },
    'odd key': 1,
  };
  const q = (p: string) => queryJson(compileJsonPath(p), doc);
  it('selects one value with plain names and indexes, and fails on a missing key', () => {
    expect(q('$.store.bike.color')).toBe('red');
    expect(q("$['odd key']")).toBe(1);
    expect(q('$.store.book[-1].title')).toBe('c');
    expect(() => q('$.store.car')).toThrow('unknown key car');
  });
  it('selects lists with wildcards, unions, slices, descendants and filters', () => {
    expect(q('$.store.book[*].title')).toEqual(['a', 'b', 'c']);
    expect(q('$.store.book[0,2].title')).toEqual(['a', 'c']);
    expect(q('$.store.book[1:].price')).toEqual([12, 15]);
    expect(q('$..color')).toEqual(['red']);
    expect(q('$.store.book[?(@.price > 10 && @.isbn)].title')).toEqual(['c']);
    expect(q('$.store.book[?@.title=="b"].price')).toEqual([12]);
    expect(q("$.store.book[?(@.title != 'a' || @.price < 0)].title")).toEqual(['b', 'c']);
  });
  it('rejects what is not JSONPath', () => {
    expect(() => compileJsonPath('store.book')).toThrow('must start with $');
    expect(() => compileJsonPath('$.a[')).toThrow();
  });
  it('formats numbers as ESO does', () => {
    expect([1, 1.5, 2.5, -0.4, 1e21, 123456789.7].map(formatFloat0)).toEqual([
      '1',
      '2',
      '2',
      '-0',
      '1000000000000000000000',
      '123456790',
    ]);
  });
});
