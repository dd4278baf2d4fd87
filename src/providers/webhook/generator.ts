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

import { Agent } from '../../net/undici.js';
import type { Dispatcher } from 'undici';
import type { WebhookSpec } from '../../api/generators/local.js';
import { GENERATOR_RESOURCES } from '../../kube/resources.js';
import { ProviderError } from '../errors.js';
import { specOf } from '../generator.js';
import type { Generated, Generator, GeneratorEnv } from '../generator.js';
import { readCABundle } from '../shared.js';
import { requireTls } from '../tls.js';
import { addSecrets, invalid, parseAnswer, send, targetUrl, timeoutMs, validateWebhookCall } from './http.js';
import type { TemplateData } from './http.js';
import { JsonPathError, evalJsonPath } from './jsonpath.js';

export { MAX_RESPONSE_BYTES, WEBHOOK_SECRET_LABEL, queryEscape } from './http.js';

export interface WebhookGeneratorOptions {
  /** The operator's --allow-insecure-credentials: send referenced Secrets to http:// URLs too. */
  allowPlainHttpCredentials?: boolean;
  /** Tests: a dispatcher instead of one per call. */
  dispatcher?: Dispatcher;
}

export const validateWebhook = (spec: WebhookSpec): string | undefined => validateWebhookCall(spec, 'spec');

/** The values in an answer: the object at jsonPath, or the JSON object a string there holds. */
export function resultObject(
  bytes: Uint8Array,
  jsonPath: string | undefined,
  host: string,
): Record<string, unknown> {
  const parse = (text: string, what: string): unknown => parseAnswer(text, host, what);
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
  const raw: TemplateData = Object.create(null) as TemplateData;
  const escaped: TemplateData = Object.create(null) as TemplateData;
  await addSecrets(spec, 'spec', (ref, what) => env.readSecret(ref.name ?? '', what), raw, escaped);
  // The generator's credentials are its referenced Secrets (headers are templates over them).
  const url = targetUrl(
    env.renderTemplate('url', spec.url ?? '', escaped),
    'spec.url',
    (spec.secrets ?? []).length > 0,
    (u, what) => requireTls(u, what, !!opts.allowPlainHttpCredentials),
  );
  const body = spec.body ? env.renderTemplate('body', spec.body, raw) : '';
  const headers: Record<string, string> = {};
  for (const [k, t] of Object.entries(spec.headers ?? {}))
    headers[k] = env.renderTemplate(`headers.${k}`, t, raw);
  const ca = await readCABundle(spec.caBundle, spec.caProvider, env.ctx);
  const dispatcher = opts.dispatcher ?? new Agent({ connect: ca ? { ca } : {}, connections: 1 });
  try {
    const req = { method: spec.method || 'GET', headers, body, timeoutMs: timeoutMs(spec) };
    const answer = await send(dispatcher, url, req, env.ctx.signal);
    return { data: {}, json: resultObject(answer, spec.result?.jsonPath, url.host) };
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
