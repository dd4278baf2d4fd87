// Small helpers shared by the Secrets Manager and Parameter Store readers.

import { ProviderError } from '../errors.js';
import type { ValidationResult } from '../types.js';
import { awsError } from './errors.js';

/** The store's prefix goes before every key; an ARN is already absolute. */
export function prefixed(prefix: string, key: string): string {
  if (!prefix || key.startsWith('arn:')) return key;
  return prefix + key;
}

export function compileRegexp(source: string | undefined): RegExp | undefined {
  if (source === undefined || source === '') return undefined;
  try {
    return new RegExp(source);
  } catch {
    throw new ProviderError(
      'InvalidRequest',
      `find.name.regexp "${source}" is not a valid regular expression`,
    );
  }
}

/** Every wanted tag is present with exactly this value. */
export function matchesTags(
  have: { Key?: string; Value?: string }[] | undefined,
  want: Record<string, string>,
): boolean {
  const entries = Object.entries(want);
  if (entries.length === 0) return true;
  const m = new Map((have ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  return entries.every(([k, v]) => m.has(k) && m.get(k) === v);
}

export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * What both readers share: AWS errors become ProviderErrors naming the key (a rejected
 * credential drops the cached client), validation checks the credentials, close frees the SDK.
 */
export abstract class AwsReader<Api extends { destroy(): void }> {
  constructor(
    protected readonly api: Api,
    protected readonly prefix: string,
    protected readonly signal: AbortSignal,
    private readonly onAuthRejected: () => void,
    private readonly checkCredentials: () => Promise<void>,
  ) {}

  protected async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      const pe = awsError(e, what);
      if (pe.reason === 'AuthFailed') this.onAuthRejected();
      throw pe;
    }
  }

  async validate(): Promise<ValidationResult> {
    try {
      await this.checkCredentials();
      return { result: 'Valid' };
    } catch (e) {
      return { result: 'Error', message: awsError(e, 'the store credentials').message };
    }
  }

  async close(): Promise<void> {
    this.api.destroy();
  }
}
