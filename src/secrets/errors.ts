// Failures while shaping provider data into Secret data. Messages name keys and
// properties, never values (nor parser errors, which can echo input).

export type SecretDataErrorReason =
  | 'PropertyNotFound'
  | 'NotJSON'
  | 'DecodeFailed'
  | 'InvalidKey'
  | 'TooLarge'
  | 'NullByte'
  | 'InvalidRegexp'
  | 'TemplateFailed'
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
  key: string;
  secretKey?: string;
}

export function describe(ctx: ValueContext): string {
  return ctx.secretKey ? `remote key "${ctx.key}" (secretKey "${ctx.secretKey}")` : `remote key "${ctx.key}"`;
}
