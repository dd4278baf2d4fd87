// `syncret injector copy DIR`, run in the Syncret image by the init container of an exec-mode
// pod: puts a runnable `syncret` into the shared volume, so the app container (which has no
// Node) can run `syncret agent exec`. The single executable (scripts/build-sea.ts, in the image
// as dist/sea/syncret, or the running program when it is one) is one file, DIR/syncret; the
// Node build copies the Node binary and the program (DIR/node, DIR/app/{dist,node_modules,
// package.json}). Both need the C library and libstdc++ in the app image (distroless/cc and
// base have them; distroless/static does not). Which one is copied is the injector's choice
// (--single-executable), not what happens to be on disk: the app container's command, written
// at admission, must name what the copy put there. docs/DELIVERY.md says which the chart uses.

import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: dist/injector/copy.js lives two levels below it. */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

async function isSingleExecutable(): Promise<boolean> {
  try {
    const sea = (await import('node:sea')) as { isSea(): boolean };
    return sea.isSea();
  } catch {
    return false;
  }
}

/** Where scripts/build-sea.ts puts the single executable, under the package root. */
export const SEA_PATH = join('dist', 'sea', 'syncret');

export class CopyError extends Error {
  override readonly name = 'CopyError';
}

function copyOne(from: string, dir: string): string[] {
  copyFileSync(from, join(dir, 'syncret'));
  chmodSync(join(dir, 'syncret'), 0o555);
  return [join(dir, 'syncret')];
}

/**
 * Copies the program into `dir`: the single executable when `single` (itself if it runs as one,
 * else dist/sea/syncret), else Node and the program. Returns the command prefix that runs it.
 */
export async function copyExecutable(dir: string, root = ROOT, single = false): Promise<string[]> {
  if (single && !(await isSingleExecutable()) && !existsSync(join(root, SEA_PATH)))
    throw new CopyError(`this image has no single executable (${SEA_PATH}; built by make sea)`);
  mkdirSync(dir, { recursive: true });
  if (await isSingleExecutable()) return copyOne(process.execPath, dir);
  if (single) return copyOne(join(root, SEA_PATH), dir);
  copyFileSync(process.execPath, join(dir, 'node'));
  chmodSync(join(dir, 'node'), 0o555);
  for (const part of ['dist', 'node_modules', 'package.json']) {
    const from = join(root, part);
    if (existsSync(from)) cpSync(from, join(dir, 'app', part), { recursive: true, dereference: true });
  }
  return [join(dir, 'node'), join(dir, 'app', 'dist', 'main.js')];
}
