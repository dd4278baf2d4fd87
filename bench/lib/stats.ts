import type { Curve } from './context.js';

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

export function summary(values: readonly number[]): { n: number; p50: number; p99: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99), max: s[s.length - 1] ?? NaN };
}

export const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;

export const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** At most `max` points, evenly spaced by index, the first and last kept. */
function thin(points: [number, number][], max: number): Curve {
  const step = Math.max(1, (points.length - 1) / (max - 1));
  const keep: [number, number][] = [];
  for (let i = 0; i < points.length; i += step) keep.push(points[Math.floor(i)]!);
  if (points.length > 0 && keep.at(-1) !== points.at(-1)) keep.push(points.at(-1)!);
  return { x: keep.map((p) => round(p[0], 3)), y: keep.map((p) => round(p[1], 3)) };
}

/** How many were done by each moment: `doneAt` (ms timestamps) as seconds since `start`. */
export function doneCurve(doneAt: Iterable<number>, start: number, max = 300): Curve {
  const t = [...doneAt].map((at) => (at - start) / 1000).sort((a, b) => a - b);
  return thin([[0, 0], ...t.map((s, i): [number, number] => [s, i + 1])], max);
}

/** The empirical distribution: for each value, the share of values at or below it. */
export function cdfCurve(values: readonly number[], max = 300): Curve {
  const s = [...values].sort((a, b) => a - b);
  return thin(
    s.map((v, i): [number, number] => [v, (i + 1) / s.length]),
    max,
  );
}

/** Samples taken every `intervalS` seconds, against their time. */
export function sampleCurve(samples: readonly number[], intervalS: number, max = 300): Curve {
  return thin(
    samples.map((v, i): [number, number] => [(i + 1) * intervalS, v]),
    max,
  );
}
