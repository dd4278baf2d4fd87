// Commands the agent runs: the per-file command of sidecar mode (agent-inject-command-<name>)
// and the application of exec mode. No shell is involved (distroless images have none): the
// text is split into words as a POSIX shell would (single and double quotes, backslash), with
// no expansion. A command that needs a shell says so: `sh -c '...'`.

import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export class CommandError extends Error {
  override readonly name = 'CommandError';
}

/** Splits a command line into words. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else cur += c;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1]!)) cur += text[++i];
      else cur += c;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      cur += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw new CommandError('the command has an unterminated quote');
  if (inWord) words.push(cur);
  return words;
}

/** The executable for `name`: a path as it is, else the first match on PATH. */
export function resolveExecutable(name: string, path = process.env.PATH ?? ''): string {
  if (name.includes('/')) return name;
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new CommandError(`command "${name}" not found on PATH`);
}

/** Runs a command to its end (bounded); resolves with its exit code, or -1 when it could not start. */
export function runCommand(words: string[], timeoutMs: number): Promise<{ code: number; signal?: string }> {
  return new Promise((resolve) => {
    const child = spawn(words[0]!, words.slice(1), { stdio: ['ignore', 'inherit', 'inherit'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', () => {
      clearTimeout(timer);
      resolve({ code: -1 });
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, signal: signal ?? undefined });
    });
  });
}
