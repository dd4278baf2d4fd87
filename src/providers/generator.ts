// Generators (generators.external-secrets.io) produce values instead of reading them: each
// call issues new ones. The ExternalSecret reconciler decides when to call them (when it
// syncs, as ESO does) and owns the lifecycle of leases (renewal, rotation, revocation;
// src/controller/externalsecret/leases.ts); an implementation only knows its backend.
//
// Everything an implementation may touch arrives in a GeneratorEnv: cluster reads scoped to
// the ExternalSecret's namespace, a connected client for the kinds that keep a connection
// (VaultDynamicSecret: one login shared through the ClientCache, keyed by a pseudo store), the
// clock, and the template engine (which lives in a higher layer).

import type { KubeObject } from '../api/types.js';
import type { ResourceType } from '../kube/types.js';
import { ProviderError } from './errors.js';
import type { Provider, ProviderContext, SecretObject, SecretsClient, StoreInfo } from './types.js';

/** The lease behind one generated result, as the backend granted it. */
export interface LeaseGrant {
  /** Empty when the result has an expiry but no lease (a PKI certificate). */
  leaseID: string;
  /** Seconds granted. */
  leaseDuration: number;
  renewable: boolean;
  /** When the result stops working (ms since epoch). */
  expireAt: number;
  /**
   * Nothing to renew or rotate: the values follow refreshInterval, and the lease only names
   * what to delete once they are replaced (a GitLab deploy token, a Grafana token).
   */
  revokeOnly?: boolean;
}

export interface Generated {
  /** The values, key by key. */
  data: Record<string, Uint8Array>;
  /**
   * A JSON object whose fields become further values, converted as dataFrom[].extract converts
   * a provider's map (strings as they are, numbers as Go prints them, objects as JSON).
   */
  json?: Record<string, unknown>;
  /** Undefined when the result does not expire (nothing to renew or revoke). */
  lease?: LeaseGrant;
}

export type { SecretObject } from './types.js';

export interface GeneratorEnv {
  /** The ExternalSecret's namespace: a generator's references resolve here. */
  namespace: string;
  /** Cluster reads, restricted to `namespace` as for a SecretStore. */
  ctx: ProviderContext;
  /** The connected client, for kinds with a `connection`. */
  client?: SecretsClient;
  /** ms since epoch. */
  now: number;
  /** A whole Secret of `namespace`, with its labels (the Webhook generator's `secrets`). */
  readSecret(name: string, what: string): Promise<SecretObject>;
  /** Go text/template with ESO's functions; throws on a template error (message without values). */
  renderTemplate(name: string, text: string, data: unknown): string;
}

export interface GeneratorConnection<T extends KubeObject = KubeObject> {
  /** Connects clients (through the ClientCache). */
  connector: Provider;
  /** The pseudo store the client cache keys this generator's connection by. */
  of(obj: T, namespace: string): StoreInfo;
}

export interface Generator<T extends KubeObject = KubeObject> {
  kind: string;
  resource: ResourceType;
  /** The metrics' provider label. */
  provider: string;
  /**
   * Watch objects of this kind and re-issue the values of their users when one is edited
   * (VaultDynamicSecret). Others take effect at the users' next sync, as in ESO.
   */
  watched?: boolean;
  connection?: GeneratorConnection<T>;
  /** Static checks; a message a user can act on, or undefined. */
  validate(obj: T): string | undefined;
  generate(env: GeneratorEnv, obj: T): Promise<Generated>;
  /** Renews a lease by `incrementSeconds`; what was granted. Only for kinds that grant leases. */
  renew?(
    env: GeneratorEnv,
    obj: T,
    leaseID: string,
    incrementSeconds: number,
  ): Promise<{ leaseDuration: number; renewable: boolean }>;
  /** Gives back what a lease names; what is gone already counts as given back. */
  revoke?(env: GeneratorEnv, obj: T, leaseID: string): Promise<void>;
}

/** The controller class a generator object names ('' when unset); ESO reads spec.controller. */
export function controllerOf(obj: KubeObject): string {
  const c = (obj as { spec?: { controller?: unknown } }).spec?.controller;
  return typeof c === 'string' ? c : '';
}

/** The spec of a generator object (an empty one when absent). */
export function specOf<S>(obj: KubeObject): S {
  return ((obj as { spec?: S }).spec ?? {}) as S;
}

/** A generator kind Syncret serves the CRD of but cannot run; its reason names the kind. */
export class GeneratorNotSupportedError extends ProviderError {
  constructor(
    readonly kind: string,
    why: string,
  ) {
    super('Unsupported', `generator kind ${kind} is not supported by Syncret: ${why}`);
  }
}

/** A kind whose backend Syncret does not implement: every use reports GeneratorNotSupported. */
export function unsupportedGenerator(kind: string, resource: ResourceType, why: string): Generator {
  return {
    kind,
    resource,
    provider: kind.toLowerCase(),
    validate: () => undefined,
    generate: () => Promise.reject(new GeneratorNotSupportedError(kind, why)),
  };
}

/**
 * A generator whose implementation (and SDK) loads on first use; its static checks run then,
 * before the first call.
 */
export function lazyGenerator(
  kind: string,
  resource: ResourceType,
  provider: string,
  load: () => Promise<Generator>,
): Generator {
  let loaded: Promise<Generator> | undefined;
  return {
    kind,
    resource,
    provider,
    validate: () => undefined,
    async generate(env, obj) {
      const gen = await (loaded ??= load());
      const problem = gen.validate(obj);
      if (problem)
        throw new ProviderError('InvalidProviderConfig', `${kind} "${obj.metadata.name ?? ''}": ${problem}`);
      return gen.generate(env, obj);
    },
  };
}
