// The core path on a real control plane: ExternalSecret → owned Secret with honest status,
// garbage collection, drift repair, forced and periodic refresh, store changes.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  apply,
  events,
  externalSecret,
  fakeStore,
  getEs,
  getSecret,
  kubectl,
  kubernetesStore,
  newNamespace,
  plainSecret,
  ready,
  remove,
  secretData,
  secretReaderRbac,
  waitEs,
  waitFor,
} from '../lib/kube.js';
import { finishSuite } from '../lib/suite.js';
import { startOperator } from '../lib/operator.js';
import type { OperatorHandle } from '../lib/operator.js';
import { secretValue } from '../lib/values.js';

let op: OperatorHandle;
let ns: string;
const user = secretValue('user');
const pass = secretValue('pass');
const apiKey = secretValue('apikey');

beforeAll(async () => {
  op = await startOperator({ name: 'sync' });
  ns = newNamespace('e2e-sync');
  apply(
    fakeStore(ns, 'fake', [
      { key: 'db', value: JSON.stringify({ username: user, password: pass, nested: { port: 5432 } }) },
      { key: 'api', value: apiKey },
    ]),
  );
});

afterAll(() => finishSuite(op));

describe('sync', () => {
  it('writes an owned Secret and reports honest status', async () => {
    apply(
      externalSecret(ns, 'basic', {
        refreshInterval: '1h',
        secretStoreRef: { name: 'fake', kind: 'SecretStore' },
        target: { name: 'basic-secret' },
        data: [
          { secretKey: 'username', remoteRef: { key: 'db', property: 'username' } },
          { secretKey: 'password', remoteRef: { key: 'db', property: 'password' } },
          { secretKey: 'port', remoteRef: { key: 'db', property: 'nested.port' } },
          { secretKey: 'api', remoteRef: { key: 'api' } },
        ],
      }),
    );
    const es = await waitEs(ns, 'basic', { status: 'True', reason: 'SecretSynced' });
    expect(await secretData(ns, 'basic-secret')).toEqual({
      username: user,
      password: pass,
      port: '5432',
      api: apiKey,
    });
    const st = es.status!;
    expect(st.observedGeneration).toBe(es.metadata.generation);
    expect(st.refreshTime).toBeDefined();
    expect(st.syncedResourceVersion).toMatch(/^1-/);
    expect(st.binding).toEqual({ name: 'basic-secret' });
    expect(ready(es)!.lastTransitionTime).toBeDefined();

    const secret = (await getSecret(ns, 'basic-secret'))!;
    expect(secret.type).toBe('Opaque');
    expect(secret.metadata?.ownerReferences).toEqual([
      expect.objectContaining({
        kind: 'ExternalSecret',
        name: 'basic',
        uid: es.metadata.uid,
        controller: true,
      }),
    ]);
    expect(secret.metadata?.labels?.['reconcile.external-secrets.io/managed']).toBe('true');
    const evs = await waitFor('a Created event', async () => {
      const list = (await events(ns)).filter(
        (e) => e.involvedObject.name === 'basic' && e.reason === 'Created',
      );
      return list.length > 0 ? list : undefined;
    });
    expect(evs[0]!.message).toBe('Created Secret "basic-secret"');

    // Metrics: aggregate series only, never per-object or value-bearing labels.
    expect(
      await op.metric('syncret_sync_total', { kind: 'ExternalSecret', provider: 'fake', result: 'success' }),
    ).toBeGreaterThan(0);
    expect(await op.metric('syncret_secret_writes_total', { operation: 'create' })).toBeGreaterThan(0);
    expect(await op.metric('syncret_externalsecrets', { ready: 'true' })).toBeGreaterThan(0);
    expect(
      await op.metric('syncret_provider_calls_total', {
        provider: 'fake',
        operation: 'get',
        result: 'success',
      }),
    ).toBeGreaterThan(0);
    expect(await op.metrics()).not.toContain('name="basic"');

    // Printer columns users know from ESO.
    const table = kubectl(['get', 'es', 'basic', '-n', ns]);
    expect(table).toMatch(/STORE\s+REFRESH INTERVAL\s+STATUS\s+READY/);
    expect(table).toMatch(/fake\s+1h\s+SecretSynced\s+True/);
  });

  it('does not rewrite an unchanged Secret or its status', async () => {
    const before = (await getSecret(ns, 'basic-secret'))!.metadata!.resourceVersion;
    const esBefore = (await getEs(ns, 'basic'))!;
    const skipped = await op.metric('syncret_secret_writes_skipped_total');
    // A spec change forces a sync that finds nothing to write. (Not a label: without a
    // template the ExternalSecret's labels are copied to the Secret, as ESO does.)
    kubectl(['patch', 'es', 'basic', '-n', ns, '--type=merge', '-p', '{"spec":{"refreshInterval":"59m"}}']);
    await waitFor(
      'a skipped write',
      async () => (await op.metric('syncret_secret_writes_skipped_total')) > skipped,
    );
    expect((await getSecret(ns, 'basic-secret'))!.metadata!.resourceVersion).toBe(before);
    const esAfter = (await getEs(ns, 'basic'))!;
    expect(ready(esAfter)!.lastTransitionTime).toBe(ready(esBefore)!.lastTransitionTime);
  });

  it('repairs a managed Secret edited or deleted outside Syncret, without waiting for the interval', async () => {
    kubectl([
      'patch',
      'secret',
      'basic-secret',
      '-n',
      ns,
      '--type=merge',
      '-p',
      JSON.stringify({ data: { username: Buffer.from('tampered').toString('base64') } }),
    ]);
    await waitFor(
      'the edited key to be restored',
      async () => (await secretData(ns, 'basic-secret'))?.username === user,
      { timeoutMs: 15_000 },
    );
    remove('secret', ns, 'basic-secret');
    await waitFor(
      'the deleted Secret to be recreated',
      async () => (await secretData(ns, 'basic-secret'))?.password === pass,
      { timeoutMs: 15_000 },
    );
  });

  it('deletes the owned Secret through the garbage collector when the ExternalSecret goes', async () => {
    apply(
      externalSecret(ns, 'gc', {
        secretStoreRef: { name: 'fake' },
        data: [{ secretKey: 'k', remoteRef: { key: 'api' } }],
      }),
    );
    await waitEs(ns, 'gc');
    expect(await getSecret(ns, 'gc')).toBeDefined();
    remove('externalsecret', ns, 'gc');
    await waitFor(
      'the garbage collector to delete the Secret',
      async () => (await getSecret(ns, 'gc')) === undefined,
      { timeoutMs: 60_000 },
    );
  });

  it('applies template.type, template.metadata and immutable', async () => {
    apply(
      externalSecret(ns, 'typed', {
        secretStoreRef: { name: 'fake' },
        target: {
          immutable: true,
          template: {
            type: 'kubernetes.io/basic-auth',
            metadata: { labels: { team: 'payments' }, annotations: { 'example.com/owner': 'alice' } },
          },
        },
        data: [
          { secretKey: 'username', remoteRef: { key: 'db', property: 'username' } },
          { secretKey: 'password', remoteRef: { key: 'db', property: 'password' } },
        ],
      }),
    );
    await waitEs(ns, 'typed');
    const s = (await getSecret(ns, 'typed'))!;
    expect(s.type).toBe('kubernetes.io/basic-auth');
    expect(s.immutable).toBe(true);
    expect(s.metadata?.labels?.team).toBe('payments');
    expect(s.metadata?.annotations?.['example.com/owner']).toBe('alice');
  });

  it('re-syncs the ExternalSecrets of a store when the store changes', async () => {
    apply(
      externalSecret(ns, 'follows-store', {
        refreshInterval: '1h',
        secretStoreRef: { name: 'fake' },
        data: [{ secretKey: 'k', remoteRef: { key: 'api' } }],
      }),
    );
    await waitEs(ns, 'follows-store');
    const rotated = secretValue('rotated');
    apply(
      fakeStore(ns, 'fake', [
        { key: 'db', value: JSON.stringify({ username: user, password: pass, nested: { port: 5432 } }) },
        { key: 'api', value: rotated },
      ]),
    );
    await waitFor(
      'the new value after a store change',
      async () => (await secretData(ns, 'follows-store'))?.k === rotated,
      { timeoutMs: 15_000 },
    );
  });
});

describe('immutable Secrets', () => {
  it('recreates an owned immutable Secret whose data must change', async () => {
    const v1 = secretValue('imm1');
    apply(fakeStore(ns, 'imm-store', [{ key: 'k', value: v1 }]));
    apply(
      externalSecret(ns, 'imm', {
        secretStoreRef: { name: 'imm-store' },
        target: { immutable: true },
        data: [{ secretKey: 'v', remoteRef: { key: 'k' } }],
      }),
    );
    await waitEs(ns, 'imm');
    const uid = (await getSecret(ns, 'imm'))!.metadata!.uid;
    const v2 = secretValue('imm2');
    apply(fakeStore(ns, 'imm-store', [{ key: 'k', value: v2 }]));
    await waitFor(
      'the Secret to be recreated with the new data',
      async () => (await secretData(ns, 'imm'))?.v === v2,
      {
        timeoutMs: 15_000,
      },
    );
    const s = (await getSecret(ns, 'imm'))!;
    expect(s.metadata!.uid).not.toBe(uid);
    expect(s.immutable).toBe(true);
  });
});

describe('refresh', () => {
  let src: string;
  beforeAll(() => {
    // A kubernetes-provider store: its source Secrets can change without any event reaching
    // the ExternalSecret, as with a real external backend.
    src = newNamespace('e2e-src');
    apply(...secretReaderRbac(src, ns, 'reader'));
    apply(kubernetesStore(ns, 'k8s', src, { serviceAccount: { name: 'reader' } }));
  });

  it('refreshes periodically within the refresh interval', async () => {
    const v1 = secretValue('periodic1');
    apply(plainSecret(src, 'periodic', { value: v1 }));
    apply(
      externalSecret(ns, 'periodic', {
        refreshInterval: '2s',
        secretStoreRef: { name: 'k8s' },
        data: [{ secretKey: 'value', remoteRef: { key: 'periodic', property: 'value' } }],
      }),
    );
    await waitFor('first sync', async () => (await secretData(ns, 'periodic'))?.value === v1);
    const v2 = secretValue('periodic2');
    apply(plainSecret(src, 'periodic', { value: v2 }));
    await waitFor(
      'the changed value within a few intervals',
      async () => (await secretData(ns, 'periodic'))?.value === v2,
      { timeoutMs: 10_000 },
    );
  });

  for (const interval of ['0', '1h']) {
    it(`refreshes at once when an annotation changes (refreshInterval ${interval})`, async () => {
      const name = `forced-${interval}`;
      const v1 = secretValue('forced1');
      apply(plainSecret(src, name, { value: v1 }));
      apply(
        externalSecret(ns, name, {
          refreshInterval: interval,
          secretStoreRef: { name: 'k8s' },
          data: [{ secretKey: 'value', remoteRef: { key: name, property: 'value' } }],
        }),
      );
      await waitFor('first sync', async () => (await secretData(ns, name))?.value === v1);
      const v2 = secretValue('forced2');
      apply(plainSecret(src, name, { value: v2 }));
      // Nothing changes without a trigger...
      await new Promise((r) => setTimeout(r, 2000));
      expect((await secretData(ns, name))?.value).toBe(v1);
      // ...and the force-sync annotation (what Argo CD's refresh and users do) syncs at once.
      kubectl(['annotate', 'es', name, '-n', ns, `force-sync=${Date.now()}`, '--overwrite']);
      await waitFor('the forced refresh', async () => (await secretData(ns, name))?.value === v2, {
        timeoutMs: 10_000,
      });
    });
  }

  it('CreatedOnce syncs once; OnChange only on spec changes', async () => {
    const v1 = secretValue('once1');
    apply(plainSecret(src, 'policy', { value: v1 }));
    for (const policy of ['CreatedOnce', 'OnChange']) {
      apply(
        externalSecret(ns, policy.toLowerCase(), {
          refreshPolicy: policy,
          refreshInterval: '1s',
          secretStoreRef: { name: 'k8s' },
          data: [{ secretKey: 'value', remoteRef: { key: 'policy', property: 'value' } }],
        }),
      );
    }
    await waitFor(
      'first syncs',
      async () =>
        (await secretData(ns, 'createdonce'))?.value === v1 &&
        (await secretData(ns, 'onchange'))?.value === v1,
    );
    const v2 = secretValue('once2');
    apply(plainSecret(src, 'policy', { value: v2 }));
    await new Promise((r) => setTimeout(r, 3000));
    expect((await secretData(ns, 'createdonce'))?.value).toBe(v1);
    expect((await secretData(ns, 'onchange'))?.value).toBe(v1);
    for (const name of ['createdonce', 'onchange']) {
      kubectl([
        'patch',
        'es',
        name,
        '-n',
        ns,
        '--type=merge',
        '-p',
        JSON.stringify({
          spec: { data: [{ secretKey: 'value2', remoteRef: { key: 'policy', property: 'value' } }] },
        }),
      ]);
    }
    await waitFor(
      'OnChange to follow the spec change',
      async () => (await secretData(ns, 'onchange'))?.value2 === v2,
      { timeoutMs: 10_000 },
    );
    await new Promise((r) => setTimeout(r, 1500));
    expect(await secretData(ns, 'createdonce')).toEqual({ value: v1 });
  });
});
