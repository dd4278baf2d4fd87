// Provider access for a store: the registered provider, its static checks, one shared client
// per store identity (ClientCache) with cluster credentials through the ProviderContext, and
// reconnection when the backend rejects the credentials (they may have been rotated).

import type { FindRef, SecretStore, StoreKind } from '../../api/types.js';
import type { KubeApi } from '../../kube/types.js';
import type { ClientCache } from '../../providers/clients.js';
import { ProviderError } from '../../providers/errors.js';
import type { ProviderRegistry } from '../../providers/registry.js';
import type {
  DeleteOutcome,
  Provider,
  PushOutcome,
  PushRef,
  PushRequest,
  RemoteKeyRef,
  RemoteValue,
  SecretsClient,
  StoreInfo,
  ValidationResult,
} from '../../providers/types.js';
import { providerContext } from './credentials.js';
import type { CredentialPolicy } from './credentials.js';
import { storeRefKey } from './health.js';
import type { StoreHealth } from './health.js';
import { storeInfoOf } from './resolve.js';

/** Reads of one store, as the ExternalSecret pipeline makes them. */
export interface StoreReader {
  provider: string;
  /** The provider applies remoteRef.property itself (Provider.readsProperty). */
  readsProperty?: boolean;
  /** maxAgeMs > 0 allows the answer of an identical call started at most that long ago. */
  get(ref: RemoteKeyRef, maxAgeMs?: number): Promise<RemoteValue>;
  find(find: FindRef, maxAgeMs?: number): Promise<Map<string, RemoteValue>>;
}

export interface DataSource {
  reader(store: StoreInfo): Promise<StoreReader>;
}

/** Writes into one store (PushSecret): each call measured, rejected credentials reconnect. */
export interface StoreWriter {
  provider: string;
  push(req: PushRequest): Promise<PushOutcome>;
  delete(ref: PushRef): Promise<DeleteOutcome>;
  exists(ref: PushRef): Promise<boolean>;
}

export interface DataSink {
  writer(store: StoreInfo): Promise<StoreWriter>;
}

/** Rejected credentials may have been rotated: the next attempt reconnects. */
export function rejectsCredentials(e: unknown): boolean {
  return e instanceof ProviderError && (e.reason === 'AuthFailed' || e.reason === 'AccessDenied');
}

export class StoreAccess implements DataSource, DataSink {
  constructor(
    private readonly o: {
      api: KubeApi;
      registry: ProviderRegistry;
      clients: ClientCache;
      /** Long-lived: it outlives one reconcile (clients and their logins are shared). */
      signal: AbortSignal;
      policy?: CredentialPolicy;
      /** Told about every read's outcome (store-wide failures, recoveries). */
      health?: StoreHealth;
    },
  ) {}

  async reader(info: StoreInfo): Promise<StoreReader> {
    const resolved = await this.o.registry.resolve(info.provider);
    if ('error' in resolved) throw new ProviderError('InvalidProviderConfig', resolved.error);
    const provider = resolved.provider;
    const invalid = provider.validateSpec(info);
    if (invalid) throw new ProviderError('InvalidProviderConfig', invalid);
    const { clients } = this.o;
    const ref = this.healthRef(provider, info);
    let client: SecretsClient;
    try {
      client = await this.client(provider, info);
    } catch (e) {
      // The probe connects again; a connection that works shows the backend is back.
      if (ref)
        this.o.health?.readFailed(ref, e, async () => {
          await this.reader(info);
          this.o.health?.readSucceeded(ref);
        });
      throw e;
    }
    const id = clients.identity(provider, info);
    const guard = async <T>(p: Promise<T>, replay: (r: StoreReader) => Promise<unknown>): Promise<T> => {
      try {
        const v = await p;
        if (ref) this.o.health?.readSucceeded(ref);
        return v;
      } catch (e) {
        if (rejectsCredentials(e)) clients.invalidate(provider, info);
        // The probe replays this very read, through a fresh reader (a rejected client is gone).
        if (ref) this.o.health?.readFailed(ref, e, async () => replay(await this.reader(info)));
        throw e;
      }
    };
    return {
      provider: provider.name,
      readsProperty: provider.readsProperty,
      get: (key, maxAgeMs) =>
        guard(clients.getSecret(provider.name, id, client, key, maxAgeMs), (r) => r.get(key)),
      find: (find, maxAgeMs) =>
        guard(clients.findSecrets(provider.name, client, find, id, maxAgeMs), (r) => r.find(find)),
    };
  }

  async writer(info: StoreInfo): Promise<StoreWriter> {
    const resolved = await this.o.registry.resolve(info.provider);
    if ('error' in resolved) throw new ProviderError('InvalidProviderConfig', resolved.error);
    const provider = resolved.provider;
    const invalid = provider.validateSpec(info);
    if (invalid) throw new ProviderError('InvalidProviderConfig', invalid);
    const client = await this.client(provider, info);
    const w = client.writer;
    if (!w)
      throw new ProviderError(
        'Unsupported',
        `the ${provider.name} provider cannot push secrets (PushSecret)`,
      );
    const { clients } = this.o;
    const call = async <T>(operation: string, fn: () => Promise<T>): Promise<T> => {
      try {
        return await clients.measured(provider.name, operation, fn);
      } catch (e) {
        if (rejectsCredentials(e)) clients.invalidate(provider, info);
        throw e;
      }
    };
    return {
      provider: provider.name,
      push: (req) => call('push', () => w.push(req)),
      delete: (ref) => call('delete', () => w.delete(ref)),
      exists: (ref) => call('exists', () => w.exists(ref)),
    };
  }

  /**
   * The store's key for health tracking, or undefined when its credentials resolve per
   * requesting namespace (a ClusterSecretStore whose failure in one namespace says nothing
   * about the others).
   */
  private healthRef(provider: Provider, info: StoreInfo): string | undefined {
    if (!this.o.health || (provider.cacheScope?.(info) ?? '') !== '') return undefined;
    return storeRefKey(info.kind, info.namespace ?? '', info.name);
  }

  async validate(provider: Provider, info: StoreInfo): Promise<ValidationResult> {
    return (await this.client(provider, info)).validate();
  }

  /** The store changed or went: its clients (logins, connections) and failures are stale. */
  evict(store: SecretStore, kind: StoreKind): void {
    this.o.clients.evictStore(storeInfoOf(store, kind));
    this.o.health?.forget(storeRefKey(kind, store.metadata.namespace ?? '', store.metadata.name ?? ''));
  }

  private client(provider: Provider, info: StoreInfo) {
    return this.o.clients.client(provider, info, () =>
      providerContext(this.o.api, info, this.o.signal, this.o.policy),
    );
  }
}
