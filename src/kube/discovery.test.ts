import { describe, expect, it } from '@jest/globals';
import { Discovery, MISS_TTL_MS } from './discovery.js';
import { CONFIGMAPS } from './resources.js';
import { KubeApiError } from './types.js';
import type { ApiResourceList, KubeApi } from './types.js';

function fakeApi(lists: Record<string, ApiResourceList | undefined>) {
  const asked: string[] = [];
  const api = {
    async discover(gv: string) {
      asked.push(gv);
      const l = lists[gv];
      if (!l) throw new KubeApiError(404, 'NotFound', 'the server could not find the requested resource');
      return l;
    },
  } as unknown as KubeApi;
  return { api, asked };
}

const WIDGETS: ApiResourceList = {
  groupVersion: 'example.com/v1',
  resources: [
    { name: 'widgets/status', kind: 'Widget', namespaced: true },
    { name: 'widgets', kind: 'Widget', namespaced: true },
    { name: 'clusterwidgets', kind: 'ClusterWidget', namespaced: false },
  ],
};

describe('Discovery', () => {
  it("names a kind's resource from one request per group version, skipping subresources", async () => {
    const { api, asked } = fakeApi({ 'example.com/v1': WIDGETS });
    const d = new Discovery(api);
    expect(await d.resourceFor('example.com/v1', 'Widget')).toEqual({
      group: 'example.com',
      version: 'v1',
      resource: 'widgets',
      namespaced: true,
      kind: 'Widget',
    });
    expect((await d.resourceFor('example.com/v1', 'ClusterWidget'))?.namespaced).toBe(false);
    expect(await d.resourceFor('v1', 'ConfigMap')).toBe(CONFIGMAPS);
    expect(asked).toEqual(['example.com/v1']);
  });

  it('asks again for a kind it did not find only after MISS_TTL_MS (a CRD installed later works)', async () => {
    let now = 0;
    const lists: Record<string, ApiResourceList | undefined> = {};
    const { api, asked } = fakeApi(lists);
    const d = new Discovery(api, () => now);
    expect(await d.resourceFor('example.com/v1', 'Widget')).toBeUndefined();
    expect(await d.resourceFor('example.com/v1', 'Widget')).toBeUndefined();
    expect(asked).toHaveLength(1);
    lists['example.com/v1'] = WIDGETS;
    now += MISS_TTL_MS;
    expect((await d.resourceFor('example.com/v1', 'Widget'))?.resource).toBe('widgets');
    expect(asked).toHaveLength(2);
  });
});
