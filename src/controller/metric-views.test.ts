import { describe, expect, it } from '@jest/globals';
import type { ExternalSecret, KubeObject, SecretStore } from '../api/types.js';
import type { ExternalSecretView } from '../observability/scrape.js';
import type { ObjectCache } from '../runtime/cache.js';
import { objectViews } from './metric-views.js';

/** The two methods the views use, over a map. */
function cache<T extends KubeObject>(objects: Record<string, T>): ObjectCache<T> {
  return {
    keys: () => Object.keys(objects),
    values: () => Object.values(objects),
    get: (k: string) => objects[k],
  } as unknown as ObjectCache<T>;
}

const NOW = Date.parse('2026-12-01T12:00:00Z');

function es(name: string, spec: ExternalSecret['spec'], status?: ExternalSecret['status']): ExternalSecret {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name, namespace: 'ns', creationTimestamp: '2026-12-01T09:00:00Z' },
    spec,
    status,
  } as ExternalSecret;
}

const store = (controller?: string): SecretStore =>
  ({
    metadata: { name: 's', namespace: 'ns' },
    spec: { controller, provider: {} },
  }) as unknown as SecretStore;

function visit(
  externalSecrets: Record<string, ExternalSecret>,
  stores = { 'ns/s': store() },
): ExternalSecretView[] {
  const out: ExternalSecretView[] = [];
  objectViews(
    { externalSecrets: cache(externalSecrets), stores: cache(stores), clusterStores: cache({}) },
    { controllerClass: '', minRefreshIntervalMs: 10_000 },
  ).externalSecrets((v) => out.push(v));
  return out;
}

const overdueAt = (v: ExternalSecretView | undefined, t: number): boolean =>
  v?.overdueAfterMs !== undefined && t > v.overdueAfterMs;

describe('objectViews', () => {
  it('says Ready, reason and cause, and whether the last sync is older than twice the interval', () => {
    const ref = { name: 's' };
    const [synced, failing, overdue, manual] = visit({
      'ns/a': es(
        'a',
        { secretStoreRef: ref, refreshInterval: '1h' },
        {
          refreshTime: '2026-12-01T11:30:00Z',
          conditions: [{ type: 'Ready', status: 'True', reason: 'SecretSynced' }],
        },
      ),
      'ns/b': es(
        'b',
        { secretStoreRef: ref, refreshInterval: '1h' },
        {
          conditions: [
            { type: 'Ready', status: 'False', reason: 'SecretSyncedError', message: 'StoreNotFound: gone' },
          ],
        },
      ),
      'ns/c': es(
        'c',
        { secretStoreRef: ref, refreshInterval: '1m' },
        { refreshTime: '2026-12-01T11:57:59Z' },
      ),
      'ns/d': es('d', { secretStoreRef: ref, refreshPolicy: 'OnChange', refreshInterval: '1m' }),
    });
    expect(synced).toMatchObject({
      ready: 'True',
      reason: 'SecretSynced',
      cause: '',
      store: 's',
      storeKind: 'SecretStore',
    });
    expect(synced!.lastSyncMs).toBe(Date.parse('2026-12-01T11:30:00Z'));
    // Never synced, created three hours ago: overdue for a 1h interval.
    expect(failing).toMatchObject({
      ready: 'False',
      reason: 'SecretSyncedError',
      cause: 'StoreNotFound',
    });
    expect(overdueAt(synced, NOW)).toBe(false);
    expect(overdueAt(failing, NOW)).toBe(true);
    expect(failing!.overdueAfterMs).toBe(Date.parse('2026-12-01T11:00:00Z'));
    expect(overdue).toMatchObject({ ready: 'Unknown' });
    expect(overdueAt(overdue, NOW)).toBe(true);
    expect(manual!.overdueAfterMs).toBeUndefined();
  });

  it('floors the interval and leaves out what another controller class serves', () => {
    const floored = es(
      'a',
      { secretStoreRef: { name: 's' }, refreshInterval: '1s' },
      { refreshTime: '2026-12-01T11:59:45Z' },
    );
    // 10 s floor: overdue 20 s after the sync, not 2 s.
    expect(visit({ 'ns/a': floored })[0]!.overdueAfterMs).toBe(Date.parse('2026-12-01T12:00:05Z'));
    expect(visit({ 'ns/a': floored }, { 'ns/s': store('other') })).toEqual([]);
  });

  it('builds a view once per object version', () => {
    const a = es('a', { secretStoreRef: { name: 's' } });
    const objects: Record<string, ExternalSecret> = { 'ns/a': a };
    const views = objectViews(
      { externalSecrets: cache(objects), stores: cache({ 'ns/s': store() }), clusterStores: cache({}) },
      { controllerClass: '', minRefreshIntervalMs: 0 },
    );
    const seen: ExternalSecretView[] = [];
    views.externalSecrets((v) => seen.push(v));
    views.externalSecrets((v) => seen.push(v));
    objects['ns/a'] = es(
      'a',
      { secretStoreRef: { name: 's' } },
      { conditions: [{ type: 'Ready', status: 'True' }] },
    );
    views.externalSecrets((v) => seen.push(v));
    expect(seen[1]).toBe(seen[0]);
    expect(seen[2]).not.toBe(seen[0]);
    expect(seen[2]!.ready).toBe('True');
  });
});
