// The built command line on the example files (dist/ comes from `make build`, which
// `make test-unit` runs first). No cluster involved.
import { spawnSync } from 'node:child_process';
import { X509Certificate, createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import YAML from 'yaml';

const MAIN = 'dist/main.js';
const run = (...args: string[]) =>
  spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 60_000 });

describe('syncret render (dist/main.js)', () => {
  it('is built', () => {
    expect(existsSync(MAIN)).toBe(true);
  });
  it('prints the Secret for examples/render with the fake store', () => {
    const r = run(
      'render',
      '-f',
      'examples/render/externalsecret.yaml',
      '--store',
      'examples/render/store.yaml',
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const secret = YAML.parse(r.stdout) as {
      kind: string;
      metadata: { name: string; labels: Record<string, string> };
      data: Record<string, string>;
    };
    expect(secret.kind).toBe('Secret');
    expect(secret.metadata.name).toBe('app-config');
    expect(secret.metadata.labels['db-host']).toBe('db.internal');
    expect(Buffer.from(secret.data.DATABASE_URL!, 'base64').toString()).toBe(
      'postgres://app:p%40ss+word@db.internal:5432/app',
    );
    expect(Object.keys(secret.data).sort()).toEqual([
      'APP_API_KEY_LENGTH',
      'APP_DB_USER',
      'DATABASE_URL',
      'config.yaml',
    ]);
  });
  it('reads values from --data and prints them decoded', () => {
    const r = run(
      'render',
      '-f',
      'examples/render/externalsecret.yaml',
      '--data',
      'examples/render/values.json',
      '--decoded',
    );
    expect(r.status).toBe(0);
    const secret = YAML.parse(r.stdout) as { stringData: Record<string, string> };
    expect(secret.stringData.DATABASE_URL).toBe('postgres://app:from-values-json@db.local:5432/app');
    expect(secret.stringData['config.yaml']).toContain('key: values-api-key');
  });
  it("renders ESO's template functions (dates, htpasswd, semver, toYaml, genCA) offline", () => {
    const r = run(
      'render',
      '-f',
      'examples/render/functions.yaml',
      '--store',
      'examples/render/store.yaml',
      '--decoded',
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const d = (YAML.parse(r.stdout) as { stringData: Record<string, string> }).stringData;
    expect(d.rotated).toBe('Thursday 29 February 2024, 14:45 CET');
    const sha = createHash('sha1').update('p@ss word').digest('base64');
    expect(d.htpasswd).toBe(`app:{SHA}${sha}`);
    expect(d.compatible).toBe('true');
    expect(d['app.yaml']).toBe('db:\n  host: db.internal\n  port: 5432\nuser: APP');
    const ca = new X509Certificate(d['ca.crt']!);
    expect(ca.ca).toBe(true);
    expect(ca.subject).toBe('CN=demo-ca');
  });
  it('exits 1 with a message on stderr for a broken input, 0 with usage for --help', () => {
    const r = run(
      'render',
      '-f',
      'examples/render/externalsecret.yaml',
      '--store',
      'examples/render/missing.yaml',
    );
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^syncret render: cannot read examples\/render\/missing.yaml: ENOENT/);
    const h = run('render', '--help');
    expect(h.status).toBe(0);
    expect(h.stdout).toContain('Usage: syncret render');
    expect(run('help').stdout).toContain('syncret render -f');
  });
});
