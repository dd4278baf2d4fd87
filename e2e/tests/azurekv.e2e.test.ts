// The azurekv provider against the Key Vault test server over HTTPS (e2e/tools/servers/
// keyvault.sh): secrets with versions, properties and tags, keys as JWK, certificates as
// DER, dataFrom extract and find, refresh of a new version, and the error paths. The
// operator authenticates as a ServicePrincipal with a client secret through the server's
// Entra ID token endpoint (customCloudConfig), and trusts the server through
// NODE_EXTRA_CA_CERTS.

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
import {
  apply,
  externalSecret,
  getSecret,
  newNamespace,
  plainSecret,
  secretData,
  waitEs,
  waitFor,
  waitReady,
} from '../lib/kube.js';
import { startOperator } from '../lib/operator.js';
import type { OperatorHandle } from '../lib/operator.js';
import { finishSuite } from '../lib/suite.js';
import { secretValue } from '../lib/values.js';

let op: OperatorHandle;
let ns: string;
let kv: AdminClients;
const p = runPrefix();
const password = secretValue('kv-password');
const v1 = secretValue('kv-v1');
const v2 = secretValue('kv-v2');
const v3 = secretValue('kv-v3');
const findA = secretValue('kv-find-a');
const findB = secretValue('kv-find-b');
const findC = secretValue('kv-find-c');
const clientSecret = secretValue('kv-client-secret');
const deniedSecret = secretValue('kv-denied-secret');
let v1Version = '';
let certDer: Buffer;
let certPem: string;

const n = (s: string): string => `${p}-${s}`;

function spStore(name: string, clientIdKey = 'client-id', secretKey = 'client-secret'): object {
  return azureStore(ns, name, {
    tenantId: kvEnv().tenant,
    authSecretRef: {
      clientId: { name: 'azure-sp', key: clientIdKey },
      clientSecret: { name: 'azure-sp', key: secretKey },
    },
  });
}

beforeAll(async () => {
  kv = adminClients();
  const clientId = await registerIdentity({ secret: clientSecret });
  const deniedId = await registerIdentity({ secret: deniedSecret, vaultAccess: false });
  await kv.secrets.setSecret(n('config'), JSON.stringify({ user: 'app', password }), {
    tags: { team: 'a', owner: 'e2e' },
    contentType: 'application/json',
  });
  v1Version = (await kv.secrets.setSecret(n('plain'), v1)).properties.version ?? '';
  await kv.secrets.setSecret(n('plain'), v2);
  await kv.secrets.setSecret(n('find-a'), findA, { tags: { group: p } });
  await kv.secrets.setSecret(n('find-b'), findB, { tags: { group: p, tier: 'gold' } });
  await kv.secrets.setSecret(n('find-c'), findC, { enabled: false, tags: { group: p } });
  await kv.secrets.setSecret(n('disabled'), secretValue('kv-disabled'), { enabled: false });
  await kv.secrets.setSecret(n('expired'), secretValue('kv-expired'), {
    expiresOn: new Date(Date.now() - 60_000),
  });
  // More than one page (the server pages lists by 25): find must follow nextLink.
  for (let i = 0; i < 30; i++)
    await kv.secrets.setSecret(n(`bulk-${String(i).padStart(2, '0')}`), `bulk-${i}`, { tags: { bulk: p } });
  await kv.keys.createRsaKey(n('signing'), { tags: { purpose: 'sign' } });
  const cert = selfSignedPem(`${p}.example`);
  certDer = cert.der;
  certPem = cert.certPem;
  await kv.certs.importCertificate(n('tls'), Buffer.from(cert.certPem + cert.keyPem), {
    policy: { contentType: 'application/x-pem-file' },
    tags: { kind: 'tls' },
  });

  op = await startOperator({ name: 'azurekv', env: operatorEnv() });
  ns = newNamespace('e2e-azkv');
  apply(
    plainSecret(ns, 'azure-sp', {
      'client-id': clientId,
      'client-secret': clientSecret,
      'denied-id': deniedId,
      'denied-secret': deniedSecret,
      wrong: secretValue('kv-wrong-secret'),
    }),
  );
  apply(spStore('kv'));
});

afterAll(async () => {
  await clearFaults();
  await finishSuite(op);
});

describe('azurekv provider (ServicePrincipal, client secret)', () => {
  it('validates the store by obtaining a token from the configured authority', async () => {
    await waitReady('secretstores', ns, 'kv', { status: 'True', reason: 'Valid' });
  });

  it('reads secrets, versions, properties, tags, keys and certificates', async () => {
    apply(
      externalSecret(ns, 'read', {
        secretStoreRef: { name: 'kv' },
        refreshInterval: '1h',
        data: [
          { secretKey: 'latest', remoteRef: { key: n('plain') } },
          { secretKey: 'first', remoteRef: { key: `secret/${n('plain')}`, version: v1Version } },
          { secretKey: 'password', remoteRef: { key: n('config'), property: 'password' } },
          { secretKey: 'team', remoteRef: { key: n('config'), metadataPolicy: 'Fetch', property: 'team' } },
          { secretKey: 'jwk', remoteRef: { key: `key/${n('signing')}` } },
          { secretKey: 'kty', remoteRef: { key: `key/${n('signing')}`, property: 'kty' } },
          { secretKey: 'cert', remoteRef: { key: `cert/${n('tls')}` } },
          { secretKey: 'certTags', remoteRef: { key: `cert/${n('tls')}`, metadataPolicy: 'Fetch' } },
          { secretKey: 'bundle', remoteRef: { key: `secret/${n('tls')}` } },
        ],
      }),
    );
    await waitEs(ns, 'read');
    const s = await getSecret(ns, 'read');
    const d = Object.fromEntries(
      Object.entries(s?.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
    );
    expect(d.latest?.toString()).toBe(v2);
    expect(d.first?.toString()).toBe(v1);
    expect(d.password?.toString()).toBe(password);
    expect(d.team?.toString()).toBe('a');
    const jwk = JSON.parse(d.jwk?.toString() ?? '{}') as Record<string, unknown>;
    expect(jwk.kty).toBe('RSA');
    expect(typeof jwk.n).toBe('string');
    expect(jwk.e).toBe('AQAB');
    expect(String(jwk.kid)).toContain(`/keys/${n('signing')}/`);
    expect(jwk.d).toBeUndefined();
    expect(d.kty?.toString()).toBe('RSA');
    expect(d.cert?.equals(certDer)).toBe(true);
    const certTags = JSON.parse(d.certTags?.toString() ?? '{}') as Record<string, string>;
    expect(certTags.kind).toBe('tls');
    expect(certTags.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(d.bundle?.toString()).toContain('-----BEGIN CERTIFICATE-----');
  });

  it('delivers a new secret version at the next refresh', async () => {
    apply(
      externalSecret(ns, 'refresh', {
        secretStoreRef: { name: 'kv' },
        refreshInterval: '1s',
        data: [{ secretKey: 'value', remoteRef: { key: n('plain') } }],
      }),
    );
    await waitEs(ns, 'refresh');
    expect((await secretData(ns, 'refresh'))?.value).toBe(v2);
    await kv.secrets.setSecret(n('plain'), v3);
    await waitFor(
      'the new version in the Secret',
      async () => (await secretData(ns, 'refresh'))?.value === v3,
      {
        timeoutMs: 30_000,
      },
    );
  });

  it('extracts a JSON secret and finds secrets by name and by tags (enabled ones only)', async () => {
    apply(
      externalSecret(ns, 'extract', {
        secretStoreRef: { name: 'kv' },
        refreshInterval: '1h',
        dataFrom: [{ extract: { key: n('config') } }],
      }),
      externalSecret(ns, 'find-name', {
        secretStoreRef: { name: 'kv' },
        refreshInterval: '1h',
        dataFrom: [{ find: { name: { regexp: `^${p}-find-` } } }],
      }),
      externalSecret(ns, 'find-tags', {
        secretStoreRef: { name: 'kv' },
        refreshInterval: '1h',
        dataFrom: [{ find: { tags: { group: p, tier: 'gold' } } }],
      }),
    );
    await waitEs(ns, 'extract');
    expect(await secretData(ns, 'extract')).toEqual({ user: 'app', password });
    await waitEs(ns, 'find-name');
    expect(await secretData(ns, 'find-name')).toEqual({ [n('find-a')]: findA, [n('find-b')]: findB });
    await waitEs(ns, 'find-tags');
    expect(await secretData(ns, 'find-tags')).toEqual({ [n('find-b')]: findB });
  });
});

describe('azurekv certificates as PEM and large lists', () => {
  it("renders a certificate's PEM from its secret with a template (filterPEM), as with ESO", async () => {
    apply(
      externalSecret(ns, 'pem', {
        secretStoreRef: { name: 'kv' },
        refreshInterval: '1h',
        target: {
          template: {
            type: 'kubernetes.io/tls',
            data: {
              'tls.crt': '{{ .bundle | filterPEM "CERTIFICATE" }}',
              'tls.key': '{{ .bundle | filterPEM "PRIVATE KEY" }}',
            },
          },
        },
        data: [{ secretKey: 'bundle', remoteRef: { key: `secret/${n('tls')}` } }],
      }),
    );
    await waitEs(ns, 'pem');
    const d = await secretData(ns, 'pem');
    expect(d?.['tls.crt']?.trim()).toBe(certPem.trim());
    expect(d?.['tls.key']).toContain('-----BEGIN PRIVATE KEY-----');
  });

  it('finds by tags across several pages of the secret list', async () => {
    apply(
      externalSecret(ns, 'bulk', {
        secretStoreRef: { name: 'kv' },
        refreshInterval: '1h',
        dataFrom: [{ find: { tags: { bulk: p } } }],
      }),
    );
    await waitEs(ns, 'bulk');
    const d = await secretData(ns, 'bulk');
    expect(Object.keys(d ?? {})).toHaveLength(30);
    expect(d?.[n('bulk-29')]).toBe('bulk-29');
  });
});

describe('azurekv errors', () => {
  const one = (name: string, key: string, store = 'kv') =>
    externalSecret(ns, name, {
      secretStoreRef: { name: store },
      refreshInterval: '1s',
      data: [{ secretKey: 'v', remoteRef: { key } }],
    });

  it('reports a missing secret, a disabled secret and an unknown object type clearly', async () => {
    apply(
      one('missing', n('nope')),
      one('disabled', n('disabled')),
      one('expired', n('expired')),
      one('badtype', `blob/${n('x')}`),
    );
    const missing = await waitEs(ns, 'missing', { status: 'False', message: /not found in Key Vault \(404/ });
    expect(JSON.stringify(missing.status)).toContain(`secret \\"${n('nope')}\\"`);
    await waitEs(ns, 'disabled', { status: 'False', message: /is disabled in Key Vault/ });
    await waitEs(ns, 'badtype', { status: 'False', message: /unknown object type "blob"/ });
    await waitEs(ns, 'expired', { status: 'False', message: /expired at \d{4}-/ });
  });

  it('reports 403 when the identity has no access, and a refused client secret', async () => {
    apply(spStore('denied', 'denied-id', 'denied-secret'), spStore('wrong', 'client-id', 'wrong'));
    apply(one('denied', n('plain'), 'denied'), one('wrong', n('plain'), 'wrong'));
    await waitEs(ns, 'denied', {
      status: 'False',
      message: /may not read secret .*\(403 Forbidden\)/,
    });
    await waitEs(ns, 'wrong', {
      status: 'False',
      message:
        /token request was refused \(invalid_client\): AADSTS7000215: Invalid client secret provided\./,
    });
    await waitReady('secretstores', ns, 'wrong', { status: 'False' });
  });

  it('waits out a short Retry-After inline and syncs', async () => {
    const before = (await serverRequests()).counts[`GET /secrets/${n('find-a')}`] ?? 0;
    await injectFault({ pathPrefix: `/secrets/${n('find-a')}`, status: 429, retryAfter: 1, times: 1 });
    apply(one('short-429', n('find-a')));
    await waitEs(ns, 'short-429');
    expect((await secretData(ns, 'short-429'))?.v).toBe(findA);
    const after = (await serverRequests()).counts[`GET /secrets/${n('find-a')}`] ?? 0;
    expect(after - before).toBeGreaterThanOrEqual(2);
  });

  it('keeps the last good Secret while throttled and reports Retry-After', async () => {
    apply(one('throttled', n('config')));
    await waitEs(ns, 'throttled');
    const before = await secretData(ns, 'throttled');
    await injectFault({ pathPrefix: `/secrets/${n('config')}`, status: 429, retryAfter: 30, times: -1 });
    try {
      await waitEs(ns, 'throttled', {
        status: 'False',
        message: /throttled .*\(429 Throttled\); retry after 30s/,
      });
      expect(await secretData(ns, 'throttled')).toEqual(before);
    } finally {
      await clearFaults();
    }
  });
});
