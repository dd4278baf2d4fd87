// The Go value model the evaluator works on, mapped onto JS values:
//   string → string, int (int64) → number, float64 → Float, bool → boolean,
//   nil → null, "no value" (Go's invalid reflect.Value) → undefined,
//   []interface{} → array, []byte → Uint8Array, map[string]X → plain object.
// Go prints int 1000000 as "1000000" but float64 1e6 as "1e+06", and JSON numbers are
// always float64, so floats need their own type to print like Go.

import { goBytes } from './bytes.js';
import { ExecFailure } from './errors.js';

export class Float {
  constructor(readonly v: number) {}
}

export type GoMap = Record<string, unknown>;

/** How a parameter takes a value (exec.ts's Kind; repeated here so value.ts imports nothing from exec.ts). */
export type ParamKind = 'any' | 'string' | 'int' | 'float' | 'bool';

/** A method of a Go value, called as `{{ $t.Format "2006" }}`. */
export interface GoMethod {
  fn: (...args: unknown[]) => unknown;
  params: ParamKind[];
  variadic?: ParamKind;
}

/**
 * A Go value that is neither a basic value, a slice nor a map: time.Time, time.Duration,
 * *semver.Version, Sprig's certificate struct. It has a Go type name, a kind, exported fields
 * or methods reached with `.Name`, and prints through its String method when it has one.
 */
export abstract class GoObject {
  /** What %T and typeOf print, e.g. "time.Time". */
  abstract readonly goType: string;
  /** reflect.Kind's name, for kindOf: "struct", "ptr", "int64", "int". */
  abstract readonly goKind: string;
  /** fmt's %v of the value. */
  abstract format(): string;
  /** The value encoding/json (and so toJson and toYaml) sees, as plain JSON data. */
  abstract toJSON(): unknown;
  /** The String method's result, for %s and Sprig's strval; undefined when there is none. */
  stringer(): string | undefined {
    return undefined;
  }
  /** The integer of a named integer type (time.Duration, time.Month). */
  intValue(): number | undefined {
    return undefined;
  }
  method(_name: string): GoMethod | undefined {
    return undefined;
  }
  field(_name: string): { ok: boolean; value?: unknown } {
    return { ok: false };
  }
  /** Template truth: a struct or non-nil pointer is true; a named integer is true unless 0. */
  truth(): boolean {
    const n = this.intValue();
    return n === undefined || n !== 0;
  }
}

// Maps whose Go element type is string (the secret data ESO hands to templates): their
// zero value is "" rather than nil, which `index` and missingkey=zero expose.
const stringMaps = new WeakSet<object>();

export function markStringMap(m: GoMap): GoMap {
  stringMaps.add(m);
  return m;
}

export function isStringMap(m: unknown): boolean {
  return typeof m === 'object' && m !== null && stringMaps.has(m);
}

export function isMap(v: unknown): v is GoMap {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function newMap(): GoMap {
  return Object.create(null) as GoMap;
}

/** Assignment that cannot reach a prototype setter (a key may be "__proto__"). */
export function mapSet(m: GoMap, key: string, value: unknown): void {
  Object.defineProperty(m, key, { value, writable: true, enumerable: true, configurable: true });
}

export function mapGet(m: GoMap, key: string): { ok: boolean; value: unknown } {
  return Object.hasOwn(m, key) ? { ok: true, value: m[key] } : { ok: false, value: undefined };
}

export function sortedKeys(m: GoMap): string[] {
  return Object.keys(m).sort(compareStrings);
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function isInt(v: unknown): v is number {
  return typeof v === 'number';
}

/** Go's type name, for messages and %T. */
export function typeName(v: unknown): string {
  if (v === undefined) return '<invalid reflect.Value>';
  if (v === null) return '<nil>';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'number':
      return Number.isInteger(v) ? 'int' : 'float64';
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'int64';
    case 'function':
      return 'func(...) interface {}';
    default:
      break;
  }
  if (v instanceof Float) return 'float64';
  if (v instanceof GoObject) return v.goType;
  if (v instanceof Uint8Array) return '[]uint8';
  if (Array.isArray(v)) return '[]interface {}';
  if (isMap(v)) return isStringMap(v) ? 'map[string]string' : 'map[string]interface {}';
  return 'interface {}';
}

/** Go's template truthiness: zero values and empty containers are false. */
export function isTrue(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  switch (typeof v) {
    case 'string':
      return v.length > 0;
    case 'number':
      return v !== 0;
    case 'boolean':
      return v;
    case 'bigint':
      return v !== 0n;
    case 'function':
      return true;
    default:
      break;
  }
  if (v instanceof Float) return v.v !== 0;
  if (v instanceof GoObject) return v.truth();
  if (v instanceof Uint8Array || Array.isArray(v)) return v.length > 0;
  if (isMap(v)) return Object.keys(v).length > 0;
  return true;
}

/** fmt's %v. */
export function formatValue(v: unknown): string {
  if (v === undefined) return '<nil>';
  if (v === null) return '<nil>';
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
      return Number.isInteger(v) ? formatInt(v) : formatFloatG(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      // int64 results beyond 2^53 (UnixNano) stay exact as bigints.
      return v.toString();
    case 'function':
      return '<func>';
    default:
      break;
  }
  if (v instanceof Float) return formatFloatG(v.v);
  if (v instanceof GoObject) return v.format();
  if (v instanceof Uint8Array) return `[${Array.from(v).join(' ')}]`;
  if (Array.isArray(v)) return `[${v.map(formatValue).join(' ')}]`;
  if (isMap(v)) {
    return `map[${sortedKeys(v)
      .map((k) => `${k}:${formatValue(v[k])}`)
      .join(' ')}]`;
  }
  return String(v);
}

export function formatInt(v: number): string {
  // Large magnitudes would otherwise print in exponent form.
  return Number.isSafeInteger(v) ? String(v) : BigInt(Math.trunc(v)).toString();
}

/** Sprig's strval: strings as they are, everything else as %v. */
export function strval(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  if (v instanceof Error) return v.message;
  if (v instanceof GoObject) return v.stringer() ?? v.format();
  return formatValue(v);
}

/** Shortest round-trip digits and decimal exponent of a finite, non-zero |v|. */
function shortestDigits(v: number): { digits: string; exp: number } {
  const [mant = '', e = '0'] = Math.abs(v).toExponential().split('e');
  return { digits: mant.replace('.', ''), exp: Number(e) };
}

function specialFloat(v: number): string | undefined {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return undefined;
}

function expSuffix(exp: number, upper = false): string {
  const abs = Math.abs(exp);
  return `${upper ? 'E' : 'e'}${exp < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
}

/** strconv.FormatFloat(v, 'g', -1, 64), which is what %v prints. */
export function formatFloatG(v: number): string {
  const special = specialFloat(v);
  if (special) return special;
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const sign = v < 0 ? '-' : '';
  const { digits, exp } = shortestDigits(v);
  // Shortest %g uses exponent form from 1e6 on: Helm's well-known "1e+06" surprise.
  if (exp < -4 || exp >= 6) {
    const frac = digits.slice(1);
    return `${sign}${digits[0]}${frac ? '.' + frac : ''}${expSuffix(exp)}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return sign + digits + '0'.repeat(exp + 1 - digits.length);
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

/** %e with a precision. */
export function formatFloatE(v: number, prec: number, upper = false): string {
  const special = specialFloat(v);
  if (special) return special;
  const [mant = '', e = '0'] = v.toExponential(Math.min(prec, 100)).split('e');
  return mant + expSuffix(Number(e), upper);
}

/** %f with a precision. */
export function formatFloatF(v: number, prec: number): string {
  const special = specialFloat(v);
  if (special) return special;
  if (Math.abs(v) < 1e21) return v.toFixed(Math.min(prec, 100));
  // toFixed switches to exponent form above 1e21; go through BigInt for the integer part.
  return BigInt(v).toString() + (prec > 0 ? '.' + '0'.repeat(prec) : '');
}

/** %g with an explicit precision (significant digits). */
export function formatFloatGPrec(v: number, prec: number, upper = false): string {
  const special = specialFloat(v);
  if (special) return special;
  if (prec === 0) prec = 1;
  if (v === 0) return '0';
  const [mant = '', e = '0'] = v.toExponential(prec - 1).split('e');
  const exp = Number(e);
  const trim = (s: string): string => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (exp < -4 || exp >= prec) return trim(mant) + expSuffix(exp, upper);
  return trim(v.toFixed(Math.max(0, prec - 1 - exp)));
}

const printable = /[\p{L}\p{M}\p{N}\p{P}\p{S} ]/u;

/** strconv.Quote. */
export function goQuote(s: string, quote = '"'): string {
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === quote || ch === '\\') {
      out += '\\' + ch;
    } else if (c >= 0x20 && c < 0x7f) {
      out += ch;
    } else if (c >= 0x80 && printable.test(ch) && !(c >= 0xd800 && c <= 0xdfff)) {
      out += ch;
    } else {
      switch (ch) {
        case '\x07':
          out += '\\a';
          break;
        case '\b':
          out += '\\b';
          break;
        case '\f':
          out += '\\f';
          break;
        case '\n':
          out += '\\n';
          break;
        case '\r':
          out += '\\r';
          break;
        case '\t':
          out += '\\t';
          break;
        case '\v':
          out += '\\v';
          break;
        default:
          if (c >= 0xd800 && c <= 0xdfff) out += '\\ufffd';
          else if (c < 0x80) out += '\\x' + c.toString(16).padStart(2, '0');
          else if (c < 0x10000) out += '\\u' + c.toString(16).padStart(4, '0');
          else out += '\\U' + c.toString(16).padStart(8, '0');
      }
    }
  }
  return out + quote;
}

/** Go's len: strings count UTF-8 bytes. */
export function goLen(v: unknown): number {
  if (typeof v === 'string') return goBytes(v).length;
  if (Array.isArray(v) || v instanceof Uint8Array) return v.length;
  if (isMap(v)) return Object.keys(v).length;
  throw new ExecFailure(`len of type ${typeName(v)}`);
}
