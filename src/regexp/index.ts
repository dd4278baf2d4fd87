// User-supplied patterns (find.name.regexp, rewrite[].regexp, the template regex functions,
// ClusterSecretStore namespaceRegexes) are Go regexps: ESO is written in Go and users copy its
// manifests. This module gives them Go's syntax, Go's error messages and Go's matching rules on
// a linear-time RE2 engine (./engine.ts), so no pattern and no input can hold the event loop.
// It sits below every layer that takes patterns from users (docs/ARCHITECTURE.md).
//
//   const re = compileRegexp('^app-(?P<n>.*)$');   // throws RegexpSyntaxError like regexp.Compile
//   re.replaceAllString('app-db', '${n}');         // "db"

import { compileEngine } from './engine.js';
import type { Engine, Submatches } from './engine.js';
import { compileTemplate, expand, hasReferences } from './expand.js';
import type { TemplatePart } from './expand.js';

export { MAX_PROGRAM, RegexpSyntaxError } from './engine.js';
export { MatchMeter } from './meter.js';
export type { Submatches } from './engine.js';
export { compileTemplate } from './expand.js';
export type { TemplatePart } from './expand.js';

/** Width of the code point at s[i] in UTF-16 units; Go steps over whole runes. */
function runeWidth(s: string, i: number): number {
  return (s.codePointAt(i) ?? 0) > 0xffff ? 2 : 1;
}

/** A compiled Go regexp with the methods of Go's *regexp.Regexp that Syncret needs. */
export class GoRegexp {
  constructor(
    readonly source: string,
    private readonly engine: Engine,
  ) {}

  /** Go's NumSubexp. */
  get numSubexp(): number {
    return this.engine.groupCount;
  }

  /** Instructions of the program; a match costs at most about 7 ns per instruction a character. */
  get programSize(): number {
    return this.engine.programSize;
  }

  /** Go's MatchString: a match anywhere in s. */
  matchString(s: string): boolean {
    return this.engine.test(s);
  }

  /**
   * Go's allMatches: up to n (n < 0: all) successive non-overlapping matches; an empty match
   * right after the previous match is skipped.
   */
  findAllIndex(s: string, n: number, groups = false): Submatches[] {
    const out: Submatches[] = [];
    const scanner = this.engine.scan(s);
    const limit = n < 0 ? s.length + 1 : n;
    let pos = 0;
    let prevEnd = -1;
    while (out.length < limit && pos <= s.length) {
      const m = scanner.find(pos, groups);
      if (!m) break;
      const [start, end] = m as [number, number];
      let accept = true;
      if (end === pos) {
        // An empty match: never right after the previous match; step over one rune.
        if (start === prevEnd) accept = false;
        pos = pos < s.length ? pos + runeWidth(s, pos) : s.length + 1;
      } else {
        pos = end;
      }
      prevEnd = end;
      if (accept) out.push(m);
    }
    return out;
  }

  /** Go's FindString: the leftmost match, or "" when there is none. */
  findString(s: string): string {
    const m = this.engine.scan(s).find(0, false);
    return m ? s.slice(m[0], m[1]) : '';
  }

  /** Go's FindAllString. */
  findAllString(s: string, n: number): string[] {
    return this.findAllIndex(s, n).map((m) => s.slice(m[0], m[1]));
  }

  /** Go's ReplaceAllString: `template` is expanded per match ($1, ${name}, $$). */
  replaceAllString(src: string, template: string | readonly TemplatePart[]): string {
    const parts = typeof template === 'string' ? compileTemplate(template) : template;
    const names = this.engine.groupNames;
    return this.replaceAll(src, hasReferences(parts), (m) => expand(parts, src, m, names));
  }

  /** Go's ReplaceAllLiteralString: `repl` is inserted as it is. */
  replaceAllLiteralString(src: string, repl: string): string {
    return this.replaceAll(src, false, () => repl);
  }

  /** Go's replaceAll loop, empty-match rules included. */
  private replaceAll(src: string, groups: boolean, repl: (m: Submatches) => string): string {
    const scanner = this.engine.scan(src);
    let out = '';
    let lastMatchEnd = 0;
    let searchPos = 0;
    while (searchPos <= src.length) {
      const m = scanner.find(searchPos, groups);
      if (!m) break;
      const [start, end] = m as [number, number];
      out += src.slice(lastMatchEnd, start);
      // Not for an empty match right after another match: `x*` on "xa" gives "-a-", not "--a-".
      if (end > lastMatchEnd || start === 0) out += repl(m);
      lastMatchEnd = end;
      const width = searchPos < src.length ? runeWidth(src, searchPos) : 0;
      if (searchPos + width > end) searchPos += width;
      else if (searchPos + 1 > end) searchPos++;
      else searchPos = end;
    }
    return out + src.slice(lastMatchEnd);
  }

  /** Go's Split: n > 0 at most n pieces, n == 0 none, n < 0 all. */
  split(s: string, n: number): string[] {
    if (n === 0) return [];
    if (this.source.length > 0 && s.length === 0) return [''];
    const pieces: string[] = [];
    let beg = 0;
    let end = 0;
    for (const m of this.findAllIndex(s, n)) {
      if (n > 0 && pieces.length === n - 1) break;
      end = m[0]!;
      if (m[1] !== 0) pieces.push(s.slice(beg, end));
      beg = m[1]!;
    }
    if (end !== s.length) pieces.push(s.slice(beg));
    return pieces;
  }
}

const cache = new Map<string, GoRegexp>();
/**
 * The same patterns come back every refresh. Bounded (each entry holds its program and the
 * engine's lazily built DFA states); when full, the oldest entry goes.
 */
const CACHE_MAX = 256;

/** Go's regexp.Compile; throws RegexpSyntaxError with Go's message. */
export function compileRegexp(source: string): GoRegexp {
  const hit = cache.get(source);
  if (hit) {
    // Refresh its place: Map order is insertion order, the first entry is evicted first.
    cache.delete(source);
    cache.set(source, hit);
    return hit;
  }
  const re = new GoRegexp(source, compileEngine(source));
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
  cache.set(source, re);
  return re;
}

/** Go's regexp.QuoteMeta: every metacharacter escaped. */
export function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}
