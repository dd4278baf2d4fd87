// The shape of the source tree, checked: layers import only downwards, no module imports
// itself through others, and files stay small enough to read. docs/ARCHITECTURE.md explains
// the layers; change both together.

import { describe, expect, it } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('.', import.meta.url));

/**
 * Bottom to top: a unit may import from units listed before it (and from itself). A unit is a
 * folder of src/, or a sub-folder where a folder holds two layers (runtime/time is below
 * everything; controller/store is below the kinds that read stores). regexp (the engine of
 * user patterns) sits below providers, the lowest layer that takes patterns from users. net
 * (the parts of undici Syncret loads) sits below kube and providers, which both send HTTP.
 * agent (templates, leases and files for workloads: the agent, fetch, the library) needs only
 * providers and secrets, so it sits below the operator's runtime and controllers. lib (the
 * `openStore` API for applications) sits on agent's context and leases, below the operator too.
 * injector (the
 * Pod webhook) builds agent configurations and resolves the stores pods name with their tenancy
 * rules, so it sits above agent and controller/store, below the kinds.
 */
const LAYERS = [
  'api',
  'runtime/time',
  'regexp',
  'net',
  'config',
  'kube',
  'observability',
  'providers',
  'secrets',
  'agent',
  'lib',
  'runtime',
  'controller/reasons.ts',
  'controller/store',
  'injector',
  'controller/generator',
  'controller/externalsecret',
  'controller',
  'cli',
  'main.ts',
] as const;

/** Files may be this long; the Go template parser mirrors Go's and stays whole. */
const MAX_LINES = 600;
const LONG_FILES_ALLOWED = new Set(['secrets/template/parse.ts']);

function sources(dir = SRC): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (e.name.endsWith('.ts')) out.push(relative(SRC, p));
  }
  return out;
}

const isTest = (f: string) => f.endsWith('.test.ts') || f.includes('/testing/');

/** Relative imports of a file (static, dynamic and re-exports; type-only imports count too). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(SRC, file), 'utf8');
  const specs = [
    ...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+['"](\.[^'"]+)['"]/gms),
    ...text.matchAll(/import\(\s*['"](\.[^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]!);
  return specs.map((s) => normalize(join(dirname(file), s.replace(/\.js$/, '.ts'))));
}

function unitOf(file: string): string {
  let best = '';
  for (const l of LAYERS) if ((file === l || file.startsWith(`${l}/`)) && l.length > best.length) best = l;
  return best || file;
}

const files = sources();
const graph = new Map(files.filter((f) => !isTest(f)).map((f) => [f, importsOf(f)]));

describe('source tree', () => {
  it('places every file in a layer', () => {
    const stray = [...graph.keys()].filter((f) => !LAYERS.includes(unitOf(f) as (typeof LAYERS)[number]));
    expect(stray.filter((f) => f !== 'version.ts')).toEqual([]);
  });

  it('imports only from lower layers', () => {
    const rank = (f: string) =>
      f === 'version.ts' ? -1 : LAYERS.indexOf(unitOf(f) as (typeof LAYERS)[number]);
    const upward: string[] = [];
    for (const [f, deps] of graph)
      for (const d of deps) if (rank(d) > rank(f)) upward.push(`${f} imports ${d}`);
    expect(upward).toEqual([]);
  });

  it('has no import cycle', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const path: string[] = [];
    const visit = (f: string) => {
      state.set(f, 'open');
      path.push(f);
      for (const d of graph.get(f) ?? []) {
        if (!graph.has(d)) continue;
        if (state.get(d) === 'open') cycles.push([...path.slice(path.indexOf(d)), d].join(' → '));
        else if (!state.has(d)) visit(d);
      }
      path.pop();
      state.set(f, 'done');
    };
    for (const f of graph.keys()) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });

  it(`keeps source files under ${MAX_LINES} lines`, () => {
    const long = files
      .filter((f) => !isTest(f) && !LONG_FILES_ALLOWED.has(f))
      .map((f) => [f, readFileSync(join(SRC, f), 'utf8').split('\n').length] as const)
      .filter(([, n]) => n > MAX_LINES);
    expect(long).toEqual([]);
  });

  it('imports every module of src/ by a path that exists', () => {
    const all = new Set(files);
    const missing: string[] = [];
    for (const f of files)
      for (const d of importsOf(f)) if (!d.startsWith('..') && !all.has(d)) missing.push(`${f} imports ${d}`);
    expect(missing).toEqual([]);
  });

  it('keeps operator code out of the library (lib/index.ts and what it imports, also lazily)', () => {
    const seen = new Set<string>();
    const visit = (f: string): void => {
      if (seen.has(f) || !graph.has(f)) return;
      seen.add(f);
      for (const d of graph.get(f)!) visit(d);
    };
    visit('lib/index.ts');
    // config/duration.ts is the Go duration parser; the rest of config/ is the operator's settings.
    const operator =
      /^(kube|observability|controller|cli)\/|^config\/(?!duration\.ts$)|^runtime\/(?!time\/)|^main\.ts$/;
    expect([...seen].filter((f) => operator.test(f))).toEqual([]);
    expect(seen.has('providers/vault/client.ts')).toBe(true);
  });
});
