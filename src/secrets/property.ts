// Property selection and extraction are the same for every provider, so they live here rather
// than in each provider as in ESO. The rules follow ESO's providers:
// - an exact key wins over a path, since keys may contain dots (Vault, AWS, Kubernetes);
// - otherwise `a.b.c` walks nested objects, with numeric segments indexing arrays and `\.`
//   escaping a dot (gjson's syntax; its wildcards, `#` queries and modifiers are not supported);
// - a path step into raw bytes parses them as JSON (ESO's Kubernetes provider: `file.json.host`);
// - scalars render like gjson's Result.String(): strings unquoted, null as empty, numbers as sent.

import type { RemoteValue } from '../providers/types.js';
import { SecretDataError, describeSource, quoteName } from './errors.js';
import type { ValueContext } from './errors.js';
import {
  encodeJson,
  formatFloat,
  gjsonNumber,
  isJsonObject,
  isNotJson,
  notJsonWhy,
  isRawJson,
  MAX_JSON_DEPTH,
  parseJson,
  utf8Encoder,
} from './json.js';
import type { JsonObject } from './json.js';

const EMPTY = new Uint8Array(0);

/**
 * One value as Secret bytes. `rawNumbers` is set for values that came out of JSON text, which
 * ESO's byte-oriented providers (AWS, GCP, Azure, fake) pass through as json.RawMessage.
 */
function render(v: unknown, rawNumbers: boolean): Uint8Array {
  if (v instanceof Uint8Array) return v;
  switch (typeof v) {
    case 'string':
      return utf8Encoder.encode(v);
    case 'number':
      return utf8Encoder.encode(rawNumbers ? String(v) : formatFloat(v));
    case 'boolean':
      return utf8Encoder.encode(v ? 'true' : 'false');
    case 'undefined':
      return EMPTY;
  }
  // null: Go's json decodes it into a string as "" and GetByteValue returns nil bytes.
  if (v === null) return EMPTY;
  if (isRawJson(v)) return utf8Encoder.encode(rawNumbers ? v.rawJSON : gjsonNumber(v.rawJSON));
  return utf8Encoder.encode(encodeJson(v));
}

function splitPath(property: string): string[] {
  if (!property.includes('\\')) return property.split('.');
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < property.length; i++) {
    const c = property[i]!;
    if (c === '\\' && i + 1 < property.length) cur += property[++i];
    else if (c === '.') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

const INDEX = /^\d+$/;

/** The value at `property`, or undefined when there is none (null is a value). */
function lookup(root: unknown, property: string): unknown {
  if (isJsonObject(root) && Object.hasOwn(root, property)) return root[property];
  let cur: unknown = root;
  for (const seg of splitPath(property)) {
    if (cur instanceof Uint8Array) {
      cur = parseJson(cur);
      if (isNotJson(cur)) return undefined;
    }
    if (Array.isArray(cur)) {
      if (!INDEX.test(seg)) return undefined;
      cur = cur[Number(seg)];
    } else if (isJsonObject(cur)) {
      if (!Object.hasOwn(cur, seg)) return undefined;
      cur = cur[seg];
    } else {
      return undefined;
    }
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** `what` reads after "is": "not JSON", "not a JSON object", "JSON nested deeper than ...". */
function notJson(ctx: ValueContext, property: string | undefined, what: string): SecretDataError {
  const prop = property ? ` (property ${quoteName(property)})` : '';
  return new SecretDataError('NotJSON', `the value of ${describeSource(ctx)} is ${what}${prop}`);
}

/** The JSON document inside bytes: an object or an array, since only those have properties. */
function parseContainer(bytes: Uint8Array, ctx: ValueContext, property: string): unknown {
  const parsed = parseJson(bytes);
  if (isNotJson(parsed)) throw notJson(ctx, property, notJsonWhy(parsed));
  if (!isJsonObject(parsed) && !Array.isArray(parsed)) throw notJson(ctx, property, 'not a JSON object');
  return parsed;
}

function propertyNotFound(ctx: ValueContext, property: string): SecretDataError {
  return new SecretDataError(
    'PropertyNotFound',
    `property ${quoteName(property, 256)} not found in ${describeSource(ctx)}`,
  );
}

/**
 * The bytes a `data[]` entry gets from a remote value. Without a property: bytes as is, a map
 * as compact JSON with sorted keys (Uint8Array values as UTF-8 strings).
 */
export function selectProperty(
  value: RemoteValue,
  property: string | undefined,
  ctx: ValueContext,
): Uint8Array {
  return withinDepth(() => selectFrom(value, property, ctx), ctx, property);
}

/**
 * A provider's map (already parsed by its client) can nest deeper than parseJson allows: the
 * recursion of rendering it then says so instead of failing the reconcile with a stack overflow.
 */
function withinDepth<T>(fn: () => T, ctx: ValueContext, property: string | undefined): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof RangeError)
      throw notJson(ctx, property, `JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
    throw e;
  }
}

function selectFrom(value: RemoteValue, property: string | undefined, ctx: ValueContext): Uint8Array {
  if (property === undefined || property === '') {
    return value.kind === 'bytes' ? value.data : utf8Encoder.encode(encodeJson(value.data));
  }
  const root = value.kind === 'map' ? value.data : parseContainer(value.data, ctx, property);
  const found = lookup(root, property);
  if (found === undefined) throw propertyNotFound(ctx, property);
  return render(found, false);
}

/**
 * `dataFrom[].extract`: every top-level key of a JSON object (or a provider's map) becomes an
 * entry; strings unquoted, nested values as JSON, null as empty. With `property`, the object
 * at that property is extracted instead (or the JSON text held there, as ESO re-parses it).
 */
export function extractMap(
  value: RemoteValue,
  ctx: ValueContext,
  property?: string,
): Record<string, Uint8Array> {
  return withinDepth(() => extractFrom(value, ctx, property), ctx, property);
}

function extractFrom(value: RemoteValue, ctx: ValueContext, property?: string): Record<string, Uint8Array> {
  let obj: JsonObject;
  let rawNumbers: boolean;
  if (property) {
    const root = value.kind === 'map' ? value.data : parseContainer(value.data, ctx, property);
    const found = lookup(root, property);
    if (found === undefined) throw propertyNotFound(ctx, property);
    if (isJsonObject(found)) {
      obj = found;
      rawNumbers = value.kind === 'bytes';
    } else if (typeof found === 'string' || found instanceof Uint8Array) {
      obj = parseObject(typeof found === 'string' ? utf8Encoder.encode(found) : found, ctx, property);
      rawNumbers = true;
    } else {
      throw notJson(ctx, property, 'not a JSON object');
    }
  } else if (value.kind === 'map') {
    obj = value.data;
    rawNumbers = false;
  } else {
    obj = parseObject(value.data, ctx, undefined);
    rawNumbers = true;
  }
  const out: Record<string, Uint8Array> = Object.create(null) as Record<string, Uint8Array>;
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    if (v !== undefined) out[k] = render(v, rawNumbers);
  }
  return out;
}

function parseObject(bytes: Uint8Array, ctx: ValueContext, property: string | undefined): JsonObject {
  const parsed = parseJson(bytes);
  if (isNotJson(parsed)) throw notJson(ctx, property, notJsonWhy(parsed));
  if (!isJsonObject(parsed)) throw notJson(ctx, property, 'not a JSON object');
  return parsed;
}
