import { describe, expect, it } from '@jest/globals';
import type { ScenarioResult } from './context.js';
import { pictures } from './plots.js';
import { cdfCurve, doneCurve, sampleCurve } from './stats.js';

const result = (id: string, curves: ScenarioResult['curves']): ScenarioResult => ({
  id,
  title: id,
  params: {},
  metrics: {},
  targets: [],
  notes: [],
  seconds: 1,
  curves,
});

describe('bench pictures', () => {
  const start = 1_000_000;
  const ready = (perMs: number) =>
    doneCurve(
      Array.from({ length: 5000 }, (_, i) => start + i * perMs),
      start,
    );
  const results = [
    result('1-baseline-5000', { ready: ready(4) }),
    result('1-baseline-5000-before-backlog', { writes_ready: ready(3) }),
    result('2-cold-5000', {
      ready: ready(5),
      backlog_round1_ready: ready(4),
      backlog_round2_ready: ready(4.2),
    }),
    result('1-baseline-5000-after', { ready: ready(4.1) }),
    result('3-under-load', { create_to_ready_cdf: cdfCurve([0.05, 0.02, 0.3, 0.04]) }),
    result('4-steady', { rss_mib: sampleCurve([120, 121, 119.5], 1) }),
  ];

  it('draws each comparison with the operator and the bare client side by side', async () => {
    const pics = await pictures(results);
    expect(pics.map((p) => p.name)).toEqual(['cold-sync', 'backlog', 'create-to-ready', 'rss']);
    for (const p of pics) expect(p.svg).toMatch(/^<svg[\s\S]*<\/svg>$/);
    const cold = pics[0]!.svg;
    for (const label of ['Syncret', 'bare client, before', 'bare client, after'])
      expect(cold).toContain(label);
    expect(pics[1]!.svg).toContain('Syncret, round 2');
    expect(pics[1]!.svg).toContain('bare client writes, before');
  });

  it('draws nothing for scenarios that did not run, or runs recorded before curves existed', async () => {
    expect(await pictures([result('2-cold-5000', undefined)])).toEqual([]);
  });

  it('keeps a curve to a few hundred points, from 0 to the last one done', () => {
    const c = ready(1);
    expect(c.x.length).toBeLessThanOrEqual(301);
    expect([c.x[0], c.y[0]]).toEqual([0, 0]);
    expect(c.y.at(-1)).toBe(5000);
    expect(cdfCurve([3, 1, 2]).y).toEqual([0.333, 0.667, 1]);
  });
});
