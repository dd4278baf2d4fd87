// Syncret's own small Kubernetes REST layer (kubeconfigs: ./kubeconfig.ts). The operator
// must control watch streams, client-side QPS, 429 handling and server-side
// apply exactly, which its generated client and informer make hard.
//
// Connections: one keep-alive HTTP/1.1 pool for ordinary requests and a separate, unbounded
// pool for watches. Every watch holds its connection for minutes, so sharing one bounded pool
// would let a few dozen watches starve reconciles (and lease renewals) of connections.

import { Agent } from 'undici';
import type { Dispatcher } from 'undici';
import type { KubeObject } from '../api/types.js';
import { sleep } from '../runtime/time/sleep.js';
import { inClusterConfig, loadKubeconfigFiles } from './kubeconfig.js';
import { apiVersionOf } from './resources.js';
import { KubeApiError } from './types.js';
import type {
  ApplyOptions,
  KubeApi,
  KubeLogger,
  ListOptions,
  ListResult,
  ObjectRef,
  ResourceType,
  WatchEvent,
  WatchOptions,
} from './types.js';

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

export interface KubeClientOptions {
  /** Sustained client-side request rate (token bucket). Default 50; <= 0 disables limiting. */
  qps?: number;
  /** Bucket size: requests allowed at once before qps applies. Default 100. */
  burst?: number;
  userAgent?: string;
  /**
   * Per attempt: the longest wait for the response headers, and for each next part of the body
   * (not applied to watch bodies). Default 30 s.
   */
  timeoutMs?: number;
  /** Retries of 429 / Retry-After answers and of transient failures. Default 5. */
  maxRetries?: number;
  /** A longer Retry-After is not waited for: the error goes back to the caller. Default 10. */
  maxRetryAfterSeconds?: number;
  /** Connections of the pool for ordinary requests (watches have their own). Default 32. */
  connections?: number;
  onRequest?: (info: KubeRequestInfo) => void;
  logger?: KubeLogger;
}

/** How to reach an apiserver without a kubeconfig (e.g. another cluster, for a provider). */
export interface ClusterConfig {
  /** https://host:port, optionally with a path prefix (a proxy). */
  server: string;
  /** PEM text, or base64 of PEM (as in a kubeconfig's *-data fields). */
  caData?: string;
  certData?: string;
  keyData?: string;
  /**
   * A bearer token, or a function returning the current one. A function is called at most
   * every 10 s and again after a 401, so a rotated token file is picked up.
   */
  token?: string | (() => Promise<string>);
  insecureSkipTlsVerify?: boolean;
  tlsServerName?: string;
}

export interface CreateKubeClientOptions extends KubeClientOptions {
  /** A kubeconfig file; without it: in-cluster config when running in a pod, else the default kubeconfig. */
  kubeconfigPath?: string;
}

const DEFAULTS = {
  qps: 50,
  burst: 100,
  timeoutMs: 30_000,
  maxRetries: 5,
  maxRetryAfterSeconds: 10,
  connections: 32,
} as const;

/**
 * The request pool for `workers` reconciles that each wait on one request at a time: one
 * connection per worker plus room for Events and the lease. A smaller pool would cap in-flight
 * writes below the workers (measured: 64 workers on 32 connections ran no faster than 32).
 */
export function connectionsForWorkers(workers: number): number {
  return Math.max(DEFAULTS.connections, workers + 8);
}

const TOKEN_CACHE_MS = 10_000;
/** An object in etcd is at most ~1.5 MiB; a much longer watch line means a broken stream. */
const MAX_WATCH_LINE_BYTES = 64 << 20;
const MAX_ERROR_MESSAGE = 1024;

/** Connection never established: safe to retry any verb, even create. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
/** undici's headersTimeout / bodyTimeout: the apiserver took the request and went silent. */
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
/** The connection broke mid-request: the outcome is unknown, so only idempotent verbs retry. */
const BROKEN_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'ETIMEDOUT', 'UND_ERR_CLOSED']);

// ---------------------------------------------------------------- rate limiting

/**
 * Token bucket with reservations (like Go's rate.Limiter.Wait): a caller that finds the
 * bucket empty reserves the next token and sleeps until it is due, so waiters are served in
 * arrival order without a queue.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly qps: number,
    readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = Math.max(1, burst);
    this.last = now();
  }

  /** Takes a token and returns how long (ms) to wait before using it. */
  reserve(): number {
    if (!(this.qps > 0)) return 0;
    const t = this.now();
    this.tokens = Math.min(Math.max(1, this.burst), this.tokens + ((t - this.last) * this.qps) / 1000);
    this.last = t;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.qps) * 1000;
  }

  async acquire(signal?: AbortSignal): Promise<void> {
    const wait = this.reserve();
    if (wait <= 0) return;
    await sleep(wait, signal);
    if (signal?.aborted) {
      // An abandoned reservation goes back, so aborted callers do not slow the others.
      this.tokens += 1;
      throw signal.reason;
    }
  }
}

// ---------------------------------------------------------------- paths

function basePathOf(type: ResourceType): string {
  return type.group ? `/apis/${type.group}/${type.version}` : `/api/${type.version}`;
}

/** The REST path of a collection (no name) or an object, with an optional subresource. */
export function resourcePath(
  type: ResourceType,
  namespace?: string,
  name?: string,
  subresource?: string,
): string {
  let p = basePathOf(type);
  if (type.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${type.resource}`;
  if (name !== undefined) {
    if (!name) throw new TypeError(`an empty ${type.kind} name`);
    p += `/${encodeURIComponent(name)}`;
    if (subresource) p += `/${subresource}`;
  }
  return p;
}

function objectPath(ref: ObjectRef): string {
  if (ref.type.namespaced && !ref.namespace) {
    throw new TypeError(`${ref.type.kind} "${ref.name ?? ''}" is namespaced: a namespace is required`);
  }
  if (!ref.name) throw new TypeError(`a ${ref.type.kind} reference needs a name`);
  return resourcePath(ref.type, ref.namespace, ref.name, ref.subresource);
}

function resourceLabel(type: ResourceType, subresource?: string): string {
  return subresource ? `${type.resource}/${subresource}` : type.resource;
}

// ---------------------------------------------------------------- helpers

/** Waits, then fails with the caller's abort reason if the caller gave up meanwhile. */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  await sleep(ms, signal);
  signal?.throwIfAborted();
}

function jitter(ms: number, fraction = 0.25): number {
  return ms * (1 + Math.random() * fraction);
}

function pem(v: string | undefined): string | undefined {
  if (!v) return undefined;
  if (v.includes('-----BEGIN')) return v;
  const decoded = Buffer.from(v, 'base64').toString('utf8');
  if (!decoded.includes('-----BEGIN')) throw new TypeError('TLS data is neither PEM nor base64-encoded PEM');
  return decoded;
}

function errorCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur && typeof cur === 'object'; i++) {
    const c = (cur as { code?: unknown }).code;
    if (typeof c === 'string') return c;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

function errorText(e: unknown): string {
  const code = errorCode(e);
  const msg = e instanceof Error ? e.message : String(e);
  const cause = e instanceof Error && e.cause instanceof Error ? e.cause.message : '';
  return [code, msg, cause && cause !== msg ? cause : ''].filter(Boolean).join(': ');
}

function truncate(s: string): string {
  return s.length > MAX_ERROR_MESSAGE ? `${s.slice(0, MAX_ERROR_MESSAGE - 3)}...` : s;
}

interface StatusBody {
  kind?: string;
  code?: number;
  reason?: string;
  message?: string;
  details?: { retryAfterSeconds?: number };
}

function headerValue(h: Dispatcher.ResponseData['headers'], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
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

// ---------------------------------------------------------------- watch line splitting

/**
 * Splits a byte stream into newline-terminated lines. Works on bytes: 0x0A never occurs
 * inside a multi-byte UTF-8 sequence, so chunk boundaries cannot corrupt characters.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;

  constructor(private readonly maxLineBytes = MAX_WATCH_LINE_BYTES) {}

  push(chunk: Buffer): string[] {
    const out: string[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl === -1) break;
      let line = chunk.subarray(start, nl);
      if (this.parts.length > 0) {
        this.parts.push(line);
        line = Buffer.concat(this.parts, this.size + line.length);
        this.parts = [];
        this.size = 0;
      }
      start = nl + 1;
      const s = line.toString('utf8').trim();
      if (s) out.push(s);
    }
    if (start < chunk.length) {
      // Copied: the transport may reuse its chunk buffers.
      const rest = Buffer.from(chunk.subarray(start));
      this.size += rest.length;
      if (this.size > this.maxLineBytes) {
        throw new KubeApiError(0, 'DecodeError', `a watch event exceeds ${this.maxLineBytes} bytes`);
      }
      this.parts.push(rest);
    }
    return out;
  }

  /** The unterminated last line, if any. */
  end(): string | undefined {
    if (this.parts.length === 0) return undefined;
    const s = Buffer.concat(this.parts, this.size).toString('utf8').trim();
    this.parts = [];
    this.size = 0;
    return s || undefined;
  }
}

// ---------------------------------------------------------------- the client

interface Transport {
  origin: string;
  basePath: string;
  agent: Agent;
  watchAgent: Agent;
  auth: () => Promise<string | undefined>;
  /** The token comes from a function, so a 401 is worth one retry with a fresh one. */
  refreshable: boolean;
  invalidateAuth: () => void;
}

interface CallSpec {
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

function makeTransport(cfg: ClusterConfig, opts: KubeClientOptions): Transport {
  let url: URL;
  try {
    url = new URL(cfg.server);
  } catch {
    throw new TypeError(`invalid apiserver URL "${cfg.server}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError(`apiserver URL "${cfg.server}" must start with https:// (or http://)`);
  }
  const connect = {
    ca: pem(cfg.caData),
    cert: pem(cfg.certData),
    key: pem(cfg.keyData),
    rejectUnauthorized: !cfg.insecureSkipTlsVerify,
    ...(cfg.tlsServerName ? { servername: cfg.tlsServerName } : {}),
  };
  const timeoutMs = opts.timeoutMs ?? DEFAULTS.timeoutMs;
  const agent = new Agent({
    connections: opts.connections ?? DEFAULTS.connections,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    allowH2: false,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect,
  });
  const watchAgent = new Agent({
    connections: null,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    allowH2: false,
    headersTimeout: timeoutMs,
    // A healthy watch can be silent for minutes; the reflector's inactivity timer owns that.
    bodyTimeout: 0,
    connect,
  });

  const token = cfg.token;
  let cached: { value: string; until: number } | undefined;
  let inflight: Promise<string> | undefined;
  const auth = async (): Promise<string | undefined> => {
    if (token === undefined) return undefined;
    if (typeof token === 'string') return token ? `Bearer ${token}` : undefined;
    const now = Date.now();
    if (!cached || cached.until <= now) {
      // Concurrent requests share one refresh.
      inflight ??= token().finally(() => (inflight = undefined));
      const value = (await inflight).trim();
      cached = { value, until: Date.now() + TOKEN_CACHE_MS };
    }
    return cached.value ? `Bearer ${cached.value}` : undefined;
  };
  return {
    origin: url.origin,
    basePath: url.pathname.replace(/\/+$/, ''),
    agent,
    watchAgent,
    auth,
    refreshable: typeof token === 'function',
    invalidateAuth: () => (cached = undefined),
  };
}

export class KubeClient implements KubeApi {
  private readonly t: Transport;
  private readonly limiter: TokenBucket;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly maxRetryAfterSeconds: number;
  private readonly userAgent: string;
  private readonly onRequest?: (info: KubeRequestInfo) => void;
  private readonly log?: KubeLogger;
  private readonly ownsTransport: boolean;

  constructor(cfg: ClusterConfig, opts: KubeClientOptions = {}, shared?: Transport) {
    this.t = shared ?? makeTransport(cfg, opts);
    this.ownsTransport = !shared;
    this.limiter = new TokenBucket(opts.qps ?? DEFAULTS.qps, opts.burst ?? DEFAULTS.burst);
    this.timeoutMs = Math.max(1, Math.ceil(opts.timeoutMs ?? DEFAULTS.timeoutMs));
    this.maxRetries = opts.maxRetries ?? DEFAULTS.maxRetries;
    this.maxRetryAfterSeconds = opts.maxRetryAfterSeconds ?? DEFAULTS.maxRetryAfterSeconds;
    this.userAgent = opts.userAgent ?? 'syncret';
    this.onRequest = opts.onRequest;
    this.log = opts.logger;
  }

  /** For another cluster's apiserver (bearer token or client certificate). */
  static fromConfig(cfg: ClusterConfig, opts: KubeClientOptions = {}): KubeClient {
    return new KubeClient(cfg, opts);
  }

  /**
   * A client on the same connections and credentials with its own rate limit, so that
   * e.g. lease renewals never queue behind a burst of reconciles.
   */
  withRateLimit(qps: number, burst: number): KubeClient {
    return new KubeClient(
      { server: this.t.origin },
      {
        qps,
        burst,
        timeoutMs: this.timeoutMs,
        maxRetries: this.maxRetries,
        maxRetryAfterSeconds: this.maxRetryAfterSeconds,
        userAgent: this.userAgent,
        onRequest: this.onRequest,
        logger: this.log,
      },
      this.t,
    );
  }

  /** Closes the connection pools (for clients of other clusters, when they are dropped). */
  async close(): Promise<void> {
    if (!this.ownsTransport) return;
    await Promise.all([this.t.agent.close(), this.t.watchAgent.close()]);
  }

  // ------------------------------------------------------------ KubeApi

  async get<T extends KubeObject>(ref: ObjectRef, signal?: AbortSignal): Promise<T> {
    return this.call<T>({
      verb: 'get',
      method: 'GET',
      resource: resourceLabel(ref.type, ref.subresource),
      path: objectPath(ref),
      signal,
      idempotent: true,
    });
  }

  async list<T extends KubeObject>(type: ResourceType, opts: ListOptions = {}): Promise<ListResult<T>> {
    const res = await this.call<{
      metadata?: { resourceVersion?: string; continue?: string };
      items?: T[] | null;
    }>({
      verb: 'list',
      method: 'GET',
      resource: type.resource,
      path: resourcePath(type, opts.namespace),
      query: {
        labelSelector: opts.labelSelector || undefined,
        fieldSelector: opts.fieldSelector || undefined,
        limit: opts.limit || undefined,
        continue: opts.continue || undefined,
        resourceVersion: opts.resourceVersion,
        resourceVersionMatch: opts.resourceVersionMatch,
      },
      signal: opts.signal,
      idempotent: true,
    });
    // List items come without apiVersion/kind; consumers (and SSA bodies built from them) want them.
    const apiVersion = apiVersionOf(type);
    const items = res.items ?? [];
    for (const item of items) {
      item.apiVersion ??= apiVersion;
      item.kind ??= type.kind;
    }
    return {
      items,
      resourceVersion: res.metadata?.resourceVersion ?? '',
      continue: res.metadata?.continue || undefined,
    };
  }

  async create<T extends KubeObject>(ref: ObjectRef, body: unknown, signal?: AbortSignal): Promise<T> {
    // POST goes to the collection, or to a named object's subresource (e.g. serviceaccounts/x/token).
    const path = ref.subresource ? objectPath(ref) : this.collectionPath(ref);
    return this.call<T>({
      verb: 'create',
      method: 'POST',
      resource: resourceLabel(ref.type, ref.subresource),
      path,
      body,
      contentType: 'application/json',
      signal,
      idempotent: false,
    });
  }

  /** Server-side apply; `force` defaults to true (Syncret owns the fields it writes). */
  async apply<T extends KubeObject>(ref: ObjectRef, body: unknown, opts: ApplyOptions): Promise<T> {
    if (!opts.fieldManager) throw new TypeError('server-side apply needs a fieldManager');
    const full =
      body && typeof body === 'object' && !Array.isArray(body)
        ? { apiVersion: apiVersionOf(ref.type), kind: ref.type.kind, ...(body as Record<string, unknown>) }
        : body;
    return this.call<T>({
      verb: 'apply',
      method: 'PATCH',
      resource: resourceLabel(ref.type, ref.subresource),
      path: objectPath(ref),
      query: { fieldManager: opts.fieldManager, force: (opts.force ?? true) || undefined },
      // JSON is valid YAML; the apiserver accepts it under the apply content type.
      body: full,
      contentType: 'application/apply-patch+yaml',
      signal: opts.signal,
      idempotent: true,
    });
  }

  async mergePatch<T extends KubeObject>(ref: ObjectRef, patch: unknown, signal?: AbortSignal): Promise<T> {
    return this.call<T>({
      verb: 'patch',
      method: 'PATCH',
      resource: resourceLabel(ref.type, ref.subresource),
      path: objectPath(ref),
      body: patch,
      contentType: 'application/merge-patch+json',
      signal,
      idempotent: true,
    });
  }

  async replace<T extends KubeObject>(ref: ObjectRef, body: unknown, signal?: AbortSignal): Promise<T> {
    return this.call<T>({
      verb: 'update',
      method: 'PUT',
      resource: resourceLabel(ref.type, ref.subresource),
      path: objectPath(ref),
      body,
      contentType: 'application/json',
      signal,
      // A repeat after an unknown outcome fails with 409 on the stale resourceVersion.
      idempotent: true,
    });
  }

  async delete(ref: ObjectRef, opts: { preconditionUid?: string; signal?: AbortSignal } = {}): Promise<void> {
    await this.call<unknown>({
      verb: 'delete',
      method: 'DELETE',
      resource: resourceLabel(ref.type, ref.subresource),
      path: objectPath(ref),
      body: {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        propagationPolicy: 'Background',
        ...(opts.preconditionUid ? { preconditions: { uid: opts.preconditionUid } } : {}),
      },
      contentType: 'application/json',
      signal: opts.signal,
      idempotent: true,
    });
  }

  watch<T extends KubeObject>(type: ResourceType, opts: WatchOptions): AsyncIterable<WatchEvent<T>> {
    return this.watchStream<T>(type, opts);
  }

  // ------------------------------------------------------------ internals

  private collectionPath(ref: ObjectRef): string {
    if (ref.type.namespaced && !ref.namespace) {
      throw new TypeError(`${ref.type.kind} is namespaced: a namespace is required`);
    }
    return resourcePath(ref.type, ref.namespace);
  }

  private fullPath(path: string, query?: CallSpec['query']): string {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {}))
      if (v !== undefined && v !== '') qs.append(k, String(v));
    const s = qs.toString();
    return `${this.t.basePath}${path}${s ? `?${s}` : ''}`;
  }

  private async headers(contentType?: string): Promise<Record<string, string>> {
    const h: Record<string, string> = { accept: 'application/json', 'user-agent': this.userAgent };
    if (contentType) h['content-type'] = contentType;
    let auth: string | undefined;
    try {
      auth = await this.t.auth();
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

  private report(verb: KubeVerb, resource: string, code: number, started: number): void {
    if (!this.onRequest) return;
    try {
      this.onRequest({ verb, resource, code, seconds: (performance.now() - started) / 1000 });
    } catch {
      // metrics must never fail a request
    }
  }

  /** One attempt: rate limit, send, read the whole body. Throws KubeApiError(0, ...) or the caller's abort reason. */
  private async attempt(spec: CallSpec): Promise<Answer> {
    await this.limiter.acquire(spec.signal);
    const headers = await this.headers(spec.contentType);
    const started = performance.now();
    const what = `${spec.method} ${spec.path}`;
    try {
      const res = await this.t.agent.request({
        origin: this.t.origin,
        path: this.fullPath(spec.path, spec.query),
        method: spec.method,
        headers,
        body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
        // undici's own timers bound the wait for headers and each gap in the body: a timer
        // and a combined AbortSignal per request cost measurable CPU and GC at thousands of
        // requests per second (2026-11-23 profile), and composite signals on the long-lived
        // shutdown signal pile up until collected.
        signal: spec.signal,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        idempotent: spec.idempotent,
      });
      const text = await res.body.text();
      this.report(spec.verb, spec.resource, res.statusCode, started);
      return { status: res.statusCode, text, retryAfter: headerValue(res.headers, 'retry-after') };
    } catch (e) {
      this.report(spec.verb, spec.resource, 0, started);
      if (spec.signal?.aborted) throw spec.signal.reason;
      if (TIMEOUT_CODES.has(errorCode(e) ?? '')) {
        throw new KubeApiError(0, 'Timeout', `${what}: no answer within ${this.timeoutMs / 1000}s`);
      }
      const err = new KubeApiError(0, 'NetworkError', `${what}: ${errorText(e)}`);
      err.cause = e;
      throw err;
    }
  }

  private async call<T>(spec: CallSpec): Promise<T> {
    const what = `${spec.method} ${spec.path}`;
    let authRetried = false;
    for (let attempt = 0; ; attempt++) {
      let ans: Answer;
      try {
        ans = await this.attempt(spec);
      } catch (e) {
        if (!(e instanceof KubeApiError) || e.reason !== 'NetworkError' || attempt >= this.maxRetries)
          throw e;
        const code = errorCode(e.cause);
        const safe =
          (code && NOT_SENT_CODES.has(code)) || (spec.idempotent && code && BROKEN_CODES.has(code));
        if (!safe) throw e;
        await pause(jitter(200 * 2 ** attempt, 1), spec.signal);
        continue;
      }
      if (ans.status >= 200 && ans.status < 300) {
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
      const err = statusError(ans.status, ans.text, ans.retryAfter, what);
      if (ans.status === 401 && this.t.refreshable && !authRetried) {
        // A rotated token: fetch it again once.
        authRetried = true;
        this.t.invalidateAuth();
        continue;
      }
      const wait = this.retryWait(spec, ans.status, err.retryAfterSeconds, attempt);
      if (wait === undefined) throw err;
      this.log?.debug(
        { status: ans.status, reason: err.reason, path: spec.path, waitMs: Math.round(wait) },
        'kube request retried',
      );
      await pause(wait, spec.signal);
    }
  }

  /** How long to wait before retrying a non-2xx answer, or undefined to give up. */
  private retryWait(
    spec: CallSpec,
    status: number,
    retryAfter: number | undefined,
    attempt: number,
  ): number | undefined {
    if (attempt >= this.maxRetries) return undefined;
    if (retryAfter !== undefined && retryAfter > this.maxRetryAfterSeconds) return undefined;
    const backoff = Math.min(200 * 2 ** attempt, 5_000);
    // 429 is decided before the request is processed, so any verb may repeat it.
    if (status === 429) return jitter(retryAfter !== undefined ? Math.max(retryAfter * 1000, 100) : backoff);
    if (!spec.idempotent) return undefined;
    if (status >= 500 && retryAfter !== undefined) return jitter(Math.max(retryAfter * 1000, 100));
    if (status === 502 || status === 503 || status === 504) return jitter(backoff, 1);
    return undefined;
  }

  private async *watchStream<T extends KubeObject>(
    type: ResourceType,
    opts: WatchOptions,
  ): AsyncGenerator<WatchEvent<T>> {
    const signal = opts.signal;
    const path = resourcePath(type, opts.namespace);
    const what = `GET ${path} (watch)`;
    try {
      await this.limiter.acquire(signal);
    } catch (e) {
      if (signal?.aborted) return;
      throw e;
    }
    const headers = await this.headers();
    const started = performance.now();
    let res: Dispatcher.ResponseData;
    try {
      res = await this.t.watchAgent.request({
        origin: this.t.origin,
        path: this.fullPath(path, {
          watch: 1,
          allowWatchBookmarks: true,
          resourceVersion: opts.resourceVersion || undefined,
          timeoutSeconds: opts.timeoutSeconds,
          labelSelector: opts.labelSelector || undefined,
          fieldSelector: opts.fieldSelector || undefined,
        }),
        method: 'GET',
        headers,
        signal,
        headersTimeout: this.timeoutMs,
        bodyTimeout: 0,
        blocking: true,
      });
    } catch (e) {
      this.report('watch', type.resource, 0, started);
      if (signal?.aborted) return;
      throw new KubeApiError(0, 'NetworkError', `${what}: ${errorText(e)}`);
    }
    this.report('watch', type.resource, res.statusCode, started);
    const body = res.body;
    try {
      if (res.statusCode < 200 || res.statusCode >= 300) {
        const text = await body.text();
        if (res.statusCode === 401) this.t.invalidateAuth();
        throw statusError(res.statusCode, text, headerValue(res.headers, 'retry-after'), what);
      }
      const splitter = new LineSplitter();
      const decode = (line: string): WatchEvent<T> => {
        let ev: unknown;
        try {
          ev = JSON.parse(line);
        } catch {
          throw new KubeApiError(0, 'DecodeError', `${what}: a watch event is not valid JSON`);
        }
        const e = ev as Partial<WatchEvent<T>> | null;
        if (!e || typeof e.type !== 'string' || !e.object || typeof e.object !== 'object') {
          throw new KubeApiError(0, 'DecodeError', `${what}: a watch event has no type or object`);
        }
        return e as WatchEvent<T>;
      };
      try {
        for await (const chunk of body as AsyncIterable<Buffer>) {
          for (const line of splitter.push(chunk)) yield decode(line);
        }
      } catch (e) {
        if (signal?.aborted) return;
        if (e instanceof KubeApiError) throw e;
        throw new KubeApiError(0, 'NetworkError', `${what}: ${errorText(e)}`);
      }
      const tail = splitter.end();
      if (tail) yield decode(tail);
    } finally {
      if (!body.destroyed) body.destroy();
    }
  }
}

/**
 * The operator's own client: `kubeconfigPath` if given, else the in-cluster config when
 * running in a pod, else the default kubeconfig ($KUBECONFIG or ~/.kube/config).
 */
export async function createKubeClient(opts: CreateKubeClientOptions = {}): Promise<KubeClient> {
  const cfg = opts.kubeconfigPath
    ? loadKubeconfigFiles([opts.kubeconfigPath])
    : process.env.KUBERNETES_SERVICE_HOST
      ? inClusterConfig()
      : loadKubeconfigFiles();
  return new KubeClient(cfg, opts);
}
