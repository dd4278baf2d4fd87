// Store health from the reads through a store: transitions, probes and their schedule.

import { describe, expect, it } from '@jest/globals';
import { ProviderError } from '../../providers/errors.js';
import { PROBE_BASE_MS, PROBE_MAX_MS, StoreHealth, storeQueueKey, storeRefKey } from './health.js';

const sealed = new ProviderError('Unavailable', 'Vault is sealed');

function setup() {
  let now = 1_000_000;
  const health = new StoreHealth({ now: () => now, random: () => 0 });
  const seen: string[] = [];
  health.onFailed((r) => seen.push(`failed ${r}`));
  health.onRecovered((r) => seen.push(`recovered ${r}`));
  return { health, seen, advance: (ms: number) => (now += ms), now: () => now };
}

describe('StoreHealth', () => {
  it('turns failing on the first store-wide failure and healthy on the next success, once each', () => {
    const t = setup();
    const ref = storeRefKey('SecretStore', 'ns', 'vault');
    t.health.readSucceeded(ref);
    t.health.readFailed(ref, sealed, async () => undefined);
    t.health.readFailed(ref, new ProviderError('Unavailable', 'still sealed'), async () => undefined);
    expect(t.health.get(ref)).toMatchObject({
      message: 'still sealed',
      probes: 0,
      probeAt: t.now() + PROBE_BASE_MS,
    });
    t.health.readSucceeded(ref);
    t.health.readSucceeded(ref);
    expect(t.seen).toEqual([`failed ${ref}`, `recovered ${ref}`]);
    expect(t.health.get(ref)).toBeUndefined();
  });

  it('ignores failures about one key, and counts any answer of the backend as health', () => {
    const t = setup();
    const ref = 'css/shared';
    t.health.readFailed(ref, new ProviderError('NotFound', 'no such key'), async () => undefined);
    t.health.readFailed(ref, new ProviderError('AccessDenied', 'denied'), async () => undefined);
    expect(t.seen).toEqual([]);
    t.health.readFailed(ref, new ProviderError('AuthFailed', 'bad key'), async () => undefined);
    t.health.readFailed(ref, new ProviderError('NotFound', 'no such key'), async () => undefined);
    expect(t.seen).toEqual([`failed ${ref}`, `recovered ${ref}`]);
    t.health.readFailed(ref, new Error('a bug'), async () => undefined);
    expect(t.health.get(ref)).toBeUndefined();
  });

  it('probes by replaying the failed read, backing off to the maximum', async () => {
    const t = setup();
    const ref = 'ss/ns/vault';
    let up = false;
    const probe = async () => {
      if (!up) {
        t.health.readFailed(ref, sealed, probe);
        throw sealed;
      }
      t.health.readSucceeded(ref);
    };
    t.health.readFailed(ref, sealed, probe);
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      expect(await t.health.probe(ref)).toBe(false);
      delays.push(t.health.get(ref)!.probeAt - t.now());
    }
    expect(delays).toEqual([2 * PROBE_BASE_MS, 4 * PROBE_BASE_MS, PROBE_MAX_MS, PROBE_MAX_MS, PROBE_MAX_MS]);
    up = true;
    expect(await t.health.probe(ref)).toBe(true);
    expect(t.seen).toEqual([`failed ${ref}`, `recovered ${ref}`]);
  });

  it('forgets a store that changed', () => {
    const t = setup();
    t.health.readFailed('ss/ns/a', sealed, async () => undefined);
    t.health.forget('ss/ns/a');
    expect(t.health.get('ss/ns/a')).toBeUndefined();
  });

  it('maps index keys to each store controller’s queue keys', () => {
    expect(storeQueueKey('ss/ns/a', 'SecretStore')).toBe('ns/a');
    expect(storeQueueKey('ss/ns/a', 'ClusterSecretStore')).toBeUndefined();
    expect(storeQueueKey('css/a', 'ClusterSecretStore')).toBe('a');
    expect(storeQueueKey('css/a', 'SecretStore')).toBeUndefined();
  });
});
