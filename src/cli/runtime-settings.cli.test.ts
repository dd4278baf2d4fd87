// The runtime settings in effect when the operator is started as users start it: `node
// dist/main.js run` (what `syncret`, `npm start`, `make run` and the image's entrypoint run).
// dist/ comes from `make build`. The kubeconfig points at a closed port: the operator starts,
// logs its settings and keeps retrying its watches until it is stopped.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { MARK, RUNTIME_ENV, V8_FLAGS, missingSettings } from './runtime-settings.js';

const dir = mkdtempSync(join(tmpdir(), 'syncret-runtime-'));
const kubeconfig = join(dir, 'kubeconfig');
writeFileSync(
  kubeconfig,
  [
    'apiVersion: v1',
    'kind: Config',
    'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]',
    'users: [{name: u, user: {token: not-a-token}}]',
    'contexts: [{name: x, context: {cluster: c, user: u}}]',
    'current-context: x',
  ].join('\n'),
);

interface Started {
  pid: number;
  runtime: { nodeFlags: string[]; nodeOptions: string; env: Record<string, string> };
  cmdline: string[];
  environ: Record<string, string>;
}

/** Starts `node dist/main.js run`, waits for its "syncret started" line, reads /proc, stops it. */
function started(env: NodeJS.ProcessEnv, nodeArgs: string[] = []): Promise<Started> {
  const childEnv = { ...process.env, ...env };
  for (const k of [MARK, 'NODE_OPTIONS', ...Object.keys(RUNTIME_ENV)]) if (!(k in env)) delete childEnv[k];
  const child = spawn(
    process.execPath,
    [...nodeArgs, 'dist/main.js', 'run', '--kubeconfig', kubeconfig, '--metrics-addr', '127.0.0.1:0'],
    { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    let seen = false;
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.includes('"syncret started"'));
      if (!line || seen) return;
      seen = true;
      const pid = child.pid!;
      const proc = (f: string) => readFileSync(`/proc/${pid}/${f}`, 'utf8').split('\0').filter(Boolean);
      const environ = Object.fromEntries(
        proc('environ').map((kv) => [kv.split('=')[0], kv.slice(kv.indexOf('=') + 1)]),
      );
      const cmdline = proc('cmdline');
      child.kill('SIGTERM');
      const { runtime } = JSON.parse(line) as { runtime: Started['runtime'] };
      resolve({ pid, runtime, cmdline, environ });
    });
    child.on('exit', (code) => seen || reject(new Error(`exited ${code} before starting:\n${out}`)));
  });
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runtime settings of `node dist/main.js run`', () => {
  it('re-executes itself once, in the same process, with the V8 flags and the allocator setting', async () => {
    const s = await started({});
    expect(s.runtime.nodeFlags).toEqual(V8_FLAGS);
    expect(s.runtime.env).toEqual(RUNTIME_ENV);
    // What the kernel holds for the pid the parent spawned: the flags on its command line.
    expect(s.cmdline.slice(1, 1 + V8_FLAGS.length)).toEqual(V8_FLAGS);
    expect(s.environ.MALLOC_ARENA_MAX).toBe('2');
    expect(s.environ[MARK]).toBe('1');
  });
  it("keeps the user's own value of a flag (NODE_OPTIONS or the command line) and of the environment", async () => {
    const s = await started({ NODE_OPTIONS: '--max-semi-space-size=8', MALLOC_ARENA_MAX: '4' });
    const others = V8_FLAGS.filter((f) => !f.startsWith('--max-semi-space-size='));
    expect(s.runtime.nodeFlags).toEqual(others);
    expect(s.runtime.nodeOptions).toBe('--max-semi-space-size=8');
    expect(s.runtime.env).toEqual({ MALLOC_ARENA_MAX: '4' });
    const c = await started({}, ['--max-semi-space-size=16']);
    expect(c.runtime.nodeFlags).toEqual([...others, '--max-semi-space-size=16']);
    expect(c.runtime.env).toEqual(RUNTIME_ENV);
  });
  it(`leaves Node's defaults with ${MARK}=off`, async () => {
    const s = await started({ [MARK]: 'off' });
    expect(s.runtime.nodeFlags).toEqual([]);
    expect(s.runtime.env).toEqual({ MALLOC_ARENA_MAX: '' });
  });
});

describe('missingSettings', () => {
  it('adds what neither the command line nor NODE_OPTIONS names', () => {
    expect(missingSettings([], {})).toEqual({ flags: [...V8_FLAGS], env: { ...RUNTIME_ENV } });
    expect(
      missingSettings(['--max_semi_space_size=4', '--no-memory-saver-mode', '--expose_gc'], {
        MALLOC_ARENA_MAX: '8',
      }),
    ).toEqual({
      flags: [],
      env: {},
    });
    expect(
      missingSettings([], {
        NODE_OPTIONS: ' --max-old-space-size=288  --max-semi-space-size=2 --expose-gc --memory-saver-mode ',
      }).flags,
    ).toEqual([]);
    expect(missingSettings([], { NODE_OPTIONS: '--max-old-space-size=288' }).flags).toEqual([...V8_FLAGS]);
  });
  it('adds nothing once applied or when turned off', () => {
    expect(missingSettings([], { [MARK]: '1' })).toEqual({ flags: [], env: {} });
    expect(missingSettings([], { [MARK]: 'off' })).toEqual({ flags: [], env: {} });
  });
});
