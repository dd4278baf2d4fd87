import { describe, expect, it } from '@jest/globals';
import type { ExternalSecret } from '../../api/types.js';
import { hashSecretData } from '../../secrets/secret-data.js';
import { DATA_HASH_ANNOTATION, MANAGED_LABEL, OWNER_LABEL } from './ownership.js';
import { buildTarget, desiredSecret } from './target.js';
import type { TargetSecretInfo } from './target.js';

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
    // As ESO: the template's type is set for Merge too; without one the type is left alone.
    expect(m.ok && m.secret.type).toBe('kubernetes.io/tls');
    const plain: ExternalSecret = { ...es, spec: {} };
    const m2 = desiredSecret({ es: plain, data: { a: enc('x') }, targetName: 't', creation: 'Merge' });
    expect(m2.ok && m2.secret.type).toBeUndefined();
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
      data: { a: new Uint8Array(1024 * 1024 + 1) },
      targetName: 't',
      creation: 'Owner',
    });
    expect(big).toMatchObject({ ok: false, reason: 'SecretTooLarge' });
    expect(!big.ok && big.message).toBe(
      'the Secret data would be 1048577 bytes, over the Kubernetes limit of 1048576 bytes',
    );
  });
});

describe('ESO compatibility of the markers', () => {
  it("hashes data as ESO's ObjectHash: sha3-224 of Go's %+v of map[string][]byte", () => {
    // fmt renders map[string][]byte{"a": "hi", "b": {}} as `map[a:[104 105] b:[]]`.
    const want = '7ea3465c6776a2d21a7c6afaa765c3abc9e38a7cb9b4d770456f0b89';
    // The desired Secret hashes its data as bytes, the watched one as base64: both must agree.
    const hashOf = (data: Record<string, Uint8Array>): string => {
      const r = desiredSecret({ es, data, targetName: 't' });
      if (!r.ok) throw new Error(r.message);
      return r.hash;
    };
    expect(hashSecretData({ b: '', a: 'aGk=' })).toBe(want);
    expect(hashOf({ a: enc('hi'), b: new Uint8Array(0) })).toBe(want);
    expect(hashOf({})).toBe('74a974446e359fb3e6baff9bd0058950e6edd0f040888d9989b0a11b');
    const big = new Uint8Array(40_000).fill(255);
    expect(hashOf({ k: big })).toBe(hashSecretData({ k: Buffer.from(big).toString('base64') }));
  });
  it('labels an owned Secret with the hash of namespace/name, only for creationPolicy Owner', () => {
    const r = desiredSecret({ es, data: { a: enc('x') }, targetName: 't', creation: 'Owner' });
    expect(r.ok && r.secret.metadata.labels?.[OWNER_LABEL]).toBe(
      '473f360fa863099bd839b638c87dd73ea1c481336f7f6b47b7eef4bb',
    );
    const o = desiredSecret({ es, data: { a: enc('x') }, targetName: 't', creation: 'Orphan' });
    expect(o.ok && o.secret.metadata.labels?.[OWNER_LABEL]).toBeUndefined();
  });
  it("copies the ExternalSecret's labels and annotations when there is no template", () => {
    const plain: ExternalSecret = { ...es, metadata: { ...es.metadata, labels: { team: 'a' } }, spec: {} };
    const r = desiredSecret({ es: plain, data: { a: enc('x') }, creation: 'Owner' });
    expect(r.ok && r.secret.metadata.labels).toMatchObject({ team: 'a', [MANAGED_LABEL]: 'true' });
    expect(r.ok && r.secret.type).toBe('Opaque');
  });
  it('hashes the merged data for creationPolicy Merge, as ESO writes the whole Secret', () => {
    const r = desiredSecret({
      es,
      data: { a: enc('hi') },
      creation: 'Merge',
      existing: { data: { b: '', a: 'b2xk' } },
    });
    expect(r.ok && r.hash).toBe('7ea3465c6776a2d21a7c6afaa765c3abc9e38a7cb9b4d770456f0b89');
  });
});

describe('creationPolicy CreateOrMerge (ESO 2.9)', () => {
  const plain: ExternalSecret = { metadata: { name: 'es', namespace: 'ns', uid: 'u1' }, spec: {} };
  const existing = (data: Record<string, string>, type = 'kubernetes.io/tls'): TargetSecretInfo => ({
    name: 't',
    uid: 'other-uid',
    labels: {},
    annotations: {},
    ownerReferences: [],
    type,
    dataHash: hashSecretData(data),
    drifted: false,
    data,
  });
  const build = (target: TargetSecretInfo | undefined, data = { a: enc('x') }) =>
    buildTarget({ es: plain, data, target, targetName: 't', creation: 'CreateOrMerge' });

  it('creates a missing Secret, Opaque, unowned and without the owner label', () => {
    const r = build(undefined);
    expect(r.ok && r.write?.op).toBe('apply');
    if (!r.ok || r.write?.op !== 'apply') return;
    expect(r.write.created).toBe(true);
    expect(r.write.body.type).toBe('Opaque');
    expect(r.write.body.metadata.ownerReferences).toBeUndefined();
    expect(r.write.body.metadata.labels).toEqual({ [MANAGED_LABEL]: 'true' });
  });
  it('merges into an existing Secret: its type and other keys stay, the hash covers all', () => {
    const r = build(existing({ other: 'b3RoZXI=' }));
    if (!r.ok || r.write?.op !== 'apply') throw new Error('expected an apply');
    expect(r.write.created).toBe(false);
    expect(r.write.body.type).toBeUndefined();
    expect(r.write.body.data).toEqual({ a: 'eA==' });
    expect(r.write.body.metadata.annotations?.[DATA_HASH_ANNOTATION]).toBe(
      hashSecretData({ other: 'b3RoZXI=', a: 'eA==' }),
    );
  });
  it('writes nothing when its keys are already there, and never recreates a Secret it does not own', () => {
    const hash = hashSecretData({ other: 'b3RoZXI=', a: 'eA==' });
    const t = existing({ other: 'b3RoZXI=', a: 'eA==' });
    t.labels = { [MANAGED_LABEL]: 'true' };
    t.annotations = { [DATA_HASH_ANNOTATION]: hash };
    expect(build(t)).toEqual({ ok: true, ready: expect.objectContaining({ status: 'True' }) });
    // An immutable Secret whose data would change is not deleted and recreated.
    const frozen = { ...existing({ a: 'eQ==' }), immutable: true };
    const r = build(frozen);
    expect(r.ok && r.write?.op).toBe('apply');
  });
});
