import { describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { MemoryApi } from '../kube/testing/memory-api.js';
import { SECRETS } from '../kube/resources.js';
import type { KubeObject } from '../api/types.js';
import { caBundle, renew, renewalReason, splitPem } from './certs.js';
import { MUTATING_WEBHOOKS, WebhookTls } from './tls.js';
import { webhookServer } from './webhook.js';

const HOUR = 3_600_000;
const NAMES = ['syncret-injector.syncret.svc', '127.0.0.1'];
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

describe('certificates', () => {
  it('issues a CA and a serving certificate for DNS names and IPs, renewed at two thirds of their life', async () => {
    const t0 = Date.UTC(2026, 0, 1);
    const m = await renew(undefined, 'no certificate', NAMES, t0, { caMs: 90 * HOUR, certMs: 30 * HOUR });
    const ca = new X509Certificate(m.caCert);
    const cert = new X509Certificate(m.cert);
    expect(ca.ca).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.subjectAltName).toBe('DNS:syncret-injector.syncret.svc, IP Address:127.0.0.1');
    expect(cert.checkHost('syncret-injector.syncret.svc')).toBeDefined();
    expect(renewalReason(m, NAMES, t0)).toBeUndefined();
    expect(renewalReason(m, NAMES, t0 + 19 * HOUR)).toBeUndefined();
    expect(renewalReason(m, NAMES, t0 + 21 * HOUR)).toBe('certificate due');
    expect(renewalReason(m, [...NAMES, 'other.svc'], t0)).toBe('names changed');
    expect(renewalReason(m, NAMES, t0 + 61 * HOUR)).toBe('CA due');

    // A new serving certificate keeps the CA; a new CA keeps the old one trusted until it expires.
    const m2 = await renew(m, 'certificate due', NAMES, t0 + 21 * HOUR, {
      caMs: 90 * HOUR,
      certMs: 30 * HOUR,
    });
    expect(m2.caCert).toBe(m.caCert);
    expect(m2.cert).not.toBe(m.cert);
    const m3 = await renew(m2, 'CA due', NAMES, t0 + 61 * HOUR, { caMs: 90 * HOUR, certMs: 30 * HOUR });
    expect(m3.caCert).not.toBe(m.caCert);
    expect(splitPem(caBundle(m3, t0 + 61 * HOUR))).toHaveLength(2);
    expect(splitPem(caBundle(m3, t0 + 91 * HOUR))).toHaveLength(1);
    expect(renewalReason({ ...m3, caCert: m.caCert, caKey: m.caKey }, NAMES, t0)).toBe('other CA');

    // Short lives (as in the e2e test) are not due the moment they are issued.
    const short = await renew(undefined, 'no certificate', NAMES, t0, { caMs: 60_000, certMs: 24_000 });
    expect(renewalReason(short, NAMES, t0 + 1000)).toBeUndefined();
    expect(renewalReason(short, NAMES, t0 + 14_000)).toBeUndefined();
    expect(renewalReason(short, NAMES, t0 + 17_000)).toBe('certificate due');
  });
});

describe('WebhookTls', () => {
  it('stores the material in a Secret, patches every caBundle, hands the pair over and rotates when due', async () => {
    const api = new MemoryApi();
    api.seed(MUTATING_WEBHOOKS, {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: 'syncret-injector' },
      webhooks: [
        { name: 'a.syncret.io', clientConfig: { url: 'https://127.0.0.1:1/mutate' } },
        { name: 'b.syncret.io', clientConfig: {} },
      ],
    } as KubeObject);
    let now = Date.UTC(2026, 0, 1);
    const served: string[] = [];
    const tls = new WebhookTls({
      kube: api,
      namespace: 'syncret',
      secretName: 'syncret-injector-tls',
      webhookConfig: 'syncret-injector',
      names: NAMES,
      caValidityMs: 90 * HOUR,
      certValidityMs: 30 * HOUR,
      logger: quiet,
      onServing: (cert) => served.push(cert),
      now: () => now,
    });
    await tls.reconcile();
    const secret = api.peek<KubeObject & { data: Record<string, string> }>(
      SECRETS,
      'syncret',
      'syncret-injector-tls',
    )!;
    expect(Object.keys(secret.data).sort()).toEqual([
      'ca-previous.crt',
      'ca.crt',
      'ca.key',
      'tls.crt',
      'tls.key',
    ]);
    const hooks = () =>
      api.peek<KubeObject & { webhooks: { clientConfig: { caBundle?: string; url?: string } }[] }>(
        MUTATING_WEBHOOKS,
        undefined,
        'syncret-injector',
      )!.webhooks;
    const ca = Buffer.from(secret.data['ca.crt']!, 'base64').toString();
    expect(hooks().map((h) => Buffer.from(h.clientConfig.caBundle!, 'base64').toString())).toEqual([ca, ca]);
    expect(hooks()[0]!.clientConfig.url).toBe('https://127.0.0.1:1/mutate');
    expect(served).toHaveLength(1);

    // Nothing due: reads only.
    const before = api.calls().length;
    await tls.reconcile();
    expect(
      api
        .calls()
        .slice(before)
        .every((c) => c.startsWith('get')),
    ).toBe(true);
    expect(served).toHaveLength(1);

    // Another replica restarting reads the same material.
    const other: string[] = [];
    await new WebhookTls({ ...tlsOptions(api), onServing: (c) => other.push(c), now: () => now }).reconcile();
    expect(other).toEqual(served);

    now += 21 * HOUR;
    await tls.reconcile();
    expect(served).toHaveLength(2);
    expect(new X509Certificate(served[1]!).checkIssued(new X509Certificate(ca))).toBe(true);
    now += 40 * HOUR;
    await tls.reconcile();
    const bundle = Buffer.from(hooks()[0]!.clientConfig.caBundle!, 'base64').toString();
    expect(splitPem(bundle)).toHaveLength(2);
    expect(splitPem(bundle)[1]!.trim()).toBe(ca.trim());
  });

  function tlsOptions(api: MemoryApi) {
    return {
      kube: api,
      namespace: 'syncret',
      secretName: 'syncret-injector-tls',
      webhookConfig: 'syncret-injector',
      names: NAMES,
      caValidityMs: 90 * HOUR,
      certValidityMs: 30 * HOUR,
      logger: quiet,
    };
  }
});

describe('webhook server', () => {
  it('answers an AdmissionReview over TLS with the certificate it was given, and swaps it in place', async () => {
    const now = Date.now();
    const m = await renew(undefined, 'no certificate', ['localhost', '127.0.0.1'], now, {
      caMs: 2 * HOUR,
      certMs: HOUR,
    });
    const web = webhookServer({
      config: {
        image: 'syncret:1',
        execPrefix: ['/syncret/syncret'],
        copyCommand: ['copy'],
        vaultAddr: 'https://vault:8200',
        ownNamespace: 'syncret',
        runAsUser: 1,
        runAsGroup: 1,
      },
      logger: quiet,
    });
    web.setCertificate(m.cert, m.key);
    await new Promise<void>((r) => web.server.listen(0, '127.0.0.1', () => r()));
    const port = (web.server.address() as AddressInfo).port;
    const post = (body: unknown, ca: string) =>
      new Promise<{ status: number; body: unknown }>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            path: '/mutate',
            method: 'POST',
            ca,
            agent: false,
            headers: { 'content-type': 'application/json' },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }),
            );
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify(body));
      });
    try {
      const pod = {
        metadata: {
          name: 'p',
          annotations: {
            'vault.hashicorp.com/agent-inject': 'true',
            'vault.hashicorp.com/role': 'r',
            'vault.hashicorp.com/agent-inject-secret-a': 'secret/data/a',
          },
        },
        spec: { containers: [{ name: 'app' }] },
      };
      const review = (object: unknown) => ({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: {
          uid: 'u1',
          kind: { group: '', version: 'v1', kind: 'Pod' },
          operation: 'CREATE',
          namespace: 'shop',
          object,
        },
      });
      const ok = (await post(review(pod), m.caCert)) as {
        status: number;
        body: { response: Record<string, unknown> };
      };
      expect(ok.status).toBe(200);
      expect(ok.body.response).toMatchObject({ uid: 'u1', allowed: true, patchType: 'JSONPatch' });
      const patch = JSON.parse(Buffer.from(ok.body.response.patch as string, 'base64').toString()) as {
        path: string;
      }[];
      expect(patch.map((p) => p.path)).toContain('/spec/initContainers');

      const bad = structuredClone(pod) as { metadata: { annotations: Record<string, string> } };
      bad.metadata.annotations['vault.hashicorp.com/agent-inject-perms-a'] = 'x';
      const no = (await post(review(bad), m.caCert)) as { body: { response: Record<string, unknown> } };
      expect(no.body.response).toEqual({
        uid: 'u1',
        allowed: false,
        status: {
          code: 403,
          reason: 'Forbidden',
          message: 'syncret injector: templates[0].perms "x" is not an octal mode such as 0440',
        },
      });

      // A new certificate from another CA: new connections are served with it.
      const m2 = await renew(undefined, 'no certificate', ['127.0.0.1'], now, {
        caMs: 2 * HOUR,
        certMs: HOUR,
      });
      web.setCertificate(m2.cert, m2.key);
      await expect(post(review(pod), m.caCert)).rejects.toThrow();
      expect((await post(review(pod), m2.caCert)).status).toBe(200);
    } finally {
      web.server.closeAllConnections();
      await new Promise<void>((r) => web.server.close(() => r()));
    }
  });
});
