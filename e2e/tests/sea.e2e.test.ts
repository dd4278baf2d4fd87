// The self-contained `syncret` executable (Node single-executable application, built by
// scripts/build-sea.ts): `injector copy --single-executable` (the init container of an injector
// run with --single-executable) puts one file into the volume, and that
// file runs where the app image of exec mode runs it: no node on PATH, no node_modules, no
// dist/ or package.json anywhere near. It prints its version, and `agent exec` renders the
// environment (from a fake store, and from OpenBao logged in with kubernetes auth) and replaces
// itself with /usr/bin/env, whose output is the proof.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MAIN,
  expectValue,
  finished,
  projectToken,
  run,
  setUpVault,
  tearDownVault,
} from '../lib/delivery.js';
import type { VaultSetup } from '../lib/delivery.js';
import { apply, newNamespace } from '../lib/kube.js';
import { assertNoSecretLeaks } from '../lib/leaks.js';
import { ROOT } from '../lib/paths.js';
import { serverVar } from '../lib/servers.js';
import { finishSuite } from '../lib/suite.js';
import { secretValue } from '../lib/values.js';
import { kv2Put, suffix } from '../lib/vault.js';

const SEA = join(ROOT, 'dist', 'sea', 'syncret');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const sfx = suffix();
let dir: string;
/** The shared volume of the pod: what `injector copy` put there. */
let volume: string;
/** PATH of the app container: a directory with nothing in it, so no node. */
let emptyPath: string;
let ns: string;
let v: VaultSetup;
const password = secretValue('sea-password');
const fakeValue = secretValue('sea-fake');

/** Runs the copied executable in an empty directory with nothing on PATH; stdout to a file. */
async function runCopied(name: string, args: string[], env: Record<string, string> = {}) {
  const cwd = mkdtempSync(join(dir, `${name}-`));
  const out = join(dir, `${name}.out`);
  const p = run(name, join(volume, 'syncret'), args, { cwd, env: { PATH: emptyPath, ...env } }, out);
  const { code } = await finished(p);
  return { code, stdout: readFileSync(out, 'utf8'), log: p.log(), pid: p.pid };
}

beforeAll(async () => {
  // Cached: a rebuild with dist/ unchanged only bundles again.
  execFileSync(process.execPath, ['--experimental-strip-types', 'scripts/build-sea.ts'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 170_000,
  });
  dir = mkdtempSync(join(tmpdir(), 'e2e-sea-'));
  emptyPath = mkdtempSync(join(dir, 'path-'));
  volume = join(dir, 'volume');
  // The syncret-copy init container of an injector run with --single-executable, in the image.
  const copy = run('sea-copy', process.execPath, [MAIN, 'injector', 'copy', '--single-executable', volume]);
  expect((await finished(copy)).code).toBe(0);
  ns = newNamespace('e2e-sea');
  apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'app', namespace: ns } });
  v = await setUpVault(sfx, ns, 'app');
  await kv2Put(v.kvMount, 'app', { password });
  projectToken(ns, 'app', join(dir, 'token'));
}, 180_000);

afterAll(async () => {
  if (v) await tearDownVault(v);
  await finishSuite();
  await assertNoSecretLeaks([]);
});

describe('the single executable', () => {
  it('is what injector copy puts into the volume: one executable file', () => {
    expect(readdirSync(volume)).toEqual(['syncret']);
    expect(statSync(join(volume, 'syncret')).mode & 0o111).not.toBe(0);
  });

  it('copies itself as one file when it is the program that runs injector copy', async () => {
    const again = join(dir, 'volume-again');
    const copy = run('sea-copy-self', join(volume, 'syncret'), ['injector', 'copy', again], {
      env: { PATH: emptyPath },
    });
    expect((await finished(copy)).code).toBe(0);
    expect(readdirSync(again)).toEqual(['syncret']);
    expect(statSync(join(again, 'syncret')).size).toBe(statSync(SEA).size);
  });

  it('prints its version with no node on PATH and no node_modules', async () => {
    const r = await runCopied('sea-version', ['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(`syncret ${VERSION}`);
  });

  it('agent exec renders a fake store (and a bcrypt of it) into the environment and becomes /usr/bin/env', async () => {
    const cfg = join(dir, 'fake.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        store: {
          kind: 'SecretStore',
          name: 'fake',
          namespace: 'demo',
          provider: { fake: { data: [{ key: 'app', value: JSON.stringify({ token: fakeValue }) }] } },
        },
        templates: [
          {
            name: 'app.env',
            path: 'app',
            contents:
              'APP_TOKEN={{ .token }}\nAPP_HASH={{ bcrypt .token }}\nAPP_HEAD={{ regexFind "^[^-]+" .token }}\n',
          },
        ],
      }),
    );
    const r = await runCopied('sea-exec-fake', ['agent', 'exec', '--config', cfg, '--', '/usr/bin/env'], {
      KEEP: 'kept',
    });
    expect(r.code).toBe(0);
    const env = r.stdout.split('\n');
    expectValue(
      env.find((l) => l.startsWith('APP_TOKEN=')),
      `APP_TOKEN=${fakeValue}`,
      'the environment of env',
    );
    expect(env).toContain('KEEP=kept');
    // bcryptjs is bundled (dist/ requires it lazily from node_modules, which is not there).
    expect(env.find((l) => l.startsWith('APP_HASH='))).toMatch(/^APP_HASH=\$2a\$10\$.{53}$/);
    // So is re2js (loaded on first pattern).
    expect(env).toContain(`APP_HEAD=${/^[^-]+/.exec(fakeValue)![0]}`);
  });

  it('agent exec logs in to OpenBao with kubernetes auth and renders a KV secret', async () => {
    const r = await runCopied(
      'sea-exec-vault',
      ['agent', 'exec', '--config-env', 'SYNCRET_AGENT_CONFIG', '--', '/usr/bin/env'],
      {
        SYNCRET_AGENT_CONFIG: JSON.stringify({
          vault: {
            server: serverVar('VAULT_ADDR'),
            auth: { kubernetes: { mountPath: v.authMount, role: 'app', serviceAccountRef: { name: 'app' } } },
          },
          identity: { tokenFile: join(dir, 'token'), serviceAccount: { name: 'app', namespace: ns } },
          allowInsecureCredentials: true,
          templates: [
            {
              name: 'config.env',
              contents: `{{- with secret "${v.kvMount}/data/app" -}}\nDB_PASSWORD={{ .Data.data.password }}\n{{- end }}`,
            },
          ],
        }),
      },
    );
    expect(r.code).toBe(0);
    const env = r.stdout.split('\n');
    expectValue(
      env.find((l) => l.startsWith('DB_PASSWORD=')),
      `DB_PASSWORD=${password}`,
      'the environment of env',
    );
    // exec mode removes its configuration from the application's environment.
    expect(env.some((l) => l.startsWith('SYNCRET_AGENT_CONFIG='))).toBe(false);
  });
});
