// Apiserver failures as KubeApiError: a non-2xx answer from its metav1.Status body, and the
// codes and texts of transport errors (undici nests the real cause).

import type { Dispatcher } from 'undici';
import { KubeApiError } from './types.js';

const MAX_ERROR_MESSAGE = 1024;

/** The first string `code` along an error's cause chain (e.g. ECONNRESET, UND_ERR_SOCKET). */
export function errorCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur && typeof cur === 'object'; i++) {
    const c = (cur as { code?: unknown }).code;
    if (typeof c === 'string') return c;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Code, message and cause message of a transport error, for KubeApiError messages. */
export function errorText(e: unknown): string {
  const code = errorCode(e);
  const msg = e instanceof Error ? e.message : String(e);
  const cause = e instanceof Error && e.cause instanceof Error ? e.cause.message : '';
  return [code, msg, cause && cause !== msg ? cause : ''].filter(Boolean).join(': ');
}

function truncate(s: string): string {
  return s.length > MAX_ERROR_MESSAGE ? `${s.slice(0, MAX_ERROR_MESSAGE - 3)}...` : s;
}

export function headerValue(h: Dispatcher.ResponseData['headers'], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

interface StatusBody {
  kind?: string;
  code?: number;
  reason?: string;
  message?: string;
  details?: { retryAfterSeconds?: number };
}

const HTTP_REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Gone',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** Builds the error for a non-2xx answer from its metav1.Status body (if it has one). */
export function statusError(
  status: number,
  text: string,
  retryAfterHeader: string | undefined,
  what: string,
): KubeApiError {
  let body: StatusBody | undefined;
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object') body = parsed as StatusBody;
  } catch {
    // not JSON (a proxy's HTML page, an empty body): the HTTP status says enough
  }
  let retryAfter: number | undefined;
  const header = retryAfterHeader !== undefined ? Number(retryAfterHeader) : NaN;
  if (Number.isFinite(header) && header >= 0) retryAfter = header;
  else if (typeof body?.details?.retryAfterSeconds === 'number') retryAfter = body.details.retryAfterSeconds;
  const reason = body?.reason || HTTP_REASONS[status] || `HTTP${status}`;
  const message = body?.message || truncate(text.trim()) || `HTTP ${status}`;
  return new KubeApiError(status, reason, `${what}: ${message}`, retryAfter);
}
