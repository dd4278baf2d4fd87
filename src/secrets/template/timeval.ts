// time.Time as a template value: what `now`, `toDate` and `dateModify` return, printed like
// Go's Time.String and carrying the methods templates call on it ({{ now.Unix }},
// {{ (now.Add 3600000000000).Format "15:04" }}, {{ now.UTC.Year }}).

import { ExecFailure } from './errors.js';
import {
  GoDuration,
  GoLocation,
  GoNamedInt,
  NS,
  UTC,
  durationArg,
  int64,
  localLocation,
  now,
  saturate,
} from './gotime.js';
import { civil, dateToUnix, formatTime, wallToUnix } from './timefmt.js';
import type { Instant } from './timefmt.js';
import { GoObject, typeName } from './value.js';
import type { GoMethod } from './value.js';

// Seconds from 0001-01-01 (Go's zero Time) to the Unix epoch.
const ZERO_UNIX = -62135596800;

export class GoTime extends GoObject implements Instant {
  readonly goType = 'time.Time';
  readonly goKind = 'struct';
  constructor(
    readonly sec: number,
    readonly nsec: number,
    readonly loc: GoLocation,
    /** The monotonic reading of a `now`, in nanoseconds since the process started. */
    readonly mono?: bigint,
  ) {
    super();
  }

  static now(): GoTime {
    const r = now();
    return new GoTime(r.sec, r.nsec, localLocation(), r.mono);
  }

  static unix(sec: number, nsec = 0): GoTime {
    return new GoTime(sec, nsec, localLocation());
  }

  static zero(): GoTime {
    return new GoTime(ZERO_UNIX, 0, UTC);
  }

  in(loc: GoLocation): GoTime {
    return new GoTime(this.sec, this.nsec, loc);
  }

  /** Nanoseconds since the Unix epoch. */
  unixNano(): bigint {
    return BigInt(this.sec) * NS + BigInt(this.nsec);
  }

  add(d: bigint): GoTime {
    const total = this.unixNano() + d;
    const sec = total >= 0n ? total / NS : -((-total + NS - 1n) / NS);
    const mono = this.mono === undefined ? undefined : this.mono + d;
    return new GoTime(Number(sec), Number(total - sec * NS), this.loc, mono);
  }

  /** t - u, saturated to the Duration range; monotonic readings win when both have one. */
  sub(u: GoTime): bigint {
    if (this.mono !== undefined && u.mono !== undefined) return saturate(this.mono - u.mono);
    return saturate(this.unixNano() - u.unixNano());
  }

  isZero(): boolean {
    return this.sec === ZERO_UNIX && this.nsec === 0;
  }

  /** Time.String, with Go's " m=+1.234567890" for a monotonic reading. */
  format(): string {
    let s = formatTime(this, '2006-01-02 15:04:05.999999999 -0700 MST');
    if (this.mono !== undefined) {
      const m = this.mono;
      const sign = m < 0n ? '-' : '+';
      const abs = m < 0n ? -m : m;
      s += ` m=${sign}${abs / NS}.${String(abs % NS).padStart(9, '0')}`;
    }
    return s;
  }

  override stringer(): string {
    return this.format();
  }

  toJSON(): unknown {
    return formatTime(this, '2006-01-02T15:04:05.999999999Z07:00');
  }

  addDate(y: number, m: number, d: number): GoTime {
    const f = civil(this);
    const wall = dateToUnix(f.year + y, f.month + m, f.day + d, f.hour, f.min, f.sec);
    return new GoTime(wallToUnix(wall, this.loc), this.nsec, this.loc);
  }

  /** Truncate/Round work on the time since Go's zero Time. */
  roundTo(d: bigint, round: boolean): GoTime {
    if (d <= 0n) return new GoTime(this.sec, this.nsec, this.loc);
    const since = BigInt(this.sec - ZERO_UNIX) * NS + BigInt(this.nsec);
    const r = since % d;
    const down = new GoTime(this.sec, this.nsec, this.loc).add(-r);
    if (!round) return down;
    return r + r < d ? down : down.add(d);
  }

  override method(name: string): GoMethod | undefined {
    return timeMethods(this)[name];
  }
}

function timeArg(v: unknown): GoTime {
  if (v instanceof GoTime) return v;
  throw new ExecFailure(`wrong type for value; expected time.Time; got ${typeName(v)}`);
}

function intArg(v: unknown): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  throw new ExecFailure(`wrong type for value; expected int; got ${typeName(v)}`);
}

function timeMethods(t: GoTime): Record<string, GoMethod> {
  const f = () => civil(t);
  const none = (fn: () => unknown): GoMethod => ({ fn, params: [] });
  const one = (fn: (u: GoTime) => unknown): GoMethod => ({ fn: (u) => fn(timeArg(u)), params: ['any'] });
  const cmp = (u: GoTime): number => {
    const a = t.unixNano();
    const b = u.unixNano();
    return a < b ? -1 : a > b ? 1 : 0;
  };
  return {
    Year: none(() => f().year),
    Month: none(() => new GoNamedInt('time.Month', f().month)),
    Day: none(() => f().day),
    Hour: none(() => f().hour),
    Minute: none(() => f().min),
    Second: none(() => f().sec),
    Nanosecond: none(() => t.nsec),
    YearDay: none(() => f().yday),
    Weekday: none(() => new GoNamedInt('time.Weekday', f().weekday)),
    Unix: none(() => t.sec),
    UnixMilli: none(() => int64(t.unixNano() / 1_000_000n)),
    UnixMicro: none(() => int64(t.unixNano() / 1000n)),
    UnixNano: none(() => int64(t.unixNano())),
    UTC: none(() => t.in(UTC)),
    Local: none(() => t.in(localLocation())),
    Location: none(() => t.loc),
    In: {
      fn: (loc) => {
        if (!(loc instanceof GoLocation)) throw new ExecFailure('time: missing Location in call to Time.In');
        return t.in(loc);
      },
      params: ['any'],
    },
    IsZero: none(() => t.isZero()),
    String: none(() => t.format()),
    Format: { fn: (layout) => formatTime(t, layout as string), params: ['string'] },
    Add: { fn: (d) => t.add(durationArg(d)), params: ['any'] },
    AddDate: {
      fn: (y, m, d) => t.addDate(intArg(y), intArg(m), intArg(d)),
      params: ['int', 'int', 'int'],
    },
    Sub: one((u) => new GoDuration(t.sub(u))),
    After: one((u) => cmp(u) > 0),
    Before: one((u) => cmp(u) < 0),
    Equal: one((u) => cmp(u) === 0),
    Compare: one((u) => cmp(u)),
    Truncate: {
      fn: (d) => t.roundTo(durationArg(d), false),
      params: ['any'],
    },
    Round: {
      fn: (d) => t.roundTo(durationArg(d), true),
      params: ['any'],
    },
  };
}
