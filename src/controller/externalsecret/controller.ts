// The ExternalSecret controller's wiring: which changes of which kinds run which
// ExternalSecrets, the lease finalizer, and the world and executor of each run.
//
//   ExternalSecret  create · spec (generation, deletion) · annotation (labels, annotations)
//   (Cluster)SecretStore     → its users, 'store' (the store's spec changed, appeared or went)
//   Namespace labels         → users of ClusterSecretStores in it (conditions select on labels)
//   managed Secret           → its writer, 'drift' (edited outside Syncret, or deleted)
//   managed object of another kind (target.manifest) → its writer, 'drift' (the same)
//   generator object         → its users, 'store' (an edited generator issues new values)

import type { ExternalSecret, KubeObject, Namespace, SecretStore, StoreKind } from '../../api/types.js';
import type { KubeApi } from '../../kube/types.js';
import type { EventRecorder } from '../../observability/events.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import type { Generator } from '../../providers/generator.js';
import type { ObjectCache } from '../../runtime/cache.js';
import { getCondition, jsonEqual } from '../../runtime/conditions.js';
import { Controller } from '../../runtime/controller.js';
import { Finalizers } from '../../runtime/finalizer.js';
import type { FinalizerSpec } from '../../runtime/finalizer.js';
import type { WorkQueueOptions } from '../../runtime/queue.js';
import { ReverseIndex } from '../../runtime/reverse-index.js';
import { statusWriter } from '../../runtime/status.js';
import { storeKey } from '../../runtime/watch.js';
import { EXTERNAL_SECRETS } from '../../kube/resources.js';
import { withoutShardKeys } from '../../kube/shards.js';
import type { Generators } from '../generator/access.js';
import { Reason, causeOf } from '../reasons.js';
import type { StoreAccess } from '../store/access.js';
import { storeRefKey } from '../store/health.js';
import type { StoreHealth } from '../store/health.js';
import { resolveStore } from '../store/resolve.js';
import type { StoreLookup } from '../store/resolve.js';
import { needsMainStore, usesLeaseGenerators } from './data.js';
import { executeExternalSecret } from './execute.js';
import type { EsExecutorDeps, SecretDataChange } from './execute.js';
import type { GenericTargets } from './generic-targets.js';
import { genericTargetValid } from './manifest.js';
import { targetSecretName } from './ownership.js';
import { reconcileExternalSecret } from './reconcile.js';
import type { EsOutcome } from './reconcile.js';
import type { CachedSecret, TargetSecrets } from './targets.js';
import { cachedStores, externalSecretWorld } from './world.js';
import type { EsWorldDeps } from './world.js';

/** Held by an ExternalSecret while it may have generator leases: deletion revokes them first. */
export const LEASE_FINALIZER = 'syncret.io/revoke-generator-leases';
const DEFAULT_LEASE_REVOKE_TIMEOUT_MS = 2 * 60 * 1000;

export interface EsCaches {
  externalSecrets: ObjectCache<ExternalSecret>;
  stores: ObjectCache<SecretStore>;
  clusterStores: ObjectCache<SecretStore>;
  namespaces: ObjectCache<Namespace>;
  secrets: ObjectCache<CachedSecret>;
  generators: { gen: Generator; cache: ObjectCache<KubeObject> }[];
}

export interface EsControllerOptions {
  api: KubeApi;
  caches: EsCaches;
  targets: TargetSecrets;
  access: StoreAccess;
  generators?: Generators;
  controllerClass: string;
  fieldManager: string;
  maxErrorBackoffMs: number;
  /** The operator's floor on refreshes, retries and re-issues (--min-refresh-interval). */
  minRefreshIntervalMs?: number;
  /** How long a deletion waits for its leases to be revoked before it gives up (Warning event). */
  leaseRevokeTimeoutMs?: number;
  events: EventRecorder;
  metrics: Metrics;
  logger: Logger;
  queue: Omit<WorkQueueOptions<string>, 'handler' | 'autoStart'>;
  /** Sharding: whether this replica may run the object now (src/controller/shard/gate.ts). */
  admit?: (obj: ExternalSecret) => boolean;
  /** Sharding: the labels every managed object of a namespace carries (its bucket). */
  targetLabels?: (namespace: string) => Record<string, string>;
  /** Long-lived: aborted when the operator stops. */
  signal: AbortSignal;
  /** Stores whose reads failed; their users are requeued when they recover. */
  health?: StoreHealth;
  /** Uniform random in [0, 1) for the recovery spread; default Math.random. */
  random?: () => number;
  /** Told of every write that changed an existing Secret's data (rollout restarts). */
  onDataChanged?: (change: SecretDataChange) => void;
  /** target.manifest of another kind; only with --unsafe-allow-generic-targets. */
  generic?: GenericTargets;
}

function generatorKey(kind: string, namespace: string | undefined, name: string | undefined): string {
  return `gen/${kind}/${namespace ?? ''}/${name ?? ''}`;
}

function sourcesOf(es: ExternalSecret): string[] {
  const ns = es.metadata.namespace ?? '';
  const out: string[] = [];
  const add = (ref: { name?: string; kind?: StoreKind } | undefined) => {
    if (ref?.name) out.push(storeRefKey(ref.kind ?? 'SecretStore', ns, ref.name));
  };
  add(es.spec?.secretStoreRef);
  for (const d of es.spec?.data ?? []) add(d.sourceRef?.storeRef);
  for (const d of es.spec?.dataFrom ?? []) {
    add(d.sourceRef?.storeRef);
    const g = d.sourceRef?.generatorRef;
    if (g?.name) out.push(generatorKey(g.kind ?? '', ns, g.name));
  }
  return out;
}

export function externalSecretController(o: EsControllerOptions): Controller<ExternalSecret, EsOutcome> {
  const { caches } = o;
  const sources = new ReverseIndex<ExternalSecret>(sourcesOf, { intern: true }).attach(
    caches.externalSecrets,
  );
  const targets = new ReverseIndex<ExternalSecret>((es) => [
    `${es.metadata.namespace ?? ''}/${targetSecretName(es)}`,
  ]).attach(caches.externalSecrets);
  const lookup = cachedStores(o.controllerClass, caches);
  const writeStatus = statusWriter<ExternalSecret>({
    api: o.api,
    type: EXTERNAL_SECRETS,
    cache: caches.externalSecrets,
    signal: o.signal,
    onWrite: (written) => (written ? o.metrics.statusWrite() : o.metrics.statusWriteSkipped()),
    onFailed: (code) => o.metrics.statusWriteFailed('ExternalSecret', code),
    logger: o.logger,
  });
  const worldDeps: EsWorldDeps = {
    api: o.api,
    controllerClass: o.controllerClass,
    maxErrorBackoffMs: o.maxErrorBackoffMs,
    minRefreshIntervalMs: o.minRefreshIntervalMs,
    stores: caches.stores,
    clusterStores: caches.clusterStores,
    namespaces: caches.namespaces,
    targets: o.targets,
    source: o.access,
    generators: o.generators,
    generic: o.generic,
    targetLabels: o.targetLabels,
  };
  const execDeps: EsExecutorDeps = { ...o, writeStatus };
  const controller = new Controller<ExternalSecret, EsOutcome>({
    name: 'externalsecret',
    cache: caches.externalSecrets,
    logger: o.logger,
    queue: o.queue,
    admit: o.admit,
    changed: (old, es) => {
      if (old.metadata.generation !== es.metadata.generation) return 'spec';
      if (!jsonEqual(withoutShardKeys(old.metadata.annotations), withoutShardKeys(es.metadata.annotations)))
        return 'annotation';
      if (!jsonEqual(withoutShardKeys(old.metadata.labels), withoutShardKeys(es.metadata.labels)))
        return 'annotation';
      return undefined;
    },
    reconcile: (es, ctx) => reconcileExternalSecret(es, externalSecretWorld(worldDeps, ctx), ctx.reason),
    execute: (es, outcome, ctx) => executeExternalSecret(execDeps, es, outcome, ctx),
    finalizer: o.generators
      ? {
          spec: leaseFinalizer(o, lookup, o.generators),
          writer: new Finalizers({
            api: o.api,
            type: EXTERNAL_SECRETS,
            cache: caches.externalSecrets,
            signal: o.signal,
          }),
        }
      : undefined,
  });

  watchReferences(controller, o, sources, targets);
  // An edited or deleted object of another kind runs its writer again, as a Secret's does.
  o.generic?.onCache((_type, cache) =>
    controller.watch({
      cache,
      reason: 'drift',
      onUpdate: (_old, obj) =>
        genericTargetValid(obj, 'Owner') ? undefined : targets.keysFor(storeKey(obj)),
      onDelete: (obj) => targets.keysFor(storeKey(obj)),
    }),
  );
  if (o.health) requeueOnRecovery(controller, o, o.health, sources);
  return controller;
}

/** How far apart the users of a recovered store start again: no thundering herd. */
export const RECOVERY_SPREAD_MS = 3_000;

/**
 * A store that failed serves reads again: its users that failed with a provider error run at
 * once, spread over RECOVERY_SPREAD_MS, instead of each waiting out its own backoff.
 */
function requeueOnRecovery(
  controller: Controller<ExternalSecret, EsOutcome>,
  o: EsControllerOptions,
  health: StoreHealth,
  sources: ReverseIndex<ExternalSecret>,
): void {
  const random = o.random ?? Math.random;
  health.onRecovered((ref) => {
    let n = 0;
    for (const key of sources.keysFor(ref)) {
      const ready = getCondition(o.caches.externalSecrets.get(key)?.status?.conditions, 'Ready');
      if (ready?.status !== 'False' || causeOf(ready) !== Reason.ProviderError) continue;
      // A running one is retrying already (perhaps it is the read that just succeeded).
      if (controller.queue.isRunning(key)) continue;
      controller.queue.addAfter(key, Math.floor(random() * RECOVERY_SPREAD_MS), 'store');
      n++;
    }
    o.logger.info(
      { store: ref, requeued: n },
      'store reads recovered; its failing ExternalSecrets run again',
    );
  });
}

/** What runs an ExternalSecret besides its own changes (see the table at the top). */
function watchReferences(
  controller: Controller<ExternalSecret, EsOutcome>,
  o: EsControllerOptions,
  sources: ReverseIndex<ExternalSecret>,
  targets: ReverseIndex<ExternalSecret>,
): void {
  const { caches } = o;
  const users = (kind: StoreKind) => (s: SecretStore) =>
    sources.keysFor(storeRefKey(kind, s.metadata.namespace ?? '', s.metadata.name ?? ''));
  for (const [kind, cache] of [
    ['SecretStore', caches.stores],
    ['ClusterSecretStore', caches.clusterStores],
  ] as const) {
    controller.watch({
      cache,
      reason: 'store',
      onAdd: users(kind),
      onUpdate: (old, s) => (old.metadata.generation === s.metadata.generation ? undefined : users(kind)(s)),
      onDelete: users(kind),
    });
  }
  controller.watch({
    cache: caches.namespaces,
    reason: 'store',
    // ClusterSecretStore conditions may select on namespace labels.
    onUpdate: (old, ns) =>
      jsonEqual(old.metadata.labels, ns.metadata.labels) ? undefined : clusterStoreUsersIn(sources, ns),
  });
  controller.watch({
    cache: caches.secrets,
    reason: 'drift',
    onUpdate: (_old, s) => (s.syncret.drifted ? targets.keysFor(storeKey(s)) : undefined),
    onDelete: (s) => targets.keysFor(storeKey(s)),
  });
  for (const { gen, cache } of caches.generators) {
    const genUsers = (g: KubeObject) =>
      sources.keysFor(generatorKey(gen.kind, g.metadata.namespace, g.metadata.name));
    // An edited generator (path, parameters, auth) applies to its users at once: they issue
    // new values. Its client (login) for the old spec is not needed any more.
    cache.onUpdate(
      (old, g) => old.metadata.generation !== g.metadata.generation && o.generators?.evict(gen, old),
    );
    cache.onDelete((g) => o.generators?.evict(gen, g));
    controller.watch({
      cache,
      reason: 'store',
      onAdd: genUsers,
      onUpdate: (old, g) => (old.metadata.generation === g.metadata.generation ? undefined : genUsers(g)),
    });
  }
}

function* clusterStoreUsersIn(sources: ReverseIndex<ExternalSecret>, ns: Namespace): Iterable<string> {
  const prefix = `${ns.metadata.name}/`;
  for (const [value, keys] of sources.entries()) {
    if (!value.startsWith('css/')) continue;
    for (const k of keys) if (k.startsWith(prefix)) yield k;
  }
}

function hasLeases(es: ExternalSecret): boolean {
  return (es.status?.generatorLeases ?? []).some((l) => l.leaseID);
}

/**
 * The lease finalizer: on every ExternalSecret of this controller that uses generators (added
 * before the first values are issued), and on any that still holds leases.
 */
function leaseFinalizer(
  o: EsControllerOptions,
  lookup: StoreLookup,
  generators: Generators,
): FinalizerSpec<ExternalSecret> {
  const ours = (es: ExternalSecret): boolean => {
    if (!needsMainStore(es.spec)) return true;
    const r = resolveStore(es.spec?.secretStoreRef, es.metadata.namespace ?? '', lookup);
    return r.ok || r.reason !== 'OtherController';
  };
  const limit = o.leaseRevokeTimeoutMs ?? DEFAULT_LEASE_REVOKE_TIMEOUT_MS;
  return {
    name: LEASE_FINALIZER,
    wanted: (es) => hasLeases(es) || (usesLeaseGenerators(es.spec) && ours(es)),
    async cleanup(es) {
      const leases = (es.status?.generatorLeases ?? []).filter((l) => l.leaseID);
      const failed = await generators.revokeAll(es.metadata.namespace ?? '', leases);
      if (failed.length > 0) {
        const since = Date.now() - Date.parse(es.metadata.deletionTimestamp ?? '');
        if (Number.isFinite(since) && since < limit) {
          o.logger.info(
            { namespace: es.metadata.namespace, name: es.metadata.name, failed },
            'revoking generator leases failed; retrying before the ExternalSecret goes',
          );
          return { error: true, requeueAfterMs: Math.min(5000, Math.max(500, limit - since)) };
        }
        const message = `gave up revoking ${failed.length} generator lease(s) after ${Math.round(limit / 1000)}s; they expire at their TTL: ${failed.join('; ')}`;
        o.events.record(es, 'Warning', 'LeaseRevokeFailed', message.slice(0, 1000));
      } else if (leases.length > 0) {
        o.events.record(es, 'Normal', 'LeasesRevoked', `Revoked ${leases.length} generator lease(s)`);
      }
      return undefined;
    },
  };
}
