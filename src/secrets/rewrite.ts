// dataFrom[].rewrite, applied in order to the keys one dataFrom entry produced. ESO is written
// in Go and users copy its manifests, so patterns are Go (RE2) regexps and targets follow
// Go's Regexp.ReplaceAllString; both are translated here rather than approximated.

import type { Rewrite } from '../api/types.js';
import { SecretDataError, quoteName } from './errors.js';
import { mergeRewrite } from './merge.js';

// ---- Go regexp syntax → JavaScript (always compiled with the 'u' flag) ----

const SYNTAX_CHARS = new Set('^$\\.*+?()[]{}|/');
const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7f',
  blank: '\\t ',
  cntrl: '\\x00-\\x1f\\x7f',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`\\{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};
// Go's \s is ASCII-only; JavaScript's would also match NBSP and friends.
const GO_SPACE = '\\t\\n\\f\\r ';
const HEX = /^[0-9A-Fa-f]+$/;
const REPEAT = /^\{\d+(?:,\d*)?\}/;
const FLAGS = /^\(\?([a-zA-Z]*(?:-[a-zA-Z]*)?)([:)])/;

class Unsupported extends Error {}

/** A literal character, escaped so it is valid in and out of a class under the 'u' flag. */
function literal(ch: string): string {
  if (SYNTAX_CHARS.has(ch)) return `\\${ch}`;
  const cp = ch.codePointAt(0)!;
  if (cp < 0x80 && !/[0-9A-Za-z_ ]/.test(ch)) return `\\x${cp.toString(16).padStart(2, '0')}`;
  return ch;
}

function unicodeClass(negated: boolean, name: string): string {
  let neg = negated;
  let n = name;
  if (n.startsWith('^')) {
    neg = !neg;
    n = n.slice(1);
  }
  // One- and two-letter names are general categories; anything else is a script in Go.
  const prop = /^(?:[A-Z][a-z]?|Any)$/.test(n) ? n : `Script=${n}`;
  return `\\${neg ? 'P' : 'p'}{${prop}}`;
}

/** Translates the escape at src[i] (a backslash); returns the output and the next index. */
function translateEscape(src: string, i: number, inClass: boolean): [string, number] {
  const c = src[i + 1];
  if (c === undefined) throw new Unsupported('trailing backslash');
  const next = i + 2;
  switch (c) {
    case 'd':
    case 'D':
    case 'w':
    case 'W':
    case 'b':
    case 'B':
    case 'f':
    case 'n':
    case 'r':
    case 't':
    case 'v':
      return [`\\${c}`, next];
    case 's':
      return [inClass ? GO_SPACE : `[${GO_SPACE}]`, next];
    case 'S':
      return [inClass ? '\\S' : `[^${GO_SPACE}]`, next];
    case 'a':
      return ['\\x07', next];
    case 'A':
      if (inClass) break;
      return ['(?<![\\s\\S])', next];
    case 'z':
      if (inClass) break;
      return ['(?![\\s\\S])', next];
    case 'Q': {
      const end = src.indexOf('\\E', next);
      const text = end < 0 ? src.slice(next) : src.slice(next, end);
      return [Array.from(text, literal).join(''), end < 0 ? src.length : end + 2];
    }
    case 'p':
    case 'P': {
      if (src[next] === '{') {
        const close = src.indexOf('}', next);
        if (close < 0) break;
        return [unicodeClass(c === 'P', src.slice(next + 1, close)), close + 1];
      }
      const name = src[next];
      if (name === undefined) break;
      return [unicodeClass(c === 'P', name), next + 1];
    }
    case 'x': {
      if (src[next] === '{') {
        const close = src.indexOf('}', next);
        const hex = close < 0 ? '' : src.slice(next + 1, close);
        if (!HEX.test(hex)) break;
        return [`\\u{${hex}}`, close + 1];
      }
      const hex = src.slice(next, next + 2);
      if (hex.length !== 2 || !HEX.test(hex)) break;
      return [`\\x${hex}`, next + 2];
    }
    default: {
      if (c >= '0' && c <= '7') {
        // Go: \0 and \1-\7 followed by an octal digit are octal (up to 3 digits); a lone
        // \1-\7 would be a backreference, which RE2 does not have.
        let j = next;
        while (j < i + 4 && j < src.length && src[j]! >= '0' && src[j]! <= '7') j++;
        if (c !== '0' && j === next) break;
        return [`\\u{${parseInt(src.slice(i + 1, j), 8).toString(16)}}`, j];
      }
      // Any ASCII punctuation may be escaped in Go; letters and digits may not.
      if (c.charCodeAt(0) < 0x80 && !/[0-9A-Za-z]/.test(c)) return [literal(c), next];
    }
  }
  throw new Unsupported(`invalid escape \\${c}`);
}

function translateClass(src: string, start: number): [string, number] {
  let out = '[';
  let i = start + 1;
  if (src[i] === '^') {
    out += '^';
    i++;
  }
  // Go, like POSIX, takes a ']' right after the opening bracket as a literal.
  if (src[i] === ']') {
    out += '\\]';
    i++;
  }
  while (i < src.length) {
    const c = src[i]!;
    if (c === ']') return [`${out}]`, i + 1];
    if (c === '\\') {
      const [t, n] = translateEscape(src, i, true);
      out += t;
      i = n;
    } else if (c === '[' && src[i + 1] === ':') {
      const close = src.indexOf(':]', i + 2);
      const name = close < 0 ? '' : src.slice(i + 2, close);
      const cls = POSIX_CLASSES[name];
      if (cls === undefined) throw new Unsupported(`unsupported character class [:${name}:]`);
      out += cls;
      i = close + 2;
    } else {
      out += c === '[' ? '\\[' : c;
      i++;
    }
  }
  throw new Unsupported('missing closing ]');
}

/** Translates a Go regexp to a JavaScript source and flags. Throws on what cannot be mapped. */
export function translateGoRegexp(src: string): { source: string; flags: string } {
  let out = '';
  const flags = new Set<string>();
  let i = 0;
  // Leading (?flags) apply to the whole pattern: JavaScript flags. Elsewhere they apply up to
  // the end of the enclosing group across alternations, which JavaScript cannot express.
  for (let m = FLAGS.exec(src); m && m[1] !== '' && m[2] === ')'; m = FLAGS.exec(src.slice(i))) {
    const [on = ''] = m[1]!.split('-');
    for (const f of on) flags.add(f);
    i += m[0].length;
  }
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\\') {
      const [t, n] = translateEscape(src, i, false);
      out += t;
      i = n;
    } else if (c === '[') {
      const [t, n] = translateClass(src, i);
      out += t;
      i = n;
    } else if (c === '(' && src[i + 1] === '?') {
      const rest = src.slice(i);
      if (rest.startsWith('(?P<')) {
        out += '(?<';
        i += 4;
      } else {
        const m = FLAGS.exec(rest);
        if (m && m[1] !== '') {
          if (m[2] === ')')
            throw new Unsupported('inline flags are supported only at the start; use (?flags:...)');
          if (m[1]!.includes('U')) throw new Unsupported('the U (ungreedy) flag is not supported');
          out += m[0];
          i += m[0].length;
        } else {
          out += '(?';
          i += 2;
        }
      }
    } else if (c === '{') {
      const m = REPEAT.exec(src.slice(i, i + 24));
      // Go reads a '{' that does not start a repetition as a literal; 'u' mode rejects it.
      out += m ? m[0] : '\\{';
      i += m ? m[0].length : 1;
    } else if (c === '}' || c === ']') {
      out += `\\${c}`;
      i++;
    } else {
      out += c;
      i++;
    }
  }
  if (flags.has('U')) throw new Unsupported('the U (ungreedy) flag is not supported');
  let jsFlags = 'u';
  for (const f of ['i', 'm', 's']) if (flags.has(f)) jsFlags += f;
  for (const f of flags) if (!'imsU'.includes(f)) throw new Unsupported(`unknown flag ${f}`);
  return { source: out, flags: jsFlags };
}

const compiled = new Map<string, RegExp>();
const MAX_CACHED = 512;

/**
 * A Go regexp as a global JavaScript RegExp (cached: the same patterns come back every
 * refresh). Throws SecretDataError InvalidRegexp naming the pattern.
 */
export function compileGoRegexp(source: string, what = 'regexp'): RegExp {
  const hit = compiled.get(source);
  if (hit) return hit;
  let re: RegExp;
  try {
    const t = translateGoRegexp(source);
    re = new RegExp(t.source, `g${t.flags}`);
  } catch (e) {
    // JavaScript's message repeats the translated pattern; the reason after it is what helps.
    const why = e instanceof Error ? (e.message.split(': ').pop() ?? '') : '';
    throw new SecretDataError(
      'InvalidRegexp',
      `${what} ${quoteName(source, 256)} is not a valid regular expression${why ? `: ${why}` : ''}`,
    );
  }
  if (compiled.size >= MAX_CACHED) compiled.clear();
  compiled.set(source, re);
  return re;
}

// ---- Go's Regexp.Expand templates ----

/** A template compiled once per rewrite: literal text, group numbers and group names. */
type TemplatePart = string | number | { name: string };

const NAME_CHAR = /^[\p{L}\p{Nd}_]$/u;
const GROUP_NUMBER = /^(?:0|[1-9]\d{0,8})$/;

/** Go's extract(): `name` or `{name}`; a number only without leading zeros. */
function readReference(t: string, start: number): { part: TemplatePart; end: number } | undefined {
  let j = start;
  const brace = t[j] === '{';
  if (brace) j++;
  const nameStart = j;
  while (j < t.length) {
    const ch = String.fromCodePoint(t.codePointAt(j)!);
    if (!NAME_CHAR.test(ch)) break;
    j += ch.length;
  }
  if (j === nameStart) return undefined;
  const name = t.slice(nameStart, j);
  if (brace) {
    if (t[j] !== '}') return undefined;
    j++;
  }
  return { part: GROUP_NUMBER.test(name) ? Number(name) : { name }, end: j };
}

/**
 * `$1`, `${1}`, `$name`, `${name}`; `$$` is a literal `$`; `$name` takes the longest run of
 * letters, digits and '_' (so `$1x` is group "1x", which is empty); a malformed `$` stays.
 */
export function compileTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let lit = '';
  let i = 0;
  while (i < template.length) {
    const d = template.indexOf('$', i);
    if (d < 0) {
      lit += template.slice(i);
      break;
    }
    lit += template.slice(i, d);
    i = d + 1;
    if (template[i] === '$') {
      lit += '$';
      i++;
      continue;
    }
    const ref = readReference(template, i);
    if (!ref) {
      lit += '$';
      continue;
    }
    if (lit) parts.push(lit);
    lit = '';
    parts.push(ref.part);
    i = ref.end;
  }
  if (lit) parts.push(lit);
  return parts;
}

function expand(parts: TemplatePart[], m: RegExpMatchArray): string {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'string') out += p;
    else if (typeof p === 'number') out += m[p] ?? '';
    else out += m.groups?.[p.name] ?? '';
  }
  return out;
}

/** Go's ReplaceAllString: an empty match right after the previous match is not replaced. */
export function replaceAllGo(input: string, re: RegExp, template: string | TemplatePart[]): string {
  const parts = typeof template === 'string' ? compileTemplate(template) : template;
  let out = '';
  let last = 0;
  let prevEnd = -1;
  for (const m of input.matchAll(re)) {
    const start = m.index;
    const end = start + m[0].length;
    if (m[0].length === 0 && start === prevEnd) continue;
    out += input.slice(last, start) + expand(parts, m);
    last = end;
    prevEnd = end;
  }
  return last === 0 && prevEnd === -1 ? input : out + input.slice(last);
}

// ---- rewrite[] ----

export interface RewriteOptions {
  /**
   * Renders `rewrite[].transform.template` for one key (ESO passes the key as `.value`).
   * Without it a transform is rejected as Unsupported.
   */
  transform?: (template: string, key: string) => string;
  /** The spec entry for messages, e.g. `dataFrom[1]`. */
  where?: string;
}

export function applyRewrites(
  map: Record<string, Uint8Array>,
  rewrites: readonly Rewrite[],
  opts: RewriteOptions = {},
): Record<string, Uint8Array> {
  let cur = map;
  for (const [i, rw] of rewrites.entries()) {
    const where = `${opts.where ? `${opts.where}.` : ''}rewrite[${i}]`;
    let rename: (key: string) => string;
    // ESO's order of precedence, should an object carry more than one (the CRD allows one).
    if (rw.merge) {
      cur = mergeRewrite(cur, rw.merge, where);
      continue;
    } else if (rw.regexp) {
      const re = compileGoRegexp(rw.regexp.source ?? '', `${where}.regexp.source`);
      const parts = compileTemplate(rw.regexp.target ?? '');
      rename = (key) => replaceAllGo(key, re, parts);
    } else if (rw.transform) {
      const render = opts.transform;
      if (!render) {
        throw new SecretDataError(
          'Unsupported',
          `${where}.transform is not supported by this Syncret version yet`,
        );
      }
      const template = rw.transform.template ?? '';
      rename = (key) => render(template, key);
    } else {
      continue; // ESO leaves the map alone for a rewrite it does not recognise
    }
    // Two keys rewritten to the same name: the later one wins (ESO's is map-order dependent).
    const next = Object.create(null) as Record<string, Uint8Array>;
    for (const k of Object.keys(cur)) next[rename(k)] = cur[k]!;
    cur = next;
  }
  return cur;
}
