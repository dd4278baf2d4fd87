// A small typed client for the parts of the Vault HTTP API Syncret uses. Vault and OpenBao
// speak the same API. It knows nothing of tokens' lifecycles (see ./client.ts): it sends the
// token it is given and reports what Vault answered, as a VaultHttpError or as JSON.

import { Agent } from '../../net/undici.js';
import type { Dispatcher } from 'undici';

export interface VaultHttpOptions {
  /** e.g. https://vault.example.com:8200 (a trailing slash is ignored). */
  server: string;
  /** PEM bundle trusted for the server's certificate, instead of the system roots. */
  ca?: string;
  /** mTLS client certificate and key (PEM). */
  cert?: string;
  key?: string;
  /** Extra headers on every request (provider.vault.headers). */
  headers?: Record<string, string>;
  /** Send back the newest X-Vault-Index seen (Vault Enterprise read-your-writes). */
  readYourWrites?: boolean;
  /** Ask performance standbys to forward reads they cannot serve consistently. */
  forwardInconsistent?: boolean;
  /** Per request, headers and body included. Default 30 s. */
  timeoutMs?: number;
  /** Aborts every request (operator stopping, client evicted). */
  signal?: AbortSignal;
  /** Tests inject their own dispatcher. */
  dispatcher?: Dispatcher;
}

export interface VaultRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** API path after /v1/, without a leading slash, e.g. `secret/data/app`. */
  path: string;
  /** A list sends the parameter once per value. */
  query?: Record<string, string | string[]>;
  body?: unknown;
  token?: string;
  /** X-Vault-Namespace; empty for the root namespace. */
  namespace?: string;
  /**
   * Ignore the client's abort signal (only the timeout applies): revocation must still reach
   * Vault while the operator stops, after its signal has fired.
   */
  detached?: boolean;
  /** Overrides the client's per-request timeout. */
  timeoutMs?: number;
}

/** Vault answered with a non-2xx status; `errors` are Vault's own messages. */
export class VaultHttpError extends Error {
  override readonly name = 'VaultHttpError';
  constructor(
    readonly status: number,
    readonly errors: string[],
    /** Parsed body: a KV v2 404 for a deleted version still carries its metadata. */
    readonly body: unknown,
    readonly retryAfterMs?: number,
  ) {
    super(`Vault answered ${status}${errors.length ? `: ${errors.join('; ')}` : ''}`);
  }
}

/** No answer at all: connection refused, TLS failure, timeout. */
export class VaultNetworkError extends Error {
  override readonly name = 'VaultNetworkError';
}

/** The JSON envelope Vault wraps every answer in. */
export interface VaultResponse<T = Record<string, unknown>> {
  data?: T | null;
  auth?: VaultAuthInfo | null;
  /** Set for dynamic secrets (database/creds, pki/issue with leases). */
  lease_id?: string;
  lease_duration?: number;
  renewable?: boolean;
  warnings?: string[] | null;
}

export interface VaultAuthInfo {
  client_token: string;
  lease_duration: number;
  renewable: boolean;
  policies?: string[];
}

const DEFAULT_TIMEOUT_MS = 30_000;

function retryAfter(h: string | string[] | undefined): number | undefined {
  const v = Array.isArray(h) ? h[0] : h;
  if (!v) return undefined;
  const s = Number(v);
  return Number.isFinite(s) && s >= 0 ? s * 1000 : undefined;
}

/** OpenSSL / Node codes of a failed TLS handshake or certificate check. */
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|ERR_OSSL_|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|HOSTNAME_MISMATCH)/;

/** What a TLS failure means for the store's settings; the raw OpenSSL text helps nobody. */
export function describeTlsFailure(code: string): string {
  if (/UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|SELF_SIGNED|DEPTH_ZERO/.test(code))
    return `TLS failure: the server certificate is not trusted (${code}); set caBundle or caProvider to its CA`;
  if (/ALTNAME|HOSTNAME_MISMATCH/.test(code))
    return `TLS failure: the server certificate does not name this host (${code}); check server`;
  if (/EXPIRED|NOT_YET_VALID/.test(code))
    return `TLS failure: the server certificate is not valid now (${code})`;
  if (/ALERT_(CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE)/.test(code))
    return `TLS failure: the server requires a client certificate (${code}); set tls.certSecretRef and tls.keySecretRef`;
  if (/ALERT_(BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN|DECRYPT_ERROR)/.test(code))
    return `TLS failure: the server rejected the client certificate (${code}); check tls.certSecretRef and tls.keySecretRef`;
  if (code.startsWith('ERR_OSSL_'))
    return `TLS failure: a PEM certificate or key could not be loaded (${code}); check caBundle / caProvider and the certificate Secrets`;
  return `TLS failure (${code}); check caBundle / caProvider and the tls client certificate`;
}

/** Describes a network failure by its cause's code and message (undici nests the real cause). */
function describeNetworkError(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  // Duck-typed, not instanceof: errors from another realm (undici's, a test VM) are Errors too.
  for (let i = 0; i < 4 && typeof cur === 'object' && cur !== null; i++) {
    const { code, message, cause } = cur as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === 'string' && TLS_CODE.test(code)) return describeTlsFailure(code);
    if (typeof message === 'string' && message) {
      const msg = `${typeof code === 'string' && !message.includes(code) ? `${code}: ` : ''}${message}`;
      if (!parts.includes(msg)) parts.push(msg);
    }
    cur = cause;
  }
  return parts.join(' <- ') || 'request failed';
}

export class VaultHttp {
  private readonly base: string;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private index: string | undefined;

  constructor(private readonly opts: VaultHttpOptions) {
    this.base = opts.server.replace(/\/+$/, '');
    if (opts.dispatcher) {
      this.dispatcher = opts.dispatcher;
      this.ownsDispatcher = false;
    } else {
      this.dispatcher = new Agent({
        connect: { ca: opts.ca, cert: opts.cert, key: opts.key },
        connections: 16,
        keepAliveTimeout: 30_000,
      });
      this.ownsDispatcher = true;
    }
  }

  get server(): string {
    return this.base;
  }

  async request<T = Record<string, unknown>>(req: VaultRequest): Promise<VaultResponse<T>> {
    const url = new URL(`${this.base}/v1/${req.path.replace(/^\/+/, '')}`);
    for (const [k, v] of Object.entries(req.query ?? {})) {
      if (typeof v === 'string') url.searchParams.set(k, v);
      else for (const one of v) url.searchParams.append(k, one);
    }
    const headers: Record<string, string> = { ...this.opts.headers };
    headers['accept'] = 'application/json';
    if (req.token) headers['x-vault-token'] = req.token;
    if (req.namespace) headers['x-vault-namespace'] = req.namespace;
    if (this.opts.readYourWrites && this.index) headers['x-vault-index'] = this.index;
    if (this.opts.forwardInconsistent) headers['x-vault-inconsistent'] = 'forward-active-node';
    let body: string | undefined;
    if (req.body !== undefined) {
      body = JSON.stringify(req.body);
      headers['content-type'] = 'application/json';
    }
    const timeoutMs = req.timeoutMs ?? this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = this.opts.signal && !req.detached ? AbortSignal.any([this.opts.signal, timeout]) : timeout;
    let res: Dispatcher.ResponseData;
    let text: string;
    try {
      res = await this.dispatcher.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: req.method as Dispatcher.HttpMethod,
        headers,
        body,
        signal,
      });
      text = await res.body.text();
    } catch (e) {
      if (timeout.aborted) throw new VaultNetworkError(`no answer within ${timeoutMs} ms`);
      if (signal.aborted) throw new VaultNetworkError('request aborted (the client is closing)');
      throw new VaultNetworkError(describeNetworkError(e));
    }
    const idx = res.headers['x-vault-index'];
    if (this.opts.readYourWrites && typeof idx === 'string' && idx) this.index = idx;
    let parsed: unknown = undefined;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    if (res.statusCode < 200 || res.statusCode >= 300) {
      const errs = (parsed as { errors?: unknown } | undefined)?.errors;
      const errors = Array.isArray(errs) ? errs.filter((x): x is string => typeof x === 'string') : [];
      throw new VaultHttpError(res.statusCode, errors, parsed, retryAfter(res.headers['retry-after']));
    }
    if (parsed === undefined) {
      if (res.statusCode === 204 || !text) return {};
      throw new VaultNetworkError(`${req.path}: the answer is not JSON (is ${this.base} a Vault server?)`);
    }
    return parsed as VaultResponse<T>;
  }

  /**
   * A client for the same server presenting another TLS client certificate (cert auth logs in
   * with its own certificate, which may differ from provider.vault.tls). Close it after use.
   */
  withClientCert(cert: string, key: string): VaultHttp {
    if (this.opts.dispatcher) return new VaultHttp({ ...this.opts });
    return new VaultHttp({ ...this.opts, cert, key });
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }
}
