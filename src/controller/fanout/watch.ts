// Which namespace and child events run which parents of a fan-out kind. Every mapping reads
// the caches only; a child written by the run that wanted it maps to nothing.
//
//   Namespace   added → the parents that select it · labels → those whose selection changed ·
//               deletion started or gone → those that selected or provisioned it
//   child       no longer as its parent wants it (edited, ownership changed) → its parent ·
//               deleted → its parent, and the parents that want that name in its namespace
//               (a foreign child that went frees the namespace)

import type { KubeObject, Namespace } from '../../api/types.js';
import type { ObjectCache } from '../../runtime/cache.js';
import { jsonEqual } from '../../runtime/conditions.js';
import type { Controller } from '../../runtime/controller.js';
import { ReverseIndex } from '../../runtime/reverse-index.js';
import { childPatch, parentName, selects } from './children.js';
import type { FanoutKind } from './children.js';

type Parent = KubeObject & { status?: { provisionedNamespaces?: string[] } };

/** Keys of the parents for which `test` holds. */
export function matching<P extends KubeObject>(cache: ObjectCache<P>, test: (p: P) => boolean): string[] {
  const out: string[] = [];
  for (const key of cache.keys()) {
    const p = cache.get(key);
    if (p && test(p)) out.push(key);
  }
  return out;
}

/** Children by the parent that controls them. */
export function childIndex<C extends KubeObject>(
  kind: FanoutKind<KubeObject, C>,
  children: ObjectCache<C>,
): ReverseIndex<C> {
  return new ReverseIndex<C>((c) => {
    const owner = parentName(kind, c);
    return owner === undefined ? [] : [owner];
  }).attach(children);
}

export function watchNamespaces<P extends Parent>(
  controller: Controller<P, unknown>,
  kind: FanoutKind<P, KubeObject>,
  parents: ObjectCache<P>,
  namespaces: ObjectCache<Namespace>,
  /** Another reason a namespace change concerns a parent (ClusterExternalSecret: ESO's finalizer). */
  also?: (old: Namespace | undefined, ns: Namespace, p: P) => boolean,
): void {
  controller.watch({
    cache: namespaces,
    reason: 'drift',
    onAdd: (ns) => matching(parents, (p) => selects(kind, p, ns)),
    onUpdate: (old, ns) => {
      const relabelled = !jsonEqual(old.metadata.labels, ns.metadata.labels);
      const deleting = !old.metadata.deletionTimestamp && !!ns.metadata.deletionTimestamp;
      if (!relabelled && !deleting && jsonEqual(old.metadata.finalizers, ns.metadata.finalizers))
        return undefined;
      return matching(
        parents,
        (p) =>
          (relabelled && selects(kind, p, old) !== selects(kind, p, ns)) ||
          (deleting && selects(kind, p, ns)) ||
          !!also?.(old, ns, p),
      );
    },
    onDelete: (ns) =>
      matching(
        parents,
        (p) => selects(kind, p, ns) || !!p.status?.provisionedNamespaces?.includes(ns.metadata.name ?? ''),
      ),
  });
}

export function watchChildren<P extends Parent, C extends KubeObject & { spec?: object }>(
  controller: Controller<P, unknown>,
  kind: FanoutKind<P, C>,
  parents: ObjectCache<P>,
  children: ObjectCache<C>,
  namespaces: ObjectCache<Namespace>,
): void {
  const byChildName = new ReverseIndex<P>((p) => [kind.childName(p)]).attach(parents);
  // The parent, unless the child is exactly what it wants where it is (e.g. just written by it).
  const ownerIfOff = (c: C): string | undefined => {
    const owner = parentName(kind, c);
    const p = owner === undefined ? undefined : parents.get(owner);
    if (!p || owner === undefined) return undefined;
    const ns = namespaces.get(c.metadata.namespace ?? '');
    const wanted = !!ns && selects(kind, p, ns) && c.metadata.name === kind.childName(p);
    return wanted && !childPatch(kind, p, c) ? undefined : owner;
  };
  controller.watch({
    cache: children,
    reason: 'drift',
    onAdd: ownerIfOff,
    onUpdate: (old, c) => {
      const before = parentName(kind, old);
      const after = parentName(kind, c);
      if (before !== after) return [before, after].filter((k): k is string => k !== undefined);
      const m = (x: C) => [x.metadata.generation, x.metadata.labels, x.metadata.annotations];
      const refs = (x: C) => x.metadata.ownerReferences;
      if (jsonEqual(m(old), m(c)) && jsonEqual(refs(old), refs(c))) return undefined;
      return ownerIfOff(c);
    },
    onDelete: (c) => {
      const ns = namespaces.get(c.metadata.namespace ?? '');
      const keys = new Set<string>();
      const owner = parentName(kind, c);
      if (owner !== undefined && parents.get(owner)) keys.add(owner);
      for (const key of byChildName.keysFor(c.metadata.name ?? '')) {
        const p = parents.get(key);
        if (p && ns && selects(kind, p, ns)) keys.add(key);
      }
      return keys;
    },
  });
}
