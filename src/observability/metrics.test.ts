import { describe, expect, it } from '@jest/globals';
import { Metrics } from './metrics.js';

async function sample(
  m: Metrics,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  const metric = m.registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const data = await metric.get();
  const want = Object.entries(labels);
  const v = data.values.find((s) => {
    const l = s.labels as Record<string, string | number>;
    return want.every(([k, val]) => String(l[k]) === val) && Object.keys(l).length >= want.length;
  });
  return v?.value;
}

describe('Metrics', () => {
  it('registries are independent, so many instances can coexist', async () => {
    const a = new Metrics({ defaultMetrics: false });
    const b = new Metrics({ defaultMetrics: false });
    a.statusWrite();
    expect(await sample(a, 'syncret_status_writes_total')).toBe(1);
    expect(await sample(b, 'syncret_status_writes_total')).toBe(0);
  });

  it('includes process metrics by default', async () => {
    const text = await new Metrics().text();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });

  it('exposes every documented series', async () => {
    const m = new Metrics({ version: '1.2.3', defaultMetrics: false });
    m.syncDone({ kind: 'ExternalSecret', storeKind: 'SecretStore', provider: 'fake' }, 'success', 0.02);
    m.providerCall('fake', 'get', true, 0.001);
    m.providerLogin('vault');
    m.queueStarted('externalsecret', ['create', 'refresh']);
    m.queueDepth('externalsecret', 3);
    m.queueAdd('externalsecret', 'create');
    m.queueWait('externalsecret', 0.5);
    m.inflight('externalsecret', 2);
    m.secretWrite('update');
    m.secretWriteSkipped();
    m.statusWrite();
    m.statusWriteSkipped();
    m.kubeRequest('patch', 'externalsecrets/status', 200, 0.004);
    m.watchRestart('secrets', 'gone');
    m.watchEvent('secrets', 'MODIFIED');
    m.setLeader(true);
    const text = await m.text();
    for (const name of [
      'syncret_sync_total',
      'syncret_sync_duration_seconds',
      'syncret_provider_calls_total',
      'syncret_provider_call_duration_seconds',
      'syncret_provider_logins_total',
      'syncret_queue_depth',
      'syncret_queue_adds_total',
      'syncret_queue_wait_seconds',
      'syncret_inflight_reconciles',
      'syncret_secret_writes_total',
      'syncret_secret_writes_skipped_total',
      'syncret_status_writes_total',
      'syncret_status_writes_skipped_total',
      'syncret_kube_requests_total',
      'syncret_kube_request_duration_seconds',
      'syncret_watch_restarts_total',
      'syncret_watch_events_total',
      'syncret_externalsecrets',
      'syncret_stores',
      'syncret_cached_objects',
      'syncret_leader',
      'syncret_shard_epoch',
      'syncret_shard_relabels_total',
      'syncret_build_info',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(text).toContain(
      'syncret_sync_total{kind="ExternalSecret",store_kind="SecretStore",provider="fake",result="success"} 1',
    );
    expect(text).toContain(
      'syncret_sync_duration_seconds_bucket{le="0.025",kind="ExternalSecret",provider="fake"} 1',
    );
    expect(text).toContain('syncret_sync_duration_seconds_bucket{le="0.001",');
    expect(text).toContain('syncret_sync_duration_seconds_bucket{le="30",');
    expect(text).toContain(
      'syncret_provider_calls_total{provider="fake",operation="get",result="success"} 1',
    );
    expect(text).toContain(
      'syncret_kube_requests_total{verb="patch",resource="externalsecrets/status",code="200"} 1',
    );
    expect(text).toContain('syncret_kube_request_duration_seconds_count{verb="patch"} 1');
    expect(text).toContain('syncret_watch_restarts_total{resource="secrets",reason="gone"} 1');
    expect(text).toContain('syncret_leader 1');
    expect(text).toContain('syncret_queue_depth{controller="externalsecret"} 3');
    expect(text).toContain('syncret_inflight_reconciles{controller="externalsecret"} 2');
    expect(text).toContain(`syncret_build_info{version="1.2.3",node="${process.versions.node}"} 1`);
    expect(m.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('starts known label sets at zero', async () => {
    const m = new Metrics({ defaultMetrics: false });
    m.queueStarted('externalsecret', ['create', 'refresh']);
    const text = await m.text();
    for (const reason of ['create', 'refresh'])
      expect(text).toContain(`syncret_queue_adds_total{controller="externalsecret",reason="${reason}"} 0`);
    expect(text).toContain('syncret_queue_depth{controller="externalsecret"} 0');
    for (const op of ['create', 'update', 'delete'])
      expect(text).toContain(`syncret_secret_writes_total{operation="${op}"} 0`);
    for (const ready of ['true', 'false', 'unknown']) {
      expect(text).toContain(`syncret_externalsecrets{ready="${ready}"} 0`);
      expect(text).toContain(`syncret_stores{kind="ClusterSecretStore",ready="${ready}"} 0`);
    }
    expect(text).toContain('syncret_leader 0');
  });

  it('maps reflector restart reasons onto the documented set', async () => {
    const m = new Metrics({ defaultMetrics: false });
    m.watchRestart('secrets', 'closed');
    m.watchRestart('secrets', 'end');
    m.watchRestart('secrets', 'something-new');
    expect(await sample(m, 'syncret_watch_restarts_total', { resource: 'secrets', reason: 'end' })).toBe(2);
    expect(await sample(m, 'syncret_watch_restarts_total', { resource: 'secrets', reason: 'other' })).toBe(1);
  });

  it('bounds label values: odd values and values beyond the cap become "other"', async () => {
    const m = new Metrics({ defaultMetrics: false, maxLabelValues: 2 });
    m.providerCall('a', 'get', true, 0);
    m.providerCall('b', 'get', true, 0);
    m.providerCall('c', 'get', false, 0);
    m.providerCall('a', 'get', true, 0);
    m.providerCall('value with spaces', 'get', true, 0);
    m.providerCall('x'.repeat(65), 'get', true, 0);
    expect(await sample(m, 'syncret_provider_calls_total', { provider: 'a', result: 'success' })).toBe(2);
    expect(await sample(m, 'syncret_provider_calls_total', { provider: 'other', result: 'error' })).toBe(1);
    expect(await sample(m, 'syncret_provider_calls_total', { provider: 'other', result: 'success' })).toBe(2);
    const text = await m.text();
    expect(text).not.toContain('value with spaces');
  });

  it('reads object counts at scrape time from a source', async () => {
    const m = new Metrics({ defaultMetrics: false });
    let ready = 5;
    m.externalSecretCountsFrom(() => ({ true: ready, false: 1, unknown: 0 }));
    m.storeCountsFrom(() => ({
      SecretStore: { true: 2, false: 0, unknown: 1 },
      ClusterSecretStore: { true: 1, false: 1, unknown: 0 },
    }));
    let text = await m.text();
    expect(text).toContain('syncret_externalsecrets{ready="true"} 5');
    expect(text).toContain('syncret_externalsecrets{ready="false"} 1');
    expect(text).toContain('syncret_stores{kind="SecretStore",ready="unknown"} 1');
    expect(text).toContain('syncret_stores{kind="ClusterSecretStore",ready="false"} 1');
    ready = 7;
    text = await m.text();
    expect(text).toContain('syncret_externalsecrets{ready="true"} 7');
  });

  it('keeps the last counts when a source throws', async () => {
    const m = new Metrics({ defaultMetrics: false });
    m.setExternalSecretCounts({ true: 3, false: 0, unknown: 0 });
    m.externalSecretCountsFrom(() => {
      throw new Error('boom');
    });
    expect(await m.text()).toContain('syncret_externalsecrets{ready="true"} 3');
  });

  it('counts a kube request without an answer as code 0', async () => {
    const m = new Metrics({ defaultMetrics: false });
    m.kubeRequest('get', 'secrets', 0, 30);
    expect(await sample(m, 'syncret_kube_requests_total', { verb: 'get', code: '0' })).toBe(1);
  });
});
