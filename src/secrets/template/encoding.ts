// JSON and YAML as the Go libraries behind Sprig and ESO produce and read them:
// encoding/json (sorted map keys, HTML-safe escapes, float64 numbers) and
// sigs.k8s.io/yaml (YAML via JSON, so numbers are float64 too).

import YAML from 'yaml';
import { ExecFailure } from './errors.js';
import { Float, GoObject, isMap, newMap, mapSet, sortedKeys } from './value.js';

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

/** Go values → plain JSON data, via goJSON so the shapes are Go's. */
function toPlain(v: unknown): unknown {
  return JSON.parse(goJSON(v, { escapeHTML: false })) as unknown;
}

/** ESO's toYaml: sigs.k8s.io/yaml.Marshal without the final newline. */
export function toYaml(v: unknown): string {
  let plain: unknown;
  try {
    plain = toPlain(v);
  } catch {
    return '';
  }
  const doc = new YAML.Document(plain, { sortMapEntries: true });
  const text = doc.toString({ indentSeq: false, lineWidth: 0, minContentWidth: 0 });
  return text.replace(/\n$/, '');
}

/** ESO's fromYaml: a map; on failure a map holding the parser's message under "Error". */
export function fromYaml(s: string): unknown {
  const m = newMap();
  let parsed: unknown;
  try {
    parsed = YAML.parse(s, { maxAliasCount: 100 }) as unknown;
  } catch (e) {
    mapSet(m, 'Error', e instanceof Error ? e.message : 'yaml: invalid document');
    return m;
  }
  if (parsed === null || parsed === undefined) return m;
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    mapSet(
      m,
      'Error',
      'error unmarshaling JSON: json: cannot unmarshal into Go value of type map[string]interface {}',
    );
    return m;
  }
  let converted: unknown;
  try {
    converted = parseGoJSON(JSON.stringify(parsed));
  } catch {
    mapSet(m, 'Error', 'yaml: cannot convert document to JSON');
    return m;
  }
  return converted;
}
