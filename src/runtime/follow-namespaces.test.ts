import { describe, expect, it } from '@jest/globals';
import type { KubeObject } from '../api/types.js';
import type { ObjectCache } from './cache.js';
import { followNamespaces } from './follow-namespaces.js';
import type { Reflector } from './watch.js';

/** The leader's side: a cache whose add and delete handlers the test calls. */
function leaderCache() {
  const handlers = { add: [] as ((o: KubeObject) => void)[], del: [] as ((o: KubeObject) => void)[] };
  const cache = {
    onAdd: (h: (o: KubeObject) => void) => handlers.add.push(h),
    onDelete: (h: (o: KubeObject) => void) => handlers.del.push(h),
  } as unknown as ObjectCache<KubeObject>;
  const o = (namespace: string, name: string): KubeObject => ({ metadata: { namespace, name } });
  return {
    cache,
    add: (ns: string, name: string) => handlers.add.forEach((h) => h(o(ns, name))),
    del: (ns: string, name: string) => handlers.del.forEach((h) => h(o(ns, name))),
  };
}

describe('followNamespaces', () => {
  it('watches a namespace from its first object to its last, one reflector each', async () => {
    const leader = leaderCache();
    const made: string[] = [];
    const stopped: string[] = [];
    const added: string[] = [];
    const follower = {
      addReflector: (r: { ns: string }) => added.push(r.ns),
      removeReflector: async (r: { ns: string }) => void stopped.push(r.ns),
    } as unknown as ObjectCache<KubeObject>;
    const followed = followNamespaces({
      leader: leader.cache,
      follower,
      reflectorFor: (ns) => {
        made.push(ns);
        return { ns } as unknown as Reflector<KubeObject>;
      },
    });
    leader.add('a', 'p1');
    leader.add('a', 'p2');
    leader.add('b', 'p1');
    expect(made).toEqual(['a', 'b']);
    expect(added).toEqual(['a', 'b']);
    leader.del('a', 'p1');
    expect(stopped).toEqual([]);
    leader.del('a', 'p2');
    expect(stopped).toEqual(['a']);
    expect(followed.namespaces()).toEqual(['b']);
    leader.add('a', 'p3'); // back: a new reflector
    expect(made).toEqual(['a', 'b', 'a']);
    leader.del('c', 'never-seen');
    expect(followed.namespaces().sort()).toEqual(['a', 'b']);
  });

  it('reports a reflector that fails to stop, and goes on', async () => {
    const leader = leaderCache();
    const errors: string[] = [];
    const follower = {
      addReflector: () => undefined,
      removeReflector: async () => {
        throw new Error('stuck');
      },
    } as unknown as ObjectCache<KubeObject>;
    const followed = followNamespaces({
      leader: leader.cache,
      follower,
      reflectorFor: () => ({}) as Reflector<KubeObject>,
      onError: (ns, e) => errors.push(`${ns}: ${(e as Error).message}`),
    });
    leader.add('a', 'p');
    leader.del('a', 'p');
    await new Promise((r) => setImmediate(r));
    expect(errors).toEqual(['a: stuck']);
    expect(followed.namespaces()).toEqual([]);
  });
});
