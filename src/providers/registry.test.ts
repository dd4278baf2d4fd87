import { describe, expect, it } from '@jest/globals';
import { fakeProvider } from './fake/index.js';
import { ProviderRegistry, lazyProvider } from './registry.js';
import type { Provider } from './types.js';

function counted(name: string, fail = 0) {
  let loads = 0;
  const entry = lazyProvider(name, async () => {
    loads++;
    if (loads <= fail) throw new Error('Cannot find package');
    return { ...fakeProvider, name } as Provider;
  });
  return { entry, loads: () => loads };
}

describe('ProviderRegistry', () => {
  it('loads a lazy provider on first use, once, however many resolve it at the same time', async () => {
    const aws = counted('aws');
    const r = new ProviderRegistry([fakeProvider, aws.entry]);
    expect(r.loaded()).toEqual(['fake']);
    await r.resolve({ fake: {} });
    expect(aws.loads()).toBe(0);
    const all = await Promise.all([1, 2, 3].map(() => r.resolve({ aws: { region: 'eu-west-1' } })));
    expect(aws.loads()).toBe(1);
    for (const res of all) expect('provider' in res && res.provider.name).toBe('aws');
    expect(r.loaded()).toEqual(['fake', 'aws']);
  });

  it('names every provider in its messages, loaded or not', async () => {
    const r = new ProviderRegistry([fakeProvider, counted('aws').entry]);
    expect(await r.resolve({ oracle: {} } as never)).toEqual({
      error: 'provider "oracle" is not supported by this Syncret version (supported: fake, aws)',
    });
    expect(await r.resolve({})).toEqual({
      error: 'spec.provider must name exactly one provider; none is set',
    });
    expect(await r.resolve({ fake: {}, aws: {} } as never)).toEqual({
      error: 'spec.provider must name exactly one provider; found fake, aws',
    });
  });

  it('reports a provider that fails to load, and tries again next time', async () => {
    const gcp = counted('gcpsm', 1);
    const r = new ProviderRegistry([gcp.entry]);
    expect(await r.resolve({ gcpsm: {} } as never)).toEqual({
      error: 'provider "gcpsm" could not be loaded: Cannot find package',
    });
    const again = await r.resolve({ gcpsm: {} } as never);
    expect('provider' in again).toBe(true);
    expect(gcp.loads()).toBe(2);
  });
});
