// Runs the Dockerfile's stages without a Docker engine, to prove its build and run steps: every
// stage gets a fresh folder standing for its root filesystem; WORKDIR, COPY (from the build
// context filtered by .dockerignore, or --from another stage), ENV and RUN are carried out there,
// RUN with the host's Node 24 and npm standing in for the build image's. Then the final stage's
// ENTRYPOINT runs with `--version` and `--help` (no shell: exec form, the distroless Node mapped
// to this Node), its HEALTHCHECK is tried against a stub /healthz, the single executable
// (dist/sea/syncret) is copied out as the injector's init container does and run with no Node,
// and the size of what the final stage copies is reported.
//
// Usage: node e2e/tools/packaging/dockerfile.ts [--keep] CONTEXT_DIR [WORK_DIR]

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';

export interface Instruction {
  op: string;
  args: string;
  line: number;
}

/** Instructions with continuation lines joined, comments and parser directives dropped. */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let buf = '';
  let start = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trimEnd();
    if (buf === '' && (line.trim() === '' || line.trimStart().startsWith('#'))) return;
    if (buf !== '' && line.trimStart().startsWith('#')) return;
    if (buf === '') start = i + 1;
    if (line.endsWith('\\')) {
      buf += `${line.slice(0, -1)} `;
      return;
    }
    buf += line;
    const m = /^\s*(\w+)\s+(.*)$/s.exec(buf);
    if (!m || !m[1] || m[2] === undefined) throw new Error(`Dockerfile:${start}: cannot parse "${buf}"`);
    out.push({ op: m[1].toUpperCase(), args: m[2].trim(), line: start });
    buf = '';
  });
  return out;
}

function substitute(s: string, vars: Record<string, string>): string {
  return s.replace(
    /\$\{(\w+)\}|\$(\w+)/g,
    (_, a: string | undefined, b: string | undefined) => vars[a ?? b ?? ''] ?? '',
  );
}

/** Exec form (JSON array) or shell form. */
function argv(args: string): { exec: string[] } | { shell: string } {
  if (args.startsWith('[')) return { exec: JSON.parse(args) as string[] };
  return { shell: args };
}

// ---- .dockerignore: last matching pattern wins; a pattern matching a directory covers its tree.

function globRegex(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? '';
    if (c === '*' && pattern[i + 1] === '*') {
      re += '.*';
      i++;
      if (pattern[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const p = posix.normalize((negate ? l.slice(1) : l).replace(/^\/+/, '')).replace(/\/+$/, '');
      return { negate, re: globRegex(p) };
    });
  return (path: string) => {
    const parts = path.split('/');
    let excluded = false;
    for (const r of rules) {
      for (let n = 1; n <= parts.length; n++)
        if (r.re.test(parts.slice(0, n).join('/'))) {
          excluded = !r.negate;
          break;
        }
    }
    return excluded;
  };
}

/** The build context's files (relative paths) that .dockerignore lets through. */
export function contextFiles(dir: string): string[] {
  const ignoreFile = join(dir, '.dockerignore');
  const ignored = existsSync(ignoreFile) ? dockerignore(readFileSync(ignoreFile, 'utf8')) : () => false;
  const negations = existsSync(ignoreFile)
    ? readFileSync(ignoreFile, 'utf8')
        .split('\n')
        .filter((l) => l.trim().startsWith('!'))
        .map((l) => l.trim().slice(1).replace(/^\/+/, ''))
    : [];
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel))) {
      const p = rel ? `${rel}/${name}` : name;
      const st = statSync(join(dir, p));
      if (st.isDirectory()) {
        // Prune excluded trees nothing re-includes (node_modules, .git): walking them is slow.
        if (ignored(p) && !negations.some((n) => n.startsWith(`${p}/`) || n === p || n.startsWith('*')))
          continue;
        walk(p);
      } else if (!ignored(p)) out.push(p);
    }
  };
  walk('');
  return out;
}

function duBytes(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((n, f) => n + duBytes(join(path, f)), 0);
}

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
const log = (msg: string) => console.log(`[image] ${msg}`);

export interface FinalStage {
  root: string;
  env: Record<string, string>;
  user: string;
  entrypoint: string[];
  cmd: string[];
  healthcheck: string[] | undefined;
  from: string;
}

/** Carries out every stage; returns the final one. */
export function build(context: string, work: string): FinalStage {
  const files = contextFiles(context);
  const instructions = parseDockerfile(readFileSync(join(context, 'Dockerfile'), 'utf8'));
  const args: Record<string, string> = {};
  const stages = new Map<string, string>();
  let stage: (FinalStage & { name: string; workdir: string }) | undefined;
  let index = 0;
  const host = (p: string) => join(stage?.root ?? '', p);
  for (const ins of instructions) {
    const where = `Dockerfile:${ins.line}`;
    const vars = { ...args, ...(stage?.env ?? {}) };
    switch (ins.op) {
      case 'ARG': {
        const [k, v] = ins.args.split('=', 2);
        if (k && !(k in args)) args[k] = v ?? '';
        break;
      }
      case 'FROM': {
        const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(substitute(ins.args, args));
        if (!m?.[1]) throw new Error(`${where}: FROM ${ins.args}`);
        const name = m[2] ?? String(index);
        const root = join(work, `stage-${index++}-${name}`);
        mkdirSync(root, { recursive: true });
        stages.set(name, root);
        stage = {
          name,
          root,
          workdir: '/',
          env: {},
          user: 'root',
          entrypoint: [],
          cmd: [],
          healthcheck: undefined,
          from: m[1],
        };
        log(`stage ${name} (FROM ${m[1]})`);
        break;
      }
      case 'WORKDIR':
        if (!stage) throw new Error(`${where}: WORKDIR before FROM`);
        stage.workdir = posix.resolve(stage.workdir, substitute(ins.args, vars));
        mkdirSync(host(stage.workdir), { recursive: true });
        break;
      case 'ENV': {
        if (!stage) throw new Error(`${where}: ENV before FROM`);
        for (const m of ins.args.matchAll(/(\w+)=("[^"]*"|\S+)/g))
          if (m[1] && m[2]) stage.env[m[1]] = substitute(m[2].replace(/^"|"$/g, ''), vars);
        break;
      }
      case 'COPY': {
        if (!stage) throw new Error(`${where}: COPY before FROM`);
        const words = ins.args.split(/\s+/);
        const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
        const paths = words.filter((w) => !w.startsWith('--'));
        const dest = paths.pop() ?? '';
        const destPath = posix.resolve(stage.workdir, dest);
        const intoDir = dest.endsWith('/') || paths.length > 1;
        for (const src of paths) {
          let srcHost: string;
          if (from !== undefined) {
            const root = stages.get(from);
            if (!root) throw new Error(`${where}: no stage ${from}`);
            srcHost = join(root, src);
          } else {
            const rel = posix
              .normalize(src)
              .replace(/^\.\/?/, '')
              .replace(/\/$/, '');
            const picked = files.filter((f) => f === rel || f.startsWith(`${rel}/`));
            if (picked.length === 0) throw new Error(`${where}: COPY ${src}: not in the build context`);
            const isFile = picked.length === 1 && picked[0] === rel;
            for (const f of picked) {
              const target = isFile
                ? intoDir
                  ? posix.join(destPath, posix.basename(f))
                  : destPath
                : posix.join(destPath, f.slice(rel.length + 1));
              mkdirSync(dirname(host(target)), { recursive: true });
              cpSync(join(context, f), host(target));
            }
            continue;
          }
          if (!existsSync(srcHost)) throw new Error(`${where}: COPY --from=${from} ${src}: missing`);
          // A directory's contents go into dest, as Docker does.
          const target =
            statSync(srcHost).isDirectory() || !intoDir
              ? destPath
              : posix.join(destPath, posix.basename(src));
          mkdirSync(dirname(host(target)), { recursive: true });
          cpSync(srcHost, host(target), { recursive: true, verbatimSymlinks: true });
        }
        break;
      }
      case 'RUN': {
        if (!stage) throw new Error(`${where}: RUN before FROM`);
        const a = argv(ins.args);
        const cmd = 'shell' in a ? ['bash', '-euo', 'pipefail', '-c', a.shell] : a.exec;
        const t0 = Date.now();
        log(`RUN ${'shell' in a ? a.shell : a.exec.join(' ')}`);
        const r = spawnSync(cmd[0] ?? '', cmd.slice(1), {
          cwd: host(stage.workdir),
          env: { ...process.env, ...stage.env },
          stdio: 'inherit',
        });
        if (r.status !== 0) throw new Error(`${where}: RUN failed (exit ${r.status})`);
        log(`  done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        break;
      }
      case 'USER':
        if (stage) stage.user = ins.args;
        break;
      case 'ENTRYPOINT':
      case 'CMD': {
        if (!stage) throw new Error(`${where}: ${ins.op} before FROM`);
        const a = argv(ins.args);
        if (!('exec' in a))
          throw new Error(`${where}: ${ins.op} must use the exec form (the image has no shell)`);
        if (ins.op === 'ENTRYPOINT') stage.entrypoint = a.exec;
        else stage.cmd = a.exec;
        break;
      }
      case 'HEALTHCHECK': {
        if (!stage) throw new Error(`${where}: HEALTHCHECK before FROM`);
        const m = /\bCMD\s+(\[.*\])\s*$/s.exec(ins.args);
        if (!m?.[1])
          throw new Error(`${where}: HEALTHCHECK must use CMD in exec form (the image has no shell)`);
        stage.healthcheck = JSON.parse(m[1]) as string[];
        break;
      }
      case 'EXPOSE':
      case 'LABEL':
        break;
      default:
        throw new Error(`${where}: ${ins.op} is not supported by this checker`);
    }
  }
  if (!stage) throw new Error('Dockerfile has no stage');
  return stage;
}

/** The image's paths on this machine: its Node is ours, the rest lives under the stage root. */
function mapped(final: FinalStage, cmd: string[]): string[] {
  return cmd.map((a, i) =>
    i === 0 && a.endsWith('/bin/node') ? process.execPath : a.startsWith('/') ? join(final.root, a) : a,
  );
}

function runFinal(final: FinalStage, extra: string[], env: Record<string, string> = {}): string {
  const cmd = mapped(final, [...final.entrypoint, ...extra]);
  // No PATH, no shell: what distroless offers.
  return execFileSync(cmd[0] ?? '', cmd.slice(1), {
    cwd: join(final.root, 'app'),
    env: { ...final.env, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

async function healthcheck(final: FinalStage): Promise<void> {
  const hc = final.healthcheck;
  if (!hc) throw new Error('the final stage has no HEALTHCHECK');
  // Asynchronous: the stub server answers from this process's event loop.
  const probe = (port: number) =>
    new Promise<number | null>((resolve) => {
      const cmd = mapped(final, hc);
      const child = spawn(cmd[0] ?? '', cmd.slice(1), {
        env: { ...final.env, SYNCRET_METRICS_ADDR: `127.0.0.1:${port}` },
        stdio: 'ignore',
        timeout: 15_000,
      });
      child.on('exit', (code) => resolve(code));
    });
  let status = 200;
  const server = createServer((req, res) => {
    res.statusCode = req.url === '/healthz' ? status : 404;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    if ((await probe(port)) !== 0) throw new Error('HEALTHCHECK failed against a healthy /healthz');
    status = 500;
    if ((await probe(port)) !== 1) throw new Error('HEALTHCHECK passed against a failing /healthz');
  } finally {
    await new Promise((r) => server.close(r));
  }
  if ((await probe(port)) !== 1) throw new Error('HEALTHCHECK passed with nothing listening');
  log('HEALTHCHECK: 0 on a healthy /healthz, 1 on HTTP 500 and on a closed port');
}

/** Where src/injector/copy.ts (SEA_PATH) looks for the single executable, under /app. */
const SEA = 'dist/sea/syncret';

/**
 * The single executable: present, executable by anyone (the pod runs as 65532, the file is
 * root's), alone in dist/sea (no cache key or work files of build-sea.ts), and self-contained:
 * copied out by `injector copy --single-executable` through the ENTRYPOINT, as the exec-mode
 * init container does, it prints the version with an empty environment (no PATH, so no Node to
 * fall back on) from a folder with no node_modules above it. Returns its size.
 */
function singleExecutable(final: FinalStage, version: string): number {
  const file = join(final.root, 'app', SEA);
  if (!existsSync(file)) throw new Error(`the final stage has no /app/${SEA}`);
  const st = statSync(file);
  if (!st.isFile() || (st.mode & 0o111) !== 0o111)
    throw new Error(`/app/${SEA} is not executable by everyone (mode ${(st.mode & 0o777).toString(8)})`);
  const extra = readdirSync(dirname(file)).filter((f) => f !== 'syncret');
  if (extra.length > 0) throw new Error(`/app/dist/sea holds build byproducts: ${extra.join(', ')}`);

  // The init container's volume, /syncret: beside /app, so no node_modules above the copy.
  const volume = join(final.root, 'syncret');
  mkdirSync(volume);
  runFinal(final, ['injector', 'copy', '--single-executable', '/syncret']);
  const exe = join(volume, 'syncret');
  if (readdirSync(volume).join() !== 'syncret') throw new Error('injector copy left more than one file');
  if (statSync(exe).size !== st.size) throw new Error('the copied executable differs in size');
  accessSync(exe, constants.X_OK);
  const t0 = Date.now();
  const out = execFileSync(exe, ['--version'], { cwd: volume, env: {}, encoding: 'utf8', timeout: 30_000 });
  if (out.trim() !== `syncret ${version}`)
    throw new Error(`${SEA} --version printed "${out.trim()}", want "syncret ${version}"`);
  log(
    `${SEA}: ${mib(st.size)}, mode ${(st.mode & 0o777).toString(8)}; copied by \`injector copy ` +
      `--single-executable\`, it printed "${out.trim()}" with no PATH and no node_modules in ` +
      `${Date.now() - t0} ms`,
  );
  return st.size;
}

async function main(argv: string[]): Promise<void> {
  const keep = argv.includes('--keep');
  const [context = '.', workArg] = argv.filter((a) => !a.startsWith('--'));
  const work = workArg ?? mkdtempSync(join(tmpdir(), 'syncret-image-'));
  const t0 = Date.now();
  try {
    const final = build(context, work);
    const version = (JSON.parse(readFileSync(join(context, 'package.json'), 'utf8')) as { version: string })
      .version;

    if (final.env.NODE_ENV !== 'production')
      throw new Error('the final stage does not set NODE_ENV=production');
    if (!/^(65532|nonroot)(:|$)/.test(final.user))
      throw new Error(`the final stage runs as ${final.user}, not 65532`);
    const out = runFinal(final, ['--version']).trim();
    if (out !== `syncret ${version}`)
      throw new Error(`--version printed "${out}", want "syncret ${version}"`);
    log(`ENTRYPOINT --version: ${out}`);
    const help = runFinal(final, ['--help']);
    if (!help.includes('syncret run [flags]')) throw new Error('--help did not print the usage');
    log(`ENTRYPOINT --help: ${help.split('\n').length} lines of usage`);
    if (final.cmd.join(' ') !== 'run') throw new Error(`CMD is ${JSON.stringify(final.cmd)}, want ["run"]`);
    await healthcheck(final);

    // Every production dependency still loads after the pruning (main.js may not import all yet).
    const deps = Object.keys(
      (JSON.parse(readFileSync(join(context, 'package.json'), 'utf8')) as { dependencies?: object })
        .dependencies ?? {},
    );
    execFileSync(
      process.execPath,
      ['--input-type=module', '-e', `for (const d of ${JSON.stringify(deps)}) await import(d);`],
      { cwd: join(final.root, 'app'), env: { ...final.env }, stdio: 'inherit', timeout: 60_000 },
    );
    log(`all ${deps.length} production dependencies load`);

    // Production dependencies only, compiled code only.
    const nm = join(final.root, 'app/node_modules');
    for (const dev of ['typescript', 'jest', '@swc/core', 'eslint', 'prettier'])
      if (existsSync(join(nm, dev))) throw new Error(`dev dependency ${dev} in the final stage`);
    const ts = readdirSync(join(final.root, 'app/dist'), { recursive: true }).filter(
      (f) => typeof f === 'string' && f.endsWith('.ts') && !f.endsWith('.d.ts'),
    );
    if (ts.length > 0) throw new Error(`TypeScript sources in dist/: ${ts.slice(0, 3).join(', ')}`);

    const sea = singleExecutable(final, version);

    const sizes = ['node_modules', 'dist', 'package.json'].map(
      (p) => [p, duBytes(join(final.root, 'app', p))] as const,
    );
    const total = sizes.reduce((n, [, b]) => n + b, 0);
    log(
      `the final stage copies ${mib(total)} onto ${final.from}: ` +
        sizes
          .map(([p, b]) => (p === 'dist' ? `dist ${mib(b)} (${SEA} ${mib(sea)})` : `${p} ${mib(b)}`))
          .join(', '),
    );
    log(`all steps passed in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  } finally {
    if (!keep) rmSync(work, { recursive: true, force: true });
    else log(`stages kept in ${work}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`)
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(`[image] FAIL: ${(e as Error).message}`);
    process.exit(1);
  });
