import { describe, expect, it } from '@jest/globals';
import { windowGate, windowVerdict } from './windows.js';

const t = (iso: string) => Date.parse(iso);
const daily22 = { schedule: '0 22 * * *', duration: '2h' };

describe('syncWindows', () => {
  it('is absent without windows or with an unknown kind', () => {
    expect(windowGate(undefined)).toBeUndefined();
    expect(windowGate({ kind: 'allow', windows: [] })).toBeUndefined();
    expect(windowGate({ kind: 'sometimes' as 'allow', windows: [daily22] })).toBeUndefined();
  });
  it('opens at each firing for its duration, both ends included (ESO isWithinSyncWindow)', () => {
    const g = windowGate({ kind: 'allow', windows: [daily22] })!;
    const at = (s: string) => windowVerdict(g, t(s), 'ns/es', 0).allowed;
    expect(at('2026-06-01T22:00:00Z')).toBe(true);
    expect(at('2026-06-01T22:30:00Z')).toBe(true);
    expect(at('2026-06-02T00:00:00Z')).toBe(true);
    expect(at('2026-06-02T00:00:01Z')).toBe(false);
    expect(at('2026-06-01T21:00:00Z')).toBe(false);
    expect(at('2026-06-02T03:00:00Z')).toBe(false);
    expect(at('2026-06-02T22:30:00Z')).toBe(true);
  });
  it('allow: held until the next opening, shifted within a tenth of the window', () => {
    const g = windowGate({ kind: 'allow', windows: [daily22, { schedule: '0 6 * * *', duration: '10m' }] })!;
    const v = windowVerdict(g, t('2026-06-01T20:00:00Z'), 'ns/es', 0);
    expect(v).toEqual({ allowed: false, retryAt: t('2026-06-01T22:00:00Z') });
    const j = windowVerdict(g, t('2026-06-02T01:00:00Z'), 'ns/es', 5 * 60_000);
    expect(j.allowed).toBe(false);
    const retryAt = (j as { retryAt: number }).retryAt;
    // The 06:00 window is 10 minutes long: the offset stays under one minute.
    expect(retryAt).toBeGreaterThanOrEqual(t('2026-06-02T06:00:00Z'));
    expect(retryAt).toBeLessThan(t('2026-06-02T06:01:00Z'));
    expect(windowVerdict(g, retryAt, 'ns/es', 5 * 60_000).allowed).toBe(true);
  });
  it('deny: held while any window is open, until the last one closes', () => {
    const g = windowGate({
      kind: 'deny',
      windows: [daily22, { schedule: '30 23 * * *', duration: '1h' }],
    })!;
    expect(windowVerdict(g, t('2026-06-01T21:00:00Z'), 'k', 0)).toEqual({ allowed: true });
    expect(windowVerdict(g, t('2026-06-01T23:45:00Z'), 'k', 0)).toEqual({
      allowed: false,
      retryAt: t('2026-06-02T00:30:00Z') + 1,
    });
    expect(windowVerdict(g, t('2026-06-02T00:30:00Z') + 1, 'k', 0)).toEqual({ allowed: true });
  });
  it('skips schedules the parser rejects (never open) and says so', () => {
    const deny = windowGate({ kind: 'deny', windows: [{ schedule: '61 * * * *', duration: '1h' }] })!;
    expect(deny.ignored).toEqual([
      'syncWindows.windows[0].schedule is ignored (end of range (61) above maximum (59): 61)',
    ]);
    expect(windowVerdict(deny, t('2026-06-01T00:00:00Z'), 'k', 0)).toEqual({ allowed: true });
    // As in ESO, an allow list with no usable window holds every periodic refresh.
    const allow = windowGate({ kind: 'allow', windows: [{ schedule: '61 * * * *', duration: '1h' }] })!;
    expect(windowVerdict(allow, t('2026-06-01T00:00:00Z'), 'k', 0)).toEqual({
      allowed: false,
      retryAt: undefined,
    });
  });
  it('refuses a duration that is not a Go duration', () => {
    expect(() =>
      windowGate({ kind: 'allow', windows: [{ schedule: '@daily', duration: '2 hours' }] }),
    ).toThrow('syncWindows.windows[0].duration');
  });
});

describe('overlapping windows', () => {
  it('stays denied when the oldest of overlapping windows has just closed (every minute, 1 h each)', () => {
    const gate = windowGate({ kind: 'deny', windows: [{ schedule: '* * * * *', duration: '1h' }] });
    const t = Date.UTC(2026, 11, 2, 4, 6, 0, 349); // 349 ms after a minute's fire
    for (const at of [t, t - 349, t + 1, t + 59_000]) {
      expect(windowVerdict(gate!, at, 'ns/es', 0).allowed).toBe(false);
    }
  });
});
