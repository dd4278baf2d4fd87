// Property selection is the same for every provider: exact key first (keys may contain
// dots), then a dotted path into nested JSON.

import type { RemoteValue } from '../providers/types.js';
import { SecretDataError, describe } from './errors.js';
import type { ValueContext } from './errors.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

/** JSON-ish value → Secret bytes: strings raw, Uint8Array as is, everything else as JSON. */
export function toBytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') return encoder.encode(v);
  return encoder.encode(JSON.stringify(v, jsonReplacer));
}

function jsonReplacer(_key: string, v: unknown): unknown {
  if (v instanceof Uint8Array) return decoder.decode(v);
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    );
  }
  return v;
}

function parseObject(bytes: Uint8Array, ctx: ValueContext, property?: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(bytes));
  } catch {
    const what = property ? `; property "${property}" cannot be read` : '';
    throw new SecretDataError('NotJSON', `the value of ${describe(ctx)} is not JSON${what}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new SecretDataError('NotJSON', `the value of ${describe(ctx)} is not a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

function lookup(obj: Record<string, unknown>, property: string): unknown {
  if (Object.hasOwn(obj, property)) return obj[property];
  let cur: unknown = obj;
  for (const part of property.split('.')) {
    if (cur instanceof Uint8Array || cur === null || typeof cur !== 'object') return undefined;
    if (Array.isArray(cur)) {
      if (!/^\d+$/.test(part)) return undefined;
      cur = cur[Number(part)];
    } else {
      const o = cur as Record<string, unknown>;
      if (!Object.hasOwn(o, part)) return undefined;
      cur = o[part];
    }
  }
  return cur;
}

export function selectProperty(
  value: RemoteValue,
  property: string | undefined,
  ctx: ValueContext,
): Uint8Array {
  if (property === undefined || property === '') {
    return value.kind === 'bytes' ? value.data : toBytes(value.data);
  }
  const obj = value.kind === 'map' ? value.data : parseObject(value.data, ctx, property);
  const found = lookup(obj, property);
  if (found === undefined) {
    throw new SecretDataError('PropertyNotFound', `property "${property}" not found in ${describe(ctx)}`);
  }
  return toBytes(found);
}

/** dataFrom.extract: each top-level key of a JSON object (or map) becomes a Secret key. */
export function extractMap(value: RemoteValue, ctx: ValueContext): Record<string, Uint8Array> {
  const obj = value.kind === 'map' ? value.data : parseObject(value.data, ctx);
  const out: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === null || v === undefined) continue;
    out[k] = toBytes(v);
  }
  return out;
}
