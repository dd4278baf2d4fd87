// The request core: one attempt over undici (rate limit, credentials, send, read the body) and
// the loop that retries it. Everything a KubeClient verb does goes through Requester.call.

import { sleep } from '../runtime/time/sleep.js';
import type { TokenBucket } from './ratelimit.js';
import type { RetryPolicy } from './retry.js';
import { errorCode, errorText, headerValue, statusError } from './status.js';
import type { Transport } from './transport.js';
import { KubeApiError } from './types.js';
import type { KubeLogger } from './types.js';

export type KubeVerb = 'get' | 'list' | 'watch' | 'create' | 'apply' | 'patch' | 'update' | 'delete';

/** One HTTP attempt (retries are reported separately), for metrics. */
export interface KubeRequestInfo {
  verb: KubeVerb;
  /** Plural resource, with '/subresource' when there is one (e.g. 'externalsecrets/status'). */
  resource: string;
  /** HTTP status; 0 when there was no answer (network error, timeout). */
  code: number;
  /** Until the full body was read; for watches, until the response headers arrived. */
  seconds: number;
}

export interface CallSpec {
  verb: KubeVerb;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  resource: string;
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  /** Repeating it after an unknown outcome is harmless. */
  idempotent: boolean;
}

interface Answer {
  status: number;
  text: string;
  retryAfter: string | undefined;
}

/** undici's headersTimeout / bodyTimeout: the apiserver took the request and went silent. */
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

export interface RequesterOptions {
  transport: Transport;
  limiter: TokenBucket;
  retry: RetryPolicy;
  /** Per attempt: the longest wait for the headers, and for each next part of the body. */
  timeoutMs: number;
  userAgent: string;
  onRequest?: (info: KubeRequestInfo) => void;
  logger?: KubeLogger;
}

/** Waits, then fails with the caller's abort reason if the caller gave up meanwhile. */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  await sleep(ms, signal);
  signal?.throwIfAborted();
}

export class Requester {
  constructor(readonly o: RequesterOptions) {}

  get transport(): Transport {
    return this.o.transport;
  }

  /** The same transport, settings and metrics with another rate limit. */
  withLimiter(limiter: TokenBucket): Requester {
    return new Requester({ ...this.o, limiter });
  }

  /** Origin-relative path with the server's path prefix and the query (empty values left out). */
  fullPath(path: string, query?: CallSpec['query']): string {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {}))
      if (v !== undefined && v !== '') qs.append(k, String(v));
    const s = qs.toString();
    return `${this.o.transport.basePath}${path}${s ? `?${s}` : ''}`;
  }

  async headers(contentType?: string): Promise<Record<string, string>> {
    const h: Record<string, string> = { accept: 'application/json', 'user-agent': this.o.userAgent };
    if (contentType) h['content-type'] = contentType;
    let auth: string | undefined;
    try {
      auth = await this.o.transport.auth();
    } catch (e) {
      throw new KubeApiError(
        0,
        'CredentialsError',
        `obtaining apiserver credentials failed: ${errorText(e)}`,
      );
    }
    if (auth) h.authorization = auth;
    return h;
  }

  report(verb: KubeVerb, resource: string, code: number, started: number): void {
    if (!this.o.onRequest) return;
    try {
      this.o.onRequest({ verb, resource, code, seconds: (performance.now() - started) / 1000 });
    } catch {
      // metrics must never fail a request
    }
  }

  /**
   * One attempt: rate limit, send, read the whole body. Throws KubeApiError(0, ...) or the
   * caller's abort reason.
   */
  private async attempt(spec: CallSpec): Promise<Answer> {
    await this.o.limiter.acquire(spec.signal);
    const headers = await this.headers(spec.contentType);
    const started = performance.now();
    const what = `${spec.method} ${spec.path}`;
    try {
      const res = await this.o.transport.agent.request({
        origin: this.o.transport.origin,
        path: this.fullPath(spec.path, spec.query),
        method: spec.method,
        headers,
        body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
        // undici's own timers bound the wait for headers and each gap in the body: a timer
        // and a combined AbortSignal per request cost measurable CPU and GC at thousands of
        // requests per second (2026-11-23 profile), and composite signals on the long-lived
        // shutdown signal pile up until collected.
        signal: spec.signal,
        headersTimeout: this.o.timeoutMs,
        bodyTimeout: this.o.timeoutMs,
        idempotent: spec.idempotent,
      });
      const text = await res.body.text();
      this.report(spec.verb, spec.resource, res.statusCode, started);
      return { status: res.statusCode, text, retryAfter: headerValue(res.headers, 'retry-after') };
    } catch (e) {
      this.report(spec.verb, spec.resource, 0, started);
      if (spec.signal?.aborted) throw spec.signal.reason;
      if (TIMEOUT_CODES.has(errorCode(e) ?? '')) {
        throw new KubeApiError(0, 'Timeout', `${what}: no answer within ${this.o.timeoutMs / 1000}s`);
      }
      const err = new KubeApiError(0, 'NetworkError', `${what}: ${errorText(e)}`);
      err.cause = e;
      throw err;
    }
  }

  /** The request with its retries; resolves with the decoded JSON body (undefined when empty). */
  async call<T>(spec: CallSpec): Promise<T> {
    const what = `${spec.method} ${spec.path}`;
    let authRetried = false;
    for (let attempt = 0; ; attempt++) {
      let ans: Answer;
      try {
        ans = await this.attempt(spec);
      } catch (e) {
        if (!(e instanceof KubeApiError) || e.reason !== 'NetworkError') throw e;
        const wait = this.o.retry.afterNoAnswer(e.cause, spec.idempotent, attempt);
        if (wait === undefined) throw e;
        await pause(wait, spec.signal);
        continue;
      }
      if (ans.status >= 200 && ans.status < 300) return decode<T>(ans, what);
      const err = statusError(ans.status, ans.text, ans.retryAfter, what);
      if (ans.status === 401 && this.o.transport.refreshable && !authRetried) {
        // A rotated token: fetch it again once.
        authRetried = true;
        this.o.transport.invalidateAuth();
        continue;
      }
      const wait = this.o.retry.afterStatus(ans.status, err.retryAfterSeconds, spec.idempotent, attempt);
      if (wait === undefined) throw err;
      this.o.logger?.debug(
        { status: ans.status, reason: err.reason, path: spec.path, waitMs: Math.round(wait) },
        'kube request retried',
      );
      await pause(wait, spec.signal);
    }
  }
}

function decode<T>(ans: Answer, what: string): T {
  if (!ans.text) return undefined as T;
  try {
    return JSON.parse(ans.text) as T;
  } catch {
    throw new KubeApiError(
      0,
      'DecodeError',
      `${what}: the apiserver answered ${ans.status} with a body that is not JSON`,
    );
  }
}
