// ESO 2.9's ExternalSecret fields on the real control plane: syncWindows (a due refresh held by
// a deny window and resumed when it closes, and let through by an allow window, with values
// changing in a real OpenBao), creationPolicy CreateOrMerge, rewrite merge, find's
// nullBytePolicy, templateFrom valuesDecodingStrategy, the apiserver's verdict on the new CEL
// rules, and the same fields written as v1beta1 read back unchanged as v1.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  apply,
  externalSecret,
  fakeStore,
  getCustom,
  getSecret,
  newNamespace,
  plainSecret,
  remove,
  secretData,
  tryApply,
  waitEs,
  waitFor,
} from '../lib/kube.js';
import { startOperator } from '../lib/operator.js';
import type { OperatorHandle } from '../lib/operator.js';
import { finishSuite } from '../lib/suite.js';
import { secretValue } from '../lib/values.js';
import { bao, kv2Put, mountKv, policy, suffix, vaultStore } from '../lib/vault.js';

let op: OperatorHandle;
let ns: string;
const kv = `kv-fields-${suffix()}`;
const v = {
  old: secretValue('old'),
  next: secretValue('next'),
  user: secretValue('user'),
  host: secretValue('host'),
  theirs: secretValue('theirs'),
  tls: secretValue('tls'),
  token: secretValue('token'),
};

beforeAll(async () => {
  op = await startOperator({ name: 'eso-fields' });
  ns = newNamespace('e2e-fields');
  await mountKv(kv, 2);
  await policy(`read-${kv}`, `path "${kv}/*" { capabilities = ["read", "list"] }`);
  await bao('POST', 'auth/token/create', { id: v.token, policies: [`read-${kv}`], ttl: '1h' });
  apply(
    plainSecret(ns, 'bao-token', { token: v.token }),
    vaultStore(ns, 'bao', { path: kv, auth: { tokenSecretRef: { name: 'bao-token', key: 'token' } } }),
    fakeStore(ns, 'fake', [
      { key: 'app/db', value: JSON.stringify({ user: v.user, port: 5432 }) },
      { key: 'app/net', value: JSON.stringify({ host: v.host, opts: { tls: true } }) },
      { key: 'nul', value: Buffer.from([0x61, 0, 0x62]).toString('base64') },
      { key: 'cert', value: Buffer.from(v.tls).toString('base64') },
      { key: 'dup/a', value: JSON.stringify({ k: v.user }) },
      { key: 'dup/b', value: JSON.stringify({ k: v.host }) },
    ]),
  );
});

afterAll(() => finishSuite(op));

/** A UTC cron schedule that fired at the start of the current minute, and how long ago. */
function thisMinute(): { schedule: string; elapsedS: number } {
  const now = new Date();
  return {
    schedule: `${now.getUTCMinutes()} ${now.getUTCHours()} * * *`,
    elapsedS: now.getUTCSeconds() + 1,
  };
}

describe('syncWindows', () => {
  it('holds due refreshes in a deny window, resumes when it closes, and lets an allow window through', async () => {
    for (const key of ['deny', 'allow', 'closing']) await kv2Put(kv, key, { value: v.old });
    const always = [{ schedule: '* * * * *', duration: '1h' }];
    const m = thisMinute();
    const closesInS = 25;
    const closesAt = Date.now() + closesInS * 1000;
    const es = (name: string, syncWindows: object) =>
      externalSecret(ns, name, {
        secretStoreRef: { name: 'bao' },
        refreshInterval: '10s',
        syncWindows,
        data: [{ secretKey: 'value', remoteRef: { key: name, property: 'value' } }],
      });
    apply(
      es('deny', { kind: 'deny', windows: always }),
      es('allow', { kind: 'allow', windows: always }),
      es('closing', {
        kind: 'deny',
        windows: [{ schedule: m.schedule, duration: `${m.elapsedS + closesInS}s` }],
      }),
    );
    // The first sync is never held.
    for (const name of ['deny', 'allow', 'closing']) await waitEs(ns, name);
    for (const name of ['deny', 'allow', 'closing']) await kv2Put(kv, name, { value: v.next });

    await waitFor('the allow window lets the refresh through', async () => {
      return (await secretData(ns, 'allow'))?.value === v.next || undefined;
    });
    // Well past the 10 s interval: the deny windows still hold both.
    await new Promise((r) => setTimeout(r, 12_000));
    expect((await secretData(ns, 'deny'))?.value).toBe(v.old);
    if (Date.now() < closesAt) expect((await secretData(ns, 'closing'))?.value).toBe(v.old);

    await waitFor(
      'the closing window ends and the refresh runs',
      async () => (await secretData(ns, 'closing'))?.value === v.next || undefined,
      { timeoutMs: closesInS * 1000 + 20_000 },
    );
    expect(Date.now()).toBeGreaterThanOrEqual(closesAt - 2000);
    // A spec change is never held.
    apply(
      externalSecret(ns, 'deny', {
        secretStoreRef: { name: 'bao' },
        refreshInterval: '11s',
        syncWindows: { kind: 'deny', windows: always },
        data: [{ secretKey: 'value', remoteRef: { key: 'deny', property: 'value' } }],
      }),
    );
    await waitFor('a spec change syncs inside a deny window', async () => {
      return (await secretData(ns, 'deny'))?.value === v.next || undefined;
    });
  }, 90_000);

  it('refuses a schedule ESO refuses (the CRD pattern), and reports a bad duration', async () => {
    const bad = tryApply(
      externalSecret(ns, 'bad-window', {
        secretStoreRef: { name: 'fake' },
        syncWindows: { kind: 'allow', windows: [{ schedule: '0 22 * *', duration: '1h' }] },
        data: [{ secretKey: 'v', remoteRef: { key: 'cert' } }],
      }),
    );
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toContain('spec.syncWindows.windows[0].schedule');
    apply(
      externalSecret(ns, 'bad-duration', {
        secretStoreRef: { name: 'fake' },
        syncWindows: { kind: 'allow', windows: [{ schedule: '@daily', duration: 'a day' }] },
        data: [{ secretKey: 'v', remoteRef: { key: 'cert' } }],
      }),
    );
    await waitEs(ns, 'bad-duration', { status: 'False', reason: 'InvalidSpec', message: /duration/ });
  });
});

describe('creationPolicy CreateOrMerge', () => {
  const spec = (target: string) => ({
    secretStoreRef: { name: 'fake' },
    target: { name: target, creationPolicy: 'CreateOrMerge' },
    data: [{ secretKey: 'cert', remoteRef: { key: 'cert' } }],
  });

  it('merges into an existing Secret and leaves its keys, owner and type alone', async () => {
    apply(plainSecret(ns, 'shared', { theirs: v.theirs }));
    apply(externalSecret(ns, 'com-merge', spec('shared')));
    await waitEs(ns, 'com-merge');
    await waitFor('both keys', async () => {
      const d = await secretData(ns, 'shared');
      return d?.cert && d.theirs === v.theirs ? d : undefined;
    });
    const s = (await getSecret(ns, 'shared'))!;
    expect(s.metadata?.ownerReferences ?? []).toEqual([]);
    expect(s.type).toBe('Opaque');
  });

  it('creates a missing Secret without an owner, recreates it when deleted, and keeps it after', async () => {
    apply(externalSecret(ns, 'com-create', spec('created')));
    await waitEs(ns, 'com-create');
    const s = (await getSecret(ns, 'created'))!;
    expect(s.metadata?.ownerReferences ?? []).toEqual([]);
    expect(s.metadata?.labels?.['reconcile.external-secrets.io/managed']).toBe('true');
    expect(s.metadata?.labels?.['reconcile.external-secrets.io/created-by']).toBeUndefined();
    remove('secret', ns, 'created');
    await waitFor('recreated', async () =>
      (await getSecret(ns, 'created'))?.metadata?.uid !== s.metadata?.uid ? true : undefined,
    );
    remove('externalsecret', ns, 'com-create');
    await new Promise((r) => setTimeout(r, 3000));
    expect(await getSecret(ns, 'created')).toBeDefined();
  });

  it('cannot be combined with deletionPolicy Delete', () => {
    const r = tryApply(
      externalSecret(ns, 'com-delete', {
        ...spec('x'),
        target: { creationPolicy: 'CreateOrMerge', deletionPolicy: 'Delete' },
      }),
    );
    expect(!r.ok && r.error).toContain('deletionPolicy Delete needs a Secret this ExternalSecret creates');
  });
});

describe('dataFrom and templates', () => {
  it('merges JSON values with rewrite merge (Extract and JSON strategies)', async () => {
    apply(
      externalSecret(ns, 'merged', {
        secretStoreRef: { name: 'fake' },
        dataFrom: [
          { find: { name: { regexp: '^app/' } }, rewrite: [{ merge: {} }] },
          {
            find: { name: { regexp: '^app/' } },
            rewrite: [
              { merge: { strategy: 'JSON', into: 'all', priority: ['app/net'] } },
              { regexp: { source: '/', target: '-' } },
            ],
          },
        ],
      }),
    );
    await waitEs(ns, 'merged');
    const d = (await secretData(ns, 'merged'))!;
    expect(d).toMatchObject({ user: v.user, port: '5432', host: v.host, opts: '{"tls":true}' });
    expect(JSON.parse(d.all!)).toEqual({ user: v.user, port: 5432, host: v.host, opts: { tls: true } });
    expect(d['app-db']).toBeDefined();
  });

  it('fails a merge conflict naming the field (never a value), unless conflictPolicy Ignore', async () => {
    const es = (name: string, merge: object) =>
      externalSecret(ns, name, {
        secretStoreRef: { name: 'fake' },
        dataFrom: [{ find: { name: { regexp: '^dup/' } }, rewrite: [{ merge }] }],
      });
    apply(es('conflict', {}), es('conflict-ignored', { conflictPolicy: 'Ignore', priority: ['dup/a'] }));
    const failed = await waitEs(ns, 'conflict', { status: 'False' });
    expect(failed.status!.conditions![0]!.message).toBe(
      'dataFrom[0].rewrite[0].merge: fields found in more than one value: "k" (conflictPolicy Ignore lets the later value win)',
    );
    await waitEs(ns, 'conflict-ignored');
    expect(await secretData(ns, 'conflict-ignored')).toEqual({ k: v.user });
  });

  it('fails values with NUL bytes under find.nullBytePolicy Fail only', async () => {
    const es = (name: string, policy?: string) =>
      externalSecret(ns, name, {
        secretStoreRef: { name: 'fake' },
        dataFrom: [
          { find: { name: { regexp: '^nul$' }, decodingStrategy: 'Base64', nullBytePolicy: policy } },
        ],
      });
    apply(es('nul-fail', 'Fail'), es('nul-ignore', 'Ignore'));
    await waitEs(ns, 'nul-ignore');
    const failed = await waitEs(ns, 'nul-fail', { status: 'False' });
    expect(failed.status!.conditions![0]!.message).toMatch(/NUL/);
  });

  it('decodes rendered templateFrom values with valuesDecodingStrategy', async () => {
    apply(
      externalSecret(ns, 'decoded', {
        secretStoreRef: { name: 'fake' },
        data: [{ secretKey: 'b64', remoteRef: { key: 'cert' } }],
        target: {
          template: {
            templateFrom: [{ literal: 'tls.crt: "{{ .b64 }}"', valuesDecodingStrategy: 'Base64' }],
          },
        },
      }),
    );
    await waitEs(ns, 'decoded');
    expect(await secretData(ns, 'decoded')).toEqual({ 'tls.crt': v.tls });
  });

  it('refuses a templateFrom path into a Secret, accepts one for another kind', () => {
    const r = tryApply(
      externalSecret(ns, 'path', {
        secretStoreRef: { name: 'fake' },
        data: [{ secretKey: 'b64', remoteRef: { key: 'cert' } }],
        target: { template: { templateFrom: [{ literal: 'x: y', target: 'metadata.ownerReferences' }] } },
      }),
    );
    expect(!r.ok && r.error).toContain('templateFrom target must be Data, Annotations or Labels');
  });
});

describe('v1beta1', () => {
  it('keeps every new field when written as v1beta1 and read as v1', async () => {
    const spec = {
      secretStoreRef: { name: 'fake' },
      syncWindows: { kind: 'deny', windows: [{ schedule: '@every 1h', duration: '1m' }] },
      target: { creationPolicy: 'CreateOrMerge' },
      dataFrom: [
        {
          find: { name: { regexp: '^app/' }, nullBytePolicy: 'Ignore' },
          rewrite: [{ merge: { priority: ['app/net'], conflictPolicy: 'Ignore', priorityPolicy: 'Strict' } }],
        },
      ],
    };
    apply({ ...(externalSecret(ns, 'beta', spec) as object), apiVersion: 'external-secrets.io/v1beta1' });
    const back = await getCustom('externalsecrets', ns, 'beta');
    expect(back?.spec).toEqual(spec);
    await waitEs(ns, 'beta');
    expect(await secretData(ns, 'beta')).toMatchObject({ user: v.user, host: v.host });
  });
});
