// Secret data as bytes: the apiserver's key and size rules, and ESO's data hash (computed the
// way ESO computes it, so Secrets written by ESO are recognised as in sync after a migration and
// nothing is rewritten).

import { createHash } from 'node:crypto';
import { quoteName } from './errors.js';

/** The apiserver's limit on the sum of a Secret's (decoded) data values. */
export const MAX_SECRET_BYTES = 1024 * 1024;
export const MAX_KEY_LENGTH = 253;

const KEY = /^[-._a-zA-Z0-9]+$/;

// ---- keys and size ----

/** The apiserver's rule for Secret data keys (IsConfigMapKey). */
export function validSecretKey(key: string): boolean {
  return key.length <= MAX_KEY_LENGTH && KEY.test(key) && key !== '.' && !key.startsWith('..');
}

export function invalidKeysMessage(bad: string[]): string {
  const shown = bad
    .slice(0, 5)
    .map((k) => quoteName(k))
    .join(', ');
  const more = bad.length > 5 ? ` and ${bad.length - 5} more` : '';
  return `invalid Secret key${bad.length > 1 ? 's' : ''} ${shown}${more}: keys must consist of alphanumerics, '-', '_' or '.', be at most ${MAX_KEY_LENGTH} characters and not start with '..' (use conversionStrategy or rewrite)`;
}

export function invalidKeys(keys: Iterable<string>): string[] {
  const bad: string[] = [];
  for (const k of keys) if (!validSecretKey(k)) bad.push(k);
  return bad;
}

export function secretDataSize(data: Record<string, Uint8Array>): number {
  let size = 0;
  for (const k in data) size += data[k]!.byteLength;
  return size;
}

export function tooLargeMessage(size: number): string {
  return `the Secret data would be ${size} bytes, over the Kubernetes limit of ${MAX_SECRET_BYTES} bytes`;
}

// ---- hashes ----

// Reused for the common small Secret; a larger one gets its own buffer, dropped afterwards.
const scratch = Buffer.allocUnsafe(64 * 1024);

/**
 * ESO's ObjectHash of a map[string][]byte: sha3-224 of fmt's `map[k1:[1 2] k2:[3]]` (keys
 * sorted by the caller, as fmt sorts them). The rendering is written into one buffer and
 * hashed in one call: per-byte hash updates cost several times more.
 */
export function goMapHash(keys: string[], valueOf: (key: string) => Uint8Array): string {
  let need = 5;
  for (const k of keys) need += Buffer.byteLength(k) + 4 + valueOf(k).byteLength * 4;
  const buf = need <= scratch.length ? scratch : Buffer.allocUnsafe(need);
  let p = buf.write('map[', 0, 'latin1');
  for (let i = 0; i < keys.length; i++) {
    if (i > 0) buf[p++] = 0x20;
    p += buf.write(keys[i]!, p, 'utf8');
    buf[p++] = 0x3a; // ':'
    buf[p++] = 0x5b; // '['
    const v = valueOf(keys[i]!);
    for (let j = 0; j < v.length; j++) {
      if (j > 0) buf[p++] = 0x20;
      const b = v[j]!;
      if (b >= 100) {
        buf[p++] = 48 + ((b / 100) | 0);
        buf[p++] = 48 + (((b / 10) | 0) % 10);
      } else if (b >= 10) buf[p++] = 48 + ((b / 10) | 0);
      buf[p++] = 48 + (b % 10);
    }
    buf[p++] = 0x5d; // ']'
  }
  buf[p++] = 0x5d;
  return createHash('sha3-224').update(buf.subarray(0, p)).digest('hex');
}

/**
 * The data-hash of a Secret's data as the apiserver returns it (base64 values): what ESO puts
 * in the data-hash annotation, so a watched Secret can be checked for drift without keeping
 * its data.
 */
export function hashSecretData(data: Record<string, string> | undefined): string {
  const d = data ?? {};
  return goMapHash(Object.keys(d).sort(), (k) => Buffer.from(d[k]!, 'base64'));
}

// ---- base64 ----

function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  // A remote JSON object may well hold "__proto__"; a plain assignment would set the prototype.
  if (key === '__proto__')
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/** Secret data as the apiserver takes it (base64 values), for the given (sorted) keys. */
export function base64Data(
  data: Record<string, Uint8Array>,
  keys: readonly string[],
): Record<string, string> {
  const b64: Record<string, string> = {};
  for (const k of keys) {
    const v = data[k]!;
    setOwn(b64, k, Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64'));
  }
  return b64;
}
