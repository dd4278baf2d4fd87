// The Sprig regex functions as ESO's template engine v2 registers them
// (runtime/template/v2/sprig/regex.go): Go regexps on the linear-time engine of src/regexp/.
// The plain forms compile with regexp.MustCompile, whose panic text/template turns into an
// error, except regexMatch, which is false for a bad pattern; the must* forms return the
// compile error. Go's messages quote the pattern, which a template may have built from secret
// data (`printf "(%s" .password`): here they stop before the quote, "error parsing regexp:
// missing closing )", and template errors never carry values.

import { RegexpSyntaxError, compileRegexp, quoteMeta } from '../../regexp/index.js';
import type { GoRegexp } from '../../regexp/index.js';
import { ExecFailure } from './errors.js';
import type { FuncDef } from './exec.js';

const S = 'string' as const;
const I = 'int' as const;

/** regexp.Compile, or regexp.MustCompile (its panic says "regexp: Compile(`pattern`): ..."). */
function compiler(must: boolean): (pattern: string) => GoRegexp {
  return (pattern) => {
    try {
      return compileRegexp(pattern);
    } catch (e) {
      if (!(e instanceof RegexpSyntaxError)) throw e;
      throw new ExecFailure(`${must ? 'regexp: Compile: ' : ''}error parsing regexp: ${e.code}`);
    }
  };
}
const compile = compiler(false);
const mustCompile = compiler(true);

// Matching is linear in the pattern and the input; the template budget (limits.ts, one step is
// about 0.1 µs) reserves a worst case before the call and gives back what its time shows it did
// not need. Measured: a match costs at most about 7 ns per program instruction a character
// (typically 20-100 ns a character); finding every match, replacing or splitting up to 560 ns a
// character on adversarial input (many short matches, capture groups), about 5 µs a call.
function programOf(regex: unknown): number {
  try {
    return compileRegexp(regex as string).programSize;
  } catch {
    return 0; // the call itself reports the pattern
  }
}
const worstCase = (regex: unknown, s: unknown, stepsPerChar: number): number =>
  (regex as string).length / 3 + (s as string).length * Math.max(stepsPerChar, (programOf(regex) * 7) / 100);
const matchCost = (regex: unknown, s: unknown): number => 10 + worstCase(regex, s, 0.33);
const iterateCost = (regex: unknown, s: unknown): number => 50 + worstCase(regex, s, 2);

type Compiler = (pattern: string) => GoRegexp;

/** The plain function and its must* twin for one operation. */
function pair(
  name: string,
  params: FuncDef['params'],
  op: (re: GoRegexp, ...args: unknown[]) => unknown,
  cost = iterateCost,
): Record<string, FuncDef> {
  const def = (c: Compiler): FuncDef => ({
    fn: (regex, s, ...rest) => op(c(regex as string), s, ...rest),
    params,
    cost,
  });
  const must = `must${name[0]!.toUpperCase()}${name.slice(1)}`;
  return { [name]: def(mustCompile), [must]: def(compile) };
}

export const REGEX_FUNCS: Record<string, FuncDef> = {
  regexMatch: {
    fn: (regex, s) => {
      try {
        return compileRegexp(regex as string).matchString(s as string);
      } catch (e) {
        if (e instanceof RegexpSyntaxError) return false;
        throw e;
      }
    },
    params: [S, S],
    cost: matchCost,
  },
  mustRegexMatch: {
    fn: (regex, s) => compile(regex as string).matchString(s as string),
    params: [S, S],
    cost: matchCost,
  },
  ...pair('regexFind', [S, S], (re, s) => re.findString(s as string)),
  ...pair('regexFindAll', [S, S, I], (re, s, n) => re.findAllString(s as string, n as number)),
  ...pair('regexReplaceAll', [S, S, S], (re, s, repl) => re.replaceAllString(s as string, repl as string)),
  ...pair('regexReplaceAllLiteral', [S, S, S], (re, s, repl) =>
    re.replaceAllLiteralString(s as string, repl as string),
  ),
  ...pair('regexSplit', [S, S, I], (re, s, n) => re.split(s as string, n as number)),
  regexQuoteMeta: { fn: (s) => quoteMeta(s as string), params: [S] },
};
