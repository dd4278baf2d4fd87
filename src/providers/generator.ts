// Generators (generators.external-secrets.io) produce values instead of reading them: each
// call issues new credentials. The ExternalSecret reconciler owns their lifecycle (renewal,
// rotation, revocation; src/controller/externalsecret/leases.ts); a generator implementation
// only knows how to talk to its backend. Connections go through the same ClientCache as
// stores, keyed by a pseudo store (connectionOf), so one login serves every ExternalSecret
// that uses the same generator.

import type { KubeObject } from '../api/types.js';
import type { ResourceType } from '../kube/types.js';
import type { Provider, SecretsClient, StoreInfo } from './types.js';

/** The lease behind one generated result, as the backend granted it. */
export interface LeaseGrant {
  /** Empty when the result has an expiry but no lease (a PKI certificate). */
  leaseID: string;
  /** Seconds granted. */
  leaseDuration: number;
  renewable: boolean;
  /** When the result stops working (ms since epoch). */
  expireAt: number;
}

export interface Generated {
  data: Record<string, Uint8Array>;
  /** Undefined when the result does not expire (nothing to renew or revoke). */
  lease?: LeaseGrant;
}

export interface Generator<T extends KubeObject = KubeObject> {
  kind: string;
  resource: ResourceType;
  /** Connects clients (through the ClientCache) and names the metrics' provider label. */
  connector: Provider;
  /** The pseudo store the client cache keys this generator's connection by. */
  connectionOf(obj: T, namespace: string): StoreInfo;
  /** Static checks; a message a user can act on, or undefined. */
  validate(obj: T): string | undefined;
  /** The controller class the object names ('' when unset). */
  controllerOf(obj: T): string;
  generate(client: SecretsClient, obj: T, now: number): Promise<Generated>;
  /** Renews a lease by `incrementSeconds`; what was granted. */
  renew(
    client: SecretsClient,
    leaseID: string,
    incrementSeconds: number,
  ): Promise<{ leaseDuration: number; renewable: boolean }>;
  revoke(client: SecretsClient, leaseID: string): Promise<void>;
}
