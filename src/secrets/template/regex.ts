// Go regexp (RE2) patterns run on JS RegExp. The common syntax is shared; this translates
// what differs ((?P<name>), leading flag groups, \A \z, POSIX classes) and reproduces Go's
// "All" iteration, which ignores an empty match right after the previous match.

import { ExecFailure } from './errors.js';

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

const cache = new Map<string, RegExp>();
const CACHE_MAX = 256;

/** Compiles a Go pattern to a global JS RegExp; throws ExecFailure naming the problem only. */
export function compile(pattern: string): RegExp {
  const hit = cache.get(pattern);
  if (hit) return hit;
  let src = pattern;
  let flags = 'g';
  const lead = /^\(\?([imsU]+)\)/.exec(src);
  if (lead) {
    const f = lead[1] ?? '';
    if (f.includes('U')) throw new ExecFailure('error parsing regexp: ungreedy flag (?U) is not supported');
    for (const c of f) if (!flags.includes(c)) flags += c;
    src = src.slice(lead[0].length);
  }
  src = src
    .replace(/\(\?P</g, '(?<')
    .replace(/\\A/g, '^(?<![\\s\\S])')
    .replace(/\\z/g, '(?![\\s\\S])')
    .replace(/\[:([a-z]+):\]/g, (all, name: string) => POSIX[name] ?? all);
  if (/\\[pP]/.test(src)) flags += 'u';
  let re: RegExp;
  try {
    re = new RegExp(src, flags);
  } catch (e) {
    // JS messages quote the whole pattern; keep only the reason.
    const msg = e instanceof Error ? (e.message.split(': ').pop() ?? 'invalid pattern') : 'invalid pattern';
    throw new ExecFailure(`error parsing regexp: ${msg}`);
  }
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(pattern, re);
  return re;
}

/** Go's successive non-overlapping matches; n < 0 means all. */
export function allMatches(re: RegExp, s: string, n: number): RegExpExecArray[] {
  const out: RegExpExecArray[] = [];
  let pos = 0;
  let prevEnd = -1;
  while (pos <= s.length && (n < 0 || out.length < n)) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) break;
    const start = m.index;
    const end = start + m[0].length;
    if (start === end && start === prevEnd) {
      pos = start + charWidth(s, start);
      continue;
    }
    out.push(m);
    prevEnd = end;
    pos = start === end ? end + charWidth(s, end) : end;
  }
  return out;
}

function charWidth(s: string, i: number): number {
  return (s.codePointAt(i) ?? 0) > 0xffff ? 2 : 1;
}

/** regexp.Expand: $1, ${1}, $name, ${name}; $$ is a dollar. */
export function expand(template: string, m: RegExpExecArray): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const ch = template[i];
    if (ch !== '$') {
      out += ch;
      continue;
    }
    if (template[i + 1] === '$') {
      out += '$';
      i++;
      continue;
    }
    let name: string | undefined;
    let next = i + 1;
    if (template[i + 1] === '{') {
      const close = template.indexOf('}', i + 2);
      const inner = close === -1 ? '' : template.slice(i + 2, close);
      if (close !== -1 && /^\w+$/.test(inner)) {
        name = inner;
        next = close + 1;
      }
    } else {
      const word = /^\w+/.exec(template.slice(i + 1));
      if (word) {
        name = word[0];
        next = i + 1 + name.length;
      }
    }
    if (name === undefined) {
      out += '$';
      continue;
    }
    // Go reads the longest name, so "$1x" refers to a group named "1x".
    const value = /^\d+$/.test(name) ? m[Number(name)] : m.groups?.[name];
    out += value ?? '';
    i = next - 1;
  }
  return out;
}

export function replaceAll(pattern: string, s: string, repl: string, literal: boolean): string {
  const re = compile(pattern);
  let out = '';
  let last = 0;
  for (const m of allMatches(re, s, -1)) {
    out += s.slice(last, m.index) + (literal ? repl : expand(repl, m));
    last = m.index + m[0].length;
  }
  return out + s.slice(last);
}

export function split(pattern: string, s: string, n: number): string[] {
  if (n === 0) return [];
  const re = compile(pattern);
  if (pattern.length > 0 && s.length === 0) return [''];
  const matches = allMatches(re, s, n > 0 ? n - 1 : -1);
  const out: string[] = [];
  let beg = 0;
  for (const m of matches) {
    const end = m.index;
    if (n > 0 && out.length === n - 1) break;
    // An empty match at the very start does not produce an empty first piece.
    if (m[0].length === 0 && end === 0) continue;
    out.push(s.slice(beg, end));
    beg = end + m[0].length;
  }
  out.push(s.slice(beg));
  return out;
}
