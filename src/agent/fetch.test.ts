import { describe, expect, it } from '@jest/globals';
import { ProviderError } from '../providers/errors.js';
import { Dependencies } from './deps.js';
import { parseDotenv } from './dotenv.js';
import {
  FetchSpecError,
  fetchItems,
  formatOutput,
  githubFileLines,
  maskCommands,
  parseSecretsSpec,
  secretFiles,
} from './fetch.js';
import type { DependencyRef, Fetched, Source } from './sources.js';

const answer = (Data: Record<string, unknown>): Fetched => ({
  secret: { RequestID: '', LeaseID: '', LeaseDuration: 0, Renewable: false, Data, Warnings: [] },
});

class Paths implements Source {
  readonly describe = 'fake';
  calls: string[] = [];
  constructor(private readonly data: Record<string, Record<string, unknown>>) {}
  async fetch(ref: DependencyRef): Promise<Fetched> {
    this.calls.push(ref.path);
    const d = this.data[ref.path];
    if (!d) throw new ProviderError('NotFound', `Vault secret "${ref.path}" not found`);
    return answer(d);
  }
  async close(): Promise<void> {}
}

describe('the secrets spec (vault-action syntax)', () => {
  it('reads PATH KEY [| NAME] entries split by ; and new lines', () => {
    expect(
      parseSecretsSpec('secret/data/app password | DB_PASSWORD ;\n secret/data/app api-key\nkv/x y|Y;'),
    ).toEqual([
      { path: 'secret/data/app', key: 'password', name: 'DB_PASSWORD' },
      { path: 'secret/data/app', key: 'api-key', name: 'API_KEY' },
      { path: 'kv/x', key: 'y', name: 'Y' },
    ]);
  });

  it('names the entry, never its text, when one is wrong', () => {
    expect(() => parseSecretsSpec('a b ; justone')).toThrow(/entry 2 is not "PATH KEY/);
    expect(() => parseSecretsSpec('a b | 9x')).toThrow(/"9x" is not a variable name/);
    expect(() => parseSecretsSpec('a b | X ; c d | X')).toThrow(/X is given twice/);
    expect(() => parseSecretsSpec('a * | 9')).toThrow(FetchSpecError);
    expect(() => parseSecretsSpec(' ; ')).toThrow(/no secrets/);
  });
});

describe('fetching', () => {
  it('reads each path once, KV v2 fields under data, other engines at the top', async () => {
    const src = new Paths({
      'secret/data/app': { data: { password: 'pw', port: 5432 }, metadata: { version: 3 } },
      'kv1/app': { token: 't' },
    });
    const vars = await fetchItems(
      parseSecretsSpec('secret/data/app password; secret/data/app port | P; kv1/app token'),
      new Dependencies({ vault: src }),
    );
    expect([...vars]).toEqual([
      ['PASSWORD', 'pw'],
      ['P', '5432'],
      ['TOKEN', 't'],
    ]);
    expect(src.calls.sort()).toEqual(['kv1/app', 'secret/data/app']);
  });

  it('fails on a missing key with the path and key', async () => {
    const src = new Paths({ 'kv1/app': { token: 't' } });
    await expect(
      fetchItems(parseSecretsSpec('kv1/app nope | N'), new Dependencies({ vault: src })),
    ).rejects.toThrow('"kv1/app" has no key "nope" (for N)');
  });
});

describe('every key (*)', () => {
  const src = () =>
    new Paths({
      'secret/data/app': { data: { password: 'pw', 'api-key': 'k', port: 5432 }, metadata: { version: 1 } },
      'kv1/odd': { '9lives': 'x' },
    });

  it('takes every field, named as its key in upper case after the prefix', async () => {
    expect(parseSecretsSpec('secret/data/app * ; secret/data/app * | APP_')).toEqual([
      { path: 'secret/data/app', key: '*', name: '' },
      { path: 'secret/data/app', key: '*', name: 'APP_' },
    ]);
    const vars = await fetchItems(
      parseSecretsSpec('secret/data/app * | APP_ ; secret/data/app password | DB'),
      new Dependencies({ vault: src() }),
    );
    expect([...vars]).toEqual([
      ['APP_PASSWORD', 'pw'],
      ['APP_API_KEY', 'k'],
      ['APP_PORT', '5432'],
      ['DB', 'pw'],
    ]);
  });

  it('refuses a name given twice through * and a key that makes no variable name', async () => {
    const deps = new Dependencies({ vault: src() });
    await expect(
      fetchItems(parseSecretsSpec('secret/data/app * ; secret/data/app password'), deps),
    ).rejects.toThrow('the name PASSWORD is given twice (secrets entry 2)');
    await expect(fetchItems(parseSecretsSpec('kv1/odd *'), deps)).rejects.toThrow(
      /entry 1 \("kv1\/odd" \*\): the key "9lives" gives no variable name/,
    );
  });
});

describe('outputs', () => {
  const vars = new Map([
    ['A', 'plain'],
    ['B', 'two\nlines %'],
  ]);

  it('masks every value and each of its lines, escaped as GitHub reads commands', () => {
    expect(maskCommands(vars.values())).toBe(
      '::add-mask::plain\n::add-mask::two%0Alines %25\n::add-mask::two\n::add-mask::lines %25\n',
    );
  });

  it('writes GitHub env lines whose delimiter no value contains', () => {
    const text = githubFileLines(vars);
    const m =
      /^A<<(ghadelimiter_[0-9a-f]+)\nplain\n\1\nB<<(ghadelimiter_[0-9a-f]+)\ntwo\nlines %\n\2\n$/.exec(text);
    expect(m).not.toBeNull();
  });

  it('gives Docker one file per value (0400) and one value alone', () => {
    expect(secretFiles('/run/s', vars)).toEqual([
      { path: '/run/s/A', mode: 0o400, content: 'plain' },
      { path: '/run/s/B', mode: 0o400, content: 'two\nlines %' },
    ]);
    expect(formatOutput('value', new Map([['A', 'x\n']]))).toBe('x\n');
  });

  it('writes dotenv that reads back, and JSON', () => {
    expect([...parseDotenv(formatOutput('dotenv', vars), 'x')]).toEqual([...vars]);
    expect(JSON.parse(formatOutput('json', vars))).toEqual({ A: 'plain', B: 'two\nlines %' });
  });
});
