// spec.target.manifest of another kind than Secret (ESO 2.9's generic targets) on the real
// control plane, with the operator started with --unsafe-allow-generic-targets and granted
// RBAC for the kinds as a user would (Helm genericTargets): a ConfigMap created with ESO's
// markers and owner, updated when the store's value changes, repaired after an edit, deleted
// with deletionPolicy Delete when the provider has no data and garbage-collected with its
// ExternalSecret; a custom kind (a CRD this file installs) filled through template target paths;
// an object another owner controls left alone; and the flag's absence reported. Status and
// Events never carry a value (finishSuite's scan; the ConfigMap holds them by the user's choice).

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  apply,
  events,
  externalSecret,
  fakeStore,
  kube,
  newNamespace,
  remove,
  waitEs,
  waitFor,
} from '../lib/kube.js';
import { OPERATOR_NAMESPACE, startOperator } from '../lib/operator.js';
import type { OperatorHandle } from '../lib/operator.js';
import { finishSuite } from '../lib/suite.js';
import { secretValue } from '../lib/values.js';

const GROUP = 'e2e.example.com';
let op: OperatorHandle;
let ns: string;
const v = {
  pass: secretValue('pass'),
  next: secretValue('next'),
  api: secretValue('api'),
  edited: secretValue('edited'),
};

type Obj = {
  metadata: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; controller?: boolean }[];
    uid?: string;
  };
  data?: Record<string, string>;
  spec?: Record<string, unknown>;
};

async function configMap(name: string): Promise<Obj | undefined> {
  try {
    return (await kube().core.readNamespacedConfigMap({ namespace: ns, name })) as Obj;
  } catch {
    return undefined;
  }
}

async function widget(name: string): Promise<Obj | undefined> {
  try {
    return (await kube().custom.getNamespacedCustomObject({
      group: GROUP,
      version: 'v1',
      namespace: ns,
      plural: 'widgets',
      name,
    })) as Obj;
  } catch {
    return undefined;
  }
}

function store(data: { key: string; value: string }[]): object {
  return fakeStore(ns, 'fake', data);
}

const STORE_DATA = [
  { key: 'db', value: JSON.stringify({ user: 'app', pass: v.pass }) },
  { key: 'cfg/api', value: v.api },
];

beforeAll(async () => {
  apply(
    {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `widgets.${GROUP}` },
      spec: {
        group: GROUP,
        names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
        scope: 'Namespaced',
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                  data: { type: 'object', additionalProperties: { type: 'string' } },
                },
              },
            },
          },
        ],
      },
    },
    // What Helm's genericTargets grants: ConfigMaps and the listed kinds.
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'syncret-e2e-generic-targets' },
      rules: [
        {
          apiGroups: [''],
          resources: ['configmaps'],
          verbs: ['get', 'list', 'watch', 'create', 'update', 'delete'],
        },
        {
          apiGroups: [GROUP],
          resources: ['widgets'],
          verbs: ['get', 'list', 'watch', 'create', 'update', 'delete'],
        },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'syncret-e2e-generic-targets' },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'syncret-e2e-generic-targets',
      },
      subjects: [{ kind: 'ServiceAccount', name: 'syncret', namespace: OPERATOR_NAMESPACE }],
    },
  );
  op = await startOperator({ name: 'target-manifest', args: ['--unsafe-allow-generic-targets'] });
  ns = newNamespace('e2e-manifest');
  apply(store(STORE_DATA));
});

afterAll(async () => {
  await finishSuite(op);
  remove('clusterrolebinding', undefined, 'syncret-e2e-generic-targets');
  remove('clusterrole', undefined, 'syncret-e2e-generic-targets');
  remove('crd', undefined, `widgets.${GROUP}`);
});

describe('target.manifest: ConfigMap', () => {
  const cmEs = (extra: Record<string, unknown> = {}) =>
    externalSecret(
      ns,
      'cm',
      {
        refreshInterval: '1h',
        secretStoreRef: { name: 'fake' },
        target: { name: 'app-config', manifest: { apiVersion: 'v1', kind: 'ConfigMap' }, ...extra },
        data: [
          { secretKey: 'user', remoteRef: { key: 'db', property: 'user' } },
          { secretKey: 'pass', remoteRef: { key: 'db', property: 'pass' } },
        ],
      },
      { labels: { team: 'a' } },
    );

  it('creates the ConfigMap with the data as plain strings, ESO markers and the ExternalSecret as owner', async () => {
    apply(cmEs());
    const es = await waitEs(ns, 'cm', { reason: 'ResourceSynced' });
    const cm = await configMap('app-config');
    expect(cm?.data).toEqual({ user: 'app', pass: v.pass });
    expect(cm?.metadata.labels).toMatchObject({ team: 'a', 'reconcile.external-secrets.io/managed': 'true' });
    expect(cm?.metadata.labels?.['reconcile.external-secrets.io/created-by']).toMatch(/^[0-9a-f]{56}$/);
    expect(cm?.metadata.annotations?.['reconcile.external-secrets.io/data-hash']).toMatch(/^[0-9a-f]{56}$/);
    expect(cm?.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'ExternalSecret', name: 'cm', controller: true }),
    ]);
    expect(es.status?.refreshTime).toBeDefined();
    const evs = await waitFor('Created event', async () =>
      (await events(ns)).find((e) => e.reason === 'Created' && e.involvedObject.name === 'cm'),
    );
    expect(evs.message).toBe('Created ConfigMap app-config');
  });

  it('updates it when the value changes, repairs an edit and recreates it when deleted', async () => {
    apply(store([{ key: 'db', value: JSON.stringify({ user: 'app', pass: v.next }) }, STORE_DATA[1]!]));
    await waitFor('ConfigMap updated', async () => (await configMap('app-config'))?.data?.pass === v.next);
    const before = await configMap('app-config');
    await kube().core.patchNamespacedConfigMap({
      namespace: ns,
      name: 'app-config',
      body: [{ op: 'replace', path: '/data/pass', value: v.edited }],
    });
    await waitFor('edit repaired', async () => (await configMap('app-config'))?.data?.pass === v.next);
    expect((await configMap('app-config'))?.metadata.uid).toBe(before?.metadata.uid);
    const updated = (await events(ns)).filter(
      (e) => e.reason === 'Updated' && e.involvedObject.name === 'cm',
    );
    // The recorder folds repeats of one Event into its count.
    expect(
      updated.reduce((n, e) => n + Math.max(e.count ?? 1, e.series?.count ?? 1), 0),
    ).toBeGreaterThanOrEqual(2);
    expect(updated[0]?.message).toBe('Updated ConfigMap app-config');
    // Deleted by hand: created again.
    remove('configmap', ns, 'app-config');
    await waitFor('ConfigMap recreated', async () => {
      const cm = await configMap('app-config');
      return cm && cm.metadata.uid !== before?.metadata.uid && cm.data?.pass === v.next;
    });
  });

  it('is garbage-collected with its ExternalSecret (creationPolicy Owner)', async () => {
    remove('externalsecret', ns, 'cm');
    await waitFor('ConfigMap collected', async () => (await configMap('app-config')) === undefined, {
      timeoutMs: 60_000,
    });
  });

  it('deletes its ConfigMap when the provider has no data any more (deletionPolicy Delete)', async () => {
    apply(
      externalSecret(ns, 'cm-find', {
        refreshInterval: '1h',
        secretStoreRef: { name: 'fake' },
        target: {
          name: 'found',
          manifest: { apiVersion: 'v1', kind: 'ConfigMap' },
          deletionPolicy: 'Delete',
        },
        dataFrom: [
          { find: { name: { regexp: '^cfg/' } }, rewrite: [{ regexp: { source: '^cfg/', target: '' } }] },
        ],
      }),
    );
    await waitFor('found ConfigMap', async () => (await configMap('found'))?.data?.api === v.api);
    apply(store([STORE_DATA[0]!]));
    await waitFor('found ConfigMap deleted', async () => (await configMap('found')) === undefined);
    await waitEs(ns, 'cm-find', { reason: 'ResourceDeleted' });
  });

  it('leaves an object controlled by another owner alone', async () => {
    apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owner', namespace: ns }, data: {} });
    const owner = await waitFor('owner ConfigMap', () => configMap('owner'));
    apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'theirs',
        namespace: ns,
        ownerReferences: [
          { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid, controller: true },
        ],
      },
      data: { keep: 'me' },
    });
    apply(
      externalSecret(ns, 'cm-theirs', {
        secretStoreRef: { name: 'fake' },
        target: { name: 'theirs', manifest: { apiVersion: 'v1', kind: 'ConfigMap' } },
        data: [{ secretKey: 'pass', remoteRef: { key: 'db', property: 'pass' } }],
      }),
    );
    const es = await waitEs(ns, 'cm-theirs', { status: 'False', reason: 'ResourceSyncedError' });
    expect(es.status?.conditions?.find((c) => c.type === 'Ready')?.message).toContain(
      'controlled by ConfigMap "owner"',
    );
    expect((await configMap('theirs'))?.data).toEqual({ keep: 'me' });
  });
});

describe('target.manifest: a custom kind', () => {
  it('fills the object through template target paths (YAML at spec paths, template.data into data)', async () => {
    apply(
      externalSecret(ns, 'widget', {
        refreshInterval: '1h',
        secretStoreRef: { name: 'fake' },
        target: {
          manifest: { apiVersion: `${GROUP}/v1`, kind: 'Widget' },
          template: {
            metadata: { labels: { tier: 'db' } },
            data: { apiKey: '{{ .api }}' },
            templateFrom: [
              {
                target: 'spec.database',
                literal:
                  'host: db.local\nport: 5432\ncredentials:\n  user: "{{ .user }}"\n  password: "{{ .pass }}"',
              },
              { target: 'spec.replicas[1].name', literal: 'second' },
            ],
          },
        },
        data: [
          { secretKey: 'user', remoteRef: { key: 'db', property: 'user' } },
          { secretKey: 'pass', remoteRef: { key: 'db', property: 'pass' } },
          { secretKey: 'api', remoteRef: { key: 'cfg/api' } },
        ],
      }),
    );
    // The store lost cfg/api in the test above: put it back.
    apply(store([{ key: 'db', value: JSON.stringify({ user: 'app', pass: v.next }) }, STORE_DATA[1]!]));
    await waitEs(ns, 'widget', { reason: 'ResourceSynced' });
    const w = await waitFor('Widget', () => widget('widget'));
    expect(w.spec).toEqual({
      database: { host: 'db.local', port: 5432, credentials: { user: 'app', password: v.next } },
      replicas: [null, { name: 'second' }],
    });
    expect(w.data).toEqual({ apiKey: v.api });
    expect(w.metadata.labels).toMatchObject({ tier: 'db', 'reconcile.external-secrets.io/managed': 'true' });
    expect(w.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'ExternalSecret',
      name: 'widget',
      controller: true,
    });
  });

  it('names a kind the apiserver does not serve', async () => {
    apply(
      externalSecret(ns, 'gadget', {
        secretStoreRef: { name: 'fake' },
        target: { manifest: { apiVersion: `${GROUP}/v1`, kind: 'Gadget' } },
        data: [{ secretKey: 'pass', remoteRef: { key: 'db', property: 'pass' } }],
      }),
    );
    await waitEs(ns, 'gadget', {
      status: 'False',
      message: /serves no kind Gadget in e2e\.example\.com\/v1/,
    });
  });
});
