// Rollout restarts on the real control plane, with kube-controller-manager's deployment,
// replicaset, statefulset and daemonset controllers (no kubelet: pods never start, so what is
// observed is ReplicaSets and ControllerRevisions, one per pod-template version):
//   - a rotation restarts each opted-in workload once: a new ReplicaSet / revision;
//   - a burst of three changes within the debounce is exactly one restart;
//   - a refresh that writes nothing (or only metadata) and an operator restart restart nothing;
//   - Argo Rollouts' Rollout (a minimal CRD installed by this test) gets the same patch;
//   - Reloader's annotations (auto, reload) with --reloader-annotations;
//   - a Deployment that uses the Secret but did not opt in is never touched;
//   - the namespace's restart rate holds: past it, restarts wait for their turn (and all come);
//   - the RBAC allows the patch and nothing more (no get, update or delete of workloads).

import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { kubectlBin } from '../lib/cluster.js';
import {
  apply,
  events,
  externalSecret,
  fakeStore,
  getSecret,
  kubectl,
  newNamespace,
  waitEs,
  waitFor,
} from '../lib/kube.js';
import { startOperator } from '../lib/operator.js';
import type { OperatorHandle } from '../lib/operator.js';
import { ADMIN_KUBECONFIG } from '../lib/paths.js';
import { finishSuite } from '../lib/suite.js';
import { secretValue } from '../lib/values.js';

const DEBOUNCE_S = 4;
const TARGETS = 'syncret.io/rollout-restart-targets';
const SA = 'system:serviceaccount:syncret-system:syncret';
const ROLLOUT_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'rollouts.argoproj.io' },
  spec: {
    group: 'argoproj.io',
    names: {
      kind: 'Rollout',
      plural: 'rollouts',
      singular: 'rollout',
      listKind: 'RolloutList',
      shortNames: ['ro'],
    },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1alpha1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        },
      },
    ],
  },
};

let op: OperatorHandle;
let ns: string;
const values = { a: secretValue('a'), b: secretValue('b'), c: secretValue('c') };

function podTemplate(app: string, secret: string, annotations: Record<string, string> = {}) {
  return {
    metadata: { labels: { app }, annotations },
    spec: {
      containers: [
        { name: 'app', image: 'example.invalid/app:1', envFrom: [{ secretRef: { name: secret } }] },
      ],
    },
  };
}

function workload(kind: string, name: string, secret: string, annotations: Record<string, string> = {}) {
  const apiVersion = kind === 'Rollout' ? 'argoproj.io/v1alpha1' : 'apps/v1';
  const spec: Record<string, unknown> = {
    selector: { matchLabels: { app: name } },
    template: podTemplate(name, secret),
  };
  if (kind === 'Deployment' || kind === 'Rollout') spec.replicas = 1;
  if (kind === 'StatefulSet') Object.assign(spec, { replicas: 0, serviceName: name });
  return { apiVersion, kind, metadata: { name, namespace: ns, annotations }, spec };
}

function store(v: { a: string; b: string; c: string }) {
  return fakeStore(ns, 'fake', [
    { key: 'a', value: v.a },
    { key: 'b', value: v.b },
    { key: 'c', value: v.c },
  ]);
}

function es(key: 'a' | 'b' | 'c', targets?: string) {
  return externalSecret(
    ns,
    `es-${key}`,
    {
      refreshInterval: '1h',
      secretStoreRef: { name: 'fake', kind: 'SecretStore' },
      target: { name: `secret-${key}` },
      data: [{ secretKey: 'value', remoteRef: { key } }],
    },
    targets ? { annotations: { [TARGETS]: targets } } : {},
  );
}

function json<T>(args: string[]): T {
  return JSON.parse(kubectl([...args, '-o', 'json'])) as T;
}

interface Owned {
  metadata: { ownerReferences?: { kind: string; name: string }[] };
}

/** Template versions so far: ReplicaSets of a Deployment, ControllerRevisions of a StatefulSet or DaemonSet. */
function versions(kind: 'Deployment' | 'StatefulSet' | 'DaemonSet', name: string): number {
  const resource = kind === 'Deployment' ? 'replicasets' : 'controllerrevisions';
  const items = json<{ items: Owned[] }>(['get', resource, '-n', ns]).items;
  return items.filter((o) => o.metadata.ownerReferences?.some((r) => r.kind === kind && r.name === name))
    .length;
}

type Counts = Record<string, number>;
function counts(): Counts {
  return {
    app: versions('Deployment', 'app'),
    db: versions('StatefulSet', 'db'),
    agent: versions('DaemonSet', 'agent'),
    auto: versions('Deployment', 'auto'),
    listed: versions('Deployment', 'listed'),
  };
}

function templateAnnotations(kind: string, name: string): Record<string, string> {
  const o = json<{ spec: { template: { metadata?: { annotations?: Record<string, string> } } } }>([
    'get',
    kind,
    name,
    '-n',
    ns,
  ]);
  return o.spec.template.metadata?.annotations ?? {};
}

const settle = () => new Promise((r) => setTimeout(r, (DEBOUNCE_S * 2 + 2) * 1000));

async function waitCounts(want: Counts): Promise<void> {
  await waitFor(
    `template versions ${JSON.stringify(want)}`,
    () => {
      const have = counts();
      return Object.entries(want).every(([k, v]) => have[k] === v) ? have : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 500 },
  );
}

async function syncedAll(): Promise<void> {
  for (const k of ['a', 'b', 'c']) await waitEs(ns, `es-${k}`, { status: 'True', reason: 'SecretSynced' });
}

const operatorArgs = [
  `--rollout-restart-debounce=${DEBOUNCE_S}s`,
  '--reloader-annotations=true',
  '--rollout-restarts-per-minute=30',
];

/**
 * A new CRD makes the apiserver rebuild its OpenAPI document, which every client-side
 * `kubectl apply` fetches; on a loaded machine that took over kubectl's 32 s. Wait for it once.
 */
async function openApiServed(): Promise<void> {
  await waitFor(
    'the OpenAPI document after installing the Rollout CRD',
    () => {
      execFileSync(kubectlBin(), ['--kubeconfig', ADMIN_KUBECONFIG, 'get', '--raw', '/openapi/v2'], {
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: 60_000,
      });
      return true;
    },
    { timeoutMs: 180_000, intervalMs: 1000 },
  );
}

beforeAll(async () => {
  apply(ROLLOUT_CRD);
  kubectl(['wait', '--for', 'condition=Established', 'crd/rollouts.argoproj.io', '--timeout', '60s']);
  await openApiServed();
  ns = newNamespace('e2e-rollout');
  apply(store(values));
  apply(
    es('a', 'deployment/app, sts/db, ds/agent, rollout/web'),
    es('b', 'deployment/app'),
    es('c', 'deployment/app'),
  );
  apply(
    workload('Deployment', 'app', 'secret-a'),
    workload('StatefulSet', 'db', 'secret-a'),
    workload('DaemonSet', 'agent', 'secret-a'),
    workload('Rollout', 'web', 'secret-a'),
    // Reloader's annotations: auto (a Secret its pods use), and an explicit reload list.
    workload('Deployment', 'auto', 'secret-a', { 'reloader.stakater.com/auto': 'true' }),
    workload('Deployment', 'listed', 'unrelated', { 'secret.reloader.stakater.com/reload': 'secret-[b]' }),
    // Uses secret-a and opted in to nothing.
    workload('Deployment', 'bystander', 'secret-a'),
  );
  op = await startOperator({ name: 'rollout', args: operatorArgs });
  await syncedAll();
  // The first creation of the Secrets restarted nothing: one version of each template.
  await waitCounts({ app: 1, db: 1, agent: 1, auto: 1, listed: 1 });
}, 300_000);

afterAll(async () => {
  await finishSuite(op);
  kubectl(['delete', 'crd', 'rollouts.argoproj.io', '--ignore-not-found', '--wait=false']);
});

describe('rollout restarts', () => {
  it('starts nothing on first creation, and the RBAC allows the patch and nothing more', async () => {
    await settle();
    expect(counts()).toEqual({ app: 1, db: 1, agent: 1, auto: 1, listed: 1 });
    expect(templateAnnotations('rollout', 'web')).toEqual({});
    // `kubectl auth can-i` prints yes or no, and exits 1 with "no".
    const canI = (verb: string, resource: string): string => {
      const args = ['--kubeconfig', ADMIN_KUBECONFIG, 'auth', 'can-i', verb, resource, '-n', ns, '--as', SA];
      try {
        return execFileSync(kubectlBin(), args, {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
          timeout: 60_000,
        }).trim();
      } catch (e) {
        return String((e as { stdout?: string }).stdout ?? '').trim() || String(e);
      }
    };
    for (const r of ['deployments.apps', 'statefulsets.apps', 'daemonsets.apps', 'rollouts.argoproj.io']) {
      expect(canI('patch', r)).toBe('yes');
      for (const verb of ['get', 'update', 'delete', 'create']) expect(canI(verb, r)).toBe('no');
    }
  });

  it('restarts every opted-in workload once after a rotation, with Events and a metric', async () => {
    values.a = secretValue('a2');
    apply(store(values));
    await waitFor('secret-a to hold the new value', async () => {
      const s = await getSecret(ns, 'secret-a');
      return Buffer.from(s?.data?.value ?? '', 'base64').toString() === values.a;
    });
    await waitCounts({ app: 2, db: 2, agent: 2, auto: 2, listed: 1 });
    await settle();
    expect(counts()).toEqual({ app: 2, db: 2, agent: 2, auto: 2, listed: 1 });

    // The Rollout's template carries the Secret's keyed hash, never ESO's data hash itself.
    const web = templateAnnotations('rollout', 'web');
    const secretA = await getSecret(ns, 'secret-a');
    const dataHash = secretA?.metadata?.annotations?.['reconcile.external-secrets.io/data-hash'];
    expect(Object.keys(web)).toEqual(['secret-hash.syncret.io/secret-a']);
    expect(web['secret-hash.syncret.io/secret-a']).toMatch(/^[0-9a-f]{32}$/);
    expect(dataHash).toBeDefined();
    expect(JSON.stringify(web)).not.toContain(dataHash!);
    expect(templateAnnotations('deployment', 'app')['secret-hash.syncret.io/secret-a']).toBe(
      web['secret-hash.syncret.io/secret-a'],
    );

    const evs = await waitFor('RolloutRestarted events', async () => {
      const list = (await events(ns)).filter((e) => e.reason === 'RolloutRestarted');
      const on = (kind: string, name: string) =>
        list.some((e) => e.involvedObject.kind === kind && e.involvedObject.name === name);
      return on('Deployment', 'app') && on('Rollout', 'web') && on('ExternalSecret', 'es-a')
        ? list
        : undefined;
    });
    const app = evs.find((e) => e.involvedObject.kind === 'Deployment' && e.involvedObject.name === 'app');
    expect(app?.message).toBe('Restarted: the data of Secret(s) secret-a changed (ExternalSecret es-a)');
    expect(app?.involvedObject.uid).toBeTruthy();
    expect(
      await op.metric('syncret_rollout_restarts_total', { kind: 'Deployment', reason: 'annotation' }),
    ).toBe(1);
    expect(
      await op.metric('syncret_rollout_restarts_total', { kind: 'Deployment', reason: 'reloader-auto' }),
    ).toBe(1);
    expect(await op.metric('syncret_rollout_restarts_total', { kind: 'Rollout' })).toBe(1);
  });

  it('restarts exactly once for a burst of three changes', async () => {
    // One store update changes all three Secrets (three ExternalSecrets write, moments apart).
    for (const k of ['a', 'b', 'c'] as const) values[k] = secretValue(`${k}3`);
    apply(store(values));
    // app uses all three (named by three ExternalSecrets); listed reloads for secret-b only.
    await waitCounts({ app: 3, db: 3, agent: 3, auto: 3, listed: 2 });
    await settle();
    expect(counts()).toEqual({ app: 3, db: 3, agent: 3, auto: 3, listed: 2 });
    const app = templateAnnotations('deployment', 'app');
    expect(Object.keys(app).sort()).toEqual([
      'secret-hash.syncret.io/secret-a',
      'secret-hash.syncret.io/secret-b',
      'secret-hash.syncret.io/secret-c',
    ]);
  });

  it('restarts nothing after a refresh that writes nothing, or only metadata', async () => {
    for (const k of ['a', 'b', 'c'])
      kubectl(['annotate', 'es', `es-${k}`, '-n', ns, `force-sync=${Date.now()}`, '--overwrite']);
    await syncedAll();
    // The ExternalSecret's annotations are copied to its Secret: a write, but of metadata only.
    await waitFor('the force-sync annotation on secret-a', async () =>
      (await getSecret(ns, 'secret-a'))?.metadata?.annotations?.['force-sync'] ? true : undefined,
    );
    await settle();
    expect(counts()).toEqual({ app: 3, db: 3, agent: 3, auto: 3, listed: 2 });
  });

  it('restarts nothing after an operator restart', async () => {
    await op.stop();
    op = await startOperator({ name: 'rollout-2', args: operatorArgs });
    await syncedAll();
    await waitFor('the new operator to reconcile', async () =>
      (await op.metric('syncret_sync_total', { kind: 'ExternalSecret' })) >= 3 ? true : undefined,
    );
    await settle();
    expect(counts()).toEqual({ app: 3, db: 3, agent: 3, auto: 3, listed: 2 });
    expect(await op.metric('syncret_rollout_restarts_total')).toBe(0);

    // And the new operator still restarts on the next real change.
    values.c = secretValue('c4');
    apply(store(values));
    await waitCounts({ app: 4, db: 3, agent: 3, auto: 3, listed: 2 });
  });

  it('keeps to the namespace rate: past it restarts wait their turn, and every one comes', async () => {
    // 3 a minute, as many at once: of the five workloads secret-a restarts (app, db, agent, auto
    // and the Rollout web) three go at once and the next waits 20 s for its token.
    await op.stop();
    op = await startOperator({
      name: 'rollout-rate',
      args: [
        ...operatorArgs.filter((a) => !a.startsWith('--rollout-restarts-per-minute')),
        '--rollout-restarts-per-minute=3',
      ],
    });
    await syncedAll();
    const webBefore = templateAnnotations('rollout', 'web')['secret-hash.syncret.io/secret-a'];
    const before = counts();
    const restarted = () => {
      const now = counts();
      const web = templateAnnotations('rollout', 'web')['secret-hash.syncret.io/secret-a'] !== webBefore;
      return (
        (['app', 'db', 'agent', 'auto'] as const).filter((k) => now[k] !== before[k]).length + (web ? 1 : 0)
      );
    };
    values.a = secretValue('a5');
    apply(store(values));
    await waitFor('three restarts', () => (restarted() >= 3 ? true : undefined), { timeoutMs: 30_000 });
    await settle();
    expect(restarted()).toBe(3);
    const delayed = await waitFor('RolloutRestartDelayed events', async () => {
      const list = (await events(ns)).filter((e) => e.reason === 'RolloutRestartDelayed');
      return list.length > 0 ? list : undefined;
    });
    expect(delayed[0]?.message).toMatch(
      /^Restart for changed Secret\(s\) secret-a waits: namespace \S+ is at its rollout restart rate/,
    );
    expect(await op.metric('syncret_rollout_restarts_delayed_total')).toBeGreaterThanOrEqual(1);
    // The two that waited restart as their tokens come (20 s apart), once each.
    await waitFor('all five restarts', () => (restarted() === 5 ? true : undefined), {
      timeoutMs: 120_000,
      intervalMs: 1000,
    });
    await settle();
    const plus1 = (k: string) => (before[k] ?? 0) + 1;
    expect(counts()).toEqual({
      ...before,
      app: plus1('app'),
      db: plus1('db'),
      agent: plus1('agent'),
      auto: plus1('auto'),
    });
    expect(await op.metric('syncret_rollout_restarts_total')).toBe(5);
  }, 240_000);

  it('never touches a Deployment that did not opt in', () => {
    // Five rotations of the Secret its pods read later: one template version, never patched.
    expect(versions('Deployment', 'bystander')).toBe(1);
    const d = json<{
      metadata: { generation: number };
      spec: { template: { metadata?: { annotations?: Record<string, string> } } };
    }>(['get', 'deployment', 'bystander', '-n', ns]);
    expect(d.metadata.generation).toBe(1);
    expect(d.spec.template.metadata?.annotations ?? {}).toEqual({});
    // The operator's field manager (its user agent, syncret) is on the Deployments it
    // patched, and not on this one.
    const managers = (name: string) =>
      json<{ metadata: { managedFields?: { manager?: string }[] } }>([
        'get',
        'deployment',
        name,
        '-n',
        ns,
        '--show-managed-fields',
      ]).metadata.managedFields?.map((f) => f.manager ?? '') ?? [];
    expect(managers('app')).toContain('syncret');
    expect(managers('bystander')).not.toContain('syncret');
  });
});
