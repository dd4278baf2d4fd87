// decodingStrategy, conversionStrategy and nullBytePolicy with ESO's semantics (runtime/decoding
// and runtime/esutils in ESO 2.9):
// - Base64 and Base64URL are Go's padded StdEncoding and URLEncoding: padding required, no
//   stray characters, CR and LF ignored anywhere;
// - Auto tries Base64, then Base64URL, and keeps the value as is when neither decodes. Like
//   ESO it cannot tell a base64-looking plain value ("password") from an encoded one.

import type { ConversionStrategy, DecodingStrategy, NullBytePolicy } from '../api/types.js';
import { SecretDataError, describeSource, quoteName } from './errors.js';
import type { ValueContext } from './errors.js';

const STD = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const URL_SAFE = /^(?:[A-Za-z0-9\-_]{4})*(?:[A-Za-z0-9\-_]{2}==|[A-Za-z0-9\-_]{3}=)?$/;
const CR = 0x0d;
const LF = 0x0a;

function asText(bytes: Uint8Array): string {
  // latin1 maps each byte to one char, so any non-ASCII byte fails the alphabet check.
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  return bytes.includes(LF) || bytes.includes(CR) ? text.replace(/[\r\n]/g, '') : text;
}

function strictDecode(
  text: string,
  alphabet: RegExp,
  encoding: 'base64' | 'base64url',
): Uint8Array | undefined {
  // Node's decoder is lenient (skips junk, accepts missing padding); the check makes it Go's.
  return alphabet.test(text) ? Buffer.from(text, encoding) : undefined;
}

function decodeFailed(ctx: ValueContext, what: string, strategy: string): SecretDataError {
  return new SecretDataError(
    'DecodeFailed',
    `the value of ${describeSource(ctx)} is not valid ${what} (decodingStrategy ${strategy})`,
  );
}

export function decode(
  bytes: Uint8Array,
  strategy: DecodingStrategy | undefined,
  ctx: ValueContext,
): Uint8Array {
  switch (strategy) {
    case undefined:
    case 'None':
      return bytes;
    case 'Base64':
      return strictDecode(asText(bytes), STD, 'base64') ?? throwError(decodeFailed(ctx, 'base64', strategy));
    case 'Base64URL':
      return (
        strictDecode(asText(bytes), URL_SAFE, 'base64url') ??
        throwError(decodeFailed(ctx, 'base64url', strategy))
      );
    case 'Auto': {
      const text = asText(bytes);
      return strictDecode(text, STD, 'base64') ?? strictDecode(text, URL_SAFE, 'base64url') ?? bytes;
    }
    default:
      throw new SecretDataError(
        'Unsupported',
        `decodingStrategy ${quoteName(String(strategy))} is not supported (${describeSource(ctx)})`,
      );
  }
}

function throwError(e: Error): never {
  throw e;
}

const KEY_CHAR = /^[\p{L}\p{N}._-]$/u;

/**
 * One key under conversionStrategy: characters other than letters, digits, '-', '.' and '_'
 * (Unicode classes, as Go's unicode.IsLetter/IsNumber) become '_' (Default, also when unset)
 * or `_U%04x_` of the code point (Unicode: lower-case hex, at least 4 digits).
 */
export function convertKey(key: string, strategy: ConversionStrategy | undefined): string {
  let out = '';
  let changed = false;
  for (const ch of key) {
    if (KEY_CHAR.test(ch)) {
      out += ch;
      continue;
    }
    if (strategy === undefined || strategy === 'Default') out += '_';
    else if (strategy === 'Unicode') out += `_U${ch.codePointAt(0)!.toString(16).padStart(4, '0')}_`;
    else out += ch; // ESO keeps characters under a strategy it does not know
    changed = true;
  }
  return changed ? out : key;
}

/** conversionStrategy over a map; two keys converting to the same one is an error, as in ESO. */
export function convertKeys<T>(
  map: Record<string, T>,
  strategy: ConversionStrategy | undefined,
  ctx?: Pick<ValueContext, 'where'>,
): Record<string, T> {
  const out = Object.create(null) as Record<string, T>;
  for (const k of Object.keys(map)) {
    const converted = convertKey(k, strategy);
    if (Object.hasOwn(out, converted)) {
      const where = ctx?.where ? `${ctx.where}: ` : '';
      throw new SecretDataError(
        'InvalidKey',
        `${where}keys collide after conversionStrategy ${strategy ?? 'Default'}: ${quoteName(converted)}`,
      );
    }
    out[converted] = map[k]!;
  }
  return out;
}

export function checkNullBytes(
  bytes: Uint8Array,
  policy: NullBytePolicy | undefined,
  ctx: ValueContext,
): void {
  if (policy === 'Fail' && bytes.includes(0)) {
    throw new SecretDataError(
      'NullByte',
      `the value of ${describeSource(ctx)} contains a NUL byte (nullBytePolicy Fail); use a text-safe encoding such as base64, or leave nullBytePolicy unset for binary data`,
    );
  }
}
