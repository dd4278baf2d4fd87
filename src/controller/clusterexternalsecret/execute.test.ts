// The ClusterExternalSecret executor against an in-memory apiserver: child writes, write
// failures in status, a status that did not change costs no request, and the deletion cleanup.

import { describe, expect, it } from '@jest/globals';
import type { ClusterExternalSecret, ExternalSecret, Namespace } from '../../api/types.js';
import { CLUSTER_EXTERNAL_SECRETS, EXTERNAL_SECRETS, NAMESPACES } from '../../kube/resources.js';
import { MemoryApi } from '../../kube/testing/memory-api.js';
import { KubeApiError } from '../../kube/types.js';
import { ObjectCache } from '../../runtime/cache.js';
import { Finalizers } from '../../runtime/finalizer.js';
import { statusWriter } from '../../runtime/status.js';
import { Reflector } from '../../runtime/watch.js';
import { cleanupClusterExternalSecret, executeClusterExternalSecret } from './execute.js';
import type { CesExecutorDeps } from './execute.js';
import { EXISTS_MESSAGE, reconcileClusterExternalSecret } from './reconcile.js';
import { ownerCesName } from './world.js';
import type { CesWorld } from './world.js';

const ESO_FINALIZER = 'externalsecrets.external-secrets.io/ces-shared';

async function setup(namespaces: Namespace[], extra: ExternalSecret[] = []) {
  const api = new MemoryApi();
  for (const n of namespaces) api.seed(NAMESPACES, n);
  for (const e of extra) api.seed(EXTERNAL_SECRETS, e);
  let ces = api.seed<ClusterExternalSecret>(CLUSTER_EXTERNAL_SECRETS, {
    metadata: { name: 'shared' },
    spec: {
      externalSecretSpec: {
        secretStoreRef: { name: 'vault' },
        data: [{ secretKey: 'k', remoteRef: { key: 'k' } }],
      },
      namespaceSelectors: [{ matchLabels: { team: 'a' } }],
    },
  });
  const signal = new AbortController().signal;
  const nsCache = new ObjectCache<Namespace>([new Reflector<Namespace>({ api, type: NAMESPACES })]);
  nsCache.start();
  await nsCache.waitForSync();
  const esCache = new ObjectCache<ExternalSecret>([]);
  const cesCache = new ObjectCache<ClusterExternalSecret>([]);
  const log: string[] = [];
  const deps: CesExecutorDeps = {
    api,
    externalSecrets: esCache,
    namespaces: nsCache,
    namespaceFinalizers: new Finalizers({ api, type: NAMESPACES, cache: nsCache, signal }),
    writeStatus: statusWriter({ api, type: CLUSTER_EXTERNAL_SECRETS, cache: cesCache, signal }),
    metrics: { syncDone: (labels, result) => log.push(`sync ${labels.kind} ${labels.storeKind} ${result}`) },
    logger: { debug() {}, info: (_o, m) => log.push(`info ${m}`), warn() {} },
  };
  // The world reads the apiserver directly here (no watch): what the caches would hold.
  const world: CesWorld = {
    now: Date.now,
    namespaces: () =>
      namespaces.map((n) => api.peek<Namespace>(NAMESPACES, undefined, n.metadata.name ?? '')!),
    externalSecret: (namespace, name) => api.peek<ExternalSecret>(EXTERNAL_SECRETS, namespace, name),
    children: (cesName) =>
      namespaces
        .map((n) => api.peek<ExternalSecret>(EXTERNAL_SECRETS, n.metadata.name, 'shared'))
        .filter((e): e is ExternalSecret => !!e && ownerCesName(e) === cesName),
  };
  const ctx = { signal, startedAt: performance.now() };
  const run = async () => {
    const out = reconcileClusterExternalSecret(ces, world);
    const done = await executeClusterExternalSecret(deps, ces, out, ctx);
    ces = api.peek<ClusterExternalSecret>(CLUSTER_EXTERNAL_SECRETS, undefined, 'shared')!;
    return done;
  };
  const stop = () => nsCache.stop();
  return { api, deps, world, run, log, stop, ces: () => ces };
}

const team = (name: string, finalizers?: string[]): Namespace => ({
  metadata: { name, labels: { team: 'a' }, ...(finalizers ? { finalizers } : {}) },
});

describe('executeClusterExternalSecret', () => {
  it('creates the children, writes the status once, and a second run costs no request', async () => {
    const t = await setup([team('a'), team('b')]);
    expect(await t.run()).toEqual({ requeueAfterMs: expect.any(Number) });
    expect(t.api.calls()).toEqual([
      'create externalsecrets a/shared',
      'create externalsecrets b/shared',
      'patch clusterexternalsecrets/status shared',
    ]);
    expect(t.ces().status?.provisionedNamespaces).toEqual(['a', 'b']);
    expect(t.log).toEqual(['sync ClusterExternalSecret SecretStore success']);
    t.api.requests.length = 0;
    await t.run();
    expect(t.api.calls()).toEqual([]);
    expect(t.log.at(-1)).toBe('sync ClusterExternalSecret SecretStore skipped');
    await t.stop();
  });

  it('reports a failed write in failedNamespaces and retries on the backoff; the others are written', async () => {
    const t = await setup([team('a'), team('b')]);
    t.api.failNext(
      'create',
      new KubeApiError(403, 'Forbidden', 'externalsecrets is forbidden'),
      'externalsecrets',
    );
    expect(await t.run()).toEqual({ error: true });
    const st = t.ces().status;
    expect(st?.provisionedNamespaces).toEqual(['b']);
    expect(st?.failedNamespaces).toEqual([
      {
        namespace: 'a',
        reason: 'could not create ExternalSecret "shared": 403 Forbidden: externalsecrets is forbidden',
      },
    ]);
    expect(st?.conditions?.map((c) => c.type)).toEqual(['Ready', 'PartiallyReady']);
    expect(t.log).toContain('sync ClusterExternalSecret SecretStore error');
    // Fixed: the failure goes from the status (the field is removed, not left behind).
    await t.run();
    expect(t.ces().status?.failedNamespaces).toBeUndefined();
    expect(t.ces().status?.provisionedNamespaces).toEqual(['a', 'b']);
    await t.stop();
  });

  it('a create that meets an ExternalSecret the watch had not shown reports it as not ours', async () => {
    const t = await setup([team('a')]);
    const out = reconcileClusterExternalSecret(t.ces(), t.world);
    t.api.seed(EXTERNAL_SECRETS, { metadata: { name: 'shared', namespace: 'a' }, spec: {} });
    await executeClusterExternalSecret(t.deps, t.ces(), out, {
      signal: new AbortController().signal,
      startedAt: 0,
    });
    const st = t.api.peek<ClusterExternalSecret>(CLUSTER_EXTERNAL_SECRETS, undefined, 'shared')?.status;
    expect(st?.failedNamespaces).toEqual([{ namespace: 'a', reason: EXISTS_MESSAGE }]);
    await t.stop();
  });

  it("releases ESO's namespace finalizer once", async () => {
    const t = await setup([team('a', [ESO_FINALIZER, 'kubernetes.io/other'])]);
    await t.run();
    expect(t.api.peek<Namespace>(NAMESPACES, undefined, 'a')?.metadata.finalizers).toEqual([
      'kubernetes.io/other',
    ]);
    await t.stop();
  });
});

describe('cleanupClusterExternalSecret', () => {
  it('deletes every child (by uid) and is done; with an orphan finalizer it deletes none', async () => {
    const t = await setup([team('a'), team('b')]);
    await t.run();
    const signal = new AbortController().signal;
    const orphaning = { ...t.ces(), metadata: { ...t.ces().metadata, finalizers: ['orphan'] } };
    expect(await cleanupClusterExternalSecret(t.deps, orphaning, t.world, signal)).toBeUndefined();
    expect(t.api.peek(EXTERNAL_SECRETS, 'a', 'shared')).toBeDefined();

    t.api.requests.length = 0;
    expect(await cleanupClusterExternalSecret(t.deps, t.ces(), t.world, signal)).toBeUndefined();
    expect(t.api.calls()).toEqual(['delete externalsecrets a/shared', 'delete externalsecrets b/shared']);
    expect(t.api.peek(EXTERNAL_SECRETS, 'a', 'shared')).toBeUndefined();
    await t.stop();
  });

  it('retries when a deletion fails, and leaves ExternalSecrets it does not control alone', async () => {
    const foreign: ExternalSecret = { metadata: { name: 'shared', namespace: 'b' }, spec: {} };
    const t = await setup([team('a'), team('b')], [foreign]);
    await t.run();
    t.api.failNext('delete', new KubeApiError(500, 'InternalError', 'etcd timeout'), 'externalsecrets');
    const signal = new AbortController().signal;
    expect(await cleanupClusterExternalSecret(t.deps, t.ces(), t.world, signal)).toEqual({ error: true });
    expect(await cleanupClusterExternalSecret(t.deps, t.ces(), t.world, signal)).toBeUndefined();
    expect(t.api.peek(EXTERNAL_SECRETS, 'a', 'shared')).toBeUndefined();
    expect(t.api.peek(EXTERNAL_SECRETS, 'b', 'shared')).toBeDefined();
    await t.stop();
  });
});
