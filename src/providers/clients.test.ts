import { describe, expect, it } from '@jest/globals';
import { ClientCache, MAX_READ_REUSE_MS } from './clients.js';
import { ProviderError } from './errors.js';
import type { RemoteKeyRef, RemoteValue, SecretsClient } from './types.js';

function counting(): { client: SecretsClient; calls: string[]; fail: { on: boolean } } {
  const calls: string[] = [];
  const fail = { on: false };
  const client: SecretsClient = {
    async getSecret(ref: RemoteKeyRef): Promise<RemoteValue> {
      calls.push(`get:${ref.key}`);
      await new Promise((r) => setTimeout(r, 5));
      if (fail.on) throw new ProviderError('NotFound', `remote key "${ref.key}" not found`);
      return { kind: 'bytes', data: new TextEncoder().encode(`v${calls.length}`) };
    },
    async findSecrets() {
      calls.push('find');
      return new Map<string, RemoteValue>();
    },
    validate: async () => ({ result: 'Valid' }),
    close: async () => undefined,
  };
  return { client, calls, fail };
}

const text = (v: RemoteValue): string => (v.kind === 'bytes' ? new TextDecoder().decode(v.data) : '');

describe('ClientCache shared reads', () => {
  it('collapses concurrent identical reads and counts them as shared', async () => {
    const shared: string[] = [];
    const cache = new ClientCache({ onShared: (p, op) => shared.push(`${p}/${op}`) });
    const { client, calls } = counting();
    const all = await Promise.all(
      Array.from({ length: 10 }, () => cache.getSecret('fake', 'id', client, { key: 'k' })),
    );
    expect(calls).toEqual(['get:k']);
    expect(new Set(all.map(text))).toEqual(new Set(['v1']));
    expect(shared).toHaveLength(9);
  });

  it('reuses a recent answer only within the caller-given age, and never after the cap', async () => {
    let now = 1_000_000;
    const cache = new ClientCache({ now: () => now });
    const { client, calls } = counting();
    await cache.getSecret('fake', 'id', client, { key: 'k' }, 60_000);
    now += 30_000;
    expect(text(await cache.getSecret('fake', 'id', client, { key: 'k' }, 60_000))).toBe('v1');
    expect(calls).toHaveLength(1);
    // A caller asking for fresher data than that gets a new call.
    expect(text(await cache.getSecret('fake', 'id', client, { key: 'k' }, 10_000))).toBe('v2');
    // maxAge 0 (force-sync, spec change) always calls.
    await cache.getSecret('fake', 'id', client, { key: 'k' }, 0);
    expect(calls).toHaveLength(3);
    now += MAX_READ_REUSE_MS + 1;
    await cache.getSecret('fake', 'id', client, { key: 'k' }, 24 * 3600_000);
    expect(calls).toHaveLength(4);
  });

  it('keys by client identity, key, version and metadataPolicy', async () => {
    const cache = new ClientCache();
    const { client, calls } = counting();
    await cache.getSecret('fake', 'a', client, { key: 'k' }, 60_000);
    await cache.getSecret('fake', 'b', client, { key: 'k' }, 60_000);
    await cache.getSecret('fake', 'a', client, { key: 'k', version: '2' }, 60_000);
    await cache.getSecret('fake', 'a', client, { key: 'k', metadataPolicy: 'Fetch' }, 60_000);
    await cache.getSecret('fake', 'a', client, { key: 'k' }, 60_000);
    expect(calls).toHaveLength(4);
  });

  it('never reuses errors, and an error ends the reuse of an older answer', async () => {
    const cache = new ClientCache();
    const { client, calls, fail } = counting();
    await cache.getSecret('fake', 'id', client, { key: 'k' }, 60_000);
    fail.on = true;
    await expect(cache.getSecret('fake', 'id', client, { key: 'k' }, 0)).rejects.toThrow('not found');
    fail.on = false;
    expect(text(await cache.getSecret('fake', 'id', client, { key: 'k' }, 60_000))).toBe('v3');
    expect(calls).toHaveLength(3);
  });

  it('shares find calls per identity and forgets reads of a dropped client', async () => {
    const cache = new ClientCache();
    const { client, calls } = counting();
    await cache.findSecrets('fake', client, { name: { regexp: '.*' } }, 'id', 60_000);
    await cache.findSecrets('fake', client, { name: { regexp: '.*' } }, 'id', 60_000);
    expect(calls).toEqual(['find']);
    await cache.getSecret('fake', 'id', client, { key: 'k' }, 60_000);
    cache.forgetReads('id');
    await cache.getSecret('fake', 'id', client, { key: 'k' }, 60_000);
    await cache.findSecrets('fake', client, { name: { regexp: '.*' } }, 'id', 60_000);
    expect(calls).toEqual(['find', 'get:k', 'get:k', 'find']);
  });
});
