// Failures while shaping provider data into Secret data. Messages name keys, properties and
// patterns, never values: they end up in conditions, events and logs, which are readable by
// far more people than the Secret. Parser errors are never wrapped either, as they can echo
// the input they choked on.

export type SecretDataErrorReason =
  | 'PropertyNotFound'
  | 'KeyNotFound'
  | 'NotJSON'
  | 'DecodeFailed'
  | 'InvalidKey'
  | 'TooLarge'
  | 'NullByte'
  | 'InvalidRegexp'
  | 'TemplateFailed'
  /** The operator's pace for costly template functions was spent: retried within seconds. */
  | 'TemplatePaced'
  | 'TemplateSourceNotFound'
  | 'Unsupported';

export class SecretDataError extends Error {
  override readonly name = 'SecretDataError';
  constructor(
    readonly reason: SecretDataErrorReason,
    message: string,
  ) {
    super(message);
  }
}

/** Where a value came from, for messages. */
export interface ValueContext {
  /** The remote key; empty when there is no single one (find results). */
  key: string;
  /** The Secret key being produced, when known. */
  secretKey?: string;
  /** The spec entry, e.g. `dataFrom[1]`. */
  where?: string;
}

/** Quotes a user-supplied name for a message, bounded so a huge key cannot flood a condition. */
export function quoteName(name: string, max = 64): string {
  return JSON.stringify(name.length > max ? `${name.slice(0, max - 3)}...` : name);
}

/** `remote key "db" (secretKey "password") in data[0]`, from what is known. */
export function describeSource(ctx: ValueContext): string {
  let s = ctx.key ? `remote key ${quoteName(ctx.key, 256)}` : '';
  if (ctx.secretKey !== undefined) {
    const sk = `secretKey ${quoteName(ctx.secretKey, 256)}`;
    s = s ? `${s} (${sk})` : sk;
  }
  if (ctx.where) s = s ? `${s} in ${ctx.where}` : ctx.where;
  return s || 'a remote value';
}

/** Values shorter than this are not searched for: redacting "a" or "1" would garble every message. */
const MIN_REDACTED_LENGTH = 4;

/**
 * The message with every occurrence of the given secret values, as text and as base64,
 * replaced. For messages that may echo a value: a template's `fail`, an apiserver's answer
 * to a write. A value transformed beyond that (upper-cased, hashed) cannot be recognised.
 */
export function redactValues(message: string, values: Iterable<string>): string {
  let out = message;
  for (const v of values) {
    if (v.length < MIN_REDACTED_LENGTH) continue;
    for (const form of [v, Buffer.from(v, 'utf8').toString('base64')])
      if (out.includes(form)) out = out.split(form).join('[redacted]');
  }
  return out;
}
