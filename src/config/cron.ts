// Cron schedules as ESO 2.9 reads spec.syncWindows[].schedule (github.com/robfig/cron/v3 with
// minute, hour, day of month, month and day of week fields plus descriptors), in UTC: the same
// strings parse or fail, and `next` returns the same instants, so a window opens when it would
// under ESO. Written from the library's documented behaviour:
// - fields: `*` or `?`, a value or a name (JAN-DEC, SUN-SAT, any case), `a-b`, each with an
//   optional `/step`; `a/step` runs from a to the field's maximum; lists with commas;
// - day of month and day of week: when either is `*` (or `?`) both must match, otherwise
//   either may (a step turns `*` into a plain range, which counts as restricted);
// - descriptors @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly, and
//   `@every <Go duration>` (at least 1 s, whole seconds), which fires that long after any
//   instant (truncated to the second);
// - `next(t)` is the first firing strictly after t, whole seconds; none more than 5 years on.

import { parseGoDuration } from './duration.js';

export class CronError extends Error {
  override readonly name = 'CronError';
}

export interface CronSchedule {
  /** The first firing strictly after `afterMs` (epoch ms), or undefined within 5 years. */
  next(afterMs: number): number | undefined;
}

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

const MINUTE: Bounds = { min: 0, max: 59 };
const HOUR: Bounds = { min: 0, max: 23 };
const DOM: Bounds = { min: 1, max: 31 };
const MONTH: Bounds = {
  min: 1,
  max: 12,
  names: Object.fromEntries(MONTH_NAMES.map((n, i) => [n, i + 1])),
};
const DOW: Bounds = { min: 0, max: 6, names: Object.fromEntries(DAY_NAMES.map((n, i) => [n, i])) };

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const SECOND = 1000;
const MINUTE_MS = 60 * SECOND;
const SEARCH_YEARS = 5;

/** One field: the values it allows, and whether it was written as `*` or `?`. */
interface Field {
  allowed: Set<number>;
  star: boolean;
}

function number(text: string, what: string): number {
  if (!/^[+-]?\d+$/.test(text)) throw new CronError(`failed to parse int from ${text}: ${what}`);
  const n = Number(text);
  if (n < 0) throw new CronError(`negative number (${n}) not allowed: ${text}`);
  return n;
}

function valueOf(text: string, b: Bounds): number {
  const named = b.names?.[text.toLowerCase()];
  return named ?? number(text, text);
}

function range(expr: string, b: Bounds, field: Field): void {
  const slash = expr.split('/');
  if (slash.length > 2) throw new CronError(`too many slashes: ${expr}`);
  const dash = slash[0]!.split('-');
  let start: number;
  let end: number;
  let star = false;
  if (dash[0] === '*' || dash[0] === '?') {
    [start, end, star] = [b.min, b.max, true];
  } else {
    if (dash.length > 2) throw new CronError(`too many hyphens: ${expr}`);
    start = valueOf(dash[0]!, b);
    end = dash.length === 2 ? valueOf(dash[1]!, b) : start;
  }
  let step = 1;
  if (slash.length === 2) {
    step = number(slash[1]!, expr);
    if (dash.length === 1) end = b.max;
    if (step > 1) star = false;
  }
  if (start < b.min) throw new CronError(`beginning of range (${start}) below minimum (${b.min}): ${expr}`);
  if (end > b.max) throw new CronError(`end of range (${end}) above maximum (${b.max}): ${expr}`);
  if (start > end) throw new CronError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new CronError(`step of range should be a positive number: ${expr}`);
  for (let v = start; v <= end; v += step) field.allowed.add(v);
  field.star ||= star;
}

function parseField(text: string, b: Bounds): Field {
  const field: Field = { allowed: new Set(), star: false };
  // The library skips empty list items ("1,,2"); an all-empty list matches nothing.
  for (const part of text.split(',')) if (part !== '') range(part, b, field);
  return field;
}

class FieldSchedule implements CronSchedule {
  constructor(
    private readonly minute: Field,
    private readonly hour: Field,
    private readonly dom: Field,
    private readonly month: Field,
    private readonly dow: Field,
  ) {}

  private dayMatches(d: Date): boolean {
    const dom = this.dom.allowed.has(d.getUTCDate());
    const dow = this.dow.allowed.has(d.getUTCDay());
    return this.dom.star || this.dow.star ? dom && dow : dom || dow;
  }

  next(afterMs: number): number | undefined {
    // Firings fall on whole minutes: start at the first minute boundary after the next second.
    let t = Math.ceil((Math.floor(afterMs / SECOND) * SECOND + SECOND) / MINUTE_MS) * MINUTE_MS;
    const limit = new Date(afterMs).getUTCFullYear() + SEARCH_YEARS;
    for (;;) {
      const d = new Date(t);
      const [y, mo, day, h] = [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours()];
      if (y > limit) return undefined;
      if (!this.month.allowed.has(mo + 1)) t = Date.UTC(y, mo + 1, 1);
      else if (!this.dayMatches(d)) t = Date.UTC(y, mo, day + 1);
      else if (!this.hour.allowed.has(h)) t = Date.UTC(y, mo, day, h + 1);
      else if (!this.minute.allowed.has(d.getUTCMinutes())) t += MINUTE_MS;
      else return t;
    }
  }
}

class EverySchedule implements CronSchedule {
  constructor(private readonly delayMs: number) {}

  next(afterMs: number): number {
    return Math.floor(afterMs / SECOND) * SECOND + this.delayMs;
  }
}

/** Parses a schedule; throws CronError with the library's wording on what it rejects. */
export function parseCron(spec: string): CronSchedule {
  if (spec.length === 0) throw new CronError('empty spec string');
  if (spec.startsWith('@')) {
    if (spec.startsWith('@every ')) {
      let ms: number;
      try {
        ms = parseGoDuration(spec.slice('@every '.length));
      } catch {
        throw new CronError(`failed to parse duration ${spec}`);
      }
      // The library rounds below a second up to one, and drops what is below a second.
      const delay = Math.max(ms, SECOND);
      return new EverySchedule(delay - (delay % SECOND));
    }
    const fields = DESCRIPTORS[spec];
    if (!fields) throw new CronError(`unrecognized descriptor: ${spec}`);
    return parseCron(fields);
  }
  const parts = spec.trim().split(/\s+/);
  if (parts.length !== 5) throw new CronError(`expected exactly 5 fields, found ${parts.length}: ${spec}`);
  return new FieldSchedule(
    parseField(parts[0]!, MINUTE),
    parseField(parts[1]!, HOUR),
    parseField(parts[2]!, DOM),
    parseField(parts[3]!, MONTH),
    parseField(parts[4]!, DOW),
  );
}
