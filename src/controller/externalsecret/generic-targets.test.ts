import { describe, expect, it } from '@jest/globals';
import type { KubeApi, ObjectRef, ResourceType } from '../../kube/types.js';
import type { ObjectCache } from '../../runtime/cache.js';
import { GenericTargets } from './generic-targets.js';
import type { GenericObject } from './manifest.js';

const WIDGETS: ResourceType = {
  group: 'example.com',
  version: 'v1',
  resource: 'widgets',
  namespaced: true,
  kind: 'Widget',
};
const obj = (name: string, rv: string): GenericObject => ({
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  metadata: { name, namespace: 'ns', resourceVersion: rv },
});

function fakeCache(synced: boolean) {
  const held = new Map<string, GenericObject>();
  const calls = { started: 0, wrote: [] as GenericObject[] };
  const cache = {
    hasSynced: () => synced,
    latest: (k: string) => held.get(k),
    wrote: (o: GenericObject) => {
      calls.wrote.push(o);
      held.set(`${o.metadata.namespace}/${o.metadata.name}`, o);
    },
    forgetWrite: (k: string) => held.delete(k),
    start: () => void calls.started++,
    stop: async () => undefined,
  } as unknown as ObjectCache<GenericObject>;
  return { cache, calls, held };
}

function fakeApi() {
  const requests: string[] = [];
  const api = {
    async get(ref: ObjectRef) {
      requests.push(`get ${ref.name}`);
      return obj(ref.name ?? '', '5');
    },
    async create(ref: ObjectRef, body: GenericObject) {
      requests.push(`create ${ref.namespace} ${ref.name ?? '(collection)'}`);
      return { ...body, metadata: { ...body.metadata, resourceVersion: '6' } };
    },
    async replace(ref: ObjectRef, body: GenericObject) {
      requests.push(`replace ${ref.name} rv=${body.metadata.resourceVersion}`);
      return { ...body, metadata: { ...body.metadata, resourceVersion: '7' } };
    },
    async delete(ref: ObjectRef, o: { preconditionUid?: string }) {
      requests.push(`delete ${ref.name} uid=${o.preconditionUid}`);
    },
  } as unknown as KubeApi;
  return { api, requests };
}

const signal = new AbortController().signal;

describe('GenericTargets', () => {
  it('starts one watch per kind and tells the controller once; reads a GET until the watch has listed', async () => {
    const { api, requests } = fakeApi();
    const made: ResourceType[] = [];
    const { cache, calls } = fakeCache(false);
    const g = new GenericTargets({ api, newCache: (t) => (made.push(t), cache) });
    const told: string[] = [];
    g.onCache((t) => told.push(t.resource));
    expect((await g.get(WIDGETS, 'ns', 'w1', signal))?.metadata.resourceVersion).toBe('5');
    await g.get(WIDGETS, 'ns', 'w1', signal);
    expect(requests).toEqual(['get w1', 'get w1']);
    expect(made).toHaveLength(1);
    expect(calls.started).toBe(1);
    expect(told).toEqual(['widgets']);
  });

  it('answers from the watch once it has listed, and makes its own writes visible at once', async () => {
    const { api, requests } = fakeApi();
    const { cache, held } = fakeCache(true);
    const g = new GenericTargets({ api, newCache: () => cache });
    held.set('ns/w1', obj('w1', '9'));
    expect((await g.get(WIDGETS, 'ns', 'w1', signal))?.metadata.resourceVersion).toBe('9');
    expect(requests).toEqual([]);
    await g.write('ns', { op: 'create', type: WIDGETS, name: 'w2', body: obj('w2', '') }, signal);
    expect((await g.get(WIDGETS, 'ns', 'w2', signal))?.metadata.resourceVersion).toBe('6');
    await g.write('ns', { op: 'replace', type: WIDGETS, name: 'w2', body: obj('w2', '6') }, signal);
    await g.write('ns', { op: 'delete', type: WIDGETS, name: 'w2', uid: 'u2' }, signal);
    expect(requests).toEqual(['create ns (collection)', 'replace w2 rv=6', 'delete w2 uid=u2']);
    expect(held.has('ns/w2')).toBe(false);
  });
});
