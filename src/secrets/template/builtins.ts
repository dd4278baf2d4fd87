// text/template's predefined functions. Messages follow Go's but never print an operand's
// value, only its type.

import { goBytes, goString } from './bytes.js';
import { ExecFailure } from './errors.js';
import type { FuncDef } from './exec.js';
import { sprint, sprintf, sprintln } from './fmt.js';
import { Float, GoObject, goLen, isMap, isStringMap, isTrue, mapGet, typeName } from './value.js';

type BasicKind = 'bool' | 'int' | 'float' | 'string' | 'nil' | 'other';

function basicKind(v: unknown): BasicKind {
  if (v === null || v === undefined) return 'nil';
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(v) ? 'int' : 'float';
    case 'string':
      return 'string';
    case 'bigint':
      return 'int';
    default:
      // time.Month, time.Duration: named integers compare as integers, as in Go.
      if (v instanceof GoObject && v.intValue() !== undefined) return 'int';
      return v instanceof Float ? 'float' : 'other';
  }
}

function numeric(v: unknown): number {
  if (v instanceof GoObject) return v.intValue() ?? NaN;
  return v instanceof Float ? v.v : Number(v);
}

export function eq(a: unknown, ...rest: unknown[]): boolean {
  if (rest.length === 0) throw new ExecFailure('missing argument for comparison');
  const ka = basicKind(a);
  for (const b of rest) {
    const kb = basicKind(b);
    let truth = false;
    if (ka !== kb) {
      if (ka !== 'nil' && kb !== 'nil') throw new ExecFailure('incompatible types for comparison');
    } else {
      switch (ka) {
        case 'nil':
          truth = true;
          break;
        case 'float':
        case 'int':
          truth = numeric(a) === numeric(b);
          break;
        case 'bool':
        case 'string':
          truth = a === b;
          break;
        default:
          throw new ExecFailure(`non-comparable type ${typeName(a)}`);
      }
    }
    if (truth) return true;
  }
  return false;
}

export function lt(a: unknown, b: unknown): boolean {
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (ka === 'nil' || ka === 'other' || kb === 'nil' || kb === 'other') {
    throw new ExecFailure('invalid type for comparison');
  }
  if (ka !== kb) throw new ExecFailure('incompatible types for comparison');
  if (ka === 'bool') throw new ExecFailure('invalid type for comparison');
  if (ka === 'string') return (a as string) < (b as string);
  return numeric(a) < numeric(b);
}

const le = (a: unknown, b: unknown): boolean => lt(a, b) || eq(a, b);

function indexArg(v: unknown, cap: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new ExecFailure(`cannot index slice/array with type ${typeName(v)}`);
  }
  if (v < 0 || v > cap) throw new ExecFailure(`index out of range: ${v}`);
  return v;
}

function index(item: unknown, ...indexes: unknown[]): unknown {
  if (item === null || item === undefined) throw new ExecFailure('index of untyped nil');
  for (const ix of indexes) {
    if (item === null || item === undefined) throw new ExecFailure('index of nil pointer');
    if (typeof item === 'string') {
      const bytes = Buffer.from(item, 'utf8');
      const i = indexArg(ix, bytes.length);
      if (i >= bytes.length) throw new ExecFailure(`index out of range: ${i}`);
      item = bytes[i];
    } else if (Array.isArray(item) || item instanceof Uint8Array) {
      const i = indexArg(ix, item.length);
      if (i >= item.length) throw new ExecFailure(`index out of range: ${i}`);
      item = item[i];
    } else if (isMap(item)) {
      if (typeof ix !== 'string') {
        throw new ExecFailure(`value has type ${typeName(ix)}; should be string`);
      }
      const { ok, value } = mapGet(item, ix);
      // A missing key yields the element type's zero value.
      item = ok ? value : isStringMap(item) ? '' : undefined;
    } else {
      throw new ExecFailure(`can't index item of type ${typeName(item)}`);
    }
  }
  return item;
}

function slice(item: unknown, ...indexes: unknown[]): unknown {
  if (item === null || item === undefined) throw new ExecFailure('slice of untyped nil');
  if (indexes.length > 3) throw new ExecFailure(`too many slice indexes: ${indexes.length}`);
  let len: number;
  if (typeof item === 'string') {
    if (indexes.length === 3) throw new ExecFailure('cannot 3-index slice a string');
    len = goBytes(item).length;
  } else if (Array.isArray(item) || item instanceof Uint8Array) {
    len = item.length;
  } else {
    throw new ExecFailure(`can't slice item of type ${typeName(item)}`);
  }
  const idx = [0, len, len];
  indexes.forEach((ix, i) => (idx[i] = indexArg(ix, len)));
  const [i = 0, j = len, k = len] = idx;
  if (i > j) throw new ExecFailure(`invalid slice index: ${i} > ${j}`);
  if (indexes.length === 3 && j > k) throw new ExecFailure(`invalid slice index: ${j} > ${k}`);
  if (typeof item === 'string') return goString(goBytes(item).subarray(i, j));
  return item.slice(i, j);
}

/** The text html/js/urlquery escape: a lone string as is, anything else through Sprint. */
function evalArgs(args: unknown[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(args);
}

export function htmlEscape(s: string): string {
  return s.replace(/[&'<>"\0]/g, (c) => HTML_ESCAPES[c] ?? c);
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  "'": '&#39;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&#34;',
  '\0': '\uFFFD',
};

export function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    switch (ch) {
      case '\\':
        out += '\\\\';
        break;
      case "'":
        out += "\\'";
        break;
      case '"':
        out += '\\"';
        break;
      case '<':
        out += '\\u003C';
        break;
      case '>':
        out += '\\u003E';
        break;
      case '&':
        out += '\\u0026';
        break;
      case '=':
        out += '\\u003D';
        break;
      default:
        if (c < 0x20) out += '\\u' + c.toString(16).toUpperCase().padStart(4, '0');
        else out += ch;
    }
  }
  return out;
}

export function queryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const ch = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(ch)) out += ch;
    else if (ch === ' ') out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

function call(fn: unknown, ...args: unknown[]): unknown {
  if (fn === null || fn === undefined) throw new ExecFailure('call of nil');
  if (typeof fn !== 'function') throw new ExecFailure(`non-function of type ${typeName(fn)}`);
  return (fn as (...a: unknown[]) => unknown)(...args);
}

export const BUILTINS: Record<string, FuncDef> = {
  // and/or are evaluated lazily by the executor; these bodies are never called.
  and: { fn: () => undefined, params: ['any'], variadic: 'any' },
  or: { fn: () => undefined, params: ['any'], variadic: 'any' },
  not: { fn: (v) => !isTrue(v), params: ['any'] },
  eq: { fn: (a, ...rest) => eq(a, ...rest), params: ['any'], variadic: 'any' },
  ne: { fn: (a, b) => !eq(a, b), params: ['any', 'any'] },
  lt: { fn: (a, b) => lt(a, b), params: ['any', 'any'] },
  le: { fn: (a, b) => le(a, b), params: ['any', 'any'] },
  gt: { fn: (a, b) => !le(a, b), params: ['any', 'any'] },
  ge: { fn: (a, b) => !lt(a, b), params: ['any', 'any'] },
  len: { fn: (v) => goLen(v), params: ['any'] },
  index: { fn: index, params: ['any'], variadic: 'any' },
  slice: { fn: slice, params: ['any'], variadic: 'any' },
  print: { fn: (...a) => sprint(a), params: [], variadic: 'any' },
  printf: { fn: (f, ...a) => sprintf(f as string, a), params: ['string'], variadic: 'any' },
  println: { fn: (...a) => sprintln(a), params: [], variadic: 'any' },
  html: { fn: (...a) => htmlEscape(evalArgs(a)), params: [], variadic: 'any' },
  js: { fn: (...a) => jsEscape(evalArgs(a)), params: [], variadic: 'any' },
  urlquery: { fn: (...a) => queryEscape(evalArgs(a)), params: [], variadic: 'any' },
  call: { fn: call, params: ['any'], variadic: 'any' },
};
