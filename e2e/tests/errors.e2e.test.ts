// Bad input never crashes the operator or silences the others: each mistake is a Ready=False
// with a reason and a message a user can act on, and the valid objects keep syncing.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  apply,
  applyServerSide,
  events,
  externalSecret,
  fakeStore,
  getEs,
  getSecret,
  kubernetesStore,
  newNamespace,
  plainSecret,
  remove,
  secretData,
  tryApply,
  waitEs,
  waitFor,
  waitReady,
} from '../lib/kube.js';
import { finishSuite } from '../lib/suite.js';
import { startOperator } from '../lib/operator.js';
import type { OperatorHandle } from '../lib/operator.js';
import { secretValue } from '../lib/values.js';

let op: OperatorHandle;
let ns: string;
let other: string;
const plain = secretValue('plain');
const big = 'x'.repeat(600 * 1024);

beforeAll(async () => {
  op = await startOperator({ name: 'errors' });
  ns = newNamespace('e2e-err');
  other = newNamespace('e2e-err-other');
  applyServerSide(
    fakeStore(ns, 'fake', [
      { key: 'plain', value: plain },
      { key: 'big', value: big },
    ]),
  );
  apply(fakeStore(other, 'elsewhere', [{ key: 'plain', value: plain }]));
});

afterAll(() => finishSuite(op));

const good = (name: string) =>
  externalSecret(ns, name, {
    secretStoreRef: { name: 'fake' },
    data: [{ secretKey: 'v', remoteRef: { key: 'plain' } }],
  });

describe('bad input is reported in status while the operator serves the others', () => {
  const cases: { name: string; spec: Record<string, unknown>; reason: string; message: RegExp }[] = [
    {
      name: 'bad-duration',
      spec: {
        refreshInterval: 'soon',
        secretStoreRef: { name: 'fake' },
        data: [{ secretKey: 'v', remoteRef: { key: 'plain' } }],
      },
      reason: 'InvalidSpec',
      message: /invalid refreshInterval: time: invalid duration "soon"/,
    },
    {
      name: 'unknown-store',
      spec: { secretStoreRef: { name: 'nope' }, data: [{ secretKey: 'v', remoteRef: { key: 'plain' } }] },
      reason: 'StoreNotFound',
      message: /SecretStore "nope" not found in namespace/,
    },
    {
      name: 'store-other-namespace',
      spec: {
        secretStoreRef: { name: 'elsewhere' },
        data: [{ secretKey: 'v', remoteRef: { key: 'plain' } }],
      },
      reason: 'StoreNotFound',
      message: /SecretStore "elsewhere" not found in namespace/,
    },
    {
      name: 'missing-key',
      spec: {
        secretStoreRef: { name: 'fake' },
        data: [{ secretKey: 'v', remoteRef: { key: 'does/not/exist' } }],
      },
      reason: 'ProviderError',
      message: /key "does\/not\/exist" not found/,
    },
    {
      name: 'property-not-json',
      spec: {
        secretStoreRef: { name: 'fake' },
        data: [{ secretKey: 'v', remoteRef: { key: 'plain', property: 'user' } }],
      },
      reason: 'SecretSyncedError',
      message: /remote key "plain" \(secretKey "v"\) in data\[0\] is not JSON \(property "user"\)/,
    },
    {
      name: 'too-large',
      spec: {
        secretStoreRef: { name: 'fake' },
        data: [
          { secretKey: 'a', remoteRef: { key: 'big' } },
          { secretKey: 'b', remoteRef: { key: 'big' } },
        ],
      },
      reason: 'SecretTooLarge',
      message: /over the Kubernetes limit of 1048576 bytes/,
    },
  ];

  it('gives each bad ExternalSecret Ready=False with a clear message', async () => {
    apply(good('good-before'));
    apply(...cases.map((c) => externalSecret(ns, c.name, c.spec)));
    for (const c of cases) {
      const es = await waitEs(ns, c.name, { status: 'False', reason: c.reason });
      const cond = es.status!.conditions!.find((x) => x.type === 'Ready')!;
      expect(cond.message).toMatch(c.message);
      expect(cond.message).not.toContain(plain);
    }
    apply(good('good-after'));
    await waitEs(ns, 'good-before');
    await waitEs(ns, 'good-after');
    expect(await secretData(ns, 'good-after')).toEqual({ v: plain });
  });

  it('recovers when the mistake is fixed', async () => {
    apply(fakeStore(ns, 'nope', [{ key: 'plain', value: plain }]));
    await waitEs(ns, 'unknown-store');
  });

  it('never takes over a Secret that someone else owns', async () => {
    apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owner', namespace: ns } });
    const { kube } = await import('../lib/kube.js');
    const cm = await kube().core.readNamespacedConfigMap({ name: 'owner', namespace: ns });
    const kept = secretValue('kept');
    apply(
      plainSecret(
        ns,
        'taken',
        { v: kept },
        {
          ownerReferences: [
            { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: cm.metadata!.uid, controller: true },
          ],
        },
      ),
    );
    apply(
      externalSecret(ns, 'hijack', {
        secretStoreRef: { name: 'fake' },
        target: { name: 'taken' },
        data: [{ secretKey: 'v', remoteRef: { key: 'plain' } }],
      }),
    );
    const es = await waitEs(ns, 'hijack', { status: 'False', reason: 'SecretOwnedByOther' });
    expect(es.status!.conditions![0]!.message).toMatch(/controlled by ConfigMap "owner"/);
    expect(await secretData(ns, 'taken')).toEqual({ v: kept });
    remove('externalsecret', ns, 'hijack');
  });

  // A first sync creates its Secret without reading it first when the managed-Secret cache does
  // not know it; these prove that a Secret the cache cannot see is still handled as a GET would.
  // The GET count is exact only for an operator that serves nothing else: this one has its own
  // namespace and controller class (the suite's operator leaves a store of another class alone),
  // so no retry of another test, nor a leftover of an earlier suite, adds to its counter.
  it('adopts an existing unlabelled Secret it owns from then on, and says Updated', async () => {
    const adoptNs = newNamespace('e2e-err-adopt');
    apply(fakeStore(adoptNs, 'fake', [{ key: 'plain', value: plain }], { controller: 'adopt' }));
    apply(plainSecret(adoptNs, 'loose', { v: secretValue('old') }));
    const adopt = await startOperator({
      name: 'errors-adopt',
      args: ['--controller-class', 'adopt', '--namespace', adoptNs],
    });
    try {
      const gets = () => adopt.metric('syncret_kube_requests_total', { verb: 'get', resource: 'secrets' });
      expect(await gets()).toBe(0);
      apply(
        externalSecret(adoptNs, 'adopter', {
          secretStoreRef: { name: 'fake' },
          target: { name: 'loose' },
          data: [{ secretKey: 'v', remoteRef: { key: 'plain' } }],
        }),
      );
      const es = await waitEs(adoptNs, 'adopter');
      expect(await secretData(adoptNs, 'loose')).toEqual({ v: plain });
      const s = await getSecret(adoptNs, 'loose');
      expect(s!.metadata!.ownerReferences).toEqual([
        expect.objectContaining({
          kind: 'ExternalSecret',
          name: 'adopter',
          uid: es.metadata!.uid,
          controller: true,
        }),
      ]);
      expect(s!.metadata!.labels?.['reconcile.external-secrets.io/managed']).toBe('true');
      // The create went out without a GET of the target; the apiserver refused it (its
      // must-not-exist precondition), and the rerun read the Secret once before adopting it.
      expect(await gets()).toBe(1);
      const list = await waitFor('the Updated event', async () => {
        const l = (await events(adoptNs)).filter((e) => e.involvedObject.name === 'adopter');
        return l.some((e) => e.reason === 'Updated') ? l : undefined;
      });
      expect(list.map((e) => e.reason)).not.toContain('Created');
      expect(adopt.exited()).toBe(false);
    } finally {
      await adopt.stop();
    }
  });

  it('does not rewrite an existing immutable Secret it does not own, and says why', async () => {
    const old = secretValue('immutable-old');
    apply({ ...(plainSecret(ns, 'frozen', { v: old }) as object), immutable: true });
    apply(
      externalSecret(ns, 'thaw', {
        secretStoreRef: { name: 'fake' },
        target: { name: 'frozen' },
        data: [{ secretKey: 'v', remoteRef: { key: 'plain' } }],
      }),
    );
    const es = await waitEs(ns, 'thaw', { status: 'False', reason: 'SecretWriteFailed' });
    expect(es.status!.conditions![0]!.message).toMatch(
      /"frozen" must be recreated because it is immutable and its data changes, but it is not owned by this ExternalSecret/,
    );
    expect(await secretData(ns, 'frozen')).toEqual({ v: old });
  });

  it('rejects invalid manifests at apply time through the CRD schema', () => {
    const r = tryApply({
      apiVersion: 'external-secrets.io/v1',
      kind: 'SecretStore',
      metadata: { name: 'two-providers', namespace: ns },
      spec: {
        provider: {
          fake: { data: [] },
          kubernetes: { auth: { token: { bearerToken: { name: 'a', key: 'b' } } } },
        },
      },
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/provider must set exactly one of/);
  });
});

describe('ClusterSecretStore conditions', () => {
  it('lets only matching namespaces use the store', async () => {
    const allowed = newNamespace('e2e-css-ok');
    const byLabel = newNamespace('e2e-css-lbl', { tier: 'gold' });
    const denied = newNamespace('e2e-css-no');
    const cssName = `css-${allowed}`;
    apply({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ClusterSecretStore',
      metadata: { name: cssName },
      spec: {
        provider: { fake: { data: [{ key: 'plain', value: plain }] } },
        conditions: [{ namespaces: [allowed] }, { namespaceSelector: { matchLabels: { tier: 'gold' } } }],
      },
    });
    const css = (n: string) =>
      externalSecret(n, 'from-css', {
        secretStoreRef: { name: cssName, kind: 'ClusterSecretStore' },
        data: [{ secretKey: 'v', remoteRef: { key: 'plain' } }],
      });
    apply(css(allowed), css(byLabel), css(denied));
    await waitEs(allowed, 'from-css');
    await waitEs(byLabel, 'from-css');
    const es = await waitEs(denied, 'from-css', { status: 'False', reason: 'StoreNotAllowed' });
    expect(es.status!.conditions![0]!.message).toBe(
      `StoreNotAllowed: ClusterSecretStore "${cssName}" does not allow namespace "${denied}" (spec.conditions)`,
    );
    expect(await secretData(denied, 'from-css')).toBeUndefined();
    // Labelling the namespace admits it without touching the ExternalSecret.
    apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: denied, labels: { tier: 'gold' } } });
    await waitEs(denied, 'from-css');
    await waitReady('clustersecretstores', undefined, cssName, { status: 'True', reason: 'Valid' });
    remove('clustersecretstore', undefined, cssName);
  });
});

describe('credential scope', () => {
  it('does not let a SecretStore read credentials from another namespace', async () => {
    const tokenValue = secretValue('token');
    apply(plainSecret(other, 'creds', { token: tokenValue }));
    apply(
      kubernetesStore(ns, 'cross-ns', 'default', {
        token: { bearerToken: { name: 'creds', key: 'token', namespace: other } },
      }),
    );
    const store = await waitReady('secretstores', ns, 'cross-ns', { status: 'False' });
    expect(store.status!.conditions![0]!.message).toMatch(
      /a SecretStore may only read credentials in its own namespace/,
    );
    apply(
      externalSecret(ns, 'cross-ns', {
        secretStoreRef: { name: 'cross-ns' },
        data: [{ secretKey: 'v', remoteRef: { key: 'x' } }],
      }),
    );
    const es = await waitEs(ns, 'cross-ns', { status: 'False', reason: 'InvalidStoreConfiguration' });
    expect(es.status!.conditions![0]!.message).toMatch(/may only read credentials in its own namespace/);
  });
});

describe('controller classes', () => {
  it('leaves stores of another class alone, and an instance of that class serves them', async () => {
    apply(fakeStore(ns, 'classy', [{ key: 'plain', value: plain }], { controller: 'team-b' }));
    apply(
      externalSecret(ns, 'classy', {
        secretStoreRef: { name: 'classy' },
        data: [{ secretKey: 'v', remoteRef: { key: 'plain' } }],
      }),
    );
    await new Promise((r) => setTimeout(r, 2000));
    expect((await getEs(ns, 'classy'))!.status).toBeUndefined();
    const teamB = await startOperator({ name: 'errors-team-b', args: ['--controller-class', 'team-b'] });
    try {
      await waitEs(ns, 'classy');
      await waitReady('secretstores', ns, 'classy', { status: 'True', reason: 'Valid' });
    } finally {
      await teamB.stop();
    }
  });
});
