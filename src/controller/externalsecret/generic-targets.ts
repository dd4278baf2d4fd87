// The operator's side of target.manifest of another kind: the kind's REST resource (discovery,
// cached), a watch per kind of the objects Syncret manages there (the managed label, as for
// Secrets; started with the first ExternalSecret that targets the kind), reads from that watch
// with a GET only for objects it does not hold, and the writes (create, replace, delete).
//
// The watch is what runs an ExternalSecret again when its object is edited or deleted (drift),
// and what keeps steady-state reconciles free of requests: ESO registers an informer per kind
// the same way (informer_manager.go).

import { Discovery } from '../../kube/discovery.js';
import { isKubeApiError } from '../../kube/types.js';
import type { KubeApi, ResourceType } from '../../kube/types.js';
import type { ObjectCache } from '../../runtime/cache.js';
import type { GenericObject, GenericWrite } from './manifest.js';
import type { GenericTargetsLike } from './world.js';

export interface GenericTargetsOptions {
  api: KubeApi;
  /** A cache of `type`'s objects with the managed label, one reflector per watched namespace. */
  newCache(type: ResourceType): ObjectCache<GenericObject>;
  discovery?: Discovery;
}

const typeKey = (t: ResourceType) => `${t.group}/${t.version}/${t.resource}`;

export class GenericTargets implements GenericTargetsLike {
  private readonly discovery: Discovery;
  private readonly caches = new Map<string, { type: ResourceType; cache: ObjectCache<GenericObject> }>();
  private readonly listeners: ((type: ResourceType, cache: ObjectCache<GenericObject>) => void)[] = [];
  private stopped = false;

  constructor(private readonly o: GenericTargetsOptions) {
    this.discovery = o.discovery ?? new Discovery(o.api);
  }

  /** Told of each kind's cache when it starts (the controller watches it for drift). */
  onCache(h: (type: ResourceType, cache: ObjectCache<GenericObject>) => void): void {
    this.listeners.push(h);
    for (const { type, cache } of this.caches.values()) h(type, cache);
  }

  resolve(apiVersion: string, kind: string, signal: AbortSignal): Promise<ResourceType | undefined> {
    return this.discovery.resourceFor(apiVersion, kind, signal);
  }

  private cacheOf(type: ResourceType): ObjectCache<GenericObject> {
    const key = typeKey(type);
    const known = this.caches.get(key);
    if (known) return known.cache;
    const cache = this.o.newCache(type);
    this.caches.set(key, { type, cache });
    for (const h of this.listeners) h(type, cache);
    if (!this.stopped) cache.start();
    return cache;
  }

  async get(
    type: ResourceType,
    namespace: string,
    name: string,
    signal: AbortSignal,
  ): Promise<GenericObject | undefined> {
    const cache = this.cacheOf(type);
    const key = `${namespace}/${name}`;
    // Before the watch has listed, or for an object without the managed label: ask.
    if (cache.hasSynced()) {
      const cached = cache.latest(key);
      if (cached) return cached;
    }
    try {
      return await this.o.api.get<GenericObject>({ type, namespace, name }, signal);
    } catch (e) {
      if (isKubeApiError(e) && e.notFound) return undefined;
      throw e;
    }
  }

  /** Executes a write; the answer is visible to the next reconcile before the watch delivers it. */
  async write(namespace: string, w: GenericWrite, signal: AbortSignal): Promise<void> {
    const ref = { type: w.type, namespace, name: w.name };
    const cache = this.cacheOf(w.type);
    if (w.op === 'delete') {
      try {
        await this.o.api.delete(ref, { preconditionUid: w.uid, signal });
      } catch (e) {
        if (!(isKubeApiError(e) && e.notFound)) throw e;
      }
      cache.forgetWrite(`${namespace}/${w.name}`);
      return;
    }
    const res =
      w.op === 'create'
        ? await this.o.api.create<GenericObject>({ type: w.type, namespace }, w.body, signal)
        : await this.o.api.replace<GenericObject>(ref, w.body, signal);
    cache.wrote(res);
  }

  /** Objects held per kind, as syncret_cached_objects' cache label: managed_<resource>[.<group>]. */
  sizes(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const { type, cache } of this.caches.values())
      out[`managed_${type.resource}${type.group ? `.${type.group}` : ''}`] = cache.size;
    return out;
  }

  /** Every kind's cache, for the manager's shutdown. */
  all(): ObjectCache<GenericObject>[] {
    return [...this.caches.values()].map((c) => c.cache);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.all().map((c) => c.stop()));
  }
}
