// The JSON merge patch (RFC 7386) that turns one JSON value into another: objects are diffed
// key by key (a key that goes is sent as null), everything else is sent whole. For writes that
// must make fields exactly equal to a wanted value without re-sending, or owning, the rest.

import { jsonEqual } from './conditions.js';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The merge patch from `from` to `to`; `undefined` when they are equal. Values must not contain
 * null (a merge patch cannot express one), which holds for the specs it is used on.
 */
export function mergePatchOf(from: unknown, to: unknown): unknown {
  if (jsonEqual(from, to)) return undefined;
  if (!isObject(from) || !isObject(to)) return to === undefined ? null : to;
  const out: Json = {};
  for (const k of Object.keys(from)) if (from[k] !== undefined && to[k] === undefined) out[k] = null;
  for (const [k, v] of Object.entries(to)) {
    if (v === undefined) continue;
    const d = mergePatchOf(from[k], v);
    if (d !== undefined) out[k] = d;
  }
  return out;
}
