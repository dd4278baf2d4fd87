// Wires watches, indexes, the work queue, the reconcilers and their executor.
// Data flow (docs/ARCHITECTURE.md): watch event → handler decides a queue reason →
// WorkQueue (dedupe, priority, backoff) → reconcile(object, world) → outcome →
// execute (Secret write, status patch, events, metrics) → requeue at the next refresh.

import type {
  ExternalSecret,
  ExternalSecretStatus,
  GeneratorLease,
  GeneratorRef,
  KubeObject,
  Namespace,
  Secret,
  SecretStore,
  StoreKind,
} from '../api/types.js';
import {
  CLUSTER_SECRET_STORES,
  CONFIGMAPS,
  EXTERNAL_SECRETS,
  NAMESPACES,
  SECRETS,
  SECRET_STORES,
} from '../kube/resources.js';
import { GENERATORS_GROUP, GENERATORS_VERSION } from '../api/types.js';
import type { Generator } from '../providers/generator.js';
import { isKubeApiError } from '../kube/types.js';
import type { KubeApi, ResourceType } from '../kube/types.js';
import type { EventRecorder } from '../observability/events.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics, ReadyCounts } from '../observability/metrics.js';
import { ClientCache } from '../providers/clients.js';
import { ProviderError } from '../providers/errors.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { Provider, StoreInfo } from '../providers/types.js';
import { MANAGED_LABEL } from '../secrets/build.js';
import { SecretDataError } from '../secrets/errors.js';
import { jsonEqual, setCondition } from '../runtime/conditions.js';
import { Reason } from './reasons.js';
import { providerContext } from './store/credentials.js';
import { usesGenerators } from './externalsecret/data.js';
import type { DataSource, GeneratorAccess, GeneratorOutput, StoreReader } from './externalsecret/data.js';
import { reconcileExternalSecret } from './externalsecret/reconcile.js';
import type { EsOutcome, EsWorld, EventSpec } from './externalsecret/reconcile.js';
import { targetInfoFromSecret } from './externalsecret/target.js';
import type { SecretWrite, TargetSecretInfo } from './externalsecret/target.js';
import { Interner, internObject } from '../runtime/intern.js';
import { WorkQueue } from '../runtime/queue.js';
import type { HandlerInfo, QueueReason, QueueResult } from '../runtime/queue.js';
import { reconcileStore, storeInfoOf } from './store/reconcile.js';
import type { StoreWorld } from './store/reconcile.js';
import { Reflector } from '../runtime/watch.js';
import type { ReflectorOptions } from '../runtime/watch.js';

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
  storeRevalidateMs: number;
  /** Generator kinds (dataFrom[].sourceRef.generatorRef); none by default. */
  generators?: Generator[];
  /**
   * How long the deletion of an ExternalSecret waits for its generator leases to be revoked
   * before it gives up (Warning event) and lets the object go. Default 2 minutes.
   */
  leaseRevokeTimeoutMs?: number;
}

/** Held by an ExternalSecret while it has generator leases: deletion revokes them first. */
export const LEASE_FINALIZER = 'syncret.io/revoke-generator-leases';
const DEFAULT_LEASE_REVOKE_TIMEOUT_MS = 2 * 60 * 1000;
const GENERATOR_API_VERSION = `${GENERATORS_GROUP}/${GENERATORS_VERSION}`;

function hasLeases(status: ExternalSecretStatus | undefined): boolean {
  return (status?.generatorLeases ?? []).some((l) => l.leaseID);
}

type EsKey = `es/${string}`;
type StoreKey = `ss/${string}` | `css/${string}`;
type Key = EsKey | StoreKey;

/** Secrets in the cache keep metadata and a hash of their data, never the data. */
interface CachedSecret extends KubeObject {
  syncret: TargetSecretInfo;
}

function nsName(o: KubeObject): string {
  return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : (o.metadata.name ?? '');
}

function storeKeyFor(kind: StoreKind, namespace: string | undefined, name: string): StoreKey {
  return kind === 'ClusterSecretStore' ? `css/${name}` : `ss/${namespace}/${name}`;
}

function targetNameOf(es: ExternalSecret): string {
  return es.spec?.target?.name || es.metadata.name || '';
}

/** Numeric resourceVersion comparison; RVs are etcd revisions in every real apiserver. */
function newer(a: KubeObject | undefined, b: KubeObject | undefined): KubeObject | undefined {
  if (!a) return b;
  if (!b) return a;
  const ra = Number(a.metadata.resourceVersion);
  const rb = Number(b.metadata.resourceVersion);
  if (!Number.isFinite(ra) || !Number.isFinite(rb)) return a;
  return rb >= ra ? b : a;
}

/** Removes any written value that an apiserver error might echo back. */
function scrub(message: string, write: SecretWrite): string {
  let out = message;
  const data = write.op === 'delete' ? {} : (write.body.data ?? {});
  for (const b64 of Object.values(data)) {
    const plain = Buffer.from(b64, 'base64').toString('utf8');
    for (const s of [plain, b64]) if (s.length >= 4 && out.includes(s)) out = out.split(s).join('[redacted]');
  }
  return out.length > 512 ? `${out.slice(0, 509)}...` : out;
}

function writeFailure(
  es: ExternalSecret,
  write: SecretWrite,
  e: unknown,
): { message: string; status: ExternalSecretStatus; code?: number } {
  const detail = isKubeApiError(e)
    ? `${e.code} ${e.reason}: ${e.message}`
    : e instanceof Error
      ? e.message
      : String(e);
  const message = scrub(`writing Secret "${write.name}" failed: ${detail}`, write);
  const generation = es.metadata.generation;
  const status: ExternalSecretStatus = {
    ...(es.status ?? {}),
    observedGeneration: generation,
    conditions: setCondition(
      es.status?.conditions,
      {
        type: 'Ready',
        status: 'False',
        reason: Reason.SecretWriteFailed,
        message,
        observedGeneration: generation,
      },
      new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    ),
  };
  return { message, status, code: isKubeApiError(e) ? e.code : undefined };
}

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}

export class Manager {
  private readonly esWatch: Reflector<ExternalSecret>[];
  private readonly ssWatch: Reflector<SecretStore>[];
  private readonly cssWatch: Reflector<SecretStore>;
  private readonly nsWatch: Reflector<Namespace>;
  private readonly secretWatch: Reflector<CachedSecret>[];
  /** Generator objects, only to re-issue values when a generator is edited (reads use a GET). */
  private readonly generatorWatch: { gen: Generator; watch: Reflector<KubeObject> }[];
  private readonly queue: WorkQueue<Key>;
  readonly clients: ClientCache;
  private readonly abort = new AbortController();
  /** store key → ExternalSecret keys that reference it (spec.secretStoreRef and sourceRefs). */
  private readonly byStore = new Map<string, Set<EsKey>>();
  private readonly storesOf = new Map<EsKey, string[]>();
  /** Target Secret ns/name → the ExternalSecret(s) writing it; a lone key unless several do. */
  private readonly byTarget = new Map<string, EsKey | Set<EsKey>>();
  private readonly targetOf = new Map<EsKey, string>();
  /** Objects as our own status writes returned them, until the watch catches up. */
  private readonly recent = new Map<string, KubeObject>();
  private readonly recentSecrets = new Map<string, CachedSecret>();
  private readonly interner = new Interner();
  /** Targets a blind create found existing: the re-run reconcile reads them with a GET. */
  private readonly readFirst = new Set<string>();
  private readonly log: Logger;
  private started = false;
  private readonly generators = new Map<string, Generator>();
  /**
   * The generator objects last read, by kind/namespace/name: a generator deleted together with
   * its ExternalSecret (kubectl delete -k, a GitOps prune) is still needed to revoke its leases.
   */
  private readonly lastGenerators = new Map<string, KubeObject>();

  constructor(private readonly o: ManagerOptions) {
    this.log = o.logger;
    for (const g of o.generators ?? []) this.generators.set(g.kind, g);
    this.clients = new ClientCache({
      onCall: (provider, operation, ok, seconds) => o.metrics.providerCall(provider, operation, ok, seconds),
      onShared: (provider, operation) => o.metrics.providerShared(provider, operation),
    });
    const scopes = o.namespaces.length > 0 ? o.namespaces : [undefined];
    const mk = <T extends KubeObject>(
      type: ResourceType,
      namespace?: string,
      extra: Partial<ReflectorOptions<T>> = {},
    ) =>
      new Reflector<T>({
        api: o.api,
        type,
        namespace,
        logger: o.logger,
        onRestart: (reason: string) => o.metrics.watchRestart(type.resource, reason),
        ...extra,
      });
    this.esWatch = scopes.map((ns) =>
      mk<ExternalSecret>(EXTERNAL_SECRETS, ns, {
        transform: (es) => internObject(this.interner, stripManagedFields(es)),
      }),
    );
    this.ssWatch = scopes.map((ns) => mk<SecretStore>(SECRET_STORES, ns, { transform: stripManagedFields }));
    this.cssWatch = mk<SecretStore>(CLUSTER_SECRET_STORES, undefined, { transform: stripManagedFields });
    this.nsWatch = mk<Namespace>(NAMESPACES, undefined, { transform: stripManagedFields });
    this.secretWatch = scopes.map((ns) =>
      mk<CachedSecret>(SECRETS, ns, {
        labelSelector: `${MANAGED_LABEL}=true`,
        transform: (s) => this.ownWrite(s) ?? toCachedSecret(s),
      }),
    );
    this.generatorWatch = [...this.generators.values()].flatMap((g) =>
      scopes.map((ns) => ({
        gen: g,
        watch: mk<KubeObject>(g.resource, ns, { transform: stripManagedFields }),
      })),
    );
    this.queue = new WorkQueue<Key>({
      concurrency: o.concurrency,
      handler: (key, info) => this.handle(key, info),
      autoStart: false,
      maxBackoffMs: o.maxErrorBackoffMs,
      onDepth: (n) => o.metrics.queueDepth(n),
      onAdd: (reason) => o.metrics.queueAdd(reason),
      onStart: (waitSeconds) => o.metrics.queueWait(waitSeconds),
      onInflight: (n) => o.metrics.inflight(n),
    });
    this.wireHandlers();
    // Counted at scrape time from the caches: no per-object series, whatever the object count.
    o.metrics.externalSecretCountsFrom(() => this.readyCounts('es', this.esWatch));
    o.metrics.storeCountsFrom(() => ({
      SecretStore: this.readyCounts('ss', this.ssWatch),
      ClusterSecretStore: this.readyCounts('css', [this.cssWatch]),
    }));
  }

  private readyCounts<T extends ExternalSecret | SecretStore>(
    prefix: string,
    watches: Reflector<T>[],
  ): ReadyCounts {
    const counts: ReadyCounts = { true: 0, false: 0, unknown: 0 };
    for (const w of watches) {
      for (const key of w.store.keys()) {
        const obj = newer(w.store.get(key), this.recent.get(`${prefix}/${key}`)) as T | undefined;
        const status = obj?.status?.conditions?.find((c) => c.type === 'Ready')?.status;
        if (status === 'True') counts.true++;
        else if (status === 'False') counts.false++;
        else counts.unknown++;
      }
    }
    return counts;
  }

  private wireHandlers(): void {
    for (const w of this.esWatch) {
      w.onAdd((es) => {
        const key = `es/${nsName(es)}` as EsKey;
        this.index(key, es);
        this.queue.add(key, { reason: this.started ? 'create' : 'relist' });
      });
      w.onUpdate((old, es) => {
        const key = `es/${nsName(es)}` as EsKey;
        this.index(key, es);
        this.catchUp(this.recent, key, es);
        if (old.metadata.generation !== es.metadata.generation) this.queue.add(key, { reason: 'spec' });
        else if (!old.metadata.deletionTimestamp && es.metadata.deletionTimestamp)
          this.queue.add(key, { reason: 'spec' });
        else if (
          !jsonEqual(old.metadata.annotations, es.metadata.annotations) ||
          !jsonEqual(old.metadata.labels, es.metadata.labels)
        )
          this.queue.add(key, { reason: 'annotation' });
      });
      w.onDelete((es) => {
        const key = `es/${nsName(es)}` as EsKey;
        this.unindex(key);
        this.recent.delete(key);
        this.queue.forget(key);
      });
    }
    const storeHandlers = (kind: StoreKind) => (w: Reflector<SecretStore>) => {
      const keyOf = (s: SecretStore) => storeKeyFor(kind, s.metadata.namespace, s.metadata.name ?? '');
      w.onAdd((s) => {
        this.queue.add(keyOf(s), { reason: this.started ? 'create' : 'relist' });
        if (this.started) this.requeueUsers(keyOf(s));
      });
      w.onUpdate((old, s) => {
        this.catchUp(this.recent, keyOf(s), s);
        if (old.metadata.generation === s.metadata.generation) return;
        this.clients.evictStore(storeInfoOf(s, kind));
        this.queue.add(keyOf(s), { reason: 'spec' });
        this.requeueUsers(keyOf(s));
      });
      w.onDelete((s) => {
        this.clients.evictStore(storeInfoOf(s, kind));
        this.queue.forget(keyOf(s));
        this.recent.delete(keyOf(s));
        this.requeueUsers(keyOf(s));
      });
    };
    this.ssWatch.forEach(storeHandlers('SecretStore'));
    storeHandlers('ClusterSecretStore')(this.cssWatch);
    this.nsWatch.onUpdate((old, ns) => {
      if (jsonEqual(old.metadata.labels, ns.metadata.labels)) return;
      // ClusterSecretStore conditions may select on namespace labels.
      for (const [storeKey, users] of this.byStore) {
        if (!storeKey.startsWith('css/')) continue;
        for (const k of users)
          if (k.startsWith(`es/${ns.metadata.name}/`)) this.queue.add(k, { reason: 'store' });
      }
    });
    for (const { gen, watch } of this.generatorWatch) {
      // An edited generator (path, parameters, auth) applies to its users at once: they issue
      // new values (the 'store' trigger re-issues generated values).
      const users = (g: KubeObject) => generatorKey(gen.kind, g.metadata.namespace, g.metadata.name);
      // Its client (login) for the old spec is not needed any more.
      const evict = (g: KubeObject) =>
        this.clients.evictStore(gen.connectionOf(g, g.metadata.namespace ?? ''));
      // Not waited for at start (a cluster without the generator CRD must still run): its
      // initial list arrives after `started`, and is no news to anyone.
      watch.onAdd((g) => {
        if (this.started && watch.hasSynced()) this.requeueUsers(users(g));
      });
      watch.onUpdate((old, g) => {
        if (old.metadata.generation === g.metadata.generation) return;
        evict(old);
        this.requeueUsers(users(g));
      });
      watch.onDelete((g) => evict(g));
    }
    for (const w of this.secretWatch) {
      const onChange = (s: CachedSecret, deleted: boolean) => {
        const users = this.byTarget.get(nsName(s));
        if (!users || !(deleted || s.syncret.drifted)) return;
        for (const k of typeof users === 'string' ? [users] : users) this.queue.add(k, { reason: 'drift' });
      };
      w.onAdd((s) => this.catchUp(this.recentSecrets, nsName(s), s));
      w.onUpdate((_old, s) => {
        this.catchUp(this.recentSecrets, nsName(s), s);
        onChange(s, false);
      });
      w.onDelete((s) => {
        this.recentSecrets.delete(nsName(s));
        onChange(s, true);
      });
    }
  }

  /**
   * The cached form of our own write when the watch delivers that very version: its data hash
   * was computed from the apply's answer already (a backlog of thousands otherwise hashes every
   * Secret twice).
   */
  private ownWrite(s: CachedSecret): CachedSecret | undefined {
    const r = this.recentSecrets.get(nsName(s));
    const m = s.metadata;
    return r && r.metadata.uid === m.uid && r.metadata.resourceVersion === m.resourceVersion ? r : undefined;
  }

  /** Forgets our own write once the watch has delivered it (or something newer). */
  private catchUp<T extends KubeObject>(recent: Map<string, T>, key: string, seen: KubeObject): void {
    const r = recent.get(key);
    if (r && newer(r, seen) === seen) recent.delete(key);
  }

  private index(key: EsKey, es: ExternalSecret): void {
    this.unindex(key);
    const ns = es.metadata.namespace ?? '';
    const stores = new Set<string>();
    const add = (ref: { name?: string; kind?: StoreKind } | undefined) => {
      if (ref?.name) stores.add(storeKeyFor(ref.kind ?? 'SecretStore', ns, ref.name));
    };
    add(es.spec?.secretStoreRef);
    for (const d of es.spec?.data ?? []) add(d.sourceRef?.storeRef);
    for (const d of es.spec?.dataFrom ?? []) {
      add(d.sourceRef?.storeRef);
      const g = d.sourceRef?.generatorRef;
      if (g?.name) stores.add(generatorKey(g.kind ?? '', ns, g.name));
    }
    for (const s of stores) {
      let set = this.byStore.get(s);
      if (!set) this.byStore.set(s, (set = new Set()));
      set.add(key);
    }
    this.storesOf.set(key, [...stores]);
    const target = `${ns}/${targetNameOf(es)}`;
    // A Set per target would cost ~200 bytes per ExternalSecret for what is almost always one key.
    const t = this.byTarget.get(target);
    if (t === undefined || t === key) this.byTarget.set(target, key);
    else if (typeof t === 'string') this.byTarget.set(target, new Set([t, key]));
    else t.add(key);
    this.targetOf.set(key, target);
  }

  private unindex(key: EsKey): void {
    for (const s of this.storesOf.get(key) ?? []) {
      const set = this.byStore.get(s);
      set?.delete(key);
      if (set?.size === 0) this.byStore.delete(s);
    }
    this.storesOf.delete(key);
    const t = this.targetOf.get(key);
    if (t !== undefined) {
      const users = this.byTarget.get(t);
      if (users === key) this.byTarget.delete(t);
      else if (users instanceof Set) {
        users.delete(key);
        if (users.size === 1) this.byTarget.set(t, users.values().next().value!);
      }
      this.targetOf.delete(key);
    }
  }

  private requeueUsers(storeKey: string): void {
    for (const k of this.byStore.get(storeKey) ?? []) this.queue.add(k, { reason: 'store' });
  }

  // ---- lookups ----

  private lookup<T extends KubeObject>(watches: Reflector<T>[], key: string): T | undefined {
    for (const w of watches) {
      const o = w.store.get(key);
      if (o) return o;
    }
    return undefined;
  }

  private currentEs(nsname: string): ExternalSecret | undefined {
    const cached = this.lookup(this.esWatch, nsname);
    if (!cached) return undefined;
    return newer(cached, this.recent.get(`es/${nsname}`)) as ExternalSecret;
  }

  private storeObj(kind: StoreKind, namespace: string | undefined, name: string): SecretStore | undefined {
    if (kind === 'ClusterSecretStore') return this.cssWatch.store.get(name);
    return this.lookup(this.ssWatch, `${namespace}/${name}`);
  }

  private async targetSecret(
    namespace: string,
    name: string,
    withData: boolean,
    assumeAbsent = false,
  ): Promise<TargetSecretInfo | undefined> {
    if (!withData) {
      const key = `${namespace}/${name}`;
      const cached = newer(this.lookup(this.secretWatch, key), this.recentSecrets.get(key)) as
        CachedSecret | undefined;
      if (cached) return cached.syncret;
      // The managed-Secret cache is complete before the first reconcile, so a target it lacks is
      // absent or not labelled as managed. Skipping the GET saves a quarter of a first sync's
      // requests; a create that meets an existing Secret comes back here through readFirst.
      if (assumeAbsent && !this.readFirst.delete(key)) return undefined;
    }
    try {
      const s = await this.o.api.get<Secret>({ type: SECRETS, namespace, name }, this.abort.signal);
      return targetInfoFromSecret(s, withData);
    } catch (e) {
      if (isKubeApiError(e) && e.notFound) return undefined;
      throw e;
    }
  }

  /** templateFrom: a GET per sync (no watch, as ESO), so a changed template shows at the next refresh. */
  private async templateSource(
    namespace: string,
    kind: 'ConfigMap' | 'Secret',
    name: string,
  ): Promise<Record<string, Uint8Array> | undefined> {
    const type = kind === 'ConfigMap' ? CONFIGMAPS : SECRETS;
    let obj: ConfigMap | Secret;
    try {
      obj = await this.o.api.get<ConfigMap | Secret>({ type, namespace, name }, this.abort.signal);
    } catch (e) {
      if (isKubeApiError(e) && e.notFound) return undefined;
      if (isKubeApiError(e))
        throw new SecretDataError(
          'TemplateSourceNotFound',
          `reading templateFrom ${kind} "${namespace}/${name}": apiserver answered ${e.code} ${e.reason}`,
        );
      throw e;
    }
    const out = Object.create(null) as Record<string, Uint8Array>;
    const b64 = kind === 'ConfigMap' ? (obj as ConfigMap).binaryData : (obj as Secret).data;
    for (const [k, v] of Object.entries(b64 ?? {})) out[k] = new Uint8Array(Buffer.from(v, 'base64'));
    if (kind === 'ConfigMap')
      for (const [k, v] of Object.entries((obj as ConfigMap).data ?? {})) out[k] = Buffer.from(v, 'utf8');
    return out;
  }

  // ---- generators ----

  private async generatorObject(
    namespace: string,
    kind: string,
    name: string,
    where: string,
  ): Promise<{ gen: Generator; obj: KubeObject }> {
    const gen = this.generators.get(kind);
    if (!gen)
      throw new ProviderError(
        'Unsupported',
        `${where}: generator kind "${kind}" is not supported (supported: ${[...this.generators.keys()].join(', ') || 'none'})`,
      );
    const cacheKey = `${kind}/${namespace}/${name}`;
    let obj: KubeObject;
    try {
      obj = await this.o.api.get<KubeObject>({ type: gen.resource, namespace, name }, this.abort.signal);
      this.lastGenerators.set(cacheKey, obj);
    } catch (e) {
      if (!isKubeApiError(e)) throw e;
      const known = this.lastGenerators.get(cacheKey);
      if (e.notFound && known && where === 'lease') return { gen, obj: known };
      if (e.notFound)
        throw new ProviderError(
          'NotFound',
          `${where}: ${kind} "${name}" not found in namespace "${namespace}"`,
        );
      if (e.code === 403)
        throw new ProviderError(
          'AccessDenied',
          `${where}: Syncret may not read ${kind} objects (check its RBAC)`,
        );
      throw new ProviderError(
        'Unavailable',
        `${where}: reading ${kind} "${name}": apiserver answered ${e.code}`,
      );
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

  /** Runs one generator call on its cached client, with metrics and client invalidation. */
  private async onGenerator<T>(
    gen: Generator,
    obj: KubeObject,
    namespace: string,
    operation: string,
    call: (client: Awaited<ReturnType<ClientCache['client']>>) => Promise<T>,
  ): Promise<T> {
    const info = gen.connectionOf(obj, namespace);
    const client = await this.clients.client(gen.connector, info, () =>
      providerContext(this.o.api, info, this.abort.signal),
    );
    const started = performance.now();
    try {
      const r = await call(client);
      this.o.metrics.providerCall(gen.connector.name, operation, true, (performance.now() - started) / 1000);
      return r;
    } catch (e) {
      this.o.metrics.providerCall(gen.connector.name, operation, false, (performance.now() - started) / 1000);
      if (e instanceof ProviderError && (e.reason === 'AuthFailed' || e.reason === 'AccessDenied'))
        this.clients.invalidate(gen.connector, info);
      throw e;
    }
  }

  private generatorAccess(): GeneratorAccess {
    return {
      generate: async (namespace: string, ref: GeneratorRef, where: string): Promise<GeneratorOutput> => {
        if (ref.apiVersion && ref.apiVersion !== GENERATOR_API_VERSION)
          throw new ProviderError(
            'InvalidRequest',
            `${where}.sourceRef.generatorRef.apiVersion must be ${GENERATOR_API_VERSION}`,
          );
        const { gen, obj } = await this.generatorObject(namespace, ref.kind ?? '', ref.name ?? '', where);
        const out = await this.onGenerator(gen, obj, namespace, 'generate', (c) =>
          gen.generate(c, obj, Date.now()),
        );
        return { ...out, provider: gen.connector.name };
      },
      renew: async (namespace: string, lease: GeneratorLease) => {
        const { gen, obj } = await this.generatorObject(namespace, lease.kind, lease.name, 'lease');
        return this.onGenerator(gen, obj, namespace, 'renew', (c) =>
          gen.renew(c, lease.leaseID, lease.leaseDuration),
        );
      },
      revoke: async (namespace: string, lease: GeneratorLease) => {
        const { gen, obj } = await this.generatorObject(namespace, lease.kind, lease.name, 'lease');
        await this.onGenerator(gen, obj, namespace, 'revoke', (c) => gen.revoke(c, lease.leaseID));
      },
    };
  }

  /** Best effort: a lease left behind expires at its TTL. */
  private async revokeLeases(es: ExternalSecret, leases: GeneratorLease[]): Promise<string[]> {
    const ns = es.metadata.namespace ?? '';
    const access = this.generatorAccess();
    const failed: string[] = [];
    for (const l of leases) {
      if (!l.leaseID) continue;
      try {
        await access.revoke(ns, l);
        this.log.debug(
          { namespace: ns, name: es.metadata.name, source: l.source },
          'revoked generator lease',
        );
      } catch (e) {
        failed.push(`${l.source} (${l.kind} "${l.name}"): ${(e as Error).message}`);
      }
    }
    return failed;
  }

  private async patchFinalizers(
    key: EsKey,
    es: ExternalSecret,
    finalizers: string[],
  ): Promise<ExternalSecret> {
    // The resourceVersion makes this a compare-and-swap: another writer's finalizer is never lost.
    const res = await this.o.api.mergePatch<ExternalSecret>(
      { type: EXTERNAL_SECRETS, namespace: es.metadata.namespace, name: es.metadata.name },
      { metadata: { finalizers, resourceVersion: es.metadata.resourceVersion } },
      this.abort.signal,
    );
    this.recent.set(key, res);
    return res;
  }

  /** Deletion of an ExternalSecret that holds leases: revoke them, then let it go. */
  private async finalize(key: EsKey, es: ExternalSecret): Promise<QueueResult> {
    const finalizers = es.metadata.finalizers ?? [];
    if (!finalizers.includes(LEASE_FINALIZER)) return {};
    const leases = (es.status?.generatorLeases ?? []).filter((l) => l.leaseID);
    const failed = await this.revokeLeases(es, leases);
    if (failed.length > 0) {
      const since = Date.now() - Date.parse(es.metadata.deletionTimestamp ?? '');
      const limit = this.o.leaseRevokeTimeoutMs ?? DEFAULT_LEASE_REVOKE_TIMEOUT_MS;
      if (Number.isFinite(since) && since < limit) {
        this.log.info(
          { namespace: es.metadata.namespace, name: es.metadata.name, failed },
          'revoking generator leases failed; retrying before the ExternalSecret goes',
        );
        return { error: true, requeueAfterMs: Math.min(5000, Math.max(500, limit - since)) };
      }
      this.emit(es, [
        {
          type: 'Warning',
          reason: 'LeaseRevokeFailed',
          message:
            `gave up revoking ${failed.length} generator lease(s) after ${Math.round(limit / 1000)}s; they expire at their TTL: ${failed.join('; ')}`.slice(
              0,
              1000,
            ),
        },
      ]);
    } else if (leases.length > 0) {
      this.emit(es, [
        { type: 'Normal', reason: 'LeasesRevoked', message: `Revoked ${leases.length} generator lease(s)` },
      ]);
    }
    try {
      await this.patchFinalizers(
        key,
        es,
        finalizers.filter((f) => f !== LEASE_FINALIZER),
      );
    } catch (e) {
      if (isKubeApiError(e) && e.notFound) return {};
      throw e;
    }
    return {};
  }

  private dataSource(): DataSource {
    return {
      reader: async (info: StoreInfo): Promise<StoreReader> => {
        const resolved = await this.o.registry.resolve(info.provider);
        if ('error' in resolved) throw new ProviderError('InvalidProviderConfig', resolved.error);
        const provider = resolved.provider;
        const invalid = provider.validateSpec(info);
        if (invalid) throw new ProviderError('InvalidProviderConfig', invalid);
        const client = await this.clients.client(provider, info, () =>
          providerContext(this.o.api, info, this.abort.signal),
        );
        const id = this.clients.identity(provider, info);
        const guard = async <T>(p: Promise<T>): Promise<T> => {
          try {
            return await p;
          } catch (e) {
            // Rejected credentials may have been rotated: reconnect on the next attempt.
            if (e instanceof ProviderError && (e.reason === 'AuthFailed' || e.reason === 'AccessDenied'))
              this.clients.invalidate(provider, info);
            throw e;
          }
        };
        return {
          provider: provider.name,
          get: (ref, maxAgeMs) => guard(this.clients.getSecret(provider.name, id, client, ref, maxAgeMs)),
          find: (find, maxAgeMs) =>
            guard(this.clients.findSecrets(provider.name, client, find, id, maxAgeMs)),
        };
      },
    };
  }

  // ---- reconcile + execute ----

  private async handle(key: Key, info: HandlerInfo): Promise<QueueResult> {
    if (key.startsWith('es/')) return this.handleEs(key as EsKey, info.reason, info.failures);
    return this.handleStore(key as StoreKey);
  }

  private async handleEs(
    key: EsKey,
    reason: QueueReason,
    failures: number,
    rerun = false,
  ): Promise<QueueResult> {
    let es = this.currentEs(key.slice(3));
    if (!es) return {};
    if (es.metadata.deletionTimestamp) return this.finalize(key, es);
    const started = performance.now();
    const world: EsWorld = {
      now: Date.now,
      controllerClass: this.o.controllerClass,
      store: (kind, ns, name) => this.storeObj(kind, ns, name),
      namespaceLabels: (ns) => this.nsWatch.store.get(ns)?.metadata.labels,
      source: this.dataSource(),
      generators: this.generators.size > 0 ? this.generatorAccess() : undefined,
      targetSecret: (ns, name, withData, assumeAbsent) => this.targetSecret(ns, name, withData, assumeAbsent),
      templateSource: (ns, kind, name) => this.templateSource(ns, kind, name),
      maxErrorBackoffMs: this.o.maxErrorBackoffMs,
      failures,
    };
    let outcome: EsOutcome;
    try {
      outcome = await reconcileExternalSecret(es, world, reason);
    } catch (e) {
      // Unexpected (a bug or an API failure while reading): never crash, report and back off.
      this.log.error(
        { err: e, namespace: es.metadata.namespace, name: es.metadata.name },
        'reconcile failed',
      );
      throw e;
    }
    if (outcome.ignore) return {};
    const failed = !!outcome.failed;
    const status = outcome.status;
    let events = outcome.events;
    const finalizers = es.metadata.finalizers ?? [];
    if (hasLeases(status) && !finalizers.includes(LEASE_FINALIZER)) {
      // Before the new values are written: once they are in a Secret, deleting the
      // ExternalSecret must revoke their leases.
      try {
        es = await this.patchFinalizers(key, es, [...finalizers, LEASE_FINALIZER]);
      } catch (e) {
        await this.revokeLeases(es, status?.generatorLeases ?? []);
        throw e;
      }
    }
    if (outcome.write) {
      try {
        const existed = await this.executeWrite(es, outcome.write);
        if (existed) events = events.map(adoptedEvent);
      } catch (e) {
        if (e instanceof TargetExists && !rerun) {
          // Nothing was written: decide again, this time with the Secret as it is.
          this.readFirst.add(e.target);
          return this.handleEs(key, reason, failures, true);
        }
        // The new values never reached the Secret: their leases go back, the old ones stay.
        if (outcome.status?.generatorLeases !== es.status?.generatorLeases)
          await this.revokeLeases(
            es,
            (outcome.status?.generatorLeases ?? []).filter(
              (l) => !(es?.status?.generatorLeases ?? []).some((o) => o.leaseID === l.leaseID),
            ),
          );
        // API failures are ours, not the user's: report, then retry on the queue's backoff.
        const failure = writeFailure(es, outcome.write, e);
        this.log.warn(
          { namespace: es.metadata.namespace, name: es.metadata.name, code: failure.code },
          failure.message,
        );
        await this.writeStatus(key, es, failure.status);
        this.emit(es, [{ type: 'Warning', reason: 'UpdateFailed', message: failure.message }]);
        this.recordSync(outcome, false, started);
        throw e;
      }
    } else if (outcome.synced && !failed) {
      this.o.metrics.secretWriteSkipped();
    }
    if (status) await this.writeStatus(key, es, status);
    if (outcome.revokeLeases?.length) {
      const notRevoked = await this.revokeLeases(es, outcome.revokeLeases);
      if (notRevoked.length > 0)
        this.log.warn(
          { namespace: es.metadata.namespace, name: es.metadata.name, failed: notRevoked },
          'revoking replaced generator leases failed; they expire at their TTL',
        );
    }
    if (
      !status?.generatorLeases?.length &&
      !hasLeases(es.status) &&
      !usesGenerators(es.spec) &&
      (es.metadata.finalizers ?? []).includes(LEASE_FINALIZER)
    ) {
      // No generator any more and nothing left to revoke: the finalizer has no job.
      await this.patchFinalizers(
        key,
        es,
        (es.metadata.finalizers ?? []).filter((f) => f !== LEASE_FINALIZER),
      ).catch((e: unknown) => this.log.info({ err: e }, 'removing the lease finalizer failed'));
    }
    this.emit(es, events);
    this.recordSync(outcome, !failed, started);
    if (failed) {
      const ready = status?.conditions?.find((c) => c.type === 'Ready');
      this.log.info(
        {
          namespace: es.metadata.namespace,
          name: es.metadata.name,
          reason: ready?.reason,
          detail: ready?.message,
        },
        failures === 0 ? 'sync failed' : 'sync still failing',
      );
    } else if (outcome.synced) {
      this.log.debug(
        { namespace: es.metadata.namespace, name: es.metadata.name, wrote: outcome.write?.op ?? 'none' },
        'synced',
      );
    }
    return { error: failed, requeueAfterMs: outcome.requeueAfterMs };
  }

  private recordSync(outcome: EsOutcome, ok: boolean, started: number): void {
    const seconds = (performance.now() - started) / 1000;
    this.o.metrics.syncDone(
      {
        kind: 'ExternalSecret',
        storeKind: outcome.storeKind ?? 'unknown',
        provider: outcome.provider ?? 'unknown',
      },
      outcome.synced ? (ok ? 'success' : 'error') : ok ? 'skipped' : 'error',
      seconds,
    );
  }

  private emit(obj: KubeObject, events: EventSpec[]): void {
    for (const e of events) this.o.events.record(obj, e.type, e.reason, e.message);
  }

  /** Executes a Secret write; true when a create turned out to adopt an existing Secret. */
  private async executeWrite(es: ExternalSecret, write: SecretWrite): Promise<boolean> {
    const namespace = es.metadata.namespace ?? '';
    const ref = { type: SECRETS, namespace, name: write.name };
    if (write.op === 'delete' || write.op === 'recreate') {
      try {
        await this.o.api.delete(ref, { preconditionUid: write.uid, signal: this.abort.signal });
      } catch (e) {
        if (!(isKubeApiError(e) && e.notFound)) throw e;
      }
      this.o.metrics.secretWrite('delete');
      if (write.op === 'delete') return false;
    }
    let res: Secret;
    try {
      res = await this.o.api.apply<Secret>(ref, write.body, {
        fieldManager: this.o.fieldManager,
        force: true,
        signal: this.abort.signal,
      });
    } catch (e) {
      // A create that the apiserver refuses as invalid (a second controller, a changed type or
      // immutable data) or conflicting met a Secret the managed cache did not know.
      if (
        write.op === 'apply' &&
        write.created &&
        isKubeApiError(e) &&
        (e.code === 422 || e.conflict) &&
        (await this.exists(ref))
      )
        throw new TargetExists(`${namespace}/${write.name}`);
      throw e;
    }
    // Other field managers on a Secret we just "created": it existed, unlabelled, and is adopted.
    const existed =
      write.op === 'apply' &&
      write.created &&
      (res.metadata.managedFields ?? []).some(
        (m) => (m as { manager?: string }).manager !== this.o.fieldManager,
      );
    this.o.metrics.secretWrite(
      write.op === 'recreate' || (write.op === 'apply' && write.created && !existed) ? 'create' : 'update',
    );
    // Make the write visible to the next reconcile before the watch delivers it.
    this.recentSecrets.set(`${namespace}/${write.name}`, toCachedSecret(res));
    return existed;
  }

  private async exists(ref: { type: typeof SECRETS; namespace: string; name: string }): Promise<boolean> {
    try {
      await this.o.api.get<Secret>(ref, this.abort.signal);
      return true;
    } catch (e) {
      if (isKubeApiError(e) && e.notFound) return false;
      throw e;
    }
  }

  private async writeStatus(key: string, obj: ExternalSecret | SecretStore, status: object): Promise<void> {
    if (jsonEqual(obj.status ?? {}, status)) {
      this.o.metrics.statusWriteSkipped();
      return;
    }
    const type = key.startsWith('es/')
      ? EXTERNAL_SECRETS
      : key.startsWith('css/')
        ? CLUSTER_SECRET_STORES
        : SECRET_STORES;
    try {
      const res = await this.o.api.mergePatch<KubeObject>(
        { type, namespace: obj.metadata.namespace, name: obj.metadata.name, subresource: 'status' },
        { status },
        this.abort.signal,
      );
      this.o.metrics.statusWrite();
      this.recent.set(key, res);
    } catch (e) {
      if (isKubeApiError(e) && e.notFound) return;
      throw e;
    }
  }

  private async handleStore(key: StoreKey): Promise<QueueResult> {
    const kind: StoreKind = key.startsWith('css/') ? 'ClusterSecretStore' : 'SecretStore';
    const nsname = key.slice(key.indexOf('/') + 1);
    const cached =
      kind === 'ClusterSecretStore' ? this.cssWatch.store.get(nsname) : this.lookup(this.ssWatch, nsname);
    const store = newer(cached, cached ? this.recent.get(key) : undefined) as SecretStore | undefined;
    if (!store) return {};
    const world: StoreWorld = {
      now: Date.now,
      controllerClass: this.o.controllerClass,
      registry: this.o.registry,
      defaultRevalidateMs: this.o.storeRevalidateMs,
      validate: async (provider: Provider, info: StoreInfo) => {
        const client = await this.clients.client(provider, info, () =>
          providerContext(this.o.api, info, this.abort.signal),
        );
        return client.validate();
      },
    };
    const outcome = await reconcileStore(store, kind, world);
    if (outcome.ignore) return {};
    if (outcome.status) await this.writeStatus(key, store, outcome.status);
    this.emit(store, outcome.events);
    return { requeueAfterMs: outcome.requeueAfterMs };
  }

  // ---- lifecycle ----

  private allWatches(): Reflector<KubeObject>[] {
    return [
      this.nsWatch,
      this.cssWatch,
      ...this.ssWatch,
      ...this.secretWatch,
      ...this.esWatch,
      ...this.generatorWatch.map((g) => g.watch),
    ] as Reflector<KubeObject>[];
  }

  async start(): Promise<void> {
    // Stores, namespaces and managed Secrets first, so the first ExternalSecret reconciles
    // see a complete world instead of failing with StoreNotFound.
    for (const w of this.allWatches()) w.start();
    await Promise.all(
      [this.nsWatch, this.cssWatch, ...this.ssWatch, ...this.secretWatch].map((w) =>
        w.waitForSync(this.abort.signal),
      ),
    );
    await Promise.all(this.esWatch.map((w) => w.waitForSync(this.abort.signal)));
    this.started = true;
    this.queue.start();
    this.log.info(
      { externalSecrets: this.esWatch.reduce((n, w) => n + w.store.size, 0) },
      'caches synced; reconciling',
    );
  }

  hasSynced(): boolean {
    return this.started;
  }

  /**
   * Reconciles wait for a worker, or a quarter of the workers are busy: lower-priority API
   * traffic (Events) should wait. Busy workers count because when new objects arrive about as
   * fast as they sync, nothing waits for a worker, yet every Event sent then takes apiserver
   * time from a Secret write; a few reconciles in flight are everyday traffic and do not.
   */
  backlogged(): boolean {
    return this.queue.depth > 0 || this.queue.inflight >= Math.max(2, Math.ceil(this.o.concurrency / 4));
  }

  async stop(drainMs = 10_000): Promise<void> {
    await this.queue.shutdown({ drainMs });
    this.abort.abort();
    await Promise.all(this.allWatches().map((w) => w.stop()));
    await this.clients.closeAll();
  }
}

/** A blind create met an existing Secret; the reconcile runs again with a GET of `target`. */
class TargetExists extends Error {
  constructor(readonly target: string) {
    super(`target Secret ${target} exists`);
  }
}

/** The Created event of a create that adopted an existing Secret says Updated. */
function adoptedEvent(e: EventSpec): EventSpec {
  return e.reason === 'Created'
    ? { ...e, reason: 'Updated', message: e.message.replace(/^Created Secret/, 'Updated Secret') }
    : e;
}

/** Generators share the store → users index; their keys cannot collide with store keys. */
function generatorKey(kind: string, namespace: string | undefined, name: string | undefined): string {
  return `gen/${kind}/${namespace ?? ''}/${name ?? ''}`;
}

/**
 * Drops managedFields (often the largest part of a cached object). A copy, not `delete`: a
 * deleted property turns the object into a slow dictionary, about 450 bytes more per object.
 */
function stripManagedFields<T extends KubeObject>(o: T): T {
  if (!o.metadata.managedFields) return o;
  const { managedFields: _dropped, ...metadata } = o.metadata;
  return { ...o, metadata };
}

function toCachedSecret(s: Secret | CachedSecret): CachedSecret {
  if ('syncret' in s) return s;
  const info = targetInfoFromSecret(s, false);
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: s.metadata.name,
      namespace: s.metadata.namespace,
      uid: s.metadata.uid,
      resourceVersion: s.metadata.resourceVersion,
    },
    syncret: info,
  };
}
