// ESO 2.9's metrics, beside Syncret's own, so dashboards and alerts written for ESO keep working
// after a migration (names, types and labels from ESO's pkg/controllers/*/..metrics and
// runtime/metrics, and from the controller-runtime v0.24 metrics its dashboard is built on;
// the mapping is docs/OBSERVABILITY.md):
//  - controller_runtime_* and workqueue_* per controller (externalsecret, secretstore,
//    clustersecretstore, clusterexternalsecret: ESO's controller names);
//  - externalsecret_provider_api_calls_count{provider,call,status};
//  - with --metrics-per-object only, the families ESO keeps per object (name and namespace
//    labels): <kind>_status_condition, computed at scrape time from the caches, and
//    externalsecret_sync_calls_total / _sync_calls_error and <kind>_reconcile_duration, kept
//    per object and dropped at the next scrape after the object is gone.

import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import { objectLabel } from './label-guard.js';
import type { Sample } from './label-guard.js';
import { ScrapeFamily } from './scrape.js';

// controller-runtime's own buckets, so ESO's histogram_quantile panels read the same.
const RECONCILE_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25,
  1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];
// client-go's workqueue buckets: 10 ns to 1,000 s, a factor of 10 apart.
const WORKQUEUE_BUCKETS = Array.from({ length: 12 }, (_, i) => Number((1e-8 * 10 ** i).toPrecision(1)));

/** ESO's provider label values where one of ours means the same backend. */
const ESO_PROVIDERS: Readonly<Record<string, string>> = {
  vault: 'HashiCorp/Vault',
  azurekv: 'Azure/KeyVault',
  gcpsm: 'GCP/SecretManager',
  kubernetes: 'Kubernetes',
};

/** Syncret's controllers that ESO keeps per-object families for, by ESO's subsystem name. */
export const PER_OBJECT_KINDS = [
  'externalsecret',
  'secretstore',
  'clustersecretstore',
  'clusterexternalsecret',
] as const;
export type PerObjectKind = (typeof PER_OBJECT_KINDS)[number];

interface ObjectStats {
  calls: number;
  errors: number;
  /** ESO sets reconcile_duration to a Go time.Duration: nanoseconds. */
  durationNs: number;
}

/** What the per-object families need from a scrape: every live key and condition sample per kind. */
export interface PerObjectScrape {
  live: Map<PerObjectKind, Set<string>>;
  conditions: Map<PerObjectKind, Sample[]>;
}

const isPerObject = (c: string): c is PerObjectKind => (PER_OBJECT_KINDS as readonly string[]).includes(c);

export class EsoMetrics {
  private readonly reconcileTotal: Counter<'controller' | 'result'>;
  private readonly reconcileErrors: Counter<'controller'>;
  private readonly reconcileTime: Histogram<'controller'>;
  private readonly maxConcurrent: Gauge<'controller'>;
  private readonly activeWorkers: Gauge<'controller'>;
  private readonly depth: Gauge<'name' | 'controller'>;
  private readonly adds: Counter<'name' | 'controller'>;
  private readonly queueDuration: Histogram<'name' | 'controller'>;
  private readonly workDuration: Histogram<'name' | 'controller'>;
  private readonly retries: Counter<'name' | 'controller'>;
  private readonly apiCalls: Counter<'provider' | 'call' | 'status'>;
  private readonly stats = new Map<PerObjectKind, Map<string, ObjectStats>>();

  constructor(
    registry: Registry,
    private readonly perObject: boolean,
  ) {
    const registers = [registry];
    const controller = ['controller'] as const;
    const queue = ['name', 'controller'] as const;
    this.reconcileTotal = new Counter({
      name: 'controller_runtime_reconcile_total',
      help: 'ESO/controller-runtime: reconciles per controller by result (success, error, requeue_after).',
      labelNames: ['controller', 'result'],
      registers,
    });
    this.reconcileErrors = new Counter({
      name: 'controller_runtime_reconcile_errors_total',
      help: 'ESO/controller-runtime: failed reconciles per controller.',
      labelNames: controller,
      registers,
    });
    this.reconcileTime = new Histogram({
      name: 'controller_runtime_reconcile_time_seconds',
      help: 'ESO/controller-runtime: duration of one reconcile per controller.',
      labelNames: controller,
      buckets: RECONCILE_BUCKETS,
      registers,
    });
    this.maxConcurrent = new Gauge({
      name: 'controller_runtime_max_concurrent_reconciles',
      help: 'ESO/controller-runtime: workers per controller.',
      labelNames: controller,
      registers,
    });
    this.activeWorkers = new Gauge({
      name: 'controller_runtime_active_workers',
      help: 'ESO/controller-runtime: workers running a reconcile now.',
      labelNames: controller,
      registers,
    });
    this.depth = new Gauge({
      name: 'workqueue_depth',
      help: 'ESO/client-go: keys waiting in the work queue (ready to run, not delayed).',
      labelNames: queue,
      registers,
    });
    this.adds = new Counter({
      name: 'workqueue_adds_total',
      help: 'ESO/client-go: adds to the work queue.',
      labelNames: queue,
      registers,
    });
    this.queueDuration = new Histogram({
      name: 'workqueue_queue_duration_seconds',
      help: 'ESO/client-go: time a key waits in the work queue before it runs.',
      labelNames: queue,
      buckets: WORKQUEUE_BUCKETS,
      registers,
    });
    this.workDuration = new Histogram({
      name: 'workqueue_work_duration_seconds',
      help: 'ESO/client-go: time one run of a key takes.',
      labelNames: queue,
      buckets: WORKQUEUE_BUCKETS,
      registers,
    });
    this.retries = new Counter({
      name: 'workqueue_retries_total',
      help: 'ESO/client-go: keys put back on the work queue after a failed run.',
      labelNames: queue,
      registers,
    });
    this.apiCalls = new Counter({
      name: 'externalsecret_provider_api_calls_count',
      help: 'ESO: calls to secret providers by provider, call (Syncret operation names) and status.',
      labelNames: ['provider', 'call', 'status'],
      registers,
    });
  }

  /** A controller's queue exists: its series start at zero, so rate() and absent() work at once. */
  queueStarted(controller: string, workers: number): void {
    const q = { name: controller, controller };
    this.maxConcurrent.set({ controller }, workers);
    this.activeWorkers.set({ controller }, 0);
    this.depth.set(q, 0);
    this.adds.inc(q, 0);
    this.retries.inc(q, 0);
    for (const result of ['success', 'error', 'requeue_after'])
      this.reconcileTotal.inc({ controller, result }, 0);
    this.reconcileErrors.inc({ controller }, 0);
  }

  queueDepth(controller: string, n: number): void {
    this.depth.set({ name: controller, controller }, n);
  }

  queueAdd(controller: string): void {
    this.adds.inc({ name: controller, controller });
  }

  queueWait(controller: string, seconds: number): void {
    this.queueDuration.observe({ name: controller, controller }, seconds);
  }

  inflight(controller: string, n: number): void {
    this.activeWorkers.set({ controller }, n);
  }

  /** One run of a key finished: controller-runtime's result and, per object, ESO's counters. */
  reconcileDone(controller: string, key: string, ok: boolean, requeue: boolean, seconds: number): void {
    const result = !ok ? 'error' : requeue ? 'requeue_after' : 'success';
    this.reconcileTotal.inc({ controller, result });
    if (!ok) {
      this.reconcileErrors.inc({ controller });
      this.retries.inc({ name: controller, controller });
    }
    this.reconcileTime.observe({ controller }, seconds);
    this.workDuration.observe({ name: controller, controller }, seconds);
    if (!this.perObject || !isPerObject(controller)) return;
    let byKey = this.stats.get(controller);
    if (!byKey) this.stats.set(controller, (byKey = new Map()));
    const s = byKey.get(key) ?? { calls: 0, errors: 0, durationNs: 0 };
    s.calls++;
    if (!ok) s.errors++;
    s.durationNs = Math.round(seconds * 1e9);
    byKey.set(key, s);
  }

  providerCall(provider: string, call: string, ok: boolean): void {
    this.apiCalls.inc({
      provider: ESO_PROVIDERS[provider] ?? provider,
      call,
      status: ok ? 'success' : 'error',
    });
  }

  /** Registers the per-object families (--metrics-per-object); `scrape` is one view per scrape. */
  registerPerObject(registry: Registry, scrape: () => PerObjectScrape): void {
    if (!this.perObject) return;
    for (const kind of PER_OBJECT_KINDS) {
      const noun = KIND_NOUNS[kind];
      new ScrapeFamily(
        `${kind}_status_condition`,
        `ESO: the status condition of a specific ${noun}.`,
        'gauge',
        () => this.live(scrape, kind, () => scrape().conditions.get(kind) ?? []),
      ).register(registry);
      new ScrapeFamily(
        `${kind}_reconcile_duration`,
        `ESO: the duration of the last reconcile of a specific ${noun}, in nanoseconds (a Go time.Duration, as ESO).`,
        'gauge',
        () => this.statSamples(scrape, kind, (s) => s.durationNs),
      ).register(registry);
    }
    new ScrapeFamily(
      'externalsecret_sync_calls_total',
      'ESO: reconciles of a specific ExternalSecret.',
      'counter',
      () => this.statSamples(scrape, 'externalsecret', (s) => s.calls),
    ).register(registry);
    new ScrapeFamily(
      'externalsecret_sync_calls_error',
      'ESO: failed reconciles of a specific ExternalSecret.',
      'counter',
      () => this.statSamples(scrape, 'externalsecret', (s) => s.errors),
    ).register(registry);
  }

  /** Drops the stats of objects that are gone; then computes the family. */
  private live(scrape: () => PerObjectScrape, kind: PerObjectKind, f: () => Sample[]): Sample[] {
    const keys = scrape().live.get(kind);
    const byKey = this.stats.get(kind);
    if (keys && byKey) for (const k of byKey.keys()) if (!keys.has(k)) byKey.delete(k);
    return f();
  }

  private statSamples(
    scrape: () => PerObjectScrape,
    kind: PerObjectKind,
    v: (s: ObjectStats) => number,
  ): Sample[] {
    return this.live(scrape, kind, () => {
      const out: Sample[] = [];
      for (const [key, s] of this.stats.get(kind) ?? []) {
        const slash = key.indexOf('/');
        const namespace = slash < 0 ? '' : key.slice(0, slash);
        const name = slash < 0 ? key : key.slice(slash + 1);
        out.push({ labels: { name: objectLabel(name), namespace: objectLabel(namespace) }, value: v(s) });
      }
      return out;
    });
  }
}

const KIND_NOUNS: Record<PerObjectKind, string> = {
  externalsecret: 'ExternalSecret',
  secretstore: 'SecretStore',
  clustersecretstore: 'ClusterSecretStore',
  clusterexternalsecret: 'ClusterExternalSecret',
};
