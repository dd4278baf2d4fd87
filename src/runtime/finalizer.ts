// Finalizers, the way kube-rs's `finalizer` helper does them: the finalizer is added before
// the reconcile may make a side effect that deletion must undo (issue a lease, write into a
// backend), cleanup runs once the object is being deleted, and the finalizer goes when the
// cleanup is done or the object no longer needs it. A finalizer added after the side effect
// would leave a window in which a deletion skips the cleanup.

import type { KubeObject } from '../api/types.js';
import type { KubeApi, ResourceType } from '../kube/types.js';
import type { ObjectCache } from './cache.js';
import type { QueueResult } from './queue.js';

export interface FinalizerSpec<T extends KubeObject> {
  name: string;
  /** Whether the object needs the finalizer: it may make (or has made) side effects to undo. */
  wanted(obj: T): boolean;
  /**
   * Undoes the side effects of an object being deleted. Returns undefined when done (the
   * finalizer goes), or the queue result to try again with.
   */
  cleanup(obj: T, signal: AbortSignal): Promise<QueueResult | undefined>;
}

export function hasFinalizer(obj: KubeObject, name: string): boolean {
  return (obj.metadata.finalizers ?? []).includes(name);
}

/** Writes finalizers with the object's resourceVersion: a compare-and-swap, so no other writer's finalizer is lost. */
export class Finalizers<T extends KubeObject> {
  constructor(
    private readonly o: { api: KubeApi; type: ResourceType; cache: ObjectCache<T>; signal: AbortSignal },
  ) {}

  async add(obj: T, name: string): Promise<T> {
    if (hasFinalizer(obj, name)) return obj;
    return this.patch(obj, [...(obj.metadata.finalizers ?? []), name]);
  }

  async remove(obj: T, name: string): Promise<T> {
    if (!hasFinalizer(obj, name)) return obj;
    return this.patch(
      obj,
      (obj.metadata.finalizers ?? []).filter((f) => f !== name),
    );
  }

  private async patch(obj: T, finalizers: string[]): Promise<T> {
    const res = await this.o.api.mergePatch<T>(
      { type: this.o.type, namespace: obj.metadata.namespace, name: obj.metadata.name },
      { metadata: { finalizers, resourceVersion: obj.metadata.resourceVersion } },
      this.o.signal,
    );
    this.o.cache.wrote(res);
    return res;
  }
}
