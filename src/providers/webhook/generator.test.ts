// The Webhook generator against a local HTTP server: templates over labelled Secrets, the
// request as sent, result.jsonPath, status mapping, and the plain-http credential rule.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { renderWebhookTemplate } from '../../controller/store/credentials.js';
import { ProviderError } from '../errors.js';
import type { GeneratorEnv } from '../generator.js';
import { evalJsonPath } from './jsonpath.js';
import { queryEscape, resultObject, webhookGenerator } from './generator.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let base: string;
const seen: Seen[] = [];
let answer: { status: number; body: string } = { status: 200, body: '{}' };

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(answer.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

const enc = (s: string) => new TextEncoder().encode(s);

function env(
  secrets: Record<string, { data: Record<string, string>; labels?: Record<string, string> }> = {},
): GeneratorEnv {
  return {
    namespace: 'ns',
    now: 0,
    ctx: {
      signal: new AbortController().signal,
      requireTls: () => undefined,
      readSecretKey: async () => enc(''),
      readConfigMapKey: async () => '',
      requestServiceAccountToken: async () => '',
      readServiceAccountAnnotations: async () => ({}),
    },
    readSecret: async (name) => {
      const s = secrets[name];
      if (!s) throw new ProviderError('InvalidProviderConfig', `Secret ${name} not found`);
      return {
        data: Object.fromEntries(Object.entries(s.data).map(([k, v]) => [k, enc(v)])),
        labels: s.labels ?? { 'external-secrets.io/type': 'webhook' },
      };
    },
    renderTemplate: renderWebhookTemplate,
  };
}

const obj = (spec: Record<string, unknown>) => ({ metadata: { name: 'wh', namespace: 'ns' }, spec });

describe('result.jsonPath', () => {
  it('walks names, quoted names and indexes; a list of matches is not a result', () => {
    const doc = { a: { 'b c': [{ d: 1 }, { d: 2 }] } };
    expect(evalJsonPath('$', doc)).toBe(doc);
    expect(evalJsonPath("$.a['b c'][1].d", doc)).toBe(2);
    expect(evalJsonPath('$.a["b c"][-1]', doc)).toEqual({ d: 2 });
    expect(() => evalJsonPath('$.x', doc)).toThrow(/unknown key x/);
    expect(() => evalJsonPath('$.a["b c"][5]', doc)).toThrow(/out of bounds/);
    expect(() => evalJsonPath('a.b', doc)).toThrow(/must start with \$/);
    // ESO's generator takes an object or a string; wildcards, .. and filters give lists.
    const answer = enc(JSON.stringify(doc));
    for (const path of ['$..d', '$.a[*]', '$.a["b c"][?(@.d==1)]'])
      expect(() => resultObject(answer, path, 'h')).toThrow(/not a JSON object/);
  });

  it('takes an object, or a JSON string holding one', () => {
    expect(resultObject(enc('{"data":{"k":"v"}}'), '$.data', 'h')).toEqual({ k: 'v' });
    expect(resultObject(enc('{"data":"{\\"k\\":1}"}'), '$.data', 'h')).toEqual({ k: 1 });
    expect(() => resultObject(enc('[1]'), undefined, 'h')).toThrow(/not a JSON object/);
    expect(() => resultObject(enc('nope'), undefined, 'h')).toThrow(/not JSON/);
  });
});

describe('webhookGenerator', () => {
  it('renders url (escaped), headers and body (raw) from labelled Secrets and maps the answer', async () => {
    answer = {
      status: 200,
      body: JSON.stringify({ result: { user: 'u', n: 1e21, ok: true, nested: { b: 2, a: 1 }, nil: null } }),
    };
    const gen = webhookGenerator({ allowPlainHttpCredentials: true });
    const out = await gen.generate(
      env({ s1: { data: { token: 'a b&c', id: '7' } } }),
      obj({
        url: `${base}/issue?id={{ .creds.id }}&t={{ .creds.token }}`,
        method: 'post',
        headers: { Authorization: 'Bearer {{ .creds.token }}' },
        body: '{"token":"{{ .creds.token }}"}',
        result: { jsonPath: '$.result' },
        secrets: [{ name: 'creds', secretRef: { name: 's1', key: 'token' } }],
      }),
    );
    const req = seen.at(-1)!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/issue?id=7&t=a+b%26c');
    expect(req.headers.authorization).toBe('Bearer a b&c');
    expect(req.body).toBe('{"token":"a b&c"}');
    expect(out.data).toEqual({});
    expect(out.json).toEqual({ user: 'u', n: 1e21, ok: true, nested: { b: 2, a: 1 }, nil: null });
  });

  it('needs the webhook label on referenced Secrets', async () => {
    const gen = webhookGenerator({ allowPlainHttpCredentials: true });
    const spec = { url: `${base}/x`, result: {}, secrets: [{ name: 'c', secretRef: { name: 's' } }] };
    await expect(gen.generate(env({ s: { data: { a: 'b' }, labels: {} } }), obj(spec))).rejects.toThrow(
      /needs the label external-secrets.io\/type: webhook/,
    );
  });

  it('refuses to send credentials over plain http without the opt-in, allows it without credentials', async () => {
    const gen = webhookGenerator();
    const withSecret = { url: `${base}/x`, result: {}, secrets: [{ name: 'c', secretRef: { name: 's' } }] };
    const n = seen.length;
    await expect(gen.generate(env({ s: { data: { a: 'b' } } }), obj(withSecret))).rejects.toThrow(
      /spec.url http:\/\/127.0.0.1:\d+ is plain HTTP: Syncret sends credentials only over TLS/,
    );
    expect(seen).toHaveLength(n);
    answer = { status: 200, body: '{"k":"v"}' };
    expect((await gen.generate(env(), obj({ url: `${base}/x`, result: {} }))).json).toEqual({ k: 'v' });
  });

  it('maps statuses to reasons and names the host, never the URL', async () => {
    const gen = webhookGenerator();
    const spec = { url: `${base}/secret-path?token=abc123`, result: {} };
    for (const [status, reason] of [
      [404, 'NotFound'],
      [403, 'AccessDenied'],
      [429, 'Throttled'],
      [503, 'Unavailable'],
      [400, 'InvalidRequest'],
    ] as const) {
      answer = { status, body: '{"error":"abc123"}' };
      const err = (await gen.generate(env(), obj(spec)).catch((e: unknown) => e)) as ProviderError;
      expect(err).toBeInstanceOf(ProviderError);
      expect(err.reason).toBe(reason);
      expect(err.message).not.toContain('abc123');
      expect(err.message).not.toContain('secret-path');
    }
  });

  it('validates the spec and escapes like Go', () => {
    const gen = webhookGenerator();
    expect(gen.validate(obj({ result: {} }))).toMatch(/spec.url/);
    expect(gen.validate(obj({ url: 'http://x', result: {}, auth: { ntlm: {} } }))).toMatch(/NTLM/);
    expect(gen.validate(obj({ url: 'http://x', result: {}, timeout: 'soon' }))).toMatch(/not a Go duration/);
    expect(queryEscape("a b!'()*~._-/")).toBe('a+b%21%27%28%29%2A~._-%2F');
  });
});
