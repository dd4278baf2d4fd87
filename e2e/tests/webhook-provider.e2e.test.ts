// provider.webhook against a local HTTPS server this file starts (a self-signed certificate,
// trusted through caProvider): templated URL, headers and body with a referenced, labelled
// Secret; result.jsonPath with remoteRef.property and a filter; dataFrom.extract; caBundle
// instead of caProvider; a 404; spec.timeout against a slow backend; the label rule; a
// ClusterSecretStore naming the Secret's namespace; and the TLS rule for credentials.

import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  apply,
  externalSecret,
  newNamespace,
  plainSecret,
  remove,
  secretData,
  waitEs,
  waitReady,
} from '../lib/kube.js';
import { selfSignedPem } from '../lib/azurekv.js';
import { startOperator } from '../lib/operator.js';
import type { OperatorHandle } from '../lib/operator.js';
import { finishSuite } from '../lib/suite.js';
import { secretValue } from '../lib/values.js';

let op: OperatorHandle;
let ns: string;
let https: Server;
let http: HttpServer;
let httpsUrl = '';
let httpUrl = '';
let caPem = '';
const v = {
  token: secretValue('webhook-token'),
  db: secretValue('db'),
  api: secretValue('api'),
  user: secretValue('user'),
};
const seen: { url: string; auth?: string; body: string }[] = [];
let plainRequests = 0;

/** The backend: secrets by name, only for the bearer token; a vault-like JSON document. */
function handle(req: IncomingMessage, body: string): { status: number; body: unknown } {
  seen.push({ url: req.url ?? '', auth: req.headers.authorization, body });
  if (req.headers.authorization !== `Bearer ${v.token}`) return { status: 401, body: { error: 'denied' } };
  const name = decodeURIComponent(/^\/secrets\/([^?]+)/.exec(req.url ?? '')?.[1] ?? '');
  if (name === 'db/main')
    return {
      status: 200,
      body: {
        data: {
          password: v.db,
          port: 5432,
          fields: [
            { name: 'api', value: v.api },
            { name: 'x', value: 'y' },
          ],
        },
        login: { user: v.user, host: 'db.local' },
      },
    };
  return { status: 404, body: { error: 'not found' } };
}

function serve(req: IncomingMessage, res: ServerResponse): void {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    const out = handle(req, body);
    const answer = () => {
      res.writeHead(out.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(out.body));
    };
    // A backend far slower than the store's timeout.
    if ((req.url ?? '').startsWith('/secrets/slow')) setTimeout(answer, 8_000).unref();
    else answer();
  });
}

beforeAll(async () => {
  // Self-signed for 127.0.0.1: the operator trusts it as the store's CA.
  const { certPem: cert, keyPem: key } = selfSignedPem('127.0.0.1', 'IP:127.0.0.1');
  caPem = cert;
  https = createServer({ key, cert }, serve);
  http = createHttpServer((req, res) => {
    plainRequests++;
    serve(req, res);
  });
  await new Promise<void>((r) => https.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  httpsUrl = `https://127.0.0.1:${(https.address() as AddressInfo).port}`;
  httpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  op = await startOperator({ name: 'webhook', insecureCredentials: false });
  ns = newNamespace('e2e-webhook');
  apply(
    plainSecret(
      ns,
      'webhook-auth',
      { token: v.token },
      { labels: { 'external-secrets.io/type': 'webhook' } },
    ),
    plainSecret(ns, 'unlabelled', { token: v.token }),
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'webhook-ca', namespace: ns },
      data: { 'ca.crt': caPem },
    },
  );
});

afterAll(async () => {
  remove('clustersecretstore', undefined, `webhook-${ns}`);
  https.closeAllConnections();
  await new Promise<void>((r) => https.close(() => r()));
  await new Promise<void>((r) => http.close(() => r()));
  await finishSuite(op);
});

function webhook(name: string, extra: object, kind: 'SecretStore' | 'ClusterSecretStore' = 'SecretStore') {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind,
    metadata: kind === 'SecretStore' ? { name, namespace: ns } : { name },
    spec: {
      provider: {
        webhook: {
          url: `${httpsUrl}/secrets/{{ .remoteRef.key }}`,
          method: 'POST',
          headers: { Authorization: 'Bearer {{ .auth.token }}', 'Content-Type': 'application/json' },
          body: '{"namespace":"{{ .remoteRef.namespace }}","version":"{{ .remoteRef.version }}"}',
          result: { jsonPath: '$.data.{{ .remoteRef.property }}' },
          secrets: [{ name: 'auth', secretRef: { name: 'webhook-auth', key: 'token' } }],
          caProvider: {
            type: 'ConfigMap',
            name: 'webhook-ca',
            key: 'ca.crt',
            namespace: kind === 'SecretStore' ? undefined : ns,
          },
          ...extra,
        },
      },
    },
  };
}

describe('provider.webhook', () => {
  it('calls the templated endpoint over TLS and picks the value with result.jsonPath', async () => {
    apply(
      webhook('wh', {}),
      webhook('wh-raw', { result: { jsonPath: '$.login' } }),
      webhook('wh-filter', {
        result: { jsonPath: '$.data.fields[?(@.name=="{{ .remoteRef.property }}")].value' },
      }),
    );
    await waitReady('secretstores', ns, 'wh');
    seen.length = 0;
    apply(
      externalSecret(ns, 'wh', {
        secretStoreRef: { name: 'wh' },
        data: [
          { secretKey: 'password', remoteRef: { key: 'db/main', property: 'password', version: '3' } },
          { secretKey: 'port', remoteRef: { key: 'db/main', property: 'port' } },
          {
            secretKey: 'api',
            remoteRef: { key: 'db/main', property: 'api' },
            sourceRef: { storeRef: { name: 'wh-filter' } },
          },
        ],
        dataFrom: [{ extract: { key: 'db/main' }, sourceRef: { storeRef: { name: 'wh-raw' } } }],
      }),
    );
    await waitEs(ns, 'wh');
    expect(await secretData(ns, 'wh')).toEqual({
      password: v.db,
      port: '5432',
      api: v.api,
      user: v.user,
      host: 'db.local',
    });
    expect(seen.every((s) => s.auth === `Bearer ${v.token}`)).toBe(true);
    expect(seen.map((s) => s.url)).toContain('/secrets/db%2Fmain');
    expect(seen.map((s) => JSON.parse(s.body) as object)).toContainEqual({ namespace: ns, version: '3' });
  });

  it('trusts a caBundle as it trusts a caProvider, and bounds a call by spec.timeout', async () => {
    const caBundle = Buffer.from(caPem).toString('base64');
    apply(
      webhook('wh-bundle', { caBundle, caProvider: undefined, method: 'GET', body: undefined }),
      webhook('wh-slow', { timeout: '1s' }),
      externalSecret(ns, 'wh-bundle', {
        secretStoreRef: { name: 'wh-bundle' },
        data: [{ secretKey: 'password', remoteRef: { key: 'db/main', property: 'password' } }],
      }),
      externalSecret(ns, 'wh-slow', {
        secretStoreRef: { name: 'wh-slow' },
        data: [{ secretKey: 'v', remoteRef: { key: 'slow', property: 'password' } }],
      }),
    );
    await waitEs(ns, 'wh-bundle');
    expect(await secretData(ns, 'wh-bundle')).toEqual({ password: v.db });
    const slow = await waitEs(ns, 'wh-slow', { status: 'False' });
    expect(slow.status!.conditions![0]!.message).toMatch(/webhook 127\.0\.0\.1:\d+: no answer in time/);
  });

  it('reports a missing remote key, and a referenced Secret without the webhook label', async () => {
    apply(
      externalSecret(ns, 'wh-missing', {
        secretStoreRef: { name: 'wh' },
        data: [{ secretKey: 'v', remoteRef: { key: 'nope', property: 'password' } }],
      }),
      webhook('wh-unlabelled', { secrets: [{ name: 'auth', secretRef: { name: 'unlabelled' } }] }),
      externalSecret(ns, 'wh-unlabelled', {
        secretStoreRef: { name: 'wh-unlabelled' },
        data: [{ secretKey: 'v', remoteRef: { key: 'db/main', property: 'password' } }],
      }),
    );
    const missing = await waitEs(ns, 'wh-missing', { status: 'False' });
    expect(missing.status!.conditions![0]!.message).toMatch(
      /webhook 127\.0\.0\.1:\d+ answered 404 for "nope"/,
    );
    const unlabelled = await waitEs(ns, 'wh-unlabelled', { status: 'False' });
    expect(unlabelled.status!.conditions![0]!.message).toContain(
      'Secret "unlabelled" needs the label external-secrets.io/type: webhook',
    );
  });

  it('serves other namespaces from a ClusterSecretStore that names the Secret namespace', async () => {
    const other = newNamespace('e2e-webhook-b');
    apply(
      webhook(
        `webhook-${ns}`,
        { secrets: [{ name: 'auth', secretRef: { name: 'webhook-auth', namespace: ns } }] },
        'ClusterSecretStore',
      ),
      externalSecret(other, 'wh', {
        secretStoreRef: { name: `webhook-${ns}`, kind: 'ClusterSecretStore' },
        data: [{ secretKey: 'password', remoteRef: { key: 'db/main', property: 'password' } }],
      }),
    );
    await waitEs(other, 'wh');
    expect(await secretData(other, 'wh')).toEqual({ password: v.db });
    expect(seen.map((s) => (JSON.parse(s.body || '{}') as { namespace?: string }).namespace)).toContain(
      other,
    );
  });

  it('never sends a referenced Secret to plain http:// (the operator runs without the opt-in)', async () => {
    apply(
      webhook('wh-http', { url: `${httpUrl}/secrets/{{ .remoteRef.key }}` }),
      externalSecret(ns, 'wh-http', {
        secretStoreRef: { name: 'wh-http' },
        data: [{ secretKey: 'v', remoteRef: { key: 'db/main', property: 'password' } }],
      }),
    );
    const es = await waitEs(ns, 'wh-http', { status: 'False' });
    expect(es.status!.conditions![0]!.message).toMatch(
      /spec\.provider\.webhook\.url http:\/\/127\.0\.0\.1:\d+ is plain HTTP/,
    );
    expect(plainRequests).toBe(0);
  });
});
