// A reverse index over a cache: from a value an object refers to (a store, a target Secret,
// a generator) to the keys of the objects that refer to it. Watch handlers of the referenced
// kind use it to find whom a change affects without scanning every object.
//
// Compact on purpose: almost every value has one referrer and almost every object one value,
// so a lone string stands where a Set or an array would cost ~200 bytes per object.

import type { KubeObject } from '../api/types.js';
import type { ObjectCache } from './cache.js';
import { Interner } from './intern.js';
import { storeKey } from './watch.js';

type One<T> = T | T[];

export class ReverseIndex<T extends KubeObject> {
  private readonly byValue = new Map<string, string | Set<string>>();
  private readonly valuesOf = new Map<string, One<string>>();
  /**
   * With `intern`, for values that repeat across objects (10,000 ExternalSecrets of one store
   * name it 10,000 times, each a string valuesFn built anew): one copy each (a heap snapshot:
   * 0.4 MiB at 10,000). Not for unique values (target names), which would only fill the table.
   */
  private readonly interner?: Interner;

  /** `valuesFn` lists what an object refers to; none is fine. */
  constructor(
    private readonly valuesFn: (obj: T) => readonly string[],
    opts: { intern?: boolean } = {},
  ) {
    if (opts.intern) this.interner = new Interner();
  }

  /** Keeps the index in step with the cache; attach before handlers that read it. */
  attach(cache: ObjectCache<T>): this {
    cache.onAdd((o) => this.set(storeKey(o), o));
    cache.onUpdate((_old, o) => this.set(storeKey(o), o));
    cache.onDelete((o) => this.remove(storeKey(o)));
    return this;
  }

  set(key: string, obj: T): void {
    this.remove(key);
    const interner = this.interner;
    let values = [...new Set(this.valuesFn(obj))];
    if (interner) values = values.map((v) => interner.str(v));
    if (values.length === 0) return;
    this.valuesOf.set(key, values.length === 1 ? values[0]! : values);
    for (const v of values) {
      const have = this.byValue.get(v);
      if (have === undefined || have === key) this.byValue.set(v, key);
      else if (typeof have === 'string') this.byValue.set(v, new Set([have, key]));
      else have.add(key);
    }
  }

  remove(key: string): void {
    const values = this.valuesOf.get(key);
    if (values === undefined) return;
    this.valuesOf.delete(key);
    for (const v of typeof values === 'string' ? [values] : values) {
      const have = this.byValue.get(v);
      if (have === key) this.byValue.delete(v);
      else if (have instanceof Set) {
        have.delete(key);
        if (have.size === 1) this.byValue.set(v, have.values().next().value!);
      }
    }
  }

  /** The keys of the objects that refer to `value`. */
  keysFor(value: string): readonly string[] | ReadonlySet<string> {
    const have = this.byValue.get(value);
    if (have === undefined) return [];
    return typeof have === 'string' ? [have] : have;
  }

  /** Every referred value with its referrers (for scans by value prefix). */
  *entries(): IterableIterator<[string, readonly string[] | ReadonlySet<string>]> {
    for (const [v, have] of this.byValue) yield [v, typeof have === 'string' ? [have] : have];
  }
}
