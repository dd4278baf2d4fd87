// The library as an application uses it: the built package imported by its name ('syncret',
// through node_modules in a directory of its own, as after `npm install`), against OpenBao on
// loopback (kubernetes auth with a TokenRequest token; a KV v2 value, a property, a whole
// secret; PostgreSQL credentials from the database engine renewed at 2/3 of their lease,
// rotated when the max TTL nears, revoked with the token at close) and against AWS Secrets
// Manager on moto (IRSA: the token exchanged with STS AssumeRoleWithWebIdentity). Importing it
// loads no operator module, its published types compile in a strict consumer and hold no
// `any`, and no value reaches the application's log.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import {
  expectValue,
  finished,
  leasesUnder,
  projectToken,
  run,
  setUpVault,
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
import { kv2Put, liveTokenCount, suffix } from '../lib/vault.js';
import {
  REGION,
  closeAdmins,
  mark,
  motoUrl,
  operatorCalls,
  roleArn,
  smAdmin,
  startRecording,
  stopRecording,
} from './aws-moto.js';

const sfx = suffix();
let ns: string;
let v: VaultSetup;
let app: string;
const password = secretValue('lib-password');
const apiKey = secretValue('lib-apikey');
const awsValue = secretValue('lib-aws');
/** Database credentials OpenBao issued during the test, for the leak scan. */
const issued: string[] = [];
const stopLater: Proc[] = [];

type Row = Record<string, unknown> & { as?: string };

function runApp(
  name: string,
  config: unknown,
  env: Record<string, string> = {},
): Proc & { results(): Row[] } {
  const results = join(app, `${name}.jsonl`);
  writeFileSync(results, '', { mode: 0o600 });
  const p = run('library-' + name, process.execPath, [join(app, 'app.mjs')], {
    cwd: app,
    env: {
      PATH: process.env.PATH,
      LIB_CONFIG: JSON.stringify(config),
      LIB_RESULTS: results,
      LIB_GO: join(app, `${name}.go`),
      ...env,
    },
  });
  stopLater.push(p);
  const rows = (): Row[] =>
    readFileSync(results, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Row);
  return Object.assign(p, { results: rows });
}

/** The package's own files that were loaded, relative to dist/. */
function distModules(urls: unknown): string[] {
  const dist = join(ROOT, 'dist');
  return (urls as string[])
    .map((u) => fileURLToPath(u))
    .filter((f) => f.startsWith(`${dist}/`))
    .map((f) => relative(dist, f));
}

const OPERATOR =
  /^(kube|observability|controller|cli)\/|^config\/(?!duration\.js$)|^runtime\/(?!time\/)|^main\.js$/;

beforeAll(async () => {
  ns = newNamespace('e2e-library');
  apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'app', namespace: ns } });
  v = await setUpVault(sfx, ns, 'app');
  await kv2Put(v.kvMount, 'app', { password, api_key: apiKey, port: 5432 });
  // The application's directory: its node_modules holds the package (a symlink, as `npm link`).
  app = mkdtempSync(join(tmpdir(), 'e2e-library-'));
  mkdirSync(join(app, 'node_modules', '@types'), { recursive: true });
  symlinkSync(ROOT, join(app, 'node_modules', 'syncret'));
  symlinkSync(join(ROOT, 'node_modules', '@types', 'node'), join(app, 'node_modules', '@types', 'node'));
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', type: 'module', private: true }));
  copyFileSync(join(ROOT, 'e2e/tools/delivery/library-app.mjs'), join(app, 'app.mjs'));
  projectToken(ns, 'app', join(app, 'token'));
});

afterAll(async () => {
  for (const p of stopLater) p.child.kill('SIGKILL');
  await stopRecording().catch(() => undefined);
  closeAdmins();
  await tearDownVault(v);
  await finishSuite();
  await assertNoSecretLeaks(issued);
});

const vaultStore = () => ({
  provider: {
    vault: {
      server: serverVar('VAULT_ADDR'),
      path: v.kvMount,
      version: 'v2',
      auth: { kubernetes: { mountPath: v.authMount, role: 'app', serviceAccountRef: { name: 'app' } } },
    },
  },
});
const vaultOptions = () => ({
  tokenFile: join(app, 'token'),
  serviceAccount: { namespace: ns },
  allowInsecureCredentials: true,
});

describe('OpenBao', () => {
  it('reads a value, a property and a whole secret, loading no operator module', async () => {
    const logins = await liveTokenCount(v.authMount);
    const p = runApp('kv', {
      store: vaultStore(),
      options: vaultOptions(),
      steps: [
        { get: 'app', property: 'password', as: 'password' },
        { get: 'app', as: 'whole' },
        { getSecret: 'app', as: 'map' },
      ],
    });
    expect((await finished(p)).code).toBe(0);
    const rows = p.results();
    const by = (as: string) => rows.find((r) => r.as === as)?.value;
    expectValue(by('password') as string, password, 'the property');
    expectValue(
      by('whole') as string,
      JSON.stringify({ api_key: apiKey, password, port: 5432 }),
      'the whole value',
    );
    const map = by('map') as Record<string, string>;
    expect(Object.keys(map).sort()).toEqual(['api_key', 'password', 'port']);
    expectValue(map.api_key, apiKey, 'api_key');
    expect(map.port).toBe('5432');
    // close() revoked the token it logged in with.
    expect(await liveTokenCount(v.authMount)).toBe(logins);

    const atImport = distModules(rows.find((r) => r.modules)?.modules);
    const atEnd = distModules(rows.find((r) => r.modulesAtEnd)?.modulesAtEnd);
    expect(atImport).toContain('lib/index.js');
    expect(atEnd).toContain('providers/vault/client.js');
    expect(atEnd.filter((f) => OPERATOR.test(f))).toEqual([]);
    // The cloud SDKs stay unloaded for a Vault store (Google's endpoint overrides, which Vault's
    // gcp login reads, are a few lines of configuration, not the SDK).
    expect(
      atEnd.filter(
        (f) => /^providers\/(aws|azurekv|gcpsm)\//.test(f) && f !== 'providers/gcpsm/endpoints.js',
      ),
    ).toEqual([]);
    expect(p.log()).toMatch(/opened a vault store[\s\S]*closed/);
  });

  it('keeps database credentials alive (renewed, then rotated near the max TTL) and revokes them at close', async () => {
    const prefix = `${v.dbMount}/creds/${v.dbRole}`;
    const p = runApp('db', {
      store: vaultStore(),
      options: vaultOptions(),
      steps: [{ credentials: prefix }],
    });
    const rows = await waitFor('the rotation', () => p.results().find((r) => r.as === 'events'), {
      timeoutMs: 40_000,
    });
    const first = p.results().find((r) => r.as === 'first') as Row & {
      data: Record<string, string>;
      leaseId: string;
    };
    const current = (rows as Row & { current: { leaseId: string; data: Record<string, string> } }).current;
    issued.push(first.data.password!, current.data.password!);
    const events = (rows as Row & { events: Record<string, unknown>[] }).events;
    // 6 s leases, at most 10 s: renewed at 4 s, then only 2 s would be left, so rotated.
    expect(events[0]).toMatchObject({ renewed: first.leaseId });
    expect(events.at(-1)).toMatchObject({ rotated: current.leaseId });
    expect(current.leaseId).not.toBe(first.leaseId);
    expect(current.data.username).not.toBe(first.data.username);
    expect(canLogin(current.data.username!, current.data.password!)).toBe(true);
    expect((await leasesUnder(prefix)).sort()).toEqual([first.leaseId, current.leaseId].sort());

    writeFileSync(join(app, 'db.go'), '');
    expect((await finished(p)).code).toBe(0);
    expect(await leasesUnder(prefix)).toEqual([]);
    expect(canLogin(current.data.username!, current.data.password!)).toBe(false);
    expect(p.log()).not.toMatch(/lease error/);
  });
});

describe('AWS (moto)', () => {
  it('reads Secrets Manager with IRSA credentials from STS AssumeRoleWithWebIdentity', async () => {
    const name = `lib/${sfx}/app`;
    await smAdmin().send(
      new CreateSecretCommand({ Name: name, SecretString: JSON.stringify({ key: awsValue }) }),
    );
    projectToken(ns, 'app', join(app, 'sts-token'), 'sts.amazonaws.com');
    await startRecording();
    const m = mark();
    const role = roleArn(`lib-${sfx}`);
    const p = runApp(
      'aws',
      {
        store: {
          kind: 'SecretStore',
          metadata: { name: 'aws', namespace: ns },
          spec: {
            provider: {
              aws: {
                service: 'SecretsManager',
                region: REGION,
                auth: { jwt: { serviceAccountRef: { name: 'app' } } },
              },
            },
          },
        },
        options: {
          tokenFile: join(app, 'sts-token'),
          serviceAccount: { namespace: ns, annotations: { 'eks.amazonaws.com/role-arn': role } },
          allowInsecureCredentials: true,
        },
        steps: [
          { get: name, property: 'key', as: 'key' },
          { getSecret: name, as: 'map' },
        ],
      },
      { AWS_ENDPOINT_URL: motoUrl(), AWS_REGION: REGION, AWS_EC2_METADATA_DISABLED: 'true' },
    );
    expect((await finished(p)).code).toBe(0);
    const rows = p.results();
    expectValue(rows.find((r) => r.as === 'key')?.value as string, awsValue, 'the property');
    expectValue((rows.find((r) => r.as === 'map')?.value as Record<string, string>).key, awsValue, 'the map');
    const calls = operatorCalls(m);
    expect(
      calls.filter((c) => c.op === 'sts.AssumeRoleWithWebIdentity').map((c) => c.params.RoleArn),
    ).toEqual([role]);
    expect(
      calls.filter((c) => c.op === 'secretsmanager.GetSecretValue').every((c) => /^ASIA/.test(c.keyId)),
    ).toBe(true);
    const atEnd = distModules(rows.find((r) => r.modulesAtEnd)?.modulesAtEnd);
    expect(atEnd).toContain('providers/aws/index.js');
    expect(atEnd.filter((f) => OPERATOR.test(f))).toEqual([]);
  });
});

describe('published types', () => {
  it('compile in a strict consumer, reject wrong calls, and hold no any', () => {
    writeFileSync(
      join(app, 'consumer.ts'),
      [
        "import { openStore, ProviderError } from 'syncret';",
        "import type { DynamicCredentials, Store } from 'syncret';",
        'export async function main(): Promise<string> {',
        '  const store: Store = await openStore(',
        "    { provider: { vault: { server: 'https://vault', auth: { tokenSecretRef: { name: 'v', key: 't' } } } } },",
        "    { secrets: { v: { t: 'x' } } },",
        '  );',
        "  const one: string = await store.get('app', { property: 'password' });",
        "  const all: Record<string, string> = await store.getSecret('app');",
        "  const c: DynamicCredentials = await store.credentials('db/creds/app', {",
        '    onRenew: (l) => void l.expiresAt.getTime(),',
        '    onRotate: (x) => void x.data,',
        '  });',
        '  // @ts-expect-error a key is a string',
        '  await store.get(1);',
        '  // @ts-expect-error no such provider',
        '  await openStore({ provider: { nope: {} } });',
        "  // @ts-expect-error the vault block's fields are typed",
        '  await openStore({ provider: { vault: { server: 1 } } });',
        '  await store.close();',
        '  return one + Object.keys(all).join() + c.leaseId + String(ProviderError.name);',
        '}',
      ].join('\n'),
    );
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    execFileSync(
      process.execPath,
      [
        tsc,
        '--noEmit',
        '--strict',
        '--module',
        'nodenext',
        '--target',
        'es2024',
        '--types',
        'node',
        'consumer.ts',
      ],
      { cwd: app, stdio: 'pipe' },
    );

    // The declarations the consumer sees: lib/index.d.ts and what it imports.
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/from '(\.[^']+)'/g))
        visit(normalize(join(dirname(file), m[1]!.replace(/\.js$/, '.d.ts'))));
    };
    visit(join(ROOT, 'dist', 'lib', 'index.d.ts'));
    expect(seen.size).toBeGreaterThan(3);
    const withAny = [...seen].filter((f) =>
      /\bany\b/.test(
        readFileSync(f, 'utf8')
          .replace(/\/\*[\s\S]*?\*\//g, '')
          .replace(/\/\/.*$/gm, ''),
      ),
    );
    expect(withAny.map((f) => relative(ROOT, f))).toEqual([]);
  });
});
