import { describe, expect, it } from '@jest/globals';
import { CronError, parseCron } from './cron.js';

const t = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
const next = (spec: string, after: string) => iso(parseCron(spec).next(t(after)));

describe('parseCron / next (robfig/cron v3 semantics, UTC)', () => {
  it('finds the next firing strictly after an instant, on whole minutes', () => {
    expect(next('0 22 * * *', '2026-06-01T21:59:59Z')).toBe('2026-06-01T22:00:00.000Z');
    expect(next('0 22 * * *', '2026-06-01T22:00:00Z')).toBe('2026-06-02T22:00:00.000Z');
    expect(next('*/15 * * * *', '2026-06-01T10:07:30.500Z')).toBe('2026-06-01T10:15:00.000Z');
    expect(next('* * * * *', '2026-06-01T10:07:00.000Z')).toBe('2026-06-01T10:08:00.000Z');
  });
  it('reads ranges, lists, steps from a value and names in any case', () => {
    expect(next('0 9 * * mon-FRI', '2026-06-06T00:00:00Z')).toBe('2026-06-08T09:00:00.000Z'); // Sat → Mon
    expect(next('30 1,13 * * *', '2026-06-01T02:00:00Z')).toBe('2026-06-01T13:30:00.000Z');
    expect(next('0 5/6 * * *', '2026-06-01T12:00:00Z')).toBe('2026-06-01T17:00:00.000Z');
    expect(next('0 0 1 jan,Jul *', '2026-02-01T00:00:00Z')).toBe('2026-07-01T00:00:00.000Z');
    expect(next('0 0 1,,15 * *', '2026-06-02T00:00:00Z')).toBe('2026-06-15T00:00:00.000Z');
  });
  it('matches either day field when both are restricted, both when one is a star', () => {
    // The 13th or any Friday.
    expect(next('0 0 13 * 5', '2026-06-01T00:00:00Z')).toBe('2026-06-05T00:00:00.000Z');
    // A star (or ?) in day of month: only Fridays.
    expect(next('0 0 ? * 5', '2026-06-01T00:00:00Z')).toBe('2026-06-05T00:00:00.000Z');
    // */1 keeps the star; a step above 1 makes the field a restriction: the 1st, 3rd, ... or Friday.
    expect(next('0 0 */2 * 5', '2026-06-01T12:00:00Z')).toBe('2026-06-03T00:00:00.000Z');
    expect(next('0 0 */1 * 5', '2026-06-01T12:00:00Z')).toBe('2026-06-05T00:00:00.000Z');
  });
  it('expands the descriptors', () => {
    expect(next('@daily', '2026-06-01T10:00:00Z')).toBe('2026-06-02T00:00:00.000Z');
    expect(next('@midnight', '2026-06-01T10:00:00Z')).toBe('2026-06-02T00:00:00.000Z');
    expect(next('@hourly', '2026-06-01T10:00:00Z')).toBe('2026-06-01T11:00:00.000Z');
    expect(next('@weekly', '2026-06-01T10:00:00Z')).toBe('2026-06-07T00:00:00.000Z');
    expect(next('@monthly', '2026-06-01T10:00:00Z')).toBe('2026-07-01T00:00:00.000Z');
    expect(next('@yearly', '2026-06-01T10:00:00Z')).toBe('2027-01-01T00:00:00.000Z');
    expect(next('@annually', '2026-06-01T10:00:00Z')).toBe('2027-01-01T00:00:00.000Z');
  });
  it('fires @every a constant delay after any instant, truncated to the second, at least 1 s', () => {
    expect(next('@every 1h', '2026-06-01T10:00:00.750Z')).toBe('2026-06-01T11:00:00.000Z');
    expect(next('@every 1m30s', '2026-06-01T10:00:10Z')).toBe('2026-06-01T10:01:40.000Z');
    expect(next('@every 10ms', '2026-06-01T10:00:00Z')).toBe('2026-06-01T10:00:01.000Z');
    expect(next('@every 1500ms', '2026-06-01T10:00:00Z')).toBe('2026-06-01T10:00:01.000Z');
  });
  it('gives up after five years (a date that never comes)', () => {
    expect(next('0 0 30 2 *', '2026-01-01T00:00:00Z')).toBeUndefined();
    expect(next('0 0 29 2 *', '2026-01-01T00:00:00Z')).toBe('2028-02-29T00:00:00.000Z');
  });
  it('rejects what the library rejects', () => {
    for (const bad of [
      '',
      '61 * * * *',
      '* 24 * * *',
      '* * 0 * *',
      '* * * 13 *',
      '* * * * 7',
      '5-1 * * * *',
      '*/0 * * * *',
      '1-2-3 * * * *',
      '1/2/3 * * * *',
      '-1 * * * *',
      'x * * * *',
      '* * * *',
      '0 * * * * *',
      '@fortnightly',
      '@every soon',
      'CRON_TZ=UTC 0 22 * *',
    ])
      expect(() => parseCron(bad)).toThrow(CronError);
  });
});
