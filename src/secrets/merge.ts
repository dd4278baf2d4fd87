// dataFrom[].rewrite[].merge (ESO 2.9, RewriteMerge in runtime/esutils): the values of one
// dataFrom entry are JSON objects; their fields are merged into one object, keys in byte order
// with the `priority` keys last (in their order) so their fields win.
// - strategy Extract (default): the merged fields become the entry's keys (the original keys
//   go), each value as ESO renders it (strings as is, numbers as Go's FormatFloat 'f', objects
//   and lists as encoding/json writes them);
// - strategy JSON: the original keys stay and `into` receives the merged object as JSON;
// - conflictPolicy Error (default): a field present in two values fails the sync, naming the
//   fields; Ignore lets the later value win;
// - priorityPolicy Strict (default): a priority key the entry lacks fails; IgnoreNotFound skips.
// Numbers go through float64 as in Go (big integers lose digits there too). Messages name keys
// and fields, never values.

import type { RewriteMerge } from '../api/types.js';
import { SecretDataError, quoteName } from './errors.js';
import { formatFloat, isJsonObject, isNotJson, isRawJson, parseJson, utf8Encoder } from './json.js';
import { goJSON } from './template/encoding.js';
import { Float, newMap, mapSet } from './template/value.js';
import type { GoMap } from './template/value.js';

/** Go's string order: UTF-8 bytes, which is code point order. */
function byCodePoint(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** A parsed JSON value as Go's encoding/json decodes it into `any`: numbers become float64. */
function toGo(v: unknown): unknown {
  if (typeof v === 'number') return new Float(v);
  if (isRawJson(v)) return new Float(Number(v.rawJSON));
  if (Array.isArray(v)) return v.map(toGo);
  if (isJsonObject(v)) {
    const m = newMap();
    for (const [k, x] of Object.entries(v)) mapSet(m, k, toGo(x));
    return m;
  }
  return v;
}

/** ESO's GetByteValue for a decoded JSON value. */
function byteValue(v: unknown): Uint8Array {
  if (v === null || v === undefined) return new Uint8Array(0);
  if (typeof v === 'string') return utf8Encoder.encode(v);
  if (typeof v === 'boolean') return utf8Encoder.encode(v ? 'true' : 'false');
  if (v instanceof Float) return utf8Encoder.encode(formatFloat(v.v));
  return utf8Encoder.encode(goJSON(v, { escapeHTML: true }));
}

function fail(where: string, message: string): never {
  throw new SecretDataError('NotJSON', `${where}: ${message}`);
}

/** The entry's keys in merge order: the others sorted, then the priority keys as listed. */
function mergeOrder(keys: string[], priority: readonly string[]): string[] {
  const first = keys.filter((k) => !priority.includes(k)).sort(byCodePoint);
  return [...first, ...priority];
}

/** One merge rewrite over the entry's map; `where` names it (e.g. `dataFrom[0].rewrite[1]`). */
export function mergeRewrite(
  map: Record<string, Uint8Array>,
  op: RewriteMerge,
  where: string,
): Record<string, Uint8Array> {
  const field = `${where}.merge`;
  const merged: GoMap = newMap();
  const conflicts: string[] = [];
  for (const key of mergeOrder(Object.keys(map), op.priority ?? [])) {
    const bytes = Object.hasOwn(map, key) ? map[key] : undefined;
    if (bytes === undefined) {
      if (op.priorityPolicy === 'IgnoreNotFound') continue;
      fail(field, `priority key ${quoteName(key)} is not among the keys of this entry`);
    }
    const parsed = parseJson(bytes);
    // Go unmarshals JSON null into an empty map without complaint.
    if (parsed === null) continue;
    if (isNotJson(parsed) || !isJsonObject(parsed))
      fail(field, `the value of key ${quoteName(key)} is not a JSON object`);
    for (const [k, v] of Object.entries(parsed)) {
      if (Object.hasOwn(merged, k)) conflicts.push(k);
      mapSet(merged, k, toGo(v));
    }
  }
  if (op.conflictPolicy !== 'Ignore' && conflicts.length > 0) {
    const shown = conflicts.slice(0, 10).map((k) => quoteName(k));
    const more = conflicts.length > 10 ? ` and ${conflicts.length - 10} more` : '';
    fail(
      field,
      `fields found in more than one value: ${shown.join(', ')}${more} (conflictPolicy Ignore lets the later value win)`,
    );
  }
  const out = Object.create(null) as Record<string, Uint8Array>;
  if (op.strategy === 'JSON') {
    if (!op.into) fail(field, 'strategy JSON needs into, the key that receives the merged object');
    Object.assign(out, map);
    out[op.into] = utf8Encoder.encode(goJSON(merged, { escapeHTML: false }));
    return out;
  }
  for (const k of Object.keys(merged)) out[k] = byteValue(merged[k]);
  return out;
}
