// creationPolicy and deletionPolicy on a real control plane, and dataFrom (extract, find,
// rewrite, decoding) through the fake provider.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  apply,
  applyServerSide,
  externalSecret,
  fakeStore,
  getSecret,
  newNamespace,
  plainSecret,
  remove,
  secretData,
  waitEs,
  waitFor,
} from '../lib/kube.js';
import { finishSuite } from '../lib/suite.js';
import { startOperator } from '../lib/operator.js';
import type { OperatorHandle } from '../lib/operator.js';
import { secretValue } from '../lib/values.js';

let op: OperatorHandle;
let ns: string;
const a = secretValue('a');
const b = secretValue('b');
const mine = secretValue('mine');

function store(entries: { key: string; value: string }[]): object {
  return fakeStore(ns, 'fake', entries);
}

const base = [
  { key: 'app-a', value: a },
  { key: 'app-b', value: b },
  { key: 'json', value: JSON.stringify({ user: a, 'pass word': b, nested: { x: 1 } }) },
  { key: 'b64', value: Buffer.from(mine).toString('base64') },
  { key: 'nul', value: Buffer.from([1, 0, 2]).toString('base64') },
  { key: 'eso', value: 'hi-from-eso' },
];

beforeAll(async () => {
  op = await startOperator({ name: 'policies' });
  ns = newNamespace('e2e-pol');
  apply(store(base));
});

afterAll(() => finishSuite(op));

const one = (secretKey = 'v', key = 'app-a') => [{ secretKey, remoteRef: { key } }];

describe('creationPolicy', () => {
  it('Orphan: no owner reference, the Secret outlives its ExternalSecret', async () => {
    apply(
      externalSecret(ns, 'orphan', {
        secretStoreRef: { name: 'fake' },
        target: { creationPolicy: 'Orphan' },
        data: one(),
      }),
    );
    await waitEs(ns, 'orphan');
    expect((await getSecret(ns, 'orphan'))!.metadata!.ownerReferences ?? []).toEqual([]);
    remove('externalsecret', ns, 'orphan');
    await new Promise((r) => setTimeout(r, 3000));
    expect(await secretData(ns, 'orphan')).toEqual({ v: a });
  });

  it('Merge: waits for the target, then adds its keys and leaves the others', async () => {
    apply(
      externalSecret(ns, 'merge', {
        secretStoreRef: { name: 'fake' },
        target: { name: 'shared', creationPolicy: 'Merge' },
        data: one('added'),
      }),
    );
    const es = await waitEs(ns, 'merge', { status: 'False', reason: 'SecretMissing' });
    expect(es.status!.conditions![0]!.message).toMatch(
      /target Secret "shared" does not exist; creationPolicy Merge only merges into an existing Secret/,
    );
    const theirs = secretValue('theirs');
    apply(plainSecret(ns, 'shared', { theirs }));
    await waitEs(ns, 'merge', {}, 30_000);
    expect(await secretData(ns, 'shared')).toEqual({ theirs, added: a });
    const s = (await getSecret(ns, 'shared'))!;
    expect(s.metadata!.ownerReferences ?? []).toEqual([]);
  });

  it('None: syncs without writing a Secret', async () => {
    apply(
      externalSecret(ns, 'none', {
        secretStoreRef: { name: 'fake' },
        target: { creationPolicy: 'None' },
        data: one(),
      }),
    );
    await waitEs(ns, 'none');
    expect(await getSecret(ns, 'none')).toBeUndefined();
  });
});

describe('dataFrom', () => {
  it('extracts JSON objects with conversion or with rewrites in order, and decodes base64', async () => {
    apply(
      externalSecret(ns, 'extract', {
        secretStoreRef: { name: 'fake' },
        dataFrom: [
          // conversionStrategy applies only without rewrite (as ESO): "pass word" -> "pass_U0020_word".
          { extract: { key: 'json', conversionStrategy: 'Unicode' } },
          {
            extract: { key: 'json' },
            rewrite: [
              { regexp: { source: ' ', target: '_' } },
              { transform: { template: 'DB_{{ .value | upper }}' } },
              { regexp: { source: '^DB_NESTED$', target: '' } }, // an empty key is dropped
            ],
          },
        ],
        data: [{ secretKey: 'decoded', remoteRef: { key: 'b64', decodingStrategy: 'Base64' } }],
      }),
    );
    await waitEs(ns, 'extract');
    expect(await secretData(ns, 'extract')).toEqual({
      user: a,
      pass_U0020_word: b,
      nested: '{"x":1}',
      DB_USER: a,
      DB_PASS_WORD: b,
      decoded: mine,
    });
  });

  it('reports a key a rewrite leaves invalid, by name', async () => {
    apply(
      externalSecret(ns, 'bad-rewrite', {
        secretStoreRef: { name: 'fake' },
        dataFrom: [{ extract: { key: 'json' }, rewrite: [{ regexp: { source: '^user$', target: 'u' } }] }],
      }),
    );
    const es = await waitEs(ns, 'bad-rewrite', { status: 'False', reason: 'SecretSyncedError' });
    expect(es.status!.conditions![0]!.message).toContain('dataFrom[0]: invalid key "pass word"');
  });

  it('fails on a NUL byte with nullBytePolicy Fail, and keeps it otherwise', async () => {
    const spec = (policy?: string) => ({
      secretStoreRef: { name: 'fake' },
      data: [
        { secretKey: 'bin', remoteRef: { key: 'nul', decodingStrategy: 'Base64', nullBytePolicy: policy } },
      ],
    });
    apply(externalSecret(ns, 'nul-ok', spec()));
    apply(externalSecret(ns, 'nul-fail', spec('Fail')));
    await waitEs(ns, 'nul-ok');
    expect(Buffer.from((await getSecret(ns, 'nul-ok'))!.data!.bin!, 'base64')).toEqual(
      Buffer.from([1, 0, 2]),
    );
    const es = await waitEs(ns, 'nul-fail', { status: 'False', reason: 'SecretSyncedError' });
    expect(es.status!.conditions![0]!.message).toContain('contains a NUL byte (nullBytePolicy Fail)');
  });

  it('finds keys by name', async () => {
    apply(
      externalSecret(ns, 'find', {
        secretStoreRef: { name: 'fake' },
        dataFrom: [{ find: { name: { regexp: '^app-' } } }],
      }),
    );
    await waitEs(ns, 'find');
    expect(await secretData(ns, 'find')).toEqual({ 'app-a': a, 'app-b': b });
  });
});

describe('migration from ESO', () => {
  it('takes over a Secret ESO wrote without rewriting it: same data-hash, same labels', async () => {
    // What ESO 2.9 writes for this ExternalSecret; the hash is sha3-224 of Go's
    // fmt.Sprintf("%+v", map[string][]byte{"token": []byte("hi-from-eso")}), computed outside Syncret.
    applyServerSide({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'migrated',
        namespace: ns,
        labels: { 'reconcile.external-secrets.io/managed': 'true' },
        annotations: {
          'reconcile.external-secrets.io/data-hash':
            '7981131e08b9622cc2b941be6f04faa1344a7c5b5bd0daf81730c467',
        },
      },
      type: 'Opaque',
      data: { token: Buffer.from('hi-from-eso').toString('base64') },
    });
    const before = (await getSecret(ns, 'migrated'))!.metadata!.resourceVersion;
    // Server-side apply: kubectl's last-applied annotation would be copied to the Secret (as ESO does).
    applyServerSide(
      externalSecret(ns, 'migrated', {
        secretStoreRef: { name: 'fake' },
        target: { creationPolicy: 'Orphan' },
        data: [{ secretKey: 'token', remoteRef: { key: 'eso' } }],
      }),
    );
    await waitEs(ns, 'migrated');
    expect((await getSecret(ns, 'migrated'))!.metadata!.resourceVersion).toBe(before);
  });
});

describe('deletionPolicy when the provider returns nothing', () => {
  it('Delete removes the Secret, Retain keeps it, Merge drops only its keys', async () => {
    for (const policy of ['Delete', 'Retain', 'Merge']) {
      apply(
        externalSecret(ns, `del-${policy.toLowerCase()}`, {
          refreshInterval: '1h',
          secretStoreRef: { name: 'fake' },
          target: { deletionPolicy: policy },
          dataFrom: [{ find: { name: { regexp: '^app-' } } }],
        }),
      );
    }
    for (const policy of ['delete', 'retain', 'merge']) await waitEs(ns, `del-${policy}`);
    // The store loses every matching key; the store change re-syncs its ExternalSecrets.
    apply(store(base.filter((e) => !e.key.startsWith('app-'))));
    await waitFor(
      'Delete to remove the Secret',
      async () => (await getSecret(ns, 'del-delete')) === undefined,
      { timeoutMs: 15_000 },
    );
    const del = await waitEs(ns, 'del-delete', { status: 'True', reason: 'SecretDeleted' });
    expect(del.status!.conditions![0]!.message).toBe(
      'the provider returned no data; the Secret is deleted (deletionPolicy Delete)',
    );
    await waitFor(
      'Merge to drop its keys',
      async () => {
        const s = await getSecret(ns, 'del-merge');
        return s !== undefined && Object.keys(s.data ?? {}).length === 0;
      },
      { timeoutMs: 15_000 },
    );
    expect(await secretData(ns, 'del-retain')).toEqual({ 'app-a': a, 'app-b': b });
    apply(store(base));
  });
});
