// The vault provider against a real OpenBao on loopback: KV v1 and v2 reads (versions,
// properties, whole secrets, extract, find by name and tags, metadata), every auth method
// with the real kube-apiserver behind kubernetes and jwt auth, TLS (caBundle, caProvider,
// mutual TLS, cert auth) and the error messages a user sees.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  apply,
  externalSecret,
  getEs,
  kubectl,
  newNamespace,
  plainSecret,
  ready,
  secretData,
  waitEs,
  waitFor,
  waitReady,
} from '../lib/kube.js';
import { startOperator } from '../lib/operator.js';
import type { OperatorHandle } from '../lib/operator.js';
import { serverVar } from '../lib/servers.js';
import { finishSuite } from '../lib/suite.js';
import { secretValue } from '../lib/values.js';
import {
  bao,
  configureJwtAuth,
  configureKubernetesAuth,
  enableAuth,
  kv2Put,
  mountKv,
  policy,
  suffix,
  vaultStore,
} from '../lib/vault.js';

let op: OperatorHandle;
let ns: string;
const sfx = suffix();
const kv2 = `kv2-${sfx}`;
const kv1 = `kv1-${sfx}`;
const reader = `syncret-read-${sfx}`;
const narrow = `syncret-narrow-${sfx}`;
const mounts = {
  approle: `approle-${sfx}`,
  userpass: `userpass-${sfx}`,
  kubernetes: `k8s-${sfx}`,
  jwt: `jwt-${sfx}`,
  cert: `cert-${sfx}`,
};

const v = {
  user: secretValue('user'),
  password1: secretValue('pw1'),
  password2: secretValue('pw2'),
  nested: secretValue('nested'),
  v1: secretValue('kv1'),
  teamA: secretValue('team-a'),
  teamB: secretValue('team-b'),
  other: secretValue('other'),
  token: secretValue('token'),
  secretId: secretValue('secret-id'),
  userpass: secretValue('userpass'),
};
const caPem = (): string => readFileSync(serverVar('VAULT_CACERT'), 'utf8');
const caBundle = (): string => Buffer.from(caPem()).toString('base64');

beforeAll(async () => {
  op = await startOperator({ name: 'vault' });
  ns = newNamespace('e2e-vault');

  await mountKv(kv2, 2);
  await mountKv(kv1, 1);
  await kv2Put(kv2, 'app', { user: v.user, password: v.password1 });
  await kv2Put(kv2, 'app', { user: v.user, password: v.password2, db: { nested: { value: v.nested } } });
  await kv2Put(kv2, 'teams/a', { value: v.teamA }, { team: 'a', env: 'prod' });
  await kv2Put(kv2, 'teams/b', { value: v.teamB }, { team: 'b', env: 'prod' });
  await kv2Put(kv2, 'other/x', { value: v.other }, { team: 'a', env: 'dev' });
  await bao('POST', `${kv1}/legacy`, { value: v.v1 });

  await policy(
    reader,
    [
      `path "${kv2}/data/*" { capabilities = ["read"] }`,
      `path "${kv2}/metadata/*" { capabilities = ["read", "list"] }`,
      `path "${kv1}/*" { capabilities = ["read"] }`,
    ].join('\n'),
  );
  await policy(narrow, `path "${kv2}/data/app" { capabilities = ["read"] }`);

  // A token with a known id, so the leak scan knows it.
  await bao('POST', 'auth/token/create', { id: v.token, policies: [reader], ttl: '2h' });
  apply(plainSecret(ns, 'vault-token', { token: v.token }));

  await enableAuth(mounts.approle, 'approle');
  await bao('POST', `auth/${mounts.approle}/role/syncret`, { token_policies: [reader], token_ttl: '1h' });
  const roleId = (await bao('GET', `auth/${mounts.approle}/role/syncret/role-id`)).body.data
    ?.role_id as string;
  await bao('POST', `auth/${mounts.approle}/role/syncret/custom-secret-id`, { secret_id: v.secretId });
  apply(plainSecret(ns, 'approle', { roleId, secretId: v.secretId }));

  await enableAuth(mounts.userpass, 'userpass');
  await bao('POST', `auth/${mounts.userpass}/users/syncret`, {
    password: v.userpass,
    token_policies: [reader],
  });
  apply(plainSecret(ns, 'userpass', { password: v.userpass }));

  apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'vault-reader', namespace: ns } });
  await configureKubernetesAuth(mounts.kubernetes, ns);
  await bao('POST', `auth/${mounts.kubernetes}/role/syncret`, {
    bound_service_account_names: ['vault-reader'],
    bound_service_account_namespaces: [ns],
    token_policies: [reader],
    token_ttl: '1h',
  });
  await configureJwtAuth(mounts.jwt);
  await bao('POST', `auth/${mounts.jwt}/role/syncret`, {
    role_type: 'jwt',
    bound_audiences: ['vault'],
    user_claim: 'sub',
    bound_subject: `system:serviceaccount:${ns}:vault-reader`,
    token_policies: [reader],
    token_ttl: '1h',
  });

  await enableAuth(mounts.cert, 'cert');
  await bao('POST', `auth/${mounts.cert}/certs/syncret`, {
    certificate: caPem(),
    token_policies: [reader],
    token_ttl: '1h',
  });
  apply(
    plainSecret(ns, 'client-cert', {
      'tls.crt': readFileSync(serverVar('VAULT_TEST_CLIENT_CERT'), 'utf8'),
      'tls.key': readFileSync(serverVar('VAULT_TEST_CLIENT_KEY'), 'utf8'),
    }),
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'vault-ca', namespace: ns },
      data: { 'ca.crt': caPem() },
    },
  );
});

afterAll(() => finishSuite(op));

const tokenAuth = { tokenSecretRef: { name: 'vault-token', key: 'token' } };

/** The ExternalSecret every auth test uses: one KV v2 property. */
const readUser = (name: string, store: string, kind = 'SecretStore') =>
  externalSecret(ns, name, {
    refreshInterval: '1h',
    secretStoreRef: { name: store, kind },
    data: [{ secretKey: 'user', remoteRef: { key: 'app', property: 'user' } }],
  });

async function expectUser(name: string): Promise<void> {
  await waitEs(ns, name);
  expect((await secretData(ns, name))?.user).toBe(v.user);
}

describe('reading KV', () => {
  it('reads KV v2 latest and a given version, dotted properties and whole secrets; KV v1', async () => {
    apply(vaultStore(ns, 'kv2', { path: kv2, version: 'v2', auth: tokenAuth }));
    apply(vaultStore(ns, 'kv1', { path: kv1, version: 'v1', auth: tokenAuth }));
    await waitReady('secretstores', ns, 'kv2', { status: 'True', reason: 'Valid' });
    apply(
      externalSecret(ns, 'kv2', {
        refreshInterval: '1h',
        secretStoreRef: { name: 'kv2' },
        data: [
          { secretKey: 'latest', remoteRef: { key: 'app', property: 'password' } },
          { secretKey: 'first', remoteRef: { key: 'app', property: 'password', version: '1' } },
          { secretKey: 'nested', remoteRef: { key: 'app', property: 'db.nested.value' } },
          // The key may repeat the mount, as users copy it from the Vault UI.
          { secretKey: 'whole', remoteRef: { key: `${kv2}/teams/a` } },
        ],
      }),
      externalSecret(ns, 'kv1', {
        refreshInterval: '1h',
        secretStoreRef: { name: 'kv1' },
        data: [{ secretKey: 'legacy', remoteRef: { key: 'legacy', property: 'value' } }],
      }),
    );
    await waitEs(ns, 'kv2');
    expect(await secretData(ns, 'kv2')).toEqual({
      latest: v.password2,
      first: v.password1,
      nested: v.nested,
      whole: JSON.stringify({ value: v.teamA }),
    });
    await waitEs(ns, 'kv1');
    expect(await secretData(ns, 'kv1')).toEqual({ legacy: v.v1 });
  });

  it('extracts, finds by name and path and by tags, and fetches custom metadata', async () => {
    apply(
      externalSecret(ns, 'extract', {
        refreshInterval: '1h',
        secretStoreRef: { name: 'kv2' },
        dataFrom: [{ extract: { key: 'app', property: 'db' } }, { extract: { key: 'teams/b' } }],
      }),
      externalSecret(ns, 'find-name', {
        refreshInterval: '1h',
        secretStoreRef: { name: 'kv2' },
        dataFrom: [
          {
            find: { path: 'teams', name: { regexp: '^teams/' } },
            // As in ESO, a rewrite sees the paths as found ("teams/a"); conversionStrategy
            // applies only to dataFrom entries without a rewrite.
            rewrite: [{ regexp: { source: '/', target: '-' } }],
          },
        ],
      }),
      externalSecret(ns, 'find-tags', {
        refreshInterval: '1h',
        secretStoreRef: { name: 'kv2' },
        dataFrom: [{ find: { tags: { team: 'a' } } }],
      }),
      externalSecret(ns, 'meta', {
        refreshInterval: '1h',
        secretStoreRef: { name: 'kv2' },
        data: [{ secretKey: 'env', remoteRef: { key: 'teams/a', property: 'env', metadataPolicy: 'Fetch' } }],
      }),
    );
    await waitEs(ns, 'extract');
    expect(await secretData(ns, 'extract')).toEqual({
      nested: JSON.stringify({ value: v.nested }),
      value: v.teamB,
    });
    await waitEs(ns, 'find-name');
    const byName = await secretData(ns, 'find-name');
    expect(Object.keys(byName!).sort()).toEqual(['teams-a', 'teams-b']);
    expect(JSON.parse(byName!['teams-a']!)).toEqual({ value: v.teamA });
    await waitEs(ns, 'find-tags');
    const byTags = await secretData(ns, 'find-tags');
    expect(Object.keys(byTags!).sort()).toEqual(['other_x', 'teams_a']);
    expect(JSON.parse(byTags!.other_x!)).toEqual({ value: v.other });
    await waitEs(ns, 'meta');
    expect(await secretData(ns, 'meta')).toEqual({ env: 'prod' });
  });

  it('a secret changed in Vault reaches the Secret within one refresh interval', async () => {
    const before = secretValue('before');
    const after = secretValue('after');
    await kv2Put(kv2, 'rotating', { value: before });
    apply(
      externalSecret(ns, 'rotating', {
        refreshInterval: '2s',
        secretStoreRef: { name: 'kv2' },
        data: [{ secretKey: 'value', remoteRef: { key: 'rotating', property: 'value' } }],
      }),
    );
    await waitEs(ns, 'rotating');
    expect((await secretData(ns, 'rotating'))?.value).toBe(before);
    await kv2Put(kv2, 'rotating', { value: after });
    const t0 = Date.now();
    await waitFor('rotated value', async () => (await secretData(ns, 'rotating'))?.value === after, {
      timeoutMs: 15_000,
      intervalMs: 200,
    });
    // One refresh interval (2 s) plus scheduling slack on a busy 2-core machine.
    expect(Date.now() - t0).toBeLessThan(8_000);
  });
});

describe('auth methods', () => {
  it('appRole with roleId and with roleRef', async () => {
    const roleId = (await secretData(ns, 'approle'))!.roleId!;
    const secretRef = { name: 'approle', key: 'secretId' };
    apply(
      vaultStore(ns, 'approle-id', {
        path: kv2,
        auth: { appRole: { path: mounts.approle, roleId, secretRef } },
      }),
      vaultStore(ns, 'approle-ref', {
        path: kv2,
        auth: { appRole: { path: mounts.approle, roleRef: { name: 'approle', key: 'roleId' }, secretRef } },
      }),
    );
    apply(readUser('approle-id', 'approle-id'), readUser('approle-ref', 'approle-ref'));
    await expectUser('approle-id');
    await expectUser('approle-ref');
  });

  it('userPass', async () => {
    apply(
      vaultStore(ns, 'userpass', {
        path: kv2,
        auth: {
          userPass: {
            path: mounts.userpass,
            username: 'syncret',
            secretRef: { name: 'userpass', key: 'password' },
          },
        },
      }),
    );
    apply(readUser('userpass', 'userpass'));
    await expectUser('userpass');
  });

  it('kubernetes: a TokenRequest token, reviewed by the apiserver (TokenReview), and a token from a Secret', async () => {
    apply(
      vaultStore(ns, 'k8s-sa', {
        path: kv2,
        auth: {
          kubernetes: {
            mountPath: mounts.kubernetes,
            role: 'syncret',
            serviceAccountRef: { name: 'vault-reader' },
          },
        },
      }),
    );
    apply(readUser('k8s-sa', 'k8s-sa'));
    await expectUser('k8s-sa');

    const jwt = kubectl(['create', 'token', 'vault-reader', '-n', ns, '--duration', '1h']).trim();
    apply(plainSecret(ns, 'sa-jwt', { token: jwt }));
    apply(
      vaultStore(ns, 'k8s-secret', {
        path: kv2,
        auth: {
          kubernetes: {
            mountPath: mounts.kubernetes,
            role: 'syncret',
            secretRef: { name: 'sa-jwt', key: 'token' },
          },
        },
      }),
    );
    apply(readUser('k8s-secret', 'k8s-secret'));
    await expectUser('k8s-secret');
  });

  it('kubernetes: the TokenRequest carries serviceAccountRef.audiences, which a role can require', async () => {
    await bao('POST', `auth/${mounts.kubernetes}/role/aud`, {
      bound_service_account_names: ['vault-reader'],
      bound_service_account_namespaces: [ns],
      audience: 'vault',
      token_policies: [reader],
      token_ttl: '1h',
    });
    const k8s = (audiences?: string[]) => ({
      path: kv2,
      auth: {
        kubernetes: {
          mountPath: mounts.kubernetes,
          role: 'aud',
          serviceAccountRef: { name: 'vault-reader', ...(audiences ? { audiences } : {}) },
        },
      },
    });
    apply(vaultStore(ns, 'k8s-aud', k8s(['vault'])), vaultStore(ns, 'k8s-no-aud', k8s()));
    apply(readUser('k8s-aud', 'k8s-aud'));
    await expectUser('k8s-aud');
    // Without audiences the token is for the apiserver's default audience: the role refuses it.
    const store = await waitReady('secretstores', ns, 'k8s-no-aud', { status: 'False' });
    expect(ready(store)?.message).toMatch(new RegExp(`auth/${mounts.kubernetes}/login failed \\(403\\)`));
  });

  it('kubernetes: a ServiceAccount the role does not bind is refused at login', async () => {
    apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'stranger', namespace: ns } });
    apply(
      vaultStore(ns, 'k8s-stranger', {
        path: kv2,
        auth: {
          kubernetes: {
            mountPath: mounts.kubernetes,
            role: 'syncret',
            serviceAccountRef: { name: 'stranger' },
          },
        },
      }),
    );
    const store = await waitReady('secretstores', ns, 'k8s-stranger', { status: 'False' });
    expect(ready(store)?.message).toMatch(new RegExp(`auth/${mounts.kubernetes}/login failed \\(403\\)`));
  });

  it('jwt: a TokenRequest token (audience vault) checked against the apiserver signing key, and a JWT from a Secret', async () => {
    apply(
      vaultStore(ns, 'jwt-sa', {
        path: kv2,
        auth: {
          jwt: {
            path: mounts.jwt,
            role: 'syncret',
            kubernetesServiceAccountToken: {
              serviceAccountRef: { name: 'vault-reader' },
              audiences: ['vault'],
              expirationSeconds: 600,
            },
          },
        },
      }),
    );
    apply(readUser('jwt-sa', 'jwt-sa'));
    await expectUser('jwt-sa');

    const jwt = kubectl([
      'create',
      'token',
      'vault-reader',
      '-n',
      ns,
      '--audience',
      'vault',
      '--duration',
      '1h',
    ]).trim();
    apply(plainSecret(ns, 'jwt', { token: jwt }));
    apply(
      vaultStore(ns, 'jwt-secret', {
        path: kv2,
        auth: { jwt: { path: mounts.jwt, role: 'syncret', secretRef: { name: 'jwt', key: 'token' } } },
      }),
    );
    apply(readUser('jwt-secret', 'jwt-secret'));
    await expectUser('jwt-secret');
  });

  it('a ClusterSecretStore with appRole serves other namespaces', async () => {
    const roleId = (await secretData(ns, 'approle'))!.roleId!;
    const name = `vault-${sfx}`;
    apply(
      vaultStore(
        ns,
        name,
        {
          path: kv2,
          auth: {
            appRole: {
              path: mounts.approle,
              roleId,
              secretRef: { name: 'approle', key: 'secretId', namespace: ns },
            },
          },
        },
        { kind: 'ClusterSecretStore' },
      ),
    );
    apply(readUser('css', name, 'ClusterSecretStore'));
    await expectUser('css');
    kubectl(['delete', 'clustersecretstore', name, '--wait=false']);
  });
});

describe('namespaces (X-Vault-Namespace)', () => {
  it('logs in and reads in a namespace, or logs in at the root (auth.namespace) and reads in a child', async () => {
    const team = `team-${sfx}`;
    const inNs = { namespace: team };
    const nsValue = secretValue('ns-value');
    const nsPassword = secretValue('ns-password');
    await bao('POST', `sys/namespaces/${team}`);
    await bao('POST', 'sys/mounts/kv', { type: 'kv', options: { version: '2' } }, inNs);
    await bao('POST', 'kv/data/app', { data: { user: nsValue } }, inNs);
    await bao(
      'PUT',
      'sys/policies/acl/read',
      { policy: 'path "kv/data/*" { capabilities = ["read"] }' },
      inNs,
    );
    await bao('POST', 'sys/auth/userpass', { type: 'userpass' }, inNs);
    await bao(
      'POST',
      'auth/userpass/users/syncret',
      { password: nsPassword, token_policies: ['read'] },
      inNs,
    );
    apply(plainSecret(ns, 'ns-userpass', { password: nsPassword }));
    // A root-namespace policy names the child's paths with the namespace prefix.
    await policy(`ns-child-${sfx}`, `path "${team}/kv/data/*" { capabilities = ["read"] }`);
    await bao('POST', `auth/${mounts.approle}/role/child`, { token_policies: [`ns-child-${sfx}`] });
    const childRole = (await bao('GET', `auth/${mounts.approle}/role/child/role-id`)).body.data
      ?.role_id as string;
    await bao('POST', `auth/${mounts.approle}/role/child/custom-secret-id`, { secret_id: v.secretId });
    apply(
      vaultStore(ns, 'ns', {
        namespace: team,
        path: 'kv',
        auth: { userPass: { username: 'syncret', secretRef: { name: 'ns-userpass', key: 'password' } } },
      }),
      vaultStore(ns, 'ns-root-login', {
        namespace: team,
        path: 'kv',
        auth: {
          namespace: '',
          appRole: {
            path: mounts.approle,
            roleId: childRole,
            secretRef: { name: 'approle', key: 'secretId' },
          },
        },
      }),
    );
    apply(readUser('ns', 'ns'), readUser('ns-root-login', 'ns-root-login'));
    await waitEs(ns, 'ns');
    expect((await secretData(ns, 'ns'))?.user).toBe(nsValue);
    await waitEs(ns, 'ns-root-login');
    expect((await secretData(ns, 'ns-root-login'))?.user).toBe(nsValue);
  });
});

describe('TLS', () => {
  it('trusts the server through caBundle and caProvider (ConfigMap and Secret)', async () => {
    const tls = serverVar('VAULT_TLS_ADDR');
    apply(
      vaultStore(ns, 'tls-bundle', { server: tls, path: kv2, caBundle: caBundle(), auth: tokenAuth }),
      vaultStore(ns, 'tls-provider', {
        server: tls,
        path: kv2,
        caProvider: { type: 'ConfigMap', name: 'vault-ca', key: 'ca.crt' },
        auth: tokenAuth,
      }),
    );
    apply(plainSecret(ns, 'vault-ca', { 'ca.crt': caPem() }));
    apply(
      vaultStore(ns, 'tls-provider-secret', {
        server: tls,
        path: kv2,
        caProvider: { type: 'Secret', name: 'vault-ca', key: 'ca.crt' },
        auth: tokenAuth,
      }),
    );
    apply(
      readUser('tls-bundle', 'tls-bundle'),
      readUser('tls-provider', 'tls-provider'),
      readUser('tls-provider-secret', 'tls-provider-secret'),
    );
    await expectUser('tls-bundle');
    await expectUser('tls-provider');
    await expectUser('tls-provider-secret');
  });

  it('presents a client certificate (tls) where the listener requires one', async () => {
    const mtls = serverVar('VAULT_MTLS_ADDR');
    apply(
      vaultStore(ns, 'mtls', {
        server: mtls,
        path: kv2,
        caBundle: caBundle(),
        tls: {
          certSecretRef: { name: 'client-cert', key: 'tls.crt' },
          keySecretRef: { name: 'client-cert', key: 'tls.key' },
        },
        auth: tokenAuth,
      }),
      vaultStore(ns, 'mtls-without', { server: mtls, path: kv2, caBundle: caBundle(), auth: tokenAuth }),
    );
    apply(readUser('mtls', 'mtls'));
    await expectUser('mtls');
    const store = await waitReady('secretstores', ns, 'mtls-without', { status: 'False' });
    expect(ready(store)?.message).toMatch(/TLS failure: the server requires a client certificate/);
  });

  it('logs in with cert auth (TLS client certificate login)', async () => {
    apply(
      vaultStore(ns, 'cert', {
        server: serverVar('VAULT_TLS_ADDR'),
        path: kv2,
        caBundle: caBundle(),
        auth: {
          cert: {
            path: mounts.cert,
            vaultRole: 'syncret',
            clientCert: { name: 'client-cert', key: 'tls.crt' },
            secretRef: { name: 'client-cert', key: 'tls.key' },
          },
        },
      }),
    );
    apply(readUser('cert', 'cert'));
    await expectUser('cert');
  });

  it('reports an untrusted server certificate clearly', async () => {
    apply(
      vaultStore(ns, 'tls-untrusted', { server: serverVar('VAULT_TLS_ADDR'), path: kv2, auth: tokenAuth }),
    );
    const store = await waitReady('secretstores', ns, 'tls-untrusted', { status: 'False' });
    expect(ready(store)?.message).toMatch(
      /TLS failure: the server certificate is not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\); set caBundle/,
    );
  });
});

describe('errors', () => {
  it('403 names the path the policy lacks, 404 names the key, bad credentials fail the store', async () => {
    const narrowToken = secretValue('narrow-token');
    await bao('POST', 'auth/token/create', { id: narrowToken, policies: [narrow], ttl: '1h' });
    apply(plainSecret(ns, 'narrow-token', { token: narrowToken }));
    apply(
      vaultStore(ns, 'narrow', {
        path: kv2,
        auth: { tokenSecretRef: { name: 'narrow-token', key: 'token' } },
      }),
    );
    apply(
      externalSecret(ns, 'denied', {
        refreshInterval: '1h',
        secretStoreRef: { name: 'narrow' },
        data: [{ secretKey: 'x', remoteRef: { key: 'teams/a', property: 'value' } }],
      }),
      externalSecret(ns, 'missing', {
        refreshInterval: '1h',
        secretStoreRef: { name: 'kv2' },
        data: [{ secretKey: 'x', remoteRef: { key: 'does/not/exist', property: 'value' } }],
      }),
    );
    const denied = await waitEs(ns, 'denied', { status: 'False', reason: 'ProviderError' });
    expect(ready(denied)?.message).toMatch(new RegExp(`"read" on "${kv2}/data/teams/a"`));
    const missing = await waitEs(ns, 'missing', { status: 'False', reason: 'ProviderError' });
    expect(ready(missing)?.message).toMatch(/"does\/not\/exist" not found/);

    apply(plainSecret(ns, 'bad-approle', { secretId: secretValue('wrong-secret-id') }));
    apply(
      vaultStore(ns, 'bad-approle', {
        path: kv2,
        auth: {
          appRole: {
            path: mounts.approle,
            roleId: 'nope',
            secretRef: { name: 'bad-approle', key: 'secretId' },
          },
        },
      }),
    );
    const store = await waitReady('secretstores', ns, 'bad-approle', { status: 'False' });
    expect(ready(store)?.message).toMatch(new RegExp(`auth/${mounts.approle}/login failed \\(400\\)`));
    expect(ready(await getEs(ns, 'denied'))?.status).toBe('False');
  });
});
