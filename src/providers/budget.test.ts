import { describe, expect, it } from '@jest/globals';
import { CallBudget, MAX_WAITERS, MAX_WAIT_MS } from './budget.js';
import { ClientCache } from './clients.js';
import { ProviderError } from './errors.js';
import type { RemoteValue, SecretsClient } from './types.js';

async function refusal(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ProviderError) return e;
    throw e;
  }
  throw new Error('expected a ProviderError');
}

describe('CallBudget', () => {
  it('lets a burst through, then paces each store to its rate', async () => {
    let now = 0;
    const refused: string[] = [];
    const b = new CallBudget({ qps: 2, burst: 3, now: () => now, onRefused: (p) => refused.push(p) });
    for (let i = 0; i < 3; i++) await b.take('SecretStore/a/s', 'vault');
    // The fourth would wait 500 ms (within MAX_WAIT_MS): it waits for real.
    const t0 = Date.now();
    await b.take('SecretStore/a/s', 'vault');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(450);
    // Tokens already reserved ahead: the next ones would wait 1 s, then 1.5 s: refused.
    await b.take('SecretStore/a/s', 'vault').catch(() => undefined);
    const err = await refusal(b.take('SecretStore/a/s', 'vault'));
    expect(err.reason).toBe('Throttled');
    expect(err.transient).toBe(true);
    expect(err.retryAfterMs).toBeGreaterThan(MAX_WAIT_MS);
    expect(err.message).toBe(
      "SecretStore/a/s is over its provider call budget (2 calls per second, burst 3; the operator's --provider-qps): call not made, retrying later",
    );
    expect(refused).toEqual(['vault']);
    now += 10_000;
    await b.take('SecretStore/a/s', 'vault');
  });

  it('never lets one store slow another', async () => {
    const now = 0;
    const b = new CallBudget({ qps: 0.5, burst: 1, now: () => now });
    await b.take('SecretStore/noisy/s', 'vault');
    await expect(b.take('SecretStore/noisy/s', 'vault')).rejects.toThrow(/over its provider call budget/);
    const t0 = Date.now();
    for (let i = 0; i < 50; i++) await b.take(`SecretStore/quiet-${i}/s`, 'vault');
    // the clock is fake and never moves: one wait for the noisy store's budget would be 2 s
    expect(Date.now() - t0).toBeLessThan(1_500);
  });

  it('holds at most MAX_WAITERS workers of a store waiting', async () => {
    const now = 0;
    const b = new CallBudget({ qps: 1000, burst: 1, now: () => now });
    await b.take('s', 'vault');
    const waits = Array.from({ length: MAX_WAITERS + 3 }, () =>
      b.take('s', 'vault').then(
        () => 'ok',
        () => 'refused',
      ),
    );
    const results = await Promise.all(waits);
    expect(results.filter((r) => r === 'ok')).toHaveLength(MAX_WAITERS);
    expect(results.filter((r) => r === 'refused')).toHaveLength(3);
  });

  it('refuses a rate of 0 (the operator means "no budget": none is built)', () => {
    expect(() => new CallBudget({ qps: 0, burst: 1 })).toThrow(RangeError);
  });
});

describe('ClientCache with a budget', () => {
  const value: RemoteValue = { kind: 'bytes', data: new Uint8Array([1]) };
  const client: SecretsClient = {
    getSecret: async () => value,
    validate: async () => ({ result: 'Valid' }),
    close: async () => undefined,
  };

  it('charges real calls to the store of the client identity; shared reads are free', async () => {
    const calls: string[] = [];
    const cache = new ClientCache({
      budget: new CallBudget({ qps: 0.001, burst: 2 }),
      onCall: (_p, op, ok) => calls.push(`${op}:${ok}`),
    });
    const a = 'SecretStore/a/s@hash|';
    const b = 'SecretStore/b/s@hash|';
    await cache.getSecret('vault', a, client, { key: 'k1' });
    await cache.getSecret('vault', a, client, { key: 'k1' }, 60_000); // reused: no token
    await cache.getSecret('vault', a, client, { key: 'k2' });
    const err = await refusal(cache.getSecret('vault', a, client, { key: 'k3' }));
    expect(err.reason).toBe('Throttled');
    // Another store has its own budget.
    await cache.getSecret('vault', b, client, { key: 'k1' });
    // A refused call was never made: it is not counted as a failed call.
    expect(calls).toEqual(['get:true', 'get:true', 'get:true']);
  });
});
