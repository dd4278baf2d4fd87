// provider.webhook (ESO 2.9's generic webhook provider): one HTTP call per remote key, whose
// answer (or the value result.jsonPath selects in it) is the secret.
// - Templates, with ESO's engine: `url` over remoteRef (key, version, property, namespace) and
//   the referenced Secrets with every value URL-escaped (namespace is not); headers, body and
//   result.jsonPath over the raw values. Missing keys render as Go's "<no value>".
// - Referenced Secrets must carry the label external-secrets.io/type: webhook (so a store
//   cannot send any Secret of the namespace somewhere); a ClusterSecretStore must name their
//   namespace.
// - Answers: 404 is NotFound, other non-2xx an error naming the status. With result.jsonPath a
//   JSON answer is queried: a string or number is the value (numbers rounded to an integer,
//   as ESO formats them), an object its JSON, a list its first element; without it, the body.
//   remoteRef.property is only a template input: the provider reads it (readsProperty), no
//   property is selected afterwards.
// Syncret's rules on top (shared with the Webhook generator in http.ts): referenced Secrets and
// Authorization headers never go to plain http:// without --allow-insecure-credentials; each
// request is bounded in time (spec.timeout, 30 s by default, at most 5 min) and in answer size
// (2 MiB); messages name the host, never the URL (a templated URL may carry a token). NTLM auth
// and dataFrom.find are not supported (ESO has no find either); pushing is not implemented.

import { connect as tcpConnect } from 'node:net';
import { Agent } from '../../net/undici.js';
import type { Dispatcher } from 'undici';
import type { WebhookProvider } from '../../api/providers/webhook.js';
import { ProviderError } from '../errors.js';
import type {
  Provider,
  ProviderContext,
  RemoteKeyRef,
  RemoteValue,
  SecretsClient,
  StoreInfo,
} from '../types.js';
import { readCABundle } from '../shared.js';
import {
  addSecrets,
  invalid,
  parseAnswer,
  queryEscape,
  send,
  sendsCredentials,
  targetUrl,
  timeoutMs,
  validateWebhookCall,
} from './http.js';
import type { TemplateData } from './http.js';
import { JsonPathError, evalJsonPath } from './jsonpath.js';

const FIELD = 'spec.provider.webhook';
const VALIDATE_TIMEOUT_MS = 15_000;

const specOf = (store: StoreInfo): WebhookProvider => store.provider.webhook ?? {};

/** strconv.FormatFloat(v, 'f', 0, 64): rounded to an integer, halves to even, "-0" kept. */
export function formatFloat0(v: number): string {
  if (Math.abs(v) >= 1e21) return BigInt(v).toString();
  const floor = Math.floor(v);
  const diff = v - floor;
  const r = diff > 0.5 || (diff === 0.5 && floor % 2 !== 0) ? floor + 1 : floor;
  return r === 0 && (v < 0 || Object.is(v, -0)) ? '-0' : String(r);
}

/** encoding/json.Marshal of a decoded value: sorted keys, HTML characters escaped. */
function marshal(v: unknown): string {
  const sorted = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sorted);
    if (x && typeof x === 'object')
      return Object.fromEntries(
        Object.keys(x)
          .sort()
          .map((k) => [k, sorted((x as Record<string, unknown>)[k])]),
      );
    return x;
  };
  return JSON.stringify(sorted(v)).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** ESO's extractSecretData: the bytes of what result.jsonPath selected. */
function valueBytes(v: unknown): Uint8Array {
  const enc = (s: string) => new TextEncoder().encode(s);
  if (v === null || v === undefined) return new Uint8Array(0);
  if (typeof v === 'boolean') return enc(v ? 'true' : 'false');
  if (typeof v === 'number') return enc(formatFloat0(v));
  if (typeof v === 'string') return enc(v);
  if (Array.isArray(v)) {
    if (v.length === 0) throw new ProviderError('NotFound', 'result.jsonPath matched nothing');
    return valueBytes(v[0]);
  }
  return enc(marshal(v));
}

export function validateWebhookSpec(store: StoreInfo): string | undefined {
  const spec = store.provider.webhook;
  if (!spec) return `${FIELD} is missing`;
  const problem = validateWebhookCall(spec, FIELD);
  if (problem) return problem;
  // ESO: a ClusterSecretStore's webhook Secrets are never looked up in the reader's namespace.
  if (store.kind === 'ClusterSecretStore')
    for (const [i, s] of (spec.secrets ?? []).entries())
      if (!s.secretRef?.namespace)
        return `${FIELD}.secrets[${i}].secretRef.namespace must be set in a ClusterSecretStore`;
  return undefined;
}

export interface WebhookOptions {
  /** Tests: a dispatcher instead of one per client. */
  dispatcher?: Dispatcher;
}

class WebhookClient implements SecretsClient {
  private readonly credentials: boolean;

  constructor(
    private readonly spec: WebhookProvider,
    private readonly store: StoreInfo,
    private readonly ctx: ProviderContext,
    private readonly dispatcher: Dispatcher,
    private readonly owned: boolean,
  ) {
    this.credentials = sendsCredentials(spec);
  }

  private render(field: string, text: string | undefined, data: TemplateData): string {
    if (!text) return '';
    const r = this.ctx.renderTemplate;
    if (!r) throw new ProviderError('Unsupported', 'templates are not available here');
    return r(`${FIELD}.${field}`, text, data);
  }

  /** remoteRef and the referenced Secrets, raw and URL-escaped. */
  private async templateData(ref: RemoteKeyRef): Promise<{ raw: TemplateData; escaped: TemplateData }> {
    const ns = this.store.requesterNamespace;
    const raw: TemplateData = Object.create(null) as TemplateData;
    const escaped: TemplateData = Object.create(null) as TemplateData;
    raw.remoteRef = { key: ref.key, version: ref.version ?? '', property: ref.property ?? '', namespace: ns };
    escaped.remoteRef = {
      key: queryEscape(ref.key),
      version: queryEscape(ref.version ?? ''),
      property: queryEscape(ref.property ?? ''),
      namespace: ns,
    };
    const read = this.ctx.readSecret?.bind(this.ctx);
    if (!read && this.spec.secrets?.length)
      throw new ProviderError('Unsupported', `${FIELD}.secrets: Secrets cannot be read here`);
    if (read) await addSecrets(this.spec, FIELD, read, raw, escaped);
    return { raw, escaped };
  }

  async getSecret(ref: RemoteKeyRef): Promise<RemoteValue> {
    const { raw, escaped } = await this.templateData(ref);
    const url = targetUrl(
      this.render('url', this.spec.url, escaped),
      `${FIELD}.url`,
      this.credentials,
      (u, w) => this.ctx.requireTls(u, w),
    );
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.spec.headers ?? {}))
      headers[k] = this.render(`headers.${k}`, v, raw);
    const req = {
      method: this.spec.method || 'GET',
      headers,
      body: this.render('body', this.spec.body, raw),
      timeoutMs: timeoutMs(this.spec),
    };
    const answer = await send(this.dispatcher, url, req, this.ctx.signal, ` for "${ref.key}"`);
    const path = this.render('result.jsonPath', this.spec.result?.jsonPath, raw);
    if (!path) return { kind: 'bytes', data: answer };
    const doc = parseAnswer(new TextDecoder().decode(answer), url.host, `the answer for "${ref.key}"`);
    try {
      return { kind: 'bytes', data: valueBytes(evalJsonPath(path, doc)) };
    } catch (e) {
      if (e instanceof JsonPathError)
        throw new ProviderError('NotFound', `result.jsonPath for "${ref.key}": ${e.message}`);
      throw e;
    }
  }

  /** ESO: a TCP connection to the URL's host proves the store usable. */
  async validate(): Promise<{ result: 'Valid' } | { result: 'Error'; message: string }> {
    let url: URL;
    try {
      url = new URL((this.spec.url ?? '').replace(/\{\{.*?\}\}/g, 'x'));
    } catch {
      return { result: 'Error', message: 'spec.provider.webhook.url is not a URL (outside its templates)' };
    }
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    return new Promise((resolve) => {
      const sock = tcpConnect({ host: url.hostname, port, timeout: VALIDATE_TIMEOUT_MS });
      const done = (r: { result: 'Valid' } | { result: 'Error'; message: string }) => {
        sock.destroy();
        resolve(r);
      };
      sock.once('connect', () => done({ result: 'Valid' }));
      sock.once('timeout', () => done({ result: 'Error', message: `webhook ${url.host} did not answer` }));
      sock.once('error', (e: NodeJS.ErrnoException) =>
        done({ result: 'Error', message: `webhook ${url.host}: ${e.code ?? 'unreachable'}` }),
      );
    });
  }

  async close(): Promise<void> {
    if (this.owned) await this.dispatcher.close();
  }
}

export function webhookProvider(opts: WebhookOptions = {}): Provider {
  return {
    name: 'webhook',
    capabilities: 'ReadOnly',
    readsProperty: true,
    validateSpec: validateWebhookSpec,
    // remoteRef.namespace is the reader's: a ClusterSecretStore's clients are per namespace.
    cacheScope: (store) => (store.kind === 'ClusterSecretStore' ? store.requesterNamespace : ''),
    async connect(store: StoreInfo, ctx: ProviderContext): Promise<SecretsClient> {
      const problem = validateWebhookSpec(store);
      if (problem) throw invalid(problem);
      const spec = specOf(store);
      if (opts.dispatcher) return new WebhookClient(spec, store, ctx, opts.dispatcher, false);
      const ca = await readCABundle(spec.caBundle, spec.caProvider, ctx);
      const agent = new Agent({ connect: ca ? { ca } : {}, connections: 8 });
      return new WebhookClient(spec, store, ctx, agent, true);
    },
  };
}
