// `syncret agent` against OpenBao on loopback, logged in with kubernetes auth (a TokenRequest
// token in a file, as a pod's projected token; OpenBao checks it with a TokenReview against the
// test apiserver): init writes every file with its mode or none, exec replaces itself with the
// app (same PID, the rendered variables, the app's own exit code) and writes nothing, sidecar
// re-renders on a KV change and when a PostgreSQL lease nears its max TTL, renews a lease in
// place, runs the file's command, keeps the last file when a secret goes and revokes on
// SIGTERM. Broken templates fail before any login, and no value reaches the agent's output.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  expectValue,
  filesUnder,
  finished,
  lastRenewal,
  leasesUnder,
  projectToken,
  setUpVault,
  syncret,
  tearDownVault,
} from '../lib/delivery.js';
import type { Proc, VaultSetup } from '../lib/delivery.js';
import { apply, newNamespace, waitFor } from '../lib/kube.js';
import { assertNoSecretLeaks } from '../lib/leaks.js';
import { ROOT } from '../lib/paths.js';
import { canLogin } from '../lib/postgres.js';
import { serverVar } from '../lib/servers.js';
import { finishSuite } from '../lib/suite.js';
import { secretValue } from '../lib/values.js';
import { bao, kv2Put, liveTokenCount, suffix } from '../lib/vault.js';

const APP = join(ROOT, 'e2e/tools/delivery/test-app.mjs');
const sfx = suffix();
let ns: string;
let v: VaultSetup;
let dir: string;
const password = secretValue('agent-password');
const apiKey = secretValue('agent-apikey');
/** Database credentials OpenBao issued during the test, for the leak scan. */
const issued: string[] = [];
/** Long-running agents, killed at the end whatever happened. */
const stopLater: Proc[] = [];

function config(extra: Record<string, unknown>): string {
  const file = join(dir, `agent-${Math.random().toString(16).slice(2)}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      vault: {
        server: serverVar('VAULT_ADDR'),
        auth: { kubernetes: { mountPath: v.authMount, role: 'app', serviceAccountRef: { name: 'app' } } },
      },
      identity: { tokenFile: join(dir, 'token'), serviceAccount: { name: 'app', namespace: ns } },
      allowInsecureCredentials: true,
      ...extra,
    }),
  );
  return file;
}

beforeAll(async () => {
  ns = newNamespace('e2e-agent');
  apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'app', namespace: ns } });
  v = await setUpVault(sfx, ns, 'app');
  await kv2Put(v.kvMount, 'app', { password, api_key: apiKey, port: 5432 });
  dir = mkdtempSync(join(tmpdir(), 'e2e-agent-'));
  projectToken(ns, 'app', join(dir, 'token'));
});

afterAll(async () => {
  for (const p of stopLater) p.child.kill('SIGKILL');
  await tearDownVault(v);
  await finishSuite();
  await assertNoSecretLeaks(issued);
});

describe('init', () => {
  it('writes every file with its mode and content, then exits 0', async () => {
    const out = join(dir, 'init');
    const cfg = config({
      secretsDir: out,
      templates: [
        {
          name: 'db.json',
          contents: `{{- with secret "${v.kvMount}/data/app" -}}{"password":"{{ .Data.data.password }}","port":{{ .Data.data.port }}}{{- end }}`,
        },
        {
          name: 'api-key',
          perms: '0400',
          contents: `{{- with secret "${v.kvMount}/data/app" -}}export API_KEY="{{ .Data.data.api_key }}"{{- end }}`,
        },
        {
          name: 'creds',
          contents: `{{ with secret "${v.dbMount}/creds/${v.dbRole}" }}{{ .Data.username }} {{ .Data.password }}{{ end }}`,
        },
      ],
    });
    const p = syncret('agent-init', ['agent', 'init', '--config', cfg]);
    expect((await finished(p)).code).toBe(0);
    expectValue(
      readFileSync(join(out, 'db.json'), 'utf8'),
      JSON.stringify({ password, port: 5432 }),
      'db.json',
    );
    expectValue(readFileSync(join(out, 'api-key'), 'utf8'), `export API_KEY="${apiKey}"`, 'api-key');
    expect(statSync(join(out, 'db.json')).mode & 0o777).toBe(0o440);
    expect(statSync(join(out, 'api-key')).mode & 0o777).toBe(0o400);
    const [user, pass] = readFileSync(join(out, 'creds'), 'utf8').split(' ');
    issued.push(user!, pass!);
    // The token was not revoked at exit: the database lease it holds still logs in.
    expect(canLogin(user!, pass!)).toBe(true);
  });

  it('writes nothing and exits 1 with a clear message when one secret cannot be read', async () => {
    const out = join(dir, 'init-fail');
    const cfg = config({
      secretsDir: out,
      templates: [
        {
          name: 'good',
          contents: `{{ with secret "${v.kvMount}/data/app" }}{{ .Data.data.password }}{{ end }}`,
        },
        { name: 'bad', contents: `{{ with secret "${v.kvMount}/data/missing" }}{{ .Data.data.x }}{{ end }}` },
      ],
    });
    const p = syncret('agent-init-fail', ['agent', 'init', '--config', cfg]);
    expect((await finished(p)).code).toBe(1);
    expect(p.log()).toMatch(/syncret agent init: Vault secret ".*\/data\/missing" not found/);
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  });

  it('refuses to send the token to plain http:// without the opt-in', async () => {
    const cfg = config({
      secretsDir: join(dir, 'x'),
      allowInsecureCredentials: false,
      templates: [{ name: 'a', contents: 'x' }],
    });
    const p = syncret('agent-tls', ['agent', 'init', '--config', cfg]);
    expect((await finished(p)).code).toBe(1);
    expect(p.log()).toMatch(/plain HTTP: Syncret sends credentials only over TLS/);
  });

  it('fails on a template syntax error before any login, naming the template and line', async () => {
    const out = join(dir, 'init-syntax');
    const cfg = config({
      secretsDir: out,
      templates: [
        {
          name: 'good',
          contents: `{{ with secret "${v.kvMount}/data/app" }}{{ .Data.data.password }}{{ end }}`,
        },
        { name: 'broken', contents: `{{ with secret "${v.kvMount}/data/app" }}\n{{ .Data.data.password ` },
      ],
    });
    const tokens = await liveTokenCount(v.authMount);
    const p = syncret('agent-syntax', ['agent', 'init', '--config', cfg]);
    expect((await finished(p)).code).toBe(1);
    expect(p.log()).toMatch(/syncret agent init: .*broken:2/);
    expect(await liveTokenCount(v.authMount)).toBe(tokens);
    expect(filesUnder(out)).toEqual([]);
  });

  it('fails without the value when a template puts one into its error', async () => {
    const out = join(dir, 'init-fail-value');
    const cfg = config({
      secretsDir: out,
      templates: [
        {
          name: 'leaky',
          contents: `{{ with secret "${v.kvMount}/data/app" }}{{ printf "bad password %s" .Data.data.password | fail }}{{ end }}`,
        },
      ],
    });
    const p = syncret('agent-fail-value', ['agent', 'init', '--config', cfg]);
    expect((await finished(p)).code).toBe(1);
    expect(p.log()).toMatch(/leaky:1.*bad password \[redacted\]/);
    expect(filesUnder(out)).toEqual([]);
  });
});

describe('exec', () => {
  it('becomes the application: same PID, rendered variables, arguments and exit code its own', async () => {
    const report = join(dir, 'exec-report.json');
    const cwd = mkdtempSync(join(dir, 'exec-cwd-'));
    const secretsDir = join(cwd, 'secrets');
    const cfg = config({
      secretsDir,
      templates: [
        {
          name: 'config.env',
          contents: `{{- with secret "${v.kvMount}/data/app" -}}\n{{- range $key, $value := .Data.data }}\n{{ $key | toUpper }}={{ $value }}\n{{- end }}\n{{- end }}`,
        },
      ],
    });
    const p = syncret(
      'agent-exec',
      ['agent', 'exec', '--config', cfg, '--', APP, 'one arg', '--flag=x'],
      {
        REPORT_FILE: report,
        REPORT_VARS: 'PASSWORD,API_KEY,PORT,KEEP',
        KEEP: 'kept',
        EXIT_CODE: '7',
      },
      cwd,
    );
    expect((await finished(p)).code).toBe(7);
    // The values went into the environment only: no file in the working or secrets directory.
    expect(filesUnder(cwd)).toEqual([]);
    const seen = JSON.parse(readFileSync(report, 'utf8')) as Record<string, unknown>;
    expect(seen.pid).toBe(p.pid);
    expect(seen.argv).toEqual(['one arg', '--flag=x']);
    expectValue(
      JSON.stringify(seen.vars),
      JSON.stringify({ PASSWORD: password, API_KEY: apiKey, PORT: '5432', KEEP: 'kept' }),
      'the app environment',
    );
    expect(seen.agentConfigVisible).toBe(false);
  });

  it('passes signals to the application (it is the process); the configuration variable is not passed', async () => {
    const report = join(dir, 'exec-signal.json');
    const cfg = config({
      templates: [
        {
          name: 'e',
          contents: `{{ with secret "${v.kvMount}/data/app" }}PASSWORD={{ .Data.data.password }}{{ end }}`,
        },
      ],
    });
    // The configuration in a variable, as the injector will set it.
    const p = syncret('agent-exec-signal', ['agent', 'exec', '--config-env', 'APP_AGENT', '--', APP], {
      APP_AGENT: readFileSync(cfg, 'utf8'),
      REPORT_FILE: report,
      REPORT_VARS: 'PASSWORD,APP_AGENT',
    });
    await waitFor('the app to start', () => existsSync(report));
    p.child.kill('SIGTERM');
    expect((await finished(p)).code).toBe(42);
    const seen = JSON.parse(readFileSync(report, 'utf8')) as { vars: Record<string, string | null> };
    expect(seen.vars.APP_AGENT).toBeNull();
    expectValue(seen.vars.PASSWORD ?? undefined, password, 'PASSWORD');
  });

  it('does not start the application when a secret cannot be read', async () => {
    const report = join(dir, 'exec-never.json');
    const cfg = config({
      templates: [
        { name: 'e', contents: `{{ with secret "${v.kvMount}/data/missing" }}X={{ .Data.data.x }}{{ end }}` },
      ],
    });
    const p = syncret('agent-exec-fail', ['agent', 'exec', '--config', cfg, '--', APP], {
      REPORT_FILE: report,
      EXIT_CODE: '0',
    });
    expect((await finished(p)).code).toBe(1);
    expect(p.log()).toMatch(/syncret agent exec: Vault secret ".*\/data\/missing" not found/);
    expect(existsSync(report)).toBe(false);
  });
});

describe('sidecar', () => {
  it('re-renders on a Vault change and before a lease ends, renews in place, keeps the last file when a secret goes, revokes on SIGTERM', async () => {
    const out = join(dir, 'sidecar');
    const marker = join(dir, 'sidecar-commands');
    const cfg = config({
      secretsDir: out,
      refreshInterval: '1s',
      templates: [
        {
          name: 'app.env',
          contents: `{{ with secret "${v.kvMount}/data/app" }}PASSWORD={{ .Data.data.password }}{{ end }}`,
          command: `sh -c 'echo app.env >> ${marker}'`,
        },
        {
          name: 'db',
          contents: `{{ with secret "${v.dbMount}/creds/${v.dbRole}" }}{{ .Data.username }} {{ .Data.password }}{{ end }}`,
          command: `sh -c 'echo db >> ${marker}'`,
        },
        {
          name: 'renewed',
          perms: '0400',
          contents: `{{ with secret "${v.dbMount}/creds/${v.renewRole}" }}{{ .Data.username }} {{ .Data.password }}{{ end }}`,
        },
      ],
    });
    const tokensBefore = await liveTokenCount(v.authMount);
    const p = syncret('agent-sidecar', ['agent', 'sidecar', '--config', cfg, '--log-level', 'debug']);
    stopLater.push(p);
    const read = (f: string) => (existsSync(join(out, f)) ? readFileSync(join(out, f), 'utf8') : '');
    const commands = (what: string) =>
      existsSync(marker)
        ? readFileSync(marker, 'utf8')
            .split('\n')
            .filter((c) => c === what).length
        : 0;
    await waitFor('the first render', () => !!read('app.env') && !!read('db') && !!read('renewed'), {
      timeoutMs: 30_000,
    });
    const renderedAt = Date.now();
    const firstDb = read('db');
    const renewed = read('renewed');
    issued.push(...firstDb.split(' '), ...renewed.split(' '));
    expectValue(read('app.env'), `PASSWORD=${password}`, 'app.env');

    const rotated = secretValue('agent-rotated');
    await kv2Put(v.kvMount, 'app', { password: rotated, api_key: apiKey, port: 5432 });
    await waitFor('app.env re-rendered', () => read('app.env') === `PASSWORD=${rotated}`, {
      timeoutMs: 15_000,
    });
    await waitFor('its command', () => commands('app.env') >= 2, { timeoutMs: 10_000 });

    // 6 s leases at most 10 s long: renewed at 4 s, replaced near 8 s when Vault grants too little.
    const secondDb = await waitFor(
      'new database credentials',
      () => (read('db') !== firstDb ? read('db') : false),
      {
        timeoutMs: 25_000,
      },
    );
    const [user, pass] = secondDb.split(' ');
    issued.push(user!, pass!);
    expect(canLogin(user!, pass!)).toBe(true);
    await waitFor('the db command', () => commands('db') >= 2, { timeoutMs: 10_000 });
    expect(statSync(join(out, 'db')).mode & 0o777).toBe(0o440);

    // 6 s leases for up to an hour: renewed in place, the file never rewritten. Past the first
    // lease's 6 s only a renewal keeps the credentials alive (OpenBao drops the role at expiry).
    await waitFor('the first 6 s lease to have ended unrenewed', () => Date.now() - renderedAt > 7000, {
      timeoutMs: 15_000,
    });
    expectValue(read('renewed'), renewed, 'renewed (not rewritten)');
    const [ruser, rpass] = renewed.split(' ');
    expect(canLogin(ruser!, rpass!)).toBe(true);
    const leases = await leasesUnder(`${v.dbMount}/creds/${v.renewRole}`);
    expect(leases).toHaveLength(1);
    expect(await lastRenewal(leases[0]!)).toBeDefined();
    expect(p.log()).toMatch(/leases renewed/);

    // The secret goes: app.env keeps its last content, the others stay fresh; it comes back.
    await bao('DELETE', `${v.kvMount}/metadata/app`);
    await waitFor('the failure logged', () => /app\.env not rendered: Vault secret/.test(p.log()), {
      timeoutMs: 15_000,
    });
    expectValue(read('app.env'), `PASSWORD=${rotated}`, 'app.env (kept)');
    const restored = secretValue('agent-restored');
    await kv2Put(v.kvMount, 'app', { password: restored, api_key: apiKey, port: 5432 });
    await waitFor('app.env rendered again', () => read('app.env') === `PASSWORD=${restored}`, {
      timeoutMs: 15_000,
    });
    // Atomic writes leave no temporary file behind.
    expect(filesUnder(out)).toEqual(['app.env', 'db', 'renewed']);
    expect(statSync(join(out, 'renewed')).mode & 0o777).toBe(0o400);

    p.child.kill('SIGTERM');
    expect((await finished(p, 20_000)).code).toBe(0);
    // The leases are revoked (OpenBao drops the roles) and so is the agent's token.
    expect(canLogin(user!, pass!)).toBe(false);
    expect(canLogin(ruser!, rpass!)).toBe(false);
    expect(await liveTokenCount(v.authMount)).toBe(tokensBefore);
    expect(p.log()).toMatch(/revoked leases/);
  }, 150_000);
});
