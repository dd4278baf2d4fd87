// JSON helpers shared by property selection and extraction. Two ESO behaviours drive the
// design: numbers keep the text the provider sent (gjson and json.RawMessage never round-trip
// through float64, so a 19-digit account id must survive), and every JSON Syncret writes itself
// is compact with sorted keys, so the same data always yields the same bytes (and hash).

/** A number kept as its source text (ES2025 JSON.rawJSON; typed here as the lib lacks it). */
export interface RawJson {
  readonly rawJSON: string;
}

const NativeJSON = JSON as unknown as {
  rawJSON(text: string): RawJson;
  isRawJSON(value: unknown): value is RawJson;
};

export const isRawJson = (v: unknown): v is RawJson => NativeJSON.isRawJSON(v);

const utf8 = new TextDecoder('utf-8', { fatal: false });
export const utf8Encoder = new TextEncoder();

// Only numbers whose JS rendering differs from their source (1.0, 1e3, big integers) are kept
// raw: the rest stay plain numbers, which spares an allocation per number.
function keepNumberSource(_key: string, value: unknown, ctx?: { source?: string }): unknown {
  if (typeof value === 'number' && ctx?.source !== undefined && String(value) !== ctx.source) {
    return NativeJSON.rawJSON(ctx.source);
  }
  return value;
}

const NOT_JSON: unique symbol = Symbol('not JSON');
const TOO_DEEP: unique symbol = Symbol('nested too deeply');

/**
 * Documents nested deeper are refused with that reason. Go's encoding/json (ESO) allows 10,000
 * levels, but JavaScript's JSON.parse reviver and the encoder here recurse, and overflow the
 * stack a few thousand levels down; no real secret nests a thousand deep.
 */
export const MAX_JSON_DEPTH = 1_000;

/** Whether arrays and objects in `text` nest deeper than MAX_JSON_DEPTH (strings skipped). */
function nestsTooDeep(text: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/**
 * Parses JSON text, or returns a marker (isNotJson) saying why it could not. The parser's
 * message is dropped: it can echo the input.
 */
export function parseJson(bytes: Uint8Array): unknown {
  const text = utf8.decode(bytes);
  // Only a text longer than the limit can nest that deep: short values skip the scan.
  if (text.length > MAX_JSON_DEPTH && nestsTooDeep(text)) return TOO_DEEP;
  try {
    return JSON.parse(text, keepNumberSource);
  } catch (e) {
    // The reviver recurses: a stack overflow means depth, not bad syntax.
    return e instanceof RangeError ? TOO_DEEP : NOT_JSON;
  }
}

export function isNotJson(v: unknown): v is typeof NOT_JSON | typeof TOO_DEEP {
  return v === NOT_JSON || v === TOO_DEEP;
}

/** Why parseJson gave up, in words for a message ("is not JSON", "is JSON nested ..."). */
export function notJsonWhy(v: typeof NOT_JSON | typeof TOO_DEEP): string {
  return v === TOO_DEEP ? `JSON nested deeper than ${MAX_JSON_DEPTH} levels` : 'not JSON';
}

export type JsonObject = Record<string, unknown>;

/** A JSON object (or a provider's map): not an array, not bytes, not a raw number. */
export function isJsonObject(v: unknown): v is JsonObject {
  return (
    typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !isRawJson(v)
  );
}

const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Compact JSON with sorted object keys. Uint8Array values become UTF-8 strings (as ESO's
 * Kubernetes provider does with Secret data); raw numbers are written as their source text.
 */
export function encodeJson(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return Number.isFinite(v) ? JSON.stringify(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      return v.toString();
    case 'object':
      break;
    default:
      return 'null';
  }
  if (v === null) return 'null';
  if (v instanceof Uint8Array) return JSON.stringify(utf8.decode(v));
  if (isRawJson(v)) return v.rawJSON;
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++)
      out += (i > 0 ? ',' : '') + (v[i] === undefined ? 'null' : encodeJson(v[i]));
    return `${out}]`;
  }
  const obj = v as JsonObject;
  let out = '{';
  let first = true;
  for (const k of Object.keys(obj).sort(byCodeUnit)) {
    const val = obj[k];
    if (val === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(k)}:${encodeJson(val)}`;
    first = false;
  }
  return `${out}}`;
}

/**
 * Go's strconv.FormatFloat(f, 'f', -1, 64): the shortest round-tripping digits, never an
 * exponent. JavaScript agrees except for |f| >= 1e21, |f| < 1e-6 and negative zero.
 */
export function formatFloat(n: number): string {
  if (Object.is(n, -0)) return '-0';
  const s = String(n);
  const e = s.indexOf('e');
  if (e < 0) return s;
  const neg = s.startsWith('-');
  const mantissa = s.slice(neg ? 1 : 0, e);
  const exp = Number(s.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const digits = dot < 0 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  const point = (dot < 0 ? mantissa.length : dot) + exp;
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return neg ? `-${out}` : out;
}

const INTEGER_TEXT = /^-?\d+$/;

/** gjson's Result.String() for a number: integer text verbatim, anything else via FormatFloat. */
export function gjsonNumber(source: string): string {
  return INTEGER_TEXT.test(source) ? source : formatFloat(Number(source));
}
