// time.ParseInLocation for Go's reference-time layouts, element for element as Go reads them
// (lenient fractions after seconds, zone abbreviations, day of year, AM/PM). Errors name the
// layout element, never the input text: a template may parse a secret.

import { ExecFailure } from './errors.js';
import { DAYS, MONTHS, UTC, daysIn, fixedZone, isLeap } from './gotime.js';
import type { GoLocation } from './gotime.js';
import { dateToUnix, digitAt, nextChunk, wallToUnix } from './timefmt.js';
import type { Chunk, Instant, Std } from './timefmt.js';

class Bad extends Error {}

/** Go's ParseError without the input: `parsing time as "LAYOUT": cannot parse as "ELEM"`, or `parsing time: WHY`. */
function badParse(layout: string, elem: string, why = ''): never {
  if (elem === '') throw new ExecFailure(`parsing time${why}`);
  throw new ExecFailure(`parsing time as ${JSON.stringify(layout)}: cannot parse as ${JSON.stringify(elem)}`);
}

/** Up to two digits (exactly two when fixed). */
function getnum(v: string, fixed: boolean): [number, string] {
  if (!digitAt(v, 0)) throw new Bad();
  if (!digitAt(v, 1)) {
    if (fixed) throw new Bad();
    return [Number(v[0]), v.slice(1)];
  }
  return [Number(v.slice(0, 2)), v.slice(2)];
}

function getnum3(v: string, fixed: boolean): [number, string] {
  let n = 0;
  let i = 0;
  for (; i < 3 && digitAt(v, i); i++) n = n * 10 + Number(v[i]);
  if (i === 0 || (fixed && i !== 3)) throw new Bad();
  return [n, v.slice(i)];
}

function lookupName(names: string[], v: string): [number, string] {
  for (let i = 0; i < names.length; i++) {
    const n = names[i]!;
    if (v.length >= n.length && v.slice(0, n.length).toLowerCase() === n.toLowerCase())
      return [i, v.slice(n.length)];
  }
  throw new Bad();
}

function parseNanos(v: string, nbytes: number): [number, string] {
  if (v[0] !== '.' && v[0] !== ',') throw new Bad();
  const digits = v.slice(1, Math.min(nbytes, 10));
  if (!/^[0-9]+$/.test(digits)) throw new Bad();
  return [Number(digits.padEnd(9, '0')), ''];
}

/** time's parseTimeZone: how many bytes of v look like a zone abbreviation (0: none). */
function timeZoneLength(v: string): number {
  if (v.length < 3) return 0;
  if (v.startsWith('ChST') || v.startsWith('MeST')) return 4;
  if (v.startsWith('GMT')) {
    const m = /^[+-](\d+)/.exec(v.slice(3));
    return m && Number(m[1]) <= 23 ? 3 + m[0].length : 3;
  }
  if (v[0] === '+' || v[0] === '-') {
    const m = /^[+-](\d+)/.exec(v);
    return m && Number(m[1]) <= 23 ? m[0].length : 0;
  }
  let n = 0;
  while (n < v.length && v[n]! >= 'A' && v[n]! <= 'Z') n++;
  if (n === 3) return 3;
  if (n === 4) return v[3] === 'T' || v.startsWith('WITA') ? 4 : 0;
  if (n === 5) return v[4] === 'T' ? 5 : 0;
  return 0;
}

interface Fields {
  year: number;
  month: number;
  day: number;
  yday: number;
  hour: number;
  min: number;
  sec: number;
  nsec: number;
  am: boolean;
  pm: boolean;
  utc: boolean;
  zoneOffset: number | undefined;
  zoneName: string;
}

/** One layout element read off the front of v; returns the rest of v. */
function parseStd(c: Chunk, v: string, f: Fields, nextLayout: string): string {
  const std = c.std as Std;
  const range = (what: string): never => {
    throw new RangeError(what);
  };
  let n: number;
  switch (std) {
    case '06':
      if (v.length < 2 || !/^\d\d/.test(v)) throw new Bad();
      n = Number(v.slice(0, 2));
      f.year = n >= 69 ? n + 1900 : n + 2000;
      return v.slice(2);
    case '2006':
      if (v.length < 4 || !/^\d{4}/.test(v)) throw new Bad();
      f.year = Number(v.slice(0, 4));
      return v.slice(4);
    case 'Jan':
    case 'January': {
      const names = std === 'Jan' ? MONTHS.map((m) => m.slice(0, 3)) : MONTHS;
      [n, v] = lookupName(names, v);
      f.month = n + 1;
      return v;
    }
    case '1':
    case '01':
      [f.month, v] = getnum(v, std === '01');
      if (f.month <= 0 || f.month > 12) range('month');
      return v;
    case 'Mon':
      return lookupName(
        DAYS.map((d) => d.slice(0, 3)),
        v,
      )[1];
    case 'Monday':
      return lookupName(DAYS, v)[1];
    case '2':
    case '_2':
    case '02':
      if (std === '_2' && v[0] === ' ') v = v.slice(1);
      [f.day, v] = getnum(v, std === '02');
      return v;
    case '__2':
    case '002':
      for (let i = 0; i < 2; i++) if (std === '__2' && v[0] === ' ') v = v.slice(1);
      [f.yday, v] = getnum3(v, std === '002');
      return v;
    case '15':
      [f.hour, v] = getnum(v, false);
      if (f.hour < 0 || f.hour >= 24) range('hour');
      return v;
    case '3':
    case '03':
      [f.hour, v] = getnum(v, std === '03');
      if (f.hour < 0 || f.hour > 12) range('hour');
      return v;
    case '4':
    case '04':
      [f.min, v] = getnum(v, std === '04');
      if (f.min < 0 || f.min >= 60) range('minute');
      return v;
    case '5':
    case '05': {
      [f.sec, v] = getnum(v, std === '05');
      if (f.sec < 0 || f.sec >= 60) range('second');
      // Fractional seconds after the seconds field are read even when the layout has none.
      if (v.length >= 2 && (v[0] === '.' || v[0] === ',') && digitAt(v, 1)) {
        const next = nextChunk(nextLayout).std;
        if (next === 'frac0' || next === 'frac9') return v;
        let i = 2;
        while (digitAt(v, i)) i++;
        [f.nsec] = parseNanos(v, i);
        return v.slice(i);
      }
      return v;
    }
    case 'PM':
    case 'pm': {
      const p = v.slice(0, 2);
      const [am, pmText] = std === 'PM' ? ['AM', 'PM'] : ['am', 'pm'];
      if (p === pmText) f.pm = true;
      else if (p === am) f.am = true;
      else throw new Bad();
      return v.slice(2);
    }
    case 'MST': {
      if (v.startsWith('UTC')) {
        f.utc = true;
        return v.slice(3);
      }
      const len = timeZoneLength(v);
      if (len === 0) throw new Bad();
      f.zoneName = v.slice(0, len);
      return v.slice(len);
    }
    case 'frac0': {
      const nd = 1 + (c.digits ?? 0);
      if (v.length < nd) throw new Bad();
      [f.nsec] = parseNanos(v, nd);
      return v.slice(nd);
    }
    case 'frac9': {
      if (v.length < 2 || (v[0] !== '.' && v[0] !== ',') || !digitAt(v, 1)) return v;
      let i = 1;
      while (digitAt(v, i)) i++;
      [f.nsec] = parseNanos(v, i);
      return v.slice(i);
    }
    default:
      return parseOffset(std, v, f);
  }
}

function parseOffset(std: Std, v: string, f: Fields): string {
  if (std.startsWith('Z') && v[0] === 'Z') {
    f.utc = true;
    return v.slice(1);
  }
  const shape: Record<string, RegExp> = {
    '07:00': /^([+-])(\d\d):(\d\d)/,
    '07': /^([+-])(\d\d)/,
    '07:00:00': /^([+-])(\d\d):(\d\d):(\d\d)/,
    '070000': /^([+-])(\d\d)(\d\d)(\d\d)/,
    '0700': /^([+-])(\d\d)(\d\d)/,
  };
  const m = shape[std.slice(1)]?.exec(v);
  if (!m) throw new Bad();
  const [hr, mm, ss] = [Number(m[2]), Number(m[3] ?? 0), Number(m[4] ?? 0)];
  if (hr > 24) throw new RangeError('time zone offset hour');
  if (mm > 60) throw new RangeError('time zone offset minute');
  if (ss > 60) throw new RangeError('time zone offset second');
  const off = (hr * 60 + mm) * 60 + ss;
  f.zoneOffset = m[1] === '-' ? -off : off;
  return v.slice(m[0].length);
}

function skipPrefix(v: string, prefix: string): string {
  let p = prefix;
  while (p.length > 0) {
    if (p[0] === ' ') {
      if (v.length > 0 && v[0] !== ' ') throw new Bad();
      p = p.replace(/^ +/, '');
      v = v.replace(/^ +/, '');
      continue;
    }
    if (v.length === 0 || v[0] !== p[0]) throw new Bad();
    p = p.slice(1);
    v = v.slice(1);
  }
  return v;
}

function readLayout(layout: string, value: string, f: Fields): void {
  let v = value;
  for (let rest = layout; ;) {
    const c = nextChunk(rest);
    try {
      v = skipPrefix(v, c.prefix);
    } catch {
      badParse(layout, c.prefix);
    }
    if (!c.std) {
      if (v.length !== 0) badParse(layout, '', ': extra text');
      return;
    }
    rest = c.suffix;
    try {
      v = parseStd(c, v, f, rest);
    } catch (e) {
      if (e instanceof RangeError) badParse(layout, '', `: ${e.message} out of range`);
      if (e instanceof Bad) badParse(layout, c.text);
      throw e;
    }
  }
}

function resolveYday(layout: string, f: Fields): void {
  if (f.yday >= 0) {
    let yday = f.yday;
    let m = 0;
    let d = 0;
    if (isLeap(f.year)) {
      if (yday === 60) [m, d] = [2, 29];
      else if (yday > 60) yday--;
    }
    if (yday < 1 || yday > 365) badParse(layout, '', ': day-of-year out of range');
    if (m === 0) {
      let before = 0;
      for (m = 1; before + daysIn(m, 2001) < yday; m++) before += daysIn(m, 2001);
      d = yday - before;
    }
    if (f.month >= 0 && f.month !== m) badParse(layout, '', ': day-of-year does not match month');
    if (f.day >= 0 && f.day !== d) badParse(layout, '', ': day-of-year does not match day');
    f.month = m;
    f.day = d;
  } else {
    if (f.month < 0) f.month = 1;
    if (f.day < 0) f.day = 1;
  }
}

/** time.ParseInLocation(layout, value, loc). */
export function parseTime(layout: string, value: string, loc: GoLocation): Instant {
  const f: Fields = {
    year: 0,
    month: -1,
    day: -1,
    yday: -1,
    hour: 0,
    min: 0,
    sec: 0,
    nsec: 0,
    am: false,
    pm: false,
    utc: false,
    zoneOffset: undefined,
    zoneName: '',
  };
  readLayout(layout, value, f);
  if (f.pm && f.hour < 12) f.hour += 12;
  else if (f.am && f.hour === 12) f.hour = 0;
  resolveYday(layout, f);
  if (f.day < 1 || f.day > daysIn(f.month, f.year)) badParse(layout, '', ': day out of range');
  const wall = dateToUnix(f.year, f.month, f.day, f.hour, f.min, f.sec);
  if (f.utc) return { sec: wall, nsec: f.nsec, loc: UTC };
  if (f.zoneOffset !== undefined) {
    const sec = wall - f.zoneOffset;
    const z = loc.lookup(sec);
    if (z.offset === f.zoneOffset && (f.zoneName === '' || z.name === f.zoneName))
      return { sec, nsec: f.nsec, loc };
    return { sec, nsec: f.nsec, loc: fixedZone(f.zoneName, f.zoneOffset) };
  }
  if (f.zoneName !== '') {
    // A known abbreviation of the location (at this time or half a year away) gives its offset.
    for (const probe of [wall, wall - 15_768_000, wall + 15_768_000]) {
      const z = loc.lookup(probe);
      if (z.name === f.zoneName) return { sec: wall - z.offset, nsec: f.nsec, loc };
    }
    // An unknown name: Go keeps the clock read as UTC and labels it with the name, shifting
    // the instant by a GMT+N offset rather than the wall clock (a quirk kept as Go has it).
    const gmt = /^GMT([+-]\d+)$/.exec(f.zoneName);
    const offset = gmt ? Number(gmt[1]) * 3600 : 0;
    return { sec: wall, nsec: f.nsec, loc: fixedZone(f.zoneName, offset) };
  }
  return { sec: wallToUnix(wall, loc), nsec: f.nsec, loc };
}
