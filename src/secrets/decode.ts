// decodingStrategy, conversionStrategy and nullBytePolicy, with ESO's semantics: Base64 and
// Base64URL are strict (padded, no stray characters); Auto tries both and keeps the raw
// value when neither applies.

import type { ConversionStrategy, DecodingStrategy, NullBytePolicy } from '../api/types.js';
import { SecretDataError, describe } from './errors.js';
import type { ValueContext } from './errors.js';

const STD = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const URL = /^(?:[A-Za-z0-9\-_]{4})*(?:[A-Za-z0-9\-_]{2}==|[A-Za-z0-9\-_]{3}=)?$/;
const latin = new TextDecoder('latin1');

function strict(bytes: Uint8Array, re: RegExp, encoding: 'base64' | 'base64url'): Uint8Array | undefined {
  // Go's decoders skip CR and LF; so do we, to match values users pasted with line breaks.
  const text = latin.decode(bytes).replace(/[\r\n]/g, '');
  if (!re.test(text)) return undefined;
  return new Uint8Array(Buffer.from(text, encoding));
}

export function decode(
  bytes: Uint8Array,
  strategy: DecodingStrategy | undefined,
  ctx: ValueContext,
): Uint8Array {
  switch (strategy ?? 'None') {
    case 'None':
      return bytes;
    case 'Base64': {
      const out = strict(bytes, STD, 'base64');
      if (!out)
        throw new SecretDataError(
          'DecodeFailed',
          `the value of ${describe(ctx)} is not valid base64 (decodingStrategy Base64)`,
        );
      return out;
    }
    case 'Base64URL': {
      const out = strict(bytes, URL, 'base64url');
      if (!out)
        throw new SecretDataError(
          'DecodeFailed',
          `the value of ${describe(ctx)} is not valid base64url (decodingStrategy Base64URL)`,
        );
      return out;
    }
    case 'Auto':
      return strict(bytes, STD, 'base64') ?? strict(bytes, URL, 'base64url') ?? bytes;
    default:
      throw new SecretDataError('Unsupported', `decodingStrategy "${String(strategy)}" is not supported`);
  }
}

const ALLOWED = /^[\p{L}\p{N}._-]$/u;

/**
 * conversionStrategy for keys that come from the provider (extract, find): Default replaces
 * characters a Secret key cannot hold with "_", Unicode with "_U<hex4>_".
 */
export function convertKey(key: string, strategy: ConversionStrategy | undefined): string {
  let out = '';
  for (const ch of key) {
    if (ALLOWED.test(ch)) out += ch;
    else if (strategy === 'Unicode') out += `_U${ch.codePointAt(0)!.toString(16).padStart(4, '0')}_`;
    else out += '_';
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
      `the value of ${describe(ctx)} contains a NUL byte (nullBytePolicy Fail)`,
    );
  }
}
