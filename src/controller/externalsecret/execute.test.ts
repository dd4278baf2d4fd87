// The ExternalSecret executor against an in-memory apiserver: the order of its writes, the
// blind create that meets an existing Secret, write failures and leases given back.

import { describe, expect, it } from '@jest/globals';
import type { ExternalSecret, GeneratorLease, Secret } from '../../api/types.js';
import { EXTERNAL_SECRETS, SECRETS } from '../../kube/resources.js';
import { MemoryApi } from '../../kube/testing/memory-api.js';
import { KubeApiError } from '../../kube/types.js';
import { ObjectCache } from '../../runtime/cache.js';
import type { RunContext } from '../../runtime/controller.js';
import { statusWriter } from '../../runtime/status.js';
import type { EsExecutorDeps } from './execute.js';
import { executeExternalSecret } from './execute.js';
import type { EsOutcome } from './reconcile.js';
import { buildTarget, desiredSecret, targetInfoFromSecret } from './target.js';
import { TargetSecrets } from './targets.js';
import type { CachedSecret } from './targets.js';

const VALUE = 'pa55-w0rd-value';
const enc = (s: string) => new TextEncoder().encode(s);

function lease(id: string): GeneratorLease {
  return {
    source: 'dataFrom[0]',
    kind: 'VaultDynamicSecret',
    name: 'db',
    leaseID: id,
    leaseDuration: 60,
    renewable: true,
    issueTime: '2026-01-01T00:00:00Z',
    expireTime: '2026-01-01T00:01:00Z',
  };
}

function setup() {
  const api = new MemoryApi();
  const es = api.seed<ExternalSecret>(EXTERNAL_SECRETS, {
    metadata: { name: 'app', namespace: 'ns' },
    spec: { secretStoreRef: { name: 'fake' } },
    status: { generatorLeases: [lease('old')] },
  });
  const log: string[] = [];
  const cache = new ObjectCache<ExternalSecret>([]);
  const targets = new TargetSecrets(api);
  targets.use(new ObjectCache<CachedSecret>([]));
  const deps: EsExecutorDeps = {
    api,
    fieldManager: 'syncret',
    targets,
    writeStatus: statusWriter({ api, type: EXTERNAL_SECRETS, cache, signal: new AbortController().signal }),
    generators: {
      revokeAll: async (_ns, leases) => {
        log.push(`revoke ${leases.map((l) => l.leaseID).join(',')}`);
        return [];
      },
    },
    events: { record: (_o, type, reason, message) => log.push(`event ${type} ${reason}: ${message}`) },
    metrics: {
      secretWrite: (op) => log.push(`metric write ${op}`),
      secretWriteSkipped: () => log.push('metric skipped'),
      syncDone: (_l, result) => log.push(`metric sync ${result}`),
    },
    logger: { debug() {}, info() {}, warn: (_o: object, m: string) => log.push(`warn ${m}`) },
  };
  const ctx: RunContext = {
    key: 'ns/app',
    reason: 'create',
    failures: 0,
    signal: new AbortController().signal,
    rerun: false,
    startedAt: performance.now(),
  };
  return { api, es, deps, ctx, log, targets };
}

function synced(es: ExternalSecret, leases: GeneratorLease[] = [lease('new')]): EsOutcome {
  const built = desiredSecret({ es, data: { password: enc(VALUE) } });
  if (!built.ok) throw new Error(built.message);
  return {
    write: { op: 'apply', body: built.secret, name: 'app', created: true },
    status: {
      ...es.status,
      generatorLeases: leases,
      conditions: [{ type: 'Ready', status: 'True', reason: 'SecretSynced', message: 'Secret was synced' }],
    },
    events: [{ type: 'Normal', reason: 'Created', message: 'Created Secret "app"' }],
    synced: true,
    requeueAfterMs: 3_600_000,
    revokeLeases: [lease('old')],
  };
}

describe('executeExternalSecret', () => {
  it('writes the Secret, then the status, then revokes the replaced lease', async () => {
    const t = setup();
    const done = await executeExternalSecret(t.deps, t.es, synced(t.es), t.ctx);
    expect(done).toEqual({ error: false, requeueAfterMs: 3_600_000 });
    expect(t.api.calls()).toEqual(['apply secrets ns/app', 'patch externalsecrets/status ns/app']);
    expect(t.log).toEqual([
      'metric write create',
      'revoke old',
      'event Normal Created: Created Secret "app"',
      'metric sync success',
    ]);
    expect(t.api.peek<ExternalSecret>(EXTERNAL_SECRETS, 'ns', 'app')?.status?.generatorLeases).toEqual([
      lease('new'),
    ]);
    // The write is visible to the next lookup before the watch delivers it.
    expect(await t.targets.lookup('ns', 'app', false, true, t.ctx.signal)).toMatchObject({ name: 'app' });
  });

  it('a label write merge-patches the labels alone: data, other labels and the status stay', async () => {
    const t = setup();
    t.api.seed<Secret>(SECRETS, {
      metadata: { name: 'app', namespace: 'ns', labels: { app: 'x' } },
      data: { password: 'b2xk' },
    });
    const labels = { 'sharding.syncret.io/bucket': '0ff' };
    const done = await executeExternalSecret(
      t.deps,
      t.es,
      { events: [], synced: false, write: { op: 'label', name: 'app', labels }, requeueAfterMs: 60_000 },
      t.ctx,
    );
    expect(done).toEqual({ error: false, requeueAfterMs: 60_000 });
    expect(t.api.calls()).toEqual(['patch secrets ns/app']);
    const s = t.api.peek<Secret>(SECRETS, 'ns', 'app')!;
    expect(s.metadata.labels).toEqual({ app: 'x', ...labels });
    expect(s.data).toEqual({ password: 'b2xk' });
  });

  it('skips a status write that changes nothing', async () => {
    const t = setup();
    await executeExternalSecret(t.deps, t.es, { events: [], synced: false, status: t.es.status }, t.ctx);
    expect(t.api.calls()).toEqual([]);
  });

  it('turns a blind create that meets an existing Secret into a rerun with a GET, once', async () => {
    const t = setup();
    t.api.seed<Secret>(SECRETS, { metadata: { name: 'app', namespace: 'ns' }, data: {} });
    // The create carries a precondition no stored object meets: 409, and nothing is written.
    expect(await executeExternalSecret(t.deps, t.es, synced(t.es), t.ctx)).toEqual({ rerun: true });
    expect(t.api.calls()).toEqual(['apply secrets ns/app']);
    expect(t.api.peek<Secret>(SECRETS, 'ns', 'app')?.data).toEqual({});
    // The rerun's lookup reads it.
    expect(await t.targets.lookup('ns', 'app', false, true, t.ctx.signal)).toBeDefined();
    const again = await executeExternalSecret(t.deps, t.es, synced(t.es), { ...t.ctx, rerun: true });
    expect(again).toEqual({ error: true });
  });

  it('a 422 of a create is a rerun only when the Secret exists', async () => {
    const t = setup();
    t.api.failNext('apply', new KubeApiError(422, 'Invalid', 'ownerReferences: only one controller'));
    expect(await executeExternalSecret(t.deps, t.es, synced(t.es), t.ctx)).toEqual({ error: true });
    expect(t.api.calls()).toEqual([
      'apply secrets ns/app',
      'get secrets ns/app',
      'patch externalsecrets/status ns/app',
    ]);
  });

  it('of two creates of one target, the second writes nothing and reruns', async () => {
    const a = setup();
    const other = a.api.seed<ExternalSecret>(EXTERNAL_SECRETS, {
      metadata: { name: 'other', namespace: 'ns' },
      spec: { secretStoreRef: { name: 'fake' }, target: { name: 'app' } },
    });
    const first = desiredSecret({ es: other, data: { password: enc('first') } });
    if (!first.ok) throw new Error(first.message);
    const otherOutcome: EsOutcome = {
      ...synced(other, []),
      write: { op: 'apply', body: first.secret, name: 'app', created: true },
      revokeLeases: [],
    };
    expect(await executeExternalSecret(a.deps, other, otherOutcome, a.ctx)).toMatchObject({ error: false });
    const before = a.api.peek<Secret>(SECRETS, 'ns', 'app');
    expect(await executeExternalSecret(a.deps, a.es, synced(a.es), a.ctx)).toEqual({ rerun: true });
    const after = a.api.peek<Secret>(SECRETS, 'ns', 'app');
    expect(after?.data).toEqual(before?.data);
    expect(after?.metadata.ownerReferences?.map((o) => o.name)).toEqual(['other']);
  });

  it('on a failed write keeps the old values, gives the new lease back and says why without the value', async () => {
    const t = setup();
    const b64 = Buffer.from(VALUE).toString('base64');
    t.api.failNext(
      'apply',
      new KubeApiError(500, 'InternalError', `etcd refused data.password=${b64} (${VALUE})`),
    );
    const done = await executeExternalSecret(t.deps, t.es, synced(t.es), t.ctx);
    expect(done).toEqual({ error: true });
    const ready = t.api.peek<ExternalSecret>(EXTERNAL_SECRETS, 'ns', 'app')?.status?.conditions?.[0];
    expect(ready).toMatchObject({
      type: 'Ready',
      status: 'False',
      reason: 'SecretSyncedError',
      message: expect.stringMatching(/^SecretWriteFailed: /),
    });
    expect(ready?.message).toContain('[redacted]');
    expect(JSON.stringify(t.log) + ready?.message).not.toContain(VALUE);
    expect(JSON.stringify(t.log) + ready?.message).not.toContain(b64);
    expect(t.log).toContain('revoke new');
    expect(t.log).not.toContain('revoke old');
    expect(t.api.peek<ExternalSecret>(EXTERNAL_SECRETS, 'ns', 'app')?.status?.generatorLeases).toEqual([
      lease('old'),
    ]);
  });

  it('recreates a Secret whose type changes: delete with the uid as precondition, then apply', async () => {
    const t = setup();
    const have = t.api.seed<Secret>(SECRETS, { metadata: { name: 'app', namespace: 'ns' }, type: 'Opaque' });
    const out = synced(t.es, []);
    out.write = {
      op: 'recreate',
      body: { ...(out.write as { body: Secret }).body, type: 'kubernetes.io/tls' },
      name: 'app',
      uid: have.metadata.uid,
    };
    out.revokeLeases = [];
    await executeExternalSecret(t.deps, t.es, out, t.ctx);
    expect(t.api.calls().slice(0, 2)).toEqual(['delete secrets ns/app', 'apply secrets ns/app']);
    expect(t.api.peek<Secret>(SECRETS, 'ns', 'app')?.type).toBe('kubernetes.io/tls');
    expect(t.log.slice(0, 2)).toEqual(['metric write delete', 'metric write create']);
  });

  it('tells of a write that changed existing data, never of a create, a metadata write or a repair', async () => {
    const t = setup();
    const changes: string[] = [];
    t.deps.onDataChanged = (c) =>
      changes.push(`${c.namespace}/${c.secret} ${c.previousHash.slice(0, 6)}→${c.hash.slice(0, 6)}`);
    const es: ExternalSecret = { ...t.es, spec: { ...t.es.spec, target: { name: 'app' } } };
    const run = async (value: string, labels?: Record<string, string>) => {
      const have = t.api.peek<Secret>(SECRETS, 'ns', 'app');
      const built = buildTarget({
        es,
        data: { password: enc(value) },
        labels,
        target: have ? targetInfoFromSecret(have, false) : undefined,
        targetName: 'app',
        creation: 'Owner',
      });
      if (!built.ok) throw new Error(built.message);
      const out: EsOutcome = { write: built.write, events: [], synced: true };
      await executeExternalSecret(t.deps, es, out, t.ctx);
      return built.write?.op ?? 'none';
    };
    expect(await run('one')).toBe('apply'); // created: no signal
    expect(await run('one')).toBe('none');
    expect(await run('one', { team: 'a' })).toBe('apply'); // labels only
    expect(changes).toEqual([]);
    expect(await run('two', { team: 'a' })).toBe('apply');
    expect(changes).toHaveLength(1);
    // Someone edits the data; the repair writes back what the annotation records: no change.
    const edited = t.api.peek<Secret>(SECRETS, 'ns', 'app')!;
    await t.api.mergePatch(
      { type: SECRETS, namespace: 'ns', name: 'app' },
      { data: { password: 'ZWRpdA==' } },
    );
    expect(targetInfoFromSecret(t.api.peek<Secret>(SECRETS, 'ns', 'app')!, false).drifted).toBe(true);
    expect(await run('two', { team: 'a' })).toBe('apply');
    expect(t.api.peek<Secret>(SECRETS, 'ns', 'app')?.data).toEqual(edited.data);
    expect(changes).toHaveLength(1);
    expect(JSON.stringify(changes)).not.toContain('two');
  });
});
