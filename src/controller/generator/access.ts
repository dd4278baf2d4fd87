// Generators as the ExternalSecret reconciler and its finalizer use them: the generator object
// read with a GET at each use (a change applies at once), a ClusterGenerator unwrapped into the
// namespaced generator it describes, the environment each call gets (cluster reads scoped to
// the ExternalSecret's namespace, the template engine, a connection shared through the client
// cache for the kinds that keep one), metrics per call, and reconnection when the backend
// rejects the credentials.

import { GENERATORS_GROUP, GENERATORS_VERSION } from '../../api/types.js';
import type { GeneratorLease, GeneratorRef, KubeObject } from '../../api/types.js';
import { CLUSTER_GENERATORS } from '../../kube/resources.js';
import { isKubeApiError } from '../../kube/types.js';
import type { KubeApi } from '../../kube/types.js';
import type { ClientCache } from '../../providers/clients.js';
import { ProviderError } from '../../providers/errors.js';
import { GeneratorNotSupportedError, controllerOf } from '../../providers/generator.js';
import type { Generator, GeneratorEnv, LeaseGrant } from '../../providers/generator.js';
import type { SecretsClient, StoreInfo } from '../../providers/types.js';
import { extractMap } from '../../secrets/property.js';
import { rejectsCredentials } from '../store/access.js';
import { providerContext, readWholeSecret, renderWebhookTemplate } from '../store/credentials.js';
import type { CredentialPolicy } from '../store/credentials.js';
import { readFailure, unwrapClusterGenerator } from './objects.js';

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
  now?: () => number;
}

/** A generator object ready to run: the implementation, the object, and its connection name. */
interface Resolved {
  gen: Generator;
  obj: KubeObject;
  /** Distinguishes a ClusterGenerator's connection from a namespaced generator of that name. */
  connectionName?: string;
}

export class Generators implements GeneratorAccess {
  private readonly byKind = new Map<string, Generator>();
  /**
   * The generator objects last read, by kind/namespace/name: a generator deleted together with
   * its ExternalSecret (kubectl delete -k, a GitOps prune) is still needed to revoke its leases.
   */
  private readonly last = new Map<string, Resolved>();

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
    const r = await this.resolve(namespace, ref.kind ?? '', ref.name ?? '', where);
    const out = await this.call(r, namespace, 'generate', (env) => r.gen.generate(env, r.obj));
    const data = out.json
      ? { ...extractMap({ kind: 'map', data: out.json }, { key: ref.name ?? '', where }), ...out.data }
      : out.data;
    return { data, lease: out.lease, provider: r.gen.provider };
  }

  async renew(
    namespace: string,
    lease: GeneratorLease,
  ): Promise<{ leaseDuration: number; renewable: boolean }> {
    const r = await this.resolve(namespace, lease.kind, lease.name, 'lease');
    const renew = r.gen.renew;
    if (!renew) throw new ProviderError('InvalidRequest', `${lease.kind} "${lease.name}" grants no leases`);
    return this.call(r, namespace, 'renew', (env) => renew(env, r.obj, lease.leaseID, lease.leaseDuration));
  }

  async revoke(namespace: string, lease: GeneratorLease): Promise<void> {
    const r = await this.resolve(namespace, lease.kind, lease.name, 'lease');
    const revoke = r.gen.revoke;
    if (!revoke) return;
    await this.call(r, namespace, 'revoke', (env) => revoke(env, r.obj, lease.leaseID));
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
    if (gen.connection) this.o.clients.evictStore(gen.connection.of(obj, obj.metadata.namespace ?? ''));
  }

  private async resolve(namespace: string, kind: string, name: string, where: string): Promise<Resolved> {
    const cacheKey = `${kind}/${namespace}/${name}`;
    let r: Resolved;
    try {
      r = await this.read(namespace, kind, name, where);
      this.last.set(cacheKey, r);
    } catch (e) {
      const known = this.last.get(cacheKey);
      if (isKubeApiError(e) && e.notFound && known && where === 'lease') return known;
      throw readFailure(e, where, kind, name, namespace);
    }
    const problem = r.gen.validate(r.obj);
    if (problem) throw new ProviderError('InvalidProviderConfig', `${kind} "${name}": ${problem}`);
    // Most generator kinds have no controller field; those serve whichever operator owns the
    // ExternalSecret (its store decides). One that names a class serves only that class.
    const cls = controllerOf(r.obj);
    if (cls && cls !== this.o.controllerClass)
      throw new ProviderError(
        'InvalidRequest',
        `${kind} "${name}" belongs to controller class "${cls}", not "${this.o.controllerClass}"`,
      );
    return r;
  }

  private async read(namespace: string, kind: string, name: string, where: string): Promise<Resolved> {
    if (kind === 'ClusterGenerator') {
      const cg = await this.o.api.get<KubeObject>({ type: CLUSTER_GENERATORS, name }, this.o.signal);
      const obj = unwrapClusterGenerator(cg, namespace, where);
      return {
        gen: this.implementation(obj.kind ?? '', where),
        obj,
        connectionName: `ClusterGenerator:${name}`,
      };
    }
    const gen = this.implementation(kind, where);
    const obj = await this.o.api.get<KubeObject>({ type: gen.resource, namespace, name }, this.o.signal);
    return { gen, obj };
  }

  private implementation(kind: string, where: string): Generator {
    const gen = this.byKind.get(kind);
    if (!gen)
      throw new GeneratorNotSupportedError(
        kind,
        `${where}: no implementation (supported: ${[...this.byKind.keys()].join(', ') || 'none'})`,
      );
    return gen;
  }

  /** One generator call in its environment, with metrics and client invalidation. */
  private async call<T>(
    r: Resolved,
    namespace: string,
    operation: string,
    fn: (env: GeneratorEnv) => Promise<T>,
  ): Promise<T> {
    const { gen } = r;
    const info = this.connectionInfo(r, namespace);
    const ctxStore: StoreInfo = info ?? {
      kind: 'SecretStore',
      name: `${gen.kind}:${r.obj.metadata.name ?? ''}`,
      namespace,
      requesterNamespace: namespace,
      provider: {},
    };
    const ctx = providerContext(this.o.api, ctxStore, this.o.signal, this.o.policy);
    let client: SecretsClient | undefined;
    if (gen.connection && info)
      client = await this.o.clients.client(gen.connection.connector, info, () => ctx);
    const env: GeneratorEnv = {
      namespace,
      ctx,
      client,
      now: (this.o.now ?? Date.now)(),
      readSecret: (secretName, what) =>
        readWholeSecret(this.o.api, namespace, secretName, what, this.o.signal),
      renderTemplate: renderWebhookTemplate,
    };
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const out = await fn(env);
      this.o.onCall?.(gen.provider, operation, true, seconds());
      return out;
    } catch (e) {
      this.o.onCall?.(gen.provider, operation, false, seconds());
      if (gen.connection && info && rejectsCredentials(e))
        this.o.clients.invalidate(gen.connection.connector, info);
      throw e;
    }
  }

  private connectionInfo(r: Resolved, namespace: string): StoreInfo | undefined {
    if (!r.gen.connection) return undefined;
    const info = r.gen.connection.of(r.obj, namespace);
    return r.connectionName ? { ...info, name: r.connectionName } : info;
  }
}
