// Small helpers shared by the Secrets Manager and Parameter Store readers.

import type { ProviderContext, ValidationResult } from '../types.js';
import { awsError } from './errors.js';

type Handler = (args: { request: unknown }) => Promise<unknown>;
interface WithStack {
  middlewareStack?: { add(mw: (next: Handler) => Handler, opts: { step: 'build'; name: string }): void };
}

/**
 * The TLS rule on an SDK client: a request to an http:// endpoint (AWS_ENDPOINT_URL*, which the
 * operator's environment sets, never a store) is refused in the build step, before it is
 * signed or sent.
 */
export function requireTlsEndpoints<C>(client: C, ctx: Pick<ProviderContext, 'requireTls'>): C {
  (client as WithStack).middlewareStack?.add(
    (next) => async (args) => {
      const req = args.request as { protocol?: string; hostname?: string; port?: number } | undefined;
      if (req?.protocol === 'http:')
        ctx.requireTls(`http://${req.hostname ?? ''}${req.port ? `:${req.port}` : ''}`, 'the AWS endpoint');
      return next(args);
    },
    { step: 'build', name: 'syncretRequireTls' },
  );
  return client;
}

/** The store's prefix goes before every key; an ARN is already absolute. */
export function prefixed(prefix: string, key: string): string {
  if (!prefix || key.startsWith('arn:')) return key;
  return prefix + key;
}

/** AWS's tag list as a map, for matchesTags. */
export function tagMap(tags: { Key?: string; Value?: string }[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
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
    readonly api: Api,
    readonly prefix: string,
    readonly signal: AbortSignal,
    private readonly onAuthRejected: () => void,
    private readonly checkCredentials: () => Promise<void>,
  ) {}

  async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
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
