// What every provider's write side (PushSecret) shares: ESO's ownership marker, the bytes of a
// pushed value, and the PushSecretMetadata envelope in which `data[].metadata` arrives.

import { ProviderError } from './errors.js';
import type { PushRef, PushValue } from './types.js';

/**
 * ESO's ownership marker: a tag, label or metadata entry `managed-by: external-secrets` on every
 * remote secret a push created. Syncret writes and honours the same one, so remotes created by
 * ESO stay manageable after a migration (and back).
 */
export const MANAGED_BY_KEY = 'managed-by';
export const MANAGED_BY_VALUE = 'external-secrets';

/** The envelope ESO parses `data[].metadata` with (runtime/esutils/metadata). */
export const PUSH_METADATA_API_VERSION = 'kubernetes.external-secrets.io/v1alpha1';
export const PUSH_METADATA_KIND = 'PushSecretMetadata';

const decoder = new TextDecoder('utf-8');
const encoder = new TextEncoder();

export function isOwned(labels: Record<string, unknown> | undefined): boolean {
  return labels?.[MANAGED_BY_KEY] === MANAGED_BY_VALUE;
}

/** Where, for messages: `key` or `key` property `p`. */
export function describeRef(ref: PushRef): string {
  return ref.property ? `"${ref.remoteKey}" property "${ref.property}"` : `"${ref.remoteKey}"`;
}

export function notOwned(what: string, ref: PushRef, marker: string): ProviderError {
  return new ProviderError(
    'NotOwned',
    `${what} ${describeRef(ref)} exists and was not created by Syncret or ESO (no ${marker} ${MANAGED_BY_KEY}=${MANAGED_BY_VALUE}); it is left untouched`,
  );
}

/**
 * The whole Secret as ESO pushes it when `match.secretKey` is unset: one JSON object of its
 * keys and their values as strings, keys sorted (Go's encoding of a map), no HTML escaping.
 */
export function secretJson(data: Record<string, Uint8Array>): string {
  const sorted: Record<string, string> = {};
  for (const k of Object.keys(data).sort()) sorted[k] = decoder.decode(data[k]!);
  return JSON.stringify(sorted);
}

/** The bytes a push writes as one value. */
export function pushBytes(value: PushValue): Uint8Array {
  return value.kind === 'bytes' ? value.data : encoder.encode(secretJson(value.data));
}

export function pushText(value: PushValue): string {
  return decoder.decode(pushBytes(value));
}

/** Deep equality of parsed JSON values, key order ignored. */
export function jsonEquivalent(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((v, i) => jsonEquivalent(v, b[i]));
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao);
  return (
    ak.length === Object.keys(bo).length &&
    ak.every((k) => Object.hasOwn(bo, k) && jsonEquivalent(ao[k], bo[k]))
  );
}

export function bytesEqual(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export type FieldCheck = (value: unknown, where: string) => string | undefined;

export const isString: FieldCheck = (v, where) =>
  typeof v === 'string' ? undefined : `${where} must be a string`;
export const isBool: FieldCheck = (v, where) =>
  typeof v === 'boolean' ? undefined : `${where} must be true or false`;
export const isStringMap: FieldCheck = (v, where) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return `${where} must be a map of strings`;
  for (const [k, x] of Object.entries(v)) if (typeof x !== 'string') return `${where}.${k} must be a string`;
  return undefined;
};
export const isStringList: FieldCheck = (v, where) =>
  Array.isArray(v) && v.every((x) => typeof x === 'string')
    ? undefined
    : `${where} must be a list of strings`;
export const oneOf =
  (...values: string[]): FieldCheck =>
  (v, where) =>
    typeof v === 'string' && values.includes(v) ? undefined : `${where} must be one of ${values.join(', ')}`;

/**
 * `data[].metadata` in ESO's envelope ({apiVersion, kind: PushSecretMetadata, spec}), checked
 * field by field: an unknown field or a wrong type fails the push (ESO's DisallowUnknownFields)
 * before anything is written. Undefined when no metadata was given.
 */
export function parsePushMetadata<T extends object>(
  provider: string,
  metadata: unknown,
  fields: Record<string, FieldCheck>,
): Partial<T> | undefined {
  if (metadata === undefined || metadata === null) return undefined;
  const fail = (why: string): never => {
    throw new ProviderError('InvalidRequest', `metadata for the ${provider} provider: ${why}`);
  };
  if (typeof metadata !== 'object' || Array.isArray(metadata)) fail(`must be a ${PUSH_METADATA_KIND} object`);
  const m = metadata as Record<string, unknown>;
  for (const k of Object.keys(m))
    if (k !== 'apiVersion' && k !== 'kind' && k !== 'spec') fail(`unknown field "${k}"`);
  if (m.apiVersion !== PUSH_METADATA_API_VERSION) fail(`apiVersion must be ${PUSH_METADATA_API_VERSION}`);
  if (m.kind !== PUSH_METADATA_KIND) fail(`kind must be ${PUSH_METADATA_KIND}`);
  const spec = m.spec ?? {};
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) fail('spec must be an object');
  for (const [k, v] of Object.entries(spec as Record<string, unknown>)) {
    const check = fields[k];
    if (!check) fail(`unknown field spec.${k} (supported: ${Object.keys(fields).join(', ') || 'none'})`);
    const problem = check!(v, `spec.${k}`);
    if (problem) fail(problem);
  }
  return spec as Partial<T>;
}

// ---- properties of a remote JSON object (dotted paths, `\.` a literal dot) ----

function pathOf(property: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < property.length; i++) {
    const c = property[i]!;
    if (c === '\\' && property[i + 1] === '.') {
      cur += '.';
      i++;
    } else if (c === '.') {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  return parts;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseObject(text: string | undefined, what: string): Json {
  if (text === undefined || text === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    v = undefined;
  }
  // The parser's message could quote the value.
  if (!isObject(v))
    throw new ProviderError('InvalidRequest', `${what} is not a JSON object: a property push needs one`);
  return v;
}

/** `current` (JSON text) with `property` set to `value` as a string. */
export function setProperty(
  current: string | undefined,
  property: string,
  value: string,
  what: string,
): string {
  const root = parseObject(current, what);
  const path = pathOf(property);
  let node = root;
  for (const p of path.slice(0, -1)) {
    if (!isObject(node[p])) node[p] = {};
    node = node[p] as Json;
  }
  node[path.at(-1)!] = value;
  return JSON.stringify(root);
}

/** `current` without `property`; undefined when nothing is left. */
export function dropProperty(
  current: string | undefined,
  property: string,
  what: string,
): string | undefined {
  const root = parseObject(current, what);
  const path = pathOf(property);
  let node: Json | undefined = root;
  for (const p of path.slice(0, -1)) node = isObject(node?.[p]) ? (node[p] as Json) : undefined;
  if (node) delete node[path.at(-1)!];
  return Object.keys(root).length === 0 ? undefined : JSON.stringify(root);
}

export function hasProperty(current: string | undefined, property: string): boolean {
  let node: unknown;
  try {
    node = JSON.parse(current ?? '');
  } catch {
    return false;
  }
  for (const p of pathOf(property)) {
    if (!isObject(node) || !Object.hasOwn(node, p)) return false;
    node = node[p];
  }
  return true;
}
