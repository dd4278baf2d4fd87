// Sprig's list and dict functions that sprig.ts does not hold: the must* twins (in a template
// a panic and an error both fail the render, so each twin fails exactly as its partner),
// Sprig's own slice (which replaces text/template's), chunk, dig, deepCopy, pick/omit, all/any,
// and merge/mergeOverwrite with mergo's rules for what counts as empty.

import { ExecFailure } from './errors.js';
import type { FuncDef } from './exec.js';
import { SPRIG, asMap, goKind, toInt64 } from './sprig.js';
import {
  GoObject,
  isMap,
  isStringMap,
  isTrue,
  mapGet,
  mapSet,
  markStringMap,
  newMap,
  typeName,
} from './value.js';
import type { GoMap } from './value.js';

const A = 'any' as const;
const S = 'string' as const;
const I = 'int' as const;

/** mergo's isEmptyValue: nil, "", 0, false and empty containers. */
function isEmpty(v: unknown): boolean {
  if (v instanceof GoObject) return v.intValue() === 0;
  return !isTrue(v);
}

/** mergo.Merge (overwrite false) and mergo.MergeWithOverwrite on map[string]interface{}. */
export function mergeInto(dst: GoMap, src: GoMap, overwrite: boolean): void {
  for (const key of Object.keys(src)) {
    const sv = src[key];
    const { ok: has, value: dv } = mapGet(dst, key);
    if (sv === null || sv === undefined) {
      if (overwrite) mapSet(dst, key, null);
      continue;
    }
    if (isMap(sv) && has && isMap(dv)) {
      mergeInto(dv, sv, overwrite);
      if (!isEmpty(dv)) continue;
    } else if (Array.isArray(sv) && has && !isEmpty(dv) && !overwrite) {
      continue;
    }
    if (overwrite || !has || isEmpty(dv)) mapSet(dst, key, sv);
  }
}

// mergo fails only on mismatched types, which map[string]interface{} arguments cannot have: the
// must* twins behave the same.
function merge(overwrite: boolean) {
  const name = overwrite ? 'mergeOverwrite' : 'merge';
  return (dst: unknown, ...srcs: unknown[]): unknown => {
    const d = asMap(dst, name);
    for (const src of srcs) mergeInto(d, asMap(src, name), overwrite);
    return d;
  };
}

/** copystructure.Copy: containers copied all the way down, other values shared. */
export function deepCopy(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(deepCopy);
  if (v instanceof Uint8Array) return Uint8Array.from(v);
  if (isMap(v)) {
    const m = newMap();
    for (const k of Object.keys(v)) mapSet(m, k, deepCopy(v[k]));
    return isStringMap(v) ? markStringMap(m) : m;
  }
  return v;
}

function copyOrFail(v: unknown, prefix: string): unknown {
  if (v === null || v === undefined)
    throw new ExecFailure(`${prefix}reflect: call of reflect.Value.Type on zero Value`);
  return deepCopy(v);
}

/** Go's message for a failed type assertion on an interface{} value. */
function assertion(v: unknown, want: string): ExecFailure {
  const got = v === null || v === undefined ? 'nil' : typeName(v);
  return new ExecFailure(`interface conversion: interface {} is ${got}, not ${want}`);
}

function dig(...ps: unknown[]): unknown {
  if (ps.length < 3) throw new ExecFailure('dig needs at least three arguments');
  const dict = ps[ps.length - 1];
  const def = ps[ps.length - 2];
  const keys = ps.slice(0, -2).map((k) => {
    if (typeof k !== 'string') throw assertion(k, 'string');
    return k;
  });
  let cur: unknown = dict;
  for (let i = 0; i < keys.length; i++) {
    if (!isMap(cur) || isStringMap(cur)) throw assertion(cur, 'map[string]interface {}');
    const { ok, value } = mapGet(cur, keys[i]!);
    if (!ok) return def;
    if (i === keys.length - 1) return value;
    cur = value;
  }
  return def;
}

/** Sprig's slice: a sub-list by indices cast to int; nil for an empty list. */
function slice(list: unknown, ...indices: unknown[]): unknown {
  if (!(Array.isArray(list) || list instanceof Uint8Array)) {
    throw new ExecFailure(`list should be type of slice or array but ${goKind(list)}`);
  }
  if (list.length === 0) return null;
  const start = indices.length > 0 ? toInt64(indices[0]) : 0;
  const end = indices.length < 2 ? list.length : toInt64(indices[1]);
  if (start < 0 || end > list.length || start > end)
    throw new ExecFailure('reflect.Value.Slice: slice index out of bounds');
  return list.slice(start, end);
}

function chunk(size: number, list: unknown): unknown[][] {
  if (!(Array.isArray(list) || list instanceof Uint8Array))
    throw new ExecFailure(`Cannot chunk type ${goKind(list)}`);
  const items = Array.from(list as ArrayLike<unknown>);
  if (size <= 0) throw new ExecFailure('runtime error: makeslice: len out of range');
  const out: unknown[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function pick(d: unknown, ...keys: unknown[]): GoMap {
  const m = asMap(d, 'pick');
  const out = newMap();
  for (const k of keys) {
    const { ok, value } = mapGet(m, k as string);
    if (ok) mapSet(out, k as string, value);
  }
  return out;
}

function omit(d: unknown, ...keys: unknown[]): GoMap {
  const m = asMap(d, 'omit');
  const drop = new Set(keys as string[]);
  const out = newMap();
  for (const k of Object.keys(m)) if (!drop.has(k)) mapSet(out, k, m[k]);
  return out;
}

const def = (name: string): FuncDef => SPRIG[name] as FuncDef;

export const LIST_FUNCS: Record<string, FuncDef> = {
  tuple: def('list'),
  mustAppend: def('append'),
  mustPush: def('push'),
  mustPrepend: def('prepend'),
  mustFirst: def('first'),
  mustLast: def('last'),
  mustRest: def('rest'),
  mustInitial: def('initial'),
  mustReverse: def('reverse'),
  mustUniq: def('uniq'),
  mustWithout: def('without'),
  mustHas: def('has'),
  mustCompact: def('compact'),
  trimall: def('trimAll'),
  biggest: def('max'),
  slice: { fn: slice, params: [A], variadic: A },
  mustSlice: { fn: slice, params: [A], variadic: A },
  chunk: { fn: (n, l) => chunk(n as number, l), params: [I, A] },
  mustChunk: { fn: (n, l) => chunk(n as number, l), params: [I, A] },
  dig: { fn: dig, params: [], variadic: A },
  // copystructure cannot copy an untyped nil; deepCopy panics with that error, mustDeepCopy returns it.
  deepCopy: { fn: (v) => copyOrFail(v, 'deepCopy error: '), params: [A] },
  mustDeepCopy: { fn: (v) => copyOrFail(v, ''), params: [A] },
  merge: { fn: merge(false), params: [A], variadic: A },
  mustMerge: { fn: merge(false), params: [A], variadic: A },
  mergeOverwrite: { fn: merge(true), params: [A], variadic: A },
  mustMergeOverwrite: { fn: merge(true), params: [A], variadic: A },
  pick: { fn: pick, params: [A], variadic: S },
  omit: { fn: omit, params: [A], variadic: S },
  all: { fn: (...v) => v.every((x) => isTrue(x)), params: [], variadic: A },
  any: { fn: (...v) => v.some((x) => isTrue(x)), params: [], variadic: A },
  typeIsLike: {
    fn: (t, v) => {
      const name = v === null || v === undefined ? '<nil>' : typeName(v);
      return name === t || name === `*${t as string}`;
    },
    params: [S, A],
  },
};
