// Files the agent writes: each one whole or not at all. A file is written to a temporary name
// in its own directory (created with its final mode, so it is never readable by more than it
// should be), flushed, then renamed over the old one: a reader sees the old or the new
// content, never a part. A set of files (init) is staged first and renamed only when every
// file was staged, so a failure leaves no new file behind.

import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

export interface FileOutput {
  path: string;
  content: string;
  /** e.g. 0o440. */
  mode: number;
}

export class FileWriteError extends Error {
  override readonly name = 'FileWriteError';
}

/** Parses "0400", "440", "0o440"; undefined for anything else. */
export function parseMode(s: string | undefined): number | undefined {
  if (s === undefined || s === '') return undefined;
  const m = /^(?:0o?)?([0-7]{3,4})$/.exec(s.trim());
  return m ? parseInt(m[1]!, 8) : undefined;
}

function stage(f: FileOutput): string {
  const dir = dirname(f.path);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
  } catch (e) {
    throw new FileWriteError(`cannot create ${dir}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const tmp = join(dir, `.${basename(f.path)}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    // wx: never follow or reuse what another process put there.
    fd = openSync(tmp, 'wx', f.mode);
    writeSync(fd, f.content);
    fsyncSync(fd);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new FileWriteError(`cannot write ${f.path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return tmp;
}

/** Writes every file, or none of them (as far as rename allows: each rename is atomic). */
export function writeAll(files: FileOutput[]): void {
  const staged: [string, string][] = [];
  try {
    for (const f of files) staged.push([stage(f), f.path]);
  } catch (e) {
    for (const [tmp] of staged) rmSync(tmp, { force: true });
    throw e;
  }
  for (const [i, [tmp, path]] of staged.entries()) {
    try {
      renameSync(tmp, path);
    } catch (e) {
      for (const [t] of staged.slice(i)) rmSync(t, { force: true });
      throw new FileWriteError(`cannot replace ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
}

/** One file, atomically. */
export function writeAtomic(f: FileOutput): void {
  writeAll([f]);
}
