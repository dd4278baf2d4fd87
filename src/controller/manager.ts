// Wires the controllers together: the watch caches they share, the provider clients, and the
// order of start and stop. Each controller's own wiring lives in its folder
// (externalsecret/, store/, clusterexternalsecret/ controller.ts); the machinery in src/runtime/.
// Data flow (docs/ARCHITECTURE.md): watch event → controller mapping → work queue →
// reconcile(object, world) → outcome → execute → requeue at the next refresh.

import type {
  ClusterExternalSecret,
  ClusterPushSecret,
  ExternalSecret,
  KubeObject,
  Namespace,
  PushSecret,
  SecretStore,
} from '../api/types.js';
import {
  CLUSTER_EXTERNAL_SECRETS,
  CLUSTER_PUSH_SECRETS,
  CLUSTER_SECRET_STORES,
  EXTERNAL_SECRETS,
  NAMESPACES,
  PUSH_SECRETS,
  SECRETS,
  SECRET_STORES,
} from '../kube/resources.js';
import type { KubeApi, ResourceType } from '../kube/types.js';
import type { EventRecorder } from '../observability/events.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics, ReadyCounts } from '../observability/metrics.js';
import { CallBudget } from '../providers/budget.js';
import { ClientCache } from '../providers/clients.js';
import type { Generator } from '../providers/generator.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { ObjectCache, stripManagedFields } from '../runtime/cache.js';
import type { Controller } from '../runtime/controller.js';
import { followNamespaces } from '../runtime/follow-namespaces.js';
import { Interner, internObject } from '../runtime/intern.js';
import { QUEUE_REASONS } from '../runtime/queue.js';
import type { WorkQueueOptions } from '../runtime/queue.js';
import { DEFAULT_MIN_REFRESH_INTERVAL_MS } from '../runtime/schedule.js';
import { Reflector } from '../runtime/watch.js';
import type { ReflectorOptions } from '../runtime/watch.js';
import { AssignerFanout } from './assigner-fanout.js';
import { fanoutControllers } from './fanout-controllers.js';
import type { FanoutQueue, FanoutQueueOptions } from './fanout-controllers.js';
import { externalSecretController } from './externalsecret/controller.js';
import type { EsCaches } from './externalsecret/controller.js';
import { MANAGED_LABEL } from './externalsecret/ownership.js';
import { GenericTargets } from './externalsecret/generic-targets.js';
import type { GenericObject } from './externalsecret/manifest.js';
import { RolloutRestarts } from './rollout/controller.js';
import { WORKLOAD_KINDS, WORKLOAD_TYPES, workloadTransform } from './rollout/workloads.js';
import type { Workload, WorkloadKind } from './rollout/workloads.js';
import { TargetSecrets } from './externalsecret/targets.js';
import type { CachedSecret } from './externalsecret/targets.js';
import { Generators } from './generator/access.js';
import { pushSecretController, sourceMetaOf } from './pushsecret/controller.js';
import type { SourceMeta } from './pushsecret/controller.js';
import { StoreAccess } from './store/access.js';
import { storeController } from './store/controller.js';
import { StoreHealth } from './store/health.js';
import { objectViews } from './metric-views.js';
import type { ShardGate } from './shard/gate.js';

export interface ManagerOptions {
  api: KubeApi;
  registry: ProviderRegistry;
  logger: Logger;
  metrics: Metrics;
  events: EventRecorder;
  /** Empty = all namespaces. */
  namespaces: string[];
  concurrency: number;
  controllerClass: string;
  fieldManager: string;
  maxErrorBackoffMs: number;
  /**
   * The floor on every interval above 0 (refreshInterval, store refreshInterval, retries,
   * generator re-issues; --min-refresh-interval). Every controller with a refresh interval
   * takes it from here and applies it with flooredInterval (src/runtime/schedule.ts).
   * Default DEFAULT_MIN_REFRESH_INTERVAL_MS; 0: none.
   */
  minRefreshIntervalMs?: number;
  /** Per-store provider-call budget (--provider-qps, --provider-burst); qps 0 or absent: none. */
  providerBudget?: { qps: number; burst: number };
  storeRevalidateMs: number;
  /** Generator kinds (dataFrom[].sourceRef.generatorRef); none by default. */
  generators?: Generator[];
  /**
   * How long the deletion of an ExternalSecret waits for its generator leases to be revoked
   * before it gives up (Warning event) and lets the object go. Default 2 minutes.
   */
  leaseRevokeTimeoutMs?: number;
  /** --allow-insecure-credentials: providers may send credentials to http:// URLs. */
  allowInsecureCredentials?: boolean;
  /** --unsafe-allow-generic-targets: target.manifest may name a ConfigMap or another kind (as ESO). */
  allowGenericTargets?: boolean;
  /** Rollout restarts (docs/ROLLOUT.md); absent: none, and no workload is watched. */
  rollout?: RolloutSettings;
  /**
   * Sharding across replicas (docs/OPERATIONS.md): only the ExternalSecrets and PushSecrets
   * labelled for this replica are watched, and the gate says which of them may run. The
   * cluster-scoped fan-out kinds (ClusterExternalSecret, ClusterPushSecret) are served only
   * while this replica is the shard assigner (serveFanout), with caches of their own.
   */
  shard?: ShardGate;
}

export interface RolloutSettings {
  /** --reloader-annotations: workloads with Reloader's annotations restart too. */
  reloaderAnnotations: boolean;
  /** --rollout-restart-debounce. */
  debounceMs: number;
  /** --rollout-restarts-per-minute (per namespace); 0: no limit. */
  perMinute: number;
}

/** Store validations are few and slow (network calls): a few workers, apart from the syncs. */
const STORE_WORKERS = 4;
/** Few objects, each writing to many namespaces (with its own parallelism). */
const CES_WORKERS = 2;
/** Pushes wait on backend writes; fewer than the ExternalSecret workers, more than the stores'. */
const PUSH_WORKERS = 16;
/** Per workload kind: a run is a map lookup, or one patch after a Secret changed. */
const ROLLOUT_WORKERS = 2;
/**
 * A run still going after this long waits on a backend that hangs or crawls: it gives its worker
 * back (runtime/queue.ts), so stores that never answer cannot hold every worker while other
 * tenants' objects wait. Far above a healthy run (milliseconds), far below a request timeout.
 */
const SLOW_RUN_MS = 2_000;

/** The Manager's caches: those of the ExternalSecret controller, and the cluster-wide kinds'. */
type Caches = EsCaches & {
  clusterExternalSecrets?: ObjectCache<ClusterExternalSecret>;
  clusterPushSecrets?: ObjectCache<ClusterPushSecret>;
  pushSecrets: ObjectCache<PushSecret>;
  /**
   * Secrets' metadata (no values), watched only once a PushSecret exists; sharded, only in the
   * namespaces of this replica's PushSecrets.
   */
  pushSources: ObjectCache<SourceMeta>;
  /** Slim workload caches of the rollout controller (started by it, not by start()). */
  workloads?: Record<WorkloadKind, ObjectCache<Workload>>;
};

export class Manager {
  readonly clients: ClientCache;
  private readonly abort = new AbortController();
  private readonly caches: Caches;
  private readonly controllers: Controller<KubeObject, unknown>[];
  private readonly externalSecrets: Controller<ExternalSecret, unknown>;
  private readonly rollout?: RolloutRestarts;
  private readonly generic?: GenericTargets;
  private readonly fanout?: AssignerFanout;
  private started = false;
  private finished = 0;

  constructor(private readonly o: ManagerOptions) {
    const signal = this.abort.signal;
    this.clients = new ClientCache({
      onCall: (provider, operation, ok, seconds) => o.metrics.providerCall(provider, operation, ok, seconds),
      onShared: (provider, operation) => o.metrics.providerShared(provider, operation),
      budget:
        o.providerBudget && o.providerBudget.qps > 0
          ? new CallBudget({
              ...o.providerBudget,
              onRefused: (provider) => o.metrics.providerRefused(provider),
            })
          : undefined,
    });
    const targets = new TargetSecrets(o.api);
    this.caches = this.buildCaches(targets);
    targets.use(this.caches.secrets);
    o.shard?.coverSecrets(this.caches.secrets);
    if (sourcesFollowPushSecrets(o))
      followNamespaces({
        leader: this.caches.pushSecrets,
        follower: this.caches.pushSources,
        reflectorFor: (ns) => this.reflector<SourceMeta>(SECRETS, ns, { transform: pushSourceMeta }),
        onError: (namespace, err) =>
          o.logger.warn({ namespace, err }, 'stopping the watch of PushSecret sources failed'),
      });
    const policy = { allowInsecureCredentials: !!o.allowInsecureCredentials };
    const health = new StoreHealth();
    const access = new StoreAccess({
      api: o.api,
      registry: o.registry,
      clients: this.clients,
      signal,
      policy,
      health,
    });
    const generators =
      (o.generators ?? []).length > 0
        ? new Generators({
            api: o.api,
            clients: this.clients,
            generators: o.generators ?? [],
            controllerClass: o.controllerClass,
            signal,
            policy,
            onCall: (provider, operation, ok, seconds) =>
              o.metrics.providerCall(provider, operation, ok, seconds),
          })
        : undefined;
    const common = {
      ...o,
      minRefreshIntervalMs: o.minRefreshIntervalMs ?? DEFAULT_MIN_REFRESH_INTERVAL_MS,
      access,
      signal,
      health,
    };
    // Store controllers first: they drop a changed store's clients before its users run.
    const stores = (['SecretStore', 'ClusterSecretStore'] as const).map((kind) =>
      storeController({
        ...common,
        kind,
        cache: kind === 'SecretStore' ? this.caches.stores : this.caches.clusterStores,
        defaultRevalidateMs: o.storeRevalidateMs,
        queue: this.queueOptions(kind.toLowerCase(), Math.min(STORE_WORKERS, o.concurrency)),
      }),
    );
    const workloads = this.caches.workloads;
    if (o.rollout && workloads)
      this.rollout = new RolloutRestarts({
        ...o.rollout,
        api: o.api,
        caches: workloads,
        events: o.events,
        metrics: o.metrics,
        logger: o.logger,
        queue: (name) => this.queueOptions(name, ROLLOUT_WORKERS),
        probeNamespace: o.namespaces[0],
      });
    const shard = o.shard;
    // Objects of other kinds that Syncret manages: watched by the managed label, as Secrets (and
    // sharded, by this replica's buckets).
    this.generic = o.allowGenericTargets
      ? new GenericTargets({
          api: o.api,
          newCache: (type) => {
            if (!shard) return this.scoped<GenericObject>(type, { labelSelector: `${MANAGED_LABEL}=true` });
            const cache = this.scoped<GenericObject>(type, {
              labelSelector: managedOf(shard),
              transform: (obj) =>
                shard.keepsSecretsOf(obj.metadata.namespace ?? '') ? stripManagedFields(obj) : undefined,
            });
            shard.alsoRelist(cache);
            return cache;
          },
        })
      : undefined;
    this.externalSecrets = externalSecretController({
      ...common,
      caches: this.caches,
      targets,
      generators,
      generic: this.generic,
      queue: this.queueOptions('externalsecret', o.concurrency),
      onDataChanged: this.rollout?.changed,
      admit: shard && ((es) => shard.admit('externalsecret', es)),
      targetLabels: shard && ((ns) => shard.targetLabels(ns)),
    });
    this.controllers = [...stores, this.externalSecrets] as Controller<KubeObject, unknown>[];
    this.controllers.push(
      pushSecretController({
        ...common,
        caches: {
          pushSecrets: this.caches.pushSecrets,
          stores: this.caches.stores,
          clusterStores: this.caches.clusterStores,
          namespaces: this.caches.namespaces,
          sources: this.caches.pushSources,
        },
        generators,
        queue: this.queueOptions('pushsecret', Math.min(PUSH_WORKERS, o.concurrency)),
        admit: shard && ((ps) => shard.admit('pushsecret', ps)),
      }) as Controller<KubeObject, unknown>,
    );
    shard?.track('externalsecret', this.caches.externalSecrets, this.externalSecrets.queue);
    shard?.track('pushsecret', this.caches.pushSecrets, this.controllers.at(-1)!.queue);
    // Once per kind: the assigner builds its controllers again each term, on the same queue metrics.
    const fanoutQueues = new Map<string, FanoutQueueOptions>();
    const fanoutQueue: FanoutQueue = (c) => {
      let q = fanoutQueues.get(c);
      if (!q) fanoutQueues.set(c, (q = this.queueOptions(c, Math.min(CES_WORKERS, o.concurrency))));
      return q;
    };
    for (const part of fanoutControllers({ ...common, caches: this.caches, queue: fanoutQueue }))
      this.controllers.push(part.controller);
    // Sharded and cluster-wide: the fan-out kinds run on the assigner only (serveFanout).
    if (shard && o.namespaces.length === 0)
      this.fanout = new AssignerFanout({
        api: o.api,
        logger: o.logger,
        metrics: o.metrics,
        minRefreshIntervalMs: common.minRefreshIntervalMs,
        reflector: <T extends KubeObject>(type: ResourceType, transform?: (o: T) => T) =>
          this.reflector<T>(type, undefined, transform ? { transform } : {}),
        queue: fanoutQueue,
        signal,
      });
    // Counted at scrape time from the caches: no per-object series, whatever the object count.
    o.metrics.externalSecretCountsFrom(() => readyCounts(this.caches.externalSecrets));
    o.metrics.cacheSizesFrom(() => ({
      externalsecrets: this.caches.externalSecrets.size,
      managed_secrets: this.caches.secrets.size,
      pushsecrets: this.caches.pushSecrets.size,
      push_sources: this.caches.pushSources.size,
      ...this.generic?.sizes(),
    }));
    o.metrics.storeCountsFrom(() => ({
      SecretStore: readyCounts(this.caches.stores),
      ClusterSecretStore: readyCounts(this.caches.clusterStores),
    }));
    o.metrics.objectsFrom(
      objectViews(this.caches, {
        controllerClass: o.controllerClass,
        minRefreshIntervalMs: common.minRefreshIntervalMs,
      }),
    );
  }

  private reflector<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    extra: Partial<ReflectorOptions<T>> = {},
  ): Reflector<T> {
    const o = this.o;
    return new Reflector<T>({
      api: o.api,
      type,
      namespace,
      logger: o.logger,
      onRestart: (reason: string) => o.metrics.watchRestart(type.resource, reason),
      onWatchEvent: (t: string) => o.metrics.watchEvent(type.resource, t),
      transform: stripManagedFields,
      ...extra,
    });
  }

  /** A cache of `type` over the watched namespaces (one reflector each, or one cluster-wide). */
  private scoped<T extends KubeObject>(
    type: ResourceType,
    extra: Partial<ReflectorOptions<T>> = {},
  ): ObjectCache<T> {
    const scopes = this.o.namespaces.length > 0 ? this.o.namespaces : [undefined];
    return new ObjectCache<T>(scopes.map((ns) => this.reflector<T>(type, ns, extra)));
  }

  private buildCaches(targets: TargetSecrets): Caches {
    const o = this.o;
    const reflector = this.reflector.bind(this);
    const scoped = this.scoped.bind(this);
    const interner = new Interner();
    // Sharded: this replica's objects only; the fan-out kinds need every child, so they have
    // caches of their own on the assigner (assigner-fanout.ts), none here.
    const sharded = o.shard ? { labelSelector: o.shard.selector } : {};
    const clusterWide = o.namespaces.length === 0 && !o.shard;
    return {
      externalSecrets: scoped<ExternalSecret>(EXTERNAL_SECRETS, {
        ...sharded,
        transform: (es) => internObject(interner, stripManagedFields(es)),
      }),
      stores: scoped<SecretStore>(SECRET_STORES),
      clusterStores: new ObjectCache([reflector<SecretStore>(CLUSTER_SECRET_STORES, undefined)]),
      namespaces: new ObjectCache([reflector<Namespace>(NAMESPACES, undefined)]),
      // Only Secrets Syncret manages, and of those only metadata and a hash of the data;
      // sharded, only those of this replica's buckets (gate.ts).
      secrets: scoped<CachedSecret>(SECRETS, {
        labelSelector: o.shard ? managedOf(o.shard) : `${MANAGED_LABEL}=true`,
        transform: o.shard ? shardSecrets(o.shard, targets.transform) : targets.transform,
      }),
      // Watched generator kinds, only to re-issue values when one is edited (reads use a GET).
      generators: (o.generators ?? [])
        .filter((gen) => gen.watched)
        .map((gen) => ({ gen, cache: scoped<KubeObject>(gen.resource) })),
      pushSecrets: scoped<PushSecret>(PUSH_SECRETS, sharded),
      // Any Secret of a PushSecret's namespace may be its source (metadata and a data hash only).
      // Sharded and cluster-wide: watched only in the namespaces of this replica's PushSecrets.
      pushSources: sourcesFollowPushSecrets(o)
        ? new ObjectCache<SourceMeta>([])
        : scoped<SourceMeta>(SECRETS, { transform: pushSourceMeta }),
      // Cluster-scoped, so served only by a cluster-wide operator (ESO: a namespaced install
      // disables its ClusterExternalSecret reconciler).
      clusterExternalSecrets: clusterWide
        ? new ObjectCache([reflector<ClusterExternalSecret>(CLUSTER_EXTERNAL_SECRETS, undefined)])
        : undefined,
      clusterPushSecrets: clusterWide
        ? new ObjectCache([reflector<ClusterPushSecret>(CLUSTER_PUSH_SECRETS, undefined)])
        : undefined,
      // Identity, opt-in and Syncret's template hashes only (workloadTransform): not the specs.
      workloads: o.rollout
        ? (Object.fromEntries(
            WORKLOAD_KINDS.map((kind) => [
              kind,
              scoped<Workload>(WORKLOAD_TYPES[kind], {
                transform: workloadTransform(kind, o.rollout!.reloaderAnnotations),
              }),
            ]),
          ) as Record<WorkloadKind, ObjectCache<Workload>>)
        : undefined,
    };
  }

  private queueOptions(
    controller: string,
    concurrency: number,
  ): Omit<WorkQueueOptions<string>, 'handler' | 'autoStart'> {
    const m = this.o.metrics;
    m.queueStarted(controller, QUEUE_REASONS, concurrency);
    return {
      concurrency,
      slowAfterMs: SLOW_RUN_MS,
      maxBackoffMs: this.o.maxErrorBackoffMs,
      onDepth: (n) => m.queueDepth(controller, n),
      onAdd: (reason) => m.queueAdd(controller, reason),
      onStart: (waitSeconds) => m.queueWait(controller, waitSeconds),
      onInflight: (n) => m.inflight(controller, n),
      onDone: (key, r) => {
        this.finished++;
        m.reconcileDone(controller, key, {
          ok: r.ok,
          requeue: r.requeueInMs !== undefined,
          seconds: r.seconds,
        });
      },
    };
  }

  /** The caches started with the Manager; allCaches() adds those started on demand. */
  private startedCaches(): ObjectCache<KubeObject>[] {
    const c = this.caches;
    return [
      c.namespaces,
      c.clusterStores,
      c.stores,
      c.secrets,
      c.externalSecrets,
      ...c.generators.map((g) => g.cache),
      c.pushSecrets,
      ...(c.clusterExternalSecrets ? [c.clusterExternalSecrets] : []),
      ...(c.clusterPushSecrets ? [c.clusterPushSecrets] : []),
    ] as ObjectCache<KubeObject>[];
  }

  private allCaches(): ObjectCache<KubeObject>[] {
    return [...this.startedCaches(), this.caches.pushSources as unknown as ObjectCache<KubeObject>];
  }

  async start(): Promise<void> {
    const c = this.caches;
    const signal = this.abort.signal;
    // The push sources start with the first PushSecret (pushsecret/controller.ts).
    for (const cache of this.startedCaches()) cache.start();
    // Stores, namespaces and managed Secrets first, so the first ExternalSecret reconciles see
    // a complete world instead of failing with StoreNotFound. Generators and
    // ClusterExternalSecrets are not waited for: a cluster without their CRDs must still run.
    await Promise.all([c.namespaces, c.clusterStores, c.stores, c.secrets].map((x) => x.waitForSync(signal)));
    await c.externalSecrets.waitForSync(signal);
    this.started = true;
    for (const ctl of this.controllers) ctl.start();
    // Not waited for: Secrets sync whether or not the workloads can be watched.
    this.rollout?.start(signal).catch((e: unknown) => {
      if (!signal.aborted) this.o.logger.error({ err: e }, 'rollout restarts failed to start');
    });
    this.o.logger.info({ externalSecrets: c.externalSecrets.size }, 'caches synced; reconciling');
  }

  /**
   * Sharded: this replica became the shard assigner; the ClusterExternalSecret and
   * ClusterPushSecret controllers run until `role` aborts, then drain for at most `drainMs`.
   * Not sharded (or scoped to namespaces): nothing to do.
   */
  serveFanout(role: AbortSignal, drainMs: number): void {
    this.fanout?.serve(role, drainMs);
  }

  hasSynced(): boolean {
    return this.started;
  }

  /** Reconciles finished so far, of every controller (a measure of work done). */
  reconciles(): number {
    return this.finished;
  }

  /**
   * Reconciles wait for a worker, or a quarter of the workers are busy: lower-priority API
   * traffic (Events) should wait. Busy workers count because when new objects arrive about as
   * fast as they sync, nothing waits for a worker, yet every Event sent then takes apiserver
   * time from a Secret write; a few reconciles in flight are everyday traffic and do not.
   */
  backlogged(): boolean {
    const q = this.externalSecrets.queue;
    return q.depth > 0 || q.inflight >= Math.max(2, Math.ceil(this.o.concurrency / 4));
  }

  async stop(drainMs = 10_000): Promise<void> {
    await Promise.all([
      ...this.controllers.map((c) => c.stop(drainMs)),
      this.rollout?.stop(drainMs),
      this.fanout?.stop(drainMs),
    ]);
    this.abort.abort();
    await Promise.all([
      ...this.allCaches().map((c) => c.stop()),
      ...(this.rollout?.caches() ?? []).map((c) => c.stop()),
      this.generic?.stop(),
    ]);
    await this.clients.closeAll();
  }
}

/** The sharded managed-object selector (Secrets and target.manifest kinds), as the ring accepted last gives the buckets. */
function managedOf(shard: ShardGate): () => string {
  return () => `${MANAGED_LABEL}=true,${shard.secretSelector()}`;
}

const pushSourceMeta = sourceMetaOf as (o: SourceMeta) => SourceMeta;

/**
 * Sharded and cluster-wide, PushSecret sources are watched per namespace of this replica's
 * PushSecrets (followNamespaces), not across the cluster.
 */
function sourcesFollowPushSecrets(o: ManagerOptions): boolean {
  return !!o.shard && o.namespaces.length === 0;
}

function shardSecrets(
  shard: ShardGate,
  transform: (s: CachedSecret) => CachedSecret,
): (s: CachedSecret) => CachedSecret | undefined {
  return (s) => (shard.keepsSecretsOf(s.metadata.namespace ?? '') ? transform(s) : undefined);
}

function readyCounts<T extends ExternalSecret | SecretStore>(cache: ObjectCache<T>): ReadyCounts {
  const counts: ReadyCounts = { true: 0, false: 0, unknown: 0 };
  for (const o of cache.values()) {
    const status = o.status?.conditions?.find((c) => c.type === 'Ready')?.status;
    if (status === 'True') counts.true++;
    else if (status === 'False') counts.false++;
    else counts.unknown++;
  }
  return counts;
}
