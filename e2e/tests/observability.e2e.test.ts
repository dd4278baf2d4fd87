// /metrics on the real control plane, as Prometheus sees it: the series of an ExternalSecret and
// its store appear, follow a failure (ESO's names and Syncret's), stay bounded when a namespace
// holds many objects, and vanish when the objects are deleted; every metric the chart's dashboard
// and alert rules (and ESO's dashboard) query is exported; and no secret value is ever in a scrape.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  apply,
  applyServerSide,
  externalSecret,
  fakeStore,
  kubectl,
  kubernetesStore,
  newNamespace,
  secretData,
  waitEs,
  waitFor,
  waitReady,
} from '../lib/kube.js';
import { findLeaksIn } from '../lib/leaks.js';
import { startOperator } from '../lib/operator.js';
import type { OperatorHandle } from '../lib/operator.js';
import { renderChart } from '../lib/packaging.js';
import { declares, metricNames, parseScrape, select } from '../lib/prom.js';
import type { Scrape } from '../lib/prom.js';
import { finishSuite } from '../lib/suite.js';
import { issuedValues, secretValue } from '../lib/values.js';

let op: OperatorHandle;
let ns: string;
const value = secretValue('obs');
/** Every scrape's text, for the leak scan at the end. */
const scrapes: string[] = [];
const MANY = 20;

/** The families with one series (or more) per object: ESO's and the last-sync time. */
const PER_OBJECT = new Set([
  'externalsecret_status_condition',
  'externalsecret_sync_calls_total',
  'externalsecret_sync_calls_error',
  'externalsecret_reconcile_duration',
  'secretstore_status_condition',
  'secretstore_reconcile_duration',
  'syncret_externalsecret_last_sync_timestamp_seconds',
]);

beforeAll(async () => {
  op = await startOperator({ name: 'observability', args: ['--metrics-per-object'] });
  ns = newNamespace('e2e-obs');
  applyServerSide(fakeStore(ns, 'fake', [{ key: 'db', value }]));
});

afterAll(() => finishSuite(op));

async function scrape(): Promise<Scrape> {
  const text = await op.metrics();
  scrapes.push(text);
  return parseScrape(text);
}

/** Scrapes until `ok` holds (the caches follow the apiserver a moment later); that scrape. */
function scrapeUntil(what: string, ok: (s: Scrape) => boolean): Promise<Scrape> {
  return waitFor(what, async () => {
    const s = await scrape();
    return ok(s) ? s : undefined;
  });
}

const one = (s: Scrape, name: string, labels: Record<string, string>) => {
  const found = select(s, name, labels);
  expect([name, found.length]).toEqual([name, 1]);
  return found[0]!.value;
};
const total = (s: Scrape, name: string, labels: Record<string, string> = {}) =>
  select(s, name, labels).reduce((a, x) => a + x.value, 0);

/** The namespace's syncret_externalsecrets_by_reason series (all on store fake): Ready labels and count. */
const byReason = (s: Scrape) =>
  select(s, 'syncret_externalsecrets_by_reason', { namespace: ns }).map((x) => {
    const { namespace, store_kind, store, ...rest } = x.labels;
    expect([namespace, store_kind, store]).toEqual([ns, 'SecretStore', 'fake']);
    return [rest, x.value];
  });

const es = (name: string, key: string) =>
  externalSecret(ns, name, {
    refreshInterval: '1h',
    secretStoreRef: { name: 'fake' },
    target: { name },
    data: [{ secretKey: 'password', remoteRef: { key } }],
  });

describe('/metrics follows the objects', () => {
  it('serves the counts and the per-object series of a Ready ExternalSecret and its store', async () => {
    apply(es('db', 'db'));
    await waitEs(ns, 'db');
    const db = { namespace: ns, name: 'db' };
    const s = await scrapeUntil(
      'db Ready in /metrics',
      (s) => select(s, 'externalsecret_status_condition', { ...db, status: 'True' })[0]?.value === 1,
    );
    expect(byReason(s)).toEqual([[{ ready: 'true', reason: 'SecretSynced', cause: '' }, 1]]);
    expect(one(s, 'syncret_externalsecrets_sync_overdue', { namespace: ns })).toBe(0);
    expect(one(s, 'externalsecret_status_condition', { ...db, condition: 'Ready', status: 'False' })).toBe(0);
    expect(one(s, 'externalsecret_sync_calls_total', db)).toBeGreaterThanOrEqual(1);
    expect(one(s, 'externalsecret_sync_calls_error', db)).toBe(0);
    expect(one(s, 'externalsecret_reconcile_duration', db)).toBeGreaterThan(0);
    const lastSync = one(s, 'syncret_externalsecret_last_sync_timestamp_seconds', db);
    expect(Math.abs(Date.now() / 1000 - lastSync)).toBeLessThan(300);
    await scrapeUntil('the store Ready in /metrics', (s) =>
      select(s, 'secretstore_status_condition', { namespace: ns, name: 'fake', status: 'True' }).some(
        (x) => x.value === 1,
      ),
    );
    // ESO's aggregate names, labelled as ESO's dashboard queries them.
    expect(
      total(s, 'externalsecret_provider_api_calls_count', { provider: 'fake', status: 'success' }),
    ).toBeGreaterThan(0);
    expect(total(s, 'controller_runtime_reconcile_total', { controller: 'externalsecret' })).toBeGreaterThan(
      0,
    );
    expect(
      select(s, 'workqueue_depth', { name: 'externalsecret', controller: 'externalsecret' }),
    ).toHaveLength(1);
    expect(
      one(s, 'controller_runtime_max_concurrent_reconciles', { controller: 'externalsecret' }),
    ).toBeGreaterThan(0);
  });

  it('moves the series when the sync and a store fail, and keeps the last good Secret', async () => {
    apply(es('db', 'no/such/key'));
    await waitEs(ns, 'db', { status: 'False', reason: 'ProviderError' });
    const db = { namespace: ns, name: 'db' };
    const s = await scrapeUntil(
      'db not Ready in /metrics',
      (s) => select(s, 'externalsecret_status_condition', { ...db, status: 'False' })[0]?.value === 1,
    );
    // ESO's reason, Syncret's cause; the Ready series is gone, not left at 1.
    expect(byReason(s)).toEqual([
      [{ ready: 'false', reason: 'SecretSyncedError', cause: 'ProviderError' }, 1],
    ]);
    expect(one(s, 'externalsecret_status_condition', { ...db, condition: 'Ready', status: 'True' })).toBe(0);
    expect(one(s, 'externalsecret_sync_calls_error', db)).toBeGreaterThanOrEqual(1);
    expect(
      total(s, 'controller_runtime_reconcile_errors_total', { controller: 'externalsecret' }),
    ).toBeGreaterThan(0);
    expect(await secretData(ns, 'db')).toEqual({ password: value });

    // A store that fails validation: the credentials' ServiceAccount may not read anything.
    apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'nobody', namespace: ns } });
    apply(kubernetesStore(ns, 'broken', ns, { serviceAccount: { name: 'nobody' } }));
    await waitReady('secretstores', ns, 'broken', { status: 'False' });
    const t = await scrapeUntil('the broken store in /metrics', (s) =>
      select(s, 'secretstore_status_condition', { namespace: ns, name: 'broken', status: 'False' }).some(
        (x) => x.value === 1,
      ),
    );
    expect(total(t, 'syncret_stores', { kind: 'SecretStore', ready: 'false' })).toBeGreaterThanOrEqual(1);
  });

  it(`keeps the counted families bounded: ${MANY} more ExternalSecrets add per-object series only`, async () => {
    const before = await scrape();
    apply(...Array.from({ length: MANY }, (_, i) => es(`many-${i}`, 'db')));
    const s = await scrapeUntil(
      `${MANY} more Ready in /metrics`,
      (s) => total(s, 'syncret_externalsecrets_by_reason', { namespace: ns, ready: 'true' }) === MANY,
    );
    // One series per (namespace, store, Ready, reason, cause), whatever the number of objects.
    expect(select(s, 'syncret_externalsecrets_by_reason', { namespace: ns })).toHaveLength(2);
    // Histogram buckets left out: one new label set of a bounded histogram (a first request of
    // a verb and resource) adds a whole row of buckets, whatever the number of objects.
    const counted = (x: Scrape) =>
      x.samples.filter((y) => !PER_OBJECT.has(y.name) && !y.name.endsWith('_bucket')).length;
    // The new objects' own series: a difference of totals also moved with the earlier tests'
    // objects (a store's condition series changing between the two scrapes once gave 95).
    const perNewObject = (x: Scrape) =>
      x.samples.filter((y) => PER_OBJECT.has(y.name) && /^many-/.test(y.labels.name ?? '')).length;
    // A few new series of bounded families may appear (a first create of a kind, a new HTTP code).
    expect(counted(s) - counted(before)).toBeLessThan(MANY);
    expect(perNewObject(before)).toBe(0);
    expect(perNewObject(s)).toBeGreaterThanOrEqual(5 * MANY);
  });

  it('drops the series of deleted objects at the next scrape (no stale series)', async () => {
    kubectl(['delete', 'externalsecrets', '--all', '-n', ns, '--wait=false']);
    const esFamilies = [...PER_OBJECT].filter((n) => !n.startsWith('secretstore_'));
    const s = await scrapeUntil(
      'no series of the deleted ExternalSecrets',
      (s) =>
        !s.samples.some(
          (x) =>
            x.labels.namespace === ns &&
            (esFamilies.includes(x.name) || x.name.startsWith('syncret_externalsecrets_')),
        ),
    );
    // The stores are still there, and still reported.
    expect(select(s, 'secretstore_status_condition', { namespace: ns, name: 'fake' }).length).toBeGreaterThan(
      0,
    );
    kubectl(['delete', 'secretstores', '--all', '-n', ns, '--wait=false']);
    await scrapeUntil(
      'nothing of the namespace in /metrics',
      (s) => !s.samples.some((x) => x.labels.namespace === ns),
    );
  });
});

describe('the dashboards and alerts query what the operator exports', () => {
  it("uses only metrics in /metrics: the chart's dashboard and PrometheusRule, and ESO's dashboard", async () => {
    const objects = renderChart('obs', 'syncret-obs', [
      'grafanaDashboard.enabled=true',
      'prometheusRule.enabled=true',
    ]);
    const cm = objects.find(
      (o) => o.kind === 'ConfigMap' && o.metadata.name.endsWith('-dashboard'),
    ) as unknown as {
      metadata: { namespace?: string; labels?: Record<string, string> };
      data: Record<string, string>;
    };
    // The apiserver takes the dashboard ConfigMap as rendered, with the sidecar's label.
    expect(cm.metadata.labels?.grafana_dashboard).toBe('1');
    kubectl(
      ['apply', '--dry-run=server', '-f', '-'],
      JSON.stringify({ ...cm, metadata: { ...cm.metadata, namespace: ns } }),
    );
    const dashboard = JSON.parse(cm.data['syncret.json']!) as {
      panels: { title: string; targets?: { expr: string }[] }[];
      templating: { list: { definition?: string }[] };
    };
    const rule = objects.find((o) => o.kind === 'PrometheusRule') as unknown as {
      spec: { groups: { rules: { alert: string; expr: string }[] }[] };
    };
    const queries: [string, string][] = [
      ...dashboard.panels.flatMap((p) =>
        (p.targets ?? []).map((t): [string, string] => [`panel "${p.title}"`, t.expr]),
      ),
      ...dashboard.templating.list
        .filter((v) => v.definition)
        .map((v): [string, string] => [
          'a variable',
          v.definition!.replace(/^label_values\((.*), *\w+\)$/, '$1'),
        ]),
      ...rule.spec.groups.flatMap((g) => g.rules.map((r): [string, string] => [`alert ${r.alert}`, r.expr])),
    ];
    expect(queries.length).toBeGreaterThan(40);
    const s = await scrape();
    const unknown: string[] = [];
    for (const [where, expr] of queries) {
      const names = metricNames(expr);
      if (names.length === 0) unknown.push(`${where}: no metric in ${expr}`);
      for (const n of names) if (!declares(s, n)) unknown.push(`${where}: ${n}`);
    }
    // The metric names ESO 2.9's dashboard (docs/snippets/dashboard.json) queries, webhook aside.
    for (const n of [
      'controller_runtime_reconcile_total',
      'controller_runtime_reconcile_time_seconds_bucket',
      'controller_runtime_active_workers',
      'controller_runtime_max_concurrent_reconciles',
      'workqueue_depth',
      'externalsecret_provider_api_calls_count',
      'externalsecret_status_condition',
      'externalsecret_sync_calls_error',
    ])
      if (!declares(s, n)) unknown.push(`ESO's dashboard: ${n}`);
    expect(unknown).toEqual([]);
    // The check can fail: a name the operator does not export is not declared.
    expect(declares(s, 'syncret_no_such_metric_total')).toBe(false);
  });
});

describe('no secret value in /metrics', () => {
  it('finds none of the values in any scrape of this file', () => {
    // The scan can fail: a value in a scrape is found.
    expect(findLeaksIn('self-test', `x{a="${value}"} 1`, [value])).toHaveLength(1);
    expect(scrapes.length).toBeGreaterThan(5);
    expect(scrapes.flatMap((t, i) => findLeaksIn(`/metrics scrape ${i}`, t, issuedValues()))).toEqual([]);
  });
});
