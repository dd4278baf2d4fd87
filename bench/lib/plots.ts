// The bench's pictures: SVG line charts of the curves its scenarios record (ScenarioResult.curves),
// drawn with Vega-Lite (compiled to a Vega spec, rendered headless to SVG: no browser, no canvas).
// Each picture puts the operator next to what it is compared with in the same run: the cold sync
// and the backlog against the bare client's passes, the create-to-Ready distribution under load,
// and RSS over the steady-state window.

import { writeFileSync } from 'node:fs';
import { View, parse } from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { Curve, ScenarioResult } from './context.js';

export interface Picture {
  /** File name stem, e.g. `cold-sync` (written as `<stem>.svg`). */
  name: string;
  title: string;
  svg: string;
}

interface Line {
  label: string;
  curve: Curve;
}

interface Chart {
  name: string;
  title: string;
  x: string;
  y: string;
  lines: Line[];
  /** Draw points at each sample, for short curves a line alone hides. */
  points?: boolean;
}

const find = (results: readonly ScenarioResult[], id: string): ScenarioResult | undefined =>
  results.find((r) => r.id === id);

function line(r: ScenarioResult | undefined, curve: string, label: string): Line[] {
  const c = r?.curves?.[curve];
  return c && c.x.length > 0 ? [{ label, curve: c }] : [];
}

/** The largest N that has a cold-sync result: the pictures compare at the size the targets use. */
function largestCold(results: readonly ScenarioResult[]): number | undefined {
  const ns = results.flatMap((r) => {
    const m = /^2-cold-(\d+)$/.exec(r.id);
    return m ? [Number(m[1])] : [];
  });
  return ns.length > 0 ? Math.max(...ns) : undefined;
}

function charts(results: readonly ScenarioResult[]): Chart[] {
  const out: Chart[] = [];
  const n = largestCold(results);
  if (n !== undefined) {
    const cold = find(results, `2-cold-${n}`);
    out.push({
      name: 'cold-sync',
      title: `Cold sync of ${n} ExternalSecrets: Ready over time`,
      x: 'seconds since the first create',
      y: 'ExternalSecrets Ready',
      lines: [
        ...line(cold, 'ready', 'Syncret'),
        ...line(find(results, `1-baseline-${n}`), 'ready', 'bare client, before'),
        ...line(find(results, `1-baseline-${n}-after`), 'ready', 'bare client, after'),
      ],
    });
    const rounds = Object.keys(cold?.curves ?? {})
      .filter((k) => /^backlog_round\d+_ready$/.test(k))
      .sort();
    out.push({
      name: 'backlog',
      title: `Backlog of ${n} ExternalSecrets: synced over time after the operator starts`,
      x: 'seconds since the start',
      y: 'ExternalSecrets synced',
      lines: [
        ...rounds.flatMap((k) => line(cold, k, `Syncret, round ${/\d+/.exec(k)![0]}`)),
        ...line(
          find(results, `1-baseline-${n}-before-backlog`),
          'writes_ready',
          'bare client writes, before',
        ),
        ...line(find(results, `1-baseline-${n}-after-backlog`), 'writes_ready', 'bare client writes, after'),
      ],
    });
  }
  out.push({
    name: 'create-to-ready',
    title: 'New ExternalSecrets while a refresh backlog is queued: create-to-Ready',
    x: 'seconds from create to Ready',
    y: 'share of the new ExternalSecrets',
    lines: line(find(results, '3-under-load'), 'create_to_ready_cdf', 'Syncret'),
    points: true,
  });
  out.push({
    name: 'rss',
    title: 'Steady state: resident memory over the window',
    x: 'seconds into the window',
    y: 'RSS (MiB)',
    lines: line(find(results, '4-steady'), 'rss_mib', 'Syncret'),
  });
  return out.filter((c) => c.lines.length > 0);
}

function spec(c: Chart): TopLevelSpec {
  const values = c.lines.flatMap((l) => l.curve.x.map((x, i) => ({ x, y: l.curve.y[i], series: l.label })));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: c.title,
    width: 640,
    height: 320,
    background: 'white',
    data: { values },
    mark: { type: 'line', point: c.points === true, interpolate: 'linear' },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: c.x },
      y: { field: 'y', type: 'quantitative', title: c.y },
      color: { field: 'series', type: 'nominal', title: null, sort: c.lines.map((l) => l.label) },
    },
    config: { font: 'sans-serif', legend: { orient: 'bottom-right', labelLimit: 0 } },
  };
}

/** Renders one chart: Vega-Lite → Vega → a headless View → SVG text. */
async function render(c: Chart): Promise<string> {
  const view = new View(parse(compile(spec(c)).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Every picture the results have the curves for (scenarios not run draw nothing). */
export async function pictures(results: readonly ScenarioResult[]): Promise<Picture[]> {
  const out: Picture[] = [];
  for (const c of charts(results)) out.push({ name: c.name, title: c.title, svg: await render(c) });
  return out;
}

/** Writes each picture as `<json path without .json>-<name>.svg`; returns the paths. */
export async function writePictures(jsonPath: string, results: readonly ScenarioResult[]): Promise<string[]> {
  const stem = jsonPath.replace(/\.json$/, '');
  const paths: string[] = [];
  for (const p of await pictures(results)) {
    const path = `${stem}-${p.name}.svg`;
    writeFileSync(path, p.svg.endsWith('\n') ? p.svg : `${p.svg}\n`);
    paths.push(path);
  }
  return paths;
}
