import { describe, expect, it } from '@jest/globals';
import type { ExternalSecret } from '../../api/types.js';
import { decideSync, errorDelayMs, sharedReadAge, syncedResourceVersion } from './decide.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');

function es(status: ExternalSecret['status'], annotations: Record<string, string> = {}): ExternalSecret {
  return { metadata: { name: 'e', namespace: 'n', generation: 3, annotations }, spec: {}, status };
}

function synced(e: ExternalSecret, minutesAgo: number, ready = 'True'): ExternalSecret {
  e.status = {
    refreshTime: new Date(NOW - minutesAgo * 60_000).toISOString(),
    syncedResourceVersion: syncedResourceVersion(e),
    conditions: [{ type: 'Ready', status: ready as 'True' }],
  };
  return e;
}

const base = {
  trigger: 'refresh' as const,
  policy: 'Periodic' as const,
  intervalMs: 3_600_000,
  targetMissing: false,
  targetDrifted: false,
  now: NOW,
};

describe('decideSync', () => {
  it('syncs what never synced', () => {
    const e = es(undefined);
    expect(decideSync({ ...base, es: e, srv: syncedResourceVersion(e) }).sync).toBe(true);
  });
  it('honours status.refreshTime after a restart', () => {
    const e = synced(es(undefined), 10);
    expect(decideSync({ ...base, trigger: 'relist', es: e, srv: syncedResourceVersion(e) })).toEqual({
      sync: false,
      why: 'up-to-date',
    });
    const old = synced(es(undefined), 61);
    expect(decideSync({ ...base, trigger: 'relist', es: old, srv: syncedResourceVersion(old) }).sync).toBe(
      true,
    );
  });
  it('forces a sync on an annotation change, for every interval including 0', () => {
    const e = synced(es(undefined, { a: '1' }), 1);
    const changed: ExternalSecret = {
      ...e,
      metadata: { ...e.metadata, annotations: { 'force-sync': '123' } },
    };
    for (const intervalMs of [0, 3_600_000]) {
      expect(decideSync({ ...base, intervalMs, es: changed, srv: syncedResourceVersion(changed) }).sync).toBe(
        true,
      );
    }
  });
  it('never refreshes interval 0 or OnChange on its own', () => {
    const e = synced(es(undefined), 1000);
    const srv = syncedResourceVersion(e);
    expect(decideSync({ ...base, intervalMs: 0, es: e, srv }).sync).toBe(false);
    expect(decideSync({ ...base, policy: 'OnChange', es: e, srv }).sync).toBe(false);
  });
  it('CreatedOnce ignores spec changes but restores a deleted Secret', () => {
    const e = synced(es(undefined), 1000);
    expect(decideSync({ ...base, policy: 'CreatedOnce', es: e, srv: 'other' }).sync).toBe(false);
    expect(
      decideSync({ ...base, policy: 'CreatedOnce', es: e, srv: 'other', targetMissing: true }).sync,
    ).toBe(true);
  });
  it('repairs drift and retries failures', () => {
    const e = synced(es(undefined), 1);
    const srv = syncedResourceVersion(e);
    expect(decideSync({ ...base, es: e, srv, targetDrifted: true }).sync).toBe(true);
    const failed = synced(es(undefined), 1, 'False');
    expect(decideSync({ ...base, es: failed, srv: syncedResourceVersion(failed) }).sync).toBe(true);
  });
  it('resyncs when the store changed', () => {
    const e = synced(es(undefined), 1);
    expect(decideSync({ ...base, trigger: 'store', es: e, srv: syncedResourceVersion(e) }).sync).toBe(true);
  });
});

describe('errorDelayMs', () => {
  it('grows, stays within bounds and never undercuts the refresh interval', () => {
    const top = () => 0;
    expect(errorDelayMs(0, 0, 300_000, top)).toBe(5000);
    expect(errorDelayMs(3, 0, 300_000, top)).toBe(40_000);
    expect(errorDelayMs(30, 0, 300_000, top)).toBe(300_000);
    expect(errorDelayMs(0, 3_600_000, 300_000, top)).toBe(3_600_000);
  });
  it('jitters down by at most 20% and never above the maximum', () => {
    expect(errorDelayMs(0, 0, 300_000, () => 1)).toBe(4000);
    for (const r of [0, 0.3, 0.99])
      expect(errorDelayMs(30, 0, 300_000, () => r)).toBeLessThanOrEqual(300_000);
    expect(errorDelayMs(30, 0, 300_000, () => 0.99)).toBeGreaterThanOrEqual(240_000);
  });
  it('never retries sooner than the operator floor, spread over [floor, 1.2 · floor)', () => {
    expect(errorDelayMs(0, 0, 300_000, () => 0, 10_000)).toBe(10_000);
    expect(errorDelayMs(0, 0, 300_000, () => 0.5, 10_000)).toBe(11_000);
    for (const r of [0, 0.3, 0.99]) {
      const d = errorDelayMs(1, 0, 300_000, () => r, 10_000);
      expect(d).toBeGreaterThanOrEqual(10_000);
      expect(d).toBeLessThan(12_000);
    }
    // Above the floor the backoff is untouched.
    expect(errorDelayMs(3, 0, 300_000, () => 0, 10_000)).toBe(40_000);
  });
});

describe('sharedReadAge', () => {
  it('asks for fresh data on spec or annotation changes and bounds reuse by the interval', () => {
    expect(sharedReadAge('spec-changed', 3600_000)).toBe(0);
    expect(sharedReadAge('refresh-due', 0)).toBe(0);
    expect(sharedReadAge('refresh-due', 60_000)).toBe(60_000);
    expect(sharedReadAge('refresh-due', 3600_000)).toBe(5 * 60_000);
    expect(sharedReadAge('never-synced', 3600_000)).toBe(10_000);
    expect(sharedReadAge('never-synced', 1_000)).toBe(1_000);
  });
});

describe('decideSync with syncWindows', () => {
  const held = (now: number) => ({ allowed: false as const, retryAt: now + 60_000 });
  const open = () => ({ allowed: true as const });

  it('holds a due refresh and its retries, and says when to look again', () => {
    const e = synced(es(undefined), 61);
    const srv = syncedResourceVersion(e);
    expect(decideSync({ ...base, es: e, srv, windows: held })).toEqual({
      sync: false,
      why: 'sync-window',
      retryAt: NOW + 60_000,
    });
    expect(decideSync({ ...base, es: e, srv, windows: open })).toEqual({ sync: true, why: 'refresh-due' });
    // a store event is held as a refresh is (only the spec and the target pass a window)
    expect(decideSync({ ...base, trigger: 'store', es: e, srv, windows: held }).why).toBe('sync-window');
    expect(decideSync({ ...base, trigger: 'store', es: e, srv, windows: open }).why).toBe('store-changed');
    const failed = synced(es(undefined), 1, 'False');
    expect(decideSync({ ...base, es: failed, srv: syncedResourceVersion(failed), windows: held }).why).toBe(
      'sync-window',
    );
  });
  it('never holds a first sync, a spec change, a missing or drifted target, or another policy', () => {
    const first = es(undefined);
    expect(decideSync({ ...base, es: first, srv: syncedResourceVersion(first), windows: held }).sync).toBe(
      true,
    );
    const e = synced(es(undefined), 61);
    const srv = syncedResourceVersion(e);
    expect(decideSync({ ...base, es: e, srv: 'changed', windows: held }).why).toBe('spec-changed');
    expect(decideSync({ ...base, es: e, srv, targetMissing: true, windows: held }).why).toBe(
      'target-missing',
    );
    expect(decideSync({ ...base, es: e, srv, targetDrifted: true, windows: held }).why).toBe(
      'target-drifted',
    );
    const failed = synced(es(undefined), 1, 'False');
    expect(
      decideSync({
        ...base,
        policy: 'OnChange',
        es: failed,
        srv: syncedResourceVersion(failed),
        windows: held,
      }).why,
    ).toBe('retry');
  });
});
