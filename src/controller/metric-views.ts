// What the scrape-time metric families see of the caches (src/observability/object-metrics.ts):
// per object its names, Ready status, ESO reason and Syncret cause, and whether its sync is
// overdue. Read at each scrape, never stored, so deleted objects drop out by themselves.
// Objects whose store belongs to another controller class are not this operator's and are
// left out.

import type { ClusterExternalSecret, ExternalSecret, SecretStore } from '../api/types.js';
import { parseGoDuration } from '../config/duration.js';
import type { ExternalSecretView, ObjectViews, ReadyStatus } from '../observability/scrape.js';
import type { ObjectCache } from '../runtime/cache.js';
import { getCondition } from '../runtime/conditions.js';
import { flooredInterval } from '../runtime/schedule.js';
import { DEFAULT_REFRESH_INTERVAL } from './externalsecret/reconcile.js';
import { causeOf } from './reasons.js';

export interface ViewCaches {
  externalSecrets: ObjectCache<ExternalSecret>;
  stores: ObjectCache<SecretStore>;
  clusterStores: ObjectCache<SecretStore>;
  clusterExternalSecrets?: ObjectCache<ClusterExternalSecret>;
}

export interface ViewOptions {
  controllerClass: string;
  minRefreshIntervalMs: number;
  now?: () => number;
}

function readyOf(status: string | undefined): ReadyStatus {
  return status === 'True' || status === 'False' ? status : 'Unknown';
}

/** Distinct refreshInterval strings are few (1h, 15m, ...): parse each once. */
class IntervalMemo {
  private readonly ms = new Map<string, number>();

  of(v: string): number {
    let ms = this.ms.get(v);
    if (ms === undefined) {
      try {
        ms = parseGoDuration(v);
      } catch {
        ms = NaN;
      }
      if (this.ms.size < 256) this.ms.set(v, ms);
    }
    return ms;
  }
}

export function objectViews(c: ViewCaches, o: ViewOptions): ObjectViews {
  const intervals = new IntervalMemo();
  const now = o.now ?? Date.now;
  const foreign = (kind: string, ns: string, name: string): boolean => {
    const store = kind === 'ClusterSecretStore' ? c.clusterStores.get(name) : c.stores.get(`${ns}/${name}`);
    return !!store && (store.spec?.controller ?? '') !== o.controllerClass;
  };
  const view = (es: ExternalSecret, t: number): ExternalSecretView | undefined => {
    const namespace = es.metadata.namespace ?? '';
    const ref = es.spec?.secretStoreRef;
    const storeKind = ref?.name ? (ref.kind ?? 'SecretStore') : '';
    const store = ref?.name ?? '';
    if (store && foreign(storeKind, namespace, store)) return undefined;
    const cond = getCondition(es.status?.conditions, 'Ready');
    const ready = readyOf(cond?.status);
    const refreshed = Date.parse(es.status?.refreshTime ?? '');
    const lastSyncMs = Number.isFinite(refreshed) ? refreshed : undefined;
    let overdue = false;
    if ((es.spec?.refreshPolicy ?? 'Periodic') === 'Periodic') {
      const interval = flooredInterval(
        intervals.of(es.spec?.refreshInterval ?? DEFAULT_REFRESH_INTERVAL),
        o.minRefreshIntervalMs,
      );
      const since = lastSyncMs ?? Date.parse(es.metadata.creationTimestamp ?? '');
      overdue = interval > 0 && Number.isFinite(since) && t - since > 2 * interval;
    }
    return {
      namespace,
      name: es.metadata.name ?? '',
      storeKind,
      store,
      ready,
      reason: cond?.reason ?? '',
      cause: ready === 'False' ? (causeOf(cond) ?? '') : '',
      lastSyncMs,
      overdue,
    };
  };
  const simple = (o: SecretStore | ClusterExternalSecret) => ({
    namespace: o.metadata.namespace ?? '',
    name: o.metadata.name ?? '',
    ready: readyOf(getCondition(o.status?.conditions, 'Ready')?.status),
  });
  return {
    externalSecrets(visit) {
      const t = now();
      for (const key of c.externalSecrets.keys()) {
        const es = c.externalSecrets.get(key);
        const v = es && view(es, t);
        if (v) visit(v);
      }
    },
    stores(kind, visit) {
      const cache = kind === 'SecretStore' ? c.stores : c.clusterStores;
      for (const key of cache.keys()) {
        const s = cache.get(key);
        if (s && (s.spec?.controller ?? '') === o.controllerClass) visit(simple(s));
      }
    },
    clusterExternalSecrets(visit) {
      const cache = c.clusterExternalSecrets;
      if (!cache) return;
      for (const key of cache.keys()) {
        const x = cache.get(key);
        if (x) visit(simple(x));
      }
    },
  };
}
