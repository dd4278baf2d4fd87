import { describe, expect, it } from '@jest/globals';
import { SecretDataError } from './errors.js';
import { dataEntryValue, dataFromEntries } from './pipeline.js';
import { renderKeyTransform } from './templating.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (m: Record<string, Uint8Array>) =>
  Object.fromEntries(Object.entries(m).map(([k, v]) => [k, new TextDecoder().decode(v)]));
const transform = (t: string, k: string) => renderKeyTransform('t', t, k);

describe('dataFromEntries', () => {
  it('applies regexp and transform rewrites in order, then decodes', () => {
    const out = dataFromEntries(
      { 'app/db-user': enc('YXBw'), 'app/db-pass': enc('czNjcjN0') },
      {
        extract: { key: 'k', decodingStrategy: 'Base64' },
        rewrite: [
          { regexp: { source: '^app/', target: '' } },
          { transform: { template: '{{ .value | upper }}' } },
          { regexp: { source: '-', target: '_' } },
        ],
      },
      { key: 'k', where: 'dataFrom[0]' },
      { transform },
    );
    expect(dec(out)).toEqual({ DB_USER: 'app', DB_PASS: 's3cr3t' });
  });
  it('converts keys with conversionStrategy only when there is no rewrite, and refuses collisions', () => {
    const raw = { 'a/b': enc('1'), 'c é': enc('2') };
    expect(Object.keys(dataFromEntries(raw, { find: {} }, { key: '' }))).toEqual(['a_b', 'c_é']);
    expect(
      Object.keys(dataFromEntries(raw, { find: { conversionStrategy: 'Unicode' } }, { key: '' })),
    ).toEqual(['a_U002f_b', 'c_U0020_é']);
    expect(() =>
      dataFromEntries({ 'a/b': enc('1'), 'a b': enc('2') }, { find: {} }, { key: '', where: 'dataFrom[1]' }),
    ).toThrow('dataFrom[1]: keys collide after conversionStrategy Default: "a_b"');
    // A rewrite replaces the conversion: a key left invalid is refused, by name.
    expect(() =>
      dataFromEntries(raw, { find: {}, rewrite: [{ regexp: { source: 'x', target: 'y' } }] }, { key: '' }),
    ).toThrow('invalid keys "a/b", "c é"');
  });
  it('drops keys rewritten to empty, and fails on NUL bytes with nullBytePolicy Fail', () => {
    const out = dataFromEntries(
      { drop: enc('1'), keep: enc('2') },
      { extract: { key: 'k' }, rewrite: [{ regexp: { source: '^drop$', target: '' } }] },
      { key: 'k' },
    );
    expect(dec(out)).toEqual({ keep: '2' });
    const nul = new Uint8Array([115, 0, 116]);
    expect(() =>
      dataFromEntries({ bin: nul }, { extract: { key: 'k', nullBytePolicy: 'Fail' } }, { key: 'k' }),
    ).toThrow(SecretDataError);
    expect(dataFromEntries({ bin: nul }, { extract: { key: 'k' } }, { key: 'k' }).bin).toEqual(nul);
  });
  it('fails, naming the entry and a key, when the rewrites leave no key at all', () => {
    const entry = { extract: { key: 'k' }, rewrite: [{ regexp: { source: '.*', target: '' } }] };
    expect(() =>
      dataFromEntries({ user: enc('u'), pass: enc('p') }, entry, { key: 'k', where: 'dataFrom[2]' }),
    ).toThrow('dataFrom[2].rewrite turned every key into an empty one (e.g. "user")');
    // An entry that had no keys to begin with is just empty.
    expect(dataFromEntries({}, entry, { key: 'k' })).toEqual({});
  });
  it('rejects a transform when no renderer is given', () => {
    expect(() =>
      dataFromEntries(
        { a: enc('1') },
        { extract: { key: 'k' }, rewrite: [{ transform: { template: 'x' } }] },
        {
          key: 'k',
        },
      ),
    ).toThrow('transform is not supported');
  });
});

describe('dataEntryValue', () => {
  it('selects the property, decodes, then checks NUL bytes', () => {
    const v = { kind: 'bytes' as const, data: enc(JSON.stringify({ p: 'AHg=' })) };
    const ctx = { key: 'db', secretKey: 'x', where: 'data[0]' };
    expect(dataEntryValue(v, { key: 'db', property: 'p', decodingStrategy: 'Base64' }, ctx)).toEqual(
      new Uint8Array([0, 120]),
    );
    expect(() =>
      dataEntryValue(
        v,
        { key: 'db', property: 'p', decodingStrategy: 'Base64', nullBytePolicy: 'Fail' },
        ctx,
      ),
    ).toThrow('the value of remote key "db" (secretKey "x") in data[0] contains a NUL byte');
  });
});
