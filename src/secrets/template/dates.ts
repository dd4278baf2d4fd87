// Sprig's date functions (date.go): layouts are Go's reference time, zones IANA names, and
// the lenient ones fall back as Sprig does (an unknown zone is UTC, a date that is neither a
// time nor an integer is now, a bad layout or duration gives the zero value).

import { ExecFailure } from './errors.js';
import type { FuncDef } from './exec.js';
import {
  GoDuration,
  NS,
  UTC,
  formatDuration,
  loadLocation,
  localLocation,
  parseDuration,
  roundDuration,
} from './gotime.js';
import { formatTime } from './timefmt.js';
import { parseTime } from './timeparse.js';
import { GoTime } from './timeval.js';
import { typeName } from './value.js';

const S = 'string' as const;
const A = 'any' as const;

/** Sprig's `switch date.(type)`: a time, or an integer of Unix seconds; anything else is now. */
function timeOf(v: unknown): GoTime {
  if (v instanceof GoTime) return v;
  if (typeof v === 'number' && Number.isInteger(v)) return GoTime.unix(v);
  if (typeof v === 'bigint') return GoTime.unix(Number(v));
  return GoTime.now();
}

function timeParam(v: unknown): GoTime {
  if (v instanceof GoTime) return v;
  if (v === null || v === undefined) throw new ExecFailure('invalid value; expected time.Time');
  throw new ExecFailure(`wrong type for value; expected time.Time; got ${typeName(v)}`);
}

export function dateInZone(layout: string, date: unknown, zone: string): string {
  const loc = loadLocation(zone) ?? UTC;
  return formatTime(timeOf(date).in(loc), layout);
}

function since(t: GoTime): bigint {
  return GoTime.now().sub(t);
}

function ago(date: unknown): string {
  return formatDuration(roundDuration(since(timeOf(date)), NS));
}

/** Sprig's duration: seconds as an int64 or a decimal string, else 0. */
function duration(v: unknown): string {
  let n = 0n;
  if (typeof v === 'string') n = parseInt64(v);
  else if (typeof v === 'number' && Number.isInteger(v)) n = BigInt(v);
  else if (typeof v === 'bigint') n = v;
  // Duration(n) * Second wraps around like Go's int64 arithmetic.
  return formatDuration(BigInt.asIntN(64, n * NS));
}

/** strconv.ParseInt(s, 10, 64) with the error dropped: 0 on bad syntax, the clamped bound on overflow. */
function parseInt64(s: string): bigint {
  if (!/^[+-]?[0-9]+$/.test(s)) return 0n;
  const n = BigInt(s);
  const max = (1n << 63n) - 1n;
  return n > max ? max : n < -max - 1n ? -max - 1n : n;
}

const YEAR = 365n * 24n * 3600n * NS;
const MONTH = 30n * 24n * 3600n * NS;
const DAY = 24n * 3600n * NS;
const HOUR = 3600n * NS;
const MINUTE = 60n * NS;

function durationRound(v: unknown): string {
  let d = 0n;
  if (typeof v === 'string') {
    try {
      d = parseDuration(v);
    } catch {
      d = 0n;
    }
  } else if (typeof v === 'number' && Number.isInteger(v)) d = BigInt(v);
  else if (typeof v === 'bigint') d = v;
  else if (v instanceof GoTime) d = since(v);
  // A time.Duration is not an int64 to Sprig's type switch: it rounds to "0s" there too.
  else if (v instanceof GoDuration) d = 0n;
  const u = d < 0n ? -d : d;
  const steps: [bigint, string][] = [
    [YEAR, 'y'],
    [MONTH, 'mo'],
    [DAY, 'd'],
    [HOUR, 'h'],
    [MINUTE, 'm'],
    [NS, 's'],
  ];
  for (const [unit, suffix] of steps) if (u > unit) return String(u / unit) + suffix;
  return '0s';
}

function dateModify(layout: string, date: unknown, must: boolean): GoTime {
  const t = timeParam(date);
  let d: bigint;
  try {
    d = parseDuration(layout);
  } catch (e) {
    if (must) throw e;
    return t;
  }
  return t.add(d);
}

function toDate(layout: string, value: string, must: boolean): GoTime {
  try {
    const t = parseTime(layout, value, localLocation());
    return new GoTime(t.sec, t.nsec, t.loc);
  } catch (e) {
    if (must) throw e;
    return GoTime.zero();
  }
}

const modify = (must: boolean): FuncDef => ({
  fn: (f, d) => (must ? dateModify(f as string, d, true) : dateModify(f as string, d, false)),
  params: [S, A],
});

export const DATE_FUNCS: Record<string, FuncDef> = {
  now: { fn: () => GoTime.now(), params: [] },
  date: { fn: (f, d) => dateInZone(f as string, d, 'Local'), params: [S, A] },
  dateInZone: { fn: (f, d, z) => dateInZone(f as string, d, z as string), params: [S, A, S] },
  date_in_zone: { fn: (f, d, z) => dateInZone(f as string, d, z as string), params: [S, A, S] },
  htmlDate: { fn: (d) => dateInZone('2006-01-02', d, 'Local'), params: [A] },
  htmlDateInZone: { fn: (d, z) => dateInZone('2006-01-02', d, z as string), params: [A, S] },
  dateModify: modify(false),
  date_modify: modify(false),
  mustDateModify: modify(true),
  must_date_modify: modify(true),
  ago: { fn: ago, params: [A] },
  duration: { fn: duration, params: [A] },
  durationRound: { fn: durationRound, params: [A] },
  toDate: { fn: (f, s) => toDate(f as string, s as string, false), params: [S, S] },
  mustToDate: { fn: (f, s) => toDate(f as string, s as string, true), params: [S, S] },
  unixEpoch: { fn: (d) => String(timeParam(d).sec), params: [A] },
};
