// The Sprig functions ESO templates use, with Sprig's (often forgiving) error behaviour:
// most conversions return a zero value instead of failing, the must* variants fail.
// Functions that read the environment, the clock or randomness beyond uuidv4 are left out.

import { createHash, randomUUID } from 'node:crypto';
import { ExecFailure } from './errors.js';
import { fromYaml, goJSON, parseGoJSON, toYaml } from './encoding.js';
import type { FuncDef } from './exec.js';
import { goBytes, goString } from './bytes.js';
import {
  Float,
  GoObject,
  formatValue,
  goQuote,
  isMap,
  isTrue,
  mapGet,
  mapSet,
  newMap,
  sortedKeys,
  strval,
  typeName,
} from './value.js';
import type { GoMap } from './value.js';

const S = 'string' as const;
const I = 'int' as const;
const A = 'any' as const;

/** cast.ToInt64 as Sprig uses it: lenient, 0 when there is nothing sensible. */
export function toInt64(v: unknown): number {
  if (typeof v === 'number') return Math.trunc(v);
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof GoObject) return v.intValue() ?? 0;
  if (v instanceof Float) return Number.isFinite(v.v) ? Math.trunc(v.v) : 0;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    // strconv.ParseInt(s, 0, 0) after dropping a ".000" tail.
    const s = v.replace(/\.0*$/, '');
    const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO]?[0-7_]*|[1-9][0-9_]*)$/.exec(s);
    if (!m) return 0;
    const body = (m[2] ?? '').replace(/_/g, '');
    let n: number;
    if (/^0[xX]/.test(body)) n = parseInt(body.slice(2), 16);
    else if (/^0[bB]/.test(body)) n = parseInt(body.slice(2), 2);
    else if (/^0[oO]/.test(body)) n = parseInt(body.slice(2), 8);
    else if (body.startsWith('0') && body.length > 1) n = parseInt(body.slice(1), 8);
    else n = parseInt(body, 10);
    if (Number.isNaN(n)) return 0;
    return m[1] === '-' ? -n : n;
  }
  return 0;
}

/** cast.ToFloat64. */
export function toFloat64(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof GoObject) return v.intValue() ?? 0;
  if (v instanceof Float) return v.v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const s = v.trim() === v ? v : '';
    const n = s === '' ? NaN : Number(s);
    return Number.isNaN(n) ? 0 : n;
  }
  return 0;
}

export function goKind(v: unknown): string {
  if (v === null || v === undefined) return 'invalid';
  if (v instanceof GoObject) return v.goKind;
  if (typeof v === 'bigint') return 'int64';
  if (Array.isArray(v) || v instanceof Uint8Array) return 'slice';
  if (isMap(v)) return 'map';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (v instanceof Float) return 'float64';
  if (typeof v === 'function') return 'func';
  return typeof v === 'boolean' ? 'bool' : typeof v === 'string' ? 'string' : 'struct';
}

export function asList(v: unknown, fn: string): unknown[] {
  if (Array.isArray(v)) return v;
  if (v instanceof Uint8Array) return Array.from(v);
  if (v === null || v === undefined) throw new ExecFailure(`Cannot find ${fn} on type invalid`);
  throw new ExecFailure(`Cannot find ${fn} on type ${goKind(v)}`);
}

export function asMap(v: unknown, fn: string): GoMap {
  if (isMap(v)) return v;
  throw new ExecFailure(`wrong type for value; expected map[string]interface {}; got ${typeName(v)} (${fn})`);
}

/** Sprig's strslice: lists become their non-nil elements as strings. */
function strslice(v: unknown): string[] {
  if (Array.isArray(v) || v instanceof Uint8Array) {
    return Array.from(v as ArrayLike<unknown>)
      .filter((x) => x !== null && x !== undefined)
      .map(strval);
  }
  if (v === null || v === undefined) return [];
  return [strval(v)];
}

function goSplit(s: string, sep: string): string[] {
  return sep === '' ? Array.from(s) : s.split(sep);
}

/** strings.Title: upper-cases letters that follow a separator. */
function title(s: string): string {
  let prev = ' ';
  let out = '';
  for (const ch of s) {
    out += isSeparator(prev) ? ch.toUpperCase() : ch;
    prev = ch;
  }
  return out;
}

function isSeparator(ch: string): boolean {
  const c = ch.codePointAt(0) ?? 0;
  if (c <= 0x7f) return !/[0-9A-Za-z_]/.test(ch);
  if (/[\p{L}\p{Nd}]/u.test(ch)) return false;
  return /\s/u.test(ch);
}

const trimSpace = (s: string): string => s.replace(/^[\s\u0085]+|[\s\u0085]+$/gu, '');

function cutset(set: string): (ch: string) => boolean {
  const chars = new Set(Array.from(set));
  return (ch) => chars.has(ch);
}

/** strings.Trim with a cutset. */
function trimCutset(s: string, set: string): string {
  const has = cutset(set);
  const chars = Array.from(s);
  let i = 0;
  let j = chars.length;
  while (i < j && has(chars[i] ?? '')) i++;
  while (j > i && has(chars[j - 1] ?? '')) j--;
  return chars.slice(i, j).join('');
}

function b64decode(s: string): string {
  const clean = s.replace(/[\r\n]/g, '');
  const bad = /[^A-Za-z0-9+/=]/.exec(clean);
  if (bad) return `illegal base64 data at input byte ${bad.index}`;
  const pad = clean.indexOf('=');
  if (pad !== -1 && (!/^=+$/.test(clean.slice(pad)) || clean.length % 4 !== 0 || clean.length - pad > 2)) {
    return `illegal base64 data at input byte ${pad}`;
  }
  if (clean.length % 4 !== 0) {
    return `illegal base64 data at input byte ${clean.length - (clean.length % 4 === 1 ? 1 : 0)}`;
  }
  // Go keeps the bytes; goString keeps them too when they are not text (a .p12).
  return goString(Buffer.from(clean, 'base64'));
}

function b32decode(s: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const clean = s.replace(/[\r\n]/g, '').replace(/=+$/, '');
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (let i = 0; i < clean.length; i++) {
    const idx = alphabet.indexOf(clean[i] ?? '');
    if (idx === -1) return `illegal base32 data at input byte ${i}`;
    value = (value << 5) | idx;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out).toString('utf8');
}

function b32encode(s: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of Buffer.from(s, 'utf8')) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  while (out.length % 8 !== 0) out += '=';
  return out;
}

function hash(alg: string, s: string): string {
  return createHash(alg).update(goBytes(s)).digest('hex');
}

function adler32(s: string): string {
  let a = 1;
  let b = 0;
  for (const byte of Buffer.from(s, 'utf8')) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return String(((b << 16) | a) >>> 0);
}

function intDiv(a: number, b: number): number {
  if (b === 0) throw new ExecFailure('runtime error: integer divide by zero');
  return Math.trunc(a / b);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a instanceof Float && b instanceof Float) return a.v === b.v;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isMap(a) && isMap(b)) {
    const ka = sortedKeys(a);
    const kb = sortedKeys(b);
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && deepEqual(a[k], b[k]));
  }
  return a === b || (a === undefined && b === null) || (a === null && b === undefined);
}

function mustJSON(v: unknown, opts: { escapeHTML: boolean; indent?: string }): string {
  return goJSON(v, opts);
}

function lenient<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}

function fromJSON(s: string): unknown {
  try {
    return parseGoJSON(s);
  } catch {
    // encoding/json's messages can quote the input; say what failed, not where.
    throw new ExecFailure('invalid JSON');
  }
}

function dict(...kv: unknown[]): GoMap {
  const m = newMap();
  for (let i = 0; i < kv.length; i += 2) mapSet(m, strval(kv[i]), i + 1 < kv.length ? kv[i + 1] : '');
  return m;
}

function until(count: number): number[] {
  const out: number[] = [];
  const step = count < 0 ? -1 : 1;
  for (let i = 0; i !== count && out.length < 10000; i += step) out.push(i);
  return out;
}

function sortAlpha(v: unknown): string[] {
  return strslice(v).sort();
}

function uniq(v: unknown): unknown[] {
  const out: unknown[] = [];
  for (const x of asList(v, 'uniq')) if (!out.some((y) => deepEqual(x, y))) out.push(x);
  return out;
}

function has(needle: unknown, haystack: unknown): boolean {
  if (haystack === null || haystack === undefined) return false;
  return asList(haystack, 'has').some((x) => deepEqual(x, needle));
}

function substr(start: number, end: number, s: string): string {
  if (start < 0) return s.slice(0, end);
  if (end < 0 || end > s.length) return s.slice(start);
  return s.slice(start, end);
}

function trunc(c: number, s: string): string {
  if (c < 0 && s.length + c > 0) return s.slice(s.length + c);
  if (c >= 0 && s.length > c) return s.slice(0, c);
  return s;
}

function minmax(pick: (a: number, b: number) => number) {
  return (a: unknown, ...rest: unknown[]): number =>
    rest.reduce<number>((acc, x) => pick(acc, toInt64(x)), toInt64(a));
}

export const SPRIG: Record<string, FuncDef> = {
  // strings
  upper: { fn: (s) => (s as string).toUpperCase(), params: [S] },
  lower: { fn: (s) => (s as string).toLowerCase(), params: [S] },
  title: { fn: (s) => title(s as string), params: [S] },
  untitle: {
    fn: (s) => (s as string).replace(/(^|\s)(\S)/gu, (_m, a: string, b: string) => a + b.toLowerCase()),
    params: [S],
  },
  trim: { fn: (s) => trimSpace(s as string), params: [S] },
  trimAll: { fn: (set, s) => trimCutset(s as string, set as string), params: [S, S] },
  trimPrefix: {
    fn: (p, s) => ((s as string).startsWith(p as string) ? (s as string).slice((p as string).length) : s),
    params: [S, S],
  },
  trimSuffix: {
    fn: (p, s) =>
      (p as string) !== '' && (s as string).endsWith(p as string)
        ? (s as string).slice(0, -(p as string).length)
        : s,
    params: [S, S],
  },
  replace: { fn: (o, n, s) => goSplit(s as string, o as string).join(n as string), params: [S, S, S] },
  repeat: {
    fn: (n, s) => {
      if ((n as number) < 0) throw new ExecFailure('strings: negative Repeat count');
      if ((n as number) * (s as string).length > 1 << 24)
        throw new ExecFailure('strings: Repeat output too large');
      return (s as string).repeat(n as number);
    },
    params: [I, S],
  },
  nospace: { fn: (s) => (s as string).replace(/[\s\u0085]/gu, ''), params: [S] },
  indent: { fn: (n, s) => indent(n as number, s as string), params: [I, S] },
  nindent: { fn: (n, s) => '\n' + indent(n as number, s as string), params: [I, S] },
  contains: { fn: (sub, s) => (s as string).includes(sub as string), params: [S, S] },
  hasPrefix: { fn: (p, s) => (s as string).startsWith(p as string), params: [S, S] },
  hasSuffix: { fn: (p, s) => (s as string).endsWith(p as string), params: [S, S] },
  substr: { fn: (a, b, s) => substr(a as number, b as number, s as string), params: [I, I, S] },
  trunc: { fn: (c, s) => trunc(c as number, s as string), params: [I, S] },
  cat: {
    fn: (...a) =>
      a
        .filter((x) => x !== null && x !== undefined)
        .map(formatValue)
        .join(' '),
    params: [],
    variadic: A,
  },
  quote: {
    fn: (...a) =>
      a
        .filter((x) => x !== null && x !== undefined)
        .map((x) => goQuote(strval(x)))
        .join(' '),
    params: [],
    variadic: A,
  },
  squote: {
    fn: (...a) =>
      a
        .filter((x) => x !== null && x !== undefined)
        .map((x) => `'${formatValue(x)}'`)
        .join(' '),
    params: [],
    variadic: A,
  },
  split: {
    fn: (sep, s) => {
      const m = newMap();
      goSplit(s as string, sep as string).forEach((part, i) => mapSet(m, `_${i}`, part));
      return m;
    },
    params: [S, S],
  },
  splitList: { fn: (sep, s) => goSplit(s as string, sep as string), params: [S, S] },
  splitn: {
    fn: (sep, n, s) => {
      const m = newMap();
      const parts = goSplit(s as string, sep as string);
      const count = n as number;
      const kept =
        count > 0 && parts.length > count
          ? [...parts.slice(0, count - 1), parts.slice(count - 1).join(sep as string)]
          : parts;
      (count === 0 ? [] : kept).forEach((part, i) => mapSet(m, `_${i}`, part));
      return m;
    },
    params: [S, I, S],
  },
  join: { fn: (sep, v) => strslice(v).join(sep as string), params: [S, A] },
  toString: { fn: (v: unknown) => strval(v), params: [A] },
  toStrings: { fn: (v) => strslice(v), params: [A] },

  // encodings and hashes
  b64enc: { fn: (s) => Buffer.from(goBytes(s as string)).toString('base64'), params: [S] },
  b64dec: { fn: (s) => b64decode(s as string), params: [S] },
  b32enc: { fn: (s) => b32encode(s as string), params: [S] },
  b32dec: { fn: (s) => b32decode(s as string), params: [S] },
  sha1sum: { fn: (s) => hash('sha1', s as string), params: [S] },
  sha256sum: { fn: (s) => hash('sha256', s as string), params: [S] },
  sha512sum: { fn: (s) => hash('sha512', s as string), params: [S] },
  adler32sum: { fn: (s) => adler32(s as string), params: [S] },
  toJson: { fn: (v) => lenient(() => mustJSON(v, { escapeHTML: true }), ''), params: [A] },
  mustToJson: { fn: (v) => mustJSON(v, { escapeHTML: true }), params: [A] },
  toPrettyJson: {
    fn: (v) => lenient(() => mustJSON(v, { escapeHTML: true, indent: '  ' }), ''),
    params: [A],
  },
  mustToPrettyJson: { fn: (v) => mustJSON(v, { escapeHTML: true, indent: '  ' }), params: [A] },
  toRawJson: { fn: (v) => lenient(() => mustJSON(v, { escapeHTML: false }), ''), params: [A] },
  mustToRawJson: { fn: (v) => mustJSON(v, { escapeHTML: false }), params: [A] },
  fromJson: { fn: (s) => lenient(() => fromJSON(s as string), null), params: [S] },
  mustFromJson: { fn: (s) => fromJSON(s as string), params: [S] },
  toYaml: { fn: (v) => toYaml(v), params: [A] },
  fromYaml: { fn: (s) => fromYaml(s as string), params: [S] },

  // defaults and flow
  default: {
    fn: (d, ...given) => (given.length === 0 || !isTrue(given[0]) ? d : given[0]),
    params: [A],
    variadic: A,
  },
  empty: { fn: (v) => !isTrue(v), params: [A] },
  coalesce: { fn: (...a) => a.find((x) => isTrue(x)) ?? null, params: [], variadic: A },
  ternary: { fn: (t, f, c) => (c ? t : f), params: [A, A, 'bool'] },
  required: {
    fn: (msg, v) => {
      if (v === null || v === undefined || v === '') throw new ExecFailure(msg as string);
      return v;
    },
    params: [S, A],
  },
  fail: {
    fn: (msg) => {
      throw new ExecFailure(msg as string);
    },
    params: [S],
  },

  // lists
  list: { fn: (...a) => a, params: [], variadic: A },
  first: { fn: (l) => asList(l, 'first')[0] ?? null, params: [A] },
  last: {
    fn: (l) => {
      const xs = asList(l, 'last');
      return xs.length ? xs[xs.length - 1] : null;
    },
    params: [A],
  },
  rest: { fn: (l) => asList(l, 'rest').slice(1), params: [A] },
  initial: { fn: (l) => asList(l, 'initial').slice(0, -1), params: [A] },
  append: { fn: (l, v) => [...asList(l, 'append'), v], params: [A, A] },
  push: { fn: (l, v) => [...asList(l, 'push'), v], params: [A, A] },
  prepend: { fn: (l, v) => [v, ...asList(l, 'prepend')], params: [A, A] },
  concat: { fn: (...ls) => ls.flatMap((l) => asList(l, 'concat')), params: [], variadic: A },
  reverse: { fn: (l) => [...asList(l, 'reverse')].reverse(), params: [A] },
  uniq: { fn: uniq, params: [A] },
  compact: { fn: (l) => asList(l, 'compact').filter((x) => isTrue(x)), params: [A] },
  has: { fn: has, params: [A, A] },
  without: {
    fn: (l, ...omit) => asList(l, 'without').filter((x) => !omit.some((o) => deepEqual(x, o))),
    params: [A],
    variadic: A,
  },
  sortAlpha: { fn: sortAlpha, params: [A] },
  until: { fn: (n) => until(n as number), params: [I] },

  // dicts
  dict: { fn: dict, params: [], variadic: A },
  get: {
    fn: (d, k) => {
      const { ok, value } = mapGet(asMap(d, 'get'), k as string);
      return ok ? value : '';
    },
    params: [A, S],
  },
  set: {
    fn: (d, k, v) => {
      const m = asMap(d, 'set');
      mapSet(m, k as string, v);
      return m;
    },
    params: [A, S, A],
  },
  unset: {
    fn: (d, k) => {
      const m = asMap(d, 'unset');
      delete m[k as string];
      return m;
    },
    params: [A, S],
  },
  hasKey: { fn: (d, k) => mapGet(asMap(d, 'hasKey'), k as string).ok, params: [A, S] },
  // Sprig's keys/values follow Go's random map order; sorted here so output is stable.
  keys: { fn: (...ds) => ds.flatMap((d) => sortedKeys(asMap(d, 'keys'))), params: [], variadic: A },
  values: {
    fn: (d) => {
      const m = asMap(d, 'values');
      return sortedKeys(m).map((k) => m[k]);
    },
    params: [A],
  },
  pluck: {
    fn: (k, ...ds) =>
      ds.flatMap((d) => {
        const { ok, value } = mapGet(asMap(d, 'pluck'), k as string);
        return ok ? [value] : [];
      }),
    params: [S],
    variadic: A,
  },

  // math (Sprig works in int64)
  add: { fn: (...a) => a.reduce<number>((acc, x) => acc + toInt64(x), 0), params: [], variadic: A },
  add1: { fn: (a) => toInt64(a) + 1, params: [A] },
  sub: { fn: (a, b) => toInt64(a) - toInt64(b), params: [A, A] },
  mul: {
    fn: (a, ...r) => r.reduce<number>((acc, x) => acc * toInt64(x), toInt64(a)),
    params: [A],
    variadic: A,
  },
  div: { fn: (a, b) => intDiv(toInt64(a), toInt64(b)), params: [A, A] },
  mod: {
    fn: (a, b) => {
      const d = toInt64(b);
      if (d === 0) throw new ExecFailure('runtime error: integer divide by zero');
      return toInt64(a) % d;
    },
    params: [A, A],
  },
  max: { fn: minmax(Math.max), params: [A], variadic: A },
  min: { fn: minmax(Math.min), params: [A], variadic: A },
  floor: { fn: (v) => new Float(Math.floor(toFloat64(v))), params: [A] },
  ceil: { fn: (v) => new Float(Math.ceil(toFloat64(v))), params: [A] },
  atoi: {
    fn: (s) => (/^[+-]?\d+$/.test(s as string) ? parseInt(s as string, 10) : 0),
    params: [S],
  },
  int: { fn: toInt64, params: [A] },
  int64: { fn: toInt64, params: [A] },
  float64: { fn: (v) => new Float(toFloat64(v)), params: [A] },

  // reflection
  kindOf: { fn: (v) => goKind(v), params: [A] },
  kindIs: { fn: (k, v) => goKind(v) === k, params: [S, A] },
  typeOf: { fn: (v) => typeName(v), params: [A] },
  typeIs: { fn: (t, v) => typeName(v) === t, params: [S, A] },
  deepEqual: { fn: deepEqual, params: [A, A] },

  uuidv4: { fn: () => randomUUID(), params: [] },
};

function indent(n: number, s: string): string {
  const pad = ' '.repeat(Math.max(0, n));
  return pad + s.split('\n').join('\n' + pad);
}
