import { describe, expect, it } from '@jest/globals';
import type { RefreshPolicy } from '../api/types.js';
import {
  MAX_REFRESH_JITTER_MS,
  flooredInterval,
  hashUnit,
  isFloored,
  nextRefresh,
  refreshJitterMs,
} from './schedule.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const NOW = Date.parse('2025-06-01T12:00:00Z');
const POLICIES: RefreshPolicy[] = ['Periodic', 'CreatedOnce', 'OnChange'];

function due(r: ReturnType<typeof nextRefresh>): number {
  if (!('dueAtMs' in r)) throw new Error('expected a due time');
  return r.dueAtMs;
}

describe('nextRefresh', () => {
  it('syncs a never-synced object now, under every policy and interval', () => {
    for (const refreshPolicy of POLICIES)
      for (const refreshIntervalMs of [0, HOUR]) {
        expect(nextRefresh({ refreshIntervalMs, refreshPolicy, now: NOW, key: 'a/b' })).toEqual({
          dueAtMs: NOW,
        });
        expect(
          nextRefresh({
            refreshIntervalMs,
            refreshPolicy,
            lastRefreshTime: Number.NaN,
            now: NOW,
            key: 'a/b',
          }),
        ).toEqual({ dueAtMs: NOW });
      }
  });

  it('honours status.refreshTime after a restart: refreshed 10 min ago, 1 h interval → due in ~50 min', () => {
    const r = due(
      nextRefresh({ refreshIntervalMs: HOUR, lastRefreshTime: NOW - 10 * MIN, now: NOW, key: 'ns/x' }),
    );
    expect(r - NOW).toBeGreaterThanOrEqual(50 * MIN);
    expect(r - NOW).toBeLessThan(55 * MIN);
  });

  it('defaults to Periodic', () => {
    const a = nextRefresh({ refreshIntervalMs: HOUR, lastRefreshTime: NOW, now: NOW, key: 'k' });
    const b = nextRefresh({
      refreshIntervalMs: HOUR,
      refreshPolicy: 'Periodic',
      lastRefreshTime: NOW,
      now: NOW,
      key: 'k',
    });
    expect(a).toEqual(b);
  });

  it('is due between interval and 1.1 × interval (and interval + 5 min) after the last refresh', () => {
    for (const interval of [1_000, 30_000, MIN, 15 * MIN, HOUR, 24 * HOUR]) {
      for (let i = 0; i < 500; i++) {
        const key = `ns-${i % 7}/es-${i}`;
        const d = due(nextRefresh({ refreshIntervalMs: interval, lastRefreshTime: NOW, now: NOW, key }));
        expect(d - NOW).toBeGreaterThanOrEqual(interval);
        expect(d - NOW).toBeLessThanOrEqual(interval * 1.1);
        expect(d - NOW).toBeLessThanOrEqual(interval + MAX_REFRESH_JITTER_MS);
      }
    }
  });

  it('gives each key a stable offset', () => {
    const input = { refreshIntervalMs: HOUR, lastRefreshTime: NOW - MIN, now: NOW, key: 'team/db-creds' };
    expect(nextRefresh(input)).toEqual(nextRefresh({ ...input }));
    expect(refreshJitterMs('team/db-creds', HOUR)).toBe(refreshJitterMs('team/db-creds', HOUR));
    expect(refreshJitterMs('team/db-creds', HOUR)).not.toBe(refreshJitterMs('team/db-creds2', HOUR));
  });

  it('spreads 10,000 objects synced together across the jitter window', () => {
    const buckets = new Array<number>(10).fill(0);
    const seen = new Set<number>();
    for (let i = 0; i < 10_000; i++) {
      const d = due(
        nextRefresh({ refreshIntervalMs: HOUR, lastRefreshTime: NOW, now: NOW, key: `default/es-${i}` }),
      );
      const off = d - NOW - HOUR;
      seen.add(Math.floor(off / 1000));
      buckets[Math.floor((off / MAX_REFRESH_JITTER_MS) * 10)]!++;
    }
    // 300 one-second slots, nearly all used; ten 30 s buckets within ±20 % of 1,000.
    expect(seen.size).toBeGreaterThan(290);
    for (const b of buckets) {
      expect(b).toBeGreaterThan(800);
      expect(b).toBeLessThan(1_200);
    }
  });

  it('uses 10 % of short intervals as the window', () => {
    for (let i = 0; i < 200; i++) expect(refreshJitterMs(`k${i}`, 10_000)).toBeLessThan(1_000);
    expect(refreshJitterMs('k', 0)).toBe(0);
    expect(refreshJitterMs('k', Number.NaN)).toBe(0);
  });

  it('is due now (never in the past) when overdue', () => {
    expect(
      nextRefresh({ refreshIntervalMs: HOUR, lastRefreshTime: NOW - 5 * HOUR, now: NOW, key: 'k' }),
    ).toEqual({
      dueAtMs: NOW,
    });
  });

  it('treats a refreshTime in the future (clock skew) as now', () => {
    const d = due(
      nextRefresh({ refreshIntervalMs: HOUR, lastRefreshTime: NOW + 3 * HOUR, now: NOW, key: 'k' }),
    );
    expect(d - NOW).toBeGreaterThanOrEqual(HOUR);
    expect(d - NOW).toBeLessThanOrEqual(1.1 * HOUR);
  });

  it('never refreshes again after the first sync with interval 0, CreatedOnce or OnChange', () => {
    expect(nextRefresh({ refreshIntervalMs: 0, lastRefreshTime: NOW - HOUR, now: NOW, key: 'k' })).toEqual({
      never: true,
    });
    expect(nextRefresh({ refreshIntervalMs: -5, lastRefreshTime: NOW, now: NOW, key: 'k' })).toEqual({
      never: true,
    });
    expect(nextRefresh({ refreshIntervalMs: Infinity, lastRefreshTime: NOW, now: NOW, key: 'k' })).toEqual({
      never: true,
    });
    for (const refreshPolicy of ['CreatedOnce', 'OnChange'] as const)
      expect(
        nextRefresh({
          refreshIntervalMs: HOUR,
          refreshPolicy,
          lastRefreshTime: NOW - 5 * HOUR,
          now: NOW,
          key: 'k',
        }),
      ).toEqual({ never: true });
  });
});

describe('hashUnit', () => {
  it('maps to [0, 1) deterministically', () => {
    for (const s of ['', 'a', 'ns/name', 'x'.repeat(300), 'ünïcödé/名前']) {
      const h = hashUnit(s);
      expect(h).toBeGreaterThanOrEqual(0);
      expect(h).toBeLessThan(1);
      expect(hashUnit(s)).toBe(h);
    }
  });
});

describe('flooredInterval', () => {
  it('raises intervals above 0 to the floor and keeps 0 (no periodic refresh) as ESO does', () => {
    expect(flooredInterval(0.000001, 10_000)).toBe(10_000); // 1ns
    expect(flooredInterval(1, 10_000)).toBe(10_000);
    expect(flooredInterval(10_000, 10_000)).toBe(10_000);
    expect(flooredInterval(HOUR, 10_000)).toBe(HOUR);
    expect(flooredInterval(0, 10_000)).toBe(0);
    expect(flooredInterval(1, 0)).toBe(1); // --min-refresh-interval=0: no floor
    expect(isFloored(1, 10_000)).toBe(true);
    expect(isFloored(0, 10_000)).toBe(false);
    expect(isFloored(HOUR, 10_000)).toBe(false);
  });
});
