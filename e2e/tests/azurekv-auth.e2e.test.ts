// The azurekv provider's auth paths end to end against the Key Vault test server, whose
// Entra ID endpoints check what they are given: a client certificate assertion
// (ServicePrincipal), a ServiceAccount token from the TokenRequest API verified with the
// cluster's ServiceAccount signing key, audience and subject (WorkloadIdentity), and IMDS
// requests for a user-assigned identity (ManagedIdentity). Also: a ClusterSecretStore, and
// one token serving many reads (credentials and tokens are cached per store).

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  adminClients,
  azureStore,
  kvEnv,
  operatorEnv,
  registerIdentity,
  runPrefix,
  selfSignedPem,
  serverRequests,
} from '../lib/azurekv.js';
import {
  apply,
  clusterEnv,
  externalSecret,
  newNamespace,
  plainSecret,
  remove,
  secretData,
  waitEs,
  waitReady,
} from '../lib/kube.js';
import { startOperator } from '../lib/operator.js';
import type { OperatorHandle } from '../lib/operator.js';
import { finishSuite } from '../lib/suite.js';
import { secretValue } from '../lib/values.js';

let op: OperatorHandle;
let ns: string;
const p = runPrefix();
const value = secretValue('kv-auth');
const n = (s: string): string => `${p}-${s}`;

const read = (name: string, store: string, kind: 'SecretStore' | 'ClusterSecretStore' = 'SecretStore') =>
  externalSecret(ns, name, {
    secretStoreRef: { name: store, kind },
    refreshInterval: '1h',
    data: [{ secretKey: 'value', remoteRef: { key: n('app') } }],
  });

beforeAll(async () => {
  await adminClients().secrets.setSecret(n('app'), value);
  op = await startOperator({ name: 'azurekv-auth', env: operatorEnv() });
  ns = newNamespace('e2e-azkv-auth');
});

afterAll(async () => {
  remove('clustersecretstore', undefined, `${ns}-css`);
  await finishSuite(op);
});

const tokensOf = async (clientId: string) =>
  (await serverRequests()).tokens.filter((t) => t.clientId === clientId);

describe('azurekv auth, end to end', () => {
  it('ServicePrincipal with a client certificate, tenant from the Secret', async () => {
    const cert = selfSignedPem('syncret-e2e-client');
    const clientId = await registerIdentity({ certificatePem: cert.certPem });
    apply(
      plainSecret(ns, 'sp-cert', {
        'client-id': clientId,
        tenant: kvEnv().tenant,
        'tls.pem': cert.certPem + cert.keyPem,
      }),
      azureStore(ns, 'cert', {
        authSecretRef: {
          clientId: { name: 'sp-cert', key: 'client-id' },
          tenantId: { name: 'sp-cert', key: 'tenant' },
          clientCertificate: { name: 'sp-cert', key: 'tls.pem' },
        },
      }),
      read('cert', 'cert'),
    );
    await waitEs(ns, 'cert');
    expect((await secretData(ns, 'cert'))?.value).toBe(value);
    const tokens = await tokensOf(clientId);
    expect(tokens.length).toBeGreaterThan(0);
    expect(tokens.every((t) => t.ok && t.grant === 'client_credentials')).toBe(true);
  });

  it('WorkloadIdentity: a TokenRequest token with audience api://AzureADTokenExchange, ids from annotations', async () => {
    const env = clusterEnv();
    const clientId = await registerIdentity({
      federated: {
        subject: `system:serviceaccount:${ns}:workload`,
        publicKeyFile: env.SA_PUBLIC_KEY,
        issuer: env.SA_ISSUER,
      },
    });
    apply(
      {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: {
          name: 'workload',
          namespace: ns,
          annotations: {
            'azure.workload.identity/client-id': clientId,
            'azure.workload.identity/tenant-id': kvEnv().tenant,
          },
        },
      },
      // Same client id, another ServiceAccount: the federated credential must refuse it.
      {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: {
          name: 'intruder',
          namespace: ns,
          annotations: {
            'azure.workload.identity/client-id': clientId,
            'azure.workload.identity/tenant-id': kvEnv().tenant,
          },
        },
      },
      azureStore(ns, 'wi', { authType: 'WorkloadIdentity', serviceAccountRef: { name: 'workload' } }),
      azureStore(ns, 'wi-intruder', {
        authType: 'WorkloadIdentity',
        serviceAccountRef: { name: 'intruder' },
      }),
      read('wi', 'wi'),
      read('wi-intruder', 'wi-intruder'),
    );
    await waitEs(ns, 'wi');
    expect((await secretData(ns, 'wi'))?.value).toBe(value);
    await waitEs(ns, 'wi-intruder', { status: 'False', message: /AADSTS700213/ });
    const tokens = await tokensOf(clientId);
    expect(tokens.some((t) => t.ok)).toBe(true);
    expect(tokens.some((t) => !t.ok && t.error === 'AADSTS700213')).toBe(true);
  });

  it('ManagedIdentity: user-assigned (identityId) and system-assigned, through IMDS', async () => {
    const clientId = await registerIdentity({ managedIdentity: true });
    apply(
      azureStore(ns, 'mi', { authType: 'ManagedIdentity', identityId: clientId }),
      azureStore(ns, 'mi-unknown', {
        authType: 'ManagedIdentity',
        identityId: '00000000-0000-0000-0000-000000000000',
      }),
      read('mi', 'mi'),
      read('mi-unknown', 'mi-unknown'),
    );
    await waitEs(ns, 'mi');
    expect((await secretData(ns, 'mi'))?.value).toBe(value);
    const tokens = await tokensOf(clientId);
    expect(tokens.length).toBeGreaterThan(0);
    expect(tokens.every((t) => t.grant === 'imds' && t.ok)).toBe(true);
    // System-assigned: no client id in the IMDS request; the server answers with its
    // system-assigned identity.
    await registerIdentity({ managedIdentity: true, systemAssigned: true });
    apply(azureStore(ns, 'mi-system', { authType: 'ManagedIdentity' }), read('mi-system', 'mi-system'));
    await waitEs(ns, 'mi-system');
    expect((await secretData(ns, 'mi-system'))?.value).toBe(value);
    expect((await serverRequests()).tokens.some((t) => t.clientId === '(system-assigned)' && t.ok)).toBe(
      true,
    );
    await waitEs(ns, 'mi-unknown', {
      status: 'False',
      message: /ManagedIdentity 00000000…: (no token could be obtained|the token request was refused)/,
    });
  });

  it('follows a rotated client secret: the rejected token drops the client, the new secret is read', async () => {
    const first = secretValue('kv-rotate-a');
    const second = secretValue('kv-rotate-b');
    const clientId = await registerIdentity({ secret: first });
    apply(
      plainSecret(ns, 'rotating', { id: clientId, secret: first }),
      azureStore(ns, 'rotating', {
        tenantId: kvEnv().tenant,
        authSecretRef: {
          clientId: { name: 'rotating', key: 'id' },
          clientSecret: { name: 'rotating', key: 'secret' },
        },
      }),
      externalSecret(ns, 'rotating', {
        secretStoreRef: { name: 'rotating' },
        refreshInterval: '2s',
        data: [{ secretKey: 'value', remoteRef: { key: n('app') } }],
      }),
    );
    await waitEs(ns, 'rotating');
    // Entra ID side: new secret, old one and its tokens revoked. Kubernetes side: the Secret
    // is updated (as a rotation job would).
    await registerIdentity({ secret: second }, clientId);
    await waitEs(ns, 'rotating', { status: 'False', message: /rejected the token|refused/ });
    apply(plainSecret(ns, 'rotating', { id: clientId, secret: second }));
    await waitEs(ns, 'rotating', { status: 'True' }, 60_000);
    expect((await secretData(ns, 'rotating'))?.value).toBe(value);
    const tokens = await tokensOf(clientId);
    expect(tokens.filter((t) => t.ok).length).toBeGreaterThanOrEqual(2);
  });

  it('a ClusterSecretStore with credentials in a named namespace; one token for many reads', async () => {
    const secret = secretValue('kv-css-secret');
    const clientId = await registerIdentity({ secret });
    apply(plainSecret(ns, 'css-sp', { id: clientId, secret }));
    apply(
      azureStore(
        ns,
        `${ns}-css`,
        {
          tenantId: kvEnv().tenant,
          authSecretRef: {
            clientId: { name: 'css-sp', key: 'id', namespace: ns },
            clientSecret: { name: 'css-sp', key: 'secret', namespace: ns },
          },
        },
        'ClusterSecretStore',
      ),
    );
    await waitReady('clustersecretstores', undefined, `${ns}-css`, { status: 'True' });
    const names = ['css-1', 'css-2', 'css-3'];
    apply(...names.map((name) => read(name, `${ns}-css`, 'ClusterSecretStore')));
    for (const name of names) await waitEs(ns, name);
    for (const name of names) expect((await secretData(ns, name))?.value).toBe(value);
    // Validation and three reads, one credential: MSAL asked the token endpoint once.
    const tokens = await tokensOf(clientId);
    expect(tokens.filter((t) => t.ok)).toHaveLength(1);
  });
});
