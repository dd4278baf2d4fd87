import { describe, expect, it } from '@jest/globals';
import { DurationError, formatGoDuration, parseGoDuration, parseGoDurationNs } from './duration.js';

const NS = 1n;
const US = 1000n;
const MS = 1_000_000n;
const S = 1_000_000_000n;
const M = 60n * S;
const H = 60n * M;
const MAX = (1n << 63n) - 1n;
const MIN = -(1n << 63n);

// Go's src/time/time_test.go parseDurationTests, verbatim.
const valid: [string, bigint][] = [
  ['0', 0n],
  ['5s', 5n * S],
  ['30s', 30n * S],
  ['1478s', 1478n * S],
  ['-5s', -5n * S],
  ['+5s', 5n * S],
  ['-0', 0n],
  ['+0', 0n],
  ['5.0s', 5n * S],
  ['5.6s', 5n * S + 600n * MS],
  ['5.s', 5n * S],
  ['.5s', 500n * MS],
  ['1.0s', 1n * S],
  ['1.00s', 1n * S],
  ['1.004s', 1n * S + 4n * MS],
  ['1.0040s', 1n * S + 4n * MS],
  ['100.00100s', 100n * S + 1n * MS],
  ['10ns', 10n * NS],
  ['11us', 11n * US],
  ['12\u00b5s', 12n * US],
  ['12\u03bcs', 12n * US],
  ['13ms', 13n * MS],
  ['14s', 14n * S],
  ['15m', 15n * M],
  ['16h', 16n * H],
  ['3h30m', 3n * H + 30n * M],
  ['10.5s4m', 4n * M + 10n * S + 500n * MS],
  ['-2m3.4s', -(2n * M + 3n * S + 400n * MS)],
  ['1h2m3s4ms5us6ns', 1n * H + 2n * M + 3n * S + 4n * MS + 5n * US + 6n * NS],
  ['39h9m14.425s', 39n * H + 9n * M + 14n * S + 425n * MS],
  ['52763797000ns', 52763797000n * NS],
  ['0.3333333333333333333h', 20n * M],
  ['9007199254740993ns', (1n << 53n) + 1n],
  ['9223372036854775807ns', MAX],
  ['9223372036854775.807us', MAX],
  ['9223372036s854ms775us807ns', MAX],
  ['-9223372036854775808ns', MIN],
  ['-9223372036854775.808us', MIN],
  ['-9223372036s854ms775us808ns', MIN],
  ['-2562047h47m16.854775808s', MIN],
  ['0.100000000000000000000h', 6n * M],
  ['0.830103483285477580700h', 49n * M + 48n * S + 372539827n * NS],
];

// Go's parseDurationErrorTests: the quoted input the message must contain.
const invalid: [string, string][] = [
  ['', '""'],
  ['3', '"3"'],
  ['-', '"-"'],
  ['s', '"s"'],
  ['.', '"."'],
  ['-.', '"-."'],
  ['.s', '".s"'],
  ['+.s', '"+.s"'],
  ['1d', '"1d"'],
  ['\ufffd', '"\\xef\\xbf\\xbd"'],
  ['\ufffd hello \ufffd world', '"\\xef\\xbf\\xbd hello \\xef\\xbf\\xbd world"'],
  ['9223372036854775810ns', '"9223372036854775810ns"'],
  ['9223372036854775808ns', '"9223372036854775808ns"'],
  ['-9223372036854775809ns', '"-9223372036854775809ns"'],
  ['9223372036854776us', '"9223372036854776us"'],
  ['3000000h', '"3000000h"'],
  ['9223372036854775.808us', '"9223372036854775.808us"'],
  ['9223372036854ms775us808ns', '"9223372036854ms775us808ns"'],
];

describe('parseGoDurationNs', () => {
  it.each(valid)('parses %j', (input, want) => {
    expect(parseGoDurationNs(input)).toBe(want);
  });

  it.each(invalid)('rejects %j', (input, quoted) => {
    expect(() => parseGoDurationNs(input)).toThrow(DurationError);
    expect(() => parseGoDurationNs(input)).toThrow(quoted);
  });

  it("uses Go's exact messages", () => {
    expect(() => parseGoDurationNs('abc')).toThrow('time: invalid duration "abc"');
    expect(() => parseGoDurationNs('')).toThrow('time: invalid duration ""');
    expect(() => parseGoDurationNs('3')).toThrow('time: missing unit in duration "3"');
    expect(() => parseGoDurationNs('1h30')).toThrow('time: missing unit in duration "1h30"');
    expect(() => parseGoDurationNs('1d')).toThrow('time: unknown unit "d" in duration "1d"');
    expect(() => parseGoDurationNs('1h 30m')).toThrow('time: unknown unit "h " in duration "1h 30m"');
    expect(() => parseGoDurationNs('1H')).toThrow('time: unknown unit "H" in duration "1H"');
    expect(() => parseGoDurationNs('1\u00b5')).toThrow(
      'time: unknown unit "\\xc2\\xb5" in duration "1\\xc2\\xb5"',
    );
    expect(() => parseGoDurationNs('1"s')).toThrow('time: unknown unit "\\"s" in duration "1\\"s"');
  });

  it('rejects what the grammar does not allow', () => {
    for (const s of ['00', '--1s', '+-1s', ' 1s', '1s ', '1.5.5s', '1e3s', 'h', '1_000s', '0x10s', '∞s']) {
      expect(() => parseGoDurationNs(s)).toThrow(DurationError);
    }
  });

  it('accepts leading zeros and repeated units', () => {
    expect(parseGoDurationNs('007s')).toBe(7n * S);
    expect(parseGoDurationNs('1s1s')).toBe(2n * S);
    expect(parseGoDurationNs('0s')).toBe(0n);
    expect(parseGoDurationNs('-0s')).toBe(0n);
    expect(parseGoDurationNs('0.000000001s')).toBe(1n);
    expect(parseGoDurationNs('0.0000000001s')).toBe(0n);
  });
});

describe('parseGoDuration (ms)', () => {
  it.each([
    ['1h', 3_600_000],
    ['1.5h', 5_400_000],
    ['1h30m', 5_400_000],
    ['15s', 15_000],
    ['300ms', 300],
    ['-1m', -60_000],
    ['0', 0],
    ['1500ns', 0.0015],
    ['1us', 0.001],
  ])('%s = %d ms', (s, ms) => {
    expect(parseGoDuration(s)).toBe(ms);
  });

  it('throws the Go message', () => {
    expect(() => parseGoDuration('abc')).toThrow(new DurationError('time: invalid duration "abc"'));
  });
});

describe('formatGoDuration', () => {
  it("prints as Go's Duration.String", () => {
    const cases: [number, string][] = [
      [0, '0s'],
      [0.000001, '1ns'],
      [0.0015, '1.5µs'],
      [500, '500ms'],
      [1500, '1.5s'],
      [10_000, '10s'],
      [60_000, '1m0s'],
      [90_000, '1m30s'],
      [3_600_000, '1h0m0s'],
      [5_400_500, '1h30m0.5s'],
      [-2000, '-2s'],
    ];
    for (const [ms, text] of cases) expect(formatGoDuration(ms)).toBe(text);
  });
});
