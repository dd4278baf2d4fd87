// Azure SDK and identity failures → ProviderError. Messages name the object, the identity
// (client id prefix and tenant prefix, never a secret), the HTTP status and Key Vault's or
// Entra ID's error code; never a response body, which for Key Vault could echo a value.

import { isRestError } from '@azure/core-rest-pipeline';
import type { RestError } from '@azure/core-rest-pipeline';
import { AuthenticationError, CredentialUnavailableError } from '@azure/identity';
import { sleep } from '../../runtime/time/sleep.js';
import { ProviderError } from '../errors.js';

/** Inline waits for throttling are this short at most; longer ones go back to the queue. */
export const INLINE_RETRY_MAX_MS = 2_000;

/** Retry-After of a response in ms (seconds, an HTTP date, or the *-ms headers). */
export function retryAfterMs(
  headers: { get(name: string): string | undefined } | undefined,
  now = Date.now(),
) {
  if (!headers) return undefined;
  for (const h of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const v = Number(headers.get(h));
    if (headers.get(h) !== undefined && Number.isFinite(v) && v >= 0) return v;
  }
  const ra = headers.get('retry-after');
  if (ra === undefined) return undefined;
  const secs = Number(ra);
  if (ra.trim() !== '' && Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const date = Date.parse(ra);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}

/** Key Vault's error code and inner error code, read from the body without keeping it. */
function errorCodes(e: RestError): { code?: string; inner?: string } {
  const text = e.response?.bodyAsText;
  if (!text) return { code: e.code };
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; innererror?: { code?: unknown } } };
    const code = typeof body.error?.code === 'string' ? body.error.code : e.code;
    const inner = typeof body.error?.innererror?.code === 'string' ? body.error.innererror.code : undefined;
    return { code, inner };
  } catch {
    return { code: e.code };
  }
}

/** AADSTS code and first sentence of an Entra ID error description. */
function aadSummary(description: string | undefined): string {
  if (!description) return '';
  const first = description.split(/\r?\n/)[0] ?? '';
  const sentence = /^(AADSTS\d+:[^.]*\.?)/.exec(first)?.[1] ?? first.split('. ')[0] ?? '';
  return sentence.slice(0, 200);
}

function msalError(e: unknown): { errorCode: string; message: string } | undefined {
  for (let cur = e, depth = 0; cur && depth < 4; cur = (cur as { cause?: unknown }).cause, depth++) {
    const c = cur as { errorCode?: unknown; message?: unknown };
    if (typeof c.errorCode === 'string' && c.errorCode)
      return { errorCode: c.errorCode, message: typeof c.message === 'string' ? c.message : '' };
  }
  return undefined;
}

const safeCode = (s: string | undefined): string => (s && /^[A-Za-z0-9_.-]{1,64}$/.test(s) ? s : '');

export function mapAzureError(e: unknown, what: string, identity: string): ProviderError {
  if (e instanceof ProviderError) return e;
  if (e instanceof AuthenticationError) {
    const r = e.errorResponse;
    const summary = aadSummary(r?.errorDescription);
    return new ProviderError(
      'AuthFailed',
      `${identity}: the token request was refused (${e.statusCode}${r?.error ? ` ${safeCode(r.error)}` : ''})${summary ? `: ${summary}` : ''}`,
    );
  }
  // MSAL's errors reach us wrapped (AuthenticationRequiredError with the MSAL error as cause).
  const msal = msalError(e);
  if (msal) {
    const aad = /AADSTS\d+:[^.\r\n]*\.?/.exec(msal.message)?.[0]?.slice(0, 200);
    return new ProviderError(
      'AuthFailed',
      `${identity}: the token request was refused (${safeCode(msal.errorCode) || 'error'})${aad ? `: ${aad}` : ''}`,
    );
  }
  if (e instanceof CredentialUnavailableError) {
    const first = (e.message.split(/\r?\n/)[0] ?? '').slice(0, 240);
    return new ProviderError('AuthFailed', `${identity}: no token could be obtained: ${first}`);
  }
  if (isRestError(e)) {
    const status = e.statusCode;
    const { code, inner } = errorCodes(e);
    const codes = [safeCode(code), safeCode(inner)].filter(Boolean).join('/');
    const label = codes ? ` ${codes}` : '';
    if (status === undefined) {
      const cause = safeCode(e.code) || (e.message.split(/\r?\n/)[0] ?? '').slice(0, 160);
      return new ProviderError('Unavailable', `Key Vault cannot be reached for ${what}: ${cause}`);
    }
    const after = retryAfterMs(e.response?.headers);
    if (status === 404) return new ProviderError('NotFound', `${what} not found in Key Vault (404${label})`);
    // The SDK keeps the error code but drops the body (and its innererror SecretDisabled):
    // Key Vault's message for a disabled object is fixed text naming no value.
    const disabled = (inner && /Disabled$/.test(inner)) || /not allowed on a disabled/i.test(e.message);
    if (status === 403 && disabled)
      return new ProviderError('NotFound', `${what} is disabled in Key Vault (403${label})`);
    if (status === 403)
      return new ProviderError(
        'AccessDenied',
        `${identity} may not read ${what} (403${label}): grant it a Key Vault data role (e.g. Key Vault Secrets User) or a get access policy`,
      );
    if (status === 401)
      return new ProviderError(
        'AuthFailed',
        `Key Vault rejected the token of ${identity} for ${what} (401${label})`,
      );
    if (status === 429)
      return new ProviderError(
        'Throttled',
        `Key Vault throttled the request for ${what} (429${label})${after !== undefined ? `; retry after ${Math.ceil(after / 1000)}s` : ''}`,
        after,
      );
    if (status >= 500)
      return new ProviderError('Unavailable', `Key Vault answered ${status}${label} for ${what}`, after);
    return new ProviderError('InvalidRequest', `Key Vault answered ${status}${label} for ${what}`);
  }
  if ((e as Error)?.name === 'AbortError')
    return new ProviderError('Unavailable', `reading ${what} was aborted`);
  const msg = ((e as Error)?.message ?? 'request failed').split(/\r?\n/)[0]!.slice(0, 200);
  return new ProviderError('Unavailable', `reading ${what} failed: ${msg}`);
}

/**
 * One inline retry when Key Vault throttles (429, or 503 with Retry-After) and asks for a
 * short wait; a longer Retry-After is returned to the reconciler as a Throttled error.
 */
export async function withThrottleRetry<T>(fn: () => Promise<T>, signal: AbortSignal): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (!isRestError(e) || (e.statusCode !== 429 && e.statusCode !== 503)) throw e;
    const after = retryAfterMs(e.response?.headers);
    if (after === undefined || after > INLINE_RETRY_MAX_MS) throw e;
    await sleep(after, signal);
    // An abort fails the read with the signal's reason, as the SDK call itself would.
    signal.throwIfAborted();
    return fn();
  }
}
