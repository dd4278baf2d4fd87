// The Password generator, with ESO's rules (generators/v1/password, which uses
// sethvargo/go-password): `length` characters of which `digits` are digits and `symbols` come
// from `symbolCharacters`, the rest letters (lower case, and upper case unless noUpper), in a
// uniformly random order; without allowRepeat no character appears twice. One password per
// key of secretKeys (default "password"), each encoded as `encoding` asks.
//
// go-password places each character at a random position of the string built so far, which is
// a uniformly random permutation; a Fisher-Yates shuffle gives the same distribution in linear
// time. Where go-password would loop forever (too few distinct characters left) or write
// broken UTF-8 (multi-byte symbols), this one fails with a message or works per code point.

import type { PasswordSpec } from '../../api/generators/local.js';
import { ProviderError } from '../errors.js';
import type { RandomSource } from './random.js';

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';
export const DEFAULT_SYMBOLS = '~!@#$%^&*()_+`-={}|[]\\:"<>?,./';
export const DEFAULT_LENGTH = 24;
/** Bounds the work one ExternalSecret can ask for (ESO has none); a Secret holds 1 MiB anyway. */
export const MAX_LENGTH = 65_536;
export const MAX_TOTAL = 1 << 20;

export interface PasswordConfig {
  length: number;
  digits: number;
  symbols: number;
  symbolCharacters: string;
  noUpper: boolean;
  allowRepeat: boolean;
  encoding: NonNullable<PasswordSpec['encoding']>;
  keys: string[];
}

const invalid = (message: string) => new ProviderError('InvalidProviderConfig', message);

/** The spec with ESO's defaults applied, or a message naming what is wrong. */
export function passwordConfig(spec: PasswordSpec): PasswordConfig | string {
  // ESO: a length of 0 (or less) means the default; digits and symbols default to a quarter.
  const length = spec.length !== undefined && spec.length > 0 ? spec.length : DEFAULT_LENGTH;
  const quarter = Math.floor(length * 0.25);
  const digits = spec.digits ?? quarter;
  const symbols = spec.symbols ?? quarter;
  if (length > MAX_LENGTH) return `spec.length ${length} is more than ${MAX_LENGTH}`;
  if (digits < 0 || symbols < 0) return 'spec.digits and spec.symbols must not be negative';
  if (digits + symbols > length)
    return `spec.digits (${digits}) and spec.symbols (${symbols}) add up to more than spec.length (${length})`;
  const keys = spec.secretKeys && spec.secretKeys.length > 0 ? spec.secretKeys : ['password'];
  if (keys.some((k) => k === '') || new Set(keys).size !== keys.length)
    return 'spec.secretKeys must be non-empty and unique';
  if (keys.length * length > MAX_TOTAL)
    return `spec.secretKeys × spec.length is more than ${MAX_TOTAL} characters`;
  return {
    length,
    digits,
    symbols,
    // An empty string means the default set, as in go-password.
    symbolCharacters: spec.symbolCharacters || DEFAULT_SYMBOLS,
    noUpper: spec.noUpper ?? false,
    allowRepeat: spec.allowRepeat ?? false,
    encoding: spec.encoding ?? 'raw',
    keys,
  };
}

/** Draws `count` characters of `pool`; without repeats, none of `used` and none twice. */
function draw(
  pool: string[],
  count: number,
  used: Set<string> | undefined,
  rnd: RandomSource,
  what: string,
): string[] {
  const out: string[] = [];
  if (!used) {
    for (let i = 0; i < count; i++) out.push(pool[rnd.int(pool.length)]!);
    return out;
  }
  const left = [...new Set(pool)].filter((c) => !used.has(c));
  if (count > left.length)
    throw invalid(
      `spec asks for ${count} ${what} without repeats, but only ${left.length} distinct ones are available`,
    );
  for (let i = 0; i < count; i++) {
    // Swap-remove: each pick is uniform over the characters not used yet.
    const j = i + rnd.int(left.length - i);
    [left[i], left[j]] = [left[j]!, left[i]!];
    out.push(left[i]!);
    used.add(left[i]!);
  }
  return out;
}

export function generatePassword(c: PasswordConfig, rnd: RandomSource): string {
  const letters = [...LOWER, ...(c.noUpper ? [] : [...UPPER])];
  const used = c.allowRepeat ? undefined : new Set<string>();
  const chars = [
    ...draw(letters, c.length - c.digits - c.symbols, used, rnd, 'letters'),
    ...draw([...DIGITS], c.digits, used, rnd, 'digits'),
    ...draw([...c.symbolCharacters], c.symbols, used, rnd, 'symbols'),
  ];
  for (let i = chars.length - 1; i > 0; i--) {
    const j = rnd.int(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join('');
}

/** Go's encodings: base64 and base32 padded, base64url with padding too (URLEncoding). */
export function encodePassword(password: string, encoding: PasswordConfig['encoding']): Uint8Array {
  const raw = Buffer.from(password, 'utf8');
  switch (encoding) {
    case 'base64':
      return new Uint8Array(Buffer.from(raw.toString('base64')));
    case 'base64url':
      return new Uint8Array(Buffer.from(raw.toString('base64').replace(/\+/g, '-').replace(/\//g, '_')));
    case 'hex':
      return new Uint8Array(Buffer.from(raw.toString('hex')));
    case 'base32':
      return new Uint8Array(Buffer.from(base32(raw)));
    default:
      return new Uint8Array(raw);
  }
}

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 with padding (Go's base32.StdEncoding). */
export function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  while (out.length % 8 !== 0) out += '=';
  return out;
}

export function generatePasswords(spec: PasswordSpec, rnd: RandomSource): Record<string, Uint8Array> {
  const c = passwordConfig(spec);
  if (typeof c === 'string') throw invalid(c);
  const out = Object.create(null) as Record<string, Uint8Array>;
  for (const key of c.keys) out[key] = encodePassword(generatePassword(c, rnd), c.encoding);
  return out;
}
