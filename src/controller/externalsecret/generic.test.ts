import { describe, expect, it } from '@jest/globals';
import type { ExternalSecret, SecretStore, StoreKind } from '../../api/types.js';
import { CONFIGMAPS } from '../../kube/resources.js';
import type { ResourceType } from '../../kube/types.js';
import { fakeProvider } from '../../providers/fake/index.js';
import type { StoreInfo } from '../../providers/types.js';
import { goValueString, objectHash } from '../../secrets/object-path.js';
import type { StoreReader } from '../store/access.js';
import { GENERIC_DISABLED } from './generic.js';
import { contentHash } from './manifest.js';
import type { GenericObject } from './manifest.js';
import { DATA_HASH_ANNOTATION, MANAGED_LABEL, OWNER_LABEL } from './ownership.js';
import { reconcileExternalSecret } from './reconcile.js';
import type { EsWorld } from './world.js';

const NOW = Date.parse('2026-03-01T10:00:00Z');
const SECRET = 's3cr3t-VALUE-xyz';
const WIDGETS: ResourceType = {
  group: 'example.com',
  version: 'v1',
  resource: 'widgets',
  namespaced: true,
  kind: 'Widget',
};

function makeWorld(objects: Record<string, GenericObject> = {}, generic = true) {
  const store: SecretStore = {
    metadata: { name: 'fake', namespace: 'ns' },
    spec: {
      provider: {
        fake: { data: [{ key: 'db', value: JSON.stringify({ user: 'app', pass: SECRET, port: '5432' }) }] },
      },
    },
  };
  const world: EsWorld = {
    now: () => NOW,
    controllerClass: '',
    store: (kind: StoreKind, ns: string | undefined, name: string) =>
      kind === 'SecretStore' && ns === 'ns' && name === 'fake' ? store : undefined,
    namespaceLabels: () => ({}),
    source: {
      async reader(info: StoreInfo): Promise<StoreReader> {
        const client = await fakeProvider.connect(info, undefined as never);
        return { provider: 'fake', get: (ref) => client.getSecret(ref), find: (f) => client.findSecrets!(f) };
      },
    },
    targetSecret: async () => undefined,
    maxErrorBackoffMs: 300_000,
    failures: 0,
    random: () => 0.5,
    generic: generic
      ? {
          resolve: async (apiVersion, kind) =>
            apiVersion === 'v1' && kind === 'ConfigMap'
              ? CONFIGMAPS
              : apiVersion === 'example.com/v1' && kind === 'Widget'
                ? WIDGETS
                : undefined,
          get: async (type, ns, name) => objects[`${type.kind}/${ns}/${name}`],
        }
      : undefined,
  };
  return world;
}

function es(
  target: NonNullable<ExternalSecret['spec']>['target'],
  status?: ExternalSecret['status'],
): ExternalSecret {
  return {
    metadata: { name: 'app', namespace: 'ns', uid: 'uid-1', generation: 1, labels: { team: 'a' } },
    spec: {
      refreshInterval: '1h',
      secretStoreRef: { name: 'fake' },
      data: [
        { secretKey: 'user', remoteRef: { key: 'db', property: 'user' } },
        { secretKey: 'pass', remoteRef: { key: 'db', property: 'pass' } },
      ],
      target,
    },
    status,
  };
}

const CM = { apiVersion: 'v1', kind: 'ConfigMap' };

describe('target.manifest of another kind', () => {
  it('creates a ConfigMap with the data as strings, ESO labels, owner and data hash; events and status carry no value', async () => {
    const out = await reconcileExternalSecret(es({ manifest: CM }), makeWorld(), 'create');
    expect(out.genericWrite?.op).toBe('create');
    const body = (out.genericWrite as { body: GenericObject }).body;
    expect(body).toMatchObject({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'app', namespace: 'ns' },
    });
    expect(body.data).toEqual({ user: 'app', pass: SECRET });
    expect(body.metadata.labels).toMatchObject({ team: 'a', [MANAGED_LABEL]: 'true' });
    expect(body.metadata.labels?.[OWNER_LABEL]).toHaveLength(56);
    expect(body.metadata.annotations?.[DATA_HASH_ANNOTATION]).toBe(objectHash({ pass: SECRET, user: 'app' }));
    expect(body.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'ExternalSecret', name: 'app', uid: 'uid-1', controller: true }),
    ]);
    expect(out.status?.conditions?.[0]).toMatchObject({ status: 'True', reason: 'ResourceSynced' });
    expect(out.events).toEqual([{ type: 'Normal', reason: 'Created', message: 'Created ConfigMap app' }]);
    expect(JSON.stringify([out.status, out.events])).not.toContain(SECRET);
  });

  it('writes nothing when the object is as last written; replaces it (with its resourceVersion) when edited', async () => {
    const first = await reconcileExternalSecret(es({ manifest: CM }), makeWorld(), 'create');
    const written = (first.genericWrite as { body: GenericObject }).body;
    const inCluster: GenericObject = {
      ...written,
      metadata: { ...written.metadata, uid: 'cm-1', resourceVersion: '7' },
    };
    const synced = es(
      { manifest: CM },
      {
        refreshTime: '2026-03-01T09:59:00Z',
        syncedResourceVersion: '1-uid-1',
        conditions: first.status?.conditions,
      },
    );
    synced.metadata.generation = 1;
    const quiet = await reconcileExternalSecret(
      synced,
      makeWorld({ 'ConfigMap/ns/app': inCluster }),
      'drift',
    );
    expect(quiet.genericWrite).toBeUndefined();
    const edited = { ...inCluster, data: { user: 'app', pass: 'changed' } };
    const repaired = await reconcileExternalSecret(
      synced,
      makeWorld({ 'ConfigMap/ns/app': edited }),
      'drift',
    );
    expect(repaired.genericWrite?.op).toBe('replace');
    const body = (repaired.genericWrite as { body: GenericObject }).body;
    expect(body.data).toEqual({ user: 'app', pass: SECRET });
    expect(body.metadata.resourceVersion).toBe('7');
    expect(repaired.events[0]).toMatchObject({ reason: 'Updated', message: 'Updated ConfigMap app' });
  });

  it('sharded: a sync writes the bucket label; an object without it gains it alone, with nothing due', async () => {
    const bucket = { 'sharding.syncret.io/bucket': '1a2' };
    const sharded = (w: EsWorld): EsWorld => ({ ...w, targetLabels: (ns) => (ns === 'ns' ? bucket : {}) });
    const first = await reconcileExternalSecret(es({ manifest: CM }), sharded(makeWorld()), 'create');
    const labelled = (first.genericWrite as { body: GenericObject }).body;
    expect(labelled.metadata.labels).toMatchObject({ ...bucket, [MANAGED_LABEL]: 'true', team: 'a' });
    const synced = es(
      { manifest: CM },
      {
        refreshTime: '2026-03-01T09:59:00Z',
        syncedResourceVersion: first.status?.syncedResourceVersion,
        conditions: first.status?.conditions,
      },
    );
    const inCluster = (body: GenericObject, labels = body.metadata.labels): GenericObject => ({
      ...body,
      metadata: { ...body.metadata, labels, uid: 'cm-1', resourceVersion: '7' },
    });
    const quiet = await reconcileExternalSecret(
      synced,
      sharded(makeWorld({ 'ConfigMap/ns/app': inCluster(labelled) })),
      'relist',
    );
    expect(quiet.synced).toBe(false);
    expect(quiet.genericWrite).toBeUndefined();
    // Written before sharding was on: the label only, no status, no provider read.
    const { [Object.keys(bucket)[0]!]: _, ...before } = labelled.metadata.labels!;
    const old = inCluster(labelled, before);
    const out = await reconcileExternalSecret(
      synced,
      sharded(makeWorld({ 'ConfigMap/ns/app': old })),
      'relist',
    );
    // A replace of the object as read (its resourceVersion guards it), the labels added.
    expect(out.genericWrite).toEqual({
      op: 'replace',
      type: CONFIGMAPS,
      name: 'app',
      body: { ...old, metadata: { ...old.metadata, labels: { ...before, ...bucket } } },
    });
    expect(out.status).toBeUndefined();
    expect(out.synced).toBe(false);
    // Not an object Syncret manages (a drift: a full sync repairs it), or another
    // ExternalSecret's: no label-only write.
    const unmanaged = inCluster(labelled, { team: 'a' });
    const foreign: GenericObject = {
      ...old,
      metadata: {
        ...old.metadata,
        ownerReferences: [
          {
            apiVersion: 'external-secrets.io/v1',
            kind: 'ExternalSecret',
            name: 'b',
            uid: 'u2',
            controller: true,
          },
        ],
      },
    };
    for (const o of [unmanaged, foreign]) {
      const r = await reconcileExternalSecret(
        synced,
        sharded(makeWorld({ 'ConfigMap/ns/app': o })),
        'relist',
      );
      expect(r.genericWrite === undefined || r.synced).toBe(true);
    }
  });

  it('puts a custom kind without template under spec.data; template literals go to their target paths, parsed as YAML', async () => {
    const plain = await reconcileExternalSecret(
      es({ manifest: { apiVersion: 'example.com/v1', kind: 'Widget' } }),
      makeWorld(),
      'create',
    );
    expect((plain.genericWrite as { body: GenericObject }).body.spec).toEqual({
      data: { user: 'app', pass: SECRET },
    });

    const templated = await reconcileExternalSecret(
      es({
        manifest: { apiVersion: 'example.com/v1', kind: 'Widget' },
        template: {
          metadata: { labels: { tier: 'db' } },
          data: { top: '{{ .user }}' },
          templateFrom: [
            {
              target: 'spec.database',
              literal:
                'host: db.local\nport: 5432\ncredentials:\n  user: "{{ .user }}"\n  password: "{{ .pass }}"',
            },
            { target: 'spec.replicas[1].name', literal: 'second' },
            { target: 'Annotations', literal: 'note: "{{ .user }}"' },
          ],
        },
      }),
      makeWorld(),
      'create',
    );
    const body = (templated.genericWrite as { body: GenericObject }).body;
    expect(body.spec).toEqual({
      database: { host: 'db.local', port: 5432, credentials: { user: 'app', password: SECRET } },
      replicas: [null, { name: 'second' }],
    });
    // As ESO's code: template.data goes to the object's top-level data, metadata is copied as is.
    expect(body.data).toEqual({ top: 'app' });
    expect(body.metadata.labels).toMatchObject({ tier: 'db', [MANAGED_LABEL]: 'true' });
    expect(body.metadata.labels?.team).toBeUndefined();
    expect(body.metadata.annotations).toMatchObject({ note: 'app' });
    expect(body.metadata.annotations?.[DATA_HASH_ANNOTATION]).toBe(contentHash(body));
  });

  it('refuses an object another ExternalSecret controls, and deletes only its own', async () => {
    const other: GenericObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'app',
        namespace: 'ns',
        uid: 'cm-1',
        ownerReferences: [
          {
            apiVersion: 'external-secrets.io/v1',
            kind: 'ExternalSecret',
            name: 'other',
            uid: 'u2',
            controller: true,
          },
        ],
      },
      data: { keep: 'me' },
    };
    const out = await reconcileExternalSecret(
      es({ manifest: CM }),
      makeWorld({ 'ConfigMap/ns/app': other }),
      'create',
    );
    expect(out.genericWrite).toBeUndefined();
    expect(out.status?.conditions?.[0]).toMatchObject({ status: 'False', reason: 'ResourceSyncedError' });
    expect(out.status?.conditions?.[0]?.message).toContain('controlled by ExternalSecret "other"');

    const empty = es({ manifest: CM, deletionPolicy: 'Delete' });
    empty.spec!.data = [];
    empty.spec!.dataFrom = [{ find: { name: { regexp: '^nothing$' } } }];
    const refused = await reconcileExternalSecret(empty, makeWorld({ 'ConfigMap/ns/app': other }), 'create');
    expect(refused.genericWrite).toBeUndefined();
    const mine: GenericObject = {
      ...other,
      metadata: {
        ...other.metadata,
        ownerReferences: [
          {
            apiVersion: 'external-secrets.io/v1',
            kind: 'ExternalSecret',
            name: 'app',
            uid: 'uid-1',
            controller: true,
          },
        ],
      },
    };
    const deleted = await reconcileExternalSecret(empty, makeWorld({ 'ConfigMap/ns/app': mine }), 'create');
    expect(deleted.genericWrite).toEqual({ op: 'delete', type: CONFIGMAPS, name: 'app', uid: 'cm-1' });
    expect(deleted.status?.conditions?.[0]).toMatchObject({ status: 'True', reason: 'ResourceDeleted' });
  });

  it('says how to enable generic targets, and names a kind the apiserver does not serve', async () => {
    const off = await reconcileExternalSecret(es({ manifest: CM }), makeWorld({}, false), 'create');
    expect(off.status?.conditions?.[0]?.message).toContain(GENERIC_DISABLED);
    expect(off.requeueAfterMs).toBeUndefined();
    const unknown = await reconcileExternalSecret(
      es({ manifest: { apiVersion: 'nope.io/v1', kind: 'Gadget' } }),
      makeWorld(),
      'create',
    );
    expect(unknown.status?.conditions?.[0]?.message).toContain('serves no kind Gadget in nope.io/v1');
    expect(unknown.requeueAfterMs).toBeGreaterThan(0);
    const own = await reconcileExternalSecret(
      es({ manifest: { apiVersion: 'generators.external-secrets.io/v1alpha1', kind: 'Password' } }),
      makeWorld(),
      'create',
    );
    expect(own.status?.conditions?.[0]?.message).toContain('cannot be a target');
  });

  it('merges into an existing object with Merge, and reports ResourceMissing (Ready=True, as ESO) when it is absent', async () => {
    const missing = await reconcileExternalSecret(
      es({ manifest: CM, creationPolicy: 'Merge' }),
      makeWorld(),
      'create',
    );
    expect(missing.genericWrite).toBeUndefined();
    expect(missing.status?.conditions?.[0]).toMatchObject({ status: 'True', reason: 'ResourceMissing' });
    const theirs: GenericObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'app', namespace: 'ns', uid: 'cm-1', resourceVersion: '3', labels: { own: 'x' } },
      data: { keep: 'me' },
    };
    const merged = await reconcileExternalSecret(
      es({ manifest: CM, creationPolicy: 'Merge', template: { data: { pass: '{{ .pass }}' } } }),
      makeWorld({ 'ConfigMap/ns/app': theirs }),
      'create',
    );
    const body = (merged.genericWrite as { body: GenericObject }).body;
    expect(merged.genericWrite?.op).toBe('replace');
    expect(body.data).toEqual({ keep: 'me', pass: SECRET });
    expect(body.metadata.labels).toMatchObject({ own: 'x', [MANAGED_LABEL]: 'true' });
    expect(body.metadata.ownerReferences).toBeUndefined();
  });
});

describe("ESO's ObjectHash text (Go's %+v of decoded JSON)", () => {
  it('prints maps sorted, lists, numbers, booleans and nil as Go does', () => {
    expect(goValueString({ b: 'x', a: [1, 'two', true, null], c: { z: 1.5, y: {} } })).toBe(
      'map[a:[1 two true <nil>] b:x c:map[y:map[] z:1.5]]',
    );
    expect(goValueString(1234567.5)).toBe('1.2345675e+06');
    expect(goValueString(0.00001)).toBe('1e-05');
    expect(goValueString(100000)).toBe('100000');
  });
});
