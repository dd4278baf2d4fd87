// Generators as the ExternalSecret reconciler and its finalizer use them: the generator object
// read with a GET at each use (a change applies at once), its connection shared through the
// client cache (one login per generator spec), metrics per call, and reconnection when the
// backend rejects the credentials.

import { GENERATORS_GROUP, GENERATORS_VERSION } from '../../api/types.js';
import type { GeneratorLease, GeneratorRef, KubeObject } from '../../api/types.js';
import { isKubeApiError } from '../../kube/types.js';
import type { KubeApi } from '../../kube/types.js';
import type { ClientCache } from '../../providers/clients.js';
import { ProviderError } from '../../providers/errors.js';
import type { Generator } from '../../providers/generator.js';
import type { SecretsClient } from '../../providers/types.js';
import type { LeaseGrant } from '../../providers/generator.js';
import { rejectsCredentials } from '../store/access.js';
import { providerContext } from '../store/credentials.js';
import type { CredentialPolicy } from '../store/credentials.js';

/** What one generator call produced. */
export interface GeneratorOutput {
  data: Record<string, Uint8Array>;
  lease?: LeaseGrant;
  /** The provider behind it, for metrics labels. */
  provider: string;
}

/** Generators as the reconciler sees them (implemented by Generators below). */
export interface GeneratorAccess {
  /** Issues new values; never shared with another ExternalSecret or another entry. */
  generate(namespace: string, ref: GeneratorRef, where: string): Promise<GeneratorOutput>;
  renew(namespace: string, lease: GeneratorLease): Promise<{ leaseDuration: number; renewable: boolean }>;
  revoke(namespace: string, lease: GeneratorLease): Promise<void>;
}

const GENERATOR_API_VERSION = `${GENERATORS_GROUP}/${GENERATORS_VERSION}`;

export interface GeneratorsOptions {
  api: KubeApi;
  clients: ClientCache;
  generators: readonly Generator[];
  controllerClass: string;
  /** Long-lived: clients and their logins outlive one reconcile. */
  signal: AbortSignal;
  policy?: CredentialPolicy;
  onCall?: (provider: string, operation: string, ok: boolean, seconds: number) => void;
}

export class Generators implements GeneratorAccess {
  private readonly byKind = new Map<string, Generator>();
  /**
   * The generator objects last read, by kind/namespace/name: a generator deleted together with
   * its ExternalSecret (kubectl delete -k, a GitOps prune) is still needed to revoke its leases.
   */
  private readonly last = new Map<string, KubeObject>();

  constructor(private readonly o: GeneratorsOptions) {
    for (const g of o.generators) this.byKind.set(g.kind, g);
  }

  get kinds(): readonly Generator[] {
    return [...this.byKind.values()];
  }

  async generate(namespace: string, ref: GeneratorRef, where: string): Promise<GeneratorOutput> {
    if (ref.apiVersion && ref.apiVersion !== GENERATOR_API_VERSION)
      throw new ProviderError(
        'InvalidRequest',
        `${where}.sourceRef.generatorRef.apiVersion must be ${GENERATOR_API_VERSION}`,
      );
    const { gen, obj } = await this.object(namespace, ref.kind ?? '', ref.name ?? '', where);
    const out = await this.call(gen, obj, namespace, 'generate', (c) => gen.generate(c, obj, Date.now()));
    return { ...out, provider: gen.connector.name };
  }

  async renew(
    namespace: string,
    lease: GeneratorLease,
  ): Promise<{ leaseDuration: number; renewable: boolean }> {
    const { gen, obj } = await this.object(namespace, lease.kind, lease.name, 'lease');
    return this.call(gen, obj, namespace, 'renew', (c) => gen.renew(c, lease.leaseID, lease.leaseDuration));
  }

  async revoke(namespace: string, lease: GeneratorLease): Promise<void> {
    const { gen, obj } = await this.object(namespace, lease.kind, lease.name, 'lease');
    await this.call(gen, obj, namespace, 'revoke', (c) => gen.revoke(c, lease.leaseID));
  }

  /** Best effort: a lease left behind expires at its TTL. Returns what could not be revoked. */
  async revokeAll(namespace: string, leases: readonly GeneratorLease[]): Promise<string[]> {
    const failed: string[] = [];
    for (const l of leases) {
      if (!l.leaseID) continue;
      try {
        await this.revoke(namespace, l);
      } catch (e) {
        failed.push(`${l.source} (${l.kind} "${l.name}"): ${(e as Error).message}`);
      }
    }
    return failed;
  }

  /** The generator's spec changed or it went: the client (login) for `obj` is not needed any more. */
  evict(gen: Generator, obj: KubeObject): void {
    this.o.clients.evictStore(gen.connectionOf(obj, obj.metadata.namespace ?? ''));
  }

  private async object(
    namespace: string,
    kind: string,
    name: string,
    where: string,
  ): Promise<{ gen: Generator; obj: KubeObject }> {
    const gen = this.byKind.get(kind);
    if (!gen)
      throw new ProviderError(
        'Unsupported',
        `${where}: generator kind "${kind}" is not supported (supported: ${[...this.byKind.keys()].join(', ') || 'none'})`,
      );
    const cacheKey = `${kind}/${namespace}/${name}`;
    let obj: KubeObject;
    try {
      obj = await this.o.api.get<KubeObject>({ type: gen.resource, namespace, name }, this.o.signal);
      this.last.set(cacheKey, obj);
    } catch (e) {
      const known = this.last.get(cacheKey);
      if (isKubeApiError(e) && e.notFound && known && where === 'lease') return { gen, obj: known };
      throw readFailure(e, where, kind, name, namespace);
    }
    const problem = gen.validate(obj);
    if (problem) throw new ProviderError('InvalidProviderConfig', `${kind} "${name}": ${problem}`);
    if (gen.controllerOf(obj) !== this.o.controllerClass)
      throw new ProviderError(
        'InvalidRequest',
        `${kind} "${name}" belongs to controller class "${gen.controllerOf(obj)}", not "${this.o.controllerClass}"`,
      );
    return { gen, obj };
  }

  /** One generator call on its cached client, with metrics and client invalidation. */
  private async call<T>(
    gen: Generator,
    obj: KubeObject,
    namespace: string,
    operation: string,
    fn: (client: SecretsClient) => Promise<T>,
  ): Promise<T> {
    const info = gen.connectionOf(obj, namespace);
    const client = await this.o.clients.client(gen.connector, info, () =>
      providerContext(this.o.api, info, this.o.signal, this.o.policy),
    );
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const r = await fn(client);
      this.o.onCall?.(gen.connector.name, operation, true, seconds());
      return r;
    } catch (e) {
      this.o.onCall?.(gen.connector.name, operation, false, seconds());
      if (rejectsCredentials(e)) this.o.clients.invalidate(gen.connector, info);
      throw e;
    }
  }
}

function readFailure(e: unknown, where: string, kind: string, name: string, namespace: string): unknown {
  if (!isKubeApiError(e)) return e;
  if (e.notFound)
    return new ProviderError('NotFound', `${where}: ${kind} "${name}" not found in namespace "${namespace}"`);
  if (e.code === 403)
    return new ProviderError(
      'AccessDenied',
      `${where}: Syncret may not read ${kind} objects (check its RBAC)`,
    );
  return new ProviderError(
    'Unavailable',
    `${where}: reading ${kind} "${name}": apiserver answered ${e.code}`,
  );
}
