// What one tenant's manifests can and cannot make the operator do, on the real control plane:
// two ExternalSecrets racing for one target (exactly one wins, every time); stores pointing at
// a plain-HTTP listener of this test (nothing is sent, not even a minted token, unless the
// operator opted in); failures that used to be silent (a status write the apiserver refuses, a
// NUL byte in a message, a rewrite that empties every key, JSON nested too deep, an oversize
// key); and a sealed OpenBao: the store turns Ready=False at once and ~200 ExternalSecrets
// recover within seconds of the unseal, measured.

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { customObjectsApi, getCustom, kubectl } from '../lib/cluster.js';
import {
  cause,
  apply,
  applyServerSide,
  events,
  externalSecret,
  fakeStore,
  getEs,
  getSecret,
  newNamespace,
  plainSecret,
  ready,
  secretData,
  waitEs,
  waitFor,
  waitReady,
} from '../lib/kube.js';
import type { Obj } from '../lib/kube.js';
import { startOperator } from '../lib/operator.js';
import type { OperatorHandle } from '../lib/operator.js';
import { serverVar } from '../lib/servers.js';
import { finishSuite } from '../lib/suite.js';
import { secretValue } from '../lib/values.js';
import { bao, kv2Put, mountKv, policy, seal, suffix, unseal } from '../lib/vault.js';

const GROUP = { group: 'external-secrets.io', version: 'v1' };

let strict: OperatorHandle | undefined;
let lenient: OperatorHandle | undefined;
let ns: string;

// ---- a plain-HTTP listener that records what reaches it ----

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}
let listener: Server;
let listenerUrl = '';
const received: Received[] = [];

beforeAll(async () => {
  listener = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end('{"errors":["test listener"]}');
    });
  });
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  listenerUrl = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
  // The operator as a user gets it: no --allow-insecure-credentials.
  strict = await startOperator({
    name: 'tenancy-strict',
    insecureCredentials: false,
    args: ['--requeue-on-error-max', '5s'],
  });
  ns = newNamespace('e2e-tenancy');
});

afterAll(async () => {
  await unseal().catch(() => undefined);
  await new Promise<void>((r) => listener.close(() => r()));
  await finishSuite(strict, lenient);
});

async function listEs(prefix: string): Promise<Obj[]> {
  const list = (await customObjectsApi().listNamespacedCustomObject({
    ...GROUP,
    namespace: ns,
    plural: 'externalsecrets',
  })) as { items: Obj[] };
  return list.items.filter((o) => (o.metadata.name ?? '').startsWith(prefix));
}

function createEs(name: string, spec: Record<string, unknown>): Promise<unknown> {
  return customObjectsApi().createNamespacedCustomObject({
    ...GROUP,
    namespace: ns,
    plural: 'externalsecrets',
    body: externalSecret(ns, name, spec),
  });
}

describe('tenancy', () => {
  it('of two ExternalSecrets created at once for one target, exactly one wins, every time', async () => {
    const PAIRS = 24;
    const values = new Map<string, string>();
    const data: { key: string; value: string }[] = [];
    for (let i = 0; i < PAIRS; i++)
      for (const side of ['a', 'b']) {
        const v = secretValue(`race-${i}${side}`);
        values.set(`race-${i}-${side}`, v);
        data.push({ key: `race-${i}-${side}`, value: v });
      }
    apply(fakeStore(ns, 'race', data));
    await waitReady('secretstores', ns, 'race');
    // Both of a pair in flight together, all pairs at once: the operator's 64 workers run
    // them concurrently, each deciding from a cache that holds no target yet.
    await Promise.all(
      Array.from({ length: PAIRS }, (_, i) =>
        Promise.all(
          ['a', 'b'].map((side) =>
            createEs(`race-${i}-${side}`, {
              refreshInterval: '1h',
              secretStoreRef: { name: 'race' },
              target: { name: `race-target-${i}` },
              data: [{ secretKey: 'value', remoteRef: { key: `race-${i}-${side}` } }],
            }),
          ),
        ),
      ),
    );
    const settled = await waitFor(
      'every racing ExternalSecret settled',
      async () => {
        const all = await listEs('race-');
        const done = all.filter(
          (o) => ready(o)?.reason === 'SecretSynced' || cause(o) === 'SecretOwnedByOther',
        );
        return done.length === 2 * PAIRS ? all : undefined;
      },
      { timeoutMs: 45_000 },
    );
    for (let i = 0; i < PAIRS; i++) {
      const pair = settled.filter((o) => (o.metadata.name ?? '').startsWith(`race-${i}-`));
      const winners = pair.filter((o) => ready(o)?.reason === 'SecretSynced');
      const losers = pair.filter((o) => cause(o) === 'SecretOwnedByOther');
      expect([i, winners.length, losers.length]).toEqual([i, 1, 1]);
      const winner = winners[0]!.metadata.name!;
      const secret = await getSecret(ns, `race-target-${i}`);
      expect([i, secret?.metadata?.ownerReferences?.map((o) => o.name)]).toEqual([i, [winner]]);
      const got = Buffer.from(secret?.data?.value ?? '', 'base64').toString();
      expect([i, got === values.get(winner)]).toEqual([i, true]);
    }
  }, 60_000);

  it('sends nothing to a plain-HTTP URL a store names, and mints no token for it', async () => {
    const tokensBefore = await strict!.metric('syncret_kube_requests_total', {
      resource: 'serviceaccounts/token',
    });
    apply(
      plainSecret(ns, 'vault-token', { token: secretValue('tenant-vault-token') }),
      {
        apiVersion: 'external-secrets.io/v1',
        kind: 'SecretStore',
        metadata: { name: 'http-kube', namespace: ns },
        spec: {
          provider: {
            kubernetes: {
              server: { url: listenerUrl },
              remoteNamespace: 'default',
              auth: { serviceAccount: { name: 'default' } },
            },
          },
        },
      },
      {
        apiVersion: 'external-secrets.io/v1',
        kind: 'SecretStore',
        metadata: { name: 'http-vault-k8s', namespace: ns },
        spec: {
          provider: {
            vault: {
              server: listenerUrl,
              path: 'kv',
              auth: { kubernetes: { role: 'r', serviceAccountRef: { name: 'default' } } },
            },
          },
        },
      },
      {
        apiVersion: 'external-secrets.io/v1',
        kind: 'SecretStore',
        metadata: { name: 'http-vault-token', namespace: ns },
        spec: {
          provider: {
            vault: {
              server: listenerUrl,
              path: 'kv',
              auth: { tokenSecretRef: { name: 'vault-token', key: 'token' } },
            },
          },
        },
      },
    );
    for (const store of ['http-kube', 'http-vault-k8s', 'http-vault-token']) {
      apply(
        externalSecret(ns, `uses-${store}`, {
          refreshInterval: '1h',
          secretStoreRef: { name: store },
          data: [{ secretKey: 'v', remoteRef: { key: 'k' } }],
        }),
      );
      await waitReady('secretstores', ns, store, {
        status: 'False',
        reason: 'InvalidProviderConfig',
        message: /is plain HTTP/,
      });
      const es = await waitEs(ns, `uses-${store}`, {
        status: 'False',
        reason: 'InvalidStoreConfiguration',
        message: /is plain HTTP: Syncret sends credentials only over TLS/,
      });
      expect(ready(es)?.message).toContain('--allow-insecure-credentials');
    }
    // A few retries later still nothing: no request, no TokenRequest.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(received).toEqual([]);
    expect(await strict!.metric('syncret_kube_requests_total', { resource: 'serviceaccounts/token' })).toBe(
      tokensBefore,
    );
  }, 60_000);

  it('reports what used to fail silently: a refused status write, a NUL byte, an emptied rewrite, deep JSON, a huge key', async () => {
    // The apiserver refuses this ExternalSecret's status writes (an admission policy of the test).
    const policyName = `deny-status-${suffix()}`;
    apply(
      {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicy',
        metadata: { name: policyName },
        spec: {
          failurePolicy: 'Fail',
          matchConstraints: {
            resourceRules: [
              {
                apiGroups: ['external-secrets.io'],
                apiVersions: ['*'],
                operations: ['UPDATE'],
                resources: ['externalsecrets/status'],
              },
            ],
          },
          validations: [
            { expression: "object.metadata.name != 'status-refused'", message: 'refused by the test' },
          ],
        },
      },
      {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicyBinding',
        metadata: { name: policyName },
        spec: {
          policyName,
          validationActions: ['Deny'],
          matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } },
        },
      },
    );
    const deep = `${'['.repeat(1_500)}${']'.repeat(1_500)}`;
    apply(
      fakeStore(ns, 'plain', [
        { key: 'ok', value: secretValue('status-refused') },
        { key: 'obj', value: JSON.stringify({ user: 'u', pass: secretValue('emptied') }) },
        { key: 'deep', value: deep },
      ]),
    );
    await waitReady('secretstores', ns, 'plain');
    // Admission policies take a moment to apply: the refused write must be the operator's.
    await new Promise((r) => setTimeout(r, 2_000));
    const failuresBefore = await strict!.metric('syncret_status_write_failures_total', {
      kind: 'ExternalSecret',
    });
    apply(
      externalSecret(ns, 'status-refused', {
        refreshInterval: '1h',
        secretStoreRef: { name: 'plain' },
        data: [{ secretKey: 'v', remoteRef: { key: 'ok' } }],
      }),
      externalSecret(ns, 'emptied', {
        refreshInterval: '1h',
        secretStoreRef: { name: 'plain' },
        dataFrom: [{ extract: { key: 'obj' }, rewrite: [{ regexp: { source: '.*', target: '' } }] }],
      }),
      externalSecret(ns, 'deep-json', {
        refreshInterval: '1h',
        secretStoreRef: { name: 'plain' },
        data: [{ secretKey: 'v', remoteRef: { key: 'deep', property: '0' } }],
      }),
    );
    await createEs('nul-key', {
      refreshInterval: '1h',
      secretStoreRef: { name: 'plain' },
      data: [{ secretKey: 'v', remoteRef: { key: 'missing\u0000key\u001b[2J' } }],
    });
    // The refused status: counted, logged (without the value), and the Event still says it synced.
    await waitFor(
      'the refused status write counted',
      async () =>
        (await strict!.metric('syncret_status_write_failures_total', { kind: 'ExternalSecret' })) >
        failuresBefore,
      { timeoutMs: 20_000 },
    );
    expect(readFileSync(strict!.logFile, 'utf8')).toMatch(
      /status write failed.*status-refused|status-refused.*status write failed/,
    );
    await waitFor('the Created Event of status-refused', async () =>
      (await events(ns)).some((e) => e.involvedObject.name === 'status-refused' && e.reason === 'Created'),
    );
    expect(ready(await getEs(ns, 'status-refused'))).toBeUndefined();

    const emptied = await waitEs(ns, 'emptied', { status: 'False', reason: 'SecretSyncedError' });
    expect(ready(emptied)?.message).toContain('dataFrom[0].rewrite turned every key into an empty one');
    expect(await secretData(ns, 'emptied')).toBeUndefined();
    await waitEs(ns, 'deep-json', { status: 'False', message: /is JSON nested deeper than 1000 levels/ });

    // A NUL byte and an escape sequence in a key: Events and status stay readable as YAML.
    await waitFor('the NUL key reported', async () =>
      (await events(ns)).some((e) => e.involvedObject.name === 'nul-key' && e.reason === 'UpdateFailed'),
    );
    const yaml = kubectl(['get', 'events', '-n', ns, '-o', 'yaml']);
    expect(yaml).toContain('missing\\x00key\\x1b[2J');
    expect(kubectl(['get', 'externalsecret', 'nul-key', '-n', ns, '-o', 'yaml'])).toContain('\\x00');

    // A 1 MiB key never gets in: the schema refuses it.
    // Server-side: a client-side apply would fail on its last-applied annotation first.
    let refused = '';
    try {
      applyServerSide(
        externalSecret(ns, 'huge-key', {
          secretStoreRef: { name: 'plain' },
          data: [{ secretKey: 'v', remoteRef: { key: 'k'.repeat(1 << 20) } }],
        }),
      );
    } catch (e) {
      refused = String((e as { stderr?: string }).stderr ?? e);
    }
    expect(refused).toMatch(/remoteRef\.key: Too long: may not be (longer|more) than 4096/);
    kubectl([
      'delete',
      'validatingadmissionpolicybinding,validatingadmissionpolicy',
      policyName,
      '--ignore-not-found',
    ]);
  }, 60_000);

  it('with --allow-insecure-credentials, the same stores do reach the listener', async () => {
    await strict!.stop();
    strict = undefined;
    lenient = await startOperator({ name: 'tenancy-lenient', args: ['--requeue-on-error-max', '5s'] });
    await waitFor(
      'a Vault login and an apiserver request at the listener',
      () =>
        received.some((r) => r.url === '/v1/auth/kubernetes/login' && r.body.includes('"jwt"')) &&
        received.some((r) => r.url.startsWith('/api/') && /^Bearer /.test(r.headers.authorization ?? '')) &&
        received.some((r) => r.url.startsWith('/v1/') && typeof r.headers['x-vault-token'] === 'string'),
      { timeoutMs: 30_000 },
    );
    // The listener answers 503: the stores fail as unavailable, not as misconfigured.
    await waitEs(ns, 'uses-http-vault-token', { status: 'False', reason: 'ProviderError' });
  }, 60_000);

  it('a sealed OpenBao turns its store Ready=False at once; ~200 ExternalSecrets recover within seconds', async () => {
    const COUNT = 200;
    const mount = `kv-tenancy-${suffix()}`;
    await mountKv(mount, 2);
    await Promise.all(Array.from({ length: COUNT }, (_, i) => kv2Put(mount, `k${i}`, { value: `v${i}` })));
    await policy(mount, `path "${mount}/data/*" { capabilities = ["read"] }`);
    const token = (await bao('POST', 'auth/token/create', { policies: [mount], ttl: '1h' })).body.auth
      ?.client_token;
    apply(plainSecret(ns, 'bao-token', { token: token ?? '' }), {
      apiVersion: 'external-secrets.io/v1',
      kind: 'SecretStore',
      metadata: { name: 'bao', namespace: ns },
      spec: {
        provider: {
          vault: {
            server: serverVar('VAULT_TLS_ADDR'),
            caBundle: readFileSync(serverVar('VAULT_CACERT')).toString('base64'),
            path: mount,
            auth: { tokenSecretRef: { name: 'bao-token', key: 'token' } },
          },
        },
      },
    });
    await waitReady('secretstores', ns, 'bao');
    apply(
      ...Array.from({ length: COUNT }, (_, i) =>
        externalSecret(ns, `bao-${i}`, {
          refreshInterval: '10s',
          secretStoreRef: { name: 'bao' },
          data: [{ secretKey: 'value', remoteRef: { key: `k${i}`, property: 'value' } }],
        }),
      ),
    );
    const readyCount = async () => (await listEs('bao-')).filter((o) => ready(o)?.status === 'True').length;
    await waitFor('all synced', async () => (await readyCount()) === COUNT, { timeoutMs: 60_000 });

    await seal();
    const sealedAt = Date.now();
    // The ExternalSecrets read again at their next refresh (up to 10 s); the store must follow
    // the first failed read at once, without a validation of its own.
    let firstFailAt: number | undefined;
    await waitFor(
      'the store Ready=False',
      async () => {
        if (firstFailAt === undefined && (await listEs('bao-')).some((o) => cause(o) === 'ProviderError'))
          firstFailAt = Date.now();
        const store = ready(await getCustom('secretstores', ns, 'bao'));
        return store?.status === 'False' && /reads through this store fail/.test(store.message ?? '');
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    const storeDownMs = Date.now() - sealedAt;
    const afterFirstFailureMs = Math.max(0, Date.now() - (firstFailAt ?? Date.now()));
    // An outage long enough for the ExternalSecrets' own backoff to grow past the probe's.
    await new Promise((r) => setTimeout(r, 25_000));
    const failing = (await listEs('bao-')).filter((o) => cause(o) === 'ProviderError').length;
    await unseal();
    const unsealedAt = Date.now();
    let firstMs: number | undefined;
    await waitFor(
      'all recovered',
      async () => {
        const n = await readyCount();
        if (n > COUNT - failing && firstMs === undefined) firstMs = Date.now() - unsealedAt;
        return n === COUNT;
      },
      { timeoutMs: 40_000, intervalMs: 200 },
    );
    const allMs = Date.now() - unsealedAt;
    await waitReady('secretstores', ns, 'bao', {}, 20_000);
    process.stdout.write(
      `tenancy: store Ready=False ${storeDownMs} ms after the seal (${afterFirstFailureMs} ms after the first failed sync); ${failing}/${COUNT} ExternalSecrets failing after 25 s; after the unseal the first recovered in ${firstMs} ms, all in ${allMs} ms\n`,
    );
    expect(afterFirstFailureMs).toBeLessThan(2_000);
    expect(allMs).toBeLessThan(25_000);
  }, 150_000);
});
