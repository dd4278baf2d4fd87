// Go's fmt.Sprint, Sprintln and Sprintf for the template value model. Go reports verb and
// argument mismatches inside the output ("%!d(string=x)") rather than failing, and so does
// this; that text lands in the rendered Secret, never in an error.

import {
  Float,
  GoObject,
  formatFloatE,
  formatFloatF,
  formatFloatG,
  formatFloatGPrec,
  formatValue,
  goQuote,
  isMap,
  sortedKeys,
  typeName,
} from './value.js';

export function sprint(args: unknown[]): string {
  let out = '';
  args.forEach((a, i) => {
    // fmt adds a space between operands when neither is a string.
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += formatValue(a);
  });
  return out;
}

export function sprintln(args: unknown[]): string {
  return args.map(formatValue).join(' ') + '\n';
}

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width: number | undefined;
  prec: number | undefined;
}

/** Go's fmt tooLarge bound on widths and precisions. */
const MAX_WIDTH = 1e6;

export function sprintf(format: string, args: unknown[]): string {
  let out = '';
  let argNum = 0;
  const n = format.length;
  for (let i = 0; i < n;) {
    const pct = format.indexOf('%', i);
    if (pct === -1) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const spec: Spec = {
      minus: false,
      plus: false,
      sharp: false,
      space: false,
      zero: false,
      width: undefined,
      prec: undefined,
    };
    flags: for (; i < n; i++) {
      switch (format[i]) {
        case '-':
          spec.minus = true;
          spec.zero = false;
          break;
        case '+':
          spec.plus = true;
          break;
        case '#':
          spec.sharp = true;
          break;
        case ' ':
          spec.space = true;
          break;
        case '0':
          spec.zero = !spec.minus;
          break;
        default:
          break flags;
      }
    }
    // Go's fmt refuses widths and precisions beyond 10^6 (tooLarge): a literal one ends the
    // verb (%!(NOVERB)), one from an argument is dropped with %!(BADWIDTH) / %!(BADPREC). This
    // also keeps `printf "%999999999d"` from building a gigabyte of padding.
    let tooLarge = false;
    const readNum = (bad: string): number | undefined => {
      if (format[i] === '*') {
        i++;
        const a = args[argNum++];
        if (typeof a === 'number' && Math.abs(a) > MAX_WIDTH) {
          out += bad;
          return undefined;
        }
        return typeof a === 'number' ? a : undefined;
      }
      // Go's parsenum: the bound is checked before each digit is added.
      let v: number | undefined;
      for (; i < n && format.charCodeAt(i) >= 48 && format.charCodeAt(i) <= 57; i++) {
        if ((v ?? 0) > MAX_WIDTH) tooLarge = true;
        v = (v ?? 0) * 10 + format.charCodeAt(i) - 48;
      }
      return v;
    };
    spec.width = readNum('%!(BADWIDTH)');
    if (spec.width !== undefined && spec.width < 0) {
      spec.minus = true;
      spec.width = -spec.width;
    }
    if (format[i] === '.') {
      i++;
      spec.prec = readNum('%!(BADPREC)') ?? 0;
    }
    if (tooLarge) {
      out += '%!(NOVERB)';
      break;
    }
    if (i >= n) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i) ?? 0);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argNum >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatArg(args[argNum++], verb, spec);
  }
  if (argNum < args.length) {
    const extra = args.slice(argNum).map((a) => (a === null ? '<nil>' : `${typeName(a)}=${formatValue(a)}`));
    out += `%!(EXTRA ${extra.join(', ')})`;
  }
  return out;
}

/** fmt's %!f(int=5): the value printed with %v under the same flags (`%.2f` of 5 is `%!f(int=05)`). */
function badVerb(v: unknown, verb: string, spec: Spec): string {
  if (v === null || v === undefined) return `%!${verb}(<nil>)`;
  return `%!${verb}(${typeName(v)}=${formatArg(v, 'v', spec)})`;
}

function pad(s: string, spec: Spec, numeric = false): string {
  const width = spec.width ?? 0;
  // Counting runes copies the string: not for the common case without a width.
  if (width === 0) return s;
  const len = Array.from(s).length;
  if (len >= width) return s;
  const fill = width - len;
  if (spec.minus) return s + ' '.repeat(fill);
  if (spec.zero && numeric) {
    const sign = /^[+\- ]/.test(s) ? (s[0] ?? '') : '';
    return sign + '0'.repeat(fill) + s.slice(sign.length);
  }
  return ' '.repeat(fill) + s;
}

function signed(s: string, negative: boolean, spec: Spec): string {
  if (negative) return '-' + s;
  if (spec.plus) return '+' + s;
  if (spec.space) return ' ' + s;
  return s;
}

function formatInteger(v: number, verb: string, spec: Spec): string | undefined {
  const abs = Math.abs(v);
  const big = Number.isSafeInteger(abs) ? undefined : BigInt(Math.trunc(abs));
  let s: string;
  switch (verb) {
    case 'd':
    case 'v':
      s = big !== undefined ? big.toString() : String(abs);
      break;
    case 'x':
    case 'X':
      s = (big ?? abs).toString(16);
      if (verb === 'X') s = s.toUpperCase();
      if (spec.sharp) s = (verb === 'x' ? '0x' : '0X') + s;
      break;
    case 'o':
      s = (big ?? abs).toString(8);
      if (spec.sharp) s = '0' + s;
      break;
    case 'O':
      s = '0o' + (big ?? abs).toString(8);
      break;
    case 'b':
      s = (big ?? abs).toString(2);
      break;
    case 'c':
      return pad(String.fromCodePoint(v), spec);
    case 'q':
      return pad(goQuote(String.fromCodePoint(v), "'"), spec);
    case 'U':
      return pad('U+' + abs.toString(16).toUpperCase().padStart(4, '0'), spec);
    default:
      return undefined;
  }
  if (spec.prec !== undefined) s = s.padStart(spec.prec, '0');
  return pad(signed(s, v < 0, spec), spec, spec.prec === undefined);
}

function formatFloat(v: number, verb: string, spec: Spec): string | undefined {
  let s: string;
  switch (verb) {
    case 'v':
    case 'g':
    case 'G':
      s =
        spec.prec === undefined
          ? formatFloatG(Math.abs(v))
          : formatFloatGPrec(Math.abs(v), spec.prec, verb === 'G');
      if (verb === 'G') s = s.toUpperCase();
      break;
    case 'f':
    case 'F':
      s = formatFloatF(Math.abs(v), spec.prec ?? 6);
      break;
    case 'e':
    case 'E':
      s = formatFloatE(Math.abs(v), spec.prec ?? 6, verb === 'E');
      break;
    default:
      return undefined;
  }
  if (Number.isNaN(v)) return pad(spec.plus ? '+NaN' : 'NaN', spec);
  const negative = v < 0 || Object.is(v, -0);
  if (s.startsWith('+')) s = s.slice(1);
  return pad(signed(s, negative, spec), spec, Number.isFinite(v));
}

function formatString(s: string, verb: string, spec: Spec): string | undefined {
  switch (verb) {
    case 'v':
    case 's': {
      const cut = spec.prec === undefined ? s : Array.from(s).slice(0, spec.prec).join('');
      return pad(cut, spec);
    }
    case 'q':
      if (spec.sharp && canBackquote(s)) return pad('`' + s + '`', spec);
      return pad(goQuote(s), spec);
    case 'x':
    case 'X': {
      let hex = Buffer.from(s, 'utf8').toString('hex');
      if (verb === 'X') hex = hex.toUpperCase();
      return pad(hex, spec);
    }
    default:
      return undefined;
  }
}

function formatArg(v: unknown, verb: string, spec: Spec): string {
  if (verb === 'T') return pad(v === null || v === undefined ? '<nil>' : typeName(v), spec);
  if (v === null || v === undefined) return verb === 'v' ? pad('<nil>', spec) : badVerb(v, verb, spec);
  if (typeof v === 'string') return formatString(v, verb, spec) ?? badVerb(v, verb, spec);
  if (typeof v === 'boolean') {
    return verb === 't' || verb === 'v' ? pad(String(v), spec) : badVerb(v, verb, spec);
  }
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return formatFloat(v, verb, spec) ?? badVerb(v, verb, spec);
    return formatInteger(v, verb, spec) ?? badVerb(v, verb, spec);
  }
  if (v instanceof Float) return formatFloat(v.v, verb, spec) ?? badVerb(v, verb, spec);
  if (typeof v === 'bigint') return formatInteger(Number(v), verb, spec) ?? badVerb(v, verb, spec);
  if (v instanceof GoObject) {
    // A Stringer prints through String for %v %s %q; a named integer takes the integer verbs.
    const text = v.stringer();
    const n = v.intValue();
    if (text !== undefined && (verb === 'v' || verb === 's' || verb === 'q'))
      return formatString(text, verb, spec) ?? badVerb(v, verb, spec);
    if (n !== undefined) return formatInteger(n, verb, spec) ?? badVerb(v, verb, spec);
    return verb === 'v' ? pad(v.format(), spec) : badVerb(v, verb, spec);
  }
  if (v instanceof Uint8Array) {
    if (verb === 's' || verb === 'q' || verb === 'x' || verb === 'X') {
      return formatString(new TextDecoder().decode(v), verb, spec) ?? badVerb(v, verb, spec);
    }
    return formatList(Array.from(v), verb, spec);
  }
  if (Array.isArray(v)) return formatList(v, verb, spec);
  if (isMap(v)) {
    const inner = sortedKeys(v).map((k) => `${formatArg(k, verb, spec)}:${formatArg(v[k], verb, spec)}`);
    return pad(`map[${inner.join(' ')}]`, spec);
  }
  return verb === 'v' ? pad(formatValue(v), spec) : badVerb(v, verb, spec);
}

/** strconv.CanBackquote: no backquote and no control characters other than tab. */
function canBackquote(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 96 || c === 0x7f || (c < 0x20 && c !== 9)) return false;
  }
  return true;
}

function formatList(items: unknown[], verb: string, spec: Spec): string {
  return `[${items.map((item) => formatArg(item, verb, spec)).join(' ')}]`;
}
