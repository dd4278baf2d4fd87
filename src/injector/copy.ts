// `syncret injector copy DIR`, run in the Syncret image by the init container of an exec-mode
// pod: puts a runnable `syncret` into the shared volume, so the app container (which has no
// Node) can run `syncret agent exec`. A single-executable build is one file (DIR/syncret);
// the Node build copies the Node binary and the program (DIR/node, DIR/app/{dist,node_modules,
// package.json}), which needs the C library and libstdc++ in the app image (distroless/cc and
// base do; distroless/static does not). docs/DELIVERY.md says which the chart uses.

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

/** Copies the running program into `dir`; returns the command prefix that runs it from there. */
export async function copyExecutable(dir: string, root = ROOT): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  if (await isSingleExecutable()) {
    copyFileSync(process.execPath, join(dir, 'syncret'));
    chmodSync(join(dir, 'syncret'), 0o555);
    return [join(dir, 'syncret')];
  }
  copyFileSync(process.execPath, join(dir, 'node'));
  chmodSync(join(dir, 'node'), 0o555);
  for (const part of ['dist', 'node_modules', 'package.json']) {
    const from = join(root, part);
    if (existsSync(from)) cpSync(from, join(dir, 'app', part), { recursive: true, dereference: true });
  }
  return [join(dir, 'node'), join(dir, 'app', 'dist', 'main.js')];
}
