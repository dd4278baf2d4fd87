import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProviderError } from '../providers/errors.js';
import { splitWords } from './command.js';
import { AgentConfigError, checkAgentConfig, defaultTemplate } from './config.js';
import { Dependencies } from './deps.js';
import { DotenvError, formatDotenv, parseDotenv } from './dotenv.js';
import { parseMode, writeAll } from './files.js';
import { AgentTemplateError, compileTemplates, renderTemplates } from './render.js';
import type { DependencyRef, Fetched, Source } from './sources.js';

/** A Vault-like source: a map of path → answer, with leases counted. */
class FakeSource implements Source {
  readonly describe = 'fake';
  calls: string[] = [];
  renewals: string[] = [];
  revoked: string[] = [];
  renewGrant = 60;
  constructor(private readonly answers: Record<string, (ref: DependencyRef, now: number) => Fetched>) {}
  async fetch(ref: DependencyRef, now: number): Promise<Fetched> {
    this.calls.push(`${ref.fn} ${ref.path} ${ref.args.join(' ')}`.trim());
    const a = this.answers[ref.path];
    if (!a) throw new ProviderError('NotFound', `Vault secret "${ref.path}" not found`);
    return a(ref, now);
  }
  async renew(id: string): Promise<{ durationS: number; renewable: boolean }> {
    this.renewals.push(id);
    return { durationS: this.renewGrant, renewable: true };
  }
  async revoke(id: string): Promise<void> {
    this.revoked.push(id);
  }
  async close(): Promise<void> {}
}

const kv = (data: Record<string, unknown>) => (): Fetched => ({
  secret: {
    RequestID: '',
    LeaseID: '',
    LeaseDuration: 0,
    Renewable: false,
    Data: { data, metadata: {} },
    Warnings: [],
  },
});

let serial = 0;
const creds = (_ref: DependencyRef, now: number): Fetched => {
  serial++;
  return {
    secret: {
      RequestID: '',
      LeaseID: `database/creds/app/${serial}`,
      LeaseDuration: 60,
      Renewable: true,
      Data: { username: `u${serial}`, password: `p-${serial}-secret` },
      Warnings: [],
    },
    lease: { id: `database/creds/app/${serial}`, durationS: 60, renewable: true },
    expiresAt: now + 60_000,
  };
};

describe('templates', () => {
  it('renders the Vault Agent forms: with secret, range over .Data.data, consul helper names', async () => {
    const src = new FakeSource({ 'secret/data/app': kv({ password: 'hunter22', user: 'bob', port: 5432 }) });
    const deps = new Dependencies({ vault: src });
    const compiled = compileTemplates([
      {
        name: 'db.json',
        contents:
          '{{- with secret "secret/data/app" -}}{"user":"{{ .Data.data.user }}","port":{{ .Data.data.port }}}{{- end }}',
      },
      {
        name: 'config.env',
        contents:
          '{{- with secret "secret/data/app" -}}{{- range $k, $v := .Data.data }}\n{{ $k | toUpper }}={{ $v }}{{- end }}{{- end }}',
      },
      {
        name: 'sprig',
        contents: '{{ with secret "secret/data/app" }}{{ .Data.data.user | b64enc }}{{ end }}',
      },
    ]);
    const r = await renderTemplates(compiled, deps);
    expect(r.outputs.get('db.json')).toBe('{"user":"bob","port":5432}');
    expect(r.outputs.get('config.env')).toBe('\nPASSWORD=hunter22\nPORT=5432\nUSER=bob');
    expect(r.outputs.get('sprig')).toBe('Ym9i');
    // Three templates, one read.
    expect(src.calls).toEqual(['secret secret/data/app']);
  });

  it('follows a secret that names another secret', async () => {
    const src = new FakeSource({
      'secret/data/pointer': kv({ target: 'secret/data/real' }),
      'secret/data/real': kv({ v: 'found' }),
    });
    const compiled = compileTemplates([
      {
        name: 'x',
        contents:
          '{{ with secret "secret/data/pointer" }}{{ with secret .Data.data.target }}{{ .Data.data.v }}{{ end }}{{ end }}',
      },
    ]);
    expect((await renderTemplates(compiled, new Dependencies({ vault: src }))).outputs.get('x')).toBe(
      'found',
    );
  });

  it('writes with k=v arguments (pkiCert) and shapes the PEM fields', async () => {
    const src = new FakeSource({
      'pki/issue/web': (ref) => ({
        secret: {
          RequestID: '',
          LeaseID: '',
          LeaseDuration: 0,
          Renewable: false,
          Data: {
            certificate: `CERT ${ref.args.join(',')}`,
            private_key: 'KEY',
            issuing_ca: 'CA',
            expiration: 1,
          },
          Warnings: [],
        },
      }),
    });
    const compiled = compileTemplates([
      {
        name: 'tls',
        contents:
          '{{ with pkiCert "pki/issue/web" "common_name=a.example" }}{{ .Cert }}|{{ .Data.Key }}{{ end }}',
      },
    ]);
    const deps = new Dependencies({ vault: src });
    // The fake answer is not a VaultSource, so pkiShape is not applied: check the call instead.
    await renderTemplates(compiled, deps).catch(() => undefined);
    expect(src.calls).toEqual(['pkiCert pki/issue/web common_name=a.example']);
  });

  it('fails with the template and line, never the value', async () => {
    const src = new FakeSource({ 'secret/data/app': kv({ password: 'hunter22-secret' }) });
    const compiled = compileTemplates([
      {
        name: 'bad',
        contents: '{{ with secret "secret/data/app" }}\n{{ .Data.data.password | fail }}{{ end }}',
      },
    ]);
    const err = await renderTemplates(compiled, new Dependencies({ vault: src })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentTemplateError);
    expect((err as Error).message).toMatch(/bad:2/);
    expect((err as Error).message).not.toContain('hunter22-secret');
  });

  it('renders each template on its own in partial mode; all or nothing otherwise', async () => {
    const src = new FakeSource({ 'secret/data/app': kv({ a: '1' }), 'database/creds/app': creds });
    const compiled = compileTemplates([
      { name: 'good', contents: '{{ with secret "secret/data/app" }}{{ .Data.data.a }}{{ end }}' },
      {
        name: 'gone',
        contents:
          '{{ with secret "secret/data/gone" }}{{ .Data.data.a }}{{ end }}{{ with secret "database/creds/app" }}{{ .Data.username }}{{ end }}',
      },
    ]);
    const deps = new Dependencies({ vault: src });
    await expect(renderTemplates(compiled, deps)).rejects.toThrow(/secret\/data\/gone" not found/);
    const r = await renderTemplates(compiled, new Dependencies({ vault: src }), { partial: true });
    expect(r.outputs.get('good')).toBe('1');
    expect(r.outputs.has('gone')).toBe(false);
    expect(r.failed.get('gone')?.message).toMatch(/secret\/data\/gone" not found/);
    // The failed template stopped before its second call: that dependency is not marked used.
    expect(r.used.has(JSON.stringify(['secret', 'database/creds/app']))).toBe(false);
  });

  it('reports a syntax error before any fetch', () => {
    expect(() => compileTemplates([{ name: 'x', contents: '{{ with secret "a" }}' }])).toThrow(
      AgentTemplateError,
    );
  });

  it('honours error_on_missing_key', async () => {
    const src = new FakeSource({ 'secret/data/app': kv({ a: '1' }) });
    const text = '{{ with secret "secret/data/app" }}{{ .Data.data.nope }}{{ end }}';
    const soft = compileTemplates([{ name: 'x', contents: text }]);
    expect((await renderTemplates(soft, new Dependencies({ vault: src }))).outputs.get('x')).toBe(
      '<no value>',
    );
    const strict = compileTemplates([{ name: 'x', contents: text, errorOnMissingKey: true }]);
    await expect(renderTemplates(strict, new Dependencies({ vault: src }))).rejects.toThrow(/nope/);
  });

  it('gives a store key as the dot in store mode', async () => {
    const src = new FakeSource({
      app: () => ({
        secret: {
          RequestID: '',
          LeaseID: '',
          LeaseDuration: 0,
          Renewable: false,
          Data: { password: 'x1', n: 3 },
          Warnings: [],
        },
      }),
    });
    const compiled = compileTemplates([
      { name: 'f', contents: '{{ .password }}/{{ .n }}', dataRef: { fn: 'secret', path: 'app', args: [] } },
    ]);
    expect((await renderTemplates(compiled, new Dependencies({ store: src }))).outputs.get('f')).toBe('x1/3');
  });

  it("renders Vault's default template", async () => {
    const src = new FakeSource({
      'secret/app': () => ({
        secret: {
          RequestID: '',
          LeaseID: '',
          LeaseDuration: 0,
          Renewable: false,
          Data: { b: '2', a: '1' },
          Warnings: [],
        },
      }),
    });
    const compiled = compileTemplates([{ name: 'f', contents: defaultTemplate('secret/app') }]);
    expect((await renderTemplates(compiled, new Dependencies({ vault: src }))).outputs.get('f')).toBe(
      'a: 1\nb: 2\n',
    );
  });
});

describe('leases', () => {
  it('renews at 2/3 of the lease, replaces a lease near its max TTL, revokes at the end', async () => {
    let now = 1_000_000;
    const src = new FakeSource({ 'database/creds/app': creds });
    const deps = new Dependencies({ vault: src }, () => now);
    const compiled = compileTemplates([
      { name: 'a', contents: '{{ with secret "database/creds/app" }}{{ .Data.username }}{{ end }}' },
      { name: 'b', contents: '{{ with secret "database/creds/app" }}{{ .Data.password }}{{ end }}' },
    ]);
    const first = await renderTemplates(compiled, deps);
    expect(first.outputs.get('a')).toBe(`u${serial}`);
    expect(src.calls).toHaveLength(1);
    expect(deps.nextDue()).toBe(now + 40_000);
    now += 40_000;
    expect(await deps.maintain()).toEqual({ renewed: ['database/creds/app'], replaced: [] });
    expect(src.renewals).toHaveLength(1);
    // Vault grants only 10 s more: the max TTL is near, the credentials are replaced.
    src.renewGrant = 10;
    now += 40_000;
    expect(await deps.maintain()).toEqual({ renewed: [], replaced: ['database/creds/app'] });
    const second = await renderTemplates(compiled, deps);
    expect(second.outputs.get('a')).not.toBe(first.outputs.get('a'));
    expect(src.calls).toHaveLength(2);
    expect(await deps.revokeAll()).toBe(1);
  });

  it('reads static values again only once marked stale', async () => {
    const src = new FakeSource({ 'secret/data/app': kv({ v: '1' }) });
    const deps = new Dependencies({ vault: src });
    const compiled = compileTemplates([
      { name: 'a', contents: '{{ with secret "secret/data/app" }}{{ .Data.data.v }}{{ end }}' },
    ]);
    await renderTemplates(compiled, deps);
    await renderTemplates(compiled, deps);
    expect(src.calls).toHaveLength(1);
    deps.markStaticStale();
    await renderTemplates(compiled, deps);
    expect(src.calls).toHaveLength(2);
  });
});

describe('dotenv', () => {
  it('parses KEY=VALUE with quotes, export and comments', () => {
    const env = parseDotenv('\n# c\nA=1\nexport B = two words \nC="x\\ny"\nD=\'$lit\'\n', 'f');
    expect([...env]).toEqual([
      ['A', '1'],
      ['B', 'two words'],
      ['C', 'x\ny'],
      ['D', '$lit'],
    ]);
  });

  it('names the line, never its text', () => {
    expect(() => parseDotenv('A=1\nsecret-value-here\n', 'config.env')).toThrow(DotenvError);
    expect(() => parseDotenv('A=1\nsecret-value-here\n', 'config.env')).toThrow(
      'config.env, line 2 is not KEY=VALUE',
    );
    try {
      parseDotenv('A=1\nsecret-value-here\n', 'config.env');
    } catch (e) {
      expect((e as Error).message).not.toContain('secret-value-here');
    }
  });

  it('round-trips values that need quotes', () => {
    const vars: [string, string][] = [
      ['A', 'plain'],
      ['B', 'has space "q" $x\nnew'],
    ];
    expect([...parseDotenv(formatDotenv(vars), 'x')]).toEqual(vars);
  });
});

describe('files', () => {
  it('writes all files with their modes, or none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agent-files-'));
    writeAll([
      { path: join(dir, 'a'), content: 'A', mode: 0o400 },
      { path: join(dir, 'sub', 'b'), content: 'B', mode: 0o440 },
    ]);
    expect(statSync(join(dir, 'a')).mode & 0o777).toBe(0o400);
    expect(statSync(join(dir, 'sub', 'b')).mode & 0o777).toBe(0o440);
    expect(readFileSync(join(dir, 'sub', 'b'), 'utf8')).toBe('B');
    // The second target's directory is a file: nothing of the set is written, no temp file stays.
    writeFileSync(join(dir, 'blocker'), '');
    expect(() =>
      writeAll([
        { path: join(dir, 'c'), content: 'C', mode: 0o400 },
        { path: join(dir, 'blocker', 'd'), content: 'D', mode: 0o400 },
      ]),
    ).toThrow(/blocker/);
    expect(readdirSync(dir).sort()).toEqual(['a', 'blocker', 'sub']);
  });

  it('parses modes', () => {
    expect(parseMode('0400')).toBe(0o400);
    expect(parseMode('440')).toBe(0o440);
    expect(parseMode('rw')).toBeUndefined();
  });
});

describe('config and commands', () => {
  it('checks the configuration', () => {
    expect(() => checkAgentConfig({ templates: [] })).toThrow(AgentConfigError);
    expect(() =>
      checkAgentConfig({
        vault: { server: 'https://v', auth: { tokenSecretRef: { name: 't', key: 'k' } } },
        templates: [{ name: '../x', contents: 'a' }],
      }),
    ).toThrow(/file name/);
    const c = checkAgentConfig({
      vault: { server: 'https://v', auth: { kubernetes: { role: 'app' } } },
      templates: [{ name: 'a', path: 'secret/data/a' }],
    });
    expect(c.secretsDir).toBe('/vault/secrets');
  });

  it('splits commands as a shell would, without one', () => {
    expect(splitWords(`kill -HUP 1`)).toEqual(['kill', '-HUP', '1']);
    expect(splitWords(`sh -c 'echo "a b"; exit 3' x\\ y`)).toEqual(['sh', '-c', 'echo "a b"; exit 3', 'x y']);
    expect(() => splitWords(`a 'b`)).toThrow(/quote/);
  });
});
