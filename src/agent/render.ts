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
  /** Template name → rendered text. */
  outputs: Map<string, string>;
  /** Keys of every dependency used (depKey). */
  used: Set<string>;
}

/**
 * Renders every template against the dependencies, fetching what they call. Throws
 * AgentTemplateError (values redacted) or the providers' ProviderError.
 */
export async function renderTemplates(compiled: Compiled[], deps: Dependencies): Promise<RenderResult> {
  for (let pass = 1; ; pass++) {
    const missing: DependencyRef[] = [];
    const used = new Set<string>();
    const outputs = new Map<string, string>();
    let failure: unknown;
    const call =
      (fn: DependencyRef['fn']) =>
      (...args: unknown[]): unknown => {
        const ref = refOf(fn, args);
        used.add(depKey(ref));
        const v = deps.get(ref);
        if (!v) {
          missing.push(ref);
          return undefined;
        }
        // secrets (LIST) answers its keys; the others their Secret.
        if (fn === 'secrets') {
          const keys = v.secret.Data.keys;
          return Array.isArray(keys) ? [...keys] : [];
        }
        return v.secret;
      };
    const funcs = Object.fromEntries(AGENT_FUNCS.map((n) => [n, call(n) as TemplateFunc]));
    for (const { t, tmpl } of compiled) {
      let data: unknown;
      if (t.dataRef) {
        used.add(depKey(t.dataRef));
        const v = deps.get(t.dataRef);
        if (!v) {
          missing.push(t.dataRef);
          continue;
        }
        data = propertiesOf(v.secret.Data);
      }
      try {
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
        failure ??= e;
      }
    }
    if (missing.length === 0) {
      if (failure !== undefined) throw asTemplateError(failure, deps);
      return { outputs, used };
    }
    if (pass >= MAX_PASSES)
      throw new AgentTemplateError(
        `templates still call secrets not yet fetched after ${MAX_PASSES} passes (a chain of secrets naming secrets too deep?)`,
      );
    // A failure with values missing is the first pass's "no value": fetch and run again.
    await deps.fetch(missing);
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
