// Go's reference-time layouts ("2006-01-02T15:04:05Z07:00"): the chunking of a layout into
// elements and Time.Format, element for element as Go's time package does it (parsing is in
// timeparse.ts).

import { DAYS, MONTHS, civilFromDays, daysFromCivil } from './gotime.js';
import type { GoLocation } from './gotime.js';

export type Std =
  | 'Jan'
  | 'January'
  | '1'
  | '01'
  | 'Mon'
  | 'Monday'
  | '2'
  | '_2'
  | '02'
  | '__2'
  | '002'
  | '15'
  | '3'
  | '03'
  | '4'
  | '04'
  | '5'
  | '05'
  | '06'
  | '2006'
  | 'PM'
  | 'pm'
  | 'MST'
  | 'Z0700'
  | 'Z070000'
  | 'Z07'
  | 'Z07:00'
  | 'Z07:00:00'
  | '-0700'
  | '-070000'
  | '-07'
  | '-07:00'
  | '-07:00:00'
  | 'frac0'
  | 'frac9';

export interface Chunk {
  prefix: string;
  std?: Std;
  /** Fractional seconds: digit count and separator. */
  digits?: number;
  sep?: string;
  /** The layout text of the element, for messages. */
  text: string;
  suffix: string;
}

const ZERO_X: Std[] = ['01', '02', '03', '04', '05', '06'];
const TZ_ELEMENTS = ['-070000', '-07:00:00', '-0700', '-07:00', '-07'] as const;
const ISO_ELEMENTS = ['Z070000', 'Z07:00:00', 'Z0700', 'Z07:00', 'Z07'] as const;

const lowerAt = (s: string, i: number): boolean => i < s.length && s[i]! >= 'a' && s[i]! <= 'z';
export const digitAt = (s: string, i: number): boolean => i < s.length && s[i]! >= '0' && s[i]! <= '9';

/** time's nextStdChunk: the text before the first layout element, the element, the rest. */
export function nextChunk(layout: string): Chunk {
  const at = (i: number, std: Std, len: number, extra?: Partial<Chunk>): Chunk => ({
    prefix: layout.slice(0, i),
    std,
    text: layout.slice(i, i + len),
    suffix: layout.slice(i + len),
    ...extra,
  });
  for (let i = 0; i < layout.length; i++) {
    const rest = layout.slice(i);
    switch (layout[i]) {
      case 'J':
        if (rest.startsWith('January')) return at(i, 'January', 7);
        if (rest.startsWith('Jan') && !lowerAt(layout, i + 3)) return at(i, 'Jan', 3);
        break;
      case 'M':
        if (rest.startsWith('Monday')) return at(i, 'Monday', 6);
        if (rest.startsWith('Mon') && !lowerAt(layout, i + 3)) return at(i, 'Mon', 3);
        if (rest.startsWith('MST')) return at(i, 'MST', 3);
        break;
      case '0':
        if (layout[i + 1] !== undefined && layout[i + 1]! >= '1' && layout[i + 1]! <= '6') {
          return at(i, ZERO_X[Number(layout[i + 1]) - 1]!, 2);
        }
        if (rest.startsWith('002')) return at(i, '002', 3);
        break;
      case '1':
        return layout[i + 1] === '5' ? at(i, '15', 2) : at(i, '1', 1);
      case '2':
        return rest.startsWith('2006') ? at(i, '2006', 4) : at(i, '2', 1);
      case '_':
        if (layout[i + 1] === '2') {
          // "_2006" is a literal underscore followed by the year.
          if (rest.startsWith('_2006')) return { ...at(i + 1, '2006', 4), prefix: layout.slice(0, i + 1) };
          return at(i, '_2', 2);
        }
        if (rest.startsWith('__2')) return at(i, '__2', 3);
        break;
      case '3':
        return at(i, '3', 1);
      case '4':
        return at(i, '4', 1);
      case '5':
        return at(i, '5', 1);
      case 'P':
        if (layout[i + 1] === 'M') return at(i, 'PM', 2);
        break;
      case 'p':
        if (layout[i + 1] === 'm') return at(i, 'pm', 2);
        break;
      case '-':
        for (const e of TZ_ELEMENTS) if (rest.startsWith(e)) return at(i, e, e.length);
        break;
      case 'Z':
        for (const e of ISO_ELEMENTS) if (rest.startsWith(e)) return at(i, e, e.length);
        break;
      case '.':
      case ',': {
        const ch = layout[i + 1];
        if (ch === '0' || ch === '9') {
          let j = i + 1;
          while (layout[j] === ch) j++;
          if (!digitAt(layout, j)) {
            return at(i, ch === '0' ? 'frac0' : 'frac9', j - i, { digits: j - i - 1, sep: layout[i] });
          }
        }
        break;
      }
      default:
        break;
    }
  }
  return { prefix: layout, text: '', suffix: '' };
}

function pad(n: number, width: number): string {
  const neg = n < 0;
  const s = String(Math.abs(n)).padStart(width, '0');
  return neg ? '-' + s : s;
}

export interface Instant {
  /** Unix seconds (an integer) and nanoseconds within the second. */
  sec: number;
  nsec: number;
  loc: GoLocation;
}

export interface Civil {
  year: number;
  month: number;
  day: number;
  hour: number;
  min: number;
  sec: number;
  yday: number;
  weekday: number;
  zone: string;
  offset: number;
}

/** The calendar fields of an instant in its location. */
export function civil(t: Instant): Civil {
  const z = t.loc.lookup(t.sec);
  const local = t.sec + z.offset;
  const days = Math.floor(local / 86400);
  const secOfDay = local - days * 86400;
  const { year, month, day } = civilFromDays(days);
  return {
    year,
    month,
    day,
    hour: Math.floor(secOfDay / 3600),
    min: Math.floor((secOfDay % 3600) / 60),
    sec: secOfDay % 60,
    yday: days - daysFromCivil(year, 1, 1) + 1,
    weekday: (((days + 4) % 7) + 7) % 7,
    zone: z.name,
    offset: z.offset,
  };
}

function formatOffset(std: Std, offset: number): string {
  if (offset === 0 && std.startsWith('Z')) return 'Z';
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const zone = Math.floor(abs / 60);
  let out = sign + pad(Math.floor(zone / 60), 2);
  const colon = std.includes(':');
  if (std !== '-07' && std !== 'Z07') out += (colon ? ':' : '') + pad(zone % 60, 2);
  if (std.endsWith('0000') || std.endsWith(':00:00')) out += (colon ? ':' : '') + pad(abs % 60, 2);
  return out;
}

function formatFrac(nsec: number, c: Chunk): string {
  const n = c.digits ?? 0;
  const trim = c.std === 'frac9';
  if (trim && (n === 0 || nsec === 0)) return '';
  let digits = pad(nsec, 9).slice(0, n);
  if (trim) digits = digits.replace(/0+$/, '');
  return digits === '' ? '' : (c.sep ?? '.') + digits;
}

function formatStd(c: Chunk, f: Civil, nsec: number): string {
  const std = c.std as Std;
  const hour12 = f.hour % 12 === 0 ? 12 : f.hour % 12;
  switch (std) {
    case '06':
      return pad(Math.abs(f.year) % 100, 2);
    case '2006':
      return pad(f.year, 4);
    case 'Jan':
      return (MONTHS[f.month - 1] ?? '').slice(0, 3);
    case 'January':
      return MONTHS[f.month - 1] ?? '';
    case '1':
      return String(f.month);
    case '01':
      return pad(f.month, 2);
    case 'Mon':
      return (DAYS[f.weekday] ?? '').slice(0, 3);
    case 'Monday':
      return DAYS[f.weekday] ?? '';
    case '2':
      return String(f.day);
    case '_2':
      return (f.day < 10 ? ' ' : '') + String(f.day);
    case '02':
      return pad(f.day, 2);
    case '__2':
      return String(f.yday).padStart(3, ' ');
    case '002':
      return pad(f.yday, 3);
    case '15':
      return pad(f.hour, 2);
    case '3':
      return String(hour12);
    case '03':
      return pad(hour12, 2);
    case '4':
      return String(f.min);
    case '04':
      return pad(f.min, 2);
    case '5':
      return String(f.sec);
    case '05':
      return pad(f.sec, 2);
    case 'PM':
      return f.hour >= 12 ? 'PM' : 'AM';
    case 'pm':
      return f.hour >= 12 ? 'pm' : 'am';
    case 'MST':
      return f.zone !== '' ? f.zone : formatOffset('-0700', f.offset);
    case 'frac0':
    case 'frac9':
      return formatFrac(nsec, c);
    default:
      return formatOffset(std, f.offset);
  }
}

/** Time.Format. */
export function formatTime(t: Instant, layout: string): string {
  const f = civil(t);
  let out = '';
  while (layout !== '') {
    const c = nextChunk(layout);
    out += c.prefix;
    if (!c.std) break;
    layout = c.suffix;
    out += formatStd(c, f, t.nsec);
  }
  return out;
}

/** Unix seconds of a civil date and clock in UTC, normalising overflowing fields as time.Date does. */
export function dateToUnix(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  const m0 = mo - 1;
  y += Math.floor(m0 / 12);
  const m = (((m0 % 12) + 12) % 12) + 1;
  return (daysFromCivil(y, m, 1) + d - 1) * 86400 + h * 3600 + mi * 60 + s;
}

/** Unix seconds of a wall clock in a location, resolved as time.Date does around transitions. */
export function wallToUnix(wall: number, loc: GoLocation): number {
  const first = loc.lookup(wall).offset;
  const utc = wall - first;
  const second = loc.lookup(utc).offset;
  return second === first ? utc : wall - second;
}
