import { describe, expect, it } from '@jest/globals';
import type { ExternalSecret, Secret, SecretStore, StoreKind } from '../../api/types.js';
import { ProviderError } from '../../providers/errors.js';
import { fakeProvider } from '../../providers/fake/index.js';
import type { StoreInfo } from '../../providers/types.js';
import type { StoreReader } from '../store/access.js';
import { disableCostPacing, enableCostPacing } from '../../secrets/template/cost.js';
import { causeOf } from '../reasons.js';
import { reconcileExternalSecret } from './reconcile.js';
import type { EsWorld } from './world.js';
import { targetInfoFromSecret } from './target.js';
import type { TargetSecretInfo } from './target.js';

const NOW = Date.parse('2026-03-01T10:00:00Z');
const SECRET = 's3cr3t-VALUE-xyz';

function makeWorld(
  opts: { targets?: Record<string, TargetSecretInfo>; cls?: string; storeClass?: string } = {},
) {
  const calls: string[] = [];
  const store: SecretStore = {
    metadata: { name: 'fake', namespace: 'ns' },
    spec: {
      controller: opts.storeClass,
      provider: {
        fake: {
          data: [
            { key: 'db', value: JSON.stringify({ user: 'app', pass: SECRET }) },
            { key: 'plain', value: SECRET },
          ],
        },
      },
    },
  };
  const world: EsWorld = {
    now: () => NOW,
    controllerClass: opts.cls ?? '',
    store: (kind: StoreKind, ns: string | undefined, name: string) =>
      kind === 'SecretStore' && ns === 'ns' && name === 'fake' ? store : undefined,
    namespaceLabels: () => ({}),
    source: {
      async reader(info: StoreInfo): Promise<StoreReader> {
        const client = await fakeProvider.connect(info, undefined as never);
        return {
          provider: 'fake',
          get: (ref) => {
            calls.push(ref.key);
            return client.getSecret(ref);
          },
          find: (f) => client.findSecrets!(f),
        };
      },
    },
    targetSecret: async (_ns, name) => opts.targets?.[name],
    maxErrorBackoffMs: 300_000,
    failures: 0,
    random: () => 0.5,
  };
  return { world, calls };
}

function es(spec: Partial<ExternalSecret['spec']> = {}, status?: ExternalSecret['status']): ExternalSecret {
  return {
    metadata: { name: 'app', namespace: 'ns', uid: 'uid-1', generation: 1 },
    spec: {
      refreshInterval: '1h',
      secretStoreRef: { name: 'fake' },
      data: [
        { secretKey: 'user', remoteRef: { key: 'db', property: 'user' } },
        { secretKey: 'pass', remoteRef: { key: 'db', property: 'pass' } },
      ],
      ...spec,
    },
    status,
  };
}

describe('reconcileExternalSecret', () => {
  it('syncs a new ExternalSecret: one fetch per remote key, an apply, Ready=True, next refresh in about an hour', async () => {
    const { world, calls } = makeWorld();
    const out = await reconcileExternalSecret(es(), world, 'create');
    expect(calls).toEqual(['db']);
    expect(out.write?.op).toBe('apply');
    const body = (out.write as { body: Secret }).body;
    expect(Buffer.from(body.data!.pass!, 'base64').toString()).toBe(SECRET);
    expect(out.status?.conditions?.[0]).toMatchObject({
      type: 'Ready',
      status: 'True',
      reason: 'SecretSynced',
    });
    expect(out.status?.refreshTime).toBe('2026-03-01T10:00:00Z');
    expect(out.status?.binding).toEqual({ name: 'app' });
    expect(out.events).toEqual([{ type: 'Normal', reason: 'Created', message: 'Created Secret "app"' }]);
    expect(out.requeueAfterMs).toBeGreaterThanOrEqual(3_600_000);
    expect(out.requeueAfterMs).toBeLessThanOrEqual(3_600_000 + 300_000);
  });

  it('retries a render refused by the pace within seconds, not at the refresh interval', async () => {
    // A stopped clock: the pace never refills. Twelve bcrypt fit the render's budget (960) and
    // spend the pace; the next render's first one is refused by the pace.
    enableCostPacing(() => 0);
    try {
      const bcrypts = (n: number) => `{{ range until ${n} }}{{ bcrypt "x" | len }}{{ end }}`;
      const first = await reconcileExternalSecret(
        es({ target: { template: { data: { h: bcrypts(12) } } } }),
        makeWorld().world,
        'create',
      );
      expect(first.status?.conditions?.[0]?.status).toBe('True');
      const out = await reconcileExternalSecret(
        es({ target: { template: { data: { h: bcrypts(1) } } } }),
        makeWorld().world,
        'spec',
      );
      expect(out.status?.conditions?.[0]).toMatchObject({ status: 'False', reason: 'SecretSyncedError' });
      expect(out.status?.conditions?.[0]?.message).toMatch(/paced across all ExternalSecrets/);
      // refreshInterval 1h; the pace refills in 4 s: 4-8 s with jitter (random 0.5: 6 s).
      expect(out.requeueAfterMs).toBe(6_000);
    } finally {
      disableCostPacing();
    }
  });

  it('writes nothing when the Secret already holds the data, and repairs drift', async () => {
    const first = await reconcileExternalSecret(es(), makeWorld().world, 'create');
    const body = (first.write as { body: Secret }).body;
    const existing = targetInfoFromSecret({ ...body, metadata: { ...body.metadata, uid: 's1' } }, false);
    const again = await reconcileExternalSecret(
      es(),
      makeWorld({ targets: { app: existing } }).world,
      'spec',
    );
    expect(again.write).toBeUndefined();
    expect(again.synced).toBe(true);
    const drifted = targetInfoFromSecret({ ...body, data: { ...body.data, pass: 'eA==' } }, false);
    expect(drifted.drifted).toBe(true);
    const repaired = await reconcileExternalSecret(
      es(),
      makeWorld({ targets: { app: drifted } }).world,
      'drift',
    );
    expect(repaired.write?.op).toBe('apply');
  });

  it('skips the provider when nothing is due', async () => {
    const synced = await reconcileExternalSecret(es(), makeWorld().world, 'create');
    const body = (synced.write as { body: Secret }).body;
    const current = es({}, synced.status);
    const { world, calls } = makeWorld({ targets: { app: targetInfoFromSecret(body, false) } });
    const out = await reconcileExternalSecret(current, world, 'relist');
    expect(calls).toEqual([]);
    expect(out.synced).toBe(false);
    expect(out.requeueAfterMs).toBeGreaterThan(3_000_000);
  });

  it('sharded: a sync writes the bucket label; a Secret without it gains it alone, with nothing due', async () => {
    const bucket = { 'sharding.syncret.io/bucket': '1a2' };
    const sharded = (w: EsWorld): EsWorld => ({ ...w, targetLabels: (ns) => (ns === 'ns' ? bucket : {}) });
    const synced = await reconcileExternalSecret(es(), sharded(makeWorld().world), 'create');
    const labelled = (synced.write as { body: Secret }).body;
    expect(labelled.metadata.labels).toMatchObject({
      ...bucket,
      'reconcile.external-secrets.io/managed': 'true',
    });
    // Written before sharding was on: the label only (a merge patch), no provider call, no status.
    const plain = (await reconcileExternalSecret(es(), makeWorld().world, 'create')).write as {
      body: Secret;
    };
    const current = es({}, synced.status);
    const { world, calls } = makeWorld({ targets: { app: targetInfoFromSecret(plain.body, false) } });
    const out = await reconcileExternalSecret(current, sharded(world), 'relist');
    expect(calls).toEqual([]);
    expect(out.write).toEqual({ op: 'label', name: 'app', labels: bucket });
    expect(out.status).toBeUndefined();
    const again = makeWorld({ targets: { app: targetInfoFromSecret(labelled, false) } });
    expect((await reconcileExternalSecret(current, sharded(again.world), 'relist')).write).toBeUndefined();
    // Not a Secret Syncret wrote (no managed label), or another ExternalSecret's: no label either.
    const foreign = (meta: Partial<Secret['metadata']>) =>
      targetInfoFromSecret({ ...plain.body, metadata: { ...plain.body.metadata, ...meta } }, false);
    const unmanaged = foreign({ labels: {} });
    const other = foreign({
      ownerReferences: [
        {
          apiVersion: 'external-secrets.io/v1',
          kind: 'ExternalSecret',
          name: 'b',
          uid: 'u2',
          controller: true,
        },
      ],
    });
    for (const t of [unmanaged, other]) {
      const w = makeWorld({ targets: { app: t } }).world;
      expect((await reconcileExternalSecret(current, sharded(w), 'relist')).write?.op).not.toBe('label');
    }
  });

  it('refuses a Secret controlled by someone else', async () => {
    const other: TargetSecretInfo = {
      name: 'app',
      labels: {},
      annotations: {},
      ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'cm', uid: 'x', controller: true }],
      dataHash: '',
      drifted: false,
    };
    const out = await reconcileExternalSecret(es(), makeWorld({ targets: { app: other } }).world, 'create');
    expect(out.failed).toBe(true);
    expect(out.write).toBeUndefined();
    expect(out.status?.conditions?.[0]).toMatchObject({
      status: 'False',
      reason: 'SecretSyncedError',
      message: expect.stringMatching(/^SecretOwnedByOther: /),
    });
  });

  it('reports a missing key without the value and retries no sooner than the interval', async () => {
    const out = await reconcileExternalSecret(
      es({ data: [{ secretKey: 'x', remoteRef: { key: 'nope' } }] }),
      makeWorld().world,
      'create',
    );
    expect(out.status?.conditions?.[0]).toMatchObject({
      status: 'False',
      reason: 'SecretSyncedError',
      message: 'ProviderError: key "nope" not found in the fake store',
    });
    expect(out.events[0]).toMatchObject({ type: 'Warning', reason: 'UpdateFailed' });
    expect(out.requeueAfterMs).toBeGreaterThanOrEqual(3_600_000);
    const notJson = await reconcileExternalSecret(
      es({ data: [{ secretKey: 'x', remoteRef: { key: 'plain', property: 'p' } }] }),
      makeWorld().world,
      'create',
    );
    expect(JSON.stringify(notJson.status)).not.toContain(SECRET);
  });

  it('checks a Merge target before calling the provider', async () => {
    const { world, calls } = makeWorld();
    const out = await reconcileExternalSecret(es({ target: { creationPolicy: 'Merge' } }), world, 'create');
    expect(calls).toEqual([]);
    expect(out.status?.conditions?.[0]).toMatchObject({ status: 'False', reason: 'SecretMissing' });
    expect(out.requeueAfterMs).toBeLessThan(60_000);
  });

  it('retries a throttled provider no sooner than its Retry-After', async () => {
    const { world } = makeWorld();
    world.source = {
      async reader(): Promise<StoreReader> {
        return {
          provider: 'fake',
          get: async () => {
            throw new ProviderError('Throttled', 'throttled (429)', 900_000);
          },
          find: async () => new Map(),
        };
      },
    };
    const out = await reconcileExternalSecret(es({ refreshInterval: '1m' }), world, 'create');
    expect(out.status?.conditions?.[0]).toMatchObject({
      status: 'False',
      reason: 'SecretSyncedError',
      message: expect.stringMatching(/^ProviderError: /),
    });
    expect(out.requeueAfterMs).toBe(900_000);
  });

  it('reports an invalid refreshInterval without retrying, and ignores stores of another class', async () => {
    const bad = await reconcileExternalSecret(
      es({ refreshInterval: '5 minutes' }),
      makeWorld().world,
      'create',
    );
    expect(bad.status?.conditions?.[0]).toMatchObject({
      status: 'False',
      reason: 'SecretSyncedError',
      message: expect.stringMatching(/^InvalidSpec: /),
    });
    expect(bad.requeueAfterMs).toBeUndefined();
    const other = await reconcileExternalSecret(es(), makeWorld({ storeClass: 'b' }).world, 'create');
    expect(other).toMatchObject({ ignore: true });
  });

  it('keeps lastTransitionTime on repeated failures', async () => {
    const first = await reconcileExternalSecret(
      es({ data: [{ secretKey: 'x', remoteRef: { key: 'nope' } }] }),
      makeWorld().world,
      'create',
    );
    const later = { ...makeWorld().world, now: () => NOW + 60_000 };
    const second = await reconcileExternalSecret(
      es({ data: [{ secretKey: 'x', remoteRef: { key: 'nope' } }] }, first.status),
      later,
      'retry',
    );
    expect(second.status?.conditions?.[0]?.lastTransitionTime).toBe(
      first.status?.conditions?.[0]?.lastTransitionTime,
    );
    expect(second.events).toEqual([]);
  });

  it('asks for the target without a GET only where a blind create is safe, and reads it before an empty write', async () => {
    const asked: { policy: string; assumeAbsent: boolean | undefined }[] = [];
    const spy = (policy: string) => {
      const { world } = makeWorld();
      world.targetSecret = async (_ns, _name, _withData, assumeAbsent) => {
        asked.push({ policy, assumeAbsent });
        return undefined;
      };
      return world;
    };
    for (const creationPolicy of ['Owner', 'Orphan', 'Merge'] as const)
      await reconcileExternalSecret(es({ target: { creationPolicy } }), spy(creationPolicy), 'create');
    expect(asked).toEqual([
      { policy: 'Owner', assumeAbsent: true },
      { policy: 'Orphan', assumeAbsent: false },
      { policy: 'Merge', assumeAbsent: false },
    ]);

    // No data: deleting, retaining or creating depends on what exists, so it is read for real.
    asked.length = 0;
    const out = await reconcileExternalSecret(
      es({ data: [], dataFrom: [{ find: { name: { regexp: '^none$' } } }] }),
      spy('Owner'),
      'create',
    );
    expect(asked).toEqual([
      { policy: 'Owner', assumeAbsent: true },
      { policy: 'Owner', assumeAbsent: false },
    ]);
    expect(out.status?.conditions?.[0]?.status).toBe('True');
  });
});

describe('reconcileExternalSecret with syncWindows', () => {
  async function firstSync(spec: Partial<ExternalSecret['spec']>) {
    const { world } = makeWorld();
    const out = await reconcileExternalSecret(es(spec), world, 'create');
    const target = targetInfoFromSecret((out.write as { body: Secret }).body, false);
    // The status of that sync, two hours old: the refresh is due.
    const status = { ...out.status, refreshTime: new Date(NOW - 2 * 3_600_000).toISOString() };
    return { target, status };
  }

  it('holds a due refresh inside a deny window and comes back when it closes, without a provider call', async () => {
    // 09:30 every day for an hour: open at NOW (10:00), closes 10:30.
    const spec = {
      syncWindows: { kind: 'deny' as const, windows: [{ schedule: '30 9 * * *', duration: '1h' }] },
    };
    const { target, status } = await firstSync(spec);
    const { world, calls } = makeWorld({ targets: { app: target } });
    const out = await reconcileExternalSecret(es(spec, status), world, 'refresh');
    expect(calls).toEqual([]);
    expect(out.write).toBeUndefined();
    expect(out.requeueAfterMs).toBeGreaterThanOrEqual(30 * 60_000);
    expect(out.requeueAfterMs).toBeLessThanOrEqual(36 * 60_000);
  });
  it('refreshes inside an allow window, and reports a schedule it cannot parse', async () => {
    const spec = {
      syncWindows: {
        kind: 'allow' as const,
        windows: [
          { schedule: '0 10 * * *', duration: '5m' },
          { schedule: '0 25 * * *', duration: '1h' },
        ],
      },
    };
    const { target, status } = await firstSync(spec);
    const { world, calls } = makeWorld({ targets: { app: target } });
    const out = await reconcileExternalSecret(es(spec, status), world, 'refresh');
    expect(calls).toEqual(['db']);
    expect(out.status?.conditions?.[0]?.message).toContain(
      'syncWindows.windows[1].schedule is ignored (end of range (25) above maximum (23): 25)',
    );
  });
  it('reports a window duration that is not a Go duration as an invalid spec', async () => {
    const { world, calls } = makeWorld();
    const spec = {
      syncWindows: { kind: 'allow' as const, windows: [{ schedule: '@daily', duration: 'a day' }] },
    };
    const out = await reconcileExternalSecret(es(spec), world, 'create');
    expect(calls).toEqual([]);
    // ESO's reason; Syncret's cause leads the message (controller/reasons.ts)
    expect(out.status?.conditions?.[0]).toMatchObject({ status: 'False', reason: 'SecretSyncedError' });
    expect(causeOf(out.status?.conditions?.[0])).toBe('InvalidSpec');
    expect(out.status?.conditions?.[0]?.message).toContain('syncWindows.windows[0].duration');
  });
});

describe('the refresh floor (--min-refresh-interval)', () => {
  const floored = (floor: number) => {
    const w = makeWorld();
    w.world.minRefreshIntervalMs = floor;
    return w;
  };

  it('refreshes a 1ns ExternalSecret at most once per floor, and says so in the Ready message', async () => {
    const { world, calls } = floored(10_000);
    const first = await reconcileExternalSecret(es({ refreshInterval: '1ns' }), world, 'create');
    expect(first.requeueAfterMs).toBeGreaterThanOrEqual(10_000);
    expect(first.requeueAfterMs).toBeLessThanOrEqual(11_000);
    expect(first.status?.conditions?.[0]).toMatchObject({
      status: 'True',
      reason: 'SecretSynced',
      message:
        "Secret was synced; refreshInterval 1ns is below the operator's minimum (--min-refresh-interval), so it refreshes every 10s",
    });
    // Run again at once (a relist, an unrelated event): nothing is due, no provider call.
    const body = (first.write as { body: Secret }).body;
    const again = makeWorld({ targets: { app: targetInfoFromSecret(body, false) } });
    again.world.minRefreshIntervalMs = 10_000;
    const out = await reconcileExternalSecret(
      es({ refreshInterval: '1ns' }, first.status),
      again.world,
      'relist',
    );
    expect(again.calls).toEqual([]);
    expect(out.requeueAfterMs).toBeGreaterThanOrEqual(10_000);
    expect(calls).toEqual(['db']);
  });

  it('keeps refreshInterval 0 as "no periodic refresh" and says nothing then', async () => {
    const { world } = floored(10_000);
    const out = await reconcileExternalSecret(es({ refreshInterval: '0' }), world, 'create');
    expect(out.requeueAfterMs).toBeUndefined();
    expect(out.status?.conditions?.[0]?.message).toBe('Secret was synced');
  });

  it('never retries a failure sooner than the floor', async () => {
    const { world } = floored(10_000);
    world.source = {
      reader: async () => ({
        provider: 'fake',
        get: async () => {
          throw new ProviderError('Unavailable', 'backend down');
        },
        find: async () => new Map(),
      }),
    };
    const out = await reconcileExternalSecret(es({ refreshInterval: '1ns' }), world, 'create');
    expect(out.failed).toBe(true);
    expect(out.requeueAfterMs).toBeGreaterThanOrEqual(10_000);
  });

  it('leaves intervals above the floor alone', async () => {
    const { world } = floored(10_000);
    const out = await reconcileExternalSecret(es({ refreshInterval: '1h' }), world, 'create');
    expect(out.status?.conditions?.[0]?.message).toBe('Secret was synced');
    expect(out.requeueAfterMs).toBeGreaterThanOrEqual(3_600_000);
  });
});
