// The ClusterExternalSecret controller on an in-memory apiserver: what 1,000 namespaces cost in
// requests, which namespace and ExternalSecret events run it, and its deletion.

import { afterEach, describe, expect, it } from '@jest/globals';
import type { ClusterExternalSecret, ExternalSecret, Namespace } from '../../api/types.js';
import { CLUSTER_EXTERNAL_SECRETS, EXTERNAL_SECRETS, NAMESPACES } from '../../kube/resources.js';
import { MemoryApi } from '../../kube/testing/memory-api.js';
import { createLogger } from '../../observability/logger.js';
import { Metrics } from '../../observability/metrics.js';
import { ObjectCache } from '../../runtime/cache.js';
import { Reflector } from '../../runtime/watch.js';
import type { KubeObject } from '../../api/types.js';
import type { ResourceType } from '../../kube/types.js';
import { clusterExternalSecretController } from './controller.js';
import { CES_FINALIZER, EXISTS_MESSAGE } from './reconcile.js';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const settle = () => new Promise((r) => setTimeout(r, 100));

function ces(extra: Partial<NonNullable<ClusterExternalSecret['spec']>> = {}): ClusterExternalSecret {
  return {
    metadata: { name: 'shared' },
    spec: {
      externalSecretSpec: {
        secretStoreRef: { name: 'vault', kind: 'ClusterSecretStore' },
        data: [{ secretKey: 'token', remoteRef: { key: 'app/token' } }],
      },
      namespaceSelectors: [{ matchLabels: { team: 'a' } }],
      ...extra,
    },
  };
}

function namespace(name: string, labels: Record<string, string> = {}, finalizers?: string[]): Namespace {
  return { metadata: { name, labels, ...(finalizers ? { finalizers } : {}) } };
}

async function start(api: MemoryApi) {
  const cache = <T extends KubeObject>(type: ResourceType) =>
    new ObjectCache<T>([new Reflector<T>({ api, type, relistIntervalMs: 0 })]);
  const caches = {
    clusterExternalSecrets: cache<ClusterExternalSecret>(CLUSTER_EXTERNAL_SECRETS),
    externalSecrets: cache<ExternalSecret>(EXTERNAL_SECRETS),
    namespaces: cache<Namespace>(NAMESPACES),
  };
  const abort = new AbortController();
  const logs: string[] = [];
  const controller = clusterExternalSecretController({
    api,
    caches,
    metrics: new Metrics({ defaultMetrics: false }),
    logger: createLogger({ level: 'debug', destination: { write: (l: string) => logs.push(l) } }),
    queue: { concurrency: 2, baseBackoffMs: 10, maxBackoffMs: 50 },
    signal: abort.signal,
  });
  const all = Object.values(caches) as ObjectCache<KubeObject>[];
  for (const c of all) c.start();
  await Promise.all(all.map((c) => c.waitForSync()));
  controller.start();
  stops.push(async () => {
    await controller.stop(100);
    abort.abort();
    await Promise.all(all.map((c) => c.stop()));
  });
  return { controller, logs };
}

const cesOf = (api: MemoryApi) =>
  api.peek<ClusterExternalSecret>(CLUSTER_EXTERNAL_SECRETS, undefined, 'shared');
const esIn = (api: MemoryApi, ns: string, name = 'shared') =>
  api.peek<ExternalSecret>(EXTERNAL_SECRETS, ns, name);
const provisioned = (api: MemoryApi) => cesOf(api)?.status?.provisionedNamespaces ?? [];
const count = (api: MemoryApi, prefix: string) => api.calls().filter((c) => c.startsWith(prefix)).length;

describe('ClusterExternalSecret controller', () => {
  it('provisions 1,000 namespaces with one list each and one write per namespace, then costs nothing', async () => {
    const api = new MemoryApi();
    for (let i = 0; i < 1000; i++)
      api.seed(NAMESPACES, namespace(`ns-${String(i).padStart(4, '0')}`, { team: 'a' }));
    api.seed(CLUSTER_EXTERNAL_SECRETS, ces());
    const began = performance.now();
    await start(api);
    await until(() => provisioned(api).length === 1000, '1,000 provisioned namespaces', 30_000);
    const seconds = (performance.now() - began) / 1000;
    await settle();

    const lists = api.requests.filter((r) => r.verb === 'list').map((r) => r.resource);
    expect(lists.sort()).toEqual(['clusterexternalsecrets', 'externalsecrets', 'namespaces']);
    expect(count(api, 'create externalsecrets')).toBe(1000);
    expect(api.calls().filter((c) => !c.startsWith('create externalsecrets'))).toEqual([
      'patch clusterexternalsecrets shared', // the finalizer, before any child exists
      'patch clusterexternalsecrets/status shared',
    ]);
    expect(seconds).toBeLessThan(20);

    // A namespace event runs the ClusterExternalSecret again from the caches: one write, no list.
    api.requests.length = 0;
    await api.mergePatch({ type: NAMESPACES, name: 'ns-0007' }, { metadata: { labels: { team: 'b' } } });
    await until(() => provisioned(api).length === 999, 'the relabelled namespace dropped');
    api.seed(NAMESPACES, namespace('ns-new', { team: 'a' }));
    await until(() => provisioned(api).length === 1000, 'the new namespace');
    await settle();
    expect(api.requests.filter((r) => r.verb === 'list')).toEqual([]);
    const mine = (c: string) => c.startsWith('patch namespaces');
    expect(
      api.calls().filter((c) => !mine(c) && !c.startsWith('patch clusterexternalsecrets/status')),
    ).toEqual(['delete externalsecrets ns-0007/shared', 'create externalsecrets ns-new/shared']);
    expect(count(api, 'patch clusterexternalsecrets/status')).toBe(2);
  }, 60_000);

  it('follows namespaces that gain or lose the label, appear or go', async () => {
    const api = new MemoryApi();
    api.seed(NAMESPACES, namespace('a', { team: 'a' }));
    api.seed(NAMESPACES, namespace('b'));
    api.seed(CLUSTER_EXTERNAL_SECRETS, ces({ namespaces: ['named'] }));
    await start(api);
    await until(() => !!esIn(api, 'a'), 'the first child');
    await api.mergePatch({ type: NAMESPACES, name: 'b' }, { metadata: { labels: { team: 'a' } } });
    await until(() => !!esIn(api, 'b'), 'a child in the relabelled namespace');
    api.seed(NAMESPACES, namespace('named'));
    await until(() => !!esIn(api, 'named'), 'a child in the namespace named in the list');
    await api.mergePatch({ type: NAMESPACES, name: 'a' }, { metadata: { labels: { team: null } } });
    await until(() => !esIn(api, 'a'), 'the child of a namespace that lost the label deleted');
    await api.delete({ type: NAMESPACES, name: 'named' });
    await until(() => provisioned(api).join() === 'b', 'the deleted namespace gone from status');
    expect(esIn(api, 'b')?.metadata.ownerReferences?.[0]?.kind).toBe('ClusterExternalSecret');
  });

  it('repairs an edited child, recreates a deleted one, and provisions once a foreign one goes', async () => {
    const api = new MemoryApi();
    api.seed(NAMESPACES, namespace('a', { team: 'a' }));
    api.seed(NAMESPACES, namespace('taken', { team: 'a' }));
    api.seed(EXTERNAL_SECRETS, { metadata: { name: 'shared', namespace: 'taken' }, spec: { data: [] } });
    api.seed(CLUSTER_EXTERNAL_SECRETS, ces());
    await start(api);
    await until(
      () => cesOf(api)?.status?.failedNamespaces?.length === 1,
      'the foreign ExternalSecret reported',
    );
    expect(cesOf(api)?.status?.failedNamespaces).toEqual([{ namespace: 'taken', reason: EXISTS_MESSAGE }]);
    expect(cesOf(api)?.status?.conditions?.map((c) => c.type)).toEqual(['Ready', 'PartiallyReady']);
    expect(esIn(api, 'taken')?.spec).toEqual({ data: [] });

    await api.mergePatch(
      { type: EXTERNAL_SECRETS, namespace: 'a', name: 'shared' },
      { spec: { refreshInterval: '1m' } },
    );
    await until(() => esIn(api, 'a')?.spec?.refreshInterval === undefined, 'the edit reverted');
    await api.delete({ type: EXTERNAL_SECRETS, namespace: 'a', name: 'shared' });
    await until(() => !!esIn(api, 'a'), 'the deleted child recreated');
    await api.delete({ type: EXTERNAL_SECRETS, namespace: 'taken', name: 'shared' });
    await until(() => provisioned(api).join() === 'a,taken', 'the freed namespace provisioned');
    expect(cesOf(api)?.status?.conditions?.map((c) => [c.type, c.status])).toEqual([['Ready', 'True']]);
  });

  it('propagates a spec change to every child with one patch each', async () => {
    const api = new MemoryApi();
    api.seed(NAMESPACES, namespace('a', { team: 'a' }));
    api.seed(NAMESPACES, namespace('b', { team: 'a' }));
    api.seed(CLUSTER_EXTERNAL_SECRETS, ces());
    await start(api);
    await until(() => provisioned(api).length === 2, 'two children');
    api.requests.length = 0;
    await api.mergePatch(
      { type: CLUSTER_EXTERNAL_SECRETS, name: 'shared' },
      {
        spec: {
          externalSecretSpec: { refreshInterval: '5m' },
          externalSecretMetadata: { labels: { x: 'y' } },
        },
      },
    );
    await until(() => esIn(api, 'b')?.spec?.refreshInterval === '5m', 'the change in b');
    await settle();
    expect(
      api
        .calls()
        .filter((c) => c.startsWith('patch externalsecrets'))
        .sort(),
    ).toEqual(['patch externalsecrets a/shared', 'patch externalsecrets b/shared']);
    expect(esIn(api, 'a')?.metadata.labels).toEqual({ x: 'y' });
  });

  it("deletes its children before it goes, releases ESO's namespace finalizers, and keeps orphaned children", async () => {
    const api = new MemoryApi();
    const esoFinalizer = 'externalsecrets.external-secrets.io/ces-shared';
    api.seed(NAMESPACES, namespace('a', { team: 'a' }, [esoFinalizer]));
    api.seed(NAMESPACES, namespace('b', { team: 'a' }));
    api.seed(CLUSTER_EXTERNAL_SECRETS, ces());
    await start(api);
    await until(() => provisioned(api).length === 2, 'two children');
    await until(
      () => !api.peek<Namespace>(NAMESPACES, undefined, 'a')?.metadata.finalizers?.length,
      'ESO finalizer gone',
    );
    expect(cesOf(api)?.metadata.finalizers).toEqual([CES_FINALIZER]);
    await api.delete({ type: CLUSTER_EXTERNAL_SECRETS, name: 'shared' });
    await until(() => !cesOf(api), 'the ClusterExternalSecret gone');
    expect(esIn(api, 'a')).toBeUndefined();
    expect(esIn(api, 'b')).toBeUndefined();

    api.seed(CLUSTER_EXTERNAL_SECRETS, { ...ces(), metadata: { name: 'shared', finalizers: ['orphan'] } });
    await until(() => provisioned(api).length === 2, 'two children again');
    await api.delete({ type: CLUSTER_EXTERNAL_SECRETS, name: 'shared' });
    await until(() => !cesOf(api)?.metadata.finalizers?.includes(CES_FINALIZER), 'our finalizer dropped');
    expect(esIn(api, 'a')).toBeDefined();
  });
});
