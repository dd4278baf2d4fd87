import { describe, expect, it } from '@jest/globals';
import { SecretDataError } from './errors.js';
import { dataFromEntries } from './pipeline.js';

const enc = (s: string) => new TextEncoder().encode(s);
const text = (m: Record<string, Uint8Array>) =>
  Object.fromEntries(Object.entries(m).map(([k, v]) => [k, new TextDecoder().decode(v)]));
const merge = (raw: Record<string, string>, op: object) =>
  text(
    dataFromEntries(
      Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, enc(v)])),
      { find: {}, rewrite: [{ merge: op }] },
      { key: '', where: 'dataFrom[0]' },
    ),
  );

describe('rewrite merge (ESO RewriteMerge)', () => {
  const input = { app: '{"user":"app","port":5432}', db: '{"host":"db.local","opts":{"ssl":true}}' };

  it('Extract (default): the merged fields become the keys, values as ESO renders them', () => {
    expect(merge(input, {})).toEqual({
      user: 'app',
      port: '5432',
      host: 'db.local',
      opts: '{"ssl":true}',
    });
  });
  it('JSON: keeps the keys and writes the merged object, sorted, unescaped HTML, to into', () => {
    const out = merge(
      { a: '{"x":"<b>&","n":1.50}', b: '{"y":[1,2],"z":null}' },
      { strategy: 'JSON', into: 'all' },
    );
    expect(out).toEqual({
      a: '{"x":"<b>&","n":1.50}',
      b: '{"y":[1,2],"z":null}',
      all: '{"n":1.5,"x":"<b>&","y":[1,2],"z":null}',
    });
  });
  it('renders nested objects as encoding/json.Marshal (HTML escaped) and numbers as float64', () => {
    expect(merge({ a: '{"o":{"h":"<x>"},"big":12345678901234567890,"f":1e21,"s":0.000001}' }, {})).toEqual({
      o: '{"h":"\\u003cx\\u003e"}',
      big: '12345678901234567000',
      f: '1000000000000000000000',
      s: '0.000001',
    });
  });
  it('fails on a conflict unless conflictPolicy Ignore, where the later (priority) value wins', () => {
    const both = { a: '{"k":"from-a"}', b: '{"k":"from-b"}' };
    expect(() => merge(both, {})).toThrow(
      'dataFrom[0].rewrite[0].merge: fields found in more than one value: "k"',
    );
    expect(merge(both, { conflictPolicy: 'Ignore' })).toEqual({ k: 'from-b' });
    expect(merge(both, { conflictPolicy: 'Ignore', priority: ['a'] })).toEqual({ k: 'from-a' });
  });
  it('requires priority keys unless priorityPolicy IgnoreNotFound', () => {
    expect(() => merge(input, { priority: ['nope'] })).toThrow('priority key "nope" is not among the keys');
    expect(merge(input, { priority: ['nope'], priorityPolicy: 'IgnoreNotFound' })).toHaveProperty(
      'user',
      'app',
    );
  });
  it('refuses values that are not JSON objects without quoting them, and skips null', () => {
    expect(() => merge({ a: 'hunter2' }, {})).toThrow(SecretDataError);
    expect(() => merge({ a: 'hunter2' }, {})).toThrow('the value of key "a" is not a JSON object');
    expect(() => merge({ a: '[1]' }, {})).toThrow('not a JSON object');
    expect(merge({ a: 'null', b: '{"x":"1"}' }, {})).toEqual({ x: '1' });
  });
  it('JSON without into fails with a message', () => {
    expect(() => merge(input, { strategy: 'JSON' })).toThrow('strategy JSON needs into');
  });
  it('runs in order with the other rewrites', () => {
    const out = dataFromEntries(
      { 'a/b': enc('{"user":"u"}') },
      { find: {}, rewrite: [{ merge: {} }, { regexp: { source: '^', target: 'DB_' } }] },
      { key: '', where: 'dataFrom[0]' },
    );
    expect(text(out)).toEqual({ DB_user: 'u' });
  });
  it('merging empty objects yields no keys (not an empty-key error)', () => {
    expect(merge({ a: '{}' }, {})).toEqual({});
  });
});
