// Connected provider clients are shared by every ExternalSecret of a store (one login, one
// connection pool), and concurrent identical reads collapse into one provider call.

import { createHash } from 'node:crypto';
import type { FindRef } from '../api/types.js';
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
}

export function storeKeyOf(store: Pick<StoreInfo, 'kind' | 'namespace' | 'name'>): string {
  return store.kind === 'ClusterSecretStore'
    ? `ClusterSecretStore/${store.name}`
    : `SecretStore/${store.namespace}/${store.name}`;
}

function specHash(store: StoreInfo): string {
  return createHash('sha256').update(JSON.stringify(store.provider)).digest('hex').slice(0, 16);
}

export class ClientCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<RemoteValue>>();
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
    const started = this.now();
    const client = provider.connect(store, ctx());
    const entry: Entry = { storeKey: storeKeyOf(store), client, createdAt: now };
    this.entries.set(id, entry);
    try {
      const c = await client;
      this.opts.onCall?.(provider.name, 'connect', true, (this.now() - started) / 1000);
      return c;
    } catch (e) {
      this.opts.onCall?.(provider.name, 'connect', false, (this.now() - started) / 1000);
      // A failed connect is not cached: the next reconcile retries with fresh credentials.
      if (this.entries.get(id) === entry) this.entries.delete(id);
      throw e;
    }
  }

  /** One provider call per (client, key, version, metadataPolicy) at a time. */
  getSecret(
    providerName: string,
    id: string,
    client: SecretsClient,
    ref: RemoteKeyRef,
  ): Promise<RemoteValue> {
    const key = `${id}\u0000${ref.key}\u0000${ref.version ?? ''}\u0000${ref.metadataPolicy ?? ''}`;
    const running = this.inflight.get(key);
    if (running) return running;
    const started = this.now();
    const p = client.getSecret(ref).then(
      (v) => {
        this.opts.onCall?.(providerName, 'get', true, (this.now() - started) / 1000);
        return v;
      },
      (e: unknown) => {
        this.opts.onCall?.(providerName, 'get', false, (this.now() - started) / 1000);
        throw e;
      },
    );
    this.inflight.set(key, p);
    const clear = (): void => {
      this.inflight.delete(key);
    };
    p.then(clear, clear);
    return p;
  }

  /** A find (list) call, timed and counted like get. */
  async findSecrets(
    providerName: string,
    client: SecretsClient,
    find: FindRef,
  ): Promise<Map<string, RemoteValue>> {
    if (!client.findSecrets) {
      throw new ProviderError('Unsupported', `the ${providerName} provider does not support dataFrom.find`);
    }
    const started = this.now();
    try {
      const out = await client.findSecrets(find);
      this.opts.onCall?.(providerName, 'find', true, (this.now() - started) / 1000);
      return out;
    } catch (e) {
      this.opts.onCall?.(providerName, 'find', false, (this.now() - started) / 1000);
      throw e;
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
