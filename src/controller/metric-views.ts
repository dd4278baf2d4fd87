// What the scrape-time metric families see of the caches (src/observability/object-metrics.ts):
// per object its names, Ready status, ESO reason and Syncret cause, and when its sync is
// overdue. Read at each scrape from the caches, so deleted objects drop out by themselves.
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
  // A view depends on its object alone (time enters as overdueAfterMs), and the caches replace
  // an object on every change: so each object's view is built once, not at every scrape, and
  // goes with its object.
  const memo = new WeakMap<ExternalSecret, { view: ExternalSecretView; storeKey: string }>();
  const foreign = (kind: string, ns: string, name: string): boolean => {
    const store = kind === 'ClusterSecretStore' ? c.clusterStores.get(name) : c.stores.get(`${ns}/${name}`);
    return !!store && (store.spec?.controller ?? '') !== o.controllerClass;
  };
  const view = (es: ExternalSecret): ExternalSecretView => {
    const namespace = es.metadata.namespace ?? '';
    const ref = es.spec?.secretStoreRef;
    const cond = getCondition(es.status?.conditions, 'Ready');
    const ready = readyOf(cond?.status);
    const refreshed = Date.parse(es.status?.refreshTime ?? '');
    const lastSyncMs = Number.isFinite(refreshed) ? refreshed : undefined;
    let overdueAfterMs: number | undefined;
    if ((es.spec?.refreshPolicy ?? 'Periodic') === 'Periodic') {
      const interval = flooredInterval(
        intervals.of(es.spec?.refreshInterval ?? DEFAULT_REFRESH_INTERVAL),
        o.minRefreshIntervalMs,
      );
      const since = lastSyncMs ?? Date.parse(es.metadata.creationTimestamp ?? '');
      if (interval > 0 && Number.isFinite(since)) overdueAfterMs = since + 2 * interval;
    }
    return {
      namespace,
      name: es.metadata.name ?? '',
      storeKind: ref?.name ? (ref.kind ?? 'SecretStore') : '',
      store: ref?.name ?? '',
      ready,
      reason: cond?.reason ?? '',
      cause: ready === 'False' ? (causeOf(cond) ?? '') : '',
      lastSyncMs,
      overdueAfterMs,
    };
  };
  const simple = (o: SecretStore | ClusterExternalSecret) => ({
    namespace: o.metadata.namespace ?? '',
    name: o.metadata.name ?? '',
    ready: readyOf(getCondition(o.status?.conditions, 'Ready')?.status),
  });
  return {
    externalSecrets(visit) {
      // Many ExternalSecrets share a store: decide each store once per scrape.
      const foreignStores = new Map<string, boolean>();
      for (const es of c.externalSecrets.values()) {
        let m = memo.get(es);
        if (!m) {
          const v = view(es);
          m = { view: v, storeKey: v.store ? `${v.storeKind}\u0000${v.namespace}\u0000${v.store}` : '' };
          memo.set(es, m);
        }
        const v = m.view;
        if (m.storeKey) {
          let skip = foreignStores.get(m.storeKey);
          if (skip === undefined)
            foreignStores.set(m.storeKey, (skip = foreign(v.storeKind, v.namespace, v.store)));
          if (skip) continue;
        }
        visit(v);
      }
    },
    stores(kind, visit) {
      const cache = kind === 'SecretStore' ? c.stores : c.clusterStores;
      for (const s of cache.values()) if ((s.spec?.controller ?? '') === o.controllerClass) visit(simple(s));
    },
    clusterExternalSecrets(visit) {
      for (const x of c.clusterExternalSecrets?.values() ?? []) visit(simple(x));
    },
  };
}
