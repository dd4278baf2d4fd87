import { afterEach, describe, expect, it } from '@jest/globals';
import type { KubeObject } from '../api/types.js';
import { LeaderElector, microTime } from './leader.js';
import type { Lease, LeaderElectorOptions } from './leader.js';
import { KubeApiError } from './types.js';
import type { ApplyOptions, KubeApi, ListResult, ObjectRef, ResourceType, WatchEvent } from './types.js';

/** One apiserver holding one Lease, with resourceVersion semantics. */
class LeaseServer {
  lease?: Lease;
  private rv = 0;
  writes = 0;
  store(body: Lease): Lease {
    this.rv++;
    this.writes++;
    this.lease = structuredClone({
      ...body,
      metadata: { ...body.metadata, resourceVersion: String(this.rv) },
    });
    return structuredClone(this.lease);
  }
}

/** One replica's view of the server; `mode` simulates a partition. */
class FakeLeaseApi implements KubeApi {
  mode: 'ok' | 'fail' | 'hang' = 'ok';
  constructor(private readonly srv: LeaseServer) {}

  private async gate(signal?: AbortSignal): Promise<void> {
    if (this.mode === 'fail') throw new KubeApiError(0, 'NetworkError', 'connection refused');
    if (this.mode === 'hang') {
      await new Promise<void>((_resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    }
    await new Promise((r) => setTimeout(r, 1));
  }

  async get<T extends KubeObject>(_ref: ObjectRef, signal?: AbortSignal): Promise<T> {
    await this.gate(signal);
    if (!this.srv.lease) throw new KubeApiError(404, 'NotFound', 'leases "syncret-leader" not found');
    return structuredClone(this.srv.lease) as T;
  }
  async create<T extends KubeObject>(_ref: ObjectRef, body: unknown, signal?: AbortSignal): Promise<T> {
    await this.gate(signal);
    if (this.srv.lease) throw new KubeApiError(409, 'AlreadyExists', 'already exists');
    return this.srv.store(body as Lease) as T;
  }
  async replace<T extends KubeObject>(_ref: ObjectRef, body: unknown, signal?: AbortSignal): Promise<T> {
    await this.gate(signal);
    const b = body as Lease;
    if (!this.srv.lease) throw new KubeApiError(404, 'NotFound', 'not found');
    if (b.metadata.resourceVersion !== this.srv.lease.metadata.resourceVersion) {
      throw new KubeApiError(409, 'Conflict', 'the object has been modified');
    }
    return this.srv.store(b) as T;
  }
  list<T extends KubeObject>(_type: ResourceType): Promise<ListResult<T>> {
    throw new Error('not used');
  }
  apply<T extends KubeObject>(_ref: ObjectRef, _body: unknown, _opts: ApplyOptions): Promise<T> {
    throw new Error('not used');
  }
  mergePatch<T extends KubeObject>(_ref: ObjectRef, _patch: unknown): Promise<T> {
    throw new Error('not used');
  }
  delete(_ref: ObjectRef): Promise<void> {
    throw new Error('not used');
  }
  watch<T extends KubeObject>(): AsyncIterable<WatchEvent<T>> {
    throw new Error('not used');
  }
}

interface Replica {
  elector: LeaderElector;
  api: FakeLeaseApi;
  started: number;
  stopped: number;
  signal?: AbortSignal;
  startedAt?: number;
  stoppedAt?: number;
}

const electors: LeaderElector[] = [];

function replica(srv: LeaseServer, identity: string, extra: Partial<LeaderElectorOptions> = {}): Replica {
  const api = new FakeLeaseApi(srv);
  const r: Replica = { api, started: 0, stopped: 0 } as Replica;
  r.elector = new LeaderElector({
    api,
    namespace: 'syncret-system',
    identity,
    leaseDurationMs: 1000,
    renewDeadlineMs: 400,
    retryPeriodMs: 100,
    onStartedLeading: (signal) => {
      r.started++;
      r.signal = signal;
      r.startedAt = Date.now();
    },
    onStoppedLeading: () => {
      r.stopped++;
      r.stoppedAt = Date.now();
    },
    ...extra,
  });
  electors.push(r.elector);
  return r;
}

async function waitFor(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const MICRO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

afterEach(async () => {
  await Promise.all(electors.splice(0).map((e) => e.stop()));
});

describe('microTime', () => {
  it('formats metav1.MicroTime with six fractional digits', () => {
    expect(microTime(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 67)))).toBe('2024-01-02T03:04:05.067000Z');
  });
});

describe('LeaderElector', () => {
  it('creates a missing lease, leads, and keeps renewing it', async () => {
    const srv = new LeaseServer();
    const a = replica(srv, 'a');
    a.elector.start();
    await waitFor(() => a.started === 1);
    expect(a.elector.isLeader()).toBe(true);
    const spec = srv.lease!.spec!;
    expect(srv.lease!.metadata).toMatchObject({ name: 'syncret-leader', namespace: 'syncret-system' });
    expect(srv.lease!.apiVersion).toBe('coordination.k8s.io/v1');
    expect(spec).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 1, leaseTransitions: 0 });
    expect(spec.acquireTime).toMatch(MICRO);
    expect(spec.renewTime).toMatch(MICRO);
    const firstRenew = spec.renewTime;
    await waitFor(() => srv.writes >= 3);
    expect(srv.lease!.spec!.renewTime).not.toBe(firstRenew);
    expect(srv.lease!.spec!.acquireTime).toBe(spec.acquireTime);
    expect(srv.lease!.spec!.leaseTransitions).toBe(0);
    expect(a.signal?.aborted).toBe(false);
  });

  it('lets exactly one of two replicas lead; stop() releases and the standby takes over at once', async () => {
    const srv = new LeaseServer();
    // a lease far longer than the test: a takeover before it expires can only come from release
    const long = { leaseDurationMs: 60_000, renewDeadlineMs: 400, retryPeriodMs: 100 };
    const a = replica(srv, 'a', long);
    const b = replica(srv, 'b', long);
    a.elector.start();
    b.elector.start();
    await waitFor(() => a.started + b.started === 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(a.started + b.started).toBe(1);
    const [leader, standby] = a.started ? [a, b] : [b, a];
    expect(standby.elector.isLeader()).toBe(false);
    expect(standby.elector.leader).toBe(leader === a ? 'a' : 'b');

    const t0 = Date.now();
    await leader.elector.stop();
    expect(leader.signal?.aborted).toBe(true);
    expect(leader.stopped).toBe(0); // a voluntary stop is not a loss
    await waitFor(() => standby.started === 1, 20_000);
    expect(Date.now() - t0).toBeLessThan(long.leaseDurationMs);
    expect(srv.lease!.spec).toMatchObject({ holderIdentity: standby === a ? 'a' : 'b', leaseTransitions: 1 });
  });

  it('a partitioned leader gives up after renewDeadline; the standby takes over after the lease expires', async () => {
    const srv = new LeaseServer();
    const a = replica(srv, 'a');
    a.elector.start();
    await waitFor(() => a.started === 1);
    const b = replica(srv, 'b');
    b.elector.start();
    await new Promise((r) => setTimeout(r, 150)); // b observes a renewing

    a.api.mode = 'hang';
    const t0 = Date.now();
    await waitFor(() => a.stopped === 1, 20_000);
    // not before renewDeadline (400 ms) since its last renewal (at most retryPeriod before t0);
    // a slow machine only delays it
    expect(a.stoppedAt! - t0).toBeGreaterThanOrEqual(400 - 100 - 20);
    expect(a.signal?.aborted).toBe(true);
    expect(a.elector.isLeader()).toBe(false);

    await waitFor(() => b.started === 1, 20_000);
    // never before the lease (1 s) can have expired, and never while the old leader still leads
    expect(b.startedAt! - t0).toBeGreaterThanOrEqual(900);
    expect(b.startedAt!).toBeGreaterThanOrEqual(a.stoppedAt!);
    expect(srv.lease!.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  it('stops leading at once when another holder took the lease', async () => {
    const srv = new LeaseServer();
    // deadlines far longer than the test: stopping before them can only come from seeing the holder
    const a = replica(srv, 'a', { leaseDurationMs: 60_000, renewDeadlineMs: 30_000, retryPeriodMs: 100 });
    a.elector.start();
    await waitFor(() => a.started === 1);
    // someone (e.g. a replica with a much longer clock skew or an admin) overwrites the lease
    srv.store({
      ...srv.lease!,
      spec: { ...srv.lease!.spec, holderIdentity: 'intruder', renewTime: microTime(new Date()) },
    });
    const t0 = Date.now();
    await waitFor(() => a.stopped === 1, 20_000);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(srv.lease!.spec!.holderIdentity).toBe('intruder');
  });

  it('gives up when renewals keep failing, and survives failing callbacks', async () => {
    const srv = new LeaseServer();
    const logs: string[] = [];
    const log = (_o: object, m: string) => logs.push(m);
    const a = replica(srv, 'a', {
      logger: { debug: log, info: log, warn: log, error: log },
      onStartedLeading: () => {
        throw new Error('callback bug');
      },
    });
    a.elector.start();
    await waitFor(() => a.elector.isLeader());
    a.api.mode = 'fail';
    await waitFor(() => a.stopped === 1);
    expect(logs).toContain('onStartedLeading failed');
    expect(logs).toContain('lost leadership');
  });

  it('waits for a held, unexpired lease even if its renewTime looks old (no clock comparison)', async () => {
    const srv = new LeaseServer();
    srv.store({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'syncret-leader', namespace: 'syncret-system' },
      spec: {
        holderIdentity: 'old',
        leaseDurationSeconds: 1,
        renewTime: '2000-01-01T00:00:00.000000Z',
        leaseTransitions: 4,
      },
    });
    const b = replica(srv, 'b');
    const t0 = Date.now();
    b.elector.start();
    await waitFor(() => b.started === 1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(srv.lease!.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 5 });
  });

  it('rejects inconsistent durations', () => {
    const api = new FakeLeaseApi(new LeaseServer());
    const base = { api, namespace: 'ns', identity: 'x', onStartedLeading: () => undefined };
    expect(() => new LeaderElector({ ...base, leaseDurationMs: 5000, renewDeadlineMs: 6000 })).toThrow(
      /leaseDuration/,
    );
    expect(() => new LeaderElector({ ...base, renewDeadlineMs: 1000, retryPeriodMs: 2000 })).toThrow(
      /renewDeadline/,
    );
    expect(() => new LeaderElector({ ...base, identity: '' })).toThrow(/identity/);
  });
});
