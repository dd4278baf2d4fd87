// Sprig's float math (addf, subf, mulf, divf, add1f through shopspring/decimal, so 1.1 + 2.2
// is 3.3 as in Go, not 3.3000000000000003), maxf/minf, round, seq, untilStep and toDecimal.

import { ExecFailure } from './errors.js';
import type { FuncDef } from './exec.js';
import { toFloat64 } from './sprig.js';
import { Float, formatValue } from './value.js';

/** A decimal coef × 10^exp, exact. */
interface Dec {
  coef: bigint;
  exp: number;
}

/** decimal.NewFromFloat: the shortest decimal that reads back as the float. */
function fromFloat(v: number): Dec {
  if (!Number.isFinite(v))
    throw new ExecFailure(
      `Cannot create a Decimal from ${Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf'}`,
    );
  if (v === 0) return { coef: 0n, exp: 0 };
  const [mant = '0', e = '0'] = v.toExponential().split('e');
  const digits = mant.replace('.', '').replace('-', '');
  const frac = (mant.split('.')[1] ?? '').length;
  return { coef: BigInt((v < 0 ? '-' : '') + digits), exp: Number(e) - frac };
}

const pow10 = (n: number): bigint => 10n ** BigInt(n);

function align(a: Dec, b: Dec): [bigint, bigint, number] {
  const exp = Math.min(a.exp, b.exp);
  return [a.coef * pow10(a.exp - exp), b.coef * pow10(b.exp - exp), exp];
}

const add = (a: Dec, b: Dec): Dec => {
  const [x, y, exp] = align(a, b);
  return { coef: x + y, exp };
};
const sub = (a: Dec, b: Dec): Dec => {
  const [x, y, exp] = align(a, b);
  return { coef: x - y, exp };
};
const mul = (a: Dec, b: Dec): Dec => ({ coef: a.coef * b.coef, exp: a.exp + b.exp });

/** Decimal.Div: DivRound to 16 places, ties away from zero. */
function div(a: Dec, b: Dec): Dec {
  if (b.coef === 0n) throw new ExecFailure('decimal division by 0');
  const precision = 16;
  const k = a.exp + precision - b.exp;
  const n = k >= 0 ? a.coef * pow10(k) : a.coef;
  const d = k >= 0 ? b.coef : b.coef * pow10(-k);
  let q = n / d;
  const r = n - q * d;
  const abs = (x: bigint) => (x < 0n ? -x : x);
  if (2n * abs(r) >= abs(d)) q += n < 0n !== d < 0n ? -1n : 1n;
  return { coef: q, exp: -precision };
}

function toFloat(d: Dec): number {
  return Number(`${d.coef}e${d.exp}`);
}

function decimalOp(first: unknown, rest: unknown[], op: (a: Dec, b: Dec) => Dec): Float {
  let acc = fromFloat(toFloat64(first));
  for (const x of rest) acc = op(acc, fromFloat(toFloat64(x)));
  return new Float(toFloat(acc));
}

/** Sprig's round(value, places, roundOn = .5). */
function round(a: unknown, places: number, ...opt: unknown[]): Float {
  const roundOn = opt.length > 0 ? (opt[0] instanceof Float ? opt[0].v : Number(opt[0])) : 0.5;
  const pow = Math.pow(10, places);
  const digit = pow * toFloat64(a);
  const frac = digit % 1;
  return new Float((frac >= roundOn ? Math.ceil(digit) : Math.floor(digit)) / pow);
}

const MAX_ITEMS = 1 << 20;

export function untilStep(start: number, stop: number, step: number): number[] {
  const out: number[] = [];
  const push = (i: number) => {
    if (out.length >= MAX_ITEMS) throw new ExecFailure(`untilStep: more than ${MAX_ITEMS} elements`);
    out.push(i);
  };
  if (stop < start) {
    if (step >= 0) return out;
    for (let i = start; i > stop; i += step) push(i);
    return out;
  }
  if (step <= 0) return out;
  for (let i = start; i < stop; i += step) push(i);
  return out;
}

function seq(...p: number[]): string {
  let list: number[];
  if (p.length === 1) {
    const end = p[0]!;
    const inc = end < 1 ? -1 : 1;
    list = untilStep(1, end + inc, inc);
  } else if (p.length === 2) {
    const [start, end] = p as [number, number];
    const step = end < start ? -1 : 1;
    list = untilStep(start, end + step, step);
  } else if (p.length === 3) {
    const [start, step, end] = p as [number, number, number];
    let inc = 1;
    if (end < start) {
      inc = -1;
      if (step > 0) return '';
    }
    list = untilStep(start, end + inc, step);
  } else return '';
  return list.join(' ');
}

/** Sprig's toDecimal: the value printed, read as octal; 0 when it is not. */
function toDecimal(v: unknown): number {
  const s = formatValue(v);
  if (!/^[+-]?[0-7]+$/.test(s)) return 0;
  const abs = BigInt('0o' + s.replace(/^[+-]/, ''));
  const n = s.startsWith('-') ? -abs : abs;
  // strconv.ParseInt fails outside int64, and Sprig answers 0 then.
  if (n > (1n << 63n) - 1n || n < -(1n << 63n)) return 0;
  return Number(n);
}

function maxMin(pick: (a: number, b: number) => number) {
  return (a: unknown, ...rest: unknown[]): Float =>
    new Float(rest.reduce<number>((acc, x) => pick(acc, toFloat64(x)), toFloat64(a)));
}

const A = 'any' as const;

export const MATH_FUNCS: Record<string, FuncDef> = {
  add1f: { fn: (a) => decimalOp(a, [1], add), params: [A] },
  addf: { fn: (...a) => decimalOp(0, a, add), params: [], variadic: A },
  subf: { fn: (a, ...r) => decimalOp(a, r, sub), params: [A], variadic: A },
  mulf: { fn: (a, ...r) => decimalOp(a, r, mul), params: [A], variadic: A },
  divf: { fn: (a, ...r) => decimalOp(a, r, div), params: [A], variadic: A },
  maxf: { fn: maxMin(Math.max), params: [A], variadic: A },
  minf: { fn: maxMin(Math.min), params: [A], variadic: A },
  round: { fn: (a, p, ...o) => round(a, p as number, ...o), params: [A, 'int'], variadic: 'float' },
  seq: { fn: (...p) => seq(...(p as number[])), params: [], variadic: 'int' },
  untilStep: {
    fn: (a, b, c) => untilStep(a as number, b as number, c as number),
    params: ['int', 'int', 'int'],
  },
  toDecimal: { fn: toDecimal, params: [A] },
};
