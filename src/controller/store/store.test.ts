// The store controller's world, executor and wiring on an in-memory apiserver.

import { afterEach, describe, expect, it } from '@jest/globals';
import type { SecretStore } from '../../api/types.js';
import { SECRET_STORES } from '../../kube/resources.js';
import { MemoryApi } from '../../kube/testing/memory-api.js';
import { EventRecorder } from '../../observability/events.js';
import { createLogger } from '../../observability/logger.js';
import { Metrics } from '../../observability/metrics.js';
import { ClientCache } from '../../providers/clients.js';
import { fakeProvider } from '../../providers/fake/index.js';
import { ProviderRegistry } from '../../providers/registry.js';
import { ObjectCache } from '../../runtime/cache.js';
import { statusWriter } from '../../runtime/status.js';
import { Reflector } from '../../runtime/watch.js';
import { ProviderError } from '../../providers/errors.js';
import { StoreAccess } from './access.js';
import { StoreHealth } from './health.js';
import { storeController } from './controller.js';
import { executeStore } from './execute.js';
import { reconcileStore } from './reconcile.js';
import { storeWorld } from './world.js';

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

function store(validationResult?: number): SecretStore {
  return {
    metadata: { name: 's', namespace: 'ns' },
    spec: { provider: { fake: { data: [], validationResult } } },
  };
}

function parts() {
  const api = new MemoryApi();
  const clients = new ClientCache();
  const registry = new ProviderRegistry([fakeProvider]);
  const access = new StoreAccess({ api, registry, clients, signal: new AbortController().signal });
  return { api, clients, registry, access };
}

describe('store world and executor', () => {
  it('raises a store refreshInterval below the operator floor to it', async () => {
    const { api, registry, access } = parts();
    const world = (minRefreshIntervalMs: number) =>
      storeWorld({
        controllerClass: '',
        registry,
        access,
        defaultRevalidateMs: 60_000,
        minRefreshIntervalMs,
      });
    const tight = api.seed(SECRET_STORES, { ...store(), spec: { ...store().spec, refreshInterval: '1ns' } });
    expect((await reconcileStore(tight, 'SecretStore', world(10_000))).requeueAfterMs).toBe(10_000);
    expect((await reconcileStore(tight, 'SecretStore', world(0))).requeueAfterMs).toBe(0.000001);
  });

  it('validates through the shared client and writes the status once', async () => {
    const { api, registry, access } = parts();
    const s = api.seed(SECRET_STORES, store());
    const world = storeWorld({ controllerClass: '', registry, access, defaultRevalidateMs: 60_000 });
    const outcome = await reconcileStore(s, 'SecretStore', world);
    expect(outcome.status?.conditions?.[0]).toMatchObject({ type: 'Ready', status: 'True', reason: 'Valid' });
    expect(outcome.status?.capabilities).toBe('ReadOnly');
    const events: string[] = [];
    const deps = {
      writeStatus: statusWriter<SecretStore>({
        api,
        type: SECRET_STORES,
        cache: new ObjectCache<SecretStore>([]),
        signal: new AbortController().signal,
      }),
      events: { record: (_o: unknown, type: string, reason: string) => events.push(`${type} ${reason}`) },
    };
    expect(await executeStore(deps, s, outcome)).toEqual({ requeueAfterMs: 60_000 });
    const written = api.peek<SecretStore>(SECRET_STORES, 'ns', 's')!;
    await executeStore(deps, written, await reconcileStore(written, 'SecretStore', world));
    expect(api.calls()).toEqual(['patch secretstores/status ns/s']);
    expect(events).toEqual([]);
  });

  it('reports a failed validation with a Warning once', async () => {
    const { api, registry, access } = parts();
    const s = api.seed(SECRET_STORES, store(2));
    const world = storeWorld({ controllerClass: '', registry, access, defaultRevalidateMs: 60_000 });
    const outcome = await reconcileStore(s, 'SecretStore', world);
    expect(outcome.status?.conditions?.[0]).toMatchObject({ status: 'False', reason: 'ValidationFailed' });
    expect(outcome.events).toEqual([
      { type: 'Warning', reason: 'ValidationFailed', message: 'fake store reports Error' },
    ]);
  });
});

describe('store reads failing', () => {
  it('reports Ready=False from the failed read without a call, probes when due, then validates', async () => {
    const { api, registry, access } = parts();
    const s = api.seed(SECRET_STORES, store());
    let now = 1_000_000;
    const health = new StoreHealth({ now: () => now, random: () => 0 });
    let probes = 0;
    let up = false;
    const probe = async () => {
      probes++;
      if (up) health.readSucceeded('ss/ns/s');
      else health.readFailed('ss/ns/s', new ProviderError('Unavailable', 'sealed again'), probe);
    };
    health.readFailed('ss/ns/s', new ProviderError('Unavailable', 'Vault is sealed'), probe);
    const world = {
      ...storeWorld({ controllerClass: '', registry, access, defaultRevalidateMs: 60_000, health }),
      now: () => now,
    };
    const first = await reconcileStore(s, 'SecretStore', world);
    expect(first.status?.conditions?.[0]).toMatchObject({
      status: 'False',
      reason: 'ValidationFailed',
      message: 'reads through this store fail: Vault is sealed',
    });
    expect([probes, first.requeueAfterMs]).toEqual([0, 2_000]);
    expect(first.events).toHaveLength(1);
    now += 2_000;
    const second = await reconcileStore(s, 'SecretStore', world);
    expect(second.status?.conditions?.[0]?.message).toBe('reads through this store fail: sealed again');
    expect([probes, second.requeueAfterMs]).toEqual([1, 4_000]);
    now += 4_000;
    up = true;
    const third = await reconcileStore(s, 'SecretStore', world);
    expect(third.status?.conditions?.[0]).toMatchObject({ status: 'True', reason: 'Valid' });
    expect([probes, third.requeueAfterMs]).toEqual([2, 60_000]);
  });
});

describe('storeController', () => {
  it('validates new stores and drops the clients of a store whose spec changed', async () => {
    const { api, clients, registry, access } = parts();
    api.seed(SECRET_STORES, store());
    const cache = new ObjectCache<SecretStore>([new Reflector<SecretStore>({ api, type: SECRET_STORES })]);
    const c = storeController({
      kind: 'SecretStore',
      cache,
      api,
      access,
      registry,
      controllerClass: '',
      defaultRevalidateMs: 60_000,
      events: new EventRecorder({ api }),
      metrics: new Metrics({ defaultMetrics: false }),
      logger: createLogger({ level: 'error', destination: { write: () => undefined } }),
      queue: { concurrency: 1 },
      signal: new AbortController().signal,
    });
    stops.push(async () => {
      await c.stop(100);
      await cache.stop();
    });
    cache.start();
    await cache.waitForSync();
    c.start();
    const ready = () => api.peek<SecretStore>(SECRET_STORES, 'ns', 's')?.status?.conditions?.[0]?.reason;
    await until(() => ready() === 'Valid', 'Valid');
    expect(clients.size).toBe(1);
    await api.mergePatch({ type: SECRET_STORES, namespace: 'ns', name: 's' }, { spec: store(2).spec });
    await until(() => ready() === 'ValidationFailed', 'the new validation');
    // One client: the old spec's was dropped, not kept beside the new one.
    expect(clients.size).toBe(1);
  });
});
