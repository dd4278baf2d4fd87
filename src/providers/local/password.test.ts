import { describe, expect, it } from '@jest/globals';
import { ProviderError } from '../errors.js';
import {
  DEFAULT_SYMBOLS,
  base32,
  encodePassword,
  generatePassword,
  generatePasswords,
  passwordConfig,
} from './password.js';
import type { PasswordConfig } from './password.js';
import { cryptoRandom } from './random.js';
import { seededRandom } from './testing.js';

const dec = (b: Uint8Array | undefined) => new TextDecoder().decode(b);

function classes(p: string, symbols = DEFAULT_SYMBOLS) {
  const chars = [...p];
  return {
    lower: chars.filter((c) => /[a-z]/.test(c)).length,
    upper: chars.filter((c) => /[A-Z]/.test(c)).length,
    digits: chars.filter((c) => /[0-9]/.test(c)).length,
    symbols: chars.filter((c) => symbols.includes(c)).length,
  };
}

function config(spec: Parameters<typeof passwordConfig>[0]): PasswordConfig {
  const c = passwordConfig(spec);
  if (typeof c === 'string') throw new Error(c);
  return c;
}

describe('passwordConfig (ESO defaults)', () => {
  it('defaults to 24 characters, a quarter digits and a quarter symbols, raw, key "password"', () => {
    expect(config({})).toEqual({
      length: 24,
      digits: 6,
      symbols: 6,
      symbolCharacters: DEFAULT_SYMBOLS,
      noUpper: false,
      allowRepeat: false,
      encoding: 'raw',
      keys: ['password'],
    });
    // A length of 0 (ESO's zero value) is the default; a quarter of 10 rounds down.
    expect(config({ length: 0 }).length).toBe(24);
    expect(config({ length: 10 })).toMatchObject({ digits: 2, symbols: 2 });
    expect(config({ symbolCharacters: '' }).symbolCharacters).toBe(DEFAULT_SYMBOLS);
  });

  it('names what is wrong', () => {
    expect(passwordConfig({ length: 4, digits: 3, symbols: 2 })).toMatch(/add up to more than spec.length/);
    expect(passwordConfig({ digits: -1 })).toMatch(/must not be negative/);
    expect(passwordConfig({ secretKeys: ['a', 'a'] })).toMatch(/non-empty and unique/);
    expect(passwordConfig({ secretKeys: [''] })).toMatch(/non-empty and unique/);
    expect(passwordConfig({ length: 100_000 })).toMatch(/more than 65536/);
  });
});

describe('generatePassword', () => {
  it('has exactly the asked-for character classes, and no repeats by default', () => {
    const rnd = seededRandom(1);
    for (let i = 0; i < 200; i++) {
      const p = generatePassword(config({ length: 32, digits: 5, symbols: 7 }), rnd);
      expect(p).toHaveLength(32);
      const c = classes(p);
      expect(c.digits).toBe(5);
      expect(c.symbols).toBe(7);
      expect(c.lower + c.upper).toBe(20);
      expect(new Set(p).size).toBe(32);
    }
  });

  it('honours noUpper, symbolCharacters and allowRepeat', () => {
    const rnd = seededRandom(2);
    const noUpper = generatePassword(
      config({ length: 40, noUpper: true, digits: 0, symbols: 0, allowRepeat: true }),
      rnd,
    );
    expect(classes(noUpper).upper).toBe(0);
    const sym = generatePassword(
      config({ length: 12, digits: 0, symbols: 4, symbolCharacters: '-_', allowRepeat: true }),
      rnd,
    );
    expect([...sym].filter((c) => c === '-' || c === '_')).toHaveLength(4);
    expect(classes(sym, '-_').symbols).toBe(4);
    // 26 lower-case letters only and no repeats: 27 letters cannot be drawn.
    expect(() => generatePassword(config({ length: 27, noUpper: true, digits: 0, symbols: 0 }), rnd)).toThrow(
      /only 26 distinct/,
    );
    expect(() => generatePassword(config({ length: 12, digits: 11, symbols: 0 }), rnd)).toThrow(
      /only 10 distinct/,
    );
    // Repeats allowed: the classes may be larger than their alphabets.
    const many = generatePassword(config({ length: 50, digits: 30, symbols: 0, allowRepeat: true }), rnd);
    expect(classes(many).digits).toBe(30);
  });

  it('counts a symbol that is also a letter as used (one set for the whole password)', () => {
    const rnd = seededRandom(3);
    for (let i = 0; i < 50; i++) {
      const p = generatePassword(
        config({ length: 6, digits: 0, symbols: 3, symbolCharacters: 'abcdefg', noUpper: true }),
        rnd,
      );
      expect(new Set(p).size).toBe(6);
    }
  });

  it('is deterministic for a seeded source and places every class everywhere', () => {
    const a = generatePassword(config({}), seededRandom(7));
    const b = generatePassword(config({}), seededRandom(7));
    expect(a).toBe(b);
    // A uniform shuffle: over many passwords, digits show up in the first position too.
    const rnd = seededRandom(8);
    const firsts = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const first = generatePassword(config({ length: 8, digits: 4, symbols: 0 }), rnd)[0]!;
      firsts.add(/[0-9]/.test(first) ? 'digit' : 'letter');
    }
    expect(firsts).toEqual(new Set(['digit', 'letter']));
  });

  it('works per code point for multi-byte symbols', () => {
    const p = generatePassword(
      config({ length: 4, digits: 0, symbols: 2, symbolCharacters: '€£' }),
      seededRandom(4),
    );
    expect([...p].filter((c) => c === '€' || c === '£').sort()).toEqual(['£', '€']);
  });
});

describe('encodings and keys', () => {
  it('encodes as Go does', () => {
    expect(dec(encodePassword('hello?>', 'raw'))).toBe('hello?>');
    expect(dec(encodePassword('hello?>', 'base64'))).toBe('aGVsbG8/Pg==');
    expect(dec(encodePassword('hello?>', 'base64url'))).toBe('aGVsbG8_Pg==');
    expect(dec(encodePassword('hello', 'hex'))).toBe('68656c6c6f');
    expect(dec(encodePassword('hello', 'base32'))).toBe('NBSWY3DP');
    expect(base32(new TextEncoder().encode('f'))).toBe('MY======');
    expect(base32(new TextEncoder().encode('foobar'))).toBe('MZXW6YTBOI======');
  });

  it('gives every key its own password', () => {
    const out = generatePasswords({ secretKeys: ['a', 'b', 'c'], length: 16 }, cryptoRandom());
    expect(Object.keys(out)).toEqual(['a', 'b', 'c']);
    expect(new Set(Object.values(out).map(dec)).size).toBe(3);
    expect(() => generatePasswords({ digits: 30 }, cryptoRandom())).toThrow(ProviderError);
  });
});
