// `syncret fetch`: read named values once and hand them to a pipeline. What to read is written
// as vault-action's `secrets:` input, which GitHub workflows already have:
//   secret/data/app password | DB_PASSWORD ;
//   secret/data/app api_key
// (PATH KEY [| NAME], entries split by `;` or new lines; the name defaults to the key in upper
// case). The outputs are the files CI systems read: a dotenv file (GitLab's `artifacts:reports:
// dotenv`, Compose's env_file), GitHub's $GITHUB_ENV / $GITHUB_OUTPUT, JSON, Docker secret files
// and one raw value for `docker secret create`. GitHub prints
// every step's output into its log, so each value is first registered with `::add-mask::`.

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ProviderError } from '../providers/errors.js';
import { depKey } from './deps.js';
import type { Dependencies } from './deps.js';
import { formatDotenv } from './dotenv.js';
import type { FileOutput } from './files.js';
import type { DependencyRef } from './sources.js';

export interface FetchItem {
  path: string;
  /** A field of the secret, or `*`: every field. */
  key: string;
  /** The output name (an environment variable name); with `*`, a prefix of every name (may be ''). */
  name: string;
}

/** vault-action's wildcard: every field of the secret. */
export const EVERY_KEY = '*';

export class FetchSpecError extends Error {
  override readonly name = 'FetchSpecError';
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_ITEMS = 256;

/** vault-action's default: the key in upper case, anything but letters and digits as `_`. */
export function defaultName(key: string): string {
  return key.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
}

/** Parses the `secrets:` text; errors name the entry by number, which holds no value. */
export function parseSecretsSpec(text: string): FetchItem[] {
  const entries = text
    .split(/[;\n]/)
    .map((e) => e.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new FetchSpecError('no secrets named (PATH KEY [| NAME] ; ...)');
  if (entries.length > MAX_ITEMS) throw new FetchSpecError(`at most ${MAX_ITEMS} secrets at once`);
  const items = entries.map((entry, i): FetchItem => {
    const where = `secrets entry ${i + 1}`;
    const [ref, alias, ...rest] = entry.split('|').map((x) => x.trim());
    if (rest.length > 0) throw new FetchSpecError(`${where} has more than one "|"`);
    const words = (ref ?? '').split(/\s+/).filter(Boolean);
    if (words.length !== 2) throw new FetchSpecError(`${where} is not "PATH KEY [| NAME]"`);
    const [path, key] = words as [string, string];
    if (key === EVERY_KEY) {
      // `PATH * [| PREFIX]`: every field, named as its key (upper case) after the prefix.
      const prefix = alias ?? '';
      if (prefix && !ENV_NAME.test(prefix))
        throw new FetchSpecError(
          `${where}: ${JSON.stringify(prefix.slice(0, 64))} is not a variable name prefix`,
        );
      return { path, key, name: prefix };
    }
    const name = alias || defaultName(key);
    if (!ENV_NAME.test(name))
      throw new FetchSpecError(`${where}: ${JSON.stringify(name.slice(0, 64))} is not a variable name`);
    return { path, key, name };
  });
  const seen = new Set<string>();
  for (const it of items) {
    if (it.key === EVERY_KEY) continue;
    if (seen.has(it.name)) throw new FetchSpecError(`the name ${it.name} is given twice`);
    seen.add(it.name);
  }
  return items;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A KV v2 read answers { data, metadata }: the fields are under data; anything else at the top. */
function fieldsOf(data: Record<string, unknown>): Record<string, unknown> {
  return isObject(data.data) && isObject(data.metadata) ? data.data : data;
}

/** The name → value pairs of one item: its one field, or with `*` every field. */
function itemValues(it: FetchItem, fields: Record<string, unknown>, index: number): [string, string][] {
  const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));
  if (it.key !== EVERY_KEY) {
    if (!Object.hasOwn(fields, it.key))
      throw new ProviderError('NotFound', `"${it.path}" has no key "${it.key}" (for ${it.name})`);
    return [[it.name, text(fields[it.key])]];
  }
  return Object.keys(fields).map((k) => {
    const name = it.name + defaultName(k);
    // A field name is the secret's shape, not a value: it may be named.
    if (!ENV_NAME.test(name))
      throw new ProviderError(
        'InvalidRequest',
        `secrets entry ${index + 1} ("${it.path}" *): the key ${JSON.stringify(k.slice(0, 64))} gives no variable name; name it instead`,
      );
    return [name, text(fields[k])];
  });
}

/**
 * Reads every item (each path once) and returns name → value, in the order given (a `*` item's
 * fields in the secret's order). A name given twice, also through `*`, is refused.
 */
export async function fetchItems(items: FetchItem[], deps: Dependencies): Promise<Map<string, string>> {
  const refs = new Map<string, DependencyRef>();
  for (const it of items) {
    const ref: DependencyRef = { fn: 'secret', path: it.path, args: [] };
    refs.set(depKey(ref), ref);
  }
  await deps.fetch([...refs.values()]);
  const out = new Map<string, string>();
  items.forEach((it, i) => {
    const got = deps.get({ fn: 'secret', path: it.path, args: [] })!;
    for (const [name, value] of itemValues(it, fieldsOf(got.secret.Data), i)) {
      if (out.has(name))
        throw new ProviderError('InvalidRequest', `the name ${name} is given twice (secrets entry ${i + 1})`);
      out.set(name, value);
    }
  });
  return out;
}

export type FetchFormat = 'dotenv' | 'json' | 'github-env' | 'github-output' | 'files' | 'value';
export const FETCH_FORMATS: readonly FetchFormat[] = [
  'dotenv',
  'json',
  'github-env',
  'github-output',
  'files',
  'value',
];

/** GitHub's escaping of a workflow command's data. */
function commandData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/**
 * `::add-mask::` lines for the values: one per line of a multi-line value too, since the runner
 * masks line by line when a value is printed across lines.
 */
export function maskCommands(values: Iterable<string>): string {
  let out = '';
  const seen = new Set<string>();
  for (const v of values) {
    for (const part of [v, ...v.split(/\r?\n/)]) {
      const p = part.trim();
      if (!p || seen.has(p)) continue;
      seen.add(p);
      out += `::add-mask::${commandData(p)}\n`;
    }
  }
  return out;
}

/**
 * $GITHUB_ENV / $GITHUB_OUTPUT lines in the multi-line form (NAME<<DELIMITER), which takes any
 * value; the delimiter is random and checked against the value, so a value cannot end it early
 * and inject variables.
 */
export function githubFileLines(vars: Map<string, string>): string {
  let out = '';
  for (const [name, value] of vars) {
    let delim: string;
    do delim = `ghadelimiter_${randomBytes(12).toString('hex')}`;
    while (value.includes(delim));
    out += `${name}<<${delim}\n${value}\n${delim}\n`;
  }
  return out;
}

/** The text of the one-stream formats (files are written one per value instead). */
export function formatOutput(format: Exclude<FetchFormat, 'files'>, vars: Map<string, string>): string {
  if (format === 'json') return `${JSON.stringify(Object.fromEntries(vars), null, 2)}\n`;
  if (format === 'dotenv') return formatDotenv(vars);
  // The bytes alone, for `| docker secret create NAME -`: a value never on a command line.
  if (format === 'value') return [...vars.values()].join('');
  return githubFileLines(vars);
}

/** Docker/Compose secrets: one file per value, named as the variable, mode 0400. */
export function secretFiles(dir: string, vars: Map<string, string>): FileOutput[] {
  return [...vars].map(([name, content]) => ({ path: join(dir, name), mode: 0o400, content }));
}
