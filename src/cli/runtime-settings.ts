// The operator's Node and allocator settings, owned by the program: however it is started
// (`syncret run`, `npm start`, `node dist/main.js run`, `make run`, the image), `run` gets them.
//
// Why a re-exec and not v8.setFlagsFromString: the young generation's size is read once, when
// V8 sets up the heap, before any JavaScript runs; setting it later changes the flag and not the
// heap (checked on Node 24.21 on 2 cores: new space grew to 128 MiB after setFlagsFromString,
// 4 MiB with the flag on the command line). The allocator's
// MALLOC_ARENA_MAX is read by glibc at process start, also before JavaScript. So `run` replaces
// itself once (process.execve: the same pid, no parent left behind) with the flags and the
// environment below, marked so it does not do it twice.

/**
 * The V8 flags of `run`, each measured in bench/ (docs/PERFORMANCE.md, "Runtime settings"):
 * a 2 MiB young generation; --memory-saver-mode, so the old generation's limit grows less in a
 * burst (peak during a sync of 5,000: 139 against 181 MiB); --expose-gc, so the operator
 * collects once after a burst of work (src/runtime/quiet-gc.ts).
 */
export const V8_FLAGS: readonly string[] = ['--max-semi-space-size=2', '--memory-saver-mode', '--expose-gc'];

/** Environment of `run` for what reads it before JavaScript starts (glibc malloc). */
export const RUNTIME_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };

/**
 * Set by the re-exec (`1`), so it happens once; `off` keeps Node's and glibc's defaults (to
 * measure them, or where a platform sets its own).
 */
export const MARK = 'SYNCRET_RUNTIME_SETTINGS';

/** A flag's name as V8 reads it: `--no-x` and `--x=1` name `--x`, `_` is `-`. */
const flagName = (f: string): string =>
  f
    .split('=')[0]!
    .replace(/_/g, '-')
    .replace(/^--no-/, '--');

/**
 * What `run` must add to be started with its settings: V8 flags neither the command line nor
 * NODE_OPTIONS already names (the user's own value wins, e.g. the chart's `--max-old-space-size`
 * or a larger young generation), and environment variables not set. Empty when nothing is
 * missing or the mark says so.
 */
export function missingSettings(
  execArgv: readonly string[],
  env: NodeJS.ProcessEnv,
): { flags: string[]; env: Record<string, string> } {
  if (env[MARK] === '1' || env[MARK] === 'off') return { flags: [], env: {} };
  const named = new Set(
    [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)].filter(Boolean).map(flagName),
  );
  const flags = V8_FLAGS.filter((f) => !named.has(flagName(f)));
  const extra = Object.fromEntries(Object.entries(RUNTIME_ENV).filter(([k]) => env[k] === undefined));
  return { flags, env: extra };
}

/**
 * Replaces this process with itself plus the missing settings, if any and if the platform can
 * (process.execve: Linux and macOS, not in a worker or a single-executable application). Does
 * not return when it re-executes.
 */
export function applyRuntimeSettings(): void {
  const missing = missingSettings(process.execArgv, process.env);
  if (missing.flags.length === 0 && Object.keys(missing.env).length === 0) return;
  if (typeof process.execve !== 'function' || process.platform === 'win32') return;
  // The user's flags after ours: a later V8 flag wins.
  const args = [process.execPath, ...missing.flags, ...process.execArgv, ...process.argv.slice(1)];
  const env: Record<string, string> = { [MARK]: '1', ...missing.env };
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== MARK) env[k] ??= v;
  process.execve(process.execPath, args, env);
}

/** The settings in effect, for the startup log. */
export function runtimeSettings(): { nodeFlags: string[]; nodeOptions: string; env: Record<string, string> } {
  return {
    nodeFlags: [...process.execArgv],
    nodeOptions: process.env.NODE_OPTIONS ?? '',
    env: Object.fromEntries(Object.keys(RUNTIME_ENV).map((k) => [k, process.env[k] ?? ''])),
  };
}
