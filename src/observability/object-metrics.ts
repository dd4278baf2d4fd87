// Per-object truth without per-object series: the families counted at scrape time from the
// caches (ObjectViews). One visit of the caches per scrape feeds them all, so an object that is
// gone is gone from /metrics at the next scrape; between scrapes only each object version's
// labels are kept, weakly (50,000 ExternalSecrets: 160 ms a scrape without, see PERFORMANCE.md).
//  - syncret_externalsecrets_by_reason{namespace,store_kind,store,ready,reason,cause}
//  - syncret_externalsecrets_sync_overdue{namespace}
//  - with --metrics-per-object: syncret_externalsecret_last_sync_timestamp_seconds{namespace,name}
//    and ESO's <kind>_status_condition (eso-metrics.ts).
// The aggregated families have at most `maxSeries` series per scrape (capSeries).

import type { Registry } from 'prom-client';
import { PER_OBJECT_KINDS } from './eso-metrics.js';
import type { PerObjectKind, PerObjectScrape } from './eso-metrics.js';
import { Tally, capSeries, objectLabel, scrapeLabel } from './label-guard.js';
import type { Sample } from './label-guard.js';
import { ScrapeFamily, conditionSamples } from './scrape.js';
import type { ExternalSecretView, ObjectView, ObjectViews } from './scrape.js';

interface Snapshot extends PerObjectScrape {
  byReason: Sample[];
  overdue: Sample[];
  lastSync: Sample[];
}

const EMPTY: Snapshot = {
  byReason: [],
  overdue: [],
  lastSync: [],
  live: new Map(),
  conditions: new Map(),
};

interface Group {
  /** The label values joined: equal keys, equal labels. */
  key: string;
  labels: Record<'namespace' | 'store_kind' | 'store' | 'ready' | 'reason' | 'cause', string>;
}

function groupOf(v: ExternalSecretView): Group {
  const labels = {
    namespace: scrapeLabel(v.namespace),
    store_kind: scrapeLabel(v.storeKind),
    store: scrapeLabel(v.store),
    ready: v.ready.toLowerCase(),
    reason: scrapeLabel(v.reason),
    cause: scrapeLabel(v.cause),
  };
  return { key: Object.values(labels).join('\u0000'), labels };
}

const keyOf = (v: { namespace: string; name: string }): string =>
  v.namespace ? `${v.namespace}/${v.name}` : v.name;

export class ObjectMetrics {
  private views?: ObjectViews;
  private memo?: Snapshot;
  private scraping = false;
  /** A view's series, kept while its object is unchanged (views are per object version). */
  private readonly groups = new WeakMap<ExternalSecretView, Group>();

  constructor(
    private readonly perObject: boolean,
    private readonly maxSeries: number,
  ) {}

  register(registry: Registry): void {
    new ScrapeFamily(
      'syncret_externalsecrets_by_reason',
      'ExternalSecrets by namespace, store and Ready condition: ready (true, false, unknown), reason (ESO reason), cause (Syncret cause of a failure, else empty). Counted at scrape time; beyond the series cap the smallest fold into namespace and store "other".',
      'gauge',
      () => this.current().byReason,
    ).register(registry);
    new ScrapeFamily(
      'syncret_externalsecrets_sync_overdue',
      'ExternalSecrets per namespace without a successful sync in twice their refresh interval (refreshPolicy Periodic, interval above 0).',
      'gauge',
      () => this.current().overdue,
    ).register(registry);
    if (this.perObject)
      new ScrapeFamily(
        'syncret_externalsecret_last_sync_timestamp_seconds',
        'Per ExternalSecret (--metrics-per-object): time of its last successful sync (status.refreshTime), Unix seconds.',
        'gauge',
        () => this.current().lastSync,
      ).register(registry);
  }

  /** The scrape's view of the objects, for the per-object ESO families. */
  scrape = (): PerObjectScrape => this.current();

  from(views: ObjectViews): void {
    this.views = views;
  }

  /** A scrape starts: the families of this scrape share one visit of the caches. */
  begin(): void {
    this.scraping = true;
    this.memo = undefined;
  }

  end(): void {
    this.scraping = false;
    this.memo = undefined;
  }

  private current(): Snapshot {
    if (this.memo) return this.memo;
    const s = this.views ? this.compute(this.views) : EMPTY;
    if (this.scraping) this.memo = s;
    return s;
  }

  private compute(views: ObjectViews): Snapshot {
    const byReason = new Tally();
    const overdue = new Tally();
    const lastSync: Sample[] = [];
    const live = new Map<PerObjectKind, Set<string>>();
    const conditions = new Map<PerObjectKind, Sample[]>();
    const esKeys = new Set<string>();
    const esConditions: Sample[] = [];
    const now = Date.now();
    views.externalSecrets((v) => {
      let g = this.groups.get(v);
      if (!g) this.groups.set(v, (g = groupOf(v)));
      byReason.add(g.key, () => g.labels);
      const late = v.overdueAfterMs !== undefined && now > v.overdueAfterMs;
      overdue.add(g.labels.namespace, () => ({ namespace: g.labels.namespace }), late ? 1 : 0);
      if (!this.perObject) return;
      esKeys.add(keyOf(v));
      esConditions.push(...conditionSamples(v));
      if (v.lastSyncMs !== undefined)
        lastSync.push({
          labels: { namespace: objectLabel(v.namespace), name: objectLabel(v.name) },
          value: Math.floor(v.lastSyncMs / 1000),
        });
    });
    if (this.perObject) {
      live.set('externalsecret', esKeys);
      conditions.set('externalsecret', esConditions);
      const add = (kind: PerObjectKind) => (v: ObjectView) => {
        live.get(kind)!.add(keyOf(v));
        conditions.get(kind)!.push(...conditionSamples(v));
      };
      for (const kind of PER_OBJECT_KINDS.slice(1)) {
        live.set(kind, new Set());
        conditions.set(kind, []);
      }
      views.stores('SecretStore', add('secretstore'));
      views.stores('ClusterSecretStore', add('clustersecretstore'));
      views.clusterExternalSecrets(add('clusterexternalsecret'));
    }
    return {
      byReason: capSeries(byReason.samples(), this.maxSeries, ['namespace', 'store']),
      overdue: capSeries(overdue.samples(), this.maxSeries, ['namespace']),
      lastSync,
      live,
      conditions,
    };
  }
}
