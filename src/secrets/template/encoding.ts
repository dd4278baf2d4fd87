// JSON and YAML as the Go libraries behind Sprig and ESO produce and read them:
// encoding/json (sorted map keys, HTML-safe escapes, float64 numbers) and
// sigs.k8s.io/yaml (YAML via JSON, so numbers are float64 too).

import type * as Yaml from 'yaml';
import { yaml } from '../yaml.js';
import { ExecFailure } from './errors.js';
import { Float, GoObject, isMap, newMap, mapSet, sortedKeys } from './value.js';
import { compareKeys, emitYaml } from './yamlout.js';
import type { YamlNode } from './yamlout.js';

const HEX = '0123456789abcdef';

function jsonString(s: string, escapeHTML: boolean): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | undefined;
    if (c < 0x20) {
      rep =
        c === 10
          ? '\\n'
          : c === 13
            ? '\\r'
            : c === 9
              ? '\\t'
              : c === 8
                ? '\\b'
                : c === 12
                  ? '\\f'
                  : '\\u00' + HEX[c >> 4] + HEX[c & 15];
    } else if (c === 34) {
      rep = '\\"';
    } else if (c === 92) {
      rep = '\\\\';
    } else if (escapeHTML && (c === 60 || c === 62 || c === 38)) {
      rep = '\\u00' + HEX[c >> 4] + HEX[c & 15];
    } else if (c === 0x2028 || c === 0x2029) {
      rep = '\\u' + c.toString(16);
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const pair = c <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
      if (pair) {
        i++;
        continue;
      }
      // Go writes invalid UTF-8 as the replacement character.
      rep = '\\ufffd';
    }
    if (rep !== undefined) {
      out += s.slice(start, i) + rep;
      start = i + 1;
    }
  }
  return out + s.slice(start) + '"';
}

/** encoding/json's float64 format: %f-like, exponent form outside [1e-6, 1e21). */
function jsonFloat(v: number): string {
  if (!Number.isFinite(v)) throw new ExecFailure(`json: unsupported value: ${String(v)}`);
  const abs = Math.abs(v);
  if (abs !== 0 && (abs < 1e-6 || abs >= 1e21)) {
    // Go trims "1e-07" to "1e-7", which is what JS prints already.
    return v.toExponential();
  }
  return String(v);
}

export function goJSON(v: unknown, opts: { escapeHTML: boolean; indent?: string }, depth = ''): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'string':
      return jsonString(v, opts.escapeHTML);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      return Number.isInteger(v)
        ? Number.isSafeInteger(v)
          ? String(v)
          : BigInt(v).toString()
        : jsonFloat(v);
    case 'bigint':
      return v.toString();
    case 'function':
      throw new ExecFailure('json: unsupported type: func');
    default:
      break;
  }
  if (v instanceof Float) return jsonFloat(v.v);
  if (v instanceof GoObject) return goJSON(v.toJSON(), opts, depth);
  if (v instanceof Uint8Array) return jsonString(Buffer.from(v).toString('base64'), false);
  const inner = opts.indent === undefined ? undefined : depth + opts.indent;
  const open = (items: string[], l: string, r: string): string => {
    if (items.length === 0) return l + r;
    if (inner === undefined) return l + items.join(',') + r;
    return `${l}\n${inner}${items.join(`,\n${inner}`)}\n${depth}${r}`;
  };
  if (Array.isArray(v))
    return open(
      v.map((x) => goJSON(x, opts, inner)),
      '[',
      ']',
    );
  if (isMap(v)) {
    const sep = inner === undefined ? ':' : ': ';
    return open(
      sortedKeys(v).map((k) => jsonString(k, opts.escapeHTML) + sep + goJSON(v[k], opts, inner)),
      '{',
      '}',
    );
  }
  throw new ExecFailure('json: unsupported type');
}

/** JSON text → Go values: objects are maps, numbers float64. */
export function parseGoJSON(text: string): unknown {
  return fromPlain(JSON.parse(text) as unknown);
}

function fromPlain(v: unknown): unknown {
  if (typeof v === 'number') return new Float(v);
  if (Array.isArray(v)) return v.map(fromPlain);
  if (v !== null && typeof v === 'object') {
    const m = newMap();
    for (const [k, x] of Object.entries(v)) mapSet(m, k, fromPlain(x));
    return m;
  }
  return v;
}

/** The JSON tree encoding/json would write for a value, as go-yaml reads it back. */
function yamlNode(v: unknown): YamlNode {
  if (v === null || v === undefined) return { t: 'null' };
  switch (typeof v) {
    case 'string':
      // Characters encoding/json leaves raw but YAML's reader refuses (DEL, C1 controls, U+FFFE/F)
      // make Marshal fail: toYaml is then "".
      if (/[\x7f-\x84\x86-\x9f\uFFFE\uFFFF]/.test(v))
        throw new ExecFailure('yaml: control characters are not allowed');
      // encoding/json writes invalid UTF-8 (escaped bytes here) as U+FFFD.
      return {
        t: 'str',
        v: v.replace(/[\uD800-\uDFFF]/g, (c, i: number) => (isPaired(v, i) ? c : '\uFFFD')),
      };
    case 'boolean':
      return { t: 'bool', v };
    case 'number':
      return {
        t: 'num',
        text: Number.isInteger(v)
          ? Number.isSafeInteger(v)
            ? String(v)
            : BigInt(v).toString()
          : jsonFloat(v),
      };
    case 'bigint':
      return { t: 'num', text: v.toString() };
    case 'function':
      throw new ExecFailure('json: unsupported type: func');
    default:
      break;
  }
  if (v instanceof Float) return { t: 'num', text: jsonFloat(v.v) };
  if (v instanceof GoObject) return yamlNode(plainToGo(v.toJSON()));
  if (v instanceof Uint8Array) return { t: 'str', v: Buffer.from(v).toString('base64') };
  if (Array.isArray(v)) return { t: 'seq', items: v.map(yamlNode) };
  if (isMap(v)) {
    const keys = Object.keys(v).sort(compareKeys);
    return { t: 'map', entries: keys.map((k) => [k, yamlNode(v[k])]) };
  }
  if (typeof v === 'object') return yamlNode(plainToGo(v));
  throw new ExecFailure('json: unsupported type');
}

function isPaired(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  if (c <= 0xdbff) return (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
  return i > 0 && (s.charCodeAt(i - 1) & 0xfc00) === 0xd800;
}

/** A GoObject's plain JSON view (objects, numbers) as Go values. */
function plainToGo(v: unknown): unknown {
  if (typeof v === 'number') return Number.isInteger(v) ? v : new Float(v);
  if (Array.isArray(v)) return v.map(plainToGo);
  if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array) && !(v instanceof GoObject)) {
    const m = newMap();
    for (const [k, x] of Object.entries(v)) mapSet(m, k, plainToGo(x));
    return m;
  }
  return v;
}

/** ESO's toYaml: sigs.k8s.io/yaml.Marshal (JSON, then go-yaml v2's emitter) without the final newline. */
export function toYaml(v: unknown): string {
  let node: YamlNode;
  try {
    node = yamlNode(v);
  } catch {
    return '';
  }
  return emitYaml(node).replace(/\n$/, '');
}

// go-yaml v2 reads YAML 1.1 (yes/no/on/off and y/n are booleans, 0777 is octal) but keeps
// timestamps and sexagesimal numbers as strings, and lets a later duplicate key win.
const YAML_11 = {
  version: '1.1',
  merge: true,
  uniqueKeys: false,
  maxAliasCount: 100,
  customTags: (tags: Yaml.Tags) =>
    tags.filter((t) => {
      const tag = t as { tag?: string; format?: string };
      return tag.tag !== 'tag:yaml.org,2002:timestamp' && tag.format !== 'TIME';
    }),
} as const;

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  return typeof v === 'string' ? 'string' : typeof v === 'boolean' ? 'bool' : 'number';
}

function hasNonFinite(v: unknown): string | undefined {
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
  if (v !== null && typeof v === 'object') {
    for (const x of Object.values(v)) {
      const bad = hasNonFinite(x);
      if (bad) return bad;
    }
  }
  return undefined;
}

/** The parser's reason and line, without the excerpt of the input it would quote. */
function yamlError(e: unknown): string {
  const err = e as { message?: string; linePos?: { line: number }[] };
  const reason = (err.message ?? 'invalid YAML').split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  const line = err.linePos?.[0]?.line;
  return `error converting YAML to JSON: yaml: ${line ? `line ${line}: ` : ''}${reason}`;
}

/** ESO's fromYaml: a map; on failure a map holding the error under "Error". */
export function fromYaml(s: string): unknown {
  const m = newMap();
  let parsed: unknown;
  try {
    parsed = yaml().parse(s, YAML_11) as unknown;
  } catch (e) {
    mapSet(m, 'Error', yamlError(e));
    return m;
  }
  if (parsed === null || parsed === undefined) return m;
  const bad = hasNonFinite(parsed);
  if (bad) {
    mapSet(m, 'Error', `error converting YAML to JSON: json: unsupported value: ${bad}`);
    return m;
  }
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    const kind = jsonKind(parsed);
    mapSet(
      m,
      'Error',
      `error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${kind} into Go value of type map[string]interface {}`,
    );
    return m;
  }
  try {
    return parseGoJSON(JSON.stringify(parsed));
  } catch {
    mapSet(m, 'Error', 'error converting YAML to JSON: yaml: cannot convert document to JSON');
    return m;
  }
}
