import { describe, expect, it } from '@jest/globals';
import type { ExternalSecret, TargetTemplate } from '../api/types.js';
import { SecretDataError } from './errors.js';
import { applyTemplate, loadTemplateSources } from './templating.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (m: Record<string, Uint8Array>) =>
  Object.fromEntries(Object.entries(m).map(([k, v]) => [k, new TextDecoder().decode(v)]));
const es = (template?: TargetTemplate): ExternalSecret => ({
  metadata: { name: 'e' },
  spec: { target: { template } },
});
const data = { user: enc('app'), password: enc('s3cr3t-VALUE-xyz') };

describe('applyTemplate', () => {
  it('decodes rendered templateFrom values with valuesDecodingStrategy (ESO 2.9)', () => {
    const b64 = (v: string) => Buffer.from(v).toString('base64');
    const input = { cert: enc(b64('-----BEGIN-----')), user: enc('app') };
    const r = applyTemplate(
      es({
        templateFrom: [
          { literal: 'tls.crt: "{{ .cert }}"', valuesDecodingStrategy: 'Base64' },
          { literal: 'who: {{ .user | b64enc }}', target: 'Labels', valuesDecodingStrategy: 'Auto' },
          { literal: 'raw: {{ .cert }}' },
        ],
      }),
      input,
    );
    expect(dec(r.data)).toEqual({ 'tls.crt': '-----BEGIN-----', raw: b64('-----BEGIN-----') });
    expect(r.labels).toEqual({ who: 'app' });
    expect(() =>
      applyTemplate(
        es({ templateFrom: [{ literal: 'k: not-base64!', valuesDecodingStrategy: 'Base64' }] }),
        input,
      ),
    ).toThrow('the value of secretKey "k" in templateFrom[0] is not valid base64 (decodingStrategy Base64)');
  });
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
  it('templateFrom valuesDecodingStrategy decodes each rendered value (ESO 2.9), never the inputs', () => {
    const r = applyTemplate(
      es({
        templateFrom: [
          { literal: 'pw: "{{ .password | b64enc }}"\nuser: "{{ .user }}"', valuesDecodingStrategy: 'Auto' },
          { literal: 'raw: "{{ .password | b64enc }}"' },
        ],
      }),
      data,
    );
    expect(dec(r.data)).toEqual({
      pw: 's3cr3t-VALUE-xyz',
      user: 'app',
      raw: Buffer.from('s3cr3t-VALUE-xyz').toString('base64'),
    });
    try {
      applyTemplate(
        es({ templateFrom: [{ literal: 'pw: "{{ .password }}"', valuesDecodingStrategy: 'Base64' }] }),
        data,
      );
      throw new Error('expected a failure');
    } catch (e) {
      expect((e as SecretDataError).reason).toBe('DecodeFailed');
      expect((e as Error).message).toMatch(/secretKey "pw" in templateFrom\[0\] .*base64/);
      expect((e as Error).message).not.toContain('s3cr3t');
    }
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
  it('renders templateFrom ConfigMap and Secret items as Values and KeysAndValues, and literals', async () => {
    const sources = await loadTemplateSources(
      {
        ...es({
          templateFrom: [
            {
              configMap: {
                name: 'tpl',
                items: [{ key: 'config.yaml' }, { key: 'kv', templateAs: 'KeysAndValues' }],
              },
            },
            { secret: { name: 'stpl', items: [{ key: 'dsn' }] } },
            { literal: 'team: "{{ .user }}"', target: 'Labels' },
            { literal: 'note: "for {{ .user }}"', target: 'annotations' as 'Annotations' },
          ],
          data: { dsn: 'override-{{ .user }}' },
          metadata: { labels: { team: 'fixed' } },
        }),
        metadata: { name: 'e', namespace: 'ns' },
      },
      async (kind, name): Promise<Record<string, Uint8Array> | undefined> => {
        if (kind === 'ConfigMap' && name === 'tpl')
          return {
            'config.yaml': enc('user: {{ .user }}\npass: {{ .password }}\n'),
            kv: enc('a: "{{ .user }}"\nb: 42\n'),
          };
        if (kind === 'Secret' && name === 'stpl') return { dsn: enc('{{ .user }}@db') };
        return undefined;
      },
    );
    const e = es({
      templateFrom: [
        {
          configMap: {
            name: 'tpl',
            items: [{ key: 'config.yaml' }, { key: 'kv', templateAs: 'KeysAndValues' }],
          },
        },
        { secret: { name: 'stpl', items: [{ key: 'dsn' }] } },
        { literal: 'team: "{{ .user }}"', target: 'Labels' },
        { literal: 'note: "for {{ .user }}"', target: 'annotations' as 'Annotations' },
      ],
      data: { dsn: 'override-{{ .user }}' },
      metadata: { labels: { team: 'fixed' } },
    });
    const r = applyTemplate(e, data, sources);
    expect(dec(r.data)).toEqual({
      'config.yaml': 'user: app\npass: s3cr3t-VALUE-xyz\n',
      a: 'app',
      b: '42',
      dsn: 'override-app', // template.data wins over templateFrom
    });
    expect(r.labels).toEqual({ team: 'fixed' }); // template.metadata wins over templateFrom
    expect(r.annotations).toEqual({ note: 'for app' });
    // Replace without template.data: only templateFrom output; Merge keeps the provider data.
    const only = applyTemplate(es({ templateFrom: [{ literal: 'x: "{{ .user }}"' }] }), data, sources);
    expect(dec(only.data)).toEqual({ x: 'app' });
    const merged = applyTemplate(
      es({ mergePolicy: 'Merge', templateFrom: [{ literal: 'x: "{{ .user }}"' }] }),
      data,
      sources,
    );
    expect(Object.keys(merged.data).sort()).toEqual(['password', 'user', 'x']);
  });
  it('names a missing templateFrom source or key, and a KeysAndValues result that is not a map, without values', async () => {
    const e = { ...es({ templateFrom: [{ configMap: { name: 'nope', items: [{ key: 'k' }] } }] }) };
    e.metadata = { name: 'e', namespace: 'ns' };
    await expect(loadTemplateSources(e, async () => undefined)).rejects.toThrow(
      'templateFrom[0].configMap: ConfigMap "nope" not found in namespace "ns"',
    );
    const sources = await loadTemplateSources(e, async () => ({ other: enc('x') }));
    expect(() => applyTemplate(e, data, sources)).toThrow(
      'templateFrom[0].configMap.items[0]: ConfigMap "nope" has no key "k"',
    );
    try {
      applyTemplate(es({ templateFrom: [{ literal: '{{ .password }}' }] }), data);
      throw new Error('expected a failure');
    } catch (err) {
      expect((err as SecretDataError).reason).toBe('TemplateFailed');
      expect((err as Error).message).toContain('not a YAML map');
      expect((err as Error).message).not.toContain('s3cr3t');
    }
  });
  it("returns no metadata without a template, so the Secret takes the ExternalSecret's", () => {
    const r = applyTemplate(es(), data);
    expect(r.labels).toBeUndefined();
    expect(r.annotations).toBeUndefined();
  });
  it('passes binary values through templates byte for byte, as Go does', () => {
    const bin = new Uint8Array([0xfe, 0xed, 0x00, 0x80, 0x41]);
    const r = applyTemplate(es({ data: { raw: '{{ .jks }}', b64: '{{ .jks | b64enc }}' } }), { jks: bin });
    expect(r.data.raw).toEqual(bin);
    expect(new TextDecoder().decode(r.data.b64)).toBe(Buffer.from(bin).toString('base64'));
  });
});
