import { describe, expect, it } from '@jest/globals';
import { ProviderError } from '../errors.js';
import type { ProviderContext } from '../types.js';
import { decodeBase32, generateMfa, hotp, totp } from './mfa.js';
import { base32 } from './password.js';

const ascii = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined) => new TextDecoder().decode(b);

// RFC 6238 appendix B: 8-digit tokens, 30 s steps, the seeds "1234567890" repeated.
const SHA1_KEY = ascii('12345678901234567890');
const SHA256_KEY = ascii('12345678901234567890123456789012');
const SHA512_KEY = ascii('1234567890123456789012345678901234567890123456789012345678901234');
const VECTORS: [number, string, string, string][] = [
  [59, '94287082', '46119246', '90693936'],
  [1111111109, '07081804', '68084774', '25091201'],
  [1111111111, '14050471', '67062674', '99943326'],
  [1234567890, '89005924', '91819424', '93441116'],
  [2000000000, '69279037', '90698825', '38618901'],
  [20000000000, '65353130', '77737706', '47863826'],
];

describe('TOTP (RFC 6238)', () => {
  it.each(VECTORS)('at %d: SHA-1 %s, SHA-256 %s, SHA-512 %s', (t, s1, s256, s512) => {
    expect(totp(SHA1_KEY, t, { digits: 8 }).token).toBe(s1);
    expect(totp(SHA256_KEY, t, { digits: 8, algorithm: 'sha256' }).token).toBe(s256);
    expect(totp(SHA512_KEY, t, { digits: 8, algorithm: 'sha512' }).token).toBe(s512);
  });

  it('counts the seconds left in the step', () => {
    expect(totp(SHA1_KEY, 59).timeLeft).toBe(1);
    expect(totp(SHA1_KEY, 60).timeLeft).toBe(30);
    expect(totp(SHA1_KEY, 61, { period: 60 }).timeLeft).toBe(59);
  });

  it('takes the last digits, and the whole 31-bit value from 10 digits on (as ESO)', () => {
    // RFC 4226 appendix D: counter 0 of the SHA-1 seed has the value 1284755224.
    expect(hotp(SHA1_KEY, 0, 6)).toBe('755224');
    expect(hotp(SHA1_KEY, 0, 10)).toBe('1284755224');
    expect(hotp(SHA1_KEY, 0, 12)).toBe('001284755224');
  });
});

describe('base32 seeds', () => {
  it('decodes unpadded (and padded) RFC 4648 base32 and refuses the rest', () => {
    const seed = base32(SHA1_KEY);
    expect(seed).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    expect(decodeBase32(seed)).toEqual(SHA1_KEY);
    expect(decodeBase32('MZXW6YTBOI')).toEqual(ascii('foobar'));
    expect(decodeBase32('MZXW6YTBOI======')).toEqual(ascii('foobar'));
    expect(decodeBase32('MZXW6YTBO')).toBeUndefined();
    expect(decodeBase32('mzxw6ytboi')).toBeUndefined();
    expect(decodeBase32('MZXW1YTB')).toBeUndefined();
  });
});

function ctx(seed: string, seen: string[] = []): ProviderContext {
  return {
    signal: new AbortController().signal,
    requireTls: () => undefined,
    readSecretKey: async (sel, what) => {
      seen.push(`${what} ${sel.name}/${sel.key}`);
      return ascii(seed);
    },
    readConfigMapKey: async () => '',
    requestServiceAccountToken: async () => '',
    readServiceAccountAnnotations: async () => ({}),
  };
}

describe('generateMfa', () => {
  const secret = { name: 'seed', key: 'totp' };

  it('reads the seed, cleans it as ESO does and gives token and timeLeft', async () => {
    const seen: string[] = [];
    // Lower case and spaces, as authenticator apps show seeds.
    const messy = 'gezd gnbv gy3t qojq gezd gnbv gy3t qojq';
    const out = await generateMfa({ secret, length: 8 }, ctx(messy, seen), 59_000);
    expect(seen).toEqual(['spec.secret seed/totp']);
    expect(dec(out.token)).toBe('94287082');
    expect(dec(out.timeLeft)).toBe('1');
    const sixDigits = await generateMfa({ secret }, ctx(base32(SHA1_KEY)), 59_000);
    expect(dec(sixDigits.token)).toBe('287082');
  });

  it('pins the time with spec.when, and uses SHA-1 whatever spec.algorithm says (as ESO 2.9)', async () => {
    const out = await generateMfa(
      { secret, length: 8, when: '2005-03-18T01:58:29Z', algorithm: 'sha512' },
      ctx(base32(SHA1_KEY)),
      0,
    );
    expect(dec(out.token)).toBe('07081804');
    expect(dec(out.timeLeft)).toBe('1');
  });

  it('fails without echoing the seed', async () => {
    const err = await generateMfa({ secret }, ctx('not base32!'), 0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as Error).message).not.toContain('not base32!');
    await expect(generateMfa({ secret, length: 100 }, ctx(base32(SHA1_KEY)), 0)).rejects.toThrow(
      /more than 64/,
    );
  });
});
