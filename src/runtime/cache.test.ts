import { describe, expect, it } from '@jest/globals';
import type { KubeObject } from '../api/types.js';
import { ObjectCache, newer, stripManagedFields } from './cache.js';
import { ReverseIndex } from './reverse-index.js';
import type { Reflector } from './watch.js';

/** A reflector stand-in: a store and handlers, driven by the test. */
function fakeReflector<T extends KubeObject>() {
  const items = new Map<string, T>();
  const handlers = {
    add: [] as ((o: T) => void)[],
    update: [] as ((a: T, b: T) => void)[],
    del: [] as ((o: T) => void)[],
  };
  const key = (o: T) => `${o.metadata.namespace}/${o.metadata.name}`;
  const r = {
    store: {
      get: (k: string) => items.get(k),
      keys: () => items.keys(),
      get size() {
        return items.size;
      },
    },
    onAdd: (h: (o: T) => void) => handlers.add.push(h),
    onUpdate: (h: (a: T, b: T) => void) => handlers.update.push(h),
    onDelete: (h: (o: T) => void) => handlers.del.push(h),
    hasSynced: () => synced,
    start: () => void (calls.started += 1),
    stop: async () => void (calls.stopped += 1),
  };
  let synced = true;
  const calls = { started: 0, stopped: 0 };
  return {
    reflector: r as unknown as Reflector<T>,
    calls,
    listing(on: boolean) {
      synced = !on;
    },
    put(o: T) {
      const prev = items.get(key(o));
      items.set(key(o), o);
      if (prev) for (const h of handlers.update) h(prev, o);
      else for (const h of handlers.add) h(o);
    },
    del(o: T) {
      items.delete(key(o));
      for (const h of handlers.del) h(o);
    },
  };
}

const obj = (
  name: string,
  rv: string,
  extra: Record<string, unknown> = {},
): KubeObject & Record<string, unknown> => ({
  metadata: { name, namespace: 'ns', resourceVersion: rv },
  ...extra,
});

describe('ObjectCache', () => {
  it('shows our write until the watch delivers that version or a newer one', () => {
    const f = fakeReflector<KubeObject & Record<string, unknown>>();
    const cache = new ObjectCache([f.reflector]);
    f.put(obj('a', '10'));
    cache.wrote(obj('a', '12', { status: 'mine' }));
    expect(cache.get('ns/a')?.status).toBe('mine');
    f.put(obj('a', '11'));
    expect(cache.get('ns/a')?.status).toBe('mine');
    f.put(obj('a', '12', { status: 'watched' }));
    expect(cache.get('ns/a')?.status).toBe('watched');
    expect(cache.written('ns/a')).toBeUndefined();
  });

  it('get() needs the watch to know the object; latest() also sees a create not yet delivered', () => {
    const f = fakeReflector<KubeObject>();
    const cache = new ObjectCache([f.reflector]);
    cache.wrote(obj('new', '5'));
    expect(cache.get('ns/new')).toBeUndefined();
    expect(cache.latest('ns/new')?.metadata.resourceVersion).toBe('5');
    f.put(obj('new', '5'));
    f.del(obj('new', '6'));
    expect(cache.latest('ns/new')).toBeUndefined();
  });

  it('spans namespace scopes', () => {
    const a = fakeReflector<KubeObject>();
    const b = fakeReflector<KubeObject>();
    const cache = new ObjectCache([a.reflector, b.reflector]);
    a.put({ metadata: { name: 'x', namespace: 'one', resourceVersion: '1' } });
    b.put({ metadata: { name: 'y', namespace: 'two', resourceVersion: '2' } });
    expect([...cache.keys()].sort()).toEqual(['one/x', 'two/y']);
    expect(cache.size).toBe(2);
    expect(cache.watched('two/y')?.metadata.name).toBe('y');
  });
});

describe('newer and stripManagedFields', () => {
  it('compares resourceVersions numerically and keeps the first when they are not numbers', () => {
    expect(newer(obj('a', '9'), obj('a', '10'))?.metadata.resourceVersion).toBe('10');
    expect(newer(obj('a', 'x'), obj('a', '10'))?.metadata.resourceVersion).toBe('x');
    expect(newer(undefined, obj('a', '1'))?.metadata.resourceVersion).toBe('1');
  });
  it('drops managedFields without touching the input', () => {
    const o = { metadata: { name: 'a', managedFields: [{}] } };
    expect(stripManagedFields(o).metadata).toEqual({ name: 'a' });
    expect(o.metadata.managedFields).toHaveLength(1);
  });
});

describe('ReverseIndex', () => {
  it('maps values to referrers as objects come, change and go', () => {
    const f = fakeReflector<KubeObject & { refs: string[] }>();
    const cache = new ObjectCache([f.reflector]);
    const index = new ReverseIndex<KubeObject & { refs: string[] }>((o) => o.refs).attach(cache);
    const o = (name: string, refs: string[]) => ({ metadata: { name, namespace: 'ns' }, refs });
    f.put(o('a', ['s1', 's2', 's1']));
    f.put(o('b', ['s1']));
    expect([...index.keysFor('s1')].sort()).toEqual(['ns/a', 'ns/b']);
    expect([...index.keysFor('s2')]).toEqual(['ns/a']);
    f.put(o('a', ['s3']));
    expect([...index.keysFor('s1')]).toEqual(['ns/b']);
    expect([...index.keysFor('s2')]).toEqual([]);
    f.del(o('b', ['s1']));
    expect([...index.keysFor('s1')]).toEqual([]);
    expect([...index.entries()].map(([v, k]) => [v, [...k]])).toEqual([['s3', ['ns/a']]]);
  });

  it('takes scopes while it runs: a new one gets every handler and starts; one that leaves takes its objects along', async () => {
    const first = fakeReflector<KubeObject>();
    const cache = new ObjectCache<KubeObject>([first.reflector]);
    const seen: string[] = [];
    cache.onAdd((o) => seen.push(`add ${o.metadata.name}`));
    cache.onAdd((o) => seen.push(`news ${o.metadata.name}`), { afterList: true });
    cache.onDelete((o) => seen.push(`del ${o.metadata.name}`));
    cache.start();
    expect(first.calls.started).toBe(1);
    cache.start(); // once
    expect(first.calls.started).toBe(1);

    const later = fakeReflector<KubeObject>();
    cache.addReflector(later.reflector);
    expect(later.calls.started).toBe(1);
    // Its first list: adds, but no news; the scope that watched already still has news.
    later.listing(true);
    later.put({ metadata: { name: 'listed', namespace: 'b' } });
    first.put({ metadata: { name: 'meanwhile', namespace: 'a' } });
    later.listing(false);
    later.put({ metadata: { name: 'new', namespace: 'b' } });
    expect(seen).toEqual(['add listed', 'add meanwhile', 'news meanwhile', 'add new', 'news new']);
    expect(cache.size).toBe(3);
    cache.wrote({ metadata: { name: 'new', namespace: 'b', resourceVersion: '9' } });

    seen.length = 0;
    await cache.removeReflector(later.reflector);
    expect(later.calls.stopped).toBe(1);
    expect(cache.size).toBe(1);
    expect(cache.get('b/new')).toBeUndefined();
    expect(cache.written('b/new')).toBeUndefined();
    expect(seen).toEqual([]); // gone from the cache, not from the cluster
    expect(cache.hasSynced()).toBe(true);
  });
});
