import { describe, expect, it } from '@jest/globals';
import type { KubeObject } from '../api/types.js';
import { KubeApiError } from '../kube/types.js';
import type { KubeApi, ObjectRef } from '../kube/types.js';
import { EventRecorder, printable, truncateMessage } from './events.js';
import type { CoreEvent, EventRecorderOptions } from './events.js';

interface Call {
  verb: 'create' | 'patch';
  namespace?: string;
  name?: string;
  resource: string;
  body: Record<string, unknown>;
}

/** Stores Events like an apiserver would; `fail` can make the next calls fail. */
class FakeApi implements Pick<KubeApi, 'create' | 'mergePatch'> {
  calls: Call[] = [];
  events = new Map<string, CoreEvent>();
  fail?: (verb: 'create' | 'patch') => unknown;
  gate?: Promise<void>;

  async create<T extends KubeObject>(ref: ObjectRef, body: unknown): Promise<T> {
    if (this.gate) await this.gate;
    const ev = body as CoreEvent;
    this.calls.push({
      verb: 'create',
      namespace: ref.namespace,
      resource: ref.type.resource,
      body: ev as never,
    });
    const err = this.fail?.('create');
    if (err) throw err;
    this.events.set(`${ref.namespace}/${ev.metadata.name}`, structuredClone(ev));
    return ev as unknown as T;
  }

  async mergePatch<T extends KubeObject>(ref: ObjectRef, patch: unknown): Promise<T> {
    if (this.gate) await this.gate;
    this.calls.push({
      verb: 'patch',
      namespace: ref.namespace,
      name: ref.name,
      resource: ref.type.resource,
      body: patch as Record<string, unknown>,
    });
    const err = this.fail?.('patch');
    if (err) throw err;
    const key = `${ref.namespace}/${ref.name}`;
    const ev = this.events.get(key);
    if (!ev) throw new KubeApiError(404, 'NotFound', `events "${ref.name}" not found`);
    Object.assign(ev, patch);
    return ev as unknown as T;
  }
}

const T0 = Date.parse('2025-01-01T00:00:00Z');

function setup(opts: Partial<EventRecorderOptions> = {}) {
  const api = new FakeApi();
  const clock = { now: T0 };
  const debug: string[] = [];
  const rec = new EventRecorder({
    api,
    instance: 'syncret-abc',
    now: () => clock.now,
    logger: { debug: (_o: object, msg: string) => void debug.push(msg) },
    ...opts,
  });
  return { api, clock, rec, debug };
}

const es: KubeObject = {
  apiVersion: 'external-secrets.io/v1',
  kind: 'ExternalSecret',
  metadata: { name: 'db', namespace: 'team-a', uid: 'uid-1', resourceVersion: '42' },
};
const css: KubeObject = {
  apiVersion: 'external-secrets.io/v1',
  kind: 'ClusterSecretStore',
  metadata: { name: 'vault', uid: 'uid-2', resourceVersion: '7' },
};

describe('EventRecorder', () => {
  it('creates a core/v1 Event in the object namespace', async () => {
    const { api, rec } = setup();
    rec.record(es, 'Normal', 'Updated', 'Updated Secret "db"');
    await rec.flush();
    expect(api.calls).toHaveLength(1);
    const call = api.calls[0];
    expect(call).toMatchObject({ verb: 'create', namespace: 'team-a', resource: 'events' });
    const body = call?.body as unknown as CoreEvent;
    expect(body).toEqual({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: expect.stringMatching(/^db\.[0-9a-f]+$/), namespace: 'team-a' },
      involvedObject: {
        apiVersion: 'external-secrets.io/v1',
        kind: 'ExternalSecret',
        name: 'db',
        namespace: 'team-a',
        uid: 'uid-1',
        resourceVersion: '42',
      },
      type: 'Normal',
      reason: 'Updated',
      message: 'Updated Secret "db"',
      source: { component: 'syncret' },
      reportingComponent: 'syncret',
      reportingInstance: 'syncret-abc',
      firstTimestamp: '2025-01-01T00:00:00Z',
      lastTimestamp: '2025-01-01T00:00:00Z',
      count: 1,
    });
  });

  it('writes control characters of a message as visible escapes', async () => {
    const { api, rec } = setup();
    rec.record(es, 'Warning', 'UpdateFailed', 'key "a\u0000b\u001b[31m" not found\nin\tpath \ud800!');
    await rec.flush();
    const body = api.calls[0]?.body as unknown as CoreEvent;
    expect(body.message).toBe('key "a\\x00b\\x1b[31m" not found\nin\tpath \\ud800!');
  });

  it('puts Events about cluster-scoped objects into default', async () => {
    const { api, rec } = setup();
    rec.record(css, 'Warning', 'ValidationFailed', 'bad');
    await rec.flush();
    const body = api.calls[0]?.body as unknown as CoreEvent;
    expect(api.calls[0]?.namespace).toBe('default');
    expect(body.metadata.namespace).toBe('default');
    expect(body.involvedObject).not.toHaveProperty('namespace');
    expect(body.involvedObject.kind).toBe('ClusterSecretStore');
  });

  it('returns before any API call and never throws', async () => {
    const { api, rec } = setup();
    api.fail = () => new Error('boom');
    expect(() => rec.record(es, 'Warning', 'UpdateFailed', 'x')).not.toThrow();
    expect(api.calls).toHaveLength(0);
    await rec.flush();
    expect(api.calls).toHaveLength(1);
  });

  it('logs failures at debug only', async () => {
    const { api, rec, debug } = setup();
    api.fail = () => new KubeApiError(403, 'Forbidden', 'events is forbidden');
    rec.record(es, 'Warning', 'UpdateFailed', 'x');
    await rec.flush();
    expect(debug).toEqual(['event not recorded']);
  });

  it('aggregates repeats into one Event with a count', async () => {
    const { api, rec, clock } = setup();
    rec.record(es, 'Warning', 'ProviderError', 'timeout');
    clock.now += 30_000;
    rec.record(es, 'Warning', 'ProviderError', 'timeout');
    clock.now += 30_000;
    rec.record(es, 'Warning', 'ProviderError', 'timeout');
    await rec.flush();
    expect(api.calls.map((c) => c.verb)).toEqual(['create', 'patch', 'patch']);
    expect(api.calls[2]?.body).toEqual({ count: 3, lastTimestamp: '2025-01-01T00:01:00Z' });
    const [stored] = [...api.events.values()];
    expect(stored).toMatchObject({
      count: 3,
      firstTimestamp: '2025-01-01T00:00:00Z',
      lastTimestamp: '2025-01-01T00:01:00Z',
    });
    expect(api.calls[1]?.name).toBe(stored?.metadata.name);
    expect(api.calls[1]?.namespace).toBe('team-a');
  });

  it('keeps distinct type, reason, message and object apart', async () => {
    const { api, rec } = setup();
    const other = { ...es, metadata: { ...es.metadata, uid: 'uid-9', name: 'other' } };
    rec.record(es, 'Warning', 'ProviderError', 'a');
    rec.record(es, 'Warning', 'ProviderError', 'b');
    rec.record(es, 'Warning', 'Other', 'a');
    rec.record(es, 'Normal', 'ProviderError', 'a');
    rec.record(other, 'Warning', 'ProviderError', 'a');
    await rec.flush();
    expect(api.calls.map((c) => c.verb)).toEqual(['create', 'create', 'create', 'create', 'create']);
    expect(new Set(api.calls.map((c) => (c.body as unknown as CoreEvent).metadata.name)).size).toBe(5);
  });

  it('starts a new Event after 10 minutes without a repeat', async () => {
    const { api, rec, clock } = setup();
    rec.record(es, 'Normal', 'Updated', 'm');
    clock.now += 9 * 60_000;
    rec.record(es, 'Normal', 'Updated', 'm');
    clock.now += 10 * 60_000 + 1;
    rec.record(es, 'Normal', 'Updated', 'm');
    await rec.flush();
    expect(api.calls.map((c) => c.verb)).toEqual(['create', 'patch', 'create']);
  });

  it('creates anew when the aggregated Event has expired (404)', async () => {
    const { api, rec, clock } = setup();
    rec.record(es, 'Normal', 'Updated', 'm');
    await rec.flush();
    api.events.clear();
    clock.now += 1000;
    rec.record(es, 'Normal', 'Updated', 'm');
    await rec.flush();
    expect(api.calls.map((c) => c.verb)).toEqual(['create', 'patch', 'create']);
    expect((api.calls[2]?.body as unknown as CoreEvent).count).toBe(1);
    clock.now += 1000;
    rec.record(es, 'Normal', 'Updated', 'm');
    await rec.flush();
    expect(api.calls[3]).toMatchObject({ verb: 'patch', body: { count: 2 } });
  });

  it('gives up on other patch failures without creating a duplicate', async () => {
    const { api, rec } = setup();
    rec.record(es, 'Normal', 'Updated', 'm');
    await rec.flush();
    api.fail = (verb) => (verb === 'patch' ? new KubeApiError(500, 'InternalError', 'x') : undefined);
    rec.record(es, 'Normal', 'Updated', 'm');
    await rec.flush();
    expect(api.calls.map((c) => c.verb)).toEqual(['create', 'patch']);
  });

  it('rate-limits per object: burst 10, then one per 5 minutes', async () => {
    let filtered = 0;
    const { api, rec, clock } = setup({ onDropped: (w) => void (w === 'spam_filter' && filtered++) });
    for (let i = 0; i < 15; i++) rec.record(es, 'Normal', 'Updated', `m${i}`);
    rec.record(css, 'Normal', 'Valid', 'other objects have their own bucket');
    await rec.flush();
    expect(api.calls.filter((c) => c.namespace === 'team-a')).toHaveLength(10);
    expect(api.calls.filter((c) => c.namespace === 'default')).toHaveLength(1);
    expect(rec.dropped).toBe(5);
    expect(filtered).toBe(5);

    clock.now += 4 * 60_000;
    rec.record(es, 'Normal', 'Updated', 'later');
    await rec.flush();
    expect(api.calls).toHaveLength(11);

    clock.now += 60_000;
    rec.record(es, 'Normal', 'Updated', 'later');
    await rec.flush();
    expect(api.calls).toHaveLength(12);
    expect(api.calls[11]?.body).toMatchObject({ message: 'later' });
  });

  it('counts repeats dropped by the rate limit in the next patch', async () => {
    const { api, rec, clock } = setup({ burst: 2 });
    for (let i = 0; i < 5; i++) rec.record(es, 'Warning', 'ProviderError', 'down');
    await rec.flush();
    expect(api.calls.map((c) => c.verb)).toEqual(['create', 'patch']);
    clock.now += 5 * 60_000;
    rec.record(es, 'Warning', 'ProviderError', 'down');
    await rec.flush();
    expect(api.calls[2]).toMatchObject({ verb: 'patch', body: { count: 6 } });
  });

  it('bounds the queue and drops beyond it', async () => {
    let open!: () => void;
    const why: string[] = [];
    const { api, rec } = setup({ maxQueue: 3, lanes: 1, onDropped: (w) => why.push(w) });
    api.gate = new Promise<void>((r) => (open = r));
    for (let i = 0; i < 6; i++) {
      rec.record(
        { ...es, metadata: { ...es.metadata, uid: `u${i}`, name: `n${i}` } },
        'Normal',
        'Updated',
        'm',
      );
    }
    expect(rec.dropped).toBe(3);
    expect(why).toEqual(['queue_full', 'queue_full', 'queue_full']);
    open();
    await rec.flush();
    expect(api.calls).toHaveLength(3);
  });

  it('waits while reconciles are backed up, then sends with the time of recording', async () => {
    let busy = true;
    const { api, rec, clock } = setup({ busy: () => busy });
    rec.record(es, 'Normal', 'Created', 'Created Secret "app"');
    clock.now += 5_000;
    await new Promise((r) => setTimeout(r, 250));
    expect(api.calls).toHaveLength(0);
    busy = false;
    await rec.flush();
    expect(api.calls).toHaveLength(1);
    expect(api.calls[0]?.body).toMatchObject({ firstTimestamp: '2025-01-01T00:00:00Z' });
  });

  it('waits no longer than maxDeferMs: a Warning is sent then, a Normal Event shed (backlog)', async () => {
    const why: string[] = [];
    const { api, rec } = setup({ busy: () => true, maxDeferMs: 150, onDropped: (w) => void why.push(w) });
    rec.record(es, 'Normal', 'Created', 'm');
    rec.record(es, 'Warning', 'UpdateFailed', 'w');
    await rec.flush();
    expect(api.calls.map((c) => (c.body as unknown as CoreEvent).reason)).toEqual(['UpdateFailed']);
    expect(why).toEqual(['backlog']);
    expect(rec.dropped).toBe(1);
  });

  it('sends a Normal Event whose wait ends before maxDeferMs', async () => {
    let busy = true;
    const { api, rec } = setup({ busy: () => busy, maxDeferMs: 5_000 });
    rec.record(es, 'Normal', 'Created', 'm');
    setTimeout(() => (busy = false), 150);
    await rec.flush();
    expect(api.calls).toHaveLength(1);
  });

  it('drops objects it cannot describe', async () => {
    const { api, rec, debug } = setup();
    rec.record({ metadata: { name: 'x', namespace: 'n' } }, 'Normal', 'Updated', 'm');
    await rec.flush();
    expect(api.calls).toHaveLength(0);
    expect(debug[0]).toMatch(/without apiVersion/);
  });

  it('truncates messages to 1024 characters and reasons to 128', async () => {
    const { api, rec } = setup();
    rec.record(es, 'Warning', 'R'.repeat(300), 'x'.repeat(5000));
    await rec.flush();
    const body = api.calls[0]?.body as unknown as CoreEvent;
    expect(body.message).toHaveLength(1024);
    expect(body.message.endsWith('...')).toBe(true);
    expect(body.reason).toHaveLength(128);
  });

  it('keeps Event names within 253 characters and unique', async () => {
    const { api, rec } = setup();
    const long = { ...es, metadata: { ...es.metadata, name: 'a'.repeat(253) } };
    rec.record(long, 'Normal', 'A', 'm');
    rec.record(long, 'Normal', 'B', 'm');
    await rec.flush();
    const names = api.calls.map((c) => (c.body as unknown as CoreEvent).metadata.name ?? '');
    expect(names[0]?.length).toBeLessThanOrEqual(253);
    expect(names[0]).not.toBe(names[1]);
  });

  it('stops accepting after close()', async () => {
    const { api, rec } = setup();
    rec.record(es, 'Normal', 'A', 'm');
    await rec.close(1000);
    rec.record(es, 'Normal', 'B', 'm');
    await rec.flush();
    expect(api.calls).toHaveLength(1);
  });

  it('close() does not wait forever for a stuck API', async () => {
    const { api, rec } = setup();
    api.gate = new Promise<void>(() => {});
    rec.record(es, 'Normal', 'A', 'm');
    const started = Date.now();
    await rec.close(50);
    expect(Date.now() - started).toBeLessThan(3_000); // the API never answers
  });
});

describe('truncateMessage', () => {
  it('leaves short messages alone', () => {
    expect(truncateMessage('abc')).toBe('abc');
    expect(truncateMessage('x'.repeat(1024))).toHaveLength(1024);
  });

  it('does not split a surrogate pair', () => {
    const s = `${'x'.repeat(1020)}😀😀😀`;
    const t = truncateMessage(s);
    expect(t.length).toBeLessThanOrEqual(1024);
    expect(t).toBe(`${'x'.repeat(1020)}...`);
  });
});

describe('printable', () => {
  it('escapes C0 (but tab and newline), DEL, C1 and lone surrogates; keeps the rest', () => {
    expect(printable('ok: tab\tnl\n é 🙂')).toBe('ok: tab\tnl\n é 🙂');
    expect(printable('\r\u007f\u0085\udc00x\ud83d')).toBe('\\x0d\\x7f\\x85\\udc00x\\ud83d');
  });
});
