// Builds the self-contained `syncret` executable (a Node single-executable application) that
// the injector's exec mode copies into a pod, so app images need no Node and no node_modules.
//
//   1. esbuild bundles dist/main.js (ESM, lazy `import()` of the cloud SDKs) and its
//      dependencies into one CommonJS file: Node 24's SEA runs a single CommonJS script.
//   2. `node --experimental-sea-config` turns it into a blob, with V8's code cache of the script
//      (measured on this loaded machine: `agent exec` to /usr/bin/true 0.3-0.65 s against
//      0.8-1.2 s without it, and 0.6-0.8 s for `node dist/main.js`); postject injects the blob
//      into a copy of the running Node binary, whose exact version the code cache needs.
//
// Two kinds of places in dist/ resolve files next to themselves, which a SEA does not have: the
// version (read from package.json) is written into the bundle, and what dist/ loads on first
// use with createRequire (bcryptjs, node-forge, re2js, undici's parts) is bundled instead of
// required at run time. The build fails if a pattern moved, so the executable never silently reports 0.0.0
// or misses a module.
//
// The result is dist/sea/syncret with dist/sea/syncret.key, a hash of the bundle, this script,
// the Node version and the package version: a rebuild with nothing changed only bundles (a few
// seconds) and keeps the executable. One executable is kept (about 134 MiB), not one per source.
//
// Usage: node --experimental-strip-types scripts/build-sea.ts   (after `npm run build`)

import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { build, type Plugin } from 'esbuild';

const OUT_DIR = resolve('dist/sea');
const OUT = join(OUT_DIR, 'syncret');
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const VERSION = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

/** Rewrites files of dist/ in the bundle (every occurrence); fails the build if `from` is not in one. */
function rewrite(files: string[], from: string, to: string): Plugin['setup'] {
  const paths = new Set(files.map((f) => resolve(f)));
  return (b) => {
    b.onLoad({ filter: /\.js$/ }, (args) => {
      if (!paths.has(args.path)) return undefined;
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes(from))
        throw new Error(`${args.path} no longer contains ${from}: update build-sea.ts`);
      return { contents: text.replaceAll(from, to), loader: 'js', resolveDir: resolve(args.path, '..') };
    });
  };
}

/**
 * The files that load a package on first use with createRequire (bcryptjs, node-forge, re2js,
 * yaml, undici's parts, node:http): in the bundle a plain require(), which esbuild follows.
 */
const LAZY_REQUIRES = [
  'dist/secrets/template/crypto.js',
  'dist/secrets/template/pkcs12.js',
  'dist/regexp/engine.js',
  'dist/net/undici.js',
  'dist/observability/server.js',
  'dist/secrets/yaml.js',
  'dist/kube/kubeconfig.js',
];

const seaPlugin: Plugin = {
  name: 'syncret-sea',
  setup(b) {
    rewrite(
      ['dist/version.js'],
      'export const VERSION = readVersion();',
      `export const VERSION = ${JSON.stringify(VERSION)};`,
    )(b);
    rewrite(LAZY_REQUIRES, 'createRequire(import.meta.url)(', 'require(')(b);
    // A file that loads on first use but is not in the list would miss its module only in the SEA.
    const listed = new Set(LAZY_REQUIRES.map((f) => resolve(f)));
    const dist = resolve('dist') + '/';
    b.onLoad({ filter: /\.js$/ }, (args) => {
      if (!args.path.startsWith(dist) || listed.has(args.path)) return undefined;
      if (readFileSync(args.path, 'utf8').includes('createRequire(import.meta.url)('))
        throw new Error(`${args.path} loads a module with createRequire: add it to LAZY_REQUIRES`);
      return undefined;
    });
  },
};

async function bundle(file: string): Promise<void> {
  await build({
    entryPoints: ['dist/main.js'],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    outfile: file,
    plugins: [seaPlugin],
    // copy.ts resolves the package root from its own URL only outside a SEA; give it a URL.
    define: { 'import.meta.url': '__syncret_url' },
    banner: { js: 'var __syncret_url = require("node:url").pathToFileURL(__filename).href;' },
    logLevel: 'warning',
    legalComments: 'none',
  });
}

async function main(): Promise<void> {
  const work = join(OUT_DIR, 'work');
  mkdirSync(work, { recursive: true });
  const script = join(work, 'main.cjs');
  await bundle(script);
  const key = createHash('sha256')
    .update(readFileSync(script))
    // This file too: a change of how the blob is made (code cache, fuse) must rebuild.
    .update(readFileSync(new URL(import.meta.url)))
    .update(`${process.version}\0${VERSION}`)
    .digest('hex')
    .slice(0, 16);
  const stamp = `${OUT}.key`;
  if (existsSync(OUT) && existsSync(stamp) && readFileSync(stamp, 'utf8') === key) {
    console.log(`[sea] ${OUT} is up to date`);
    return;
  }
  const blob = join(work, 'sea.blob');
  const config = join(work, 'sea-config.json');
  writeFileSync(
    config,
    JSON.stringify({ main: script, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true }),
  );
  execFileSync(process.execPath, ['--experimental-sea-config', config], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exe = join(work, 'syncret');
  copyFileSync(process.execPath, exe);
  chmodSync(exe, 0o755);
  // postject's ELF library warns about unnamed .note sections of Node's binary: noise, kept out
  // of the output (a failure still throws with it).
  execFileSync(
    process.execPath,
    [resolve('node_modules/postject/dist/cli.js'), exe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', FUSE],
    { stdio: 'pipe' },
  );
  chmodSync(exe, 0o555);
  renameSync(exe, OUT);
  writeFileSync(stamp, key);
  console.log(`[sea] ${OUT} (syncret ${VERSION}, Node ${process.version})`);
}

await main();
