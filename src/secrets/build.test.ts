import { describe, expect, it } from '@jest/globals';
import type { ExternalSecret } from '../api/types.js';
import {
  DATA_HASH_ANNOTATION,
  MANAGED_LABEL,
  desiredSecret,
  hashSecretData,
  validSecretKey,
} from './build.js';

const enc = (s: string) => new TextEncoder().encode(s);
const es: ExternalSecret = {
  metadata: { name: 'es', namespace: 'ns', uid: 'u1' },
  spec: {
    target: {
      template: { type: 'kubernetes.io/tls', metadata: { labels: { a: '1' }, annotations: { b: '2' } } },
    },
  },
};

describe('desiredSecret', () => {
  it('builds an owned Secret with labels, annotations, type and a data hash', () => {
    const r = desiredSecret({
      es,
      data: { 'tls.crt': enc('c'), 'tls.key': enc('k') },
      targetName: 't',
      creation: 'Owner',
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.secret).toMatchObject({
      type: 'kubernetes.io/tls',
      metadata: {
        name: 't',
        namespace: 'ns',
        labels: { a: '1', [MANAGED_LABEL]: 'true' },
        annotations: { b: '2', [DATA_HASH_ANNOTATION]: r.hash },
      },
      data: { 'tls.crt': 'Yw==', 'tls.key': 'aw==' },
    });
    expect(r.secret.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'external-secrets.io/v1',
        kind: 'ExternalSecret',
        name: 'es',
        uid: 'u1',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(r.hash).toBe(hashSecretData(r.secret.data!));
  });
  it('owns only data and metadata for Merge, and no owner for Orphan', () => {
    const m = desiredSecret({ es, data: { a: enc('x') }, targetName: 't', creation: 'Merge' });
    expect(m.ok && m.secret.type).toBeUndefined();
    expect(m.ok && m.secret.metadata.ownerReferences).toBeUndefined();
    const o = desiredSecret({ es, data: { a: enc('x') }, targetName: 't', creation: 'Orphan' });
    expect(o.ok && o.secret.metadata.ownerReferences).toBeUndefined();
    expect(o.ok && o.secret.type).toBe('kubernetes.io/tls');
  });
  it('rejects invalid keys and data over 1 MiB with messages that carry no values', () => {
    const bad = desiredSecret({ es, data: { 'a/b': enc('s3cr3t') }, targetName: 't', creation: 'Owner' });
    expect(bad).toMatchObject({ ok: false, reason: 'InvalidKey' });
    expect(!bad.ok && bad.message).toContain('"a/b"');
    expect(!bad.ok && bad.message).not.toContain('s3cr3t');
    const big = desiredSecret({
      es,
      data: { a: new Uint8Array(1024 * 1024) },
      targetName: 't',
      creation: 'Owner',
    });
    expect(big).toMatchObject({ ok: false, reason: 'SecretTooLarge' });
    expect(!big.ok && big.message).toBe(
      'the Secret data would be 1048577 bytes, over the Kubernetes limit of 1048576 bytes',
    );
  });
});

describe('hashSecretData and validSecretKey', () => {
  it('hashes independent of key order and sensitive to values and key boundaries', () => {
    expect(hashSecretData({ a: 'x', b: 'y' })).toBe(hashSecretData({ b: 'y', a: 'x' }));
    expect(hashSecretData({ a: 'x' })).not.toBe(hashSecretData({ a: 'y' }));
    expect(hashSecretData({ ab: 'c' })).not.toBe(hashSecretData({ a: 'bc' }));
  });
  it('accepts Kubernetes Secret keys only', () => {
    for (const k of ['a', 'A-b_c.d', '.dot']) expect(validSecretKey(k)).toBe(true);
    for (const k of ['', '.', '..', 'a/b', 'a b', 'x'.repeat(254)]) expect(validSecretKey(k)).toBe(false);
  });
});
