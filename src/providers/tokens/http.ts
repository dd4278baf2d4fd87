// The HTTP calls of the token generators (GitHub, Quay, Cloudsmith, GitLab, Grafana): JSON in and
// out, bounded in time and size, credentials never over plain http (the Webhook generator's
// rule), and messages that name the host and status only (an answer may echo a credential).

import { request } from '../../net/undici.js';
import type { Dispatcher } from 'undici';
import { ProviderError } from '../errors.js';
import { requireTls } from '../tls.js';

const TIMEOUT_MS = 30_000;
const MAX_ANSWER_BYTES = 1 << 20;

export interface TokenCall {
  /** For messages: "GitHub", "Quay", ... */
  service: string;
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  body?: unknown;
  /** A form body (application/x-www-form-urlencoded) instead of JSON. */
  form?: Record<string, string>;
  /** Statuses that count as success (default: any 2xx). */
  expect?: number[];
  signal: AbortSignal;
  allowPlainHttp?: boolean;
  dispatcher?: Dispatcher;
}

function reasonOf(status: number): ConstructorParameters<typeof ProviderError>[0] {
  if (status === 401 || status === 403) return 'AccessDenied';
  if (status === 404) return 'NotFound';
  if (status === 429) return 'Throttled';
  return status >= 500 ? 'Unavailable' : 'InvalidRequest';
}

/** Sends the request and returns the JSON object answered ({} for an empty answer). */
export async function tokenCall(c: TokenCall): Promise<Record<string, unknown>> {
  let url: URL;
  try {
    url = new URL(c.url);
  } catch {
    throw new ProviderError('InvalidProviderConfig', `${c.service}: "${c.url}" is not a URL`);
  }
  requireTls(url.href, c.service, !!c.allowPlainHttp);
  const where = `${c.service} (${url.host})`;
  let res: Dispatcher.ResponseData;
  try {
    res = await request(url, {
      method: c.method,
      headers: {
        accept: 'application/json',
        ...c.headers,
        ...(c.form
          ? { 'content-type': 'application/x-www-form-urlencoded' }
          : c.body !== undefined
            ? { 'content-type': 'application/json' }
            : {}),
      },
      body: c.form
        ? new URLSearchParams(c.form).toString()
        : c.body !== undefined
          ? JSON.stringify(c.body)
          : undefined,
      signal: AbortSignal.any([c.signal, AbortSignal.timeout(TIMEOUT_MS)]),
      ...(c.dispatcher ? { dispatcher: c.dispatcher } : {}),
    });
  } catch (e) {
    const code =
      (e as { code?: string; cause?: { code?: string } }).cause?.code ?? (e as { code?: string }).code;
    throw new ProviderError('Unavailable', `${where}: request failed${code ? ` (${code})` : ''}`);
  }
  const ok = c.expect ? c.expect.includes(res.statusCode) : res.statusCode >= 200 && res.statusCode < 300;
  if (!ok) {
    await res.body.dump().catch(() => undefined);
    throw new ProviderError(reasonOf(res.statusCode), `${where} answered ${res.statusCode}`);
  }
  const text = await res.body.text();
  if (text.trim() === '' || res.statusCode === 204) return {};
  if (text.length > MAX_ANSWER_BYTES)
    throw new ProviderError('InvalidRequest', `${where}: the answer is too large`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ProviderError('InvalidRequest', `${where}: the answer is not JSON`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new ProviderError('InvalidRequest', `${where}: the answer is not a JSON object`);
  return parsed as Record<string, unknown>;
}

/** A string field of an answer, or a failure naming it. */
export function stringField(answer: Record<string, unknown>, field: string, service: string): string {
  const v = answer[field];
  if (typeof v !== 'string' || v === '')
    throw new ProviderError('InvalidRequest', `${service}: the answer has no "${field}" string`);
  return v;
}

/** The `exp` claim of a JWT (not verified: it is only reported), as Go prints the number. */
export function jwtExpiry(token: string, service: string): string {
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      exp?: unknown;
    };
    if (typeof claims.exp === 'number' && Number.isFinite(claims.exp)) return String(claims.exp);
  } catch {
    // falls through
  }
  throw new ProviderError('InvalidRequest', `${service}: the token has no exp claim`);
}
