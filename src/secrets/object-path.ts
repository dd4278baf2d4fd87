// Values inside a generic Kubernetes object (target.manifest of a kind other than Secret), as
// ESO 2.9 places them (runtime/template/v2/template.go): dotted paths with list indexes
// ("spec.rules[0].host"), intermediate maps and lists created on the way, values parsed as YAML;
// and ESO's content hash (esutils.ObjectHash: sha3-224 of Go's "%+v" of the value).

import { createHash } from 'node:crypto';
import { yaml } from './yaml.js';
import { SecretDataError, quoteName } from './errors.js';

/** A JSON value as decoded from an object (maps, lists, strings, numbers, booleans, null). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };
export type JsonMap = { [k: string]: JsonValue };

type Token = { key: string } | { index: number };

/** ESO's ceiling on a list index in a path (it allocates up to it). */
const MAX_INDEX = 10_000;

function invalid(path: string, why: string): never {
  throw new SecretDataError('TemplateFailed', `invalid target path ${quoteName(path)}: ${why}`);
}

/** "spec.rules[0].host" → [spec, rules, 0, host]; the first step must be a key. */
export function parseTargetPath(path: string): Token[] {
  const tokens: Token[] = [];
  for (const seg of path.split('.')) {
    if (seg === '') invalid(path, 'empty segment');
    const bracket = seg.indexOf('[');
    const name = bracket >= 0 ? seg.slice(0, bracket) : seg;
    let rest = bracket >= 0 ? seg.slice(bracket) : '';
    if (name !== '') tokens.push({ key: name });
    else if (rest === '') invalid(path, 'empty segment');
    while (rest !== '') {
      if (rest[0] !== '[') invalid(path, `expected '[' near ${quoteName(rest)}`);
      const end = rest.indexOf(']');
      if (end < 0) invalid(path, "unterminated '['");
      const digits = rest.slice(1, end);
      if (!/^[+-]?\d+$/.test(digits)) invalid(path, `bad index ${quoteName(digits)}`);
      const idx = Number(digits);
      if (idx < 0) invalid(path, `negative index ${idx}`);
      if (idx > MAX_INDEX) invalid(path, `index ${idx} exceeds maximum (${MAX_INDEX})`);
      tokens.push({ index: idx });
      rest = rest.slice(end + 1);
    }
  }
  if (tokens.length === 0) invalid(path, 'no segment');
  if (!('key' in tokens[0]!)) invalid(path, 'a path must start with a key');
  return tokens;
}

const isMap = (v: unknown): v is JsonMap => typeof v === 'object' && v !== null && !Array.isArray(v);

function setOwn(m: JsonMap, key: string, value: JsonValue): void {
  // A rendered YAML map may hold "__proto__"; a plain assignment would set the prototype.
  Object.defineProperty(m, key, { value, enumerable: true, writable: true, configurable: true });
}

function setAt(
  node: JsonValue | undefined,
  tokens: Token[],
  leaf: (old: JsonValue | undefined) => JsonValue,
  path: string,
): JsonValue {
  const [tok, ...rest] = tokens as [Token, ...Token[]];
  const next = (old: JsonValue | undefined) => (rest.length === 0 ? leaf(old) : setAt(old, rest, leaf, path));
  if ('key' in tok) {
    if (node !== undefined && node !== null && !isMap(node))
      throw new SecretDataError(
        'TemplateFailed',
        `target path ${quoteName(path)}: expected a map at key ${quoteName(tok.key)}`,
      );
    const m: JsonMap = isMap(node) ? node : {};
    setOwn(m, tok.key, next(Object.hasOwn(m, tok.key) ? m[tok.key] : undefined));
    return m;
  }
  if (node !== undefined && node !== null && !Array.isArray(node))
    throw new SecretDataError(
      'TemplateFailed',
      `target path ${quoteName(path)}: expected a list at index ${tok.index}`,
    );
  const list: JsonValue[] = Array.isArray(node) ? node : [];
  // Go grows the slice with nil elements up to the index.
  while (list.length <= tok.index) list.push(null);
  list[tok.index] = next(list[tok.index]);
  return list;
}

/** Sets `leaf(old)` at `path` in `root` (in place), creating maps and lists on the way. */
export function setAtPath(
  root: JsonMap,
  path: string,
  leaf: (old: JsonValue | undefined) => JsonValue,
): void {
  setAt(root, parseTargetPath(path), leaf, path);
}

/**
 * ESO parses a rendered value at a path as YAML (Kubernetes' YAML: YAML 1.1 scalars, integers
 * stay integers); text that is no YAML stays text. Errors never quote the text (it holds values).
 */
export function parseYamlValue(text: string): JsonValue {
  try {
    const v = yaml().parse(text, { version: '1.1', maxAliasCount: 100 }) as unknown;
    return v === undefined ? null : (v as JsonValue);
  } catch {
    return text;
  }
}

/** Like parseYamlValue, but a text that is no YAML is an error (templateAs KeysAndValues at a path). */
export function parseYamlStrict(where: string, text: string): JsonValue {
  try {
    const v = yaml().parse(text, { version: '1.1', maxAliasCount: 100 }) as unknown;
    return v === undefined ? null : (v as JsonValue);
  } catch {
    throw new SecretDataError('TemplateFailed', `${where}: the rendered template is not YAML`);
  }
}

/** Go's %v of a float64: strconv's shortest 'g', which switches to an exponent from 1e6 on. */
function goFloat(n: number): string {
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN';
  const exp = n === 0 ? 0 : Math.floor(Math.log10(Math.abs(n)));
  if (exp < -4 || exp >= 6) {
    const [m, e] = n.toExponential().split('e') as [string, string];
    const sign = e.startsWith('-') ? '-' : '+';
    const digits = e.replace(/^[+-]/, '');
    return `${m}e${sign}${digits.padStart(2, '0')}`;
  }
  return String(n);
}

/**
 * Go's fmt "%+v" of a value decoded into interface{} (maps with sorted keys, `map[k:v]`,
 * lists `[a b]`, nil `<nil>`), as ESO's ObjectHash prints it.
 */
export function goValueString(v: JsonValue | undefined): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) < 2 ** 63 ? v.toFixed(0) : goFloat(v);
  if (Array.isArray(v)) return `[${v.map(goValueString).join(' ')}]`;
  const keys = Object.keys(v).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `map[${keys.map((k) => `${k}:${goValueString(v[k])}`).join(' ')}]`;
}

/** ESO's ObjectHash of a value: sha3-224 of its "%+v", hex. */
export function objectHash(v: JsonValue | undefined): string {
  return createHash('sha3-224').update(goValueString(v), 'utf8').digest('hex');
}
