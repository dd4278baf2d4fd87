// The SecretStore and ClusterSecretStore controllers: one per kind, the same reconcile. A
// store whose spec changed or that went drops its provider clients (logins, connections)
// before its users run again.

import type { SecretStore, StoreKind } from '../../api/types.js';
import { CLUSTER_SECRET_STORES, SECRET_STORES } from '../../kube/resources.js';
import type { KubeApi } from '../../kube/types.js';
import type { EventRecorder } from '../../observability/events.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import type { ProviderRegistry } from '../../providers/registry.js';
import type { ObjectCache } from '../../runtime/cache.js';
import { Controller } from '../../runtime/controller.js';
import type { WorkQueueOptions } from '../../runtime/queue.js';
import { statusWriter } from '../../runtime/status.js';
import type { StoreAccess } from './access.js';
import { executeStore } from './execute.js';
import { reconcileStore } from './reconcile.js';
import type { StoreOutcome } from './reconcile.js';
import { storeWorld } from './world.js';

export interface StoreControllerOptions {
  kind: StoreKind;
  cache: ObjectCache<SecretStore>;
  api: KubeApi;
  access: StoreAccess;
  registry: ProviderRegistry;
  controllerClass: string;
  defaultRevalidateMs: number;
  /** The operator's floor on a store's refreshInterval (--min-refresh-interval). */
  minRefreshIntervalMs?: number;
  events: EventRecorder;
  metrics: Metrics;
  logger: Logger;
  queue: Omit<WorkQueueOptions<string>, 'handler' | 'autoStart'>;
  signal: AbortSignal;
}

export function storeController(o: StoreControllerOptions): Controller<SecretStore, StoreOutcome> {
  const writeStatus = statusWriter<SecretStore>({
    api: o.api,
    type: o.kind === 'ClusterSecretStore' ? CLUSTER_SECRET_STORES : SECRET_STORES,
    cache: o.cache,
    signal: o.signal,
    onWrite: (written) => (written ? o.metrics.statusWrite() : o.metrics.statusWriteSkipped()),
  });
  // Registered before any controller watches this cache, so users run with fresh clients.
  o.cache.onUpdate(
    (old, s) => old.metadata.generation !== s.metadata.generation && o.access.evict(s, o.kind),
  );
  o.cache.onDelete((s) => o.access.evict(s, o.kind));
  const world = storeWorld(o);
  return new Controller<SecretStore, StoreOutcome>({
    name: o.kind.toLowerCase(),
    cache: o.cache,
    logger: o.logger,
    queue: o.queue,
    changed: (old, s) => (old.metadata.generation !== s.metadata.generation ? 'spec' : undefined),
    reconcile: (store) => reconcileStore(store, o.kind, world),
    execute: (store, outcome) => executeStore({ writeStatus, events: o.events }, store, outcome),
  });
}
