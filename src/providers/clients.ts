// Connected provider clients are shared by every ExternalSecret of a store (one login, one
// connection pool); concurrent identical reads collapse into one provider call, and a read
// may be answered from a recent one when the caller allows it (maxAgeMs): a thousand
// ExternalSecrets refreshing the same remote key within their interval cost one call, which
// is what users pay for and are throttled on. Every real call (connects included) first takes
// its store's share of the provider-call budget when one is set (budget.ts).

import { createHash } from 'node:crypto';
import type { FindRef } from '../api/types.js';
import type { CallBudget } from './budget.js';
import { ProviderError } from './errors.js';
import type {
  Provider,
  ProviderContext,
  RemoteKeyRef,
  RemoteValue,
  SecretsClient,
  StoreInfo,
} from './types.js';

/** Rebuild clients this often even when nothing changed, so rotated credentials are picked up. */
const DEFAULT_MAX_AGE_MS = 10 * 60 * 1000;

/** Reads are never reused after this long, whatever the caller allows. */
export const MAX_READ_REUSE_MS = 5 * 60 * 1000;
/** Bounds the memory of reused reads; the oldest are dropped first. */
const MAX_READ_ENTRIES = 20_000;

interface Recent<T> {
  value: T;
  /** When the call that produced it started (the value is at least this fresh). */
  at: number;
}

interface Entry {
  storeKey: string;
  client: Promise<SecretsClient>;
  createdAt: number;
}

export interface ClientCacheOptions {
  maxAgeMs?: number;
  now?: () => number;
  /** Called for every real provider call (metrics). */
  onCall?: (provider: string, operation: string, ok: boolean, seconds: number) => void;
  /** Called when a read is answered by a running or recent identical call. */
  onShared?: (provider: string, operation: string) => void;
  /** The per-store provider-call budget; none when undefined. */
  budget?: CallBudget;
}

export function storeKeyOf(store: Pick<StoreInfo, 'kind' | 'namespace' | 'name'>): string {
  return store.kind === 'ClusterSecretStore'
    ? `ClusterSecretStore/${store.name}`
    : `SecretStore/${store.namespace}/${store.name}`;
}

// Keyed by the cached spec object: every reconcile asks, and a store's update arrives as a new
// object from its watch, so a changed spec is hashed afresh.
const specHashes = new WeakMap<object, string>();

function specHash(store: StoreInfo): string {
  let h = specHashes.get(store.provider);
  if (h === undefined) {
    h = createHash('sha256').update(JSON.stringify(store.provider)).digest('hex').slice(0, 16);
    specHashes.set(store.provider, h);
  }
  return h;
}

export class ClientCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<RemoteValue>>();
  private readonly inflightFind = new Map<string, Promise<Map<string, RemoteValue>>>();
  private readonly recent = new Map<string, Recent<RemoteValue>>();
  private readonly recentFind = new Map<string, Recent<Map<string, RemoteValue>>>();
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: ClientCacheOptions = {}) {
    this.maxAgeMs = opts.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
    this.now = opts.now ?? Date.now;
  }

  /** The cache identity of the client serving `store` for its requester. */
  identity(provider: Provider, store: StoreInfo): string {
    const scope = provider.cacheScope?.(store) ?? '';
    return `${storeKeyOf(store)}@${specHash(store)}|${scope}`;
  }

  async client(provider: Provider, store: StoreInfo, ctx: () => ProviderContext): Promise<SecretsClient> {
    const id = this.identity(provider, store);
    const now = this.now();
    const hit = this.entries.get(id);
    if (hit) {
      const c = await hit.client.catch(() => undefined);
      if (c && now - hit.createdAt < this.maxAgeMs && (c.expiresAt === undefined || c.expiresAt > now))
        return c;
      if (this.entries.get(id) === hit) this.drop(id);
    }
    const connect = async (): Promise<SecretsClient> => {
      const started = this.now();
      try {
        const c = await provider.connect(store, ctx());
        this.opts.onCall?.(provider.name, 'connect', true, (this.now() - started) / 1000);
        return c;
      } catch (e) {
        this.opts.onCall?.(provider.name, 'connect', false, (this.now() - started) / 1000);
        throw e;
      }
    };
    const storeKey = storeKeyOf(store);
    const client = this.budgeted(storeKey, provider.name, connect);
    const entry: Entry = { storeKey, client, createdAt: now };
    this.entries.set(id, entry);
    try {
      return await client;
    } catch (e) {
      // A failed connect is not cached: the next reconcile retries with fresh credentials.
      if (this.entries.get(id) === entry) this.entries.delete(id);
      throw e;
    }
  }

  /**
   * One provider call per (client, key, version, metadataPolicy) at a time; with maxAgeMs > 0
   * the answer of a call started at most that long ago is reused (errors never are).
   */
  getSecret(
    providerName: string,
    id: string,
    client: SecretsClient,
    ref: RemoteKeyRef,
    maxAgeMs = 0,
  ): Promise<RemoteValue> {
    const key = `${id}\u0000${ref.key}\u0000${ref.version ?? ''}\u0000${ref.metadataPolicy ?? ''}\u0000${ref.property ?? ''}`;
    return this.shared(providerName, 'get', key, maxAgeMs, this.inflight, this.recent, () =>
      client.getSecret(ref),
    );
  }

  /** A find (list) call, shared and reused like getSecret. */
  findSecrets(
    providerName: string,
    client: SecretsClient,
    find: FindRef,
    id = '',
    maxAgeMs = 0,
  ): Promise<Map<string, RemoteValue>> {
    if (!client.findSecrets) {
      return Promise.reject(
        new ProviderError('Unsupported', `the ${providerName} provider does not support dataFrom.find`),
      );
    }
    const finder = client.findSecrets.bind(client);
    // Without a client identity the call cannot be told apart from another store's: no sharing.
    const key = id ? `${id}\u0000${JSON.stringify(find)}` : '';
    return this.shared(providerName, 'find', key, id ? maxAgeMs : 0, this.inflightFind, this.recentFind, () =>
      finder(find),
    );
  }

  private shared<T>(
    providerName: string,
    operation: string,
    key: string,
    maxAgeMs: number,
    inflight: Map<string, Promise<T>>,
    recent: Map<string, Recent<T>>,
    call: () => Promise<T>,
  ): Promise<T> {
    const now = this.now();
    if (key) {
      const hit = recent.get(key);
      if (hit && maxAgeMs > 0 && now - hit.at <= Math.min(maxAgeMs, MAX_READ_REUSE_MS)) {
        this.opts.onShared?.(providerName, operation);
        return Promise.resolve(hit.value);
      }
      const running = inflight.get(key);
      if (running) {
        this.opts.onShared?.(providerName, operation);
        return running;
      }
    }
    const measured = (): Promise<T> => {
      const started = this.now();
      return call().then(
        (v) => {
          this.opts.onCall?.(providerName, operation, true, (this.now() - started) / 1000);
          if (key) this.remember(recent, key, { value: v, at: started });
          return v;
        },
        (e: unknown) => {
          this.opts.onCall?.(providerName, operation, false, (this.now() - started) / 1000);
          // A failure also ends the reuse of an older answer: the backend now says otherwise.
          if (key) recent.delete(key);
          throw e;
        },
      );
    };
    // The identity starts with the store key (see identity()): that store's budget pays. A call
    // the budget refuses was never made: no call metric, and an older answer stays reusable.
    const p = this.budgeted(key ? key.slice(0, key.indexOf('@')) : providerName, providerName, measured);
    if (key) {
      inflight.set(key, p);
      const clear = (): void => {
        if (inflight.get(key) === p) inflight.delete(key);
      };
      p.then(clear, clear);
    }
    return p;
  }

  private budgeted<T>(storeKey: string, providerName: string, call: () => Promise<T>): Promise<T> {
    const budget = this.opts.budget;
    if (!budget) return call();
    return budget.take(storeKey, providerName).then(call);
  }

  private remember<T>(recent: Map<string, Recent<T>>, key: string, r: Recent<T>): void {
    recent.delete(key);
    recent.set(key, r);
    if (recent.size <= MAX_READ_ENTRIES) return;
    // Map order is insertion order: the first entries are the oldest answers.
    const cutoff = this.now() - MAX_READ_REUSE_MS;
    for (const [k, v] of recent) {
      if (recent.size <= MAX_READ_ENTRIES && v.at >= cutoff) break;
      recent.delete(k);
    }
  }

  /** One call that is not shared (a write), measured like the others. */
  async measured<T>(providerName: string, operation: string, call: () => Promise<T>): Promise<T> {
    const started = this.now();
    try {
      const v = await call();
      this.opts.onCall?.(providerName, operation, true, (this.now() - started) / 1000);
      return v;
    } catch (e) {
      this.opts.onCall?.(providerName, operation, false, (this.now() - started) / 1000);
      throw e;
    }
  }

  /** Forgets reused reads (of one client identity, or all): their values leave memory. */
  forgetReads(id?: string): void {
    for (const m of [this.recent, this.recentFind] as Map<string, unknown>[]) {
      if (id === undefined) m.clear();
      else for (const k of m.keys()) if (k.startsWith(`${id}\u0000`)) m.delete(k);
    }
  }

  /** Drops (and closes) a client whose credentials were rejected, so the next call reconnects. */
  invalidate(provider: Provider, store: StoreInfo): void {
    this.drop(this.identity(provider, store));
  }

  /** Drops every client of a store (spec changed or store deleted). */
  evictStore(store: Pick<StoreInfo, 'kind' | 'namespace' | 'name'>): void {
    const sk = storeKeyOf(store);
    for (const [id, e] of this.entries) if (e.storeKey === sk) this.drop(id);
  }

  async closeAll(): Promise<void> {
    const all = [...this.entries.keys()];
    await Promise.all(all.map((id) => this.drop(id)));
  }

  get size(): number {
    return this.entries.size;
  }

  private async drop(id: string): Promise<void> {
    this.forgetReads(id);
    const e = this.entries.get(id);
    if (!e) return;
    this.entries.delete(id);
    try {
      await (await e.client).close();
    } catch {
      // Closing is best effort: the client is gone from the cache either way.
    }
  }
}
