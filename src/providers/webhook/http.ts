// What ESO's webhook provider and Webhook generator share (ESO builds both on one webhook
// package): the spec checks, the referenced Secrets as template data, the target URL and the
// TLS rule for credentials, the request, and how answers and failures are reported.
// Messages name the host, never the URL: a templated URL may carry a token.

import type { Dispatcher } from 'undici';
import type { CAProvider } from '../../api/types.js';
import { parseGoDuration } from '../../config/duration.js';
import { ProviderError } from '../errors.js';
import type { SecretObject } from '../types.js';
import { describeTlsFailure } from '../vault/http.js';

export const WEBHOOK_SECRET_LABEL = 'external-secrets.io/type';
const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_TIMEOUT_MS = 5 * 60_000;
/** A Secret holds 1 MiB; an answer much larger than that is not a secret. */
export const MAX_RESPONSE_BYTES = 2 << 20;
const METHOD = /^[A-Z]+$/;

/** The fields both specs have, as ESO names them. */
export interface WebhookCall {
  url?: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  timeout?: string;
  auth?: { ntlm?: unknown };
  secrets?: { name?: string; secretRef?: { name?: string; namespace?: string } }[];
  caBundle?: string;
  caProvider?: CAProvider;
}

export type TemplateData = Record<string, Record<string, string>>;

export const invalid = (m: string) => new ProviderError('InvalidProviderConfig', m);

/** Static checks; `p` is the spec's path in messages ("spec", "spec.provider.webhook"). */
export function validateWebhookCall(spec: WebhookCall, p: string): string | undefined {
  if (!spec.url) return `${p}.url must be set`;
  if (spec.method && !METHOD.test(spec.method.toUpperCase()))
    return `${p}.method "${spec.method}" is not an HTTP method`;
  if (spec.auth?.ntlm) return `${p}.auth.ntlm: NTLM authentication is not supported by Syncret`;
  if (spec.timeout) {
    try {
      parseGoDuration(spec.timeout);
    } catch {
      return `${p}.timeout "${spec.timeout}" is not a Go duration`;
    }
  }
  for (const [i, s] of (spec.secrets ?? []).entries())
    if (!s.name || !s.secretRef?.name) return `${p}.secrets[${i}] needs name and secretRef.name`;
  return undefined;
}

/** spec.timeout, 30 s by default, at most 5 min. */
export function timeoutMs(spec: WebhookCall): number {
  const ms = spec.timeout ? parseGoDuration(spec.timeout) || DEFAULT_TIMEOUT_MS : DEFAULT_TIMEOUT_MS;
  return Math.min(Math.max(ms, 1), MAX_TIMEOUT_MS);
}

/** Go's url.QueryEscape. */
export function queryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/**
 * The referenced Secrets for the templates, raw (headers, body) and URL-escaped (url), added to
 * `raw` and `escaped`. Each must carry ESO's label, so a store or generator cannot send any
 * Secret of the namespace somewhere.
 */
export async function addSecrets(
  spec: WebhookCall,
  p: string,
  read: (ref: { name?: string; namespace?: string }, what: string) => Promise<SecretObject>,
  raw: TemplateData,
  escaped: TemplateData,
): Promise<void> {
  const dec = new TextDecoder();
  for (const [i, ref] of (spec.secrets ?? []).entries()) {
    const what = `${p}.secrets[${i}]`;
    const secret = await read(ref.secretRef ?? {}, what);
    if (secret.labels[WEBHOOK_SECRET_LABEL] !== 'webhook')
      throw invalid(
        `${what}: Secret "${ref.secretRef?.name}" needs the label ${WEBHOOK_SECRET_LABEL}: webhook`,
      );
    const name = ref.name ?? '';
    const r = (raw[name] ??= {});
    const e = (escaped[name] ??= {});
    for (const [k, v] of Object.entries(secret.data)) {
      r[k] = dec.decode(v);
      e[k] = queryEscape(r[k]);
    }
  }
}

/** Referenced Secrets and Authorization headers are what the TLS rule protects here. */
export function sendsCredentials(spec: WebhookCall): boolean {
  return (
    (spec.secrets?.length ?? 0) > 0 ||
    Object.keys(spec.headers ?? {}).some((h) => h.toLowerCase() === 'authorization')
  );
}

/**
 * The rendered URL, checked: http or https, and over TLS when it carries credentials unless the
 * operator opted in (`requireTls` is the providers' one rule, src/providers/tls.ts).
 */
export function targetUrl(
  text: string,
  field: string,
  credentials: boolean,
  requireTls: (url: string, what: string) => void,
): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid(`${field} does not render to a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw invalid(`${field} must be http or https, not ${url.protocol}`);
  if (credentials) requireTls(url.href, field);
  return url;
}

export function statusError(
  status: number,
  host: string,
  retryAfter: string | string[] | undefined,
  detail = '',
): ProviderError {
  const what = `webhook ${host} answered ${status}${detail}`;
  if (status === 404) return new ProviderError('NotFound', what);
  if (status === 401 || status === 403) return new ProviderError('AccessDenied', what);
  if (status === 429) {
    const s = Number(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
    return new ProviderError('Throttled', what, Number.isFinite(s) && s > 0 ? s * 1000 : undefined);
  }
  if (status >= 500) return new ProviderError('Unavailable', what);
  return new ProviderError('InvalidRequest', what);
}

export function networkError(e: unknown, host: string): ProviderError {
  let cur: unknown = e;
  for (let i = 0; i < 4 && typeof cur === 'object' && cur !== null; i++) {
    const { code, cause } = cur as { code?: unknown; cause?: unknown };
    if (
      typeof code === 'string' &&
      /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|HOSTNAME_MISMATCH)/.test(code)
    )
      return new ProviderError('Unavailable', `webhook ${host}: ${describeTlsFailure(code)}`);
    cur = cause;
  }
  const { name, code: own } = (e ?? {}) as { name?: string; code?: string };
  if (
    name === 'TimeoutError' ||
    name === 'AbortError' ||
    own === 'UND_ERR_HEADERS_TIMEOUT' ||
    own === 'UND_ERR_BODY_TIMEOUT'
  )
    return new ProviderError('Unavailable', `webhook ${host}: no answer in time`);
  const code =
    (e as { code?: string; cause?: { code?: string } })?.cause?.code ?? (e as { code?: string })?.code;
  return new ProviderError('Unavailable', `webhook ${host}: request failed${code ? ` (${code})` : ''}`);
}

export async function readBounded(body: Dispatcher.ResponseData['body'], host: string): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > MAX_RESPONSE_BYTES) {
      body.destroy();
      throw new ProviderError(
        'InvalidRequest',
        `webhook ${host}: the answer is larger than ${MAX_RESPONSE_BYTES} bytes`,
      );
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** A JSON answer, or InvalidRequest naming `what`. */
export function parseAnswer(text: string, host: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ProviderError('InvalidRequest', `webhook ${host}: ${what} is not JSON`);
  }
}

/**
 * One call: the rendered request sent through `dispatcher`, the answer's bytes on 2xx, a typed
 * error otherwise (`detail` is added to status messages, e.g. the remote key).
 */
export async function send(
  dispatcher: Dispatcher,
  url: URL,
  req: { method: string; headers: Record<string, string>; body: string; timeoutMs: number },
  signal: AbortSignal,
  detail = '',
): Promise<Uint8Array> {
  const res = await dispatcher
    .request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: req.method.toUpperCase() as Dispatcher.HttpMethod,
      headers: req.headers,
      body: req.body === '' ? undefined : req.body,
      headersTimeout: req.timeoutMs,
      bodyTimeout: req.timeoutMs,
      signal: AbortSignal.any([signal, AbortSignal.timeout(req.timeoutMs)]),
    })
    .catch((e: unknown) => {
      throw networkError(e, url.host);
    });
  if (res.statusCode < 200 || res.statusCode >= 300) {
    await res.body.dump().catch(() => undefined);
    throw statusError(res.statusCode, url.host, res.headers['retry-after'], detail);
  }
  return readBounded(res.body, url.host);
}
