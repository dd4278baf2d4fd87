// The per-entry steps between a provider's answer and the merged provider data, in ESO's order
// (pkg/controllers/externalsecret/externalsecret_controller_secret.go, ESO 2.9):
// - data[]:   property → decodingStrategy → nullBytePolicy;
// - dataFrom: rewrite[] (conversionStrategy only when there is no rewrite) → drop empty keys
//   → reject invalid keys → decodingStrategy → nullBytePolicy. Generators get neither
//   conversion nor decoding.

import type {
  ConversionStrategy,
  DecodingStrategy,
  ExternalSecretDataFrom,
  NullBytePolicy,
  RemoteRef,
} from '../api/types.js';
import type { RemoteValue } from '../providers/types.js';
import { checkNullBytes, convertKeys, decode } from './decode.js';
import { SecretDataError, quoteName } from './errors.js';
import type { ValueContext } from './errors.js';
import { selectProperty } from './property.js';
import { applyRewrites } from './rewrite.js';
import type { RewriteOptions } from './rewrite.js';

// ESO's ValidateKeys (runtime/esutils): Unicode letters and digits, '-', '.', '_', at most 253
// bytes. Looser than the apiserver (ASCII only), whose rule applies to the final Secret: a
// template may consume a key that could never be a Secret key itself.
const ESO_KEY = /^[\p{L}\p{N}._-]+$/u;

function checkDataFromKeys(keys: string[], where: string | undefined): void {
  const bad = keys.filter((k) => Buffer.byteLength(k) > 253 || !ESO_KEY.test(k));
  if (bad.length === 0) return;
  const shown = bad
    .slice(0, 5)
    .map((k) => quoteName(k))
    .join(', ');
  const more = bad.length > 5 ? ` and ${bad.length - 5} more` : '';
  throw new SecretDataError(
    'InvalidKey',
    `${where ? `${where}: ` : ''}invalid key${bad.length > 1 ? 's' : ''} ${shown}${more}: keys may hold only letters, digits, '-', '.' and '_' and be at most 253 bytes (use conversionStrategy or rewrite)`,
  );
}

/**
 * ESO drops keys that come out empty, so a rewrite to "" removes a key; one that removes every
 * key of the entry is a mistake (ESO would then report a Secret without this data as synced).
 */
function checkRewriteKeptKeys(raw: Record<string, Uint8Array>, where: string | undefined): void {
  const first = Object.keys(raw).find((k) => k !== '');
  if (first === undefined) return;
  throw new SecretDataError(
    'InvalidKey',
    `${where ? `${where}.` : ''}rewrite turned every key into an empty one (e.g. ${quoteName(first)}); an empty key cannot be written, so nothing of this entry would reach the Secret`,
  );
}

interface KeyOptions {
  conversionStrategy?: ConversionStrategy;
  decodingStrategy?: DecodingStrategy;
  nullBytePolicy?: NullBytePolicy;
}

/** The bytes of one `data[]` entry. ctx names the remote key, the secretKey and `data[i]`. */
export function dataEntryValue(value: RemoteValue, ref: RemoteRef, ctx: ValueContext): Uint8Array {
  const bytes = decode(selectProperty(value, ref.property || undefined, ctx), ref.decodingStrategy, ctx);
  checkNullBytes(bytes, ref.nullBytePolicy, ctx);
  return bytes;
}

/**
 * The entries of one `dataFrom[]` item, from its raw map (extractMap for extract, the found
 * secrets for find, a generator's output). ctx names the remote key (empty for find) and
 * `dataFrom[i]`; opts.transform renders rewrite transforms.
 */
export function dataFromEntries(
  raw: Record<string, Uint8Array>,
  entry: ExternalSecretDataFrom,
  ctx: ValueContext,
  opts: Omit<RewriteOptions, 'where'> = {},
): Record<string, Uint8Array> {
  const ref: KeyOptions | undefined = entry.extract ?? entry.find;
  const rewrites = entry.rewrite ?? [];
  let map = raw;
  if (rewrites.length > 0) map = applyRewrites(raw, rewrites, { ...opts, where: ctx.where });
  else if (ref) map = convertKeys(raw, ref.conversionStrategy, ctx);

  const keys = Object.keys(map).filter((k) => k !== '');
  // Only keys that came out empty (a merge of empty objects yields no keys at all, as in ESO).
  if (keys.length === 0 && rewrites.length > 0 && Object.keys(map).length > 0)
    checkRewriteKeptKeys(raw, ctx.where);
  checkDataFromKeys(keys, ctx.where);
  if (!ref?.decodingStrategy && ref?.nullBytePolicy !== 'Fail' && keys.length === Object.keys(map).length) {
    return map;
  }
  const out = Object.create(null) as Record<string, Uint8Array>;
  for (const k of keys) {
    const kctx = { ...ctx, secretKey: k };
    const bytes = decode(map[k]!, ref?.decodingStrategy, kctx);
    checkNullBytes(bytes, ref?.nullBytePolicy, kctx);
    out[k] = bytes;
  }
  return out;
}
