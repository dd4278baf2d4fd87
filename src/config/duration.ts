// Go duration strings ("1h30m", "1.5s", "300ms"), parsed exactly as Go's time.ParseDuration
// does, because ESO manifests (refreshInterval, metav1.Duration fields) are validated by that
// function: a string ESO accepts must mean the same here, and one it rejects must be rejected.
// Arithmetic is done in BigInt nanoseconds so overflow and rounding match Go bit for bit.

const NS = 1n;
const US = 1000n * NS;
const MS = 1000n * US;
const SEC = 1000n * MS;
const MIN = 60n * SEC;
const HOUR = 60n * MIN;

const UNITS: ReadonlyMap<string, bigint> = new Map([
  ['ns', NS],
  ['us', US],
  ['\u00b5s', US], // U+00B5 micro sign
  ['\u03bcs', US], // U+03BC Greek small letter mu
  ['ms', MS],
  ['s', SEC],
  ['m', MIN],
  ['h', HOUR],
]);

const MAX_ABS = 1n << 63n; // |math.MinInt64|; math.MaxInt64 is one less.
const MAX_INT64 = MAX_ABS - 1n;

export class DurationError extends Error {
  override readonly name = 'DurationError';
}

/** Go's time.quote: ASCII printable as is, anything else as \xNN of its UTF-8 bytes. */
function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp >= 0x80 || cp < 0x20) {
      for (const b of Buffer.from(ch, 'utf8')) out += `\\x${b.toString(16).padStart(2, '0')}`;
    } else {
      if (ch === '"' || ch === '\\') out += '\\';
      out += ch;
    }
  }
  return out + '"';
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/**
 * Parses a Go duration string into nanoseconds, exactly as time.ParseDuration.
 * Grammar: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`, or "0" alone (with an optional sign).
 */
export function parseGoDurationNs(input: string): bigint {
  const invalid = () => new DurationError(`time: invalid duration ${goQuote(input)}`);
  let s = input;
  let neg = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') throw invalid();

  let d = 0n;
  while (s !== '') {
    if (!(s[0] === '.' || isDigit(s[0]))) throw invalid();

    // Integer part; Go fails on overflow here rather than saturating.
    let i = 0;
    let v = 0n;
    for (; i < s.length && isDigit(s[i]); i++) {
      if (v > MAX_ABS / 10n) throw invalid();
      v = v * 10n + BigInt(s.charCodeAt(i) - 48);
      if (v > MAX_ABS) throw invalid();
    }
    const pre = i > 0;
    s = s.slice(i);

    // Fraction part; Go silently stops accumulating precision once it would overflow.
    let f = 0n;
    let scale = 1;
    let post = false;
    if (s !== '' && s[0] === '.') {
      s = s.slice(1);
      let j = 0;
      let overflow = false;
      for (; j < s.length && isDigit(s[j]); j++) {
        if (overflow) continue;
        if (f > MAX_INT64 / 10n) {
          overflow = true;
          continue;
        }
        const y = f * 10n + BigInt(s.charCodeAt(j) - 48);
        if (y > MAX_ABS) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      post = j > 0;
      s = s.slice(j);
    }
    if (!pre && !post) throw invalid();

    // The unit runs up to the next digit or '.', whatever it contains.
    let k = 0;
    while (k < s.length && !(s[k] === '.' || isDigit(s[k]))) k++;
    if (k === 0) throw new DurationError(`time: missing unit in duration ${goQuote(input)}`);
    const u = s.slice(0, k);
    s = s.slice(k);
    const unit = UNITS.get(u);
    if (unit === undefined)
      throw new DurationError(`time: unknown unit ${goQuote(u)} in duration ${goQuote(input)}`);

    if (v > MAX_ABS / unit) throw invalid();
    v *= unit;
    if (f > 0n) {
      // Go computes this term in float64 (nanosecond-accurate for fractions of an hour).
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > MAX_ABS) throw invalid();
    }
    d += v;
    if (d > MAX_ABS) throw invalid();
  }
  if (neg) return -d;
  if (d > MAX_INT64) throw invalid();
  return d;
}

/**
 * Parses a Go duration string into milliseconds (fractional below 1 ms, e.g. "1500ns" → 0.0015).
 * Throws a DurationError with Go's message, e.g. `time: invalid duration "abc"`.
 */
export function parseGoDuration(s: string): number {
  return Number(parseGoDurationNs(s)) / 1e6;
}

/** `v / 10^prec` with the fraction's trailing zeros dropped, as Go's fmtFrac and fmtInt. */
function withFraction(v: bigint, prec: number): string {
  const scale = 10n ** BigInt(prec);
  const frac = (v % scale).toString().padStart(prec, '0').replace(/0+$/, '');
  return `${v / scale}${frac ? `.${frac}` : ''}`;
}

/** Go's time.Duration.String of a duration in ms ("10s", "1m30s", "1.5s", "500ms", "1ns"). */
export function formatGoDuration(ms: number): string {
  let ns = BigInt(Math.round(ms * 1e6));
  const sign = ns < 0n ? '-' : '';
  if (ns < 0n) ns = -ns;
  if (ns === 0n) return '0s';
  if (ns < US) return `${sign}${ns}ns`;
  if (ns < MS) return `${sign}${withFraction(ns, 3)}µs`;
  if (ns < SEC) return `${sign}${withFraction(ns, 6)}ms`;
  let out = `${withFraction(ns % MIN, 9)}s`;
  const mins = ns / MIN;
  if (mins > 0n) out = `${mins % 60n}m${out}`;
  const hours = mins / 60n;
  if (hours > 0n) out = `${hours}h${out}`;
  return sign + out;
}
