import { describe, expect, it, afterEach } from '@jest/globals';
import type { KubeObject, Secret } from '../api/types.js';
import { CONFIGMAPS, SECRETS } from '../kube/resources.js';
import { KubeApiError } from '../kube/types.js';
import type {
  ApplyOptions,
  KubeApi,
  KubeLogger,
  ListOptions,
  ListResult,
  ObjectRef,
  ResourceType,
  WatchEvent,
  WatchOptions,
} from '../kube/types.js';
import { Reflector } from './watch.js';
import type { ReflectorOptions, RestartReason } from './watch.js';

// ---- a scripted fake KubeApi ----

type ListStep = ListResult<KubeObject> | Error | ((opts: ListOptions) => ListResult<KubeObject> | Error);

interface WatchScript {
  events?: WatchEvent[];
  /** What happens after the events: end the stream, wait for abort, ignore abort forever, or throw. */
  then?: 'end' | 'hang' | 'hang-ignoring-abort' | Error;
  /** Delay before each event. */
  delayMs?: number;
}

class FakeApi implements KubeApi {
  listCalls: ListOptions[] = [];
  watchCalls: WatchOptions[] = [];
  /** When each watch call came (Date.now()), so tests measure delays without polling races. */
  watchTimes: number[] = [];
  constructor(
    public lists: ListStep[],
    public watches: WatchScript[] = [],
  ) {}

  async list<T extends KubeObject>(_type: ResourceType, opts: ListOptions = {}): Promise<ListResult<T>> {
    this.listCalls.push(opts);
    const step = this.lists.length > 1 ? this.lists.shift()! : this.lists[0]!;
    const r = typeof step === 'function' ? step(opts) : step;
    if (r instanceof Error) throw r;
    return structuredClone(r) as ListResult<T>;
  }

  watch<T extends KubeObject>(_type: ResourceType, opts: WatchOptions): AsyncIterable<WatchEvent<T>> {
    this.watchCalls.push(opts);
    this.watchTimes.push(Date.now());
    const script = this.watches.shift() ?? { then: 'hang' };
    const signal = opts.signal;
    return (async function* () {
      for (const ev of script.events ?? []) {
        if (script.delayMs) await new Promise((r) => setTimeout(r, script.delayMs));
        if (signal?.aborted) return;
        yield structuredClone(ev) as WatchEvent<T>;
      }
      const then = script.then ?? 'end';
      if (then === 'end') return;
      if (then instanceof Error) throw then;
      await new Promise<void>((resolve) => {
        if (then === 'hang-ignoring-abort') return; // a broken transport: never settles
        if (signal?.aborted) return resolve();
        signal?.addEventListener('abort', () => resolve(), { once: true });
      });
    })();
  }

  get<T extends KubeObject>(_ref: ObjectRef): Promise<T> {
    throw new Error('not used');
  }
  create<T extends KubeObject>(_ref: ObjectRef, _body: unknown): Promise<T> {
    throw new Error('not used');
  }
  apply<T extends KubeObject>(_ref: ObjectRef, _body: unknown, _opts: ApplyOptions): Promise<T> {
    throw new Error('not used');
  }
  mergePatch<T extends KubeObject>(_ref: ObjectRef, _patch: unknown): Promise<T> {
    throw new Error('not used');
  }
  replace<T extends KubeObject>(_ref: ObjectRef, _body: unknown): Promise<T> {
    throw new Error('not used');
  }
  delete(_ref: ObjectRef): Promise<void> {
    throw new Error('not used');
  }
}

// ---- helpers ----

function cm(name: string, rv: string, extra: Partial<KubeObject['metadata']> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'ns', resourceVersion: rv, uid: `uid-${name}`, ...extra },
  };
}

function list(rv: string, items: KubeObject[], cont?: string): ListResult<KubeObject> {
  return { items, resourceVersion: rv, continue: cont };
}

function ev(type: WatchEvent['type'], object: KubeObject): WatchEvent {
  return { type, object };
}

function status(code: number, reason: string): KubeObject {
  return { kind: 'Status', code, reason, message: `status ${code}`, metadata: {} } as unknown as KubeObject;
}

async function waitFor(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

class RecLogger implements KubeLogger {
  records: { level: string; obj: object; msg: string }[] = [];
  debug(obj: object, msg: string) {
    this.records.push({ level: 'debug', obj, msg });
  }
  info(obj: object, msg: string) {
    this.records.push({ level: 'info', obj, msg });
  }
  warn(obj: object, msg: string) {
    this.records.push({ level: 'warn', obj, msg });
  }
  error(obj: object, msg: string) {
    this.records.push({ level: 'error', obj, msg });
  }
}

interface Recorded {
  events: string[];
  restarts: RestartReason[];
  logger: RecLogger;
}

const running: Reflector<KubeObject>[] = [];

function make(
  api: FakeApi,
  extra: Partial<ReflectorOptions<KubeObject>> = {},
): [Reflector<KubeObject>, Recorded] {
  const rec: Recorded = { events: [], restarts: [], logger: new RecLogger() };
  const r = new Reflector<KubeObject>({
    api,
    type: CONFIGMAPS,
    namespace: 'ns',
    inactivityTimeoutMs: 2000,
    relistIntervalMs: 0,
    backoff: { baseMs: 10, maxMs: 40 },
    logger: rec.logger,
    onRestart: (reason) => rec.restarts.push(reason),
    ...extra,
  });
  r.onAdd((o) => rec.events.push(`add ${o.metadata.name}@${o.metadata.resourceVersion}`));
  r.onUpdate((a, b) =>
    rec.events.push(`update ${b.metadata.name}@${a.metadata.resourceVersion}->${b.metadata.resourceVersion}`),
  );
  r.onDelete((o) => rec.events.push(`delete ${o.metadata.name}`));
  running.push(r);
  return [r, rec];
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

// ---- tests ----

describe('Reflector', () => {
  it('lists with pagination, emits adds, syncs, then watches from the list resourceVersion', async () => {
    const api = new FakeApi([
      (o) =>
        o.continue
          ? o.continue === 'p2'
            ? list('100', [cm('c', '3')], 'p3')
            : list('100', [cm('d', '4')])
          : list('100', [cm('a', '1'), cm('b', '2')], 'p2'),
    ]);
    const [r, rec] = make(api, { pageSize: 2 });
    expect(r.hasSynced()).toBe(false);
    r.start();
    await r.waitForSync();
    expect(r.hasSynced()).toBe(true);
    expect(api.listCalls.map((c) => [c.limit, c.continue])).toEqual([
      [2, undefined],
      [2, 'p2'],
      [2, 'p3'],
    ]);
    expect(r.store.size).toBe(4);
    expect(r.store.get('ns/c')?.metadata.resourceVersion).toBe('3');
    expect(r.store.list().map((o) => o.metadata.name)).toEqual(['a', 'b', 'c', 'd']);
    expect(rec.events).toEqual(['add a@1', 'add b@2', 'add c@3', 'add d@4']);
    await waitFor(() => api.watchCalls.length === 1);
    expect(api.watchCalls[0]!.resourceVersion).toBe('100');
    expect(api.watchCalls[0]!.timeoutSeconds).toBeGreaterThanOrEqual(300);
    expect(api.watchCalls[0]!.timeoutSeconds).toBeLessThan(600);
    expect(r.lastSyncResourceVersion).toBe('100');
  });

  it('applies watch events and resumes from the last resourceVersion when the stream ends', async () => {
    const api = new FakeApi(
      [list('10', [cm('a', '5')])],
      [
        {
          events: [ev('ADDED', cm('b', '11')), ev('MODIFIED', cm('a', '12')), ev('MODIFIED', cm('a', '12'))],
          then: 'end',
        },
        { events: [ev('DELETED', cm('b', '13'))], then: 'hang' },
      ],
    );
    const [r, rec] = make(api);
    r.start();
    await waitFor(() => api.watchCalls.length === 2 && r.store.size === 1);
    expect(api.watchCalls.map((w) => w.resourceVersion)).toEqual(['10', '12']);
    // the second MODIFIED has the stored resourceVersion: not emitted
    expect(rec.events).toEqual(['add a@5', 'add b@11', 'update a@5->12', 'delete b']);
    expect(r.store.get('ns/b')).toBeUndefined();
    expect(r.lastSyncResourceVersion).toBe('13');
    expect(rec.restarts).toEqual(['closed']);
    expect(api.listCalls).toHaveLength(1);
  });

  it('advances the resourceVersion on bookmarks without emitting anything', async () => {
    const api = new FakeApi(
      [list('10', [])],
      [{ events: [ev('BOOKMARK', { kind: 'ConfigMap', metadata: { resourceVersion: '50' } })], then: 'end' }],
    );
    const [r, rec] = make(api);
    r.start();
    await waitFor(() => api.watchCalls.length === 2);
    expect(api.watchCalls[1]!.resourceVersion).toBe('50');
    expect(rec.events).toEqual([]);
    expect(r.store.size).toBe(0);
  });

  it('relists on a 410 ERROR event and emits only the differences, including synthetic deletes', async () => {
    const api = new FakeApi(
      [
        list('10', [cm('a', '1'), cm('b', '2'), cm('c', '3')]),
        list('20', [cm('a', '1'), cm('c', '15'), cm('d', '16')]),
      ],
      [{ events: [ev('ERROR', status(410, 'Expired'))], then: 'hang' }],
    );
    const [r, rec] = make(api);
    r.start();
    await waitFor(() => api.watchCalls.length === 2);
    expect(api.listCalls).toHaveLength(2);
    expect(api.watchCalls[1]!.resourceVersion).toBe('20');
    expect(rec.events.slice(3)).toEqual(['update c@3->15', 'add d@16', 'delete b']);
    expect(rec.restarts).toEqual(['gone']);
    expect([...r.store.keys()].sort()).toEqual(['ns/a', 'ns/c', 'ns/d']);
  });

  it('relists when the watch request itself fails with 410 Gone', async () => {
    const api = new FakeApi(
      [list('10', [cm('a', '1')]), list('30', [cm('a', '1')])],
      [{ then: new KubeApiError(410, 'Gone', 'too old') }],
    );
    const [r, rec] = make(api);
    r.start();
    await waitFor(() => api.watchCalls.length === 2);
    expect(api.listCalls).toHaveLength(2);
    expect(api.watchCalls[1]!.resourceVersion).toBe('30');
    expect(rec.events).toEqual(['add a@1']);
  });

  it('backs off a repeated 410 instead of relisting in a hot loop', async () => {
    const gone = { events: [ev('ERROR', status(410, 'Expired'))], then: 'hang' as const };
    const api = new FakeApi([list('10', [])], [gone, gone, gone]);
    const [r, rec] = make(api, { backoff: { baseMs: 100, maxMs: 100 } });
    r.start();
    await waitFor(() => api.watchCalls.length === 3);
    // the first 410 relists at once, the second one waits (half of 100 ms at least)
    expect(api.watchTimes[2]! - api.watchTimes[1]!).toBeGreaterThanOrEqual(45);
    expect(rec.restarts.slice(0, 2)).toEqual(['gone', 'gone']);
    expect(rec.logger.records.some((l) => l.msg === 'watch failed; retrying')).toBe(true);
  });

  it('re-watches from the last resourceVersion when the stream goes silent', async () => {
    const api = new FakeApi(
      [list('10', [])],
      [{ events: [ev('ADDED', cm('a', '11'))], then: 'hang' }, { then: 'hang' }],
    );
    const [r, rec] = make(api, { inactivityTimeoutMs: 80 });
    r.start();
    const t0 = Date.now();
    await waitFor(() => api.watchCalls.length === 2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(60);
    expect(api.watchCalls[1]!.resourceVersion).toBe('11');
    expect(api.watchCalls[0]!.signal?.aborted).toBe(true);
    expect(rec.restarts).toEqual(['inactivity']);
    expect(api.listCalls).toHaveLength(1);
  });

  it('does not stall on a transport that ignores the abort', async () => {
    const api = new FakeApi(
      [list('10', [])],
      [{ then: 'hang-ignoring-abort' }, { then: 'hang-ignoring-abort' }],
    );
    const [r, rec] = make(api, { inactivityTimeoutMs: 50 });
    r.start();
    await waitFor(() => api.watchCalls.length >= 3);
    expect(rec.restarts.slice(0, 2)).toEqual(['inactivity', 'inactivity']);
    const t0 = Date.now();
    await r.stop();
    // the transport never ends: a stop that waited for it would never return
    expect(Date.now() - t0).toBeLessThan(3_000);
  });

  it('backs off with jitter on list errors and keeps retrying until a list succeeds', async () => {
    const boom = new KubeApiError(500, 'InternalError', 'etcd is sad');
    const api = new FakeApi([boom, boom, boom, list('10', [cm('a', '1')])]);
    const [r, rec] = make(api, { backoff: { baseMs: 20, maxMs: 1000 } });
    const t0 = Date.now();
    r.start();
    await r.waitForSync();
    // 3 delays: >= 10 + 20 + 40 (half of 20, 40, 80)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(65);
    expect(api.listCalls).toHaveLength(4);
    expect(rec.restarts).toEqual(['error', 'error', 'error']);
    expect(rec.events).toEqual(['add a@1']);
    const warn = rec.logger.records.filter((l) => l.level === 'warn');
    expect(warn).toHaveLength(3);
    expect(warn[2]!.obj).toMatchObject({ code: 500, reason: 'InternalError', attempt: 3 });
  });

  it('re-watches (without relisting) after a transport error, and relists after a non-410 ERROR event', async () => {
    const api = new FakeApi(
      [list('10', []), list('40', [])],
      [
        { events: [ev('ADDED', cm('a', '11'))], then: new KubeApiError(0, 'NetworkError', 'reset') },
        { events: [ev('ERROR', status(500, 'InternalError'))], then: 'hang' },
      ],
    );
    const [r, rec] = make(api);
    r.start();
    await waitFor(() => api.watchCalls.length === 3);
    expect(api.watchCalls.map((w) => w.resourceVersion)).toEqual(['10', '11', '40']);
    expect(api.listCalls).toHaveLength(2);
    expect(rec.restarts).toEqual(['error', 'error']);
    // a vanished in the relist
    expect(rec.events).toEqual(['add a@11', 'delete a']);
  });

  it('resets the backoff after a healthy period', async () => {
    const reset = new KubeApiError(0, 'NetworkError', 'reset');
    const api = new FakeApi(
      [list('10', [])],
      [{ then: reset }, { then: reset }, { events: [ev('ADDED', cm('a', '11'))], delayMs: 100, then: reset }],
    );
    const [r, rec] = make(api, { backoff: { baseMs: 40, maxMs: 1000, resetAfterMs: 90 } });
    r.start();
    await waitFor(() => api.watchCalls.length === 4);
    const attempts = rec.logger.records
      .filter((l) => l.msg === 'watch failed; retrying')
      .map((l) => (l.obj as { attempt: number }).attempt);
    expect(attempts).toEqual([1, 2, 1]);
  });

  it('retries a healthy watch that breaks from the first delay, whatever earlier outages left', async () => {
    const reset = new KubeApiError(0, 'NetworkError', 'reset');
    // Three failures in a row grow the backoff; then a watch delivers an event and breaks (an
    // apiserver restart): its retry starts over at attempt 1, well inside resetAfterMs.
    const api = new FakeApi(
      [list('10', [])],
      [
        { then: reset },
        { then: reset },
        { then: reset },
        { events: [ev('ADDED', cm('a', '11'))], then: reset },
      ],
    );
    const [r, rec] = make(api, { backoff: { baseMs: 10, maxMs: 1000, resetAfterMs: 600_000 } });
    r.start();
    await waitFor(() => api.watchCalls.length === 5);
    const attempts = rec.logger.records
      .filter((l) => l.msg === 'watch failed; retrying')
      .map((l) => (l.obj as { attempt: number }).attempt);
    expect(attempts).toEqual([1, 2, 3, 1]);
  });

  it('treats a watch that closes at once without events as a failure (no hot loop)', async () => {
    const api = new FakeApi([list('10', [])], [{ then: 'end' }, { then: 'end' }, { then: 'end' }]);
    // A backoff of minutes: a hot loop would re-watch at once, a backoff not before the test ends.
    const [r, rec] = make(api, { backoff: { baseMs: 600_000, maxMs: 600_000 } });
    r.start();
    await waitFor(() => rec.restarts.length > 0);
    await new Promise((res) => setTimeout(res, 100));
    expect(api.watchCalls).toHaveLength(1);
    expect(rec.restarts).toEqual(['error']);
  });

  it('contains handler exceptions (sync and async) and keeps processing', async () => {
    const api = new FakeApi(
      [list('10', [])],
      [{ events: [ev('ADDED', cm('a', '11')), ev('ADDED', cm('b', '12'))], then: 'hang' }],
    );
    const [r, rec] = make(api);
    const seen: string[] = [];
    r.onAdd(() => {
      throw new Error('handler bug');
    });
    r.onAdd(async () => {
      throw new Error('async handler bug');
    });
    r.onAdd((o) => seen.push(o.metadata.name!));
    r.start();
    await waitFor(() => seen.length === 2);
    await new Promise((res) => setTimeout(res, 10));
    expect(rec.events).toEqual(['add a@11', 'add b@12']);
    const errors = rec.logger.records.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(4);
    expect(errors[0]!.obj).toMatchObject({ key: 'ns/a', handler: 'add', error: 'handler bug' });
    expect(errors.map((e) => (e.obj as { error: string }).error)).toContain('async handler bug');
  });

  it('emits delete + add when a name is reused by a new object', async () => {
    const api = new FakeApi(
      [list('10', [cm('a', '1')])],
      [{ events: [ev('MODIFIED', cm('a', '11', { uid: 'other' }))], then: 'hang' }],
    );
    const [r, rec] = make(api);
    r.start();
    await waitFor(() => rec.events.length === 3);
    expect(rec.events).toEqual(['add a@1', 'delete a', 'add a@11']);
  });

  it('transforms objects before storing them and never logs their bodies', async () => {
    const secret = (name: string, rv: string): Secret => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: 'ns', resourceVersion: rv, managedFields: [{ manager: 'x' }] },
      data: { password: 'c3VwZXItc2VjcmV0' },
    });
    const api = new FakeApi(
      [list('10', [secret('s1', '1'), secret('boom', '1')])],
      [
        {
          events: [ev('MODIFIED', secret('s1', '11')), ev('ERROR', status(500, 'InternalError'))],
          then: 'hang',
        },
      ],
    );
    const rec = new RecLogger();
    const r = new Reflector<Secret>({
      api,
      type: SECRETS,
      namespace: 'ns',
      logger: rec,
      relistIntervalMs: 0,
      backoff: { baseMs: 10, maxMs: 10 },
      transform: (s) => {
        if (s.metadata.name === 'boom') throw new Error('cannot transform');
        const { data, ...rest } = s;
        return {
          ...rest,
          metadata: { ...s.metadata, managedFields: undefined },
          data: { hash: String(Object.keys(data ?? {}).length) },
        };
      },
    });
    running.push(r as unknown as Reflector<KubeObject>);
    const updates: Secret[] = [];
    r.onUpdate((_a, b) => updates.push(b));
    r.start();
    await waitFor(() => updates.length >= 1 && api.listCalls.length >= 2);
    const stored = r.store.get('ns/s1')!;
    expect(stored.data).toEqual({ hash: '1' });
    expect(stored.metadata.managedFields).toBeUndefined();
    expect(r.store.get('ns/boom')).toBeUndefined();
    expect(rec.records.find((l) => l.msg === 'transform failed; object skipped')?.obj).toMatchObject({
      key: 'ns/boom',
    });
    expect(JSON.stringify(rec.records)).not.toContain('c3VwZXItc2VjcmV0');
  });

  it('falls back to one unpaginated list when the continue token expires', async () => {
    const api = new FakeApi([
      (o) => {
        if (!o.limit) return list('99', [cm('a', '1'), cm('b', '2')]);
        if (o.continue) return new KubeApiError(410, 'Expired', 'continue token expired');
        return list('10', [cm('a', '1')], 'next');
      },
    ]);
    const [r, rec] = make(api, { pageSize: 1 });
    r.start();
    await r.waitForSync();
    expect(api.listCalls.map((c) => [c.limit, c.continue])).toEqual([
      [1, undefined],
      [1, 'next'],
      [undefined, undefined],
    ]);
    expect(rec.events).toEqual(['add a@1', 'add b@2']);
    expect(r.lastSyncResourceVersion).toBe('99');
  });

  it('relists periodically and emits only real changes', async () => {
    const api = new FakeApi([
      list('10', [cm('a', '1'), cm('b', '2')]),
      list('20', [cm('a', '1'), cm('b', '3')]),
    ]);
    const [r, rec] = make(api, { relistIntervalMs: 40 });
    r.start();
    await waitFor(() => api.listCalls.length >= 2 && api.watchCalls.length >= 2);
    expect(rec.events).toEqual(['add a@1', 'add b@2', 'update b@2->3']);
    expect(rec.restarts[0]).toBe('relist');
  });

  it('relist() ends the watch, lists again under the transform as it is now, and resolves once stored', async () => {
    const api = new FakeApi(
      [list('10', [cm('a', '1'), cm('b', '2')]), list('20', [cm('a', '1'), cm('b', '2'), cm('c', '3')])],
      [{ events: [ev('MODIFIED', cm('a', '11'))], then: 'hang' }, { then: 'hang' }],
    );
    let keep = new Set(['a']);
    const [r, rec] = make(api, { transform: (o) => (keep.has(o.metadata.name ?? '') ? o : undefined) });
    await r.relist(); // not started: nothing to do
    r.start();
    await r.waitForSync();
    await waitFor(() => r.store.get('ns/a')?.metadata.resourceVersion === '11');
    expect([...r.store.keys()]).toEqual(['ns/a']);
    keep = new Set(['b', 'c']);
    await r.relist();
    expect(api.listCalls).toHaveLength(2);
    expect([...r.store.keys()].sort()).toEqual(['ns/b', 'ns/c']);
    expect(rec.events).toEqual(['add a@1', 'update a@1->11', 'add b@2', 'add c@3', 'delete a']);
    expect(rec.restarts).toEqual(['relist']);
    await waitFor(() => api.watchCalls.length === 2);
    expect(api.watchCalls[1]!.resourceVersion).toBe('20');
  });

  it('a selector function is read at each list; each watch keeps the one its list used', async () => {
    const api = new FakeApi(
      [list('10', [cm('a', '1')]), list('20', [cm('b', '2')])],
      [{ then: 'end', events: [ev('MODIFIED', cm('a', '11'))] }, { then: 'hang' }, { then: 'hang' }],
    );
    let selector = 'bucket in (001)';
    const seen: string[] = [];
    const [r] = make(api, { labelSelector: () => selector, onWatchEvent: (t) => seen.push(t) });
    r.start();
    await r.waitForSync();
    // Changed after the list: the re-watch after the first stream ends still resumes that list.
    selector = 'bucket in (002)';
    await waitFor(() => api.watchCalls.length === 2);
    expect(api.watchCalls.map((w) => w.labelSelector)).toEqual(['bucket in (001)', 'bucket in (001)']);
    await r.relist();
    expect(api.listCalls.map((l) => l.labelSelector)).toEqual(['bucket in (001)', 'bucket in (002)']);
    await waitFor(() => api.watchCalls.length === 3);
    expect(api.watchCalls[2]!.labelSelector).toBe('bucket in (002)');
    expect([...r.store.keys()]).toEqual(['ns/b']);
    expect(seen).toEqual(['MODIFIED']);
  });

  it('a watch event the transform no longer keeps takes the object out of the store', async () => {
    const api = new FakeApi(
      [list('10', [cm('a', '1'), cm('b', '2')])],
      [{ events: [ev('MODIFIED', cm('a', '11'))], then: 'hang', delayMs: 30 }],
    );
    let keep = true;
    const [r, rec] = make(api, { transform: (o) => (keep || o.metadata.name !== 'a' ? o : undefined) });
    r.start();
    await r.waitForSync();
    keep = false;
    await waitFor(() => rec.events.includes('delete a'));
    expect([...r.store.keys()]).toEqual(['ns/b']);
    expect(r.lastSyncResourceVersion).toBe('11');
  });

  it('a relist() asked for while a list is in flight waits for the next list', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((res) => (release = res));
    let calls = 0;
    const api = new FakeApi([list('10', [cm('a', '1')])]);
    const slowList = api.list.bind(api);
    api.list = async <T extends KubeObject>(type: ResourceType, opts: ListOptions = {}) => {
      if (++calls === 2) await gate;
      return slowList<T>(type, opts);
    };
    const [r] = make(api);
    r.start();
    await r.waitForSync();
    const first = r.relist();
    await waitFor(() => calls === 2);
    let secondDone = false;
    const second = r.relist().then(() => (secondDone = true));
    release();
    await first;
    await second;
    expect(secondDone).toBe(true);
    expect(calls).toBe(3);
  });

  it('stop() aborts the current watch and resolves; waitForSync rejects if stopped before the first list', async () => {
    const never = new FakeApi([new KubeApiError(503, 'ServiceUnavailable', 'down')]);
    const [r1] = make(never, { backoff: { baseMs: 1000, maxMs: 1000 } });
    r1.start();
    const sync = r1.waitForSync();
    await waitFor(() => never.listCalls.length === 1);
    await r1.stop();
    await expect(sync).rejects.toThrow(/stopped before its first list/);

    const api = new FakeApi([list('10', [])]);
    const [r2] = make(api);
    r2.start();
    await waitFor(() => api.watchCalls.length === 1);
    const t0 = Date.now();
    await r2.stop();
    // the watch would run for minutes: a stop that waited for it would time the test out
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(api.watchCalls[0]!.signal?.aborted).toBe(true);

    const ac = new AbortController();
    const r3 = new Reflector<KubeObject>({ api: never, type: CONFIGMAPS });
    const p = r3.waitForSync(ac.signal);
    ac.abort(new Error('shutdown'));
    await expect(p).rejects.toThrow('shutdown');
  });

  it('unsubscribes handlers', async () => {
    const api = new FakeApi([list('10', [cm('a', '1')])]);
    const [r, rec] = make(api);
    const seen: string[] = [];
    const off = r.onAdd((o) => seen.push(o.metadata.name!));
    off();
    r.start();
    await r.waitForSync();
    expect(seen).toEqual([]);
    expect(rec.events).toEqual(['add a@1']);
  });
});
