import { describe, expect, it } from '@jest/globals';
import { Interner, internObject } from './intern.js';

// Two equal strings built at run time are distinct heap objects until interned; identity is not
// observable in JS, so these tests check values and the table, which is what the cache relies on.
describe('Interner', () => {
  it('keeps one entry per distinct value and leaves values unchanged', () => {
    const i = new Interner();
    const a = JSON.parse(
      '{"apiVersion":"external-secrets.io/v1","kind":"ExternalSecret","metadata":{"namespace":"team-a","name":"x","uid":"u1"},"spec":{"secretStoreRef":{"name":"vault","kind":"ClusterSecretStore"},"data":[{"secretKey":"k","remoteRef":{"key":"db","property":"pass"}}]},"status":{"refreshTime":"2026-01-01T00:00:00Z","conditions":[{"type":"Ready","status":"True","reason":"SecretSynced","message":"Secret was synced","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}',
    );
    const b = structuredClone(a);
    b.metadata.name = 'y';
    b.metadata.uid = 'u2';
    const before = JSON.stringify(a);
    internObject(i, a);
    const size = i.size;
    internObject(i, b);
    expect(JSON.stringify(a)).toBe(before);
    expect(i.size).toBe(size);
    // Names, uids and timestamps are never entered.
    expect(i.str('u1')).toBe('u1');
    expect(i.size).toBe(size + 1);
  });

  it('stops growing at its bound and skips long values', () => {
    const i = new Interner(2);
    i.str('a');
    i.str('b');
    i.str('c');
    expect(i.size).toBe(2);
    const i2 = new Interner();
    i2.str('x'.repeat(300));
    expect(i2.size).toBe(0);
  });
});
