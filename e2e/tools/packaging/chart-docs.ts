// Writes the values table of charts/syncret/README.md from the `# -- ` comments in values.yaml,
// between the markers <!-- values:start --> and <!-- values:end -->. Every leaf value (and every
// map or list that has its own `# --` comment) needs a description: a value without one fails, so
// the README always lists every value.
//
// Usage: node e2e/tools/packaging/chart-docs.ts [--check] [CHART_DIR]
//   --check: exit 1 when README.md is not what this script would write (CI).

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Pair } from 'yaml';

const START = '<!-- values:start -->';
const END = '<!-- values:end -->';

export interface ValueDoc {
  key: string;
  type: string;
  default: string;
  description: string;
}

function description(comment: string | null | undefined): string | undefined {
  if (!comment) return undefined;
  // Only the last `-- ` block counts: earlier comment lines are notes for readers of the file.
  const lines = comment.split('\n');
  const at = lines.map((l) => l.trimStart().startsWith('-- ')).lastIndexOf(true);
  if (at < 0) return undefined;
  return lines
    .slice(at)
    .map((l, i) => (i === 0 ? l.trimStart().slice(3) : l.trim()))
    .join(' ')
    .trim();
}

function typeOf(v: unknown): string {
  if (Array.isArray(v)) return 'list';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'object';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  return typeof v;
}

export function valueDocs(valuesYaml: string): ValueDoc[] {
  const doc = parseDocument(valuesYaml);
  const out: ValueDoc[] = [];
  const missing: string[] = [];
  const walk = (node: unknown, prefix: string): void => {
    if (!isMap(node)) return;
    (node.items as Pair[]).forEach((pair, i) => {
      const key = `${prefix}${isScalar(pair.key) ? String(pair.key.value) : String(pair.key)}`;
      // The parser hangs the comment above a nested map's first key on the map itself.
      const desc =
        description(isScalar(pair.key) ? pair.key.commentBefore : undefined) ??
        (i === 0 ? description(node.commentBefore) : undefined);
      const value: unknown =
        isMap(pair.value) || isSeq(pair.value)
          ? pair.value.toJSON()
          : (pair.value as { value?: unknown })?.value;
      // A map with its own description is one value (e.g. resources); otherwise document its keys.
      if (isMap(pair.value) && pair.value.items.length > 0 && desc === undefined) {
        walk(pair.value, `${key}.`);
        return;
      }
      if (desc === undefined) {
        missing.push(key);
        return;
      }
      out.push({ key, type: typeOf(value), default: JSON.stringify(value), description: desc });
    });
  };
  walk(doc.contents, '');
  if (missing.length > 0) throw new Error(`values.yaml: no "# -- " description for: ${missing.join(', ')}`);
  return out;
}

function cell(s: string): string {
  return s.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

export function valuesTable(docs: ValueDoc[]): string {
  const rows = docs.map(
    (d) => `| \`${cell(d.key)}\` | ${d.type} | \`${cell(d.default)}\` | ${cell(d.description)} |`,
  );
  return ['| Key | Type | Default | Description |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

export function renderReadme(readme: string, valuesYaml: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md needs the markers ${START} and ${END}`);
  return `${readme.slice(0, start + START.length)}\n${valuesTable(valueDocs(valuesYaml))}\n${readme.slice(end)}`;
}

function main(argv: string[]): void {
  const check = argv.includes('--check');
  const dir = argv.find((a) => !a.startsWith('--')) ?? 'charts/syncret';
  const readmePath = join(dir, 'README.md');
  const current = readFileSync(readmePath, 'utf8');
  const wanted = renderReadme(current, readFileSync(join(dir, 'values.yaml'), 'utf8'));
  if (current === wanted) return;
  if (check) {
    console.error(`${readmePath} is out of date with values.yaml: run \`make chart-docs\``);
    process.exit(1);
  }
  writeFileSync(readmePath, wanted);
  console.log(`[chart-docs] wrote ${readmePath}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error(`chart-docs: ${(e as Error).message}`);
    process.exit(1);
  }
}
