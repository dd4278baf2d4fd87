// PushSecret into our Key Vault test server (e2e/tools/servers/keyvault): secrets with ESO's
// tag and metadata (tags, contentType, expirationDate), keys imported from PEM, certificates
// imported from PEM and PKCS#12, nothing written when unchanged (the server's request counts),
// IfNotExists, an object someone else owns, deletionPolicy Delete and None, and an outage
// (injected 503s).

import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  adminClients,
  azureStore,
  clearFaults,
  injectFault,
  kvEnv,
  operatorEnv,
  registerIdentity,
  runPrefix,
  selfSignedPem,
  serverRequests,
} from '../lib/azurekv.js';
import type { AdminClients } from '../lib/azurekv.js';
import { apply, kubectl, newNamespace, plainSecret, remove, waitFor } from '../lib/kube.js';
import { startOperator } from '../lib/operator.js';
import type { OperatorHandle } from '../lib/operator.js';
import { forceSync, getPush, pushSecret, pushStatus, waitPush } from '../lib/push.js';
import { finishSuite } from '../lib/suite.js';
import { secretValue } from '../lib/values.js';

let op: OperatorHandle;
let ns: string;
let kv: AdminClients;
const p = runPrefix();
const n = (s: string): string => `${p}-${s}`;
const clientSecret = secretValue('kvp-client-secret');
const v = {
  password: secretValue('kvp-pw'),
  password2: secretValue('kvp-pw2'),
  foreign: secretValue('kvp-foreign'),
  late: secretValue('kvp-late'),
};
const meta = (spec: object) => ({
  apiVersion: 'kubernetes.external-secrets.io/v1alpha1',
  kind: 'PushSecretMetadata',
  spec,
});
const managed = { 'managed-by': 'external-secrets' };
const rsaPem = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
const cert = selfSignedPem(`${p}.push.example`);

function pkcs12(): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'syncret-p12-'));
  try {
    writeFileSync(join(dir, 'c.pem'), cert.certPem);
    writeFileSync(join(dir, 'k.pem'), cert.keyPem);
    execFileSync(
      'openssl',
      [
        'pkcs12',
        '-export',
        '-in',
        join(dir, 'c.pem'),
        '-inkey',
        join(dir, 'k.pem'),
        '-passout',
        'pass:',
        '-out',
        join(dir, 'b.p12'),
      ],
      { stdio: 'ignore' },
    );
    return readFileSync(join(dir, 'b.p12'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const secretOf = async (name: string) => {
  try {
    return await kv.secrets.getSecret(n(name));
  } catch {
    return undefined;
  }
};

/** Write requests the server counted for this run's objects. */
async function writeCounts(): Promise<Record<string, number>> {
  const { counts } = await serverRequests();
  return Object.fromEntries(
    Object.entries(counts).filter(([k]) => !k.startsWith('GET ') && k.includes(`/${p}-`)),
  );
}

beforeAll(async () => {
  kv = adminClients();
  const clientId = await registerIdentity({ secret: clientSecret });
  await kv.secrets.setSecret(n('theirs'), v.foreign);
  op = await startOperator({ name: 'push-azurekv', env: operatorEnv() });
  ns = newNamespace('e2e-push-azkv');
  apply(
    plainSecret(ns, 'azure-sp', { 'client-id': clientId, 'client-secret': clientSecret }),
    plainSecret(ns, 'app', { password: v.password, key: rsaPem, tls: cert.certPem + cert.keyPem }),
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'p12', namespace: ns },
      data: { 'tls.p12': pkcs12().toString('base64') },
    },
    azureStore(ns, 'kv', {
      tenantId: kvEnv().tenant,
      authSecretRef: {
        clientId: { name: 'azure-sp', key: 'client-id' },
        clientSecret: { name: 'azure-sp', key: 'client-secret' },
      },
    }),
  );
});

afterAll(async () => {
  await clearFaults();
  await finishSuite(op);
});

describe('PushSecret into Azure Key Vault', () => {
  it('sets secrets, imports keys and certificates, then writes nothing while unchanged', async () => {
    apply(
      pushSecret(ns, 'kv', {
        secretStoreRefs: [{ name: 'kv' }],
        selector: { secret: { name: 'app' } },
        data: [
          {
            match: { secretKey: 'password', remoteRef: { remoteKey: n('db') } },
            metadata: meta({
              tags: { team: 'a' },
              contentType: 'text/plain',
              expirationDate: '2036-12-31T20:00:00Z',
            }),
          },
          { match: { secretKey: 'key', remoteRef: { remoteKey: `key/${n('signing')}` } } },
          { match: { secretKey: 'tls', remoteRef: { remoteKey: `cert/${n('tls')}` } } },
        ],
      }),
      pushSecret(ns, 'p12', {
        secretStoreRefs: [{ name: 'kv' }],
        selector: { secret: { name: 'p12' } },
        data: [{ match: { secretKey: 'tls.p12', remoteRef: { remoteKey: `cert/${n('tls-p12')}` } } }],
      }),
    );
    await waitPush(ns, 'kv', { reason: 'Synced' });
    await waitPush(ns, 'p12', { reason: 'Synced' });
    const db = await secretOf('db');
    expect(db?.value).toBe(v.password);
    expect(db?.properties.tags).toEqual({ ...managed, team: 'a' });
    expect(db?.properties.contentType).toBe('text/plain');
    expect(db?.properties.expiresOn?.toISOString()).toBe('2036-12-31T20:00:00.000Z');
    const key = await kv.keys.getKey(n('signing'));
    expect([key.keyType, key.properties.tags]).toEqual(['RSA', managed]);
    for (const name of ['tls', 'tls-p12']) {
      const c = await kv.certs.getCertificate(n(name));
      expect(Buffer.from(c.cer ?? []).equals(cert.der)).toBe(true);
      expect(c.properties.tags).toEqual(managed);
    }

    const before = await writeCounts();
    const last = pushStatus(await getPush(ns, 'kv')).refreshTime ?? '';
    await new Promise((r) => setTimeout(r, 1100));
    forceSync(ns, 'kv', kubectl);
    forceSync(ns, 'p12', kubectl);
    await waitPush(ns, 'kv', { after: last });
    await waitPush(ns, 'p12', { after: last });
    expect(await writeCounts()).toEqual(before);

    apply(plainSecret(ns, 'app', { password: v.password2, key: rsaPem, tls: cert.certPem + cert.keyPem }));
    await waitFor('the new value', async () => (await secretOf('db'))?.value === v.password2);
  });

  it('refuses an object it did not create; IfNotExists leaves it', async () => {
    apply(
      pushSecret(ns, 'theirs', {
        secretStoreRefs: [{ name: 'kv' }],
        selector: { secret: { name: 'app' } },
        data: [{ match: { secretKey: 'password', remoteRef: { remoteKey: n('theirs') } } }],
      }),
      pushSecret(ns, 'once', {
        updatePolicy: 'IfNotExists',
        secretStoreRefs: [{ name: 'kv' }],
        selector: { secret: { name: 'app' } },
        data: [
          { match: { secretKey: 'password', remoteRef: { remoteKey: n('theirs') } } },
          { match: { secretKey: 'password', remoteRef: { remoteKey: n('once') } } },
        ],
      }),
    );
    const refused = await waitPush(ns, 'theirs', { status: 'False', reason: 'Errored' });
    expect(refused.status?.conditions?.[0]?.message).toMatch(
      /not created by Syncret or ESO \(no tag managed-by=external-secrets\)/,
    );
    await waitPush(ns, 'once');
    expect((await secretOf('theirs'))?.value).toBe(v.foreign);
    expect((await secretOf('once'))?.value).toBe(v.password2);
  });

  it('deletionPolicy Delete deletes what it owns; None keeps it', async () => {
    apply(
      pushSecret(ns, 'del', {
        deletionPolicy: 'Delete',
        secretStoreRefs: [{ name: 'kv' }],
        selector: { secret: { name: 'app' } },
        data: [
          { match: { secretKey: 'password', remoteRef: { remoteKey: n('gone') } } },
          { match: { secretKey: 'key', remoteRef: { remoteKey: `key/${n('gone-key')}` } } },
          { match: { secretKey: 'password', remoteRef: { remoteKey: n('theirs') } } },
        ],
      }),
      pushSecret(ns, 'none', {
        secretStoreRefs: [{ name: 'kv' }],
        selector: { secret: { name: 'app' } },
        data: [{ match: { secretKey: 'password', remoteRef: { remoteKey: n('kept') } } }],
      }),
    );
    await waitFor('gone created', async () => (await secretOf('gone'))?.value === v.password2);
    await waitPush(ns, 'none');
    remove('pushsecret', ns, 'del');
    remove('pushsecret', ns, 'none');
    await waitFor('both gone', async () => !(await getPush(ns, 'del')) && !(await getPush(ns, 'none')));
    expect(await secretOf('gone')).toBeUndefined();
    await expect(kv.keys.getKey(n('gone-key'))).rejects.toThrow();
    expect((await secretOf('theirs'))?.value).toBe(v.foreign);
    expect((await secretOf('kept'))?.value).toBe(v.password2);
  });

  it('retries while Key Vault fails, deletes nothing, then pushes', async () => {
    apply(
      plainSecret(ns, 'late', { value: v.password }),
      pushSecret(ns, 'outage', {
        deletionPolicy: 'Delete',
        secretStoreRefs: [{ name: 'kv' }],
        selector: { secret: { name: 'late' } },
        data: [{ match: { secretKey: 'value', remoteRef: { remoteKey: n('outage') } } }],
      }),
    );
    await waitFor('pushed', async () => (await secretOf('outage'))?.value === v.password);
    await injectFault({ pathPrefix: `/secrets/${n('outage')}`, status: 503, times: 1000 });
    try {
      apply(plainSecret(ns, 'late', { value: v.late }));
      await waitPush(ns, 'outage', { status: 'False', reason: 'Errored' });
      await new Promise((r) => setTimeout(r, 2000));
    } finally {
      await clearFaults();
    }
    // Never deleted while failing (this server deletes at once, versions and all).
    expect(
      Object.keys(await writeCounts()).filter((k) => k.startsWith('DELETE') && k.includes('outage')),
    ).toEqual([]);
    await waitFor('pushed after the outage', async () => (await secretOf('outage'))?.value === v.late, {
      timeoutMs: 45_000,
    });
  }, 90_000);
});
