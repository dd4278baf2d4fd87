// The rollout controller on an in-memory apiserver: a burst of Secret changes is one patch per
// workload, nothing without a signal, targets that do not exist are told of, the namespace
// rate holds, and a refused patch is reported on both objects.

import { afterEach, describe, expect, it } from '@jest/globals';
import type { ExternalSecret, KubeObject } from '../../api/types.js';
import { DEPLOYMENTS, STATEFULSETS } from '../../kube/resources.js';
import { MemoryApi } from '../../kube/testing/memory-api.js';
import { KubeApiError } from '../../kube/types.js';
import { createLogger } from '../../observability/logger.js';
import { Metrics } from '../../observability/metrics.js';
import { ObjectCache } from '../../runtime/cache.js';
import { Reflector } from '../../runtime/watch.js';
import type { SecretDataChange } from '../externalsecret/execute.js';
import { RolloutRestarts } from './controller.js';
import {
  RELOADER,
  RESTART_TARGETS_ANNOTATION,
  WORKLOAD_KINDS,
  WORKLOAD_TYPES,
  workloadTransform,
} from './workloads.js';
import type { Workload, WorkloadKind } from './workloads.js';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function workload(
  kind: 'Deployment' | 'StatefulSet',
  name: string,
  annotations: Record<string, string> = {},
) {
  return {
    apiVersion: 'apps/v1',
    kind,
    metadata: { name, namespace: 'team', annotations },
    spec: {
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', envFrom: [{ secretRef: { name: 'db' } }] }] },
      },
    },
  };
}

function es(name: string, targets?: string): ExternalSecret {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: {
      name,
      namespace: 'team',
      uid: `uid-${name}`,
      annotations: targets ? { [RESTART_TARGETS_ANNOTATION]: targets } : {},
    },
  };
}

function change(secret: string, hash: string, source: ExternalSecret, annotations = {}): SecretDataChange {
  return {
    namespace: 'team',
    secret,
    secretUid: `uid-${secret}`,
    hash,
    previousHash: 'old',
    annotations,
    externalSecret: source,
  };
}

async function start(
  api: MemoryApi,
  opts: { perMinute?: number; debounceMs?: number; reloader?: boolean } = {},
) {
  const caches = Object.fromEntries(
    WORKLOAD_KINDS.map((kind) => [
      kind,
      new ObjectCache<Workload>([
        new Reflector<Workload>({
          api,
          type: WORKLOAD_TYPES[kind],
          relistIntervalMs: 0,
          transform: workloadTransform(kind, opts.reloader ?? false),
        }),
      ]),
    ]),
  ) as Record<WorkloadKind, ObjectCache<Workload>>;
  const events: string[] = [];
  const metrics = new Metrics({ defaultMetrics: false });
  const abort = new AbortController();
  const rollout = new RolloutRestarts({
    api,
    caches,
    events: {
      record: (o: KubeObject, type, reason, message) =>
        events.push(`${o.kind}/${o.metadata.name} ${type} ${reason}: ${message}`),
    },
    metrics,
    logger: createLogger({ level: 'error' }),
    queue: () => ({ concurrency: 2, baseBackoffMs: 10, maxBackoffMs: 50 }),
    debounceMs: opts.debounceMs ?? 50,
    perMinute: opts.perMinute ?? 0,
    reloaderAnnotations: opts.reloader ?? false,
  });
  const started = rollout.start(abort.signal);
  stops.push(async () => {
    await rollout.stop(100);
    abort.abort();
    await Promise.all(rollout.caches().map((c) => c.stop()));
  });
  return { rollout, events, metrics, started };
}

const patches = (api: MemoryApi) => api.calls().filter((c) => c.startsWith('patch'));
const templateAnnotations = (api: MemoryApi, type = DEPLOYMENTS, name = 'api') =>
  (api.peek<KubeObject & { spec: { template: { metadata: { annotations?: Record<string, string> } } } }>(
    type,
    'team',
    name,
  )?.spec.template.metadata.annotations ?? {}) as Record<string, string>;

describe('rollout restarts', () => {
  it('restarts a named workload once for a burst of changes, and never without one', async () => {
    const api = new MemoryApi();
    api.seed(DEPLOYMENTS, workload('Deployment', 'api'));
    api.seed(STATEFULSETS, workload('StatefulSet', 'db'));
    const t = await start(api);
    await t.started;
    await sleep(100);
    // The initial list ran every workload: nothing was pending, nothing was written.
    expect(patches(api)).toEqual([]);

    const a = es('a', 'deployment/api, sts/db');
    const b = es('b', 'deployment/api');
    t.rollout.changed(change('db-creds', 'h1', a));
    t.rollout.changed(change('api-key', 'h2', b));
    t.rollout.changed(change('db-creds', 'h3', a));
    await until(() => patches(api).length === 2, 'two patches');
    await sleep(150);
    expect(patches(api).sort()).toEqual(['patch deployments team/api', 'patch statefulsets team/db']);
    const ann = templateAnnotations(api);
    expect(Object.keys(ann).sort()).toEqual([
      'secret-hash.syncret.io/api-key',
      'secret-hash.syncret.io/db-creds',
    ]);
    expect(templateAnnotations(api, STATEFULSETS, 'db')).toHaveProperty(['secret-hash.syncret.io/db-creds']);
    expect(t.events.filter((e) => e.startsWith('Deployment/api'))).toEqual([
      'Deployment/api Normal RolloutRestarted: Restarted: the data of Secret(s) api-key, db-creds changed (ExternalSecret a, b)',
    ]);
    expect(t.events).toContain(
      'ExternalSecret/a Normal RolloutRestarted: Restarted deployment/api: the data of Secret(s) api-key, db-creds changed',
    );
    expect(await t.metrics.registry.getSingleMetricAsString('syncret_rollout_restarts_total')).toContain(
      'syncret_rollout_restarts_total{kind="Deployment",reason="annotation"} 1',
    );

    // The same hash again (a second signal of one write) changes nothing.
    t.rollout.changed(change('db-creds', 'h3', a));
    await sleep(200);
    expect(patches(api)).toHaveLength(2);
  });

  it('holds signals until the workload caches have synced, then restarts', async () => {
    const api = new MemoryApi();
    api.seed(DEPLOYMENTS, workload('Deployment', 'api'));
    const t = await start(api);
    t.rollout.changed(change('db', 'h1', es('a', 'deployment/api')));
    await t.started;
    await until(() => patches(api).length === 1, 'the patch');
  });

  it('tells the ExternalSecret of targets that are invalid or do not exist', async () => {
    const api = new MemoryApi();
    // Argo Rollouts' CRD is not installed: the probe's list answers 404.
    api.failNext(
      'list',
      new KubeApiError(404, 'NotFound', 'the server could not find the requested resource'),
      'rollouts',
    );
    const t = await start(api);
    await t.started;
    t.rollout.changed(change('db', 'h1', es('a', 'deployment/gone pod/x rollout/web')));
    await sleep(150);
    expect(patches(api)).toEqual([]);
    expect(t.events).toEqual([
      expect.stringMatching(/^ExternalSecret\/a Warning RolloutTargetInvalid: .*pod\/x$/),
      'ExternalSecret/a Warning RolloutTargetNotFound: Secret data changed but deployment/gone was not restarted: it does not exist in namespace team',
      expect.stringMatching(
        /RolloutTargetNotFound: .*rollout\/web was not restarted: the operator does not watch rollouts/,
      ),
    ]);
  });

  it('restarts workloads with Reloader annotations only when the operator honours them', async () => {
    const api = new MemoryApi();
    api.seed(DEPLOYMENTS, workload('Deployment', 'api', { [RELOADER.auto]: 'true' }));
    api.seed(DEPLOYMENTS, workload('Deployment', 'other', { [RELOADER.reload]: 'unrelated' }));
    const off = await start(api);
    await off.started;
    off.rollout.changed(change('db', 'h1', es('a')));
    await sleep(150);
    expect(patches(api)).toEqual([]);
    await stops.pop()!();

    const on = await start(api, { reloader: true });
    await on.started;
    on.rollout.changed(change('db', 'h1', es('a')));
    await until(() => patches(api).length === 1, 'the patch');
    await sleep(100);
    expect(patches(api)).toEqual(['patch deployments team/api']);
    expect(await on.metrics.registry.getSingleMetricAsString('syncret_rollout_restarts_total')).toContain(
      'reason="reloader-auto"} 1',
    );
  });

  it('keeps to the namespace rate: the next restart waits for its token', async () => {
    const api = new MemoryApi();
    for (const n of ['a', 'b']) api.seed(DEPLOYMENTS, workload('Deployment', n));
    const t = await start(api, { perMinute: 1 });
    await t.started;
    t.rollout.changed(change('db', 'h1', es('x', 'deployment/a deployment/b')));
    await until(() => patches(api).length === 1, 'the first patch');
    await sleep(150);
    expect(patches(api)).toHaveLength(1);
    expect(t.events.some((e) => / Normal RolloutRestartDelayed: .*waits: namespace team/.test(e))).toBe(true);
    // The delayed one is still pending, for when its token comes (a minute here).
    expect(t.rollout.pendingRestarts()).toBe(1);
  });

  it('reports a refused patch on the workload and the ExternalSecret, and retries a failed one', async () => {
    const api = new MemoryApi();
    api.seed(DEPLOYMENTS, workload('Deployment', 'api'));
    const t = await start(api);
    await t.started;
    api.failNext('patch', new KubeApiError(503, 'ServiceUnavailable', 'try later'), 'deployments');
    t.rollout.changed(change('db', 'h1', es('a', 'deployment/api')));
    await until(() => patches(api).length === 2, 'the retried patch');
    expect(templateAnnotations(api)).toHaveProperty(['secret-hash.syncret.io/db']);

    api.failNext('patch', new KubeApiError(403, 'Forbidden', 'cannot patch'), 'deployments');
    t.rollout.changed(change('db', 'h2', es('a', 'deployment/api')));
    await until(() => t.events.some((e) => e.includes('RolloutRestartFailed')), 'the failure events');
    await sleep(150);
    expect(t.events.filter((e) => e.includes('RolloutRestartFailed'))).toEqual([
      'Deployment/api Warning RolloutRestartFailed: Rollout restart of deployment/api failed: 403 Forbidden: cannot patch',
      'ExternalSecret/a Warning RolloutRestartFailed: Rollout restart of deployment/api failed: 403 Forbidden: cannot patch',
    ]);
    expect(patches(api)).toHaveLength(3);
  });
});
