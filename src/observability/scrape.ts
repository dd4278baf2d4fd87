// Metric families computed at scrape time from what the caches hold, and never stored between
// scrapes: a deleted object's series are gone at the next scrape (no stale series), and 10,000
// ExternalSecrets cost no memory until someone scrapes. The controller layer describes its
// objects through ObjectViews; Metrics turns one visit per scrape into every family below.

import type { Metric, Registry } from 'prom-client';
import { objectLabel } from './label-guard.js';
import type { Sample } from './label-guard.js';

export type ReadyStatus = 'True' | 'False' | 'Unknown';

/** One ExternalSecret as the scrape-time families see it: names, never values. */
export interface ExternalSecretView {
  namespace: string;
  name: string;
  /** SecretStore, ClusterSecretStore, or '' (generators only). */
  storeKind: string;
  store: string;
  ready: ReadyStatus;
  /** The Ready condition's reason (ESO's), '' without one. */
  reason: string;
  /** Syncret's precise cause when Ready is False (src/controller/reasons.ts), else ''. */
  cause: string;
  /** status.refreshTime: the last successful sync, epoch ms. */
  lastSyncMs?: number;
  /**
   * Overdue after this time, epoch ms: no successful sync in twice its refresh interval
   * (Periodic, interval above 0; otherwise undefined, never overdue). A time, not a flag, so a
   * view stays valid while its object is unchanged.
   */
  overdueAfterMs?: number;
  /** The earliest expiry of its renewable generator leases, epoch ms. */
  leaseExpiryMs?: number;
}

/** A store or ClusterExternalSecret: its name and Ready status ('' namespace when cluster-scoped). */
export interface ObjectView {
  namespace: string;
  name: string;
  ready: ReadyStatus;
}

export type StoreKindName = 'SecretStore' | 'ClusterSecretStore';

export interface ObjectViews {
  externalSecrets(visit: (v: ExternalSecretView) => void): void;
  stores(kind: StoreKindName, visit: (v: ObjectView) => void): void;
  clusterExternalSecrets(visit: (v: ObjectView) => void): void;
}

/**
 * A family whose samples a function computes when Prometheus scrapes. A function that throws
 * yields no samples this time (a scrape must not fail over one family).
 */
export class ScrapeFamily {
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'gauge' | 'counter',
    private readonly collect: () => Sample[],
  ) {}

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Sample[] }> {
    let values: Sample[] = [];
    try {
      values = this.collect();
    } catch {
      values = [];
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    // Nothing is stored.
  }

  register(registry: Registry): this {
    // prom-client formats any object with name, help, type and get(); its types name only its own classes.
    registry.registerMetric(this as unknown as Metric);
    return this;
  }
}

/** ESO's status_condition samples of one object: the current status 1 and, for True/False, the other 0. */
export function conditionSamples(v: ObjectView): Sample[] {
  const base = { name: objectLabel(v.name), namespace: objectLabel(v.namespace), condition: 'Ready' };
  if (v.ready === 'Unknown') return [{ labels: { ...base, status: 'Unknown' }, value: 1 }];
  const other = v.ready === 'True' ? 'False' : 'True';
  return [
    { labels: { ...base, status: v.ready }, value: 1 },
    { labels: { ...base, status: other }, value: 0 },
  ];
}
