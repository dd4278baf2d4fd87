import { describe, expect, it } from '@jest/globals';
import { LabelGuard, capSeries, objectLabel, scrapeLabel } from './label-guard.js';
import { Metrics } from './metrics.js';
import type { ExternalSecretView, ObjectView, ObjectViews } from './scrape.js';

function es(over: Partial<ExternalSecretView> = {}): ExternalSecretView {
  return {
    namespace: 'team-a',
    name: 'db',
    storeKind: 'SecretStore',
    store: 'vault',
    ready: 'True',
    reason: 'SecretSynced',
    cause: '',
    ...over,
  };
}

/** Views over plain arrays the test changes between scrapes. */
function views(state: { es: ExternalSecretView[]; stores?: ObjectView[]; ces?: ObjectView[] }): ObjectViews {
  return {
    externalSecrets: (visit) => state.es.forEach(visit),
    stores: (kind, visit) => (kind === 'SecretStore' ? (state.stores ?? []) : []).forEach(visit),
    clusterExternalSecrets: (visit) => (state.ces ?? []).forEach(visit),
  };
}

/** The sample lines of one family, without HELP and TYPE. */
function lines(text: string, name: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

describe('LabelGuard and the series caps', () => {
  it('keeps the first values of a label and reports odd ones and later ones as "other"', () => {
    const g = new LabelGuard(2);
    expect(g.value('provider', 'vault')).toBe('vault');
    expect(g.value('provider', 'aws')).toBe('aws');
    expect(g.value('provider', 'gcpsm')).toBe('other');
    expect(g.value('provider', 'vault')).toBe('vault');
    expect(g.value('other-label', 'gcpsm')).toBe('gcpsm');
    expect(g.value('provider', 'has space')).toBe('other');
    expect(g.value('provider', 'x'.repeat(65))).toBe('other');
  });

  it('folds the smallest scrape-time series into "other" and keeps the sums', () => {
    const samples = ['a', 'b', 'c', 'd'].map((ns, i) => ({
      labels: { namespace: ns, store: 's', ready: i % 2 ? 'true' : 'false' },
      value: 10 - i,
    }));
    const capped = capSeries(samples, 3, ['namespace', 'store']);
    expect(capped.map((s) => s.labels.namespace)).toEqual(['a', 'b', 'other', 'other']);
    expect(capped.slice(2).map((s) => [s.labels.store, s.labels.ready, s.value])).toEqual([
      ['other', 'false', 8],
      ['other', 'true', 7],
    ]);
    expect(capped.reduce((a, s) => a + s.value, 0)).toBe(34);
    expect(capSeries(samples, 4, ['namespace'])).toBe(samples);
  });

  it('admits Kubernetes names as object labels and nothing else', () => {
    expect(objectLabel('db-credentials.v2')).toBe('db-credentials.v2');
    expect(objectLabel('a'.repeat(253))).toBe('a'.repeat(253));
    expect(objectLabel('Not_A_Name')).toBe('other');
    expect(objectLabel('')).toBe('');
    expect(scrapeLabel('ProviderError')).toBe('ProviderError');
    expect(scrapeLabel('two words')).toBe('other');
  });
});

describe('scrape-time families', () => {
  it('counts ExternalSecrets by namespace, store, Ready reason and cause; gone objects leave no series', async () => {
    const m = new Metrics({ defaultMetrics: false });
    const state = {
      es: [
        es({ name: 'a' }),
        es({ name: 'b' }),
        es({ name: 'c', ready: 'False', reason: 'SecretSyncedError', cause: 'ProviderError' }),
        es({
          name: 'd',
          namespace: 'team-b',
          storeKind: 'ClusterSecretStore',
          store: 'aws',
          overdueAfterMs: 0,
        }),
      ],
    };
    m.objectsFrom(views(state));
    let text = await m.text();
    expect(lines(text, 'syncret_externalsecrets_by_reason').sort()).toEqual(
      [
        'syncret_externalsecrets_by_reason{namespace="team-a",store_kind="SecretStore",store="vault",ready="true",reason="SecretSynced",cause=""} 2',
        'syncret_externalsecrets_by_reason{namespace="team-a",store_kind="SecretStore",store="vault",ready="false",reason="SecretSyncedError",cause="ProviderError"} 1',
        'syncret_externalsecrets_by_reason{namespace="team-b",store_kind="ClusterSecretStore",store="aws",ready="true",reason="SecretSynced",cause=""} 1',
      ].sort(),
    );
    expect(lines(text, 'syncret_externalsecrets_sync_overdue').sort()).toEqual([
      'syncret_externalsecrets_sync_overdue{namespace="team-a"} 0',
      'syncret_externalsecrets_sync_overdue{namespace="team-b"} 1',
    ]);
    state.es = state.es.filter((v) => v.namespace === 'team-a' && v.ready === 'True');
    text = await m.text();
    expect(lines(text, 'syncret_externalsecrets_by_reason')).toHaveLength(1);
    expect(text).not.toContain('team-b');
    expect(text).not.toContain('ProviderError');
  });

  it('caps the series of a family per scrape', async () => {
    const m = new Metrics({ defaultMetrics: false, maxScrapeSeries: 10 });
    m.objectsFrom(views({ es: Array.from({ length: 50 }, (_, i) => es({ namespace: `ns-${i}` })) }));
    const text = await m.text();
    const series = lines(text, 'syncret_externalsecrets_by_reason');
    expect(series).toHaveLength(10);
    expect(series.at(-1)).toContain('namespace="other",store_kind="SecretStore",store="other"');
    expect(series.at(-1)).toMatch(/ 41$/);
  });

  it('serves no per-object series by default', async () => {
    const m = new Metrics({ defaultMetrics: false });
    m.objectsFrom(views({ es: [es({ lastSyncMs: 1_700_000_000_000 })] }));
    m.reconcileDone('externalsecret', 'team-a/db', { ok: true, requeue: true, seconds: 0.01 });
    const text = await m.text();
    for (const name of [
      'externalsecret_status_condition',
      'externalsecret_sync_calls_total',
      'externalsecret_reconcile_duration',
      'secretstore_status_condition',
      'syncret_externalsecret_last_sync_timestamp_seconds',
    ])
      expect(text).not.toContain(name);
    expect(text).not.toContain('name="db"');
  });

  it("with perObject: ESO's per-object families and the last sync time, dropped when the object goes", async () => {
    const m = new Metrics({ defaultMetrics: false, perObject: true });
    const state = {
      es: [
        es({ lastSyncMs: 1_700_000_000_500 }),
        es({ name: 'bad', ready: 'False', reason: 'SecretSyncedError', cause: 'StoreNotFound' }),
      ],
      stores: [{ namespace: 'team-a', name: 'vault', ready: 'Unknown' as const }],
      ces: [{ namespace: '', name: 'all', ready: 'True' as const }],
    };
    m.objectsFrom(views(state));
    m.reconcileDone('externalsecret', 'team-a/db', { ok: true, requeue: true, seconds: 0.25 });
    m.reconcileDone('externalsecret', 'team-a/bad', { ok: false, requeue: false, seconds: 0.5 });
    m.reconcileDone('externalsecret', 'team-a/bad', { ok: false, requeue: false, seconds: 0.125 });
    m.reconcileDone('clusterexternalsecret', 'all', { ok: true, requeue: false, seconds: 1 });
    let text = await m.text();
    expect(lines(text, 'externalsecret_status_condition').sort()).toEqual([
      'externalsecret_status_condition{name="bad",namespace="team-a",condition="Ready",status="False"} 1',
      'externalsecret_status_condition{name="bad",namespace="team-a",condition="Ready",status="True"} 0',
      'externalsecret_status_condition{name="db",namespace="team-a",condition="Ready",status="False"} 0',
      'externalsecret_status_condition{name="db",namespace="team-a",condition="Ready",status="True"} 1',
    ]);
    expect(text).toContain(
      'secretstore_status_condition{name="vault",namespace="team-a",condition="Ready",status="Unknown"} 1',
    );
    expect(text).toContain(
      'clusterexternalsecret_status_condition{name="all",namespace="",condition="Ready",status="True"} 1',
    );
    expect(text).toContain('externalsecret_sync_calls_total{name="bad",namespace="team-a"} 2');
    expect(text).toContain('externalsecret_sync_calls_error{name="bad",namespace="team-a"} 2');
    expect(text).toContain('externalsecret_sync_calls_error{name="db",namespace="team-a"} 0');
    // A Go time.Duration, as ESO: nanoseconds.
    expect(text).toContain('externalsecret_reconcile_duration{name="bad",namespace="team-a"} 125000000');
    expect(text).toContain('clusterexternalsecret_reconcile_duration{name="all",namespace=""} 1000000000');
    expect(text).toContain(
      'syncret_externalsecret_last_sync_timestamp_seconds{namespace="team-a",name="db"} 1700000000',
    );

    state.es = state.es.filter((v) => v.name === 'db');
    state.ces = [];
    text = await m.text();
    expect(text).not.toContain('name="bad"');
    expect(text).not.toContain('name="all"');
    expect(text).toContain('externalsecret_sync_calls_total{name="db",namespace="team-a"} 1');
  });
});

describe("ESO's aggregated families", () => {
  it('follows the queues and reconciles with controller-runtime and workqueue names', async () => {
    const m = new Metrics({ defaultMetrics: false });
    m.queueStarted('externalsecret', ['create'], 64);
    m.queueAdd('externalsecret', 'create');
    m.queueDepth('externalsecret', 3);
    m.queueWait('externalsecret', 0.2);
    m.inflight('externalsecret', 2);
    m.reconcileDone('externalsecret', 'ns/a', { ok: true, requeue: true, seconds: 0.02 });
    m.reconcileDone('externalsecret', 'ns/b', { ok: true, requeue: false, seconds: 0.02 });
    m.reconcileDone('externalsecret', 'ns/c', { ok: false, requeue: false, seconds: 0.02 });
    m.providerCall('vault', 'get', false, 0.01);
    m.providerCall('aws', 'get', true, 0.01);
    const text = await m.text();
    for (const line of [
      'controller_runtime_reconcile_total{controller="externalsecret",result="requeue_after"} 1',
      'controller_runtime_reconcile_total{controller="externalsecret",result="success"} 1',
      'controller_runtime_reconcile_total{controller="externalsecret",result="error"} 1',
      'controller_runtime_reconcile_errors_total{controller="externalsecret"} 1',
      'controller_runtime_reconcile_time_seconds_bucket{le="0.025",controller="externalsecret"} 3',
      'controller_runtime_max_concurrent_reconciles{controller="externalsecret"} 64',
      'controller_runtime_active_workers{controller="externalsecret"} 2',
      'workqueue_depth{name="externalsecret",controller="externalsecret"} 3',
      'workqueue_adds_total{name="externalsecret",controller="externalsecret"} 1',
      'workqueue_retries_total{name="externalsecret",controller="externalsecret"} 1',
      'workqueue_queue_duration_seconds_bucket{le="1",name="externalsecret",controller="externalsecret"} 1',
      'workqueue_work_duration_seconds_count{name="externalsecret",controller="externalsecret"} 3',
      'externalsecret_provider_api_calls_count{provider="HashiCorp/Vault",call="get",status="error"} 1',
      'externalsecret_provider_api_calls_count{provider="aws",call="get",status="success"} 1',
    ])
      expect(text).toContain(line);
  });
});

describe('event-loop lag', () => {
  it('is a histogram of how late a 100 ms timer fires', async () => {
    const m = new Metrics({ defaultMetrics: false, eventLoopLag: true });
    try {
      await new Promise((r) => setTimeout(r, 150));
      const until = performance.now() + 300;
      while (performance.now() < until) {
        // Keep the loop busy: the next sample is at least 0.2 s late.
      }
      await new Promise((r) => setTimeout(r, 150));
      const text = await m.text();
      expect(text).toContain('# TYPE syncret_event_loop_lag_seconds histogram');
      const count = Number(/syncret_event_loop_lag_seconds_count (\S+)/.exec(text)?.[1]);
      const fast = Number(/syncret_event_loop_lag_seconds_bucket\{le="0.1"\} (\S+)/.exec(text)?.[1]);
      expect(count).toBeGreaterThanOrEqual(2);
      expect(fast).toBeLessThan(count);
    } finally {
      m.close();
    }
  });
});
