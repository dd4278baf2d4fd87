// Prometheus metrics. Each Metrics owns a Registry (never prom-client's global one) so tests
// and several managers in one process do not collide. Callers use the typed methods below and
// never build label objects: label values are kinds, provider names, verbs and results, never
// anything read from a provider, so /metrics cannot leak a secret. Series stay bounded at 10k
// objects: pushed labels go through a LabelGuard, counts by namespace and store are computed at
// scrape time with a cap (object-metrics.ts), and object names appear only in the opt-in
// per-object series (--metrics-per-object). ESO's names are served beside these
// (eso-metrics.ts); docs/OBSERVABILITY.md lists every family.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { EsoMetrics } from './eso-metrics.js';
import { LabelGuard } from './label-guard.js';
import { ObjectMetrics } from './object-metrics.js';
import type { ObjectViews } from './scrape.js';
import { EVENT_DROP_REASONS } from './events.js';
import type { EventDropReason } from './events.js';

export type SyncResult = 'success' | 'error' | 'skipped';
export type SecretWriteOp = 'create' | 'update' | 'delete';
/** 'closed' (the reflector's name for a server-ended stream) is reported as 'end'. */
export type WatchRestartReason = 'end' | 'closed' | 'gone' | 'error' | 'inactivity' | 'relist';
export type StoreKindLabel = 'SecretStore' | 'ClusterSecretStore';

export interface SyncLabels {
  /** 'ExternalSecret' (later possibly 'ClusterExternalSecret', 'PushSecret'). */
  kind: string;
  /** SecretStore | ClusterSecretStore | 'unknown' when the store could not be resolved. */
  storeKind: string;
  /** Provider name from the registry (e.g. 'vault', 'aws'), or 'unknown'. */
  provider: string;
}

export interface ReadyCounts {
  true: number;
  false: number;
  unknown: number;
}

export interface StoreCounts {
  SecretStore: ReadyCounts;
  ClusterSecretStore: ReadyCounts;
}

export interface MetricsOptions {
  /** For syncret_build_info. */
  version?: string;
  /** Process and Node.js metrics (default true); tests creating many instances may skip them. */
  defaultMetrics?: boolean;
  /** Distinct values one label may take before further values are reported as 'other'. */
  maxLabelValues?: number;
  /** Series of one scrape-time family (by namespace and store) before the smallest fold into 'other'; default 2,000. */
  maxScrapeSeries?: number;
  /** --metrics-per-object: series per ExternalSecret, store and ClusterExternalSecret (ESO's and the last-sync time). */
  perObject?: boolean;
  /** Sample the event loop's lag into a histogram (default: with defaultMetrics). */
  eventLoopLag?: boolean;
}

// 1 ms to 30 s: a cached read is ~1 ms, a slow provider call with retries can take 30 s.
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
// Queue waits grow with backlog (10k objects at startup), so reach further.
const WAIT_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300];
// A healthy loop lags about a millisecond; a JSON parse of a huge list or a long GC, seconds.
const LAG_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** How often the lag is sampled: ten timer wakeups a second cost nothing measurable. */
const LAG_SAMPLE_MS = 100;

const WRITE_OPS: readonly SecretWriteOp[] = ['create', 'update', 'delete'];
const RESTART_REASONS = new Set(['end', 'gone', 'error', 'inactivity', 'relist']);
const READY_VALUES = ['true', 'false', 'unknown'] as const;
const STORE_KINDS: readonly StoreKindLabel[] = ['SecretStore', 'ClusterSecretStore'];

export class Metrics {
  readonly registry: Registry;
  private readonly guard: LabelGuard;

  private readonly syncTotal: Counter<'kind' | 'store_kind' | 'provider' | 'result'>;
  private readonly syncDuration: Histogram<'kind' | 'provider'>;
  private readonly providerCalls: Counter<'provider' | 'operation' | 'result'>;
  private readonly providerSharedReads: Counter<'provider' | 'operation'>;
  private readonly providerCallDuration: Histogram<'provider' | 'operation'>;
  private readonly providerLogins: Counter<'provider'>;
  private readonly providerRefusals: Counter<'provider'>;
  private readonly queueDepthGauge: Gauge<'controller'>;
  private readonly queueAdds: Counter<'controller' | 'reason'>;
  private readonly queueWaitHist: Histogram<'controller'>;
  private readonly inflightGauge: Gauge<'controller'>;
  private readonly secretWrites: Counter<'operation'>;
  private readonly secretWritesSkipped: Counter;
  private readonly statusWrites: Counter;
  private readonly statusWritesSkipped: Counter;
  private readonly statusWriteFailures: Counter<'kind' | 'code'>;
  private readonly eventsDropped: Counter<'why'>;
  private readonly kubeRequests: Counter<'verb' | 'resource' | 'code'>;
  private readonly kubeRequestDuration: Histogram<'verb'>;
  private readonly watchRestarts: Counter<'resource' | 'reason'>;
  private readonly watchEvents: Counter<'resource' | 'type'>;
  private readonly watchEventSeries = new Map<string, ReturnType<Counter<'resource' | 'type'>['labels']>>();
  private readonly externalSecrets: Gauge<'ready'>;
  private readonly stores: Gauge<'kind' | 'ready'>;
  private readonly cachedObjects: Gauge<'cache'>;
  private readonly leader: Gauge;
  private readonly shardEpoch: Gauge;
  private readonly shardRelabels: Counter<'kind' | 'move'>;
  private readonly rolloutRestarts: Counter<'kind' | 'reason'>;
  private readonly rolloutFailures: Counter<'kind' | 'code'>;
  private readonly rolloutDelays: Counter<'kind'>;
  private readonly buildInfo: Gauge<'version' | 'node'>;
  private readonly loopLag: Histogram;
  private lagTimer?: ReturnType<typeof setInterval>;
  private readonly eso: EsoMetrics;
  private readonly objects: ObjectMetrics;

  private esCountSource?: () => ReadyCounts;
  private storeCountSource?: () => StoreCounts;
  private cacheSizeSource?: () => Record<string, number>;

  constructor(opts: MetricsOptions = {}) {
    const registry = new Registry();
    this.registry = registry;
    this.guard = new LabelGuard(opts.maxLabelValues ?? 100);
    const registers = [registry];
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

    this.syncTotal = new Counter({
      name: 'syncret_sync_total',
      help: 'Reconciles of sync objects by result: success (fetched and written or unchanged), error, skipped (not due).',
      labelNames: ['kind', 'store_kind', 'provider', 'result'],
      registers,
    });
    this.syncDuration = new Histogram({
      name: 'syncret_sync_duration_seconds',
      help: 'Duration of one reconcile of a sync object, provider calls and writes included.',
      labelNames: ['kind', 'provider'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.providerCalls = new Counter({
      name: 'syncret_provider_calls_total',
      help: 'Calls to secret providers by operation and result.',
      labelNames: ['provider', 'operation', 'result'],
      registers,
    });
    this.providerSharedReads = new Counter({
      name: 'syncret_provider_shared_reads_total',
      help: 'Provider reads answered by a running or recent identical call instead of a new one.',
      labelNames: ['provider', 'operation'],
      registers,
    });
    this.providerCallDuration = new Histogram({
      name: 'syncret_provider_call_duration_seconds',
      help: 'Duration of calls to secret providers.',
      labelNames: ['provider', 'operation'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.providerLogins = new Counter({
      name: 'syncret_provider_logins_total',
      help: 'Logins (new tokens or sessions) against secret providers.',
      labelNames: ['provider'],
      registers,
    });
    this.providerRefusals = new Counter({
      name: 'syncret_provider_budget_refusals_total',
      help: 'Provider calls not made because their store was over its call budget (--provider-qps).',
      labelNames: ['provider'],
      registers,
    });
    this.queueDepthGauge = new Gauge({
      name: 'syncret_queue_depth',
      help: 'Keys waiting in the work queue of each controller (ready to run, not delayed).',
      labelNames: ['controller'],
      registers,
    });
    this.queueAdds = new Counter({
      name: 'syncret_queue_adds_total',
      help: 'Keys added to the work queue of each controller, by why they were added.',
      labelNames: ['controller', 'reason'],
      registers,
    });
    this.queueWaitHist = new Histogram({
      name: 'syncret_queue_wait_seconds',
      help: 'Time a key waited in the work queue between becoming due and starting.',
      labelNames: ['controller'],
      buckets: WAIT_BUCKETS,
      registers,
    });
    this.inflightGauge = new Gauge({
      name: 'syncret_inflight_reconciles',
      help: 'Reconciles running now, by controller.',
      labelNames: ['controller'],
      registers,
    });
    this.secretWrites = new Counter({
      name: 'syncret_secret_writes_total',
      help: 'Writes to target Secrets by operation.',
      labelNames: ['operation'],
      registers,
    });
    this.secretWritesSkipped = new Counter({
      name: 'syncret_secret_writes_skipped_total',
      help: 'Syncs whose target Secret already held the data, so nothing was written.',
      registers,
    });
    this.statusWrites = new Counter({
      name: 'syncret_status_writes_total',
      help: 'Status subresource writes.',
      registers,
    });
    this.statusWritesSkipped = new Counter({
      name: 'syncret_status_writes_skipped_total',
      help: 'Status writes skipped because the status was unchanged.',
      registers,
    });
    this.statusWriteFailures = new Counter({
      name: 'syncret_status_write_failures_total',
      help: 'Status subresource writes that failed, by kind and HTTP code (0: no answer).',
      labelNames: ['kind', 'code'],
      registers,
    });
    this.eventsDropped = new Counter({
      name: 'syncret_events_dropped_total',
      help: 'Kubernetes Events not sent: queue_full (a burst beyond the send queue), spam_filter (too many about one object) or backlog (a Normal Event shed while reconciles stayed backed up).',
      labelNames: ['why'],
      registers,
    });
    this.kubeRequests = new Counter({
      name: 'syncret_kube_requests_total',
      help: 'Kubernetes API requests by verb, resource and HTTP code (0: no response).',
      labelNames: ['verb', 'resource', 'code'],
      registers,
    });
    this.kubeRequestDuration = new Histogram({
      name: 'syncret_kube_request_duration_seconds',
      help: 'Kubernetes API request duration (for watches: until the response headers).',
      labelNames: ['verb'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.watchRestarts = new Counter({
      name: 'syncret_watch_restarts_total',
      help: 'Restarts of a list/watch cycle by reason: end, gone, error, inactivity, relist.',
      labelNames: ['resource', 'reason'],
      registers,
    });
    this.watchEvents = new Counter({
      name: 'syncret_watch_events_total',
      help: 'Watch events received by resource and type.',
      labelNames: ['resource', 'type'],
      registers,
    });
    // Counts, not one series per object: 10k ExternalSecrets must not mean 10k series.
    this.externalSecrets = new Gauge({
      name: 'syncret_externalsecrets',
      help: 'ExternalSecrets by Ready condition status (true, false, unknown).',
      labelNames: ['ready'],
      registers,
      collect: () =>
        this.pull(() => this.esCountSource && this.setExternalSecretCounts(this.esCountSource())),
    });
    this.stores = new Gauge({
      name: 'syncret_stores',
      help: 'SecretStores and ClusterSecretStores by kind and Ready condition status.',
      labelNames: ['kind', 'ready'],
      registers,
      collect: () =>
        this.pull(() => {
          if (!this.storeCountSource) return;
          const c = this.storeCountSource();
          for (const kind of STORE_KINDS) this.setStoreCounts(kind, c[kind]);
        }),
    });
    // What the memory goes to: sharded, each replica's caches hold its share only.
    this.cachedObjects = new Gauge({
      name: 'syncret_cached_objects',
      help: 'Objects held in the watch caches, by cache (externalsecrets, managed_secrets, pushsecrets, push_sources).',
      labelNames: ['cache'],
      registers,
      collect: () =>
        this.pull(() => {
          for (const [cache, n] of Object.entries(this.cacheSizeSource?.() ?? {}))
            this.cachedObjects.set({ cache }, n);
        }),
    });
    this.rolloutRestarts = new Counter({
      name: 'syncret_rollout_restarts_total',
      help: 'Rollout restarts (a pod-template patch) of workloads whose Secrets changed, by workload kind and reason (annotation: the ExternalSecret names it; reloader-reload, reloader-search, reloader-auto: Reloader annotations).',
      labelNames: ['kind', 'reason'],
      registers,
    });
    this.rolloutFailures = new Counter({
      name: 'syncret_rollout_restart_failures_total',
      help: 'Rollout restart patches that failed, by workload kind and HTTP code (0: no answer).',
      labelNames: ['kind', 'code'],
      registers,
    });
    this.rolloutDelays = new Counter({
      name: 'syncret_rollout_restarts_delayed_total',
      help: 'Rollout restarts put off because their namespace was over its rate (--rollout-restarts-per-minute).',
      labelNames: ['kind'],
      registers,
    });
    this.leader = new Gauge({
      name: 'syncret_leader',
      help: '1 when this replica is the leader (or runs without leader election), else 0.',
      registers,
    });
    this.shardEpoch = new Gauge({
      name: 'syncret_shard_epoch',
      help: 'With --sharding: the shard assignment epoch this replica follows (0 before the first).',
      registers,
    });
    this.shardRelabels = new Counter({
      name: 'syncret_shard_relabels_total',
      help: 'With --sharding, on the assigner: shard labels written, by kind; move "false" is a first assignment.',
      labelNames: ['kind', 'move'],
      registers,
    });
    this.buildInfo = new Gauge({
      name: 'syncret_build_info',
      help: 'Always 1; labels carry the Syncret and Node.js versions.',
      labelNames: ['version', 'node'],
      registers,
    });
    this.loopLag = new Histogram({
      name: 'syncret_event_loop_lag_seconds',
      help: `How late a timer due every ${LAG_SAMPLE_MS} ms fires: time the event loop was busy (CPU work, GC) before it could turn.`,
      buckets: LAG_BUCKETS,
      registers,
    });
    if (opts.eventLoopLag ?? opts.defaultMetrics ?? true) this.sampleLoopLag();
    this.eso = new EsoMetrics(registry, !!opts.perObject);
    this.objects = new ObjectMetrics(!!opts.perObject, opts.maxScrapeSeries ?? 2000);
    this.objects.register(registry);
    this.eso.registerPerObject(registry, this.objects.scrape);

    // Known label sets start at zero, so rate() and absent() work before the first event.
    for (const operation of WRITE_OPS) this.secretWrites.inc({ operation }, 0);
    for (const why of EVENT_DROP_REASONS) this.eventsDropped.inc({ why }, 0);
    this.setExternalSecretCounts({ true: 0, false: 0, unknown: 0 });
    for (const kind of STORE_KINDS) this.setStoreCounts(kind, { true: 0, false: 0, unknown: 0 });
    this.leader.set(0);
    this.buildInfo.set({ version: opts.version ?? 'unknown', node: process.versions.node }, 1);
  }

  /** A failing count source keeps the last values: a scrape must not fail over a gauge. */
  private pull(f: () => unknown): void {
    try {
      f();
    } catch {
      // Keep the previous values.
    }
  }

  private l(label: string, v: string): string {
    return this.guard.value(label, v);
  }

  /** One reconcile of a sync object finished. */
  syncDone(labels: SyncLabels, result: SyncResult, seconds: number): void {
    const kind = this.l('kind', labels.kind);
    const provider = this.l('provider', labels.provider);
    this.syncTotal.inc({ kind, store_kind: this.l('store_kind', labels.storeKind), provider, result });
    this.syncDuration.observe({ kind, provider }, seconds);
  }

  /** One provider call (operation e.g. 'connect', 'get', 'find', 'validate'). */
  providerCall(provider: string, operation: string, ok: boolean, seconds: number): void {
    const p = this.l('provider', provider);
    const op = this.l('operation', operation);
    this.providerCalls.inc({ provider: p, operation: op, result: ok ? 'success' : 'error' });
    this.providerCallDuration.observe({ provider: p, operation: op }, seconds);
    this.eso.providerCall(p, op, ok);
  }

  /** A read served by another ExternalSecret's call (see ClientCache). */
  providerShared(provider: string, operation: string): void {
    this.providerSharedReads.inc({
      provider: this.l('provider', provider),
      operation: this.l('operation', operation),
    });
  }

  providerRefused(provider: string): void {
    this.providerRefusals.inc({ provider: this.l('provider', provider) });
  }

  providerLogin(provider: string): void {
    this.providerLogins.inc({ provider: this.l('provider', provider) });
  }

  /**
   * A controller's work queue: its series start at zero for every reason it may add with, so
   * rate() and absent() work before the first event.
   */
  queueStarted(controller: string, reasons: readonly string[], workers = 1): void {
    const c = this.l('controller', controller);
    for (const reason of reasons) this.queueAdds.inc({ controller: c, reason: this.l('reason', reason) }, 0);
    this.queueDepthGauge.set({ controller: c }, 0);
    this.inflightGauge.set({ controller: c }, 0);
    this.eso.queueStarted(c, workers);
  }

  queueDepth(controller: string, n: number): void {
    const c = this.l('controller', controller);
    this.queueDepthGauge.set({ controller: c }, n);
    this.eso.queueDepth(c, n);
  }

  queueAdd(controller: string, reason: string): void {
    const c = this.l('controller', controller);
    this.queueAdds.inc({ controller: c, reason: this.l('reason', reason) });
    this.eso.queueAdd(c);
  }

  queueWait(controller: string, seconds: number): void {
    const c = this.l('controller', controller);
    this.queueWaitHist.observe({ controller: c }, seconds);
    this.eso.queueWait(c, seconds);
  }

  inflight(controller: string, n: number): void {
    const c = this.l('controller', controller);
    this.inflightGauge.set({ controller: c }, n);
    this.eso.inflight(c, n);
  }

  /**
   * One run of a controller's key finished (`key` is namespace/name, or the name of a
   * cluster-scoped object): controller-runtime's counts, and ESO's per-object ones when on.
   */
  reconcileDone(
    controller: string,
    key: string,
    r: { ok: boolean; requeue: boolean; seconds: number },
  ): void {
    this.eso.reconcileDone(this.l('controller', controller), key, r.ok, r.requeue, r.seconds);
  }

  secretWrite(operation: SecretWriteOp): void {
    this.secretWrites.inc({ operation });
  }

  secretWriteSkipped(): void {
    this.secretWritesSkipped.inc();
  }

  statusWrite(): void {
    this.statusWrites.inc();
  }

  statusWriteSkipped(): void {
    this.statusWritesSkipped.inc();
  }

  statusWriteFailed(kind: string, code: number): void {
    this.statusWriteFailures.inc({ kind, code: String(code) });
  }

  eventDropped(why: EventDropReason): void {
    this.eventsDropped.inc({ why });
  }

  /** One HTTP attempt against the apiserver; resource may carry '/subresource'. */
  kubeRequest(verb: string, resource: string, code: number, seconds: number): void {
    const v = this.l('verb', verb);
    this.kubeRequests.inc({ verb: v, resource: this.l('resource', resource), code: String(code) });
    this.kubeRequestDuration.observe({ verb: v }, seconds);
  }

  /**
   * Takes a plain string because reflectors report their own reason type; anything outside
   * the documented set is counted as 'other' rather than creating a new series.
   */
  watchRestart(resource: string, reason: WatchRestartReason | string): void {
    const r = reason === 'closed' ? 'end' : RESTART_REASONS.has(reason) ? reason : 'other';
    this.watchRestarts.inc({ resource: this.l('resource', resource), reason: r });
  }

  /** Once per watch event (150,000 in a cold sync of 50,000): the series looked up once each. */
  watchEvent(resource: string, type: string): void {
    const key = `${resource}\u0000${type}`;
    let child = this.watchEventSeries.get(key);
    if (!child) {
      child = this.watchEvents.labels({ resource: this.l('resource', resource), type: this.l('type', type) });
      this.watchEventSeries.set(key, child);
    }
    child.inc();
  }

  setExternalSecretCounts(c: ReadyCounts): void {
    for (const ready of READY_VALUES) this.externalSecrets.set({ ready }, c[ready]);
  }

  setStoreCounts(kind: StoreKindLabel, c: ReadyCounts): void {
    for (const ready of READY_VALUES) this.stores.set({ kind, ready }, c[ready]);
  }

  /** Counts computed at scrape time (from the informer caches) instead of pushed on change. */
  externalSecretCountsFrom(source: () => ReadyCounts): void {
    this.esCountSource = source;
  }

  storeCountsFrom(source: () => StoreCounts): void {
    this.storeCountSource = source;
  }

  cacheSizesFrom(source: () => Record<string, number>): void {
    this.cacheSizeSource = source;
  }

  rolloutRestart(kind: string, reason: string): void {
    this.rolloutRestarts.inc({ kind: this.l('kind', kind), reason: this.l('reason', reason) });
  }

  rolloutRestartFailed(kind: string, code: number): void {
    this.rolloutFailures.inc({ kind: this.l('kind', kind), code: String(code) });
  }

  rolloutRestartDelayed(kind: string): void {
    this.rolloutDelays.inc({ kind: this.l('kind', kind) });
  }

  setLeader(leading: boolean): void {
    this.leader.set(leading ? 1 : 0);
  }

  setShardEpoch(epoch: number): void {
    this.shardEpoch.set(epoch);
  }

  shardRelabel(kind: string, first: boolean): void {
    this.shardRelabels.inc({ kind: this.l('kind', kind), move: first ? 'false' : 'true' });
  }

  /** The objects the scrape-time families count (the Manager's caches). */
  objectsFrom(views: ObjectViews): void {
    this.objects.from(views);
  }

  /** The exposition text for GET /metrics; the scrape-time families share one visit of the caches. */
  async text(): Promise<string> {
    this.objects.begin();
    try {
      return await this.registry.metrics();
    } finally {
      this.objects.end();
    }
  }

  /** Stops the event-loop sampler (the process exits without it: its timer is unref'd). */
  close(): void {
    if (this.lagTimer) clearInterval(this.lagTimer);
    this.lagTimer = undefined;
  }

  private sampleLoopLag(): void {
    let due = performance.now() + LAG_SAMPLE_MS;
    this.lagTimer = setInterval(() => {
      const now = performance.now();
      this.loopLag.observe(Math.max(0, now - due) / 1000);
      due = now + LAG_SAMPLE_MS;
    }, LAG_SAMPLE_MS);
    this.lagTimer.unref();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
