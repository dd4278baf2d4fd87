// The PushSecret controller's wiring: which changes run which PushSecrets, the deletion
// finalizer, and the world and executor of each run.
//
//   PushSecret   create · spec (generation, deletion) · annotation (labels, annotations: the
//                force-sync annotation of Argo CD's "push" action changes syncedResourceVersion)
//   source Secret  its data changed, it appeared or went → the PushSecrets that push it (by
//                name, or whose label selector matches it before or after) · 'drift'
//   (Cluster)SecretStore  added, changed (generation) → the PushSecrets that name or select it
//
// The source Secrets are watched without their data (metadata and a hash of the data only),
// and only once a PushSecret exists: an operator that pushes nothing watches no extra Secret.

import type { KubeObject, Namespace, PushSecret, Secret, SecretStore, StoreKind } from '../../api/types.js';
import { PUSH_SECRETS } from '../../kube/resources.js';
import { withoutShardKeys } from '../../kube/shards.js';
import type { KubeApi } from '../../kube/types.js';
import type { EventRecorder } from '../../observability/events.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import type { ObjectCache } from '../../runtime/cache.js';
import { jsonEqual } from '../../runtime/conditions.js';
import { Controller } from '../../runtime/controller.js';
import { Finalizers } from '../../runtime/finalizer.js';
import type { WorkQueueOptions } from '../../runtime/queue.js';
import { ReverseIndex } from '../../runtime/reverse-index.js';
import { statusWriter } from '../../runtime/status.js';
import { hashSecretData } from '../../secrets/secret-data.js';
import { ProviderError } from '../../providers/errors.js';
import { cachedStores, templateSource } from '../externalsecret/world.js';
import type { Generators } from '../generator/access.js';
import type { StoreAccess } from '../store/access.js';
import { matchesSelector } from '../store/resolve.js';
import { cleanupPushSecret, executePushSecret } from './execute.js';
import type { PushExecutorDeps } from './execute.js';
import { PUSH_FINALIZER, reconcilePushSecret } from './reconcile.js';
import type { PushPlan } from './reconcile.js';
import { pushSecretWorld, resolvePushStores } from './world.js';
import type { PushWorldDeps } from './world.js';

/** A watched source Secret: its metadata and a hash of its data, never the values. */
export interface SourceMeta extends KubeObject {
  dataHash: string;
}

/** The source-Secret watch's transform. */
export function sourceMetaOf(s: Secret | SourceMeta): SourceMeta {
  if ('dataHash' in s) return s;
  const m = s.metadata;
  return {
    metadata: {
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      ...(m.labels ? { labels: m.labels } : {}),
    },
    dataHash: hashSecretData(s.data),
  };
}

export interface PushCaches {
  pushSecrets: ObjectCache<PushSecret>;
  stores: ObjectCache<SecretStore>;
  clusterStores: ObjectCache<SecretStore>;
  namespaces: ObjectCache<Namespace>;
  /** Every Secret's metadata; started by this controller when the first PushSecret appears. */
  sources: ObjectCache<SourceMeta>;
}

export interface PushControllerOptions {
  api: KubeApi;
  caches: PushCaches;
  access: StoreAccess;
  generators?: Generators;
  controllerClass: string;
  maxErrorBackoffMs: number;
  /** The operator's --min-refresh-interval (applied to refreshInterval). */
  minRefreshIntervalMs?: number;
  events: EventRecorder;
  metrics: Metrics;
  logger: Logger;
  queue: Omit<WorkQueueOptions<string>, 'handler' | 'autoStart'>;
  /** Sharding: whether this replica may run the object now (src/controller/shard/gate.ts). */
  admit?: (obj: PushSecret) => boolean;
  signal: AbortSignal;
}

const storeRefKey = (kind: StoreKind, ns: string, name: string) =>
  kind === 'ClusterSecretStore' ? `css/${name}` : `ss/${ns}/${name}`;

/** The stores a PushSecret names (by name); label selectors are matched by scanning. */
function storesOf(ps: PushSecret): string[] {
  const ns = ps.metadata.namespace ?? '';
  return (ps.spec?.secretStoreRefs ?? [])
    .filter((r) => r.name)
    .map((r) => storeRefKey(r.kind ?? 'SecretStore', ns, r.name ?? ''));
}

function sourcesOf(ps: PushSecret): string[] {
  const name = ps.spec?.selector?.secret?.name;
  return name ? [`${ps.metadata.namespace ?? ''}/${name}`] : [];
}

export function pushSecretController(o: PushControllerOptions): Controller<PushSecret, PushPlan> {
  const { caches } = o;
  const cache = caches.pushSecrets;
  const byStore = new ReverseIndex<PushSecret>(storesOf, { intern: true }).attach(cache);
  const bySource = new ReverseIndex<PushSecret>(sourcesOf).attach(cache);
  // PushSecrets that select stores or Secrets by labels, by namespace.
  const bySelector = new ReverseIndex<PushSecret>((ps) =>
    ps.spec?.selector?.secret?.selector || (ps.spec?.secretStoreRefs ?? []).some((r) => r.labelSelector)
      ? [ps.metadata.namespace ?? '']
      : [],
  ).attach(cache);
  const lookup = cachedStores(o.controllerClass, caches);
  const worldDeps: PushWorldDeps = { ...o, ...caches };
  const deps: PushExecutorDeps = {
    sink: o.access,
    readKey: (namespace, kind, name, key) => readKey(o.api, namespace, kind, name, key, o.signal),
    lookup,
    generators: o.generators,
    events: o.events,
    metrics: o.metrics,
    logger: o.logger,
    writeStatus: statusWriter<PushSecret>({
      api: o.api,
      type: PUSH_SECRETS,
      cache,
      signal: o.signal,
      onWrite: (written) => (written ? o.metrics.statusWrite() : o.metrics.statusWriteSkipped()),
      onFailed: (code) => o.metrics.statusWriteFailed('PushSecret', code),
      logger: o.logger,
    }),
  };
  const controller = new Controller<PushSecret, PushPlan>({
    name: 'pushsecret',
    cache,
    logger: o.logger,
    queue: o.queue,
    admit: o.admit,
    changed: (old, ps) => {
      if (old.metadata.generation !== ps.metadata.generation) return 'spec';
      if (!jsonEqual(withoutShardKeys(old.metadata.annotations), withoutShardKeys(ps.metadata.annotations)))
        return 'annotation';
      if (!jsonEqual(withoutShardKeys(old.metadata.labels), withoutShardKeys(ps.metadata.labels)))
        return 'annotation';
      return undefined;
    },
    reconcile: (ps, ctx) => reconcilePushSecret(ps, pushSecretWorld(worldDeps, ctx), ctx.reason),
    execute: (ps, plan, ctx) => executePushSecret(deps, ps, plan, ctx),
    finalizer: {
      spec: {
        name: PUSH_FINALIZER,
        // Before the first push: a deletion must find it in place to remove what was pushed.
        wanted: (ps) =>
          ((ps.spec?.deletionPolicy === 'Delete' || (ps.status?.generatorLeases ?? []).length > 0) &&
            ours(ps, worldDeps, lookup)) ||
          (ps.status?.generatorLeases ?? []).some((l) => l.leaseID),
        cleanup: (ps) => cleanupPushSecret(deps, ps),
      },
      writer: new Finalizers({ api: o.api, type: PUSH_SECRETS, cache, signal: o.signal }),
    },
  });

  // The source watch costs a list of every Secret: only once something is pushed.
  cache.onAdd(() => caches.sources.start());
  watchSources(controller, caches, bySource, bySelector);
  watchStores(controller, caches, byStore, bySelector);
  return controller;
}

/**
 * Whether this operator serves the PushSecret: one of its stores is of our controller class,
 * or not known yet (a store created later may be ours; the finalizer must be in place first).
 */
function ours(ps: PushSecret, deps: PushWorldDeps, lookup: ReturnType<typeof cachedStores>): boolean {
  const ns = ps.metadata.namespace ?? '';
  return (ps.spec?.secretStoreRefs ?? []).some((ref) => {
    const r = resolvePushStores(deps, lookup, ref, ns);
    return !r.ok || r.stores.length > 0 || !ref.name;
  });
}

/** One key of a ConfigMap or Secret of the PushSecret's namespace (e.g. an AWS resource policy). */
async function readKey(
  api: KubeApi,
  namespace: string,
  kind: 'ConfigMap' | 'Secret',
  name: string,
  key: string,
  signal: AbortSignal,
): Promise<string> {
  const data =
    kind === 'ConfigMap'
      ? await templateSource(api, namespace, 'ConfigMap', name, signal)
      : await templateSource(api, namespace, 'Secret', name, signal);
  const v = data?.[key];
  if (v === undefined)
    throw new ProviderError('NotFound', `${kind} "${namespace}/${name}" has no key "${key}" (metadata)`);
  return new TextDecoder().decode(v);
}

function selectsSecret(ps: PushSecret | undefined, s: SourceMeta): boolean {
  const sel = ps?.spec?.selector?.secret?.selector;
  return !!sel && matchesSelector(s.metadata.labels ?? {}, sel);
}

function watchSources(
  controller: Controller<PushSecret, PushPlan>,
  caches: PushCaches,
  bySource: ReverseIndex<PushSecret>,
  bySelector: ReverseIndex<PushSecret>,
): void {
  const users = (s: SourceMeta, old?: SourceMeta): string[] => {
    const ns = s.metadata.namespace ?? '';
    const out = new Set<string>(bySource.keysFor(`${ns}/${s.metadata.name ?? ''}`));
    for (const key of bySelector.keysFor(ns)) {
      const ps = caches.pushSecrets.get(key);
      if (selectsSecret(ps, s) || (old && selectsSecret(ps, old))) out.add(key);
    }
    return [...out];
  };
  controller.watch({
    cache: caches.sources,
    reason: 'drift',
    onAdd: (s) => users(s),
    onUpdate: (old, s) => {
      const relabelled = !jsonEqual(old.metadata.labels, s.metadata.labels);
      if (old.dataHash === s.dataHash && !relabelled) return undefined;
      return users(s, old);
    },
    onDelete: (s) => users(s),
  });
}

function watchStores(
  controller: Controller<PushSecret, PushPlan>,
  caches: PushCaches,
  byStore: ReverseIndex<PushSecret>,
  bySelector: ReverseIndex<PushSecret>,
): void {
  for (const [kind, storeCache] of [
    ['SecretStore', caches.stores],
    ['ClusterSecretStore', caches.clusterStores],
  ] as const) {
    const users = (s: SecretStore): string[] => {
      const ns = s.metadata.namespace ?? '';
      const out = new Set<string>(byStore.keysFor(storeRefKey(kind, ns, s.metadata.name ?? '')));
      const scan = kind === 'SecretStore' ? [ns] : [...bySelector.entries()].map(([v]) => v);
      for (const n of scan)
        for (const key of bySelector.keysFor(n)) {
          const ps = caches.pushSecrets.get(key);
          const selected = (ps?.spec?.secretStoreRefs ?? []).some(
            (r) =>
              (r.kind ?? 'SecretStore') === kind &&
              !!r.labelSelector &&
              matchesSelector(s.metadata.labels ?? {}, r.labelSelector),
          );
          if (selected) out.add(key);
        }
      return [...out];
    };
    controller.watch({
      cache: storeCache,
      reason: 'store',
      onAdd: users,
      onUpdate: (old, s) => (old.metadata.generation === s.metadata.generation ? undefined : users(s)),
    });
  }
}
