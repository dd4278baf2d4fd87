// The generic controller on an in-memory apiserver: which changes run which keys, the
// finalizer lifecycle, the executor's rerun and the error policy.

import { afterEach, describe, expect, it } from '@jest/globals';
import type { KubeObject } from '../api/types.js';
import { MemoryApi } from '../kube/testing/memory-api.js';
import type { ResourceType } from '../kube/types.js';
import { ObjectCache } from './cache.js';
import { Controller } from './controller.js';
import type { Executed, RunContext } from './controller.js';
import { Finalizers } from './finalizer.js';
import type { QueueReason } from './queue.js';
import { Reflector } from './watch.js';

const WIDGETS: ResourceType = {
  group: 'test.io',
  version: 'v1',
  resource: 'widgets',
  namespaced: true,
  kind: 'Widget',
};
const GADGETS: ResourceType = {
  group: 'test.io',
  version: 'v1',
  resource: 'gadgets',
  namespaced: true,
  kind: 'Gadget',
};

interface Widget extends KubeObject {
  spec?: { size?: number; gadget?: string; effect?: boolean };
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

function setup(opts: {
  execute?: (w: Widget, ctx: RunContext) => Promise<Executed>;
  reconcile?: (w: Widget, ctx: RunContext) => Promise<string>;
  finalizer?: boolean;
  cleanup?: () => Promise<{ error: true; requeueAfterMs: number } | undefined>;
}) {
  const api = new MemoryApi();
  const widgets = new ObjectCache<Widget>([new Reflector<Widget>({ api, type: WIDGETS, namespace: 'ns' })]);
  const gadgets = new ObjectCache<KubeObject>([
    new Reflector<KubeObject>({ api, type: GADGETS, namespace: 'ns' }),
  ]);
  const runs: { key: string; reason: QueueReason; finalizers: string[]; rerun: boolean }[] = [];
  const errors: unknown[] = [];
  const controller = new Controller<Widget, string>({
    name: 'widget',
    cache: widgets,
    logger: { ...quiet, error: (o: object) => errors.push(o) },
    queue: { concurrency: 2, baseBackoffMs: 10, maxBackoffMs: 20 },
    changed: (old, w) => (old.metadata.generation !== w.metadata.generation ? 'spec' : undefined),
    reconcile:
      opts.reconcile ??
      (async (w, ctx) => {
        runs.push({
          key: ctx.key,
          reason: ctx.reason,
          finalizers: w.metadata.finalizers ?? [],
          rerun: ctx.rerun,
        });
        return 'outcome';
      }),
    execute: (w, _outcome, ctx) => (opts.execute ? opts.execute(w, ctx) : Promise.resolve({})),
    finalizer: opts.finalizer
      ? {
          spec: {
            name: 'test.io/cleanup',
            wanted: (w) => !!w.spec?.effect,
            cleanup: opts.cleanup ?? (async () => undefined),
          },
          writer: new Finalizers<Widget>({
            api,
            type: WIDGETS,
            cache: widgets,
            signal: new AbortController().signal,
          }),
        }
      : undefined,
  });
  controller.watch({
    cache: gadgets,
    reason: 'store',
    onAdd: (g) => `ns/${g.metadata.name}-user`,
    onUpdate: (_old, g) => [`ns/${g.metadata.name}-user`],
  });
  const start = async () => {
    widgets.start();
    gadgets.start();
    await Promise.all([widgets.waitForSync(), gadgets.waitForSync()]);
    controller.start();
  };
  stops.push(async () => {
    await controller.stop(100);
    await widgets.stop();
    await gadgets.stop();
  });
  const widget = (name: string, spec: Widget['spec'] = {}) =>
    api.seed<Widget>(WIDGETS, { metadata: { name, namespace: 'ns' }, spec });
  return { api, controller, runs, errors, start, widget };
}

describe('Controller', () => {
  it('runs the initial list as relist, new objects as create, spec changes with the reason changed() gives', async () => {
    const t = setup({});
    t.widget('a');
    await t.start();
    await until(() => t.runs.length === 1, 'the initial run');
    expect(t.runs[0]).toMatchObject({ key: 'ns/a', reason: 'relist' });
    t.widget('b');
    await until(() => t.runs.length === 2, 'the new object');
    expect(t.runs[1]).toMatchObject({ key: 'ns/b', reason: 'create' });
    await t.api.mergePatch(
      { type: WIDGETS, namespace: 'ns', name: 'a' },
      { metadata: { labels: { x: '1' } } },
    );
    await t.api.mergePatch({ type: WIDGETS, namespace: 'ns', name: 'a' }, { spec: { size: 2 } });
    await until(() => t.runs.length === 3, 'the spec change');
    // The label change ran nothing: changed() said no.
    expect(t.runs[2]).toMatchObject({ key: 'ns/a', reason: 'spec' });
  });

  it('maps secondary watches to keys, but not their initial list', async () => {
    const t = setup({});
    t.api.seed(GADGETS, { metadata: { name: 'g0', namespace: 'ns' } });
    t.widget('g0-user');
    t.widget('g1-user');
    await t.start();
    await until(() => t.runs.length === 2, 'the initial runs');
    t.api.seed(GADGETS, { metadata: { name: 'g1', namespace: 'ns' } });
    await until(() => t.runs.length === 3, 'the mapped run');
    expect(t.runs[2]).toMatchObject({ key: 'ns/g1-user', reason: 'store' });
    // A key whose object does not exist runs nothing.
    t.api.seed(GADGETS, { metadata: { name: 'nobody', namespace: 'ns' } });
    await new Promise((r) => setTimeout(r, 50));
    expect(t.runs).toHaveLength(3);
  });

  it('adds a wanted finalizer before the reconcile, cleans up on deletion, then lets the object go', async () => {
    const cleaned: string[] = [];
    const t = setup({
      finalizer: true,
      cleanup: async () => {
        cleaned.push('x');
        return undefined;
      },
    });
    t.widget('a', { effect: true });
    t.widget('plain');
    await t.start();
    await until(() => t.runs.length === 2, 'both runs');
    const a = t.runs.find((r) => r.key === 'ns/a')!;
    expect(a.finalizers).toEqual(['test.io/cleanup']);
    expect(t.runs.find((r) => r.key === 'ns/plain')!.finalizers).toEqual([]);
    await t.api.delete({ type: WIDGETS, namespace: 'ns', name: 'a' });
    await until(() => t.api.peek(WIDGETS, 'ns', 'a') === undefined, 'the object to go');
    expect(cleaned).toEqual(['x']);
  });

  it('drops the finalizer once the object no longer wants it', async () => {
    const t = setup({ finalizer: true });
    t.widget('a', { effect: true });
    await t.start();
    await until(
      () => (t.api.peek<Widget>(WIDGETS, 'ns', 'a')?.metadata.finalizers ?? []).length === 1,
      'the finalizer',
    );
    await t.api.mergePatch({ type: WIDGETS, namespace: 'ns', name: 'a' }, { spec: { effect: false } });
    await until(
      () => (t.api.peek<Widget>(WIDGETS, 'ns', 'a')?.metadata.finalizers ?? []).length === 0,
      'its removal',
    );
  });

  it('retries a cleanup that asks to, and keeps the object until it succeeds', async () => {
    let attempts = 0;
    const t = setup({
      finalizer: true,
      cleanup: async () => (++attempts < 3 ? { error: true, requeueAfterMs: 10 } : undefined),
    });
    t.widget('a', { effect: true });
    await t.start();
    await until(() => t.runs.length === 1, 'the first run');
    await t.api.delete({ type: WIDGETS, namespace: 'ns', name: 'a' });
    await until(() => t.api.peek(WIDGETS, 'ns', 'a') === undefined, 'the object to go');
    expect(attempts).toBe(3);
  });

  it('reruns once when the executor asks, and logs a failure with the queue retrying it', async () => {
    let n = 0;
    const t = setup({ execute: async (_w, ctx): Promise<Executed> => (ctx.rerun ? {} : { rerun: true }) });
    t.widget('a');
    await t.start();
    await until(() => t.runs.length === 2, 'the rerun');
    expect(t.runs.map((r) => r.rerun)).toEqual([false, true]);

    const f = setup({
      reconcile: async (_w, ctx) => {
        n++;
        if (ctx.failures < 2) throw new Error('boom');
        return 'ok';
      },
    });
    f.widget('b');
    await f.start();
    await until(() => n === 3, 'two retries');
    expect(f.errors).toHaveLength(2);
    expect(f.errors[0]).toMatchObject({ controller: 'widget', namespace: 'ns', name: 'b' });
  });
});
