// A cache whose namespace scopes follow another cache's objects: one reflector per namespace
// that holds at least one of them, started with the first and stopped with the last. For a
// kind the operator must watch only where its own objects are (a sharded replica's PushSecret
// sources: any Secret of the namespace, which no label of ours can select), so that the watch
// costs that replica's share and not the cluster's.

import type { KubeObject } from '../api/types.js';
import type { ObjectCache } from './cache.js';
import type { Reflector } from './watch.js';

export interface FollowNamespacesOptions<T extends KubeObject, L extends KubeObject> {
  /** The objects whose namespaces are watched. */
  leader: ObjectCache<L>;
  /** Gains and loses a reflector per namespace. */
  follower: ObjectCache<T>;
  reflectorFor(namespace: string): Reflector<T>;
  /** A reflector that failed to stop (its loop has ended anyway). */
  onError?(namespace: string, e: unknown): void;
}

/** Namespaces followed now, for tests and metrics. */
export interface FollowedNamespaces {
  namespaces(): string[];
}

export function followNamespaces<T extends KubeObject, L extends KubeObject>(
  o: FollowNamespacesOptions<T, L>,
): FollowedNamespaces {
  const scopes = new Map<string, { objects: number; reflector: Reflector<T> }>();
  o.leader.onAdd((obj) => {
    const ns = obj.metadata.namespace ?? '';
    const scope = scopes.get(ns);
    if (scope) {
      scope.objects++;
      return;
    }
    const reflector = o.reflectorFor(ns);
    scopes.set(ns, { objects: 1, reflector });
    o.follower.addReflector(reflector);
  });
  o.leader.onDelete((obj) => {
    const ns = obj.metadata.namespace ?? '';
    const scope = scopes.get(ns);
    if (!scope || --scope.objects > 0) return;
    scopes.delete(ns);
    o.follower.removeReflector(scope.reflector).catch((e: unknown) => o.onError?.(ns, e));
  });
  return { namespaces: () => [...scopes.keys()] };
}
