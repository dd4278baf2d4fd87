// The MFA generator: an RFC 6238 TOTP token from a base32 seed held in a Secret, with ESO's
// outputs `token` and `timeLeft` (seconds until the token changes).
//
// As ESO 2.9's code (generators/v1/mfa): spaces are removed from the seed and it is upper-cased;
// the token is HMAC-SHA-1 whatever spec.algorithm says (ESO parses the field but never passes
// it on; its docs suggest otherwise); a length of 10 or more yields the whole 31-bit value,
// zero-padded. Unlike ESO, trailing '=' padding of the seed is accepted.

import { createHmac } from 'node:crypto';
import type { MFASpec } from '../../api/generators/local.js';
import { ProviderError } from '../errors.js';
import type { ProviderContext } from '../types.js';

export const DEFAULT_DIGITS = 6;
export const DEFAULT_PERIOD = 30;
export const MAX_DIGITS = 64;

export type TotpAlgorithm = 'sha1' | 'sha256' | 'sha512';

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Unpadded RFC 4648 base32 (Go's StdEncoding.WithPadding(NoPadding)); undefined when invalid. */
export function decodeBase32(text: string): Uint8Array | undefined {
  const s = text.replace(/[\r\n]/g, '').replace(/=+$/, '');
  // A final group of 1, 3 or 6 characters cannot end on a byte boundary.
  if ([1, 3, 6].includes(s.length % 8)) return undefined;
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const c of s) {
    const v = B32.indexOf(c);
    if (v < 0) return undefined;
    value = ((value << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return new Uint8Array(out);
}

/** RFC 4226 HOTP of `counter`, `digits` long. */
export function hotp(
  key: Uint8Array,
  counter: number,
  digits: number,
  algorithm: TotpAlgorithm = 'sha1',
): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const sum = createHmac(algorithm, key).update(msg).digest();
  const offset = sum[sum.length - 1]! & 0xf;
  const value =
    ((sum[offset]! & 0x7f) << 24) | (sum[offset + 1]! << 16) | (sum[offset + 2]! << 8) | sum[offset + 3]!;
  // ESO computes value % 10^digits; 10^10 and more exceed the 31-bit value.
  const code = digits < 10 ? value % 10 ** digits : value;
  return String(code).padStart(digits, '0');
}

/** The TOTP token at `unixSeconds` and the seconds it has left. */
export function totp(
  key: Uint8Array,
  unixSeconds: number,
  opts: { digits?: number; period?: number; algorithm?: TotpAlgorithm } = {},
): { token: string; timeLeft: number } {
  const period = opts.period ?? DEFAULT_PERIOD;
  const t = Math.floor(unixSeconds);
  return {
    token: hotp(key, Math.floor(t / period), opts.digits ?? DEFAULT_DIGITS, opts.algorithm),
    timeLeft: period - (t % period),
  };
}

export async function generateMfa(
  spec: MFASpec,
  ctx: ProviderContext,
  now: number,
): Promise<Record<string, Uint8Array>> {
  const digits = spec.length !== undefined && spec.length > 0 ? spec.length : DEFAULT_DIGITS;
  const period = spec.timePeriod !== undefined && spec.timePeriod > 0 ? spec.timePeriod : DEFAULT_PERIOD;
  if (digits > MAX_DIGITS)
    throw new ProviderError('InvalidProviderConfig', `spec.length ${digits} is more than ${MAX_DIGITS}`);
  const when = spec.when ? Date.parse(spec.when) : now;
  if (!Number.isFinite(when))
    throw new ProviderError('InvalidProviderConfig', `spec.when "${spec.when}" is not a time`);
  const seed = await ctx.readSecretKey(spec.secret ?? {}, 'spec.secret');
  const key = decodeBase32(Buffer.from(seed).toString('utf8').replace(/ /g, '').toUpperCase());
  // The seed is a credential: the message says what is wrong, never what it holds.
  if (!key) throw new ProviderError('InvalidProviderConfig', 'spec.secret: the seed is not valid base32');
  const { token, timeLeft } = totp(key, when / 1000, { digits, period });
  const enc = new TextEncoder();
  return { token: enc.encode(token), timeLeft: enc.encode(String(timeLeft)) };
}
