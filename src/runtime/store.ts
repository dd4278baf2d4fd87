// The store a reflector keeps (by `namespace/name`) and the handler types it calls.

import type { KubeObject } from '../api/types.js';

export interface ReadonlyStore<T> {
  /** By `namespace/name`, or `name` for cluster-scoped objects. */
  get(key: string): T | undefined;
  list(): T[];
  keys(): IterableIterator<string>;
  values(): IterableIterator<T>;
  entries(): IterableIterator<[string, T]>;
  readonly size: number;
  /** The resourceVersion of the last list, event or bookmark applied. */
  readonly resourceVersion: string;
}

export type AddHandler<T> = (obj: T) => void;
export type UpdateHandler<T> = (oldObj: T, newObj: T) => void;
export type DeleteHandler<T> = (obj: T) => void;

export function storeKey(o: KubeObject): string {
  const name = o.metadata?.name ?? '';
  return o.metadata?.namespace ? `${o.metadata.namespace}/${name}` : name;
}

export class ObjectStore<T extends KubeObject> implements ReadonlyStore<T> {
  items = new Map<string, T>();
  resourceVersion = '';
  get(key: string): T | undefined {
    return this.items.get(key);
  }
  list(): T[] {
    return [...this.items.values()];
  }
  keys(): IterableIterator<string> {
    return this.items.keys();
  }
  values(): IterableIterator<T> {
    return this.items.values();
  }
  entries(): IterableIterator<[string, T]> {
    return this.items.entries();
  }
  get size(): number {
    return this.items.size;
  }
}
