// The connections and credentials of one apiserver: one keep-alive HTTP/1.1 pool for ordinary
// requests and a separate, unbounded pool for watches. Every watch holds its connection for
// minutes, so sharing one bounded pool would let a few dozen watches starve reconciles (and
// lease renewals) of connections.

import { Agent } from '../net/undici.js';
import type { ClusterConfig } from './cluster.js';

const TOKEN_CACHE_MS = 10_000;

/** Shared by every client made with withRateLimit from the same KubeClient. */
export interface Transport {
  origin: string;
  basePath: string;
  agent: Agent;
  watchAgent: Agent;
  /** The Authorization header value, if any. */
  auth: () => Promise<string | undefined>;
  /** The token comes from a function, so a 401 is worth one retry with a fresh one. */
  refreshable: boolean;
  invalidateAuth: () => void;
}

export interface TransportOptions {
  /** Connections of the pool for ordinary requests. */
  connections: number;
  /** undici's headersTimeout and bodyTimeout (watch bodies: none). */
  timeoutMs: number;
}

function pem(v: string | undefined): string | undefined {
  if (!v) return undefined;
  if (v.includes('-----BEGIN')) return v;
  const decoded = Buffer.from(v, 'base64').toString('utf8');
  if (!decoded.includes('-----BEGIN')) throw new TypeError('TLS data is neither PEM nor base64-encoded PEM');
  return decoded;
}

function serverUrl(server: string): URL {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new TypeError(`invalid apiserver URL "${server}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError(`apiserver URL "${server}" must start with https:// (or http://)`);
  }
  return url;
}

/** A bearer token source: a function's result is cached, and concurrent requests share one refresh. */
function bearer(token: ClusterConfig['token']): Pick<Transport, 'auth' | 'refreshable' | 'invalidateAuth'> {
  let cached: { value: string; until: number } | undefined;
  let inflight: Promise<string> | undefined;
  const auth = async (): Promise<string | undefined> => {
    if (token === undefined) return undefined;
    if (typeof token === 'string') return token ? `Bearer ${token}` : undefined;
    const now = Date.now();
    if (!cached || cached.until <= now) {
      inflight ??= token().finally(() => (inflight = undefined));
      const value = (await inflight).trim();
      cached = { value, until: Date.now() + TOKEN_CACHE_MS };
    }
    return cached.value ? `Bearer ${cached.value}` : undefined;
  };
  return { auth, refreshable: typeof token === 'function', invalidateAuth: () => (cached = undefined) };
}

export function makeTransport(cfg: ClusterConfig, opts: TransportOptions): Transport {
  const url = serverUrl(cfg.server);
  const connect = {
    ca: pem(cfg.caData),
    cert: pem(cfg.certData),
    key: pem(cfg.keyData),
    rejectUnauthorized: !cfg.insecureSkipTlsVerify,
    ...(cfg.tlsServerName ? { servername: cfg.tlsServerName } : {}),
  };
  const agent = new Agent({
    connections: opts.connections,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    allowH2: false,
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
    connect,
  });
  const watchAgent = new Agent({
    connections: null,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    allowH2: false,
    headersTimeout: opts.timeoutMs,
    // A healthy watch can be silent for minutes; the reflector's inactivity timer owns that.
    bodyTimeout: 0,
    connect,
  });
  return {
    origin: url.origin,
    basePath: url.pathname.replace(/\/+$/, ''),
    agent,
    watchAgent,
    ...bearer(cfg.token),
  };
}
