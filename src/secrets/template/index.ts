// Go text/template with the Sprig and ESO functions ESO's template engine v2 offers, so
// `target.template` renders in Syncret as it does in ESO.
//
//   const t = parseTemplate('password', '{{ .user }}:{{ .password | b64enc }}');
//   t.execute({ user: 'a', password: 'b' });   // parse once per sync, execute per key

import { BUILTINS } from './builtins.js';
import { CERTCHAIN_FUNCS } from './certchain.js';
import { CERT_FUNCS } from './certs.js';
import { withCostBudget } from './cost.js';
import { CRYPTO_FUNCS } from './crypto.js';
import { DATE_FUNCS } from './dates.js';
import { TemplateError, locate } from './errors.js';
import { execute } from './exec.js';
import type { ExecContext, FuncDef, MissingKey } from './exec.js';
import { BUILTIN_COSTS, TemplateBudget } from './limits.js';
import { ParseError, parse } from './parse.js';
import type { Node } from './parse.js';
import { LIST_FUNCS } from './lists.js';
import { MATH_FUNCS } from './mathfuncs.js';
import { PEM_FUNCS } from './pem.js';
import { PKCS12_FUNCS } from './pkcs12.js';
import { REGEX_FUNCS } from './regex.js';
import { SEMVER_FUNCS } from './semver.js';
import { SPRIG } from './sprig.js';
import { TRUSTSTORE_FUNCS } from './pkcs12write.js';
import { URL_FUNCS } from './urls.js';
import { WORD_FUNCS } from './words.js';
import { Float, isMap, mapSet, markStringMap, newMap } from './value.js';

export { TemplateError } from './errors.js';
export { DEFAULT_TEMPLATE_LIMITS, TemplateBudget } from './limits.js';
export type { TemplateLimits } from './limits.js';
export { PACE_REFILL_MS, enableCostPacing, withCostBudget } from './cost.js';
export { withKeysOffLoop } from './keys.js';

/** A template function; its arguments arrive as the evaluator's values (see value.ts). */
export type TemplateFunc = (...args: never[]) => unknown;

export interface ExecuteOptions {
  /** Extra functions, or replacements for built-in ones. */
  funcs?: Record<string, TemplateFunc>;
  /**
   * What `.missing` yields: 'default' prints "<no value>" (Go's default), 'zero' the
   * zero value, 'error' fails (Go's missingkey=error, which ESO sets).
   */
  missingKey?: MissingKey;
  /**
   * The bound this execution draws from; several executions may share one (all templates of
   * one ExternalSecret's sync). Default: a fresh one with DEFAULT_TEMPLATE_LIMITS.
   */
  budget?: TemplateBudget;
  /** Other names for built-in functions (consul-template's `toJSON` for `toJson`): name → built-in. */
  aliases?: Readonly<Record<string, string>>;
}

export interface ParseOptions {
  /** Names of functions that will be supplied at execute time, so parsing accepts them. */
  funcs?: Record<string, TemplateFunc>;
  /** Names that will be aliases at execute time (ExecuteOptions.aliases). */
  aliases?: Readonly<Record<string, string>>;
}

export interface Template {
  readonly name: string;
  execute(data: unknown, opts?: ExecuteOptions): string;
}

/**
 * ESO's function map: text/template's builtins, then Sprig and ESO's own functions, which win
 * on a clash as a template's FuncMap wins in Go (Sprig's `slice` replaces the builtin one).
 * Functions whose cost grows with their arguments carry a cost the step budget reserves first.
 */
export const DEFAULT_FUNCS: ReadonlyMap<string, FuncDef> = new Map(
  Object.entries({
    ...BUILTINS,
    ...SPRIG,
    ...REGEX_FUNCS,
    ...LIST_FUNCS,
    ...MATH_FUNCS,
    ...WORD_FUNCS,
    ...URL_FUNCS,
    ...DATE_FUNCS,
    ...SEMVER_FUNCS,
    ...CRYPTO_FUNCS,
    ...CERT_FUNCS,
    ...PEM_FUNCS,
    ...CERTCHAIN_FUNCS,
    ...PKCS12_FUNCS,
    ...TRUSTSTORE_FUNCS,
  }).map(([name, def]): [string, FuncDef] => {
    const cost = Object.hasOwn(BUILTIN_COSTS, name) ? BUILTIN_COSTS[name] : undefined;
    return [name, cost && !def.cost ? { ...def, cost } : def];
  }),
);

export function parseTemplate(name: string, text: string, opts?: ParseOptions): Template {
  const extra = opts?.funcs ?? {};
  const aliases = opts?.aliases ?? {};
  let templates: Map<string, Node[]>;
  try {
    templates = parse(
      text,
      (fn) => DEFAULT_FUNCS.has(fn) || Object.hasOwn(extra, fn) || Object.hasOwn(aliases, fn),
    );
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    const { line, column } = locate(text, e.pos);
    throw new TemplateError('TemplateParse', name, line, column, `template: ${name}:${line}: ${e.message}`);
  }
  return new CompiledTemplate(name, text, templates);
}

export function renderTemplate(name: string, text: string, data: unknown, opts?: ExecuteOptions): string {
  return parseTemplate(name, text, opts).execute(data, opts);
}

class CompiledTemplate implements Template {
  constructor(
    readonly name: string,
    private readonly text: string,
    private readonly templates: Map<string, Node[]>,
  ) {}

  execute(data: unknown, opts?: ExecuteOptions): string {
    let funcs: Map<string, FuncDef> = DEFAULT_FUNCS as Map<string, FuncDef>;
    const lazyBuiltins = new Set(['and', 'or']);
    if (opts?.funcs || opts?.aliases) {
      funcs = new Map(DEFAULT_FUNCS);
      for (const [alias, target] of Object.entries(opts.aliases ?? {})) {
        const def = DEFAULT_FUNCS.get(target);
        if (def) funcs.set(alias, def);
      }
      for (const [k, fn] of Object.entries(opts.funcs ?? {})) {
        funcs.set(k, { fn: fn as (...a: unknown[]) => unknown, params: [], variadic: 'any' });
        lazyBuiltins.delete(k);
      }
    }
    const ctx: ExecContext = {
      name: this.name,
      text: this.text,
      templates: this.templates,
      funcs,
      lazyBuiltins,
      missingKey: opts?.missingKey ?? 'default',
      budget: opts?.budget ?? new TemplateBudget(),
    };
    // Two budgets: steps, output and time of this execution; CPU of costly functions per render.
    return ctx.budget.run(() => withCostBudget(() => execute(ctx, toData(data))));
  }
}

// Secret data is map[string]string in ESO; accept a Map too, and mark string-only maps so
// `index` of a missing key yields "" like Go does for that map type.
function toData(data: unknown): unknown {
  if (data instanceof Map) {
    const m = newMap();
    for (const [k, v] of data) mapSet(m, String(k), v);
    data = m;
  }
  if (isMap(data) && Object.values(data).every((v) => typeof v === 'string')) markStringMap(data);
  if (typeof data === 'number' && !Number.isInteger(data)) return new Float(data);
  return data;
}
