// Provider access for a store: the registered provider, its static checks, one shared client
// per store identity (ClientCache) with cluster credentials through the ProviderContext, and
// reconnection when the backend rejects the credentials (they may have been rotated).

import type { FindRef, SecretStore, StoreKind } from '../../api/types.js';
import type { KubeApi } from '../../kube/types.js';
import type { ClientCache } from '../../providers/clients.js';
import { ProviderError } from '../../providers/errors.js';
import type { ProviderRegistry } from '../../providers/registry.js';
import type {
  Provider,
  RemoteKeyRef,
  RemoteValue,
  StoreInfo,
  ValidationResult,
} from '../../providers/types.js';
import { providerContext } from './credentials.js';
import type { CredentialPolicy } from './credentials.js';
import { storeInfoOf } from './resolve.js';

/** Reads of one store, as the ExternalSecret pipeline makes them. */
export interface StoreReader {
  provider: string;
  /** maxAgeMs > 0 allows the answer of an identical call started at most that long ago. */
  get(ref: RemoteKeyRef, maxAgeMs?: number): Promise<RemoteValue>;
  find(find: FindRef, maxAgeMs?: number): Promise<Map<string, RemoteValue>>;
}

export interface DataSource {
  reader(store: StoreInfo): Promise<StoreReader>;
}

/** Rejected credentials may have been rotated: the next attempt reconnects. */
export function rejectsCredentials(e: unknown): boolean {
  return e instanceof ProviderError && (e.reason === 'AuthFailed' || e.reason === 'AccessDenied');
}

export class StoreAccess implements DataSource {
  constructor(
    private readonly o: {
      api: KubeApi;
      registry: ProviderRegistry;
      clients: ClientCache;
      /** Long-lived: it outlives one reconcile (clients and their logins are shared). */
      signal: AbortSignal;
      policy?: CredentialPolicy;
    },
  ) {}

  async reader(info: StoreInfo): Promise<StoreReader> {
    const resolved = await this.o.registry.resolve(info.provider);
    if ('error' in resolved) throw new ProviderError('InvalidProviderConfig', resolved.error);
    const provider = resolved.provider;
    const invalid = provider.validateSpec(info);
    if (invalid) throw new ProviderError('InvalidProviderConfig', invalid);
    const { clients } = this.o;
    const client = await this.client(provider, info);
    const id = clients.identity(provider, info);
    const guard = async <T>(p: Promise<T>): Promise<T> => {
      try {
        return await p;
      } catch (e) {
        if (rejectsCredentials(e)) clients.invalidate(provider, info);
        throw e;
      }
    };
    return {
      provider: provider.name,
      get: (ref, maxAgeMs) => guard(clients.getSecret(provider.name, id, client, ref, maxAgeMs)),
      find: (find, maxAgeMs) => guard(clients.findSecrets(provider.name, client, find, id, maxAgeMs)),
    };
  }

  async validate(provider: Provider, info: StoreInfo): Promise<ValidationResult> {
    return (await this.client(provider, info)).validate();
  }

  /** The store changed or went: its clients (logins, connections) are not needed any more. */
  evict(store: SecretStore, kind: StoreKind): void {
    this.o.clients.evictStore(storeInfoOf(store, kind));
  }

  private client(provider: Provider, info: StoreInfo) {
    return this.o.clients.client(provider, info, () =>
      providerContext(this.o.api, info, this.o.signal, this.o.policy),
    );
  }
}
