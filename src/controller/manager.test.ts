// The controllers wired together on an in-memory apiserver with the fake provider: what a
// first sync, a restart, drift, a store change and a store rename cost in requests, and that
// no value reaches logs, Events or status.

import { afterEach, describe, expect, it } from '@jest/globals';
import type { ExternalSecret, Secret, SecretStore } from '../api/types.js';
import { EXTERNAL_SECRETS, NAMESPACES, SECRETS, SECRET_STORES } from '../kube/resources.js';
import { MemoryApi } from '../kube/testing/memory-api.js';
import { EventRecorder } from '../observability/events.js';
import { createLogger } from '../observability/logger.js';
import { Metrics } from '../observability/metrics.js';
import { fakeProvider } from '../providers/fake/index.js';
import { ProviderError } from '../providers/errors.js';
import { ProviderRegistry } from '../providers/registry.js';
import type { Provider, SecretsClient } from '../providers/types.js';
import { Manager } from './manager.js';

const VALUE = 'never-in-output-7f3a';
const lines: string[] = [];
const managers: Manager[] = [];

afterEach(async () => {
  for (const m of managers.splice(0)) await m.stop(100);
  lines.length = 0;
});

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function store(value = VALUE): SecretStore {
  return {
    metadata: { name: 'fake', namespace: 'ns' },
    spec: { provider: { fake: { data: [{ key: 'db', value: JSON.stringify({ password: value }) }] } } },
  };
}

function externalSecret(name = 'app'): ExternalSecret {
  return {
    metadata: { name, namespace: 'ns' },
    spec: {
      refreshInterval: '1h',
      secretStoreRef: { name: 'fake' },
      data: [{ secretKey: 'password', remoteRef: { key: 'db', property: 'password' } }],
    },
  };
}

function world() {
  const api = new MemoryApi();
  api.seed(NAMESPACES, { metadata: { name: 'ns' } });
  api.seed(SECRET_STORES, store());
  return api;
}

async function startManager(api: MemoryApi, provider: Provider = fakeProvider): Promise<Manager> {
  const logger = createLogger({ level: 'debug', destination: { write: (l: string) => lines.push(l) } });
  const m = new Manager({
    api,
    registry: new ProviderRegistry([provider]),
    logger,
    metrics: new Metrics({ defaultMetrics: false }),
    events: new EventRecorder({ api }),
    namespaces: [],
    concurrency: 4,
    controllerClass: '',
    fieldManager: 'syncret',
    maxErrorBackoffMs: 1000,
    storeRevalidateMs: 60_000,
  });
  managers.push(m);
  await m.start();
  return m;
}

const secretOf = (api: MemoryApi, name = 'app') => api.peek<Secret>(SECRETS, 'ns', name);
const esOf = (api: MemoryApi, name = 'app') => api.peek<ExternalSecret>(EXTERNAL_SECRETS, 'ns', name);
const ready = (api: MemoryApi, name = 'app') =>
  esOf(api, name)?.status?.conditions?.find((c) => c.type === 'Ready');
const decoded = (s: Secret | undefined) => Buffer.from(s?.data?.password ?? '', 'base64').toString();

describe('Manager', () => {
  it('syncs a new ExternalSecret with one apply and one status patch, and a restart writes nothing', async () => {
    const api = world();
    api.seed(EXTERNAL_SECRETS, externalSecret());
    await startManager(api);
    await until(() => ready(api)?.status === 'True', 'Ready');
    expect(decoded(secretOf(api))).toBe(VALUE);
    await until(() => api.calls().some((c) => c.startsWith('patch secretstores/status')), 'the store status');
    const esCalls = api.calls().filter((c) => !c.includes('secretstores') && !c.includes('events'));
    // A first sync creates the Secret blind (no GET) and writes the status once.
    expect(esCalls).toEqual(['apply secrets ns/app', 'patch externalsecrets/status ns/app']);

    await managers.pop()!.stop(100);
    api.requests.length = 0;
    await startManager(api);
    await new Promise((r) => setTimeout(r, 150));
    expect(api.calls().filter((c) => !c.startsWith('create events'))).toEqual([]);
  });

  it('repairs a Secret edited outside Syncret and recreates a deleted one', async () => {
    const api = world();
    api.seed(EXTERNAL_SECRETS, externalSecret());
    await startManager(api);
    await until(() => decoded(secretOf(api)) === VALUE, 'the first sync');
    await api.mergePatch(
      { type: SECRETS, namespace: 'ns', name: 'app' },
      { data: { password: Buffer.from('edited').toString('base64') } },
    );
    await until(() => decoded(secretOf(api)) === VALUE, 'the repair');
    await api.delete({ type: SECRETS, namespace: 'ns', name: 'app' });
    await until(() => decoded(secretOf(api)) === VALUE, 'the re-creation');
  });

  it("re-syncs a store's users when its spec changes, and reports a store that went", async () => {
    const api = world();
    api.seed(EXTERNAL_SECRETS, externalSecret());
    await startManager(api);
    await until(() => decoded(secretOf(api)) === VALUE, 'the first sync');
    await api.mergePatch(
      { type: SECRET_STORES, namespace: 'ns', name: 'fake' },
      { spec: store(`${VALUE}-2`).spec },
    );
    await until(() => decoded(secretOf(api)) === `${VALUE}-2`, 'the new value');
    await api.delete({ type: SECRET_STORES, namespace: 'ns', name: 'fake' });
    await until(() => ready(api)?.reason === 'StoreNotFound', 'StoreNotFound');
    // The last good Secret stays.
    expect(decoded(secretOf(api))).toBe(`${VALUE}-2`);
  });

  it('refuses a target another ExternalSecret owns, without touching it', async () => {
    const api = world();
    api.seed(EXTERNAL_SECRETS, externalSecret('first'));
    const second = externalSecret('second');
    second.spec!.target = { name: 'first' };
    await startManager(api);
    await until(() => decoded(secretOf(api, 'first')) === VALUE, 'the first sync');
    api.seed(EXTERNAL_SECRETS, second);
    await until(() => ready(api, 'second')?.reason === 'SecretOwnedByOther', 'the refusal');
    expect(secretOf(api, 'first')?.metadata.ownerReferences?.[0]?.name).toBe('first');
  });

  it('a store whose reads fail turns Ready=False at once; its probe brings it and its users back', async () => {
    const outage = { on: false, reads: 0 };
    const flaky: Provider = {
      ...fakeProvider,
      async connect(info, ctx): Promise<SecretsClient> {
        const inner = await fakeProvider.connect(info, ctx);
        return {
          getSecret: async (ref) => {
            outage.reads++;
            if (outage.on) throw new ProviderError('Unavailable', 'the backend is sealed');
            return inner.getSecret(ref);
          },
          validate: () => inner.validate(),
          close: () => inner.close(),
        };
      },
    };
    const api = world();
    api.seed(EXTERNAL_SECRETS, externalSecret('a'));
    api.seed(EXTERNAL_SECRETS, externalSecret('b'));
    await startManager(api, flaky);
    await until(
      () => ready(api, 'a')?.status === 'True' && ready(api, 'b')?.status === 'True',
      'both synced',
    );
    const storeReady = () =>
      api.peek<SecretStore>(SECRET_STORES, 'ns', 'fake')?.status?.conditions?.find((c) => c.type === 'Ready');
    await until(() => storeReady()?.status === 'True', 'the store validated');
    outage.on = true;
    const force = (name: string) =>
      api.mergePatch(
        { type: EXTERNAL_SECRETS, namespace: 'ns', name },
        { metadata: { annotations: { 'force-sync': String(Date.now()) } } },
      );
    await Promise.all([force('a'), force('b')]);
    // One failed read is enough: the store says so without a validation of its own.
    await until(() => storeReady()?.status === 'False', 'the store not ready', 1500);
    expect(storeReady()?.message).toContain('the backend is sealed');
    await until(
      () => ready(api, 'a')?.reason === 'ProviderError' && ready(api, 'b')?.reason === 'ProviderError',
      'both failing',
    );
    const readsDuringOutage = outage.reads;
    outage.on = false;
    // The ExternalSecrets would wait a whole refreshInterval (1h); the store's probe (2 s) ends it.
    const t0 = Date.now();
    await until(
      () => ready(api, 'a')?.status === 'True' && ready(api, 'b')?.status === 'True',
      'recovery',
      30_000,
    );
    expect(Date.now() - t0).toBeLessThan(30_000); // not the refreshInterval (1 h)
    await until(() => storeReady()?.status === 'True', 'the store ready again');
    // The probe, then each ExternalSecret once (identical reads may share one call).
    expect(outage.reads - readsDuringOutage).toBeLessThanOrEqual(3);
  }, 45_000);

  it('never puts the value into logs, Events or status', async () => {
    const api = world();
    api.seed(EXTERNAL_SECRETS, externalSecret());
    const broken = externalSecret('broken');
    broken.spec!.target = { template: { data: { x: '{{ .password | fail }}' } } };
    api.seed(EXTERNAL_SECRETS, broken);
    await startManager(api);
    await until(() => ready(api)?.status === 'True' && ready(api, 'broken')?.status === 'False', 'both');
    const events = api.requests.filter((r) => r.verb === 'create' && r.resource === 'events');
    expect(events.length).toBeGreaterThan(0);
    const visible = [
      ...lines,
      ...events.map((e) => JSON.stringify(e.body)),
      JSON.stringify(esOf(api)?.status),
      JSON.stringify(esOf(api, 'broken')?.status),
    ].join('\n');
    expect(visible).not.toContain(VALUE);
    expect(visible).not.toContain(Buffer.from(VALUE).toString('base64'));
  });
});
