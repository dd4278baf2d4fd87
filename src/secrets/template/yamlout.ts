// ESO's toYaml is sigs.k8s.io/yaml.Marshal: the value as JSON, read back by go-yaml v2 and
// written by its libyaml-derived emitter. This writes the same text: keys in go-yaml's natural
// order (item2 before item10), a string quoted exactly when YAML 1.1 would read it as something
// else ("yes", "01", "2024-01-01") or the emitter cannot write it plain, literal blocks for
// multi-line strings, and long scalars folded at 80 columns.

import { parseTime } from './timeparse.js';
import { UTC } from './gotime.js';
import { formatFloatG } from './value.js';

/** A node of the JSON tree go-yaml sees. Numbers keep their JSON text. */
export type YamlNode =
  | { t: 'null' }
  | { t: 'bool'; v: boolean }
  | { t: 'num'; text: string }
  | { t: 'str'; v: string }
  | { t: 'seq'; items: YamlNode[] }
  | { t: 'map'; entries: [string, YamlNode][] };

const BEST_WIDTH = 80;

// ---- what a plain scalar would read back as (go-yaml v2's resolve) ----

const NOT_STRINGS = new Set(
  (
    '~ null Null NULL y Y yes Yes YES on On ON true True TRUE n N no No NO off Off OFF false False FALSE ' +
    '.nan .NaN .NAN .inf .Inf .INF +.inf +.Inf +.INF -.inf -.Inf -.INF'
  ).split(' '),
);
const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const BASE60 = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;
const TIMESTAMP_LAYOUTS = [
  '2006-1-2T15:4:5.999999999Z07:00',
  '2006-1-2t15:4:5.999999999Z07:00',
  '2006-1-2 15:4:5.999999999',
  '2006-1-2',
];

function isGoInt(s: string): boolean {
  // strconv.ParseInt/ParseUint(s, 0, 64): decimal, 0x, 0o, 0b, or a leading 0 for octal.
  const m = /^([+-]?)(?:0[xX]([0-9a-fA-F]+)|0[oO]([0-7]+)|0[bB]([01]+)|0([0-7]*)|([1-9][0-9]*))$/.exec(s);
  if (!m) return false;
  const [, sign, hex, oct, bin, lead, dec] = m;
  let n: bigint;
  if (hex !== undefined) n = BigInt('0x' + hex);
  else if (oct !== undefined) n = BigInt('0o' + oct);
  else if (bin !== undefined) n = BigInt('0b' + bin);
  else if (lead !== undefined) n = lead === '' ? 0n : BigInt('0o' + lead);
  else n = BigInt(dec ?? '0');
  return sign === '-' ? n <= 1n << 63n : n < 1n << 64n;
}

function isTimestamp(s: string): boolean {
  if (!/^[0-9]{4}-/.test(s)) return false;
  return TIMESTAMP_LAYOUTS.some((layout) => {
    try {
      parseTime(layout, s, UTC);
      return true;
    } catch {
      return false;
    }
  });
}

/** Whether go-yaml would read s, written plain, back as the string s. */
function resolvesToString(s: string): boolean {
  if (s === '') return false;
  if (NOT_STRINGS.has(s)) return false;
  const c = s[0]!;
  if (c === '.') return !(YAML_FLOAT.test(s) || /^\.[0-9]/.test(s));
  if (!/[-+0-9]/.test(c)) return true;
  if (isTimestamp(s)) return false;
  const plain = s.replace(/_/g, '');
  if (isGoInt(plain) || YAML_FLOAT.test(plain)) return false;
  if (/^-?0b[01]+$/.test(plain)) return false;
  return !BASE60.test(s);
}

// ---- what the emitter can write (libyaml's analyze_scalar) ----

const isBreak = (c: number) => c === 0x0a || c === 0x0d || c === 0x85 || c === 0x2028 || c === 0x2029;
const isPrintable = (c: number) =>
  c === 0x0a ||
  (c >= 0x20 && c <= 0x7e) ||
  c === 0x85 ||
  (c >= 0xa0 && c <= 0xd7ff) ||
  (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff) ||
  c >= 0x10000;

interface Analysis {
  plainBlock: boolean;
  singleQuoted: boolean;
  block: boolean;
}

function analyze(s: string): Analysis {
  if (s === '') return { plainBlock: true, singleQuoted: true, block: false };
  const cs = Array.from(s, (ch) => ch.codePointAt(0)!);
  let blockIndicators = s.startsWith('---') || s.startsWith('...');
  let special = false;
  let lineBreaks = false;
  let [leadingSpace, leadingBreak, trailingSpace, trailingBreak, spaceBreak, breakSpace] =
    Array<boolean>(6).fill(false);
  let prevSpace = false;
  let prevBreak = false;
  let precededByWs = true;
  cs.forEach((c, i) => {
    const ch = String.fromCodePoint(c);
    const next = cs[i + 1];
    const followedByWs = next === undefined || next === 0x20 || next === 0x09 || isBreak(next);
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) blockIndicators = true;
      if ((ch === '?' || ch === ':') && followedByWs) blockIndicators = true;
      if (ch === '-' && followedByWs) blockIndicators = true;
    } else {
      if (ch === ':' && followedByWs) blockIndicators = true;
      if (ch === '#' && precededByWs) blockIndicators = true;
    }
    if (!isPrintable(c)) special = true;
    if (isBreak(c)) lineBreaks = true;
    if (c === 0x20) {
      if (i === 0) leadingSpace = true;
      if (i === cs.length - 1) trailingSpace = true;
      if (prevBreak) breakSpace = true;
      [prevSpace, prevBreak] = [true, false];
    } else if (isBreak(c)) {
      if (i === 0) leadingBreak = true;
      if (i === cs.length - 1) trailingBreak = true;
      if (prevSpace) spaceBreak = true;
      [prevSpace, prevBreak] = [false, true];
    } else {
      [prevSpace, prevBreak] = [false, false];
    }
    precededByWs = c === 0x20 || c === 0x09 || isBreak(c);
  });
  const a: Analysis = { plainBlock: true, singleQuoted: true, block: true };
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) a.plainBlock = false;
  if (trailingSpace) a.block = false;
  if (breakSpace) [a.plainBlock, a.singleQuoted] = [false, false];
  if (spaceBreak || special) [a.plainBlock, a.singleQuoted, a.block] = [false, false, false];
  if (lineBreaks || blockIndicators) a.plainBlock = false;
  return a;
}

type Style = 'plain' | 'single' | 'double' | 'literal';

/** go-yaml's stringv choice, then libyaml's fallbacks; keys cannot be literal blocks. */
function styleOf(s: string, key: boolean): Style {
  let style: Style = s.includes('\n') ? 'literal' : resolvesToString(s) || s === '<<' ? 'plain' : 'double';
  const a = analyze(s);
  if (style === 'plain' && (!a.plainBlock || (s === '' && key))) style = 'single';
  if (style === 'single' && !a.singleQuoted) style = 'double';
  if (style === 'literal' && (!a.block || key)) style = 'double';
  return style;
}

// ---- writing ----

const ESCAPES: Record<number, string> = {
  0x00: '0',
  0x07: 'a',
  0x08: 'b',
  0x09: 't',
  0x0a: 'n',
  0x0b: 'v',
  0x0c: 'f',
  0x0d: 'r',
  0x1b: 'e',
  0x22: '"',
  0x5c: '\\',
  0x85: 'N',
  0xa0: '_',
  0x2028: 'L',
  0x2029: 'P',
};

class Writer {
  out = '';
  column = 0;
  /** Only indentation (or a "- " indicator) on the current line so far, as libyaml's flag. */
  indention = true;

  text(s: string): void {
    this.out += s;
    this.column += Array.from(s).length;
    this.indention = false;
  }

  lineBreak(): void {
    this.out += '\n';
    this.column = 0;
    this.indention = true;
  }

  /** libyaml's write_indent: a new line unless still in this line's indentation, then pad. */
  indent(n: number): void {
    if (!this.indention || this.column > n) this.lineBreak();
    this.out += ' '.repeat(Math.max(0, n - this.column));
    this.column = Math.max(this.column, n);
  }

  /** Plain, single- or double-quoted text, folded at a space past 80 columns. */
  flowScalar(s: string, style: Style, indent: number): void {
    const cs = Array.from(s);
    const quote = style === 'single' ? "'" : style === 'double' ? '"' : '';
    this.text(quote);
    let spaces = false;
    cs.forEach((ch, i) => {
      const c = ch.codePointAt(0)!;
      if (ch === ' ') {
        const next = cs[i + 1];
        const inside = style === 'plain' || (i !== 0 && i !== cs.length - 1);
        if (!spaces && this.column > BEST_WIDTH && inside && (style !== 'plain' || next !== ' ')) {
          this.indent(indent);
          if (style === 'double' && next === ' ') this.text('\\');
        } else this.text(' ');
        spaces = true;
        return;
      }
      spaces = false;
      if (style === 'single') this.text(ch === "'" ? "''" : ch);
      else if (
        style === 'double' &&
        (!isPrintable(c) || c === 0xfeff || isBreak(c) || c === 0x22 || c === 0x5c)
      ) {
        const e = ESCAPES[c];
        const hex = (w: number) => c.toString(16).toUpperCase().padStart(w, '0');
        this.text('\\' + (e ?? (c <= 0xff ? 'x' + hex(2) : c <= 0xffff ? 'u' + hex(4) : 'U' + hex(8))));
      } else this.text(ch);
    });
    this.text(quote);
  }

  /** A literal block: indentation hint for a leading space or break, chomping from the end. */
  literal(s: string, indent: number): void {
    let hints = /^[ \n]/.test(s) ? '2' : '';
    if (!s.endsWith('\n')) hints += '-';
    else if (s === '\n' || s.endsWith('\n\n')) hints += '+';
    this.text('|' + hints);
    this.lineBreak();
    let breaks = true;
    for (const ch of s) {
      if (ch === '\n') {
        this.lineBreak();
        breaks = true;
        continue;
      }
      if (breaks) this.indent(indent);
      this.text(ch);
      breaks = false;
    }
  }

  scalar(n: YamlNode, indent: number, key = false): void {
    switch (n.t) {
      case 'null':
        return this.text('null');
      case 'bool':
        return this.text(n.v ? 'true' : 'false');
      case 'num':
        return this.text(numberText(n.text));
      case 'str': {
        const style = styleOf(n.v, key);
        if (style === 'literal') return this.literal(n.v, indent);
        return this.flowScalar(n.v, style, indent);
      }
      default:
        return this.text(n.t === 'seq' ? '[]' : '{}');
    }
  }

  /** A node in block context at the given indentation. */
  node(n: YamlNode, indent: number): void {
    if (n.t === 'map' && n.entries.length > 0) {
      for (const [k, v] of n.entries) {
        this.indent(indent);
        const long = Array.from(k).length > 128;
        if (long) this.text('? ');
        this.scalar({ t: 'str', v: k }, indent + 2, true);
        if (long) this.indent(indent);
        this.text(':');
        this.value(v, indent, false);
      }
    } else if (n.t === 'seq' && n.items.length > 0) {
      for (const item of n.items) {
        this.indent(indent);
        this.text('-');
        // The "- " counts as indentation: a block inside starts on the same line.
        this.indention = true;
        this.value(item, indent + 2, true);
      }
    } else {
      this.indent(indent);
      this.scalar(n, indent + 2);
    }
  }

  private value(v: YamlNode, indent: number, seqItem: boolean): void {
    const block = (v.t === 'map' && v.entries.length > 0) || (v.t === 'seq' && v.items.length > 0);
    if (!block) {
      this.text(' ');
      this.scalar(v, seqItem ? indent : indent + 2);
      return;
    }
    if (seqItem) {
      this.out += ' ';
      this.column += 1;
      this.node(v, indent);
    } else this.node(v, v.t === 'seq' ? indent : indent + 2);
  }
}

/** A JSON number as go-yaml writes it after reading it back: ints as ints, floats as %g. */
function numberText(text: string): string {
  if (/^-?[0-9]+$/.test(text)) {
    const n = BigInt(text);
    if (n >= -(1n << 63n) && n < 1n << 64n) return n.toString();
  }
  const f = Number(text);
  if (f === Infinity) return '.inf';
  if (f === -Infinity) return '-.inf';
  if (Number.isNaN(f)) return '.nan';
  return formatFloatG(f);
}

/** go-yaml's keyList.Less for string keys: letters by code point, digit runs by value. */
export function compareKeys(a: string, b: string): number {
  const ar = Array.from(a);
  const br = Array.from(b);
  const letter = (c: string) => /\p{L}/u.test(c);
  const digit = (c: string | undefined) => c !== undefined && /[0-9]/.test(c);
  for (let i = 0; i < ar.length && i < br.length; i++) {
    const x = ar[i]!;
    const y = br[i]!;
    if (x === y) continue;
    const xl = letter(x);
    const yl = letter(y);
    if (xl && yl) return x < y ? -1 : 1;
    if (xl || yl) return yl ? -1 : 1;
    let an = 0n;
    let bn = 0n;
    if (x === '0' || y === '0') {
      for (let j = i - 1; j >= 0 && digit(ar[j]); j--) {
        if (ar[j] !== '0') {
          an = 1n;
          bn = 1n;
          break;
        }
      }
    }
    let ai = i;
    let bi = i;
    for (; digit(ar[ai]); ai++) an = an * 10n + BigInt(ar[ai]!);
    for (; digit(br[bi]); bi++) bn = bn * 10n + BigInt(br[bi]!);
    if (an !== bn) return an < bn ? -1 : 1;
    if (ai !== bi) return ai < bi ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return ar.length - br.length;
}

/** The YAML text of a node, with go-yaml's trailing newline. */
export function emitYaml(n: YamlNode): string {
  const w = new Writer();
  w.node(n, 0);
  // The document ends on a line break, unless a kept (|+) block ended on one already.
  if (!w.indention || w.column > 0) w.lineBreak();
  return w.out;
}
