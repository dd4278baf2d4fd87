// Go's time package as templates see it: time.Time (an instant, a location and, for `now`, a
// monotonic reading), time.Duration, time.Month and time.Weekday, with the methods a template
// can call on them. Zones are IANA names resolved through Intl, as Go resolves them through
// the system's tzdata. Layout formatting and parsing live in timefmt.ts.

import { readFileSync } from 'node:fs';
import { ExecFailure } from './errors.js';
import { Float, GoObject, typeName } from './value.js';
import type { GoMethod } from './value.js';

const NS = 1_000_000_000n;

// ---- the clock ----

export interface ClockReading {
  /** Unix seconds and nanoseconds of the wall clock. */
  sec: number;
  nsec: number;
  /** Nanoseconds since the process started (Go's monotonic reading). */
  mono: bigint;
}

const startHr = process.hrtime.bigint();
const startWallNs = BigInt(Date.now()) * 1_000_000n;

function systemClock(): ClockReading {
  const mono = process.hrtime.bigint() - startHr;
  const wall = startWallNs + mono;
  return { sec: Number(wall / NS), nsec: Number(wall % NS), mono };
}

let clock: () => ClockReading = systemClock;

/** Replaces the clock that `now`, `ago`, `genCA` and the rest read; undefined restores it. For tests. */
export function setClock(fn: (() => ClockReading) | undefined): void {
  clock = fn ?? systemClock;
}

// ---- civil calendar (proleptic Gregorian, days since 1970-01-01) ----

export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilFromDays(z: number): { year: number; month: number; day: number } {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

export function isLeap(y: number): boolean {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
}

export function daysIn(month: number, year: number): number {
  if (month === 2) return isLeap(year) ? 29 : 28;
  return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 31;
}

// ---- locations ----

interface Zone {
  name: string;
  offset: number;
}

export class GoLocation extends GoObject {
  readonly goType = '*time.Location';
  readonly goKind = 'ptr';
  constructor(
    /** What Location.String() prints: "UTC", "Local" or the IANA name. */
    readonly name: string,
    /** The IANA zone Intl computes offsets with; undefined for a fixed zone. */
    private readonly iana: string | undefined,
    private readonly fixed?: Zone,
  ) {
    super();
  }
  format(): string {
    return this.name;
  }
  override stringer(): string {
    return this.name;
  }
  toJSON(): unknown {
    return {};
  }
  override method(name: string): GoMethod | undefined {
    return name === 'String' ? { fn: () => this.name, params: [] } : undefined;
  }

  /** The zone abbreviation and offset (seconds east of UTC) in effect at a Unix second. */
  lookup(sec: number): Zone {
    if (this.fixed || this.iana === undefined) return this.fixed ?? { name: 'UTC', offset: 0 };
    return intlZone(this.iana, sec);
  }
}

export const UTC = new GoLocation('UTC', undefined, { name: 'UTC', offset: 0 });

export function fixedZone(name: string, offset: number): GoLocation {
  return new GoLocation(name, undefined, { name, offset });
}

let local: GoLocation | undefined;

/** Go's Local: the zone of $TZ, else the system's; UTC when there is none. */
export function localLocation(): GoLocation {
  if (local) return local;
  const tz = process.env.TZ;
  const system = tz === '' ? 'UTC' : new Intl.DateTimeFormat('en-US').resolvedOptions().timeZone;
  local = /^(Etc\/)?(UTC|GMT|Zulu|UCT)$/.test(system)
    ? new GoLocation('Local', undefined, { name: 'UTC', offset: 0 })
    : new GoLocation('Local', system, undefined);
  return local;
}

const loaded = new Map<string, GoLocation | null>();

/** time.LoadLocation: "" and "UTC" are UTC, "Local" is Local, else an IANA name; undefined when unknown. */
export function loadLocation(name: string): GoLocation | undefined {
  if (name === '' || name === 'UTC') return UTC;
  if (name === 'Local') return localLocation();
  const hit = loaded.get(name);
  if (hit !== undefined) return hit ?? undefined;
  let loc: GoLocation | null = null;
  // Go reads tzdata files by name: case matters and offsets like "+01:00" are no zone.
  if (/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(name) && !name.includes('..')) {
    try {
      const resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
      const caseOnly = resolved.toLowerCase() === name.toLowerCase() && resolved !== name;
      if (!caseOnly) loc = new GoLocation(name, name, undefined);
    } catch {
      loc = null;
    }
  }
  if (loaded.size > 512) loaded.clear();
  loaded.set(name, loc);
  return loc ?? undefined;
}

const offsetFormats = new Map<string, Intl.DateTimeFormat>();
const nameFormats = new Map<string, Intl.DateTimeFormat[]>();

function offsetFormat(tz: string): Intl.DateTimeFormat {
  let f = offsetFormats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    offsetFormats.set(tz, f);
  }
  return f;
}

// JS Dates reach ±8.64e15 ms; beyond that the offset at the edge is used.
const MAX_MS = 8.64e15;

function intlZone(tz: string, sec: number): Zone {
  const ms = Math.max(-MAX_MS, Math.min(MAX_MS, sec * 1000));
  const parts: Record<string, string> = {};
  for (const p of offsetFormat(tz).formatToParts(new Date(ms))) parts[p.type] = p.value;
  let year = Number(parts.year);
  if (parts.era === 'BC' || parts.era === 'B') year = 1 - year;
  const days = daysFromCivil(year, Number(parts.month), Number(parts.day));
  const wall = days * 86400 + Number(parts.hour) * 3600 + Number(parts.minute) * 60 + Number(parts.second);
  const offset = wall - Math.floor(ms / 1000);
  return { name: zoneAbbreviation(tz, ms, offset), offset };
}

/**
 * The zone's abbreviation as Go prints it: tzdata's (CET, JST, -03), read from the system's
 * zoneinfo as Go reads it (the container image ships it). Without the file, Intl's English
 * short name where it is a name, else tzdata's numeric form.
 */
function zoneAbbreviation(tz: string, ms: number, offset: number): string {
  const fromTzdata = tzdataAbbreviations(tz)?.get(offset);
  if (fromTzdata !== undefined) return fromTzdata;
  let fs = nameFormats.get(tz);
  if (!fs) {
    fs = ['en-US', 'en-GB'].map((l) => new Intl.DateTimeFormat(l, { timeZone: tz, timeZoneName: 'short' }));
    nameFormats.set(tz, fs);
  }
  for (const f of fs) {
    const name = f.formatToParts(new Date(ms)).find((p) => p.type === 'timeZoneName')?.value ?? '';
    if (/^[A-Z]{2,5}$/.test(name)) return name;
  }
  return formatOffsetName(offset);
}

const ZONEINFO = '/usr/share/zoneinfo';
const abbreviationTables = new Map<string, Map<number, string> | null>();

/** Offset → abbreviation of a zone's TZif file, the latest use of each offset winning. */
function tzdataAbbreviations(tz: string): Map<number, string> | null {
  const hit = abbreviationTables.get(tz);
  if (hit !== undefined) return hit;
  let table: Map<number, string> | null = null;
  try {
    if (/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(tz) && !tz.includes('..'))
      table = readTzif(readFileSync(`${ZONEINFO}/${tz}`));
  } catch {
    table = null;
  }
  abbreviationTables.set(tz, table);
  return table;
}

function readTzif(b: Buffer): Map<number, string> | null {
  if (b.toString('latin1', 0, 4) !== 'TZif') return null;
  const counts = (at: number) => Array.from({ length: 6 }, (_, i) => b.readUInt32BE(at + 20 + i * 4));
  let at = 0;
  let [isut, isstd, leap, times, types, chars] = counts(0);
  let timeSize = 4;
  if (b[4]! >= 0x32) {
    // Version 2+: skip the 32-bit block, read the 64-bit one.
    at = 44 + times! * 5 + types! * 6 + chars! + leap! * 8 + isstd! + isut!;
    [isut, isstd, leap, times, types, chars] = counts(at);
    timeSize = 8;
  }
  let p = at + 44 + times! * timeSize;
  const order = Array.from(b.subarray(p, p + times!));
  p += times!;
  const info = Array.from({ length: types! }, (_, i) => ({
    off: b.readInt32BE(p + i * 6),
    abbr: b[p + i * 6 + 5]!,
  }));
  p += types! * 6;
  const abbrs = b.subarray(p, p + chars!);
  const name = (i: number) =>
    abbrs.toString('latin1', i, abbrs.indexOf(0, i) < 0 ? abbrs.length : abbrs.indexOf(0, i));
  const table = new Map<number, string>();
  for (const t of info) table.set(t.off, name(t.abbr));
  for (const i of order) if (info[i]) table.set(info[i].off, name(info[i].abbr));
  if (timeSize === 8)
    footerAbbreviations(b.toString('latin1', p + chars! + leap! * 12 + isstd! + isut!), table);
  return table;
}

/** The POSIX TZ string after a v2 TZif file ("CET-1CEST,M3.5.0,..."): today's names. */
function footerAbbreviations(text: string, table: Map<number, string>): void {
  const m = /^\n(<[^>]+>|[A-Za-z]+)([+-]?[0-9:]+)(<[^>]+>|[A-Za-z]+)?([+-]?[0-9:]+)?/.exec(text);
  if (!m) return;
  const seconds = (o: string) => {
    const [h = 0, mi = 0, se = 0] = o.replace(/^[+-]/, '').split(':').map(Number);
    return (o.startsWith('-') ? -1 : 1) * (h * 3600 + mi * 60 + se);
  };
  const unquote = (n: string) => n.replace(/^<|>$/g, '');
  const std = -seconds(m[2] ?? '0');
  table.set(std, unquote(m[1] ?? ''));
  if (m[3]) table.set(m[4] ? -seconds(m[4]) : std + 3600, unquote(m[3]));
}

/** tzdata's numeric abbreviation: +03, -0330. */
function formatOffsetName(offset: number): string {
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const h = String(Math.floor(abs / 3600)).padStart(2, '0');
  const m = Math.floor((abs % 3600) / 60);
  return sign + h + (m ? String(m).padStart(2, '0') : '');
}

// ---- durations ----

const MAX_DURATION = (1n << 63n) - 1n;
const MIN_DURATION = -(1n << 63n);

function saturate(d: bigint): bigint {
  return d > MAX_DURATION ? MAX_DURATION : d < MIN_DURATION ? MIN_DURATION : d;
}

function fracDigits(v: bigint, prec: number): { text: string; rest: bigint } {
  let text = '';
  let print = false;
  for (let i = 0; i < prec; i++) {
    const digit = v % 10n;
    print = print || digit !== 0n;
    if (print) text = String(digit) + text;
    v /= 10n;
  }
  return { text: print ? '.' + text : '', rest: v };
}

/** time.Duration.String: "1h2m3.5s", "1.5ms", "0s". */
export function formatDuration(d: bigint): string {
  const neg = d < 0n;
  let u = neg ? -d : d;
  let out: string;
  if (u < NS) {
    if (u === 0n) return '0s';
    const [prec, unit] = u < 1000n ? [0, 'ns'] : u < 1_000_000n ? [3, 'µs'] : [6, 'ms'];
    const f = fracDigits(u, prec);
    out = String(f.rest) + f.text + unit;
  } else {
    const f = fracDigits(u, 9);
    u = f.rest;
    out = String(u % 60n) + f.text + 's';
    u /= 60n;
    if (u > 0n) {
      out = String(u % 60n) + 'm' + out;
      u /= 60n;
      if (u > 0n) out = String(u) + 'h' + out;
    }
  }
  return neg ? '-' + out : out;
}

const UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1000n,
  µs: 1000n,
  μs: 1000n,
  ms: 1_000_000n,
  s: NS,
  m: 60n * NS,
  h: 3600n * NS,
};

/** time.ParseDuration. Its messages quote the input; these do not (it may be a secret value). */
export function parseDuration(orig: string): bigint {
  const invalid = (why = 'invalid duration'): never => {
    throw new ExecFailure(`time: ${why}`);
  };
  let s = orig;
  let neg = false;
  if (s[0] === '-' || s[0] === '+') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') invalid();
  let d = 0n;
  while (s !== '') {
    if (!/^[.0-9]/.test(s)) invalid();
    const int = /^[0-9]*/.exec(s)?.[0] ?? '';
    s = s.slice(int.length);
    let v = 0n;
    for (const c of int) {
      v = v * 10n + BigInt(c);
      if (v > 1n << 63n) invalid();
    }
    let f = 0n;
    let scale = 1;
    let post = false;
    if (s[0] === '.') {
      const frac = /^[0-9]*/.exec(s.slice(1))?.[0] ?? '';
      s = s.slice(1 + frac.length);
      post = frac.length > 0;
      let overflow = false;
      for (const c of frac) {
        if (overflow) continue;
        if (f > ((1n << 63n) - 1n) / 10n) {
          overflow = true;
          continue;
        }
        f = f * 10n + BigInt(c);
        scale *= 10;
      }
    }
    if (int === '' && !post) invalid();
    const unitText = /^[^.0-9]*/.exec(s)?.[0] ?? '';
    if (unitText === '') invalid('missing unit in duration');
    s = s.slice(unitText.length);
    const unit = UNITS[unitText];
    if (unit === undefined) invalid('unknown unit in duration');
    const u = unit as bigint;
    if (v > (1n << 63n) / u) invalid();
    v *= u;
    if (f > 0n) {
      v += BigInt(Math.trunc(Number(f) * (Number(u) / scale)));
      if (v > 1n << 63n) invalid();
    }
    d += v;
    if (d > 1n << 63n) invalid();
  }
  if (neg) return -d;
  if (d > MAX_DURATION) invalid();
  return d;
}

export class GoDuration extends GoObject {
  readonly goType = 'time.Duration';
  readonly goKind = 'int64';
  constructor(readonly ns: bigint) {
    super();
  }
  format(): string {
    return formatDuration(this.ns);
  }
  override stringer(): string {
    return formatDuration(this.ns);
  }
  override intValue(): number {
    return Number(this.ns);
  }
  toJSON(): unknown {
    return this.ns;
  }
  override method(name: string): GoMethod | undefined {
    const d = this.ns;
    const whole = (unit: bigint) => Number(d / unit) + Number(d % unit) / Number(unit);
    switch (name) {
      case 'String':
        return { fn: () => formatDuration(d), params: [] };
      case 'Hours':
        return { fn: () => new Float(whole(3600n * NS)), params: [] };
      case 'Minutes':
        return { fn: () => new Float(whole(60n * NS)), params: [] };
      case 'Seconds':
        return { fn: () => new Float(whole(NS)), params: [] };
      case 'Milliseconds':
        return { fn: () => int64(d / 1_000_000n), params: [] };
      case 'Microseconds':
        return { fn: () => int64(d / 1000n), params: [] };
      case 'Nanoseconds':
        return { fn: () => int64(d), params: [] };
      case 'Abs':
        return { fn: () => new GoDuration(d >= 0n ? d : d === MIN_DURATION ? MAX_DURATION : -d), params: [] };
      case 'Truncate':
        return { fn: (m) => new GoDuration(truncDuration(d, durationArg(m))), params: ['any'] };
      case 'Round':
        return { fn: (m) => new GoDuration(roundDuration(d, durationArg(m))), params: ['any'] };
      default:
        return undefined;
    }
  }
}

function truncDuration(d: bigint, m: bigint): bigint {
  return m <= 0n ? d : d - (d % m);
}

function roundDuration(d: bigint, m: bigint): bigint {
  if (m <= 0n) return d;
  let r = d % m;
  if (d < 0n) {
    r = -r;
    if (r + r < m) return d + r;
    const d1 = d - m + r;
    return d1 < d ? d1 : MIN_DURATION;
  }
  if (r + r < m) return d - r;
  const d1 = d + m - r;
  return d1 > d ? d1 : MAX_DURATION;
}

/** A time.Duration parameter: a Duration, or an integer constant (nanoseconds). */
export function durationArg(v: unknown): bigint {
  if (v instanceof GoDuration) return v.ns;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'bigint') return v;
  throw new ExecFailure(`wrong type for value; expected time.Duration; got ${typeName(v)}`);
}

/** An int64 result: a number when it is exact, else a bigint (value.ts prints both). */
export function int64(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

// ---- months and weekdays ----

export const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
export const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** time.Month and time.Weekday: named integers that print as names. */
export class GoNamedInt extends GoObject {
  readonly goKind = 'int';
  constructor(
    readonly goType: 'time.Month' | 'time.Weekday',
    readonly n: number,
  ) {
    super();
  }
  private name(): string {
    const names = this.goType === 'time.Month' ? MONTHS : DAYS;
    const i = this.goType === 'time.Month' ? this.n - 1 : this.n;
    return names[i] ?? `%!${this.goType === 'time.Month' ? 'Month' : 'Weekday'}(${this.n})`;
  }
  format(): string {
    return this.name();
  }
  override stringer(): string {
    return this.name();
  }
  override intValue(): number {
    return this.n;
  }
  toJSON(): unknown {
    return this.n;
  }
  override method(name: string): GoMethod | undefined {
    return name === 'String' ? { fn: () => this.name(), params: [] } : undefined;
  }
}

export { NS, saturate, roundDuration, truncDuration };
export type { Zone };

export function now(): { sec: number; nsec: number; mono: bigint } {
  return clock();
}
