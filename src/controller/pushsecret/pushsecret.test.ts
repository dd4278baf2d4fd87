// The PushSecret reconciler and executor with a fake world and a fake backend: what is pushed
// where (data, dataTo, bundles, conversion), when (decisions), what the status says, and the
// safety rules: a failure deletes nothing, deletionPolicy Delete removes only what is no longer
// pushed, an unchanged value writes nothing.

import { describe, expect, it } from '@jest/globals';
import type { PushSecret, PushSecretSpec, SecretStore } from '../../api/types.js';
import { ProviderError } from '../../providers/errors.js';
import type { DeleteOutcome, PushOutcome, PushRef, PushRequest } from '../../providers/types.js';
import type { StoreWriter } from '../store/access.js';
import { entriesFor, reverseKey } from './entries.js';
import type { PushStore } from './entries.js';
import { cleanupPushSecret, executePushSecret } from './execute.js';
import type { PushExecutorDeps } from './execute.js';
import { pushIntervalMs, reconcilePushSecret } from './reconcile.js';
import type { PushPlan } from './reconcile.js';
import { storeInfoOf } from '../store/resolve.js';
import type { PushWorld, SourceSecret } from './world.js';
import { syncedResourceVersion } from '../externalsecret/decide.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const NOW = Date.parse('2026-06-01T00:00:00Z');

const store: PushStore = { kind: 'SecretStore', name: 'vault', labels: { tier: 'gold' } };

function ps(spec: Partial<PushSecretSpec>, status?: PushSecret['status'], meta: object = {}): PushSecret {
  return {
    metadata: { name: 'app', namespace: 'ns', generation: 1, ...meta },
    spec: { secretStoreRefs: [{ name: 'vault' }], selector: { secret: { name: 'src' } }, ...spec },
    ...(status ? { status } : {}),
  };
}

describe('entriesFor', () => {
  const source = { password: enc('p'), user: enc('u'), 'db-host': enc('h'), 'db-port': enc('5432') };

  it('maps data[] entries: one key, or the whole Secret as one JSON object', () => {
    const out = entriesFor(
      ps({
        data: [
          { match: { secretKey: 'password', remoteRef: { remoteKey: 'app/db', property: 'password' } } },
          { match: { remoteRef: { remoteKey: 'app/all' } } },
        ],
      }).spec!,
      store,
      source,
    );
    expect(out.map((e) => [e.statusKey, e.value.kind])).toEqual([
      ['app/db/password', 'bytes'],
      ['app/all', 'map'],
    ]);
  });

  it('expands dataTo by regexp and rewrite, bundles with remoteKey, and lets data[] win on a key', () => {
    const spec = ps({
      data: [{ match: { secretKey: 'db-host', remoteRef: { remoteKey: 'explicit' } } }],
      dataTo: [
        {
          storeRef: { name: 'vault' },
          match: { regexp: '^db-' },
          rewrite: [{ regexp: { source: '^db-(.*)$', target: 'db/$1' } }],
        },
        {
          storeRef: { labelSelector: { matchLabels: { tier: 'gold' } } },
          remoteKey: 'bundle',
          match: { regexp: '^(user|password)$' },
        },
        { storeRef: { name: 'other' }, remoteKey: 'elsewhere' },
      ],
    }).spec!;
    const out = entriesFor(spec, store, source);
    expect(out.map((e) => e.statusKey)).toEqual(['db/port', 'bundle', 'explicit']);
    const bundle = out.find((e) => e.statusKey === 'bundle')!;
    expect(bundle.value.kind === 'map' && Object.keys(bundle.value.data).sort()).toEqual([
      'password',
      'user',
    ]);
  });

  it('refuses two entries writing one remote location, and a missing key, naming keys only', () => {
    const dup = ps({
      data: [
        { match: { secretKey: 'user', remoteRef: { remoteKey: 'x', property: 'p' } } },
        { match: { secretKey: 'password', remoteRef: { remoteKey: 'x', property: 'p' } } },
      ],
    }).spec!;
    expect(() => entriesFor(dup, store, source)).toThrow(/duplicate remote key "x" with property "p"/);
    const missing = ps({ data: [{ match: { secretKey: 'nope', remoteRef: { remoteKey: 'x' } } }] }).spec!;
    expect(() => entriesFor(missing, store, source)).toThrow(/secret key "nope" does not exist/);
  });

  it('ReverseUnicode turns _UXXXX_ back into the character', () => {
    expect(reverseKey('a_U002e_b_U1F600_', 'ReverseUnicode')).toBe('a.b😀');
    expect(reverseKey('a_U002e_b', 'None')).toBe('a_U002e_b');
    const out = entriesFor(
      ps({
        data: [
          {
            match: { secretKey: 'a.b', remoteRef: { remoteKey: 'k' } },
            conversionStrategy: 'ReverseUnicode',
          },
        ],
      }).spec!,
      store,
      { a_U002e_b: enc('v') },
    );
    expect(out[0]?.value.kind === 'bytes' && dec(out[0].value.data)).toBe('v');
  });
});

function storeObj(name: string, labels: Record<string, string> = {}, controller = ''): SecretStore {
  return {
    metadata: { name, namespace: 'ns', labels },
    spec: { controller, provider: { fake: { data: [] } } },
  };
}

function world(
  opts: { stores?: SecretStore[]; sources?: Record<string, Record<string, string>> } = {},
): PushWorld {
  const stores = opts.stores ?? [storeObj('vault')];
  const sources = opts.sources ?? { src: { password: 'p' } };
  const find = (name: string) => stores.find((s) => s.metadata.name === name);
  return {
    controllerClass: '',
    now: () => NOW,
    store: (_kind, _ns, name) => find(name),
    namespaceLabels: () => ({}),
    resolveStores: (ref) => {
      const s = find(ref.name ?? '');
      if (!s) return { ok: false, reason: 'StoreNotFound', message: `SecretStore "${ref.name}" not found` };
      if (s.spec?.controller) return { ok: true, stores: [] };
      return {
        ok: true,
        stores: [
          { kind: 'SecretStore', name: ref.name ?? '', labels: {}, info: storeInfoOf(s, 'SecretStore') },
        ],
      };
    },
    sourceSecret: async (_ns, name) => {
      const d = sources[name];
      if (!d) return undefined;
      const data = Object.fromEntries(Object.entries(d).map(([k, v]) => [k, enc(v)]));
      return { name, data, labels: {}, annotations: {} } satisfies SourceSecret;
    },
    sourceSecrets: async () => [],
    maxErrorBackoffMs: 60_000,
    failures: 0,
    random: () => 0.5,
  };
}

describe('reconcilePushSecret', () => {
  const data = [{ match: { secretKey: 'password', remoteRef: { remoteKey: 'db', property: 'password' } } }];

  it('pushes when never pushed, skips until the refresh is due, pushes on a source change', async () => {
    const first = await reconcilePushSecret(ps({ data }), world(), 'create');
    expect(first.kind).toBe('push');
    const done = ps(
      { data },
      {
        refreshTime: new Date(NOW - 60_000).toISOString(),
        syncedResourceVersion: syncedResourceVersion(ps({ data })),
        conditions: [{ type: 'Ready', status: 'True', reason: 'Synced' }],
      },
    );
    const skip = await reconcilePushSecret(done, world(), 'refresh');
    expect(skip.kind).toBe('skip');
    expect((skip as Extract<PushPlan, { kind: 'skip' }>).requeueAfterMs).toBeGreaterThan(3_000_000);
    expect((await reconcilePushSecret(done, world(), 'drift')).kind).toBe('push');
    // An annotation (Argo CD's force-sync) changes syncedResourceVersion.
    const annotated = { ...done, metadata: { ...done.metadata, annotations: { 'force-sync': '1' } } };
    expect((await reconcilePushSecret(annotated, world(), 'annotation')).kind).toBe('push');
  });

  it('ignores stores of another controller; fails on a missing store or source', async () => {
    expect(
      (await reconcilePushSecret(ps({ data }), world({ stores: [storeObj('vault', {}, 'other')] }), 'create'))
        .kind,
    ).toBe('ignore');
    const noStore = await reconcilePushSecret(ps({ data }), world({ stores: [] }), 'create');
    expect(noStore).toMatchObject({ kind: 'fail', message: 'SecretStore "vault" not found', retry: true });
    const noSource = await reconcilePushSecret(ps({ data }), world({ sources: {} }), 'create');
    expect(noSource).toMatchObject({
      kind: 'fail',
      message: 'could not get source secret: Secret "src" not found',
    });
  });

  it('with deletionPolicy Delete, a source that went removes what was pushed', async () => {
    const pushed = ps(
      { data, deletionPolicy: 'Delete' },
      {
        syncedPushSecrets: { 'SecretStore/vault': { 'db/password': data[0]! } },
      },
    );
    expect((await reconcilePushSecret(pushed, world({ sources: {} }), 'drift')).kind).toBe('source-deleted');
  });

  it("raises a refreshInterval below the operator's floor; 0 keeps meaning only on changes", () => {
    expect(pushIntervalMs(ps({ data, refreshInterval: '1s' }), 10_000)).toEqual({ ms: 10_000 });
    expect(pushIntervalMs(ps({ data, refreshInterval: '0s' }), 10_000)).toEqual({ ms: 0 });
    expect(pushIntervalMs(ps({ data, refreshInterval: '1m' }), 10_000)).toEqual({ ms: 60_000 });
    expect(pushIntervalMs(ps({ data }), 10_000)).toEqual({ ms: 3_600_000 });
  });

  it('refuses an invalid refreshInterval without retrying', async () => {
    expect(await reconcilePushSecret(ps({ data, refreshInterval: 'soon' }), world(), 'create')).toMatchObject(
      {
        kind: 'fail',
        retry: false,
      },
    );
  });
});

class FakeBackend implements StoreWriter {
  provider = 'fake';
  remote = new Map<string, string>();
  owned = new Set<string>();
  writes: string[] = [];
  failPush = false;

  private key(ref: PushRef) {
    return ref.property ? `${ref.remoteKey}/${ref.property}` : ref.remoteKey;
  }
  async push(req: PushRequest): Promise<PushOutcome> {
    if (this.failPush) throw new ProviderError('Unavailable', 'backend down');
    const k = this.key(req.ref);
    if (this.remote.has(k) && !this.owned.has(k))
      throw new ProviderError('NotOwned', `"${k}" exists and was not created by Syncret or ESO`);
    const v = req.value.kind === 'bytes' ? dec(req.value.data) : JSON.stringify(Object.keys(req.value.data));
    if (this.remote.get(k) === v) return 'unchanged';
    const outcome = this.remote.has(k) ? 'updated' : 'created';
    this.remote.set(k, v);
    this.owned.add(k);
    this.writes.push(`push ${k}`);
    return outcome;
  }
  async delete(ref: PushRef): Promise<DeleteOutcome> {
    const k = this.key(ref);
    if (!this.remote.has(k)) return 'absent';
    if (!this.owned.has(k)) return 'not-owned';
    this.remote.delete(k);
    this.writes.push(`delete ${k}`);
    return 'deleted';
  }
  async exists(ref: PushRef): Promise<boolean> {
    return this.remote.has(this.key(ref));
  }
}

function executor(backend: FakeBackend) {
  const statuses: PushSecret['status'][] = [];
  const events: string[] = [];
  const deps: PushExecutorDeps = {
    sink: { writer: async () => backend },
    lookup: { controllerClass: '', store: () => storeObj('vault'), namespaceLabels: () => ({}) },
    writeStatus: async (_o, s) => void statuses.push(s as PushSecret['status']),
    events: { record: (_o, type, reason, message) => void events.push(`${type} ${reason} ${message}`) },
    metrics: { syncDone: () => undefined },
    logger: { debug: () => undefined, info: () => undefined, warn: () => undefined },
  };
  return { deps, statuses, events };
}

describe('executePushSecret', () => {
  const ctx = { startedAt: performance.now() };
  const entry = (remoteKey: string) => ({ match: { secretKey: 'password', remoteRef: { remoteKey } } });

  it('pushes, records syncedPushSecrets and Ready Synced; a second run writes nothing', async () => {
    const backend = new FakeBackend();
    const { deps, statuses, events } = executor(backend);
    const obj = ps({ data: [entry('a'), entry('b')] });
    const plan = await reconcilePushSecret(obj, world(), 'create');
    expect(await executePushSecret(deps, obj, plan, ctx)).toEqual({ requeueAfterMs: expect.any(Number) });
    expect(backend.writes).toEqual(['push a', 'push b']);
    expect(Object.keys(statuses[0]?.syncedPushSecrets?.['SecretStore/vault'] ?? {})).toEqual(['a', 'b']);
    expect(statuses[0]?.conditions?.[0]).toMatchObject({
      type: 'Ready',
      status: 'True',
      reason: 'Synced',
      message: 'PushSecret synced successfully',
    });
    expect(events).toEqual(['Normal Synced Pushed: 2 created, 0 updated, 0 deleted, 0 unchanged']);
    backend.writes.length = 0;
    await executePushSecret(
      deps,
      { ...obj, status: statuses[0] },
      await reconcilePushSecret(obj, world(), 'spec'),
      ctx,
    );
    expect(backend.writes).toEqual([]);
  });

  it('with deletionPolicy Delete removes entries no longer pushed, never on a failed push', async () => {
    const backend = new FakeBackend();
    const { deps, statuses } = executor(backend);
    const old = ps({ deletionPolicy: 'Delete', data: [entry('a'), entry('b')] });
    await executePushSecret(deps, old, await reconcilePushSecret(old, world(), 'create'), ctx);
    const renamed = ps({ deletionPolicy: 'Delete', data: [entry('a'), entry('c')] }, statuses[0], {
      generation: 2,
    });
    backend.failPush = true;
    const failed = await executePushSecret(
      deps,
      renamed,
      await reconcilePushSecret(renamed, world(), 'spec'),
      ctx,
    );
    expect(failed).toMatchObject({ error: true });
    expect([...backend.remote.keys()].sort()).toEqual(['a', 'b']);
    expect(Object.keys(statuses[1]?.syncedPushSecrets?.['SecretStore/vault'] ?? {}).sort()).toEqual([
      'a',
      'b',
    ]);
    expect(statuses[1]?.conditions?.[0]).toMatchObject({ status: 'False', reason: 'Errored' });
    expect(statuses[1]?.conditions?.[0]?.message).toMatch(
      /^set secret failed: could not write remote ref a to target secretstore vault: backend down \(and 1 more\)$/,
    );
    backend.failPush = false;
    const retried = { ...renamed, status: statuses[1] };
    await executePushSecret(deps, retried, await reconcilePushSecret(retried, world(), 'retry'), ctx);
    expect([...backend.remote.keys()].sort()).toEqual(['a', 'c']);
    expect(Object.keys(statuses[2]?.syncedPushSecrets?.['SecretStore/vault'] ?? {}).sort()).toEqual([
      'a',
      'c',
    ]);
  });

  it('IfNotExists leaves an existing remote alone; a foreign remote is refused with a clear message', async () => {
    const backend = new FakeBackend();
    backend.remote.set('theirs', 'x');
    const { deps, statuses } = executor(backend);
    const once = ps({ updatePolicy: 'IfNotExists', data: [entry('theirs'), entry('new')] });
    await executePushSecret(deps, once, await reconcilePushSecret(once, world(), 'create'), ctx);
    expect(backend.remote.get('theirs')).toBe('x');
    expect(backend.remote.get('new')).toBe('p');
    expect(statuses[0]?.conditions?.[0]?.message).toBe(
      'PushSecret synced successfully. Existing secrets in providers unchanged.',
    );
    const replace = ps({ data: [entry('theirs')] });
    await executePushSecret(deps, replace, await reconcilePushSecret(replace, world(), 'create'), ctx);
    expect(statuses[1]?.conditions?.[0]?.message).toMatch(
      /"theirs" exists and was not created by Syncret or ESO/,
    );
    expect(backend.remote.get('theirs')).toBe('x');
  });

  it('cleanup deletes what it owns with Delete, nothing with None', async () => {
    const backend = new FakeBackend();
    const { deps, statuses } = executor(backend);
    backend.remote.set('foreign', 'x');
    const obj = ps({ deletionPolicy: 'Delete', data: [entry('mine')] });
    await executePushSecret(deps, obj, await reconcilePushSecret(obj, world(), 'create'), ctx);
    const status = {
      ...statuses[0],
      syncedPushSecrets: {
        'SecretStore/vault': {
          ...statuses[0]?.syncedPushSecrets?.['SecretStore/vault'],
          foreign: entry('foreign'),
        },
      },
    };
    expect(
      await cleanupPushSecret(deps, ps({ deletionPolicy: 'None', data: [entry('mine')] }, status)),
    ).toBeUndefined();
    expect(backend.remote.has('mine')).toBe(true);
    expect(await cleanupPushSecret(deps, { ...obj, status })).toBeUndefined();
    expect([...backend.remote.keys()]).toEqual(['foreign']);
  });
});
