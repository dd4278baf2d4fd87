// The ExternalSecret world built from watch caches over an in-memory apiserver: what it
// answers from the caches, when it asks the apiserver, and how it reports failures.

import { afterEach, describe, expect, it } from '@jest/globals';
import type { Namespace, Secret, SecretStore } from '../../api/types.js';
import {
  CLUSTER_SECRET_STORES,
  CONFIGMAPS,
  NAMESPACES,
  SECRETS,
  SECRET_STORES,
} from '../../kube/resources.js';
import { MemoryApi } from '../../kube/testing/memory-api.js';
import { KubeApiError } from '../../kube/types.js';
import type { ResourceType } from '../../kube/types.js';
import { ObjectCache } from '../../runtime/cache.js';
import { Reflector } from '../../runtime/watch.js';
import { SecretDataError } from '../../secrets/errors.js';
import { MANAGED_LABEL } from './ownership.js';
import { TargetSecrets } from './targets.js';
import type { CachedSecret } from './targets.js';
import { externalSecretWorld } from './world.js';

const caches: ObjectCache<never>[] = [];
afterEach(async () => {
  for (const c of caches.splice(0)) await c.stop();
});

async function cacheOf<T extends Secret | SecretStore | Namespace | CachedSecret>(
  api: MemoryApi,
  type: ResourceType,
  extra: { labelSelector?: string; transform?: (o: T) => T } = {},
): Promise<ObjectCache<T>> {
  const c = new ObjectCache<T>([new Reflector<T>({ api, type, ...extra })]);
  caches.push(c as unknown as ObjectCache<never>);
  c.start();
  await c.waitForSync();
  return c;
}

async function setup() {
  const api = new MemoryApi();
  api.seed(NAMESPACES, { metadata: { name: 'ns', labels: { team: 'a' } } });
  api.seed(SECRET_STORES, { metadata: { name: 'local', namespace: 'ns' }, spec: { provider: { fake: {} } } });
  api.seed(CLUSTER_SECRET_STORES, { metadata: { name: 'shared' }, spec: { provider: { fake: {} } } });
  api.seed<Secret>(SECRETS, {
    metadata: { name: 'managed', namespace: 'ns', labels: { [MANAGED_LABEL]: 'true' } },
    data: { a: 'eA==' },
  });
  api.seed<Secret>(SECRETS, { metadata: { name: 'unlabelled', namespace: 'ns' }, data: { b: 'eQ==' } });
  api.seed(CONFIGMAPS, {
    metadata: { name: 'tmpl', namespace: 'ns' },
    data: { t: 'text' },
    binaryData: { b: 'AAE=' },
  });
  const targets = new TargetSecrets(api);
  const secrets = await cacheOf<CachedSecret>(api, SECRETS, {
    labelSelector: `${MANAGED_LABEL}=true`,
    transform: targets.transform,
  });
  targets.use(secrets);
  const world = externalSecretWorld(
    {
      api,
      controllerClass: '',
      maxErrorBackoffMs: 1000,
      stores: await cacheOf<SecretStore>(api, SECRET_STORES),
      clusterStores: await cacheOf<SecretStore>(api, CLUSTER_SECRET_STORES),
      namespaces: await cacheOf<Namespace>(api, NAMESPACES),
      targets,
      source: { reader: () => Promise.reject(new Error('not used')) },
    },
    { failures: 3, signal: new AbortController().signal },
  );
  api.requests.length = 0;
  return { api, world, targets };
}

describe('externalSecretWorld', () => {
  it('answers stores, namespace labels and the retry state from the caches, without requests', async () => {
    const { api, world } = await setup();
    expect(world.store('SecretStore', 'ns', 'local')?.metadata.name).toBe('local');
    expect(world.store('SecretStore', 'other', 'local')).toBeUndefined();
    expect(world.store('ClusterSecretStore', undefined, 'shared')?.metadata.name).toBe('shared');
    expect(world.namespaceLabels('ns')).toEqual({ team: 'a' });
    expect(world.failures).toBe(3);
    expect(api.calls()).toEqual([]);
  });

  it('reads a managed target from the cache, and an unknown one only when it may exist', async () => {
    const { api, world, targets } = await setup();
    expect(await world.targetSecret('ns', 'managed', false)).toMatchObject({
      name: 'managed',
      drifted: false,
    });
    // A blind create is allowed: the managed cache is complete, so no GET.
    expect(await world.targetSecret('ns', 'unlabelled', false, true)).toBeUndefined();
    expect(api.calls()).toEqual([]);
    // Without assumeAbsent, or once a create met it, the apiserver is asked.
    expect(await world.targetSecret('ns', 'unlabelled', false)).toMatchObject({ name: 'unlabelled' });
    targets.markExisting('ns/unlabelled');
    expect(await world.targetSecret('ns', 'unlabelled', false, true)).toMatchObject({ name: 'unlabelled' });
    // Merge needs the data: a GET even for a cached Secret.
    expect((await world.targetSecret('ns', 'managed', true))?.data).toEqual({ a: 'eA==' });
    expect(api.calls()).toEqual([
      'get secrets ns/unlabelled',
      'get secrets ns/unlabelled',
      'get secrets ns/managed',
    ]);
  });

  it('reads templateFrom sources with a GET each time, and names what failed', async () => {
    const { api, world } = await setup();
    const cm = await world.templateSource!('ns', 'ConfigMap', 'tmpl');
    expect(Buffer.from(cm!.t!).toString()).toBe('text');
    expect([...cm!.b!]).toEqual([0, 1]);
    expect(await world.templateSource!('ns', 'Secret', 'nope')).toBeUndefined();
    api.failNext('get', new KubeApiError(403, 'Forbidden', 'no'));
    const denied = world.templateSource!('ns', 'Secret', 'managed');
    await expect(denied).rejects.toBeInstanceOf(SecretDataError);
    await expect(denied).rejects.toThrow(
      'reading templateFrom Secret "ns/managed": apiserver answered 403 Forbidden',
    );
  });
});
