// Sprig's string functions from goutils and xstrings (abbrev, initials, wrap, swapcase,
// snakecase, camelcase, kebabcase), plural, hexdec and the path functions. goutils works on
// bytes where Go strings are bytes (abbrev, wrap, initials); that is kept, so non-ASCII text
// is cut and mapped as Go cuts and maps it.

import { goBytes, goString } from './bytes.js';
import type { FuncDef } from './exec.js';

/** A Go string's bytes as a latin1 string (one char per byte), and back. */
const bin = (s: string): string => Buffer.from(goBytes(s)).toString('latin1');
const unbin = (b: string): string => goString(Buffer.from(b, 'latin1'));

function abbreviate(s: string, offset: number, maxWidth: number): string {
  const str = bin(s);
  if (str === '' || maxWidth < 4) return '';
  if (str.length <= maxWidth) return s;
  let off = Math.min(offset, str.length);
  if (str.length - off < maxWidth - 3) off = str.length - (maxWidth - 3);
  if (off <= 4) return unbin(str.slice(0, maxWidth - 3) + '...');
  if (maxWidth < 7) return '';
  if (off + maxWidth - 3 < str.length) return '...' + abbreviate(unbin(str.slice(off)), 0, maxWidth - 3);
  return unbin('...' + str.slice(str.length - (maxWidth - 3)));
}

const isSpaceRune = (c: number): boolean =>
  c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0x85 || c === 0xa0 || /\s/u.test(String.fromCodePoint(c));

/** goutils.Initials: the first byte of each whitespace-separated word (bytes ≥ 0x80 become U+0080..U+00FF, as in Go). */
function initials(s: string): string {
  let out = '';
  let gap = true;
  for (const b of goBytes(s)) {
    if (isSpaceRune(b)) gap = true;
    else if (gap) {
      out += String.fromCharCode(b);
      gap = false;
    }
  }
  return out;
}

function wrapCustom(s: string, width: number, newline: string, longWords: boolean): string {
  const str = bin(s);
  if (str === '') return '';
  const nl = bin(newline === '' ? '\n' : newline);
  const w = Math.max(1, width);
  let offset = 0;
  let out = '';
  while (str.length - offset > w) {
    if (str[offset] === ' ') {
      offset++;
      continue;
    }
    const at = str.slice(offset, w + offset + 1).lastIndexOf(' ') + offset;
    if (at >= offset) {
      out += str.slice(offset, at) + nl;
      offset = at + 1;
    } else if (longWords) {
      out += str.slice(offset, w + offset) + nl;
      offset += w;
    } else {
      const end = w + offset;
      const index = str.slice(end).indexOf(' ');
      if (index === -1) {
        out += str.slice(offset);
        offset = str.length;
      } else {
        out += str.slice(offset, index + end) + nl;
        offset = index + end + 1;
      }
    }
  }
  return unbin(out + str.slice(offset));
}

const TITLE: Record<string, string> = {
  ǆ: 'ǅ',
  ǅ: 'ǅ',
  Ǆ: 'ǅ',
  ǉ: 'ǈ',
  ǈ: 'ǈ',
  Ǉ: 'ǈ',
  ǌ: 'ǋ',
  ǋ: 'ǋ',
  Ǌ: 'ǋ',
  ǳ: 'ǲ',
  ǲ: 'ǲ',
  Ǳ: 'ǲ',
};
const isUpper = (c: string): boolean => /\p{Lu}/u.test(c);
const isLower = (c: string): boolean => /\p{Ll}/u.test(c);
const isTitle = (c: string): boolean => /\p{Lt}/u.test(c);
const oneRune = (c: string, mapped: string): string => (Array.from(mapped).length === 1 ? mapped : c);

/** goutils.SwapCase: upper ↔ lower, and a lower letter after whitespace becomes title case. */
function swapCase(s: string): string {
  let out = '';
  let ws = true;
  for (const c of s) {
    if (isUpper(c) || isTitle(c)) {
      out += oneRune(c, c.toLowerCase());
      ws = false;
    } else if (isLower(c)) {
      out += ws ? (TITLE[c] ?? oneRune(c, c.toUpperCase())) : oneRune(c, c.toUpperCase());
      ws = false;
    } else {
      out += c;
      ws = isSpaceRune(c.codePointAt(0) ?? 0);
    }
  }
  return out;
}

// ---- xstrings word splitting (snakecase, kebabcase) ----

const isConnector = (c: string): boolean => c === '-' || c === '_' || isSpaceRune(c.codePointAt(0) ?? 0);
const isLetter = (c: string): boolean => /\p{L}/u.test(c);
const isPunct = (c: string): boolean => /\p{P}/u.test(c);
const isNumber = (c: string): boolean => /\p{N}/u.test(c);

function isAlphabet(c: string): boolean {
  if (!isLetter(c)) return false;
  const r = c.codePointAt(0) ?? 0;
  if (r < 0x3400) return true;
  if (r >= 0x4e00 && r <= 0x9fcc) return false;
  if (r >= 0x3400 && r <= 0x4d85) return false;
  return !(r >= 0x20000 && r <= 0x2b81d);
}

type WordType = 'invalid' | 'number' | 'upper' | 'alphabet' | 'connector' | 'punct' | 'other';

function nextWord(runes: string[], start: number): { type: WordType; end: number } {
  const n = runes.length;
  if (start >= n) return { type: 'invalid', end: start };
  const r = runes[start]!;
  let i = start + 1;
  const run = (pred: (c: string) => boolean) => {
    while (i < n && pred(runes[i]!)) i++;
  };
  if (r === '\uFFFD') return { type: 'invalid', end: i };
  if (isConnector(r)) {
    run(isConnector);
    return { type: 'connector', end: i };
  }
  if (isPunct(r)) {
    run(isPunct);
    return { type: 'punct', end: i };
  }
  if (isUpper(r)) {
    if (i < n && isUpper(runes[i]!)) {
      run(isUpper);
      // "HTTPServer": the last capital starts the next word.
      if (i < n && isAlphabet(runes[i]!)) i--;
    } else if (i < n && isAlphabet(runes[i]!)) {
      run((c) => isAlphabet(c) && !isUpper(c));
    }
    return { type: 'upper', end: i };
  }
  if (isAlphabet(r)) {
    run((c) => isAlphabet(c) && !isUpper(c));
    return { type: 'alphabet', end: i };
  }
  if (isNumber(r)) {
    run(isNumber);
    return { type: 'number', end: i };
  }
  run((c) => !(isConnector(c) || isAlphabet(c) || isNumber(c) || isPunct(c)));
  return { type: 'other', end: i };
}

function lowerWord(type: WordType, word: string, connector: string): string {
  if (type !== 'upper' && type !== 'connector') return word;
  let out = '';
  for (const c of word) out += isConnector(c) ? connector : isUpper(c) ? c.toLowerCase() : c;
  return out;
}

/** xstrings' camelCaseToLowerCase: "HTTPServerID" → "http_server_id". */
function toLowerCase(s: string, connector: string): string {
  const runes = Array.from(s);
  if (runes.length === 0) return '';
  let pos = 0;
  // The current word; an object so each advance() is seen by the checks after it.
  const cur: { wt: WordType; word: string } = { wt: 'invalid', word: '' };
  const advance = (): void => {
    if (pos >= runes.length) {
      [cur.wt, cur.word] = ['invalid', ''];
      return;
    }
    const w = nextWord(runes, pos);
    [cur.wt, cur.word] = [w.type, runes.slice(pos, w.end).join('')];
    pos = w.end;
  };
  // Read through a call: TypeScript would otherwise keep a narrowing across advance().
  const type = (): WordType => cur.wt;
  const lower = (t: WordType, w: string): string => lowerWord(t, w, connector);
  const joins = (t: WordType): boolean => t !== 'invalid' && t !== 'punct' && t !== 'connector';
  const alnumRun = (): void => {
    while (cur.wt === 'alphabet' || cur.wt === 'number') {
      out += lower(cur.wt, cur.word);
      advance();
    }
  };
  let out = '';
  advance();
  while (pos < runes.length) {
    if (cur.wt !== 'connector') out += lower(cur.wt, cur.word);
    const prev = cur.wt;
    const last = cur.word;
    advance();
    if (prev === 'number') {
      alnumRun();
      if (joins(cur.wt)) out += connector;
    } else if (prev === 'connector') {
      out += lower(prev, last);
    } else if (prev !== 'punct') {
      afterWord();
    }
  }
  return out + lower(cur.wt, cur.word);

  // A letter word followed by a number: "Bld4Floor" keeps "bld4", "http2xx" splits "http_2xx".
  function afterWord(): void {
    if (type() !== 'number') {
      if (type() !== 'connector' && type() !== 'punct') out += connector;
      return;
    }
    if (pos >= runes.length) return;
    const num = cur.word;
    advance();
    if (type() !== 'alphabet') {
      out += lower('number', num);
      if (type() !== 'connector' && type() !== 'punct') out += connector;
      return;
    }
    out += connector + lower('number', num);
    alnumRun();
    if (joins(type())) out += connector;
  }
}

/** xstrings.ToPascalCase (Sprig's camelcase): connectors dropped, the letter after each upper-cased. */
function toPascalCase(s: string): string {
  const runes = Array.from(s);
  let out = '';
  let i = 0;
  for (; i < runes.length && isConnector(runes[i]!); i++) out += runes[i];
  if (i === runes.length) return out;
  let prev = runes[i++]!.toUpperCase();
  for (; i < runes.length; i++) {
    const c = runes[i]!;
    if (isConnector(c) && isConnector(prev)) {
      out += prev;
      prev = c;
      continue;
    }
    if (isConnector(prev)) prev = c.toUpperCase();
    else {
      out += prev;
      prev = c;
    }
  }
  return out + prev;
}

// ---- paths (path and, on Linux, path/filepath) ----

export function cleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const parts: string[] = [];
  let dotdot = 0;
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (parts.length > dotdot) parts.pop();
      else if (!rooted) {
        parts.push('..');
        dotdot = parts.length;
      }
      continue;
    }
    parts.push(seg);
  }
  const out = (rooted ? '/' : '') + parts.join('/');
  return out === '' ? '.' : out;
}

function basePath(p: string): string {
  if (p === '') return '.';
  const trimmed = p.replace(/\/+$/, '');
  const base = trimmed.slice(trimmed.lastIndexOf('/') + 1);
  return base === '' ? '/' : base;
}

function dirPath(p: string): string {
  return cleanPath(p.slice(0, p.lastIndexOf('/') + 1));
}

function extPath(p: string): string {
  for (let i = p.length - 1; i >= 0 && p[i] !== '/'; i--) if (p[i] === '.') return p.slice(i);
  return '';
}

/** hex.DecodeString, its error text as the value (Sprig's hexdec). */
function hexdec(s: string): string {
  const bytes = bin(s);
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i += 2) {
    for (const c of [bytes[i], bytes[i + 1]]) {
      if (c !== undefined && !/[0-9a-fA-F]/.test(c))
        return `encoding/hex: invalid byte: ${goRuneU(c.charCodeAt(0))}`;
    }
    if (i + 1 >= bytes.length) return 'encoding/hex: odd length hex string';
    out.push(parseInt(bytes.slice(i, i + 2), 16));
  }
  return goString(Uint8Array.from(out));
}

/** fmt's %#U of a byte-sized rune: U+0067 'g', the quote only when strconv.IsPrint. */
function goRuneU(r: number): string {
  const u = 'U+' + r.toString(16).toUpperCase().padStart(4, '0');
  const printable = (r >= 0x20 && r < 0x7f) || (r >= 0xa1 && r !== 0xad);
  return printable ? `${u} '${String.fromCharCode(r)}'` : u;
}

const S = 'string' as const;
const I = 'int' as const;

export const WORD_FUNCS: Record<string, FuncDef> = {
  hello: { fn: () => 'Hello!', params: [] },
  abbrev: { fn: (w, s) => ((w as number) < 4 ? s : abbreviate(s as string, 0, w as number)), params: [I, S] },
  abbrevboth: {
    fn: (l, r, s) =>
      (r as number) < 4 || ((l as number) > 0 && (r as number) < 7)
        ? s
        : abbreviate(s as string, l as number, r as number),
    params: [I, I, S],
  },
  initials: { fn: (s) => initials(s as string), params: [S] },
  swapcase: { fn: (s) => swapCase(s as string), params: [S] },
  snakecase: { fn: (s) => toLowerCase(s as string, '_'), params: [S] },
  kebabcase: { fn: (s) => toLowerCase(s as string, '-'), params: [S] },
  camelcase: { fn: (s) => toPascalCase(s as string), params: [S] },
  wrap: { fn: (l, s) => wrapCustom(s as string, l as number, '', false), params: [I, S] },
  wrapWith: {
    fn: (l, sep, s) => wrapCustom(s as string, l as number, sep as string, true),
    params: [I, S, S],
  },
  plural: { fn: (one, many, n) => ((n as number) === 1 ? one : many), params: [S, S, I] },
  hexdec: { fn: (s) => hexdec(s as string), params: [S] },
  base: { fn: (p) => basePath(p as string), params: [S] },
  dir: { fn: (p) => dirPath(p as string), params: [S] },
  clean: { fn: (p) => cleanPath(p as string), params: [S] },
  ext: { fn: (p) => extPath(p as string), params: [S] },
  isAbs: { fn: (p) => (p as string).startsWith('/'), params: [S] },
  osBase: { fn: (p) => basePath(p as string), params: [S] },
  osDir: { fn: (p) => dirPath(p as string), params: [S] },
  osClean: { fn: (p) => cleanPath(p as string), params: [S] },
  osExt: { fn: (p) => extPath(p as string), params: [S] },
  osIsAbs: { fn: (p) => (p as string).startsWith('/'), params: [S] },
};
