// Random structure mutations of a valid manifest's spec: a field removed, replaced by any JSON
// value or a hostile string, a key added, an array element duplicated, a value wrapped in an
// array or an object, a number turned into a string and back.

import { FIELD_NAMES, hostileString, randomValue } from './hostile.js';
import type { Rng } from './rng.js';

type Path = (string | number)[];
type Container = Record<string, unknown> | unknown[];

function isContainer(v: unknown): v is Container {
  return typeof v === 'object' && v !== null;
}

function paths(v: unknown, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (isContainer(v)) for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  return out;
}

function get(root: unknown, path: Path): unknown {
  let v = root;
  for (const p of path) v = isContainer(v) ? (v as Record<string | number, unknown>)[p] : undefined;
  return v;
}

function set(root: Container, path: Path, value: unknown): void {
  const parent = get(root, path.slice(0, -1));
  const last = path[path.length - 1];
  if (!isContainer(parent) || last === undefined) return;
  (parent as Record<string | number, unknown>)[last] = value;
}

function remove(root: Container, path: Path): void {
  const parent = get(root, path.slice(0, -1));
  const last = path[path.length - 1];
  if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
  else if (isContainer(parent) && typeof last === 'string') delete (parent as Record<string, unknown>)[last];
}

function wrap(rng: Rng, v: unknown): unknown {
  return rng.weighted<() => unknown>([
    [() => [v], 2],
    [() => ({ [rng.pick(FIELD_NAMES)]: v }), 2],
    [
      () =>
        typeof v === 'string'
          ? Number.isNaN(Number(v))
            ? v.length
            : Number(v)
          : (JSON.stringify(v) ?? 'null'),
      2,
    ],
    [() => (typeof v === 'number' ? String(v) : v === null ? false : null), 1],
  ])();
}

/** Applies 1 to `max` random mutations to `spec` (a deep copy; the argument stays as it is). */
export function mutateSpec(rng: Rng, spec: Record<string, unknown>, max = 4): Record<string, unknown> {
  const root = { spec: structuredClone(spec) } as Record<string, unknown>;
  const n = rng.range(1, max);
  for (let i = 0; i < n; i++) {
    const all = paths(root.spec, ['spec']);
    const path = rng.pick(all);
    const here = get(root, path);
    const op = rng.weighted<string>([
      ['delete', 3],
      ['replace', 3],
      ['hostile', 3],
      ['insert', 2],
      ['duplicate', 1],
      ['wrap', 2],
    ]);
    if (path.length === 1 && op !== 'insert') continue; // the spec itself stays an object
    switch (op) {
      case 'delete':
        remove(root, path);
        break;
      case 'replace':
        set(root, path, randomValue(rng));
        break;
      case 'hostile':
        set(root, path, hostileString(rng));
        break;
      case 'insert':
        if (Array.isArray(here)) here.push(randomValue(rng));
        else if (isContainer(here))
          (here as Record<string, unknown>)[rng.pick(FIELD_NAMES)] = randomValue(rng);
        else set(root, path, wrap(rng, here));
        break;
      case 'duplicate':
        if (Array.isArray(here) && here.length > 0) here.push(structuredClone(rng.pick(here)));
        else set(root, path, [here, here]);
        break;
      case 'wrap':
        set(root, path, wrap(rng, here));
        break;
    }
  }
  const out = root.spec;
  return isContainer(out) && !Array.isArray(out) ? out : {};
}
