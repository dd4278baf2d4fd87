// PushSecret into a real OpenBao: KV v2 and v1, whole Secrets, properties merged into remote
// JSON, ESO's ownership marker, checkAndSet, IfNotExists, a remote owned by someone else,
// deletionPolicy Delete and None, an outage (sealed), and writes counted in OpenBao's audit
// log: an unchanged value costs no write.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { apply, kubectl, newNamespace, plainSecret, remove, waitFor } from '../lib/kube.js';
import { startOperator } from '../lib/operator.js';
import type { OperatorHandle } from '../lib/operator.js';
import { forceSync, getPush, pushSecret, pushStatus, vaultWrites, waitPush } from '../lib/push.js';
import { finishSuite } from '../lib/suite.js';
import { secretValue } from '../lib/values.js';
import { bao, kv2Put, mountKv, policy, seal, suffix, unseal, vaultStore } from '../lib/vault.js';

let op: OperatorHandle;
let ns: string;
const sfx = suffix();
const kv2 = `push2-${sfx}`;
const kv1 = `push1-${sfx}`;
const cas = `pushcas-${sfx}`;
const writer = `syncret-push-${sfx}`;

const v = {
  token: secretValue('push-token'),
  password: secretValue('pw'),
  password2: secretValue('pw2'),
  user: secretValue('user'),
  keep: secretValue('keep'),
  foreign: secretValue('foreign'),
  json: secretValue('json'),
  outage: secretValue('outage'),
};

type Kv = Record<string, unknown>;
const managed = { 'managed-by': 'external-secrets' };

async function kv2Read(mount: string, key: string): Promise<{ data?: Kv; meta?: Kv } | undefined> {
  const d = await bao('GET', `${mount}/data/${key}`, undefined, { allow: [404] });
  const m = await bao('GET', `${mount}/metadata/${key}`, undefined, { allow: [404] });
  if (m.status === 404) return undefined;
  return {
    data: (d.body.data as { data?: Kv } | undefined)?.data,
    meta: (m.body.data as { custom_metadata?: Kv } | undefined)?.custom_metadata,
  };
}

async function kv1Read(key: string): Promise<Kv | undefined> {
  const r = await bao('GET', `${kv1}/${key}`, undefined, { allow: [404] });
  return r.status === 404 ? undefined : (r.body.data as Kv);
}

function source(name: string, data: Record<string, string>): object {
  return plainSecret(ns, name, data);
}

const store = (name: string, extra: Record<string, unknown>) =>
  vaultStore(ns, name, { auth: { tokenSecretRef: { name: 'push-token', key: 'token' } }, ...extra });

beforeAll(async () => {
  op = await startOperator({ name: 'push-vault' });
  ns = newNamespace('e2e-push-vault');
  await mountKv(kv2, 2);
  await mountKv(kv1, 1);
  await mountKv(cas, 2);
  await bao('POST', `${cas}/config`, { cas_required: true });
  await policy(
    writer,
    [kv2, kv1, cas]
      .map((m) => `path "${m}/*" { capabilities = ["create", "read", "update", "delete", "list"] }`)
      .join('\n'),
  );
  await bao('POST', 'auth/token/create', { id: v.token, policies: [writer], ttl: '2h' });
  apply(
    plainSecret(ns, 'push-token', { token: v.token }),
    store('kv2', { path: kv2, version: 'v2' }),
    store('kv1', { path: kv1, version: 'v1' }),
    store('cas', { path: cas, version: 'v2', checkAndSet: { required: true } }),
  );
});

afterAll(() => finishSuite(op));

describe('PushSecret into Vault KV v2', () => {
  it('creates each remote with the ownership marker, then follows the source at once', async () => {
    apply(source('app', { password: v.password, user: v.user, config: JSON.stringify({ url: v.json }) }));
    apply(
      pushSecret(ns, 'app', {
        secretStoreRefs: [{ name: 'kv2' }],
        selector: { secret: { name: 'app' } },
        data: [
          { match: { secretKey: 'password', remoteRef: { remoteKey: 'app/db', property: 'password' } } },
          { match: { secretKey: 'config', remoteRef: { remoteKey: 'app/config' } } },
          { match: { remoteRef: { remoteKey: 'app/all' } } },
        ],
      }),
    );
    const ps = await waitPush(ns, 'app', { reason: 'Synced', message: /^PushSecret synced successfully$/ });
    expect(Object.keys(pushStatus(ps).syncedPushSecrets?.['SecretStore/kv2'] ?? {}).sort()).toEqual([
      'app/all',
      'app/config',
      'app/db/password',
    ]);
    expect(await kv2Read(kv2, 'app/db')).toEqual({ data: { password: v.password }, meta: managed });
    expect((await kv2Read(kv2, 'app/config'))?.data).toEqual({ url: v.json });
    expect((await kv2Read(kv2, 'app/all'))?.data).toEqual({
      config: JSON.stringify({ url: v.json }),
      password: v.password,
      user: v.user,
    });

    // The source Secret is watched: an edit is pushed without waiting for the refresh (1h).
    const began = Date.now();
    apply(source('app', { password: v.password2, user: v.user, config: JSON.stringify({ url: v.json }) }));
    // Both remotes that hold it: one run writes them one after the other, and the next test
    // counts writes from here.
    await waitFor(
      'the new password in Vault',
      async () =>
        (await kv2Read(kv2, 'app/db'))?.data?.password === v.password2 &&
        (await kv2Read(kv2, 'app/all'))?.data?.password === v.password2,
    );
    expect(Date.now() - began).toBeLessThan(10_000);
  });

  it('writes nothing when the value did not change (audit log)', async () => {
    const from = vaultWrites(kv2).lines;
    const before = pushStatus(await getPush(ns, 'app')).refreshTime ?? '';
    await new Promise((r) => setTimeout(r, 1100)); // refreshTime has second precision
    forceSync(ns, 'app', kubectl);
    await waitPush(ns, 'app', { after: before });
    const { writes } = vaultWrites(kv2, from);
    expect(writes).toEqual([]);
    const versions = (await bao('GET', `${kv2}/metadata/app/db`)).body.data as { current_version?: number };
    expect(versions.current_version).toBe(2);
  });

  it('merges a property into a remote ESO created, keeping its other keys', async () => {
    // As ESO leaves it after a migration: its marker, and a key another entry wrote.
    await kv2Put(kv2, 'shared/merged', { keep: v.keep }, managed);
    apply(
      pushSecret(ns, 'merge', {
        secretStoreRefs: [{ name: 'kv2' }],
        selector: { secret: { name: 'app' } },
        data: [{ match: { secretKey: 'user', remoteRef: { remoteKey: 'shared/merged', property: 'user' } } }],
      }),
    );
    await waitPush(ns, 'merge');
    expect((await kv2Read(kv2, 'shared/merged'))?.data).toEqual({ keep: v.keep, user: v.user });
  });

  it('refuses a remote someone else owns, and leaves it as it was', async () => {
    await kv2Put(kv2, 'foreign/x', { value: v.foreign });
    apply(
      pushSecret(ns, 'foreign', {
        secretStoreRefs: [{ name: 'kv2' }],
        selector: { secret: { name: 'app' } },
        data: [
          { match: { secretKey: 'password', remoteRef: { remoteKey: 'foreign/x', property: 'value' } } },
        ],
      }),
    );
    const ps = await waitPush(ns, 'foreign', { status: 'False', reason: 'Errored' });
    expect(ps.status?.conditions?.[0]?.message).toMatch(
      /foreign\/x.*not created by Syncret or ESO \(no custom_metadata managed-by=external-secrets\)/,
    );
    expect((await kv2Read(kv2, 'foreign/x'))?.data).toEqual({ value: v.foreign });
  });

  it('IfNotExists creates what is missing and leaves what exists', async () => {
    await kv2Put(kv2, 'once/existing', { value: v.foreign });
    apply(
      pushSecret(ns, 'once', {
        updatePolicy: 'IfNotExists',
        secretStoreRefs: [{ name: 'kv2' }],
        selector: { secret: { name: 'app' } },
        data: [
          { match: { secretKey: 'password', remoteRef: { remoteKey: 'once/existing', property: 'value' } } },
          { match: { secretKey: 'password', remoteRef: { remoteKey: 'once/new', property: 'value' } } },
        ],
      }),
    );
    await waitPush(ns, 'once', { message: /Existing secrets in providers unchanged/ });
    expect((await kv2Read(kv2, 'once/existing'))?.data).toEqual({ value: v.foreign });
    expect(await kv2Read(kv2, 'once/new')).toEqual({ data: { value: v.password2 }, meta: managed });
  });

  it('deletionPolicy Delete removes what it owns (an old remote key at once), None leaves it', async () => {
    await kv2Put(kv2, 'del/foreign', { value: v.foreign });
    const spec = (remoteKey: string, policy: string) => ({
      deletionPolicy: policy,
      secretStoreRefs: [{ name: 'kv2' }],
      selector: { secret: { name: 'app' } },
      data: [
        { match: { secretKey: 'password', remoteRef: { remoteKey, property: 'value' } } },
        { match: { secretKey: 'user', remoteRef: { remoteKey: 'del/foreign', property: 'user' } } },
      ],
    });
    apply(
      pushSecret(ns, 'del', {
        ...spec('del/one', 'Delete'),
        data: spec('del/one', 'Delete').data.slice(0, 1),
      }),
    );
    await waitPush(ns, 'del');
    expect((await getPush(ns, 'del'))?.metadata.finalizers).toEqual([
      'pushsecret.externalsecrets.io/finalizer',
    ]);
    expect((await kv2Read(kv2, 'del/one'))?.data).toEqual({ value: v.password2 });
    apply(
      pushSecret(ns, 'del', {
        ...spec('del/two', 'Delete'),
        data: spec('del/two', 'Delete').data.slice(0, 1),
      }),
    );
    await waitFor('the old remote key deleted', async () => (await kv2Read(kv2, 'del/one')) === undefined);
    expect((await kv2Read(kv2, 'del/two'))?.data).toEqual({ value: v.password2 });
    remove('pushsecret', ns, 'del');
    await waitFor('the PushSecret gone', async () => (await getPush(ns, 'del')) === undefined);
    expect(await kv2Read(kv2, 'del/two')).toBeUndefined();

    apply(pushSecret(ns, 'keep', spec('del/kept', 'None')));
    await waitPush(ns, 'keep', { status: 'False' }); // del/foreign is not ours
    expect((await getPush(ns, 'keep'))?.metadata.finalizers).toBeUndefined();
    remove('pushsecret', ns, 'keep');
    await waitFor('the PushSecret gone', async () => (await getPush(ns, 'keep')) === undefined);
    expect((await kv2Read(kv2, 'del/kept'))?.data).toEqual({ value: v.password2 });
    expect((await kv2Read(kv2, 'del/foreign'))?.data).toEqual({ value: v.foreign });
  });

  it('checkAndSet: creates with cas 0 and updates at the version it read', async () => {
    apply(
      pushSecret(ns, 'cas', {
        secretStoreRefs: [{ name: 'cas' }],
        selector: { secret: { name: 'app' } },
        data: [{ match: { secretKey: 'password', remoteRef: { remoteKey: 'db', property: 'password' } } }],
      }),
    );
    await waitPush(ns, 'cas');
    expect(await kv2Read(cas, 'db')).toEqual({ data: { password: v.password2 }, meta: managed });
    apply(source('app', { password: v.password, user: v.user, config: JSON.stringify({ url: v.json }) }));
    await waitFor('the CAS update', async () => (await kv2Read(cas, 'db'))?.data?.password === v.password);
    expect(
      ((await bao('GET', `${cas}/metadata/db`)).body.data as { current_version?: number }).current_version,
    ).toBe(2);
  });
});

describe('PushSecret into Vault KV v1', () => {
  it('keeps the marker in custom_metadata inside the data, and merges properties', async () => {
    await bao('POST', `${kv1}/foreign`, { value: v.foreign });
    apply(
      pushSecret(ns, 'v1', {
        secretStoreRefs: [{ name: 'kv1' }],
        selector: { secret: { name: 'app' } },
        data: [
          { match: { secretKey: 'password', remoteRef: { remoteKey: 'app', property: 'password' } } },
          { match: { secretKey: 'user', remoteRef: { remoteKey: 'app', property: 'user' } } },
        ],
      }),
    );
    await waitPush(ns, 'v1');
    expect(await kv1Read('app')).toEqual({ password: v.password, user: v.user, custom_metadata: managed });
    const from = vaultWrites(kv1).lines;
    const before = pushStatus(await getPush(ns, 'v1')).refreshTime ?? '';
    await new Promise((r) => setTimeout(r, 1100));
    forceSync(ns, 'v1', kubectl);
    await waitPush(ns, 'v1', { after: before });
    expect(vaultWrites(kv1, from).writes).toEqual([]);
  });
});

describe('PushSecret while Vault is down', () => {
  it('retries with backoff, deletes nothing, and pushes once Vault is back', async () => {
    apply(
      pushSecret(ns, 'outage', {
        deletionPolicy: 'Delete',
        secretStoreRefs: [{ name: 'kv2' }],
        selector: { secret: { name: 'outage-src' } },
        data: [{ match: { secretKey: 'value', remoteRef: { remoteKey: 'outage/x', property: 'value' } } }],
      }),
      source('outage-src', { value: v.password }),
    );
    await waitPush(ns, 'outage');
    await seal();
    try {
      apply(source('outage-src', { value: v.outage }));
      const ps = await waitPush(ns, 'outage', { status: 'False', reason: 'Errored', message: /sealed/ });
      expect(Object.keys(pushStatus(ps).syncedPushSecrets?.['SecretStore/kv2'] ?? {})).toEqual([
        'outage/x/value',
      ]);
      await new Promise((r) => setTimeout(r, 3000));
    } finally {
      await unseal();
    }
    // Still there (nothing deleted while failing), and the new value arrives on the backoff.
    await waitFor(
      'the value pushed after the outage',
      async () => (await kv2Read(kv2, 'outage/x'))?.data?.value === v.outage,
      {
        timeoutMs: 45_000,
      },
    );
    await waitPush(ns, 'outage');
  }, 90_000);
});
