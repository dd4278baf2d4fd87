// The one file that knows which RE2 engine runs user patterns. Everything above it (Go's
// Expand, ReplaceAll, Split, the "All" iteration) is written against this small interface, so
// swapping the engine is a change here alone. The choice and its measurements are in
// docs/TEMPLATES.md ("Regular expressions").
//
// re2js is a pure JavaScript port of RE2J, itself a port of Go's regexp package: its parser is
// Go's (same syntax, same checks, same error codes), its matchers are Go's NFA, one-pass and
// bounded backtracker plus a lazy DFA, so matching is linear in the input.
//
// Two bounds on top, because here every match runs on the one event loop: matching never takes
// re2js's lazy DFA, which builds a state per character on patterns like (a|b)*a(a|b){20}$ (up
// to 45 µs a character, measured; the NFA path costs about 7 ns per instruction a character,
// and 0.5-2 µs per typical name); and programs are at most MAX_PROGRAM instructions (Go allows
// 3.3 million), so no single match costs more than about 35 µs a character.

import { createRequire } from 'node:module';
import type * as Re2 from 're2js';

let re2: typeof Re2 | undefined;
/**
 * re2js on first use: an operator whose objects name no pattern never loads it (0.64 MiB of
 * heap, Node 24.21). Its CommonJS build: the same code, and the one copy in the process.
 */
const lib = (): typeof Re2 => (re2 ??= createRequire(import.meta.url)('re2js') as typeof Re2);

/** A pattern that Go's regexp.Compile rejects; `message` is Go's err.Error(). */
export class RegexpSyntaxError extends Error {
  override readonly name = 'RegexpSyntaxError';
  constructor(
    /** Go's ErrorCode text, e.g. "missing closing )". */
    readonly code: string,
    /** The part of the pattern Go quotes (possibly shortened, see MAX_EXPR). */
    readonly expr: string,
  ) {
    super(`error parsing regexp: ${code}: \`${expr}\``);
  }
}

/** Largest compiled program accepted ("expression too large", Go's message for its own limit). */
export const MAX_PROGRAM = 5000;

/** Longest quoted pattern part in a message: conditions and events stay readable. */
const MAX_EXPR = 256;

/**
 * re2js reports the nesting and size limits without the pattern; Go quotes the whole pattern
 * for those. Other codes carry the same quoted part as Go's.
 */
const WHOLE_PATTERN_CODES = new Set(['expression nests too deeply', 'expression too large']);

function syntaxError(e: Re2.RE2JSSyntaxException, source: string): RegexpSyntaxError {
  const code = e.getDescription();
  let expr = e.getPattern() ?? (WHOLE_PATTERN_CODES.has(code) ? source : '');
  if (expr.length > MAX_EXPR) expr = `${expr.slice(0, MAX_EXPR)}...`;
  return new RegexpSyntaxError(code, expr);
}

/** Submatch positions as Go returns them: [start0, end0, start1, end1, ...], -1 when unset. */
export type Submatches = number[];

/** Successive searches over one input string. */
export interface Scanner {
  /**
   * The leftmost-first match starting at or after `from` (the whole input stays the context of
   * `^`, `\b` and friends), or undefined. With `groups` false only [start, end] is computed.
   */
  find(from: number, groups: boolean): Submatches | undefined;
}

export interface Engine {
  /** Capturing groups, not counting the whole match. */
  readonly groupCount: number;
  /** Instructions of the compiled program: the cost of a match is at most about this per character. */
  readonly programSize: number;
  /** Group names by index (index 0 is the whole match); "" for unnamed groups. */
  readonly groupNames: readonly string[];
  /** Whether the pattern matches anywhere in `input` (Go's MatchString). */
  test(input: string): boolean;
  scan(input: string): Scanner;
}

class Re2jsEngine implements Engine {
  readonly groupCount: number;
  readonly groupNames: readonly string[];
  readonly programSize: number;

  constructor(private readonly p: Re2.RE2JS) {
    this.groupCount = p.groupCount();
    this.programSize = p.programSize();
    const names = new Array<string>(this.groupCount + 1).fill('');
    for (const [name, i] of Object.entries(p.namedGroups())) names[i] = name;
    this.groupNames = names;
  }

  test(input: string): boolean {
    // The matcher, not RE2JS.test: test() takes the lazy DFA (see the top of this file).
    return this.p.matcher(input).find(0);
  }

  scan(input: string): Scanner {
    const m = this.p.matcher(input);
    const n = this.groupCount;
    return {
      find(from: number, groups: boolean): Submatches | undefined {
        if (from > input.length || !m.find(from)) return undefined;
        const out = [m.start(0), m.end(0)];
        // re2js computes groups only when asked for (a second, anchored pass).
        if (groups) for (let g = 1; g <= n; g++) out.push(m.start(g), m.end(g));
        return out;
      },
    };
  }
}

/** Compiles a Go regexp; throws RegexpSyntaxError with Go's message when Go would refuse it. */
export function compileEngine(source: string): Engine {
  let engine: Re2jsEngine;
  const { RE2JS, RE2JSException, RE2JSSyntaxException } = lib();
  try {
    engine = new Re2jsEngine(RE2JS.compile(source));
  } catch (e) {
    if (e instanceof RE2JSSyntaxException) throw syntaxError(e, source);
    // Anything else the engine rejects at compile time (there should be nothing) is still the
    // pattern's fault, not the operator's.
    if (e instanceof RE2JSException) throw new RegexpSyntaxError(e.message, source.slice(0, MAX_EXPR));
    throw e;
  }
  if (engine.programSize > MAX_PROGRAM)
    throw new RegexpSyntaxError(
      'expression too large',
      source.length > MAX_EXPR ? `${source.slice(0, MAX_EXPR)}...` : source,
    );
  return engine;
}
