// The Webhook generator (ESO's generators/v1/webhook over providers/v1/webhook): one HTTP call
// whose JSON answer becomes the values. `url` is a Go template over the referenced Secrets with
// their values URL-escaped, `body` and `headers` over the raw values; each referenced Secret
// must carry the label external-secrets.io/type: webhook (ESO's rule, so a webhook cannot be
// pointed at any Secret of the namespace). `result.jsonPath` picks the object (or a JSON
// string of one) whose fields become the values.
//
// Syncret's rules on top: credentials (referenced Secrets) are never sent over plain http://
// unless the operator opted in; requests are bounded in time (30 s unless spec.timeout says
// otherwise, 5 min at most) and answers in size; messages name the host, never the URL (a
// templated URL may carry a token). NTLM auth is not supported.

import { Agent, request } from 'undici';
import type { Dispatcher } from 'undici';
import type { WebhookSpec } from '../../api/generators/local.js';
import { parseGoDuration } from '../../config/duration.js';
import { GENERATOR_RESOURCES } from '../../kube/resources.js';
import { ProviderError } from '../errors.js';
import { specOf } from '../generator.js';
import type { Generated, Generator, GeneratorEnv } from '../generator.js';
import { readCABundle } from '../shared.js';
import { describeTlsFailure } from '../vault/http.js';
import { JsonPathError, evalJsonPath } from './jsonpath.js';
import { requireTls } from '../tls.js';

export const WEBHOOK_SECRET_LABEL = 'external-secrets.io/type';
const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_TIMEOUT_MS = 5 * 60_000;
/** A Secret holds 1 MiB; an answer much larger than that is not a set of values. */
export const MAX_RESPONSE_BYTES = 2 << 20;
const METHOD = /^[A-Z]+$/;

export interface WebhookGeneratorOptions {
  /** The operator's --allow-insecure-credentials: send referenced Secrets to http:// URLs too. */
  allowPlainHttpCredentials?: boolean;
  /** Tests: a dispatcher instead of one per call. */
  dispatcher?: Dispatcher;
}

const invalid = (m: string) => new ProviderError('InvalidProviderConfig', m);

export function validateWebhook(spec: WebhookSpec): string | undefined {
  if (!spec.url) return 'spec.url must be set';
  if (spec.method && !METHOD.test(spec.method.toUpperCase()))
    return `spec.method "${spec.method}" is not an HTTP method`;
  if (spec.auth?.ntlm) return 'spec.auth.ntlm: NTLM authentication is not supported by Syncret';
  if (spec.timeout) {
    try {
      parseGoDuration(spec.timeout);
    } catch {
      return `spec.timeout "${spec.timeout}" is not a duration`;
    }
  }
  for (const [i, s] of (spec.secrets ?? []).entries())
    if (!s.name || !s.secretRef?.name) return `spec.secrets[${i}] needs name and secretRef.name`;
  return undefined;
}

/** Go's url.QueryEscape. */
export function queryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

type TemplateData = Record<string, Record<string, string>>;

/** The referenced Secrets for the templates: raw values, and URL-escaped ones for `url`. */
async function templateData(
  spec: WebhookSpec,
  env: GeneratorEnv,
): Promise<{ raw: TemplateData; escaped: TemplateData }> {
  const raw: TemplateData = Object.create(null) as TemplateData;
  const escaped: TemplateData = Object.create(null) as TemplateData;
  const dec = new TextDecoder();
  for (const [i, ref] of (spec.secrets ?? []).entries()) {
    const what = `spec.secrets[${i}]`;
    const secret = await env.readSecret(ref.secretRef?.name ?? '', what);
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
  return { raw, escaped };
}

function targetUrl(text: string, allowed: boolean, sendsCredentials: boolean): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid('spec.url does not render to a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw invalid(`spec.url must be http or https, not ${url.protocol}`);
  // Providers' one rule (tls.ts): credentials go over TLS only, unless the operator opts in.
  if (sendsCredentials) requireTls(url.href, 'spec.url', allowed);
  return url;
}

function statusError(status: number, host: string, retryAfter: string | string[] | undefined): ProviderError {
  const what = `webhook ${host} answered ${status}`;
  if (status === 404) return new ProviderError('NotFound', what);
  if (status === 401 || status === 403) return new ProviderError('AccessDenied', what);
  if (status === 429) {
    const s = Number(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
    return new ProviderError('Throttled', what, Number.isFinite(s) && s > 0 ? s * 1000 : undefined);
  }
  if (status >= 500) return new ProviderError('Unavailable', what);
  return new ProviderError('InvalidRequest', what);
}

function networkError(e: unknown, host: string): ProviderError {
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
  const name = (e as { name?: string })?.name;
  if (name === 'TimeoutError' || name === 'AbortError')
    return new ProviderError('Unavailable', `webhook ${host}: no answer in time`);
  const code =
    (e as { code?: string; cause?: { code?: string } })?.cause?.code ?? (e as { code?: string })?.code;
  return new ProviderError('Unavailable', `webhook ${host}: request failed${code ? ` (${code})` : ''}`);
}

async function readBounded(body: Dispatcher.ResponseData['body'], host: string): Promise<Uint8Array> {
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

/** The values in an answer: the object at jsonPath, or the JSON object a string there holds. */
export function resultObject(
  bytes: Uint8Array,
  jsonPath: string | undefined,
  host: string,
): Record<string, unknown> {
  const parse = (text: string, what: string): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      throw new ProviderError('InvalidRequest', `webhook ${host}: ${what} is not JSON`);
    }
  };
  let v = parse(Buffer.from(bytes).toString('utf8'), 'the answer');
  if (jsonPath) {
    try {
      v = evalJsonPath(jsonPath, v);
    } catch (e) {
      if (e instanceof JsonPathError)
        throw new ProviderError('InvalidRequest', `webhook ${host}: result.jsonPath: ${e.message}`);
      throw e;
    }
  }
  if (typeof v === 'string') v = parse(v, 'the string at result.jsonPath');
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new ProviderError('InvalidRequest', `webhook ${host}: the result is not a JSON object`);
  return v as Record<string, unknown>;
}

async function call(spec: WebhookSpec, env: GeneratorEnv, opts: WebhookGeneratorOptions): Promise<Generated> {
  const problem = validateWebhook(spec);
  if (problem) throw invalid(problem);
  const { raw, escaped } = await templateData(spec, env);
  const sendsCredentials = (spec.secrets ?? []).length > 0;
  const url = targetUrl(
    env.renderTemplate('url', spec.url ?? '', escaped),
    !!opts.allowPlainHttpCredentials,
    sendsCredentials,
  );
  const host = url.host;
  const body = spec.body ? env.renderTemplate('body', spec.body, raw) : '';
  const headers: Record<string, string> = {};
  for (const [k, t] of Object.entries(spec.headers ?? {}))
    headers[k] = env.renderTemplate(`headers.${k}`, t, raw);
  const ca = await readCABundle(spec.caBundle, spec.caProvider, env.ctx);
  const timeout = Math.min(
    MAX_TIMEOUT_MS,
    spec.timeout ? parseGoDuration(spec.timeout) || DEFAULT_TIMEOUT_MS : DEFAULT_TIMEOUT_MS,
  );
  const dispatcher = opts.dispatcher ?? new Agent({ connect: ca ? { ca } : {}, connections: 1 });
  try {
    const res = await request(url, {
      method: (spec.method || 'GET').toUpperCase() as Dispatcher.HttpMethod,
      headers,
      body: body === '' ? undefined : body,
      dispatcher,
      signal: AbortSignal.any([env.ctx.signal, AbortSignal.timeout(timeout)]),
    }).catch((e: unknown) => {
      throw networkError(e, host);
    });
    if (res.statusCode < 200 || res.statusCode >= 300) {
      await res.body.dump().catch(() => undefined);
      throw statusError(res.statusCode, host, res.headers['retry-after']);
    }
    return { data: {}, json: resultObject(await readBounded(res.body, host), spec.result?.jsonPath, host) };
  } finally {
    if (!opts.dispatcher) await dispatcher.close().catch(() => undefined);
  }
}

export function webhookGenerator(opts: WebhookGeneratorOptions = {}): Generator {
  return {
    kind: 'Webhook',
    resource: GENERATOR_RESOURCES.Webhook,
    provider: 'webhook',
    validate: (obj) => validateWebhook(specOf<WebhookSpec>(obj)),
    generate: (env, obj) => call(specOf<WebhookSpec>(obj), env, opts),
  };
}
