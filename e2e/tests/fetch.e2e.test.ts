// `syncret fetch` against OpenBao's JWT auth, with ID tokens signed by a local OIDC issuer
// (JWKS on loopback, which OpenBao fetches) as a CI job has them: from GitHub Actions' token
// service (a bearer and an audience) into $GITHUB_ENV with every value masked first, and from a
// variable as GitLab's id_tokens into a dotenv file, Docker secret files and one raw value. A token for the wrong audience or
// repository is refused and nothing is written; no value reaches the command's log.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDotenv } from '../../src/agent/dotenv.js';
import { expectValue, filesUnder, finished, syncretSplit } from '../lib/delivery.js';
import { startIssuer } from '../lib/oidc.js';
import type { Issuer } from '../lib/oidc.js';
import { serverVar } from '../lib/servers.js';
import { finishSuite } from '../lib/suite.js';
import { secretValue } from '../lib/values.js';
import { bao, enableAuth, kv2Put, liveTokenCount, policy, suffix } from '../lib/vault.js';

const sfx = suffix();
const kvMount = `kv-fetch-${sfx}`;
const jwtMount = `jwt-fetch-${sfx}`;
const AUDIENCE = 'https://vault.example.test';
const password = secretValue('fetch-password');
const apiKey = secretValue('fetch-apikey');
// A value over two lines (a PEM-like blob): masked line by line.
const multiline = `${secretValue('fetch-line1')}\n${secretValue('fetch-line2')}`;
let issuer: Issuer;
let dir: string;

function fetchArgs(extra: string[]): string[] {
  return [
    'fetch',
    '--vault-addr',
    serverVar('VAULT_ADDR'),
    '--method',
    'jwt',
    '--path',
    jwtMount,
    '--role',
    'ci',
    '--secrets',
    `${kvMount}/data/app password | DB_PASSWORD ; ${kvMount}/data/app api_key\n${kvMount}/data/app cert | TLS_CERT`,
    '--allow-insecure-credentials',
    ...extra,
  ];
}

beforeAll(async () => {
  issuer = await startIssuer(secretValue('fetch-bearer'), {
    sub: 'repo:acme/shop:ref:refs/heads/main',
    repository: 'acme/shop',
  });
  await bao('POST', `sys/mounts/${kvMount}`, { type: 'kv', options: { version: '2' } });
  await kv2Put(kvMount, 'app', { password, api_key: apiKey, cert: multiline });
  await policy(`fetch-${sfx}`, `path "${kvMount}/data/*" { capabilities = ["read"] }`);
  await enableAuth(jwtMount, 'jwt');
  await bao('POST', `auth/${jwtMount}/config`, { jwks_url: `${issuer.url}/jwks`, bound_issuer: issuer.url });
  await bao('POST', `auth/${jwtMount}/role/ci`, {
    role_type: 'jwt',
    bound_audiences: [AUDIENCE],
    user_claim: 'sub',
    bound_claims: { repository: 'acme/shop' },
    token_policies: [`fetch-${sfx}`],
    token_ttl: '10m',
  });
  dir = mkdtempSync(join(tmpdir(), 'e2e-fetch-'));
});

afterAll(async () => {
  await bao('DELETE', `sys/mounts/${kvMount}`, undefined, { allow: [400, 404] });
  await bao('DELETE', `sys/auth/${jwtMount}`, undefined, { allow: [400, 404] });
  await issuer?.close();
  await finishSuite();
});

describe('GitHub Actions', () => {
  it('logs in with the job ID token for the audience, masks every value, then writes $GITHUB_ENV', async () => {
    const githubEnv = join(dir, 'github-env');
    writeFileSync(githubEnv, 'EARLIER=kept\n');
    const stdout = join(dir, 'gh-stdout');
    const logins = await liveTokenCount(jwtMount);
    const p = syncretSplit(
      'fetch-github',
      fetchArgs(['--audience', AUDIENCE, '--format', 'github-env']),
      {
        GITHUB_ACTIONS: 'true',
        GITHUB_ENV: githubEnv,
        ACTIONS_ID_TOKEN_REQUEST_URL: `${issuer.url}/token?api-version=2.0`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.bearer,
      },
      stdout,
    );
    expect((await finished(p)).code).toBe(0);
    expect(issuer.audiences).toEqual([AUDIENCE]);
    expect(await liveTokenCount(jwtMount)).toBe(logins + 1);

    // Every value, and each line of the two-line one, is masked; nothing else is printed.
    const [line1, line2] = multiline.split('\n');
    const masks = readFileSync(stdout, 'utf8').trimEnd().split('\n');
    const expected = [password, apiKey, multiline.replace('\n', '%0A'), line1, line2].map(
      (v) => `::add-mask::${v}`,
    );
    expectValue(JSON.stringify(masks), JSON.stringify(expected), 'the mask commands');

    // $GITHUB_ENV: appended in the multi-line form, which the runner reads back as these values.
    const text = readFileSync(githubEnv, 'utf8');
    expect(text.startsWith('EARLIER=kept\n')).toBe(true);
    const vars = new Map<string, string>();
    const re = /^([A-Z_]+)<<(ghadelimiter_[0-9a-f]+)\n([\s\S]*?)\n\2$/gm;
    for (const m of text.matchAll(re)) vars.set(m[1]!, m[3]!);
    expect([...vars.keys()]).toEqual(['DB_PASSWORD', 'API_KEY', 'TLS_CERT']);
    expectValue(vars.get('DB_PASSWORD'), password, 'DB_PASSWORD');
    expectValue(vars.get('API_KEY'), apiKey, 'API_KEY');
    expectValue(vars.get('TLS_CERT'), multiline, 'TLS_CERT');
    expect(p.log()).toMatch(/"names":\["DB_PASSWORD","API_KEY","TLS_CERT"\]/);
  });

  it('is refused for a token of another audience, and writes and prints nothing', async () => {
    const githubEnv = join(dir, 'github-env-refused');
    writeFileSync(githubEnv, '');
    const stdout = join(dir, 'gh-refused-stdout');
    const p = syncretSplit(
      'fetch-github-refused',
      fetchArgs(['--audience', 'https://elsewhere.test', '--format', 'github-env']),
      {
        GITHUB_ENV: githubEnv,
        ACTIONS_ID_TOKEN_REQUEST_URL: `${issuer.url}/token?api-version=2.0`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.bearer,
      },
      stdout,
    );
    expect((await finished(p)).code).toBe(1);
    expect(p.log()).toMatch(/syncret fetch: Vault login at auth\/.* failed .*audience/);
    expect(readFileSync(githubEnv, 'utf8')).toBe('');
    expect(readFileSync(stdout, 'utf8')).toBe('');
  });

  it('names the missing permission when the token service refuses the bearer', async () => {
    const stdout = join(dir, 'gh-bearer-stdout');
    const p = syncretSplit(
      'fetch-github-bearer',
      fetchArgs(['--format', 'github-env', '--out', join(dir, 'never')]),
      {
        ACTIONS_ID_TOKEN_REQUEST_URL: `${issuer.url}/token?api-version=2.0`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'not-the-bearer',
      },
      stdout,
    );
    expect((await finished(p)).code).toBe(1);
    expect(p.log()).toMatch(/GitHub ID token service answered 401 .*id-token: write/);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });
});

describe('GitLab CI and env files', () => {
  it('logs in with an id_tokens variable and writes a dotenv file, mode 0600', async () => {
    const out = join(dir, 'ci.env');
    const stdout = join(dir, 'gl-stdout');
    const p = syncretSplit(
      'fetch-gitlab',
      fetchArgs(['--id-token-env', 'VAULT_ID_TOKEN', '--format', 'dotenv', '--out', out]),
      { VAULT_ID_TOKEN: issuer.token({ aud: AUDIENCE }) },
      stdout,
    );
    expect((await finished(p)).code).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const vars = parseDotenv(readFileSync(out, 'utf8'), 'ci.env');
    expectValue(vars.get('DB_PASSWORD'), password, 'DB_PASSWORD');
    expectValue(vars.get('TLS_CERT'), multiline, 'TLS_CERT');
    expect(readFileSync(stdout, 'utf8')).toBe('');
  });

  it('is refused for a token of another repository', async () => {
    const out = join(dir, 'other.env');
    const p = syncretSplit(
      'fetch-gitlab-refused',
      fetchArgs(['--id-token-env', 'VAULT_ID_TOKEN', '--out', out]),
      { VAULT_ID_TOKEN: issuer.token({ aud: AUDIENCE, repository: 'evil/fork' }) },
      join(dir, 'gl-refused-stdout'),
    );
    expect((await finished(p)).code).toBe(1);
    expect(p.log()).toMatch(/syncret fetch: Vault login at auth\/.* failed .*"repository" does not match/);
    expect(existsSync(out)).toBe(false);
  });

  it('prints JSON and fails on a missing key with the path and key', async () => {
    const stdout = join(dir, 'json-stdout');
    const p = syncretSplit(
      'fetch-json',
      [...fetchArgs(['--id-token-env', 'T', '--format', 'json'])].map((a) =>
        a.includes('| TLS_CERT') ? `${kvMount}/data/app password | DB_PASSWORD` : a,
      ),
      { T: issuer.token({ aud: AUDIENCE }) },
      stdout,
    );
    expect((await finished(p)).code).toBe(0);
    expectValue(
      readFileSync(stdout, 'utf8'),
      `${JSON.stringify({ DB_PASSWORD: password }, null, 2)}\n`,
      'the JSON output',
    );
    const q = syncretSplit(
      'fetch-missing-key',
      [...fetchArgs(['--id-token-env', 'T'])].map((a) =>
        a.includes('| TLS_CERT') ? `${kvMount}/data/app nope | NOPE` : a,
      ),
      { T: issuer.token({ aud: AUDIENCE }) },
      join(dir, 'missing-stdout'),
    );
    expect((await finished(q)).code).toBe(1);
    expect(q.log()).toMatch(/data\/app" has no key "nope" \(for NOPE\)/);
  });
});

describe("vault-action's * (every key)", () => {
  it('takes every field of a KV v2 secret, after a prefix', async () => {
    const stdout = join(dir, 'every-stdout');
    const args = fetchArgs(['--id-token-env', 'T', '--format', 'json']).map((a) =>
      a.includes('| TLS_CERT') ? `${kvMount}/data/app * | APP_` : a,
    );
    const p = syncretSplit('fetch-every-key', args, { T: issuer.token({ aud: AUDIENCE }) }, stdout);
    expect((await finished(p)).code).toBe(0);
    const vars = JSON.parse(readFileSync(stdout, 'utf8')) as Record<string, string>;
    expect(Object.keys(vars)).toEqual(['APP_API_KEY', 'APP_CERT', 'APP_PASSWORD']);
    expectValue(vars.APP_PASSWORD, password, 'APP_PASSWORD');
    expectValue(vars.APP_CERT, multiline, 'APP_CERT');
  });
});

describe('Docker', () => {
  it('writes one file per value for Compose secrets (0400, all or none), again over the old ones', async () => {
    const out = join(dir, 'compose-secrets');
    for (const run of [1, 2]) {
      const p = syncretSplit(
        `fetch-files-${run}`,
        fetchArgs(['--id-token-env', 'T', '--format', 'files', '--out', out]),
        { T: issuer.token({ aud: AUDIENCE }) },
        join(dir, `files-stdout-${run}`),
      );
      expect((await finished(p)).code).toBe(0);
    }
    expect(filesUnder(out)).toEqual(['API_KEY', 'DB_PASSWORD', 'TLS_CERT']);
    for (const f of filesUnder(out)) expect(statSync(join(out, f)).mode & 0o777).toBe(0o400);
    expectValue(readFileSync(join(out, 'DB_PASSWORD'), 'utf8'), password, 'DB_PASSWORD');
    expectValue(readFileSync(join(out, 'TLS_CERT'), 'utf8'), multiline, 'TLS_CERT');
  });

  it('prints one value alone for `docker secret create NAME -`', async () => {
    const stdout = join(dir, 'value-stdout');
    const args = fetchArgs(['--id-token-env', 'T', '--format', 'value']).map((a) =>
      a.includes('| TLS_CERT') ? `${kvMount}/data/app password` : a,
    );
    const p = syncretSplit('fetch-value', args, { T: issuer.token({ aud: AUDIENCE }) }, stdout);
    expect((await finished(p)).code).toBe(0);
    expectValue(readFileSync(stdout, 'utf8'), password, 'stdout');
  });
});
