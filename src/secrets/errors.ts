// Failures while shaping provider data into Secret data. Messages name keys, properties and
// patterns, never values: they end up in conditions, events and logs, which are readable by
// far more people than the Secret. Parser errors are never wrapped either, as they can echo
// the input they choked on.

export type SecretDataErrorReason =
  | 'PropertyNotFound'
  | 'NotJSON'
  | 'DecodeFailed'
  | 'InvalidKey'
  | 'TooLarge'
  | 'NullByte'
  | 'InvalidRegexp'
  | 'TemplateFailed'
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
