// The objects of one kind as the controllers see them: the watch caches of every namespace
// scope, overlaid with the answers of the operator's own writes until the watch delivers them.
//
// Why the overlay (read-your-writes): a reconcile that runs again right after a status patch
// or a Secret apply, before the watch event arrives, must see what it wrote. Otherwise it
// would decide from the old status (sync again, write again) or miss the Secret it created.
// An entry leaves the overlay as soon as the watch delivers that version or a newer one, so
// the overlay holds only writes in flight.

import type { KubeObject } from '../api/types.js';
import { storeKey } from './watch.js';
import type { Reflector } from './watch.js';
import type { AddHandler, DeleteHandler, UpdateHandler } from './watch.js';

/** The newer of two versions of one object by resourceVersion (an etcd revision in every real apiserver). */
export function newer<T extends KubeObject>(a: T | undefined, b: T | undefined): T | undefined {
  if (!a) return b;
  if (!b) return a;
  const ra = Number(a.metadata.resourceVersion);
  const rb = Number(b.metadata.resourceVersion);
  if (!Number.isFinite(ra) || !Number.isFinite(rb)) return a;
  return rb >= ra ? b : a;
}

function addHandler<T extends KubeObject>(
  r: Reflector<T>,
  h: AddHandler<T>,
  afterList: boolean,
): AddHandler<T> {
  return afterList
    ? (o) => {
        if (r.hasSynced()) h(o);
      }
    : h;
}

/**
 * Drops managedFields (often the largest part of a cached object). A copy, not `delete`: a
 * deleted property turns the object into a slow dictionary, about 450 bytes more per object.
 */
export function stripManagedFields<T extends KubeObject>(o: T): T {
  if (!o.metadata.managedFields) return o;
  const { managedFields: _dropped, ...metadata } = o.metadata;
  return { ...o, metadata };
}

export class ObjectCache<T extends KubeObject> {
  private readonly writes = new Map<string, T>();
  private readonly reflectors: Reflector<T>[] = [];
  /** Handlers registered so far, given to a reflector added later too. */
  private readonly handlers: {
    add: { h: AddHandler<T>; afterList: boolean }[];
    update: UpdateHandler<T>[];
    delete: DeleteHandler<T>[];
  } = { add: [], update: [], delete: [] };
  private started = false;

  constructor(reflectors: readonly Reflector<T>[]) {
    for (const r of reflectors) this.attach(r);
  }

  private attach(r: Reflector<T>): void {
    // Registered first, so every later handler already sees the overlay caught up.
    r.onAdd((o) => this.catchUp(o));
    r.onUpdate((_old, o) => this.catchUp(o));
    r.onDelete((o) => this.writes.delete(storeKey(o)));
    for (const a of this.handlers.add) r.onAdd(addHandler(r, a.h, a.afterList));
    for (const h of this.handlers.update) r.onUpdate(h);
    for (const h of this.handlers.delete) r.onDelete(h);
    this.reflectors.push(r);
  }

  /**
   * A scope joins while the cache runs (a namespace that gained work): it gets every handler
   * registered so far and starts if the cache has. Its initial list counts as adds, as any
   * list does.
   */
  addReflector(r: Reflector<T>): void {
    this.attach(r);
    if (this.started) r.start();
  }

  /**
   * A scope leaves: its objects leave the cache without delete events (they did not go from the
   * cluster; what watched them no longer needs them).
   */
  async removeReflector(r: Reflector<T>): Promise<void> {
    const i = this.reflectors.indexOf(r);
    if (i < 0) return;
    this.reflectors.splice(i, 1);
    for (const key of r.store.keys()) this.writes.delete(key);
    await r.stop();
  }

  /** The watched object under `key` (namespace/name, or name), or our newer write of it. */
  get(key: string): T | undefined {
    const watched = this.watched(key);
    return watched ? newer(watched, this.writes.get(key)) : undefined;
  }

  /** Like get(), but also an object we wrote that the watch has not delivered yet (a create). */
  latest(key: string): T | undefined {
    return newer(this.watched(key), this.writes.get(key));
  }

  /** The watch's own copy, without our writes. */
  watched(key: string): T | undefined {
    for (const r of this.reflectors) {
      const o = r.store.get(key);
      if (o) return o;
    }
    return undefined;
  }

  /** Our write of `key`, while the watch has not delivered it. */
  written(key: string): T | undefined {
    return this.writes.get(key);
  }

  /** Records the apiserver's answer to our own write, visible to get() until the watch catches up. */
  wrote(obj: T): void {
    this.writes.set(storeKey(obj), obj);
  }

  forgetWrite(key: string): void {
    this.writes.delete(key);
  }

  *keys(): IterableIterator<string> {
    for (const r of this.reflectors) yield* r.store.keys();
  }

  /**
   * Every watched object as get() returns it, without a lookup per key: a scrape walks 50,000
   * of them, and the overlay of our own writes is almost always empty.
   */
  *values(): IterableIterator<T> {
    for (const r of this.reflectors) {
      if (this.writes.size === 0) yield* r.store.values();
      else for (const [key, o] of r.store.entries()) yield newer(o, this.writes.get(key))!;
    }
  }

  get size(): number {
    let n = 0;
    for (const r of this.reflectors) n += r.store.size;
    return n;
  }

  /**
   * `afterList`: only objects that arrive after their own scope's first list (a scope added
   * later lists while the others watch; their new objects must not wait for that list).
   */
  onAdd(h: AddHandler<T>, opts: { afterList?: boolean } = {}): void {
    const afterList = !!opts.afterList;
    this.handlers.add.push({ h, afterList });
    for (const r of this.reflectors) r.onAdd(addHandler(r, h, afterList));
  }

  onUpdate(h: UpdateHandler<T>): void {
    this.handlers.update.push(h);
    for (const r of this.reflectors) r.onUpdate(h);
  }

  onDelete(h: DeleteHandler<T>): void {
    this.handlers.delete.push(h);
    for (const r of this.reflectors) r.onDelete(h);
  }

  hasSynced(): boolean {
    return this.reflectors.every((r) => r.hasSynced());
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    for (const r of this.reflectors) r.start();
  }

  async waitForSync(signal?: AbortSignal): Promise<void> {
    await Promise.all(this.reflectors.map((r) => r.waitForSync(signal)));
  }

  /** Every reflector lists again (see Reflector.relist): after its transform's choice changed. */
  async relist(): Promise<void> {
    await Promise.all(this.reflectors.map((r) => r.relist()));
  }

  async stop(): Promise<void> {
    this.started = false;
    await Promise.all(this.reflectors.map((r) => r.stop()));
  }

  private catchUp(seen: T): void {
    const key = storeKey(seen);
    const w = this.writes.get(key);
    if (w && newer(w, seen) === seen) this.writes.delete(key);
  }
}
