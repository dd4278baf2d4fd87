// The fan-out kinds in sharded mode, on an in-memory apiserver: they run while the replica holds
// the assigner role and stop (queues drained, watches closed) when it loses it; a regained role
// starts a new term. A sharded Manager watches none of their kinds until then; an unsharded one
// is as before.

import { afterEach, describe, expect, it } from '@jest/globals';
import type {
  ClusterExternalSecret,
  ClusterPushSecret,
  ExternalSecret,
  Namespace,
  PushSecret,
} from '../api/types.js';
import {
  CLUSTER_EXTERNAL_SECRETS,
  CLUSTER_PUSH_SECRETS,
  EXTERNAL_SECRETS,
  NAMESPACES,
  PUSH_SECRETS,
} from '../kube/resources.js';
import { MemoryApi } from '../kube/testing/memory-api.js';
import { EventRecorder } from '../observability/events.js';
import { createLogger } from '../observability/logger.js';
import { Metrics } from '../observability/metrics.js';
import { fakeProvider } from '../providers/fake/index.js';
import { ProviderRegistry } from '../providers/registry.js';
import { EXISTS_MESSAGE } from './clusterexternalsecret/reconcile.js';
import { Manager } from './manager.js';
import { ShardGate } from './shard/gate.js';

const managers: Manager[] = [];
const lines: string[] = [];
afterEach(async () => {
  for (const m of managers.splice(0)) await m.stop(100);
  lines.length = 0;
});

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const settle = () => new Promise((r) => setTimeout(r, 100));

function ces(name: string, team: string): ClusterExternalSecret {
  return {
    metadata: { name },
    spec: {
      externalSecretName: 'app',
      externalSecretSpec: { secretStoreRef: { name: 'vault', kind: 'ClusterSecretStore' } },
      namespaceSelectors: [{ matchLabels: { team } }],
    },
  };
}

function cps(name: string, team: string): ClusterPushSecret {
  return {
    metadata: { name },
    spec: {
      pushSecretName: 'pushed',
      namespaceSelectors: [{ matchLabels: { team } }],
      pushSecretSpec: { secretStoreRefs: [{ name: 'vault' }], selector: { secret: { name: 'src' } } },
    },
  };
}

const ns = (name: string, team: string): Namespace => ({ metadata: { name, labels: { team } } });

function world(): MemoryApi {
  const api = new MemoryApi();
  api.seed(NAMESPACES, ns('a1', 'a'));
  api.seed(NAMESPACES, ns('a2', 'a'));
  api.seed(NAMESPACES, ns('b1', 'b'));
  // Not the ClusterExternalSecret's: never overwritten, its namespace reported.
  api.seed<ExternalSecret>(EXTERNAL_SECRETS, {
    metadata: { name: 'app', namespace: 'a2' },
    spec: { secretStoreRef: { name: 'mine' } },
  });
  api.seed(CLUSTER_EXTERNAL_SECRETS, ces('shared', 'a'));
  api.seed(CLUSTER_PUSH_SECRETS, cps('pushes', 'a'));
  return api;
}

function manager(api: MemoryApi, sharded: boolean): Manager {
  const m = new Manager({
    api,
    registry: new ProviderRegistry([fakeProvider]),
    logger: createLogger({ level: 'debug', destination: { write: (l: string) => lines.push(l) } }),
    metrics: new Metrics({ defaultMetrics: false }),
    events: new EventRecorder({ api }),
    namespaces: [],
    concurrency: 4,
    controllerClass: '',
    fieldManager: 'syncret',
    maxErrorBackoffMs: 1000,
    storeRevalidateMs: 60_000,
    shard: sharded ? new ShardGate('replica-0') : undefined,
  });
  managers.push(m);
  return m;
}

const esIn = (api: MemoryApi, namespace: string) =>
  api.peek<ExternalSecret>(EXTERNAL_SECRETS, namespace, 'app');
const psIn = (api: MemoryApi, namespace: string) => api.peek<PushSecret>(PUSH_SECRETS, namespace, 'pushed');
const cesOf = (api: MemoryApi, name = 'shared') =>
  api.peek<ClusterExternalSecret>(CLUSTER_EXTERNAL_SECRETS, undefined, name);
const fanoutWatches = (api: MemoryApi) =>
  api.requests
    .filter((r) => r.verb === 'list' || r.verb === 'watch')
    .map((r) => r.resource)
    .filter((r) => r === 'clusterexternalsecrets' || r === 'clusterpushsecrets');
const logged = (msg: string) => lines.filter((l) => l.includes(msg)).length;

describe('the fan-out kinds on the shard assigner', () => {
  it('run only while the role is held, and start again when it is regained', async () => {
    const api = world();
    const m = manager(api, true);
    await m.start();
    await settle();
    // Not the assigner: nothing of the fan-out kinds is listed or watched.
    expect(fanoutWatches(api)).toEqual([]);
    expect(esIn(api, 'a1')).toBeUndefined();

    const role = new AbortController();
    m.serveFanout(role.signal, 100);
    await until(
      () => cesOf(api)?.status?.provisionedNamespaces?.join() === 'a1',
      'the first term provisions',
    );
    expect(esIn(api, 'a1')?.metadata.ownerReferences?.[0]?.name).toBe('shared');
    expect(cesOf(api)?.status?.failedNamespaces).toEqual([{ namespace: 'a2', reason: EXISTS_MESSAGE }]);
    expect(esIn(api, 'a2')?.spec?.secretStoreRef?.name).toBe('mine');
    await until(() => !!psIn(api, 'a1') && !!psIn(api, 'a2'), 'the PushSecrets');
    expect(logged('fan-out controller started on the shard assigner')).toBe(2);

    role.abort();
    await until(() => logged('fan-out controllers stopped on the shard assigner') === 1, 'the stop');
    api.seed(CLUSTER_EXTERNAL_SECRETS, ces('later', 'b'));
    await settle();
    expect(api.peek(EXTERNAL_SECRETS, 'b1', 'app')).toBeUndefined();

    // Regained: a new term with new caches serves what changed meanwhile.
    const again = new AbortController();
    m.serveFanout(again.signal, 100);
    await until(() => cesOf(api, 'later')?.status?.provisionedNamespaces?.join() === 'b1', 'the second term');
    expect(logged('fan-out controller started on the shard assigner')).toBe(4);
    // Operator stop ends the term; a role granted afterwards starts nothing.
    await managers.pop()!.stop(100);
    expect(logged('fan-out controllers stopped on the shard assigner')).toBe(2);
    const late = new AbortController();
    api.requests.length = 0;
    m.serveFanout(late.signal, 100);
    await settle();
    expect(fanoutWatches(api)).toEqual([]);
  });

  it('a role lost before its caches synced starts no controller', async () => {
    const api = world();
    const m = manager(api, true);
    const role = new AbortController();
    m.serveFanout(role.signal, 100);
    role.abort();
    await settle();
    expect(logged('fan-out controller started')).toBe(0);
    expect(esIn(api, 'a1')).toBeUndefined();
  });

  it('unsharded: the Manager watches the fan-out kinds itself, as before, and serveFanout does nothing', async () => {
    const api = world();
    const m = manager(api, false);
    await m.start();
    await until(() => !!esIn(api, 'a1'), 'the child');
    const watched = fanoutWatches(api).sort();
    expect(watched.filter((r) => r === 'clusterexternalsecrets').length).toBeGreaterThan(0);
    const role = new AbortController();
    api.requests.length = 0;
    m.serveFanout(role.signal, 100);
    await settle();
    expect(api.requests.filter((r) => r.verb === 'list' || r.verb === 'watch')).toEqual([]);
  });
});
