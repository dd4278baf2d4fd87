// The kubernetes provider against the real apiserver, with each of its auth methods:
// ServiceAccount (TokenRequest), a bearer token from a Secret, a client certificate.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  apply,
  clusterEnv,
  externalSecret,
  kubectl,
  kubernetesStore,
  newNamespace,
  plainSecret,
  secretData,
  secretReaderRbac,
  waitEs,
  waitReady,
} from '../lib/kube.js';
import { finishSuite } from '../lib/suite.js';
import { startOperator } from '../lib/operator.js';
import type { OperatorHandle } from '../lib/operator.js';
import { secretValue } from '../lib/values.js';

let op: OperatorHandle;
let ns: string;
let src: string;
const token = secretValue('src-token');
const password = secretValue('src-password');

beforeAll(async () => {
  op = await startOperator({ name: 'kubernetes' });
  ns = newNamespace('e2e-k8s');
  src = newNamespace('e2e-k8s-src');
  apply(
    plainSecret(
      src,
      'app',
      { token, config: JSON.stringify({ db: { password } }) },
      { labels: { team: 'a' } },
    ),
    plainSecret(src, 'other', { token: secretValue('other') }, { labels: { team: 'b' } }),
  );
  apply(...secretReaderRbac(src, ns, 'reader'));
});

afterAll(() => finishSuite(op));

const read = (store: string) =>
  externalSecret(ns, store, {
    secretStoreRef: { name: store },
    data: [
      { secretKey: 'token', remoteRef: { key: 'app', property: 'token' } },
      { secretKey: 'password', remoteRef: { key: 'app', property: 'config' } },
    ],
  });

describe('kubernetes provider', () => {
  it('authenticates with a ServiceAccount through the TokenRequest API', async () => {
    apply(kubernetesStore(ns, 'sa', src, { serviceAccount: { name: 'reader' } }));
    await waitReady('secretstores', ns, 'sa', { status: 'True', reason: 'Valid' });
    apply(read('sa'));
    await waitEs(ns, 'sa');
    expect(await secretData(ns, 'sa')).toEqual({ token, password: JSON.stringify({ db: { password } }) });
  });

  it('authenticates with a bearer token from a Secret in the store namespace', async () => {
    const t = kubectl(['create', 'token', 'reader', '-n', ns, '--duration', '1h']).trim();
    apply(plainSecret(ns, 'reader-token', { token: t }));
    apply(
      kubernetesStore(ns, 'token', src, { token: { bearerToken: { name: 'reader-token', key: 'token' } } }),
    );
    apply(read('token'));
    await waitEs(ns, 'token');
    expect((await secretData(ns, 'token'))?.token).toBe(token);
  });

  it('authenticates with a client certificate', async () => {
    const ca = clusterEnv().APISERVER_CA;
    const caKey = join(dirname(ca), 'ca.key');
    const dir = mkdtempSync(join(tmpdir(), 'syncret-cert-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-subj',
          '/CN=cert-reader',
          '-keyout',
          join(dir, 'k.pem'),
          '-out',
          join(dir, 'c.csr'),
        ],
        { stdio: 'ignore' },
      );
      execFileSync(
        'openssl',
        [
          'x509',
          '-req',
          '-in',
          join(dir, 'c.csr'),
          '-CA',
          ca,
          '-CAkey',
          caKey,
          '-CAcreateserial',
          '-days',
          '1',
          '-out',
          join(dir, 'c.pem'),
        ],
        { stdio: 'ignore' },
      );
      apply(
        plainSecret(ns, 'client-cert', {
          'tls.crt': readFileSync(join(dir, 'c.pem'), 'utf8'),
          'tls.key': readFileSync(join(dir, 'k.pem'), 'utf8'),
        }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'cert-reader', namespace: src },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-reader' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'cert-reader' }],
    });
    apply(
      kubernetesStore(ns, 'cert', src, {
        cert: {
          clientCert: { name: 'client-cert', key: 'tls.crt' },
          clientKey: { name: 'client-cert', key: 'tls.key' },
        },
      }),
    );
    apply(read('cert'));
    await waitEs(ns, 'cert');
    expect((await secretData(ns, 'cert'))?.token).toBe(token);
  });

  it('authenticates with a kubeconfig stored in a Secret (authRef)', async () => {
    const env = clusterEnv();
    const t = kubectl(['create', 'token', 'reader', '-n', ns, '--duration', '1h']).trim();
    const kubeconfig = [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: c\n  cluster:\n    server: ${env.APISERVER_URL}\n    certificate-authority-data: ${readFileSync(env.APISERVER_CA).toString('base64')}`,
      'users:',
      `- name: u\n  user:\n    token: ${t}`,
      'contexts:',
      '- name: x\n  context:\n    cluster: c\n    user: u',
      'current-context: x',
    ].join('\n');
    apply(plainSecret(ns, 'remote-kubeconfig', { config: kubeconfig }));
    apply({
      apiVersion: 'external-secrets.io/v1',
      kind: 'SecretStore',
      metadata: { name: 'authref', namespace: ns },
      spec: {
        provider: {
          kubernetes: { remoteNamespace: src, authRef: { name: 'remote-kubeconfig', key: 'config' } },
        },
      },
    });
    apply(read('authref'));
    await waitEs(ns, 'authref');
    expect((await secretData(ns, 'authref'))?.token).toBe(token);
  });

  it('finds Secrets by label', async () => {
    apply(
      externalSecret(ns, 'find', {
        secretStoreRef: { name: 'sa' },
        dataFrom: [
          { find: { tags: { team: 'a' } }, rewrite: [{ regexp: { source: '^app$', target: 'app-json' } }] },
        ],
      }),
    );
    await waitEs(ns, 'find');
    const data = await secretData(ns, 'find');
    expect(Object.keys(data!)).toEqual(['app-json']);
    expect(JSON.parse(data!['app-json']!)).toEqual({ token, config: JSON.stringify({ db: { password } }) });
  });

  it('reports a store whose identity lacks RBAC, and a missing remote Secret', async () => {
    apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'nobody', namespace: ns } });
    apply(kubernetesStore(ns, 'no-rbac', src, { serviceAccount: { name: 'nobody' } }));
    const store = await waitReady('secretstores', ns, 'no-rbac', {
      status: 'False',
      reason: 'ValidationFailed',
    });
    expect(store.status!.conditions![0]!.message).toBe(
      `ValidationFailed: the store's credentials may not get Secrets in namespace "${src}"`,
    );
    apply(read('no-rbac'));
    const denied = await waitEs(ns, 'no-rbac', { status: 'False', reason: 'ProviderError' });
    expect(denied.status!.conditions![0]!.message).toMatch(/may not read Secret "app"/);
    apply(
      externalSecret(ns, 'missing', {
        secretStoreRef: { name: 'sa' },
        data: [{ secretKey: 'x', remoteRef: { key: 'ghost' } }],
      }),
    );
    const missing = await waitEs(ns, 'missing', { status: 'False', reason: 'ProviderError' });
    expect(missing.status!.conditions![0]!.message).toBe(
      `ProviderError: Secret "ghost" not found in namespace "${src}"`,
    );
  });
});
