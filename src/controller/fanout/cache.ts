// What a fan-out controller keeps of the child kind when it has a cache of its own (sharded
// mode: the assigner watches every ExternalSecret or PushSecret of the cluster, not a share).
// Its reconcile and watches read, of a child (controller reference names a parent of the kind):
// name, namespace, uid, generation, labels, annotations, owner references, deletionTimestamp
// and the spec (planChildren, childPatch, watchChildren); never the status. Of any other
// object of that kind only that one exists under its name (a conflict: never overwritten), so
// a stub is enough: the store key, the uid (the reflector tells a replaced object by it) and the
// resourceVersion (the relist's change test, the read-your-writes overlay).

import type { KubeObject } from '../../api/types.js';
import type { Interner } from '../../runtime/intern.js';
import type { AnyFanout } from './children.js';
import { parentName } from './children.js';

/** Only what tells a foreign object of the child kind apart: it exists, under this name. */
export function childStub<C extends KubeObject>(o: C, interner?: Interner): C {
  const m = o.metadata;
  return {
    metadata: {
      name: m.name,
      // Thousands of objects share a few namespaces.
      namespace: interner ? interner.str(m.namespace) : m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
    },
  } as C;
}

/** A child without what the fan-out never reads (status, managedFields). */
export function slimChild<C extends KubeObject & { spec?: unknown; status?: unknown }>(o: C): C {
  const { managedFields: _m, ...metadata } = o.metadata;
  const { status: _s, ...rest } = o;
  return { ...rest, metadata } as C;
}

/** The children cache's transform: whole children (less status), stubs for everything else. */
export function fanoutChildTransform<C extends KubeObject>(
  kind: AnyFanout,
  interner?: Interner,
): (o: C) => C {
  return (o) => (parentName(kind, o) === undefined ? childStub(o, interner) : slimChild(o));
}
