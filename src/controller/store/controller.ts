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
import { storeQueueKey } from './health.js';
import type { StoreHealth } from './health.js';
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
  /** Failing reads turn a store Ready=False at once; see ./health.ts. */
  health?: StoreHealth;
}

export function storeController(o: StoreControllerOptions): Controller<SecretStore, StoreOutcome> {
  const writeStatus = statusWriter<SecretStore>({
    api: o.api,
    type: o.kind === 'ClusterSecretStore' ? CLUSTER_SECRET_STORES : SECRET_STORES,
    cache: o.cache,
    signal: o.signal,
    onWrite: (written) => (written ? o.metrics.statusWrite() : o.metrics.statusWriteSkipped()),
    onFailed: (code) => o.metrics.statusWriteFailed(o.kind, code),
    logger: o.logger,
  });
  // Registered before any controller watches this cache, so users run with fresh clients.
  o.cache.onUpdate(
    (old, s) => old.metadata.generation !== s.metadata.generation && o.access.evict(s, o.kind),
  );
  o.cache.onDelete((s) => o.access.evict(s, o.kind));
  const world = storeWorld(o);
  const controller = new Controller<SecretStore, StoreOutcome>({
    name: o.kind.toLowerCase(),
    cache: o.cache,
    logger: o.logger,
    queue: o.queue,
    changed: (old, s) => (old.metadata.generation !== s.metadata.generation ? 'spec' : undefined),
    reconcile: (store) => reconcileStore(store, o.kind, world),
    execute: (store, outcome) => executeStore({ writeStatus, events: o.events }, store, outcome),
  });
  // A store whose reads start failing, or succeed again, says so in its status at once.
  const health = o.health;
  if (health) {
    const enqueue = (ref: string) => {
      const key = storeQueueKey(ref, o.kind);
      if (key) controller.queue.add(key, { reason: 'store' });
    };
    health.onFailed((ref) => {
      if (storeQueueKey(ref, o.kind) === undefined) return;
      o.logger.warn({ store: ref, detail: health.get(ref)?.message }, 'reads through the store fail');
      enqueue(ref);
    });
    health.onRecovered(enqueue);
  }
  return controller;
}
