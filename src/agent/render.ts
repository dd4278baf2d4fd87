// Vault Agent / consul-template templates on Syncret's Go-template engine (with Sprig and
// ESO's functions): `{{ with secret "secret/data/app" }}{{ .Data.data.password }}{{ end }}`,
// `secrets` (a list), `pkiCert`, and consul-template's helper names. The engine is synchronous
// and a template may compute a path from another secret, so rendering is consul-template's
// own loop: execute; every call whose value is not fetched yet answers "no value" and is
// recorded; fetch what was recorded (in parallel); execute again, until a pass needs nothing new.

import { redactValues } from '../secrets/errors.js';
import { TemplateBudget, TemplateError, parseTemplate } from '../secrets/template/index.js';
import type { Template, TemplateFunc } from '../secrets/template/index.js';
import { depKey } from './deps.js';
import type { Dependencies } from './deps.js';
import type { DependencyRef } from './sources.js';

/** A chain of secrets naming secrets is at most this deep. */
const MAX_PASSES = 8;

/** consul-template's helpers that Sprig has under another name. */
export const CONSUL_ALIASES: Readonly<Record<string, string>> = {
  toJSON: 'toRawJson',
  toJSONPretty: 'toPrettyJson',
  toYAML: 'toYaml',
  parseJSON: 'fromJson',
  parseYAML: 'fromYaml',
  base64Encode: 'b64enc',
  base64Decode: 'b64dec',
  toLower: 'lower',
  toUpper: 'upper',
  toTitle: 'title',
  trimSpace: 'trim',
  replaceAll: 'replace',
  parseInt: 'atoi',
};

const AGENT_FUNCS = ['secret', 'secrets', 'pkiCert'] as const;

export class AgentTemplateError extends Error {
  override readonly name = 'AgentTemplateError';
}

export interface AgentTemplate {
  /** The file (or env block) it renders, for messages. */
  name: string;
  contents: string;
  /** Go's missingkey=error (Vault's error_on_missing_key); default prints "<no value>". */
  errorOnMissingKey?: boolean;
  /** The secret whose properties are the dot (store mode, as in an ExternalSecret); none in Vault mode. */
  dataRef?: DependencyRef;
}

interface Compiled {
  t: AgentTemplate;
  tmpl: Template;
}

const placeholderFuncs = (): Record<string, TemplateFunc> =>
  Object.fromEntries(AGENT_FUNCS.map((n) => [n, (() => undefined) as TemplateFunc]));

/** Parses every template once; a syntax error names the template and line. */
export function compileTemplates(templates: AgentTemplate[]): Compiled[] {
  return templates.map((t) => {
    try {
      return {
        t,
        tmpl: parseTemplate(t.name, t.contents, { funcs: placeholderFuncs(), aliases: CONSUL_ALIASES }),
      };
    } catch (e) {
      if (e instanceof TemplateError) throw new AgentTemplateError(e.message);
      throw e;
    }
  });
}

function refOf(fn: DependencyRef['fn'], args: unknown[]): DependencyRef {
  const [path, ...rest] = args;
  if (typeof path !== 'string') throw new Error(`${fn} needs a path (a string)`);
  if (fn === 'secrets' && rest.length > 0) throw new Error('secrets takes only a path');
  return { fn, path, args: rest.map((a) => (typeof a === 'string' ? a : String(a))) };
}

export interface RenderResult {
  /** Template name → rendered text (only the templates that rendered). */
  outputs: Map<string, string>;
  /** Template name → why it did not render (partial mode; values redacted). */
  failed: Map<string, Error>;
  /** Keys of every dependency used (depKey). */
  used: Set<string>;
}

export interface RenderOptions {
  /**
   * Render what can be rendered: a template whose secret cannot be read (or that fails) is
   * reported in `failed` and the others still render (sidecar mode, as Vault Agent renders each
   * template on its own). Without it the first failure throws (init and exec: all or nothing).
   */
  partial?: boolean;
}

/** One pass over every template: what rendered, what failed, what is still to fetch. */
function renderPass(compiled: Compiled[], deps: Dependencies, fetchErrors: Map<string, unknown>) {
  const missing: DependencyRef[] = [];
  const used = new Set<string>();
  const outputs = new Map<string, string>();
  const failed = new Map<string, unknown>();
  let current = '';
  /** A dependency of the template being executed: its value, or a stop when it cannot be read. */
  const lookup = (ref: DependencyRef) => {
    const key = depKey(ref);
    used.add(key);
    if (fetchErrors.has(key)) {
      failed.set(current, fetchErrors.get(key));
      throw new AgentTemplateError(`${ref.fn} "${ref.path}" could not be read`);
    }
    const v = deps.get(ref);
    if (!v) missing.push(ref);
    return v;
  };
  const call =
    (fn: DependencyRef['fn']) =>
    (...args: unknown[]): unknown => {
      const v = lookup(refOf(fn, args));
      if (!v) return undefined;
      // secrets (LIST) answers its keys; the others their Secret.
      if (fn === 'secrets') {
        const keys = v.secret.Data.keys;
        return Array.isArray(keys) ? [...keys] : [];
      }
      return v.secret;
    };
  const funcs = Object.fromEntries(AGENT_FUNCS.map((n) => [n, call(n) as TemplateFunc]));
  for (const { t, tmpl } of compiled) {
    current = t.name;
    try {
      let data: unknown;
      if (t.dataRef) {
        const v = lookup(t.dataRef);
        if (!v) continue;
        data = propertiesOf(v.secret.Data);
      }
      outputs.set(
        t.name,
        tmpl.execute(data, {
          funcs,
          aliases: CONSUL_ALIASES,
          missingKey: t.errorOnMissingKey ? 'error' : 'default',
          budget: new TemplateBudget(),
        }),
      );
    } catch (e) {
      // A fetch error stands for the template; otherwise the template's own error.
      if (!failed.has(t.name)) failed.set(t.name, e);
    }
  }
  return { missing, used, outputs, failed };
}

/**
 * Renders every template against the dependencies, fetching what they call. Throws (or, in
 * partial mode, reports) AgentTemplateError (values redacted) or the providers' ProviderError.
 */
export async function renderTemplates(
  compiled: Compiled[],
  deps: Dependencies,
  opts: RenderOptions = {},
): Promise<RenderResult> {
  const fetchErrors = new Map<string, unknown>();
  for (let pass = 1; ; pass++) {
    const r = renderPass(compiled, deps, fetchErrors);
    if (r.missing.length === 0) {
      const failed = new Map([...r.failed].map(([name, e]) => [name, asTemplateError(e, deps)]));
      if (!opts.partial && failed.size > 0) throw failed.values().next().value!;
      return { outputs: r.outputs, failed, used: r.used };
    }
    if (pass >= MAX_PASSES)
      throw new AgentTemplateError(
        `templates still call secrets not yet fetched after ${MAX_PASSES} passes (a chain of secrets naming secrets too deep?)`,
      );
    // A failure with values missing is the first pass's "no value": fetch and run again.
    for (const [key, e] of await deps.fetchSettled(r.missing)) {
      if (!opts.partial) throw e;
      fetchErrors.set(key, e);
    }
  }
}

/** ESO's template input: each property as a string (JSON for structured ones). */
function propertiesOf(d: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(d)) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return out;
}

function asTemplateError(e: unknown, deps: Dependencies): Error {
  if (e instanceof TemplateError) return new AgentTemplateError(redactValues(e.message, deps.values()));
  if (e instanceof Error && !(e.name === 'ProviderError'))
    return new AgentTemplateError(redactValues(e.message, deps.values()));
  return e as Error;
}
