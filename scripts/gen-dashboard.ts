// Writes the Grafana dashboard (charts/syncret/files/grafana-dashboard.json, which the chart's
// opt-in ConfigMap carries, and its copy docs/grafana-dashboard.json) from the panel list below.
// Panels are data here so the JSON stays consistent (ids, grid positions, the job filter on
// every query); the packaging check runs this with --check, the e2e observability test checks
// every metric the queries use against a live /metrics.
//
// Usage: node scripts/gen-dashboard.ts [--check]

import { readFileSync, writeFileSync } from 'node:fs';

const OUT = ['charts/syncret/files/grafana-dashboard.json', 'docs/grafana-dashboard.json'];
/** Every query is limited to the chosen operator's scrape job(s). */
const J = 'job=~"$job"';

type Unit = 's' | 'short' | 'bytes' | 'reqps' | 'ops' | 'percentunit' | 'none';
interface Panel {
  title: string;
  description: string;
  /** Legend format per query: the label names in {{ }}. */
  targets: [expr: string, legend: string][];
  unit?: Unit;
  kind?: 'timeseries' | 'stat' | 'table';
  /** Grid width out of 24 (default 8). */
  w?: number;
}
interface Row {
  title: string;
  panels: Panel[];
}

const rate = (m: string, sel = '') => `rate(${m}{${J}${sel}}[$__rate_interval])`;
const p99 = (m: string, by: string, sel = '') =>
  `histogram_quantile(0.99, sum by (${by}, le) (${rate(`${m}_bucket`, sel)}))`;

const ROWS: Row[] = [
  {
    title: 'Overview',
    panels: [
      stat('ExternalSecrets Ready', `sum(syncret_externalsecrets{${J},ready="true"})`),
      stat('ExternalSecrets not Ready', `sum(syncret_externalsecrets{${J},ready!="true"})`),
      stat('Stores not Ready', `sum(syncret_stores{${J},ready!="true"})`),
      stat('Syncs overdue (2 × interval)', `sum(syncret_externalsecrets_sync_overdue{${J}})`),
      stat('Leaders', `sum(syncret_leader{${J}})`),
      stat('Version', `count by (version) (syncret_build_info{${J}})`, '{{version}}'),
    ],
  },
  {
    title: 'ExternalSecrets',
    panels: [
      {
        title: 'Sync rate by result',
        description: 'Reconciles of sync objects per second: success, error, skipped (not due).',
        targets: [[`sum by (result) (${rate('syncret_sync_total')})`, '{{result}}']],
        unit: 'ops',
      },
      {
        title: 'Not Ready by cause',
        description:
          "ExternalSecrets whose Ready condition is False, by Syncret's cause (the Ready reason is ESO's SecretSyncedError for all of them).",
        targets: [
          [
            `sum by (cause) (syncret_externalsecrets_by_reason{${J},ready="false",namespace=~"$namespace"})`,
            '{{cause}}',
          ],
        ],
      },
      {
        title: 'Sync duration p99 by provider',
        description: 'One reconcile, provider calls and writes included.',
        targets: [[p99('syncret_sync_duration_seconds', 'provider'), '{{provider}}']],
        unit: 's',
      },
      {
        title: 'Not Ready by namespace and store',
        description: 'Where the failing ExternalSecrets are, and which store they read from.',
        kind: 'table',
        w: 24,
        targets: [
          [
            `sum by (namespace, store_kind, store, ready, cause) (syncret_externalsecrets_by_reason{${J},ready!="true",namespace=~"$namespace"})`,
            '',
          ],
        ],
      },
      {
        title: 'Writes to Secrets',
        description: 'Creates, updates and deletes of target Secrets, and syncs that found nothing to write.',
        targets: [
          [`sum by (operation) (${rate('syncret_secret_writes_total')})`, '{{operation}}'],
          [`sum(${rate('syncret_secret_writes_skipped_total')})`, 'unchanged'],
        ],
        unit: 'ops',
      },
      {
        title: 'Status writes',
        description: 'Status subresource writes, skipped (unchanged) and failed.',
        targets: [
          [`sum(${rate('syncret_status_writes_total')})`, 'written'],
          [`sum(${rate('syncret_status_writes_skipped_total')})`, 'unchanged'],
          [`sum by (code) (${rate('syncret_status_write_failures_total')})`, 'failed {{code}}'],
        ],
        unit: 'ops',
      },
      {
        title: 'Stores by Ready',
        description: 'SecretStores and ClusterSecretStores by Ready condition status.',
        targets: [[`sum by (kind, ready) (syncret_stores{${J}})`, '{{kind}} {{ready}}']],
      },
    ],
  },
  {
    title: 'Providers',
    panels: [
      {
        title: 'Provider calls by result',
        description: 'Calls to secret providers per second.',
        targets: [
          [`sum by (provider, result) (${rate('syncret_provider_calls_total')})`, '{{provider}} {{result}}'],
        ],
        unit: 'ops',
      },
      {
        title: 'Shared reads',
        description: "Reads answered by another ExternalSecret's identical call instead of a new one.",
        targets: [[`sum by (provider) (${rate('syncret_provider_shared_reads_total')})`, '{{provider}}']],
        unit: 'ops',
      },
      {
        title: 'Provider latency p99',
        description: 'Duration of provider calls.',
        targets: [[p99('syncret_provider_call_duration_seconds', 'provider'), '{{provider}}']],
        unit: 's',
      },
      {
        title: 'Vault logins and lease renewals',
        description: 'New Vault tokens, and renewals of dynamic-secret leases by result.',
        targets: [
          [`sum(${rate('syncret_provider_logins_total', ',provider="vault"')})`, 'logins'],
          [
            `sum by (result) (${rate('syncret_provider_calls_total', ',operation="renew"')})`,
            'renewals {{result}}',
          ],
        ],
        unit: 'ops',
      },
      {
        title: 'Calls refused by the budget',
        description: 'Provider calls not made because their store was over --provider-qps.',
        targets: [[`sum by (provider) (${rate('syncret_provider_budget_refusals_total')})`, '{{provider}}']],
        unit: 'ops',
      },
    ],
  },
  {
    title: 'Work queues',
    panels: [
      {
        title: 'Queue depth',
        description: 'Keys ready to run and waiting, per controller.',
        targets: [[`sum by (controller) (syncret_queue_depth{${J}})`, '{{controller}}']],
      },
      {
        title: 'Queue wait p99',
        description: 'Time a due key waits before a worker takes it.',
        targets: [[p99('syncret_queue_wait_seconds', 'controller'), '{{controller}}']],
        unit: 's',
      },
      {
        title: 'Reconciles running',
        description: 'In-flight reconciles per controller.',
        targets: [[`sum by (controller) (syncret_inflight_reconciles{${J}})`, '{{controller}}']],
      },
    ],
  },
  {
    title: 'Kubernetes API',
    panels: [
      {
        title: 'API requests by code',
        description: 'Requests to the apiserver per second (code 0: no answer).',
        targets: [[`sum by (code) (${rate('syncret_kube_requests_total')})`, '{{code}}']],
        unit: 'reqps',
      },
      {
        title: 'Throttled (429)',
        description: 'Requests the apiserver refused with 429 (priority and fairness).',
        targets: [
          [
            `sum by (verb, resource) (${rate('syncret_kube_requests_total', ',code="429"')})`,
            '{{verb}} {{resource}}',
          ],
        ],
        unit: 'reqps',
      },
      {
        title: 'API latency p99 by verb',
        description: 'For watches: until the response headers.',
        targets: [[p99('syncret_kube_request_duration_seconds', 'verb'), '{{verb}}']],
        unit: 's',
      },
      {
        title: 'Watch restarts',
        description: 'List/watch cycles restarted, by resource and reason.',
        targets: [
          [
            `sum by (resource, reason) (increase(syncret_watch_restarts_total{${J}}[$__rate_interval]))`,
            '{{resource}} {{reason}}',
          ],
        ],
      },
      {
        title: 'Events dropped',
        description: 'Kubernetes Events not sent: a burst beyond the queue, or the spam filter.',
        targets: [[`sum by (why) (${rate('syncret_events_dropped_total')})`, '{{why}}']],
        unit: 'ops',
      },
    ],
  },
  {
    title: 'Process',
    panels: [
      {
        title: 'Memory',
        description: 'Resident set size and V8 heap per replica.',
        targets: [
          [`process_resident_memory_bytes{${J}}`, 'RSS {{instance}}'],
          [`nodejs_heap_size_used_bytes{${J}}`, 'heap used {{instance}}'],
          [`nodejs_heap_size_total_bytes{${J}}`, 'heap total {{instance}}'],
        ],
        unit: 'bytes',
      },
      {
        title: 'Event-loop lag p99',
        description: 'How late a 100 ms timer fires: the loop was busy (CPU work, GC).',
        targets: [[p99('syncret_event_loop_lag_seconds', 'instance'), '{{instance}}']],
        unit: 's',
      },
      {
        title: 'CPU',
        description: 'CPU seconds per second per replica.',
        targets: [[rate('process_cpu_seconds_total'), '{{instance}}']],
        unit: 'none',
      },
      {
        title: 'Leader',
        description: '1 for the replica that leads (or runs without leader election).',
        targets: [[`syncret_leader{${J}}`, '{{instance}}']],
        w: 24,
      },
    ],
  },
];

function stat(title: string, expr: string, legend = ''): Panel {
  return { title, description: title, targets: [[expr, legend]], kind: 'stat', w: 4 };
}

const DS = { type: 'prometheus', uid: '${datasource}' };

function panelJson(p: Panel, id: number, x: number, y: number, h: number): object {
  const kind = p.kind ?? 'timeseries';
  return {
    id,
    type: kind,
    title: p.title,
    description: p.description,
    datasource: DS,
    gridPos: { h, w: p.w ?? 8, x, y },
    fieldConfig: { defaults: { unit: p.unit ?? 'short' }, overrides: [] },
    options:
      kind === 'stat'
        ? { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value' }
        : kind === 'table'
          ? { showHeader: true }
          : { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } },
    targets: p.targets.map(([expr, legend], i) => ({
      datasource: DS,
      expr,
      legendFormat: legend,
      refId: String.fromCharCode(65 + i),
      ...(kind === 'table' ? { format: 'table', instant: true } : {}),
    })),
    ...(kind === 'table'
      ? { transformations: [{ id: 'organize', options: { excludeByName: { Time: true } } }] }
      : {}),
  };
}

function variable(name: string, label: string, query: string, includeAll: boolean): object {
  return {
    name,
    label,
    type: 'query',
    datasource: DS,
    query: { query, refId: name },
    definition: query,
    refresh: 2,
    multi: true,
    includeAll,
    ...(includeAll ? { allValue: '.*', current: { text: 'All', value: '$__all' } } : {}),
    sort: 1,
  };
}

export function dashboard(): object {
  const panels: object[] = [];
  let id = 1;
  let y = 0;
  for (const row of ROWS) {
    panels.push({
      id: id++,
      type: 'row',
      title: row.title,
      collapsed: false,
      gridPos: { h: 1, w: 24, x: 0, y },
    });
    y += 1;
    let x = 0;
    let rowH = 0;
    for (const p of row.panels) {
      const w = p.w ?? 8;
      const h = p.kind === 'stat' ? 4 : 8;
      if (x + w > 24) {
        x = 0;
        y += rowH;
        rowH = 0;
      }
      panels.push(panelJson(p, id++, x, y, h));
      x += w;
      rowH = Math.max(rowH, h);
    }
    y += rowH;
  }
  return {
    title: 'Syncret',
    uid: 'syncret-overview',
    description: 'Syncret: sync health by namespace and store, providers, queues, Kubernetes API, process.',
    tags: ['syncret', 'external-secrets'],
    editable: true,
    schemaVersion: 39,
    version: 1,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    timezone: '',
    graphTooltip: 1,
    annotations: { list: [] },
    links: [],
    templating: {
      list: [
        { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', refresh: 1 },
        variable('job', 'Job', 'label_values(syncret_build_info, job)', false),
        variable(
          'namespace',
          'Namespace',
          `label_values(syncret_externalsecrets_by_reason{${J}}, namespace)`,
          true,
        ),
      ],
    },
    panels,
  };
}

const text = JSON.stringify(dashboard(), null, 2) + '\n';
if (process.argv.includes('--check')) {
  for (const f of OUT) {
    let have = '';
    try {
      have = readFileSync(f, 'utf8');
    } catch {
      // Missing counts as stale.
    }
    if (have !== text) {
      console.error(`${f} is not what scripts/gen-dashboard.ts writes: run \`npm run gen:dashboard\``);
      process.exit(1);
    }
  }
} else {
  for (const f of OUT) writeFileSync(f, text);
}
