import { describe, expect, it } from '@jest/globals';
import { SecretDataError } from './errors.js';
import { extractMap, selectProperty } from './property.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const SECRET = 's3cr3t-VALUE-xyz';
const ctx = { key: 'db/creds', secretKey: 'password' };

describe('selectProperty', () => {
  it('returns bytes as is, and a map as sorted JSON, without a property', () => {
    expect(dec(selectProperty({ kind: 'bytes', data: enc('raw') }, undefined, ctx))).toBe('raw');
    expect(dec(selectProperty({ kind: 'map', data: { b: 1, a: enc('x') } }, '', ctx))).toBe(
      '{"a":"x","b":1}',
    );
  });
  it('prefers an exact key containing dots, then walks a dotted path', () => {
    const v = {
      kind: 'bytes' as const,
      data: enc(
        JSON.stringify({ 'a.b': 'exact', a: { b: 'nested', n: 3, t: true, o: { z: 1 } }, arr: ['x', 'y'] }),
      ),
    };
    expect(dec(selectProperty(v, 'a.b', ctx))).toBe('exact');
    expect(dec(selectProperty(v, 'a.n', ctx))).toBe('3');
    expect(dec(selectProperty(v, 'a.t', ctx))).toBe('true');
    expect(dec(selectProperty(v, 'a.o', ctx))).toBe('{"z":1}');
    expect(dec(selectProperty(v, 'arr.1', ctx))).toBe('y');
  });
  it('finds exact keys a provider adds as hidden aliases (gcpsm metadata); the whole map omits them', () => {
    const data: Record<string, unknown> = {
      annotations: { 'example.com/owner': 'ops' },
      labels: { team: 'a' },
    };
    Object.defineProperty(data, 'annotations.example.com/owner', { value: 'ops', enumerable: false });
    Object.defineProperty(data, 'labels.team', { value: 'a', enumerable: false });
    const v = { kind: 'map' as const, data };
    expect(dec(selectProperty(v, 'annotations.example.com/owner', ctx))).toBe('ops');
    expect(dec(selectProperty(v, 'labels.team', ctx))).toBe('a');
    expect(JSON.parse(dec(selectProperty(v, 'labels', ctx)))).toEqual({ team: 'a' });
    expect(JSON.parse(dec(selectProperty(v, undefined, ctx)))).toEqual({
      annotations: { 'example.com/owner': 'ops' },
      labels: { team: 'a' },
    });
  });
  it('reads map values (Kubernetes Secret data) as raw bytes', () => {
    expect(dec(selectProperty({ kind: 'map', data: { password: enc(SECRET) } }, 'password', ctx))).toBe(
      SECRET,
    );
  });
  it('names key and property on failure, never the value', () => {
    const v = { kind: 'bytes' as const, data: enc(JSON.stringify({ user: SECRET })) };
    expect(() => selectProperty(v, 'pass', ctx)).toThrow(
      'property "pass" not found in remote key "db/creds" (secretKey "password")',
    );
    const notJson = { kind: 'bytes' as const, data: enc(SECRET) };
    try {
      selectProperty(notJson, 'x', ctx);
      throw new Error('expected a failure');
    } catch (e) {
      expect(e).toBeInstanceOf(SecretDataError);
      expect((e as SecretDataError).reason).toBe('NotJSON');
      expect((e as Error).message).not.toContain(SECRET);
    }
  });
});

describe('extractMap', () => {
  it('turns top-level keys into entries; nested values become JSON; null is empty (ESO)', () => {
    const out = extractMap(
      { kind: 'bytes', data: enc(JSON.stringify({ a: 'x', b: { c: 1 }, n: null, num: 2 })) },
      ctx,
    );
    expect(Object.fromEntries(Object.entries(out).map(([k, v]) => [k, dec(v)]))).toEqual({
      a: 'x',
      b: '{"c":1}',
      n: '',
      num: '2',
    });
  });
  it('says a deeply nested document is too deep, not that it is not JSON', () => {
    const deep = enc(`${'['.repeat(20_000)}${']'.repeat(20_000)}`);
    expect(() => extractMap({ kind: 'bytes', data: deep }, ctx)).toThrow(
      'the value of remote key "db/creds" (secretKey "password") is JSON nested deeper than 1000 levels',
    );
    expect(() => selectProperty({ kind: 'bytes', data: deep }, 'a', ctx)).toThrow('nested deeper than 1000');
    // Brackets inside strings do not count; 1,000 levels are fine.
    const text = enc(JSON.stringify({ a: '['.repeat(20_000) }));
    expect(dec(selectProperty({ kind: 'bytes', data: text }, 'a', ctx)).length).toBe(20_000);
    const ok = enc(`${'['.repeat(999)}{"a":1}${']'.repeat(999)}`);
    expect(dec(selectProperty({ kind: 'bytes', data: ok }, '0', ctx))).toMatch(/^\[+\{"a":1\}\]+$/);
    expect(() => extractMap({ kind: 'bytes', data: enc('{"a": nope}') }, ctx)).toThrow('is not JSON');
    // A provider's map deeper than the stack: a clear reason, not a crash.
    let nested: unknown = 1;
    for (let i = 0; i < 50_000; i++) nested = [nested];
    expect(() => selectProperty({ kind: 'map', data: { a: nested } }, 'a', ctx)).toThrow(
      'nested deeper than 1000',
    );
  });
  it('rejects a value that is not a JSON object, without echoing it', () => {
    expect(() => extractMap({ kind: 'bytes', data: enc(`[${JSON.stringify(SECRET)}]`) }, ctx)).toThrow(
      'is not a JSON object',
    );
    expect(() => extractMap({ kind: 'bytes', data: enc(SECRET) }, ctx)).not.toThrow(SECRET);
  });
});
