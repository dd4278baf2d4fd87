import { describe, expect, it } from '@jest/globals';
import type { ExternalSecret, TargetTemplate } from '../api/types.js';
import { SecretDataError } from './errors.js';
import { applyTemplate } from './templating.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (m: Record<string, Uint8Array>) =>
  Object.fromEntries(Object.entries(m).map(([k, v]) => [k, new TextDecoder().decode(v)]));
const es = (template?: TargetTemplate): ExternalSecret => ({
  metadata: { name: 'e' },
  spec: { target: { template } },
});
const data = { user: enc('app'), password: enc('s3cr3t-VALUE-xyz') };

describe('applyTemplate', () => {
  it('passes provider data through without template data', () => {
    expect(dec(applyTemplate(es(), data).data)).toEqual({ user: 'app', password: 's3cr3t-VALUE-xyz' });
    expect(dec(applyTemplate(es({ type: 'Opaque' }), data).data)).toEqual({
      user: 'app',
      password: 's3cr3t-VALUE-xyz',
    });
  });
  it('Replace keeps only templated keys; Merge lays them over the provider data', () => {
    expect(dec(applyTemplate(es({ data: { dsn: '{{ .user }}@db' } }), data).data)).toEqual({ dsn: 'app@db' });
    expect(
      dec(applyTemplate(es({ mergePolicy: 'Merge', data: { user: 'x-{{ .user }}' } }), data).data),
    ).toEqual({
      user: 'x-app',
      password: 's3cr3t-VALUE-xyz',
    });
  });
  it('renders metadata values that are templates', () => {
    const r = applyTemplate(
      es({
        metadata: { labels: { u: '{{ .user }}', plain: 'v' }, annotations: { a: '{{ .user | upper }}' } },
      }),
      data,
    );
    expect(r.labels).toEqual({ u: 'app', plain: 'v' });
    expect(r.annotations).toEqual({ a: 'APP' });
  });
  it('fails on a missing key (missingkey=error) with a location and without values', () => {
    try {
      applyTemplate(es({ data: { k: '{{ .password }}\n{{ .nope }}' } }), data);
      throw new Error('expected a failure');
    } catch (e) {
      expect(e).toBeInstanceOf(SecretDataError);
      expect((e as SecretDataError).reason).toBe('TemplateFailed');
      expect((e as Error).message).toMatch(/^template: k:2:/);
      expect((e as Error).message).not.toContain('s3cr3t');
    }
  });
  it('says templateFrom is not supported yet', () => {
    expect(() => applyTemplate(es({ templateFrom: [{ literal: 'x' }] }), data)).toThrow(
      'templateFrom is not supported',
    );
  });
});
