// The control plane and the harness themselves, without the operator: if this file fails,
// every other e2e failure is suspect.

import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import {
  ApiextensionsV1Api,
  AuthenticationV1Api,
  AuthorizationV1Api,
  KubeConfig,
  VersionApi,
} from '@kubernetes/client-node';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import {
  GROUP,
  adminKubeConfig,
  applyManifest,
  cleanupNamespaces,
  coreApi,
  createNamespace,
  customObjectsApi,
  deleteNamespace,
  getExternalSecret,
  isNotFound,
  readyCondition,
  waitFor,
} from '../lib/cluster.js';
import { findSecretLeaks } from '../lib/leaks.js';
import { LOG_DIR, OPERATOR_KUBECONFIG, ROOT } from '../lib/paths.js';

afterAll(async () => {
  await cleanupNamespaces();
});

async function configMapGone(ns: string, name: string): Promise<boolean> {
  try {
    await coreApi().readNamespacedConfigMap({ name, namespace: ns });
    return false;
  } catch (e) {
    if (isNotFound(e)) return true;
    throw e;
  }
}

function dependentOf(
  ns: string,
  name: string,
  owner: { apiVersion: string; kind: string; name: string; uid: string },
): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: ns, ownerReferences: [owner] },
    data: { purpose: 'garbage-collector check' },
  };
}

describe('local control plane', () => {
  it('serves the Kubernetes version it was built as', async () => {
    const v = await adminKubeConfig().makeApiClient(VersionApi).getCode();
    expect(v.gitVersion).toMatch(/^v1\.\d+\.\d+/);
    expect(v.major).toBe('1');
  });

  it('has every CRD from crds/ established', async () => {
    const expected = readdirSync(join(ROOT, 'crds'))
      .filter((f) => f.endsWith('.yaml'))
      .flatMap((f) => parseAllDocuments(readFileSync(join(ROOT, 'crds', f), 'utf8')))
      .map((d) => d.toJS() as { kind?: string; metadata?: { name?: string } } | null)
      .filter((o) => o?.kind === 'CustomResourceDefinition')
      .map((o) => o?.metadata?.name ?? '');
    expect(expected.length).toBeGreaterThanOrEqual(3);
    expect(expected).toContain(`externalsecrets.${GROUP}`);
    const api = adminKubeConfig().makeApiClient(ApiextensionsV1Api);
    for (const name of expected) {
      const crd = await api.readCustomResourceDefinition({ name });
      const established = crd.status?.conditions?.find((c) => c.type === 'Established');
      expect({ name, established: established?.status }).toEqual({ name, established: 'True' });
    }
  });

  it('creates the default ServiceAccount in new namespaces and issues TokenRequest tokens', async () => {
    const ns = await createNamespace('e2e-cluster-sa');
    await waitFor(
      async () =>
        (await coreApi().readNamespacedServiceAccount({ name: 'default', namespace: ns })).metadata?.name,
      { what: `ServiceAccount ${ns}/default (serviceaccount controller)`, timeoutMs: 30_000 },
    );
    const tr = await coreApi().createNamespacedServiceAccountToken({
      name: 'default',
      namespace: ns,
      body: { spec: { audiences: ['vault'], expirationSeconds: 600 } },
    });
    const token = tr.status?.token ?? '';
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      sub?: string;
      aud?: string[];
    };
    expect(claims.sub).toBe(`system:serviceaccount:${ns}:default`);
    expect(claims.aud).toEqual(['vault']);
  });

  it('garbage-collects a ConfigMap whose owner ConfigMap was deleted', async () => {
    const ns = await createNamespace('e2e-cluster-gc');
    const owner = await coreApi().createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'owner' }, data: { role: 'owner' } },
    });
    await applyManifest(
      dependentOf(ns, 'dependent', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        name: 'owner',
        uid: owner.metadata?.uid ?? '',
      }),
    );
    await coreApi().deleteNamespacedConfigMap({ name: 'owner', namespace: ns });
    await waitFor(() => configMapGone(ns, 'dependent'), {
      what: `ConfigMap ${ns}/dependent to be garbage-collected after its owner was deleted`,
      timeoutMs: 90_000,
      intervalMs: 500,
    });
  }, 120_000);

  // Secrets owned by ExternalSecrets depend on this. CRDs installed after the controller manager
  // started take up to its 30 s rediscovery; cluster.sh installs crds/ before starting it.
  it('garbage-collects a dependent of an ExternalSecret', async () => {
    const ns = await createNamespace('e2e-cluster-gc-es');
    const es = await applyManifest({
      apiVersion: `${GROUP}/v1`,
      kind: 'ExternalSecret',
      metadata: { name: 'owner', namespace: ns },
      spec: {
        secretStoreRef: { name: 'none', kind: 'SecretStore' },
        data: [{ secretKey: 'k', remoteRef: { key: 'k' } }],
      },
    });
    // Nothing reconciles it here: no operator runs in this file.
    expect(readyCondition(await getExternalSecret(ns, 'owner'))).toBeUndefined();
    await applyManifest(
      dependentOf(ns, 'dependent', {
        apiVersion: `${GROUP}/v1`,
        kind: 'ExternalSecret',
        name: 'owner',
        uid: es.metadata?.uid ?? '',
      }),
    );
    await customObjectsApi().deleteNamespacedCustomObject({
      group: GROUP,
      version: 'v1',
      namespace: ns,
      plural: 'externalsecrets',
      name: 'owner',
    });
    await waitFor(() => configMapGone(ns, 'dependent'), {
      what: `ConfigMap ${ns}/dependent to be garbage-collected after its ExternalSecret owner was deleted`,
      timeoutMs: 90_000,
      intervalMs: 500,
    });
  }, 120_000);

  it('deletes a namespace with its contents (namespace controller)', async () => {
    const ns = await createNamespace('e2e-cluster-nsdel');
    await coreApi().createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'content' } } });
    await deleteNamespace(ns, { wait: true, timeoutMs: 60_000 });
  }, 90_000);
});

describe('operator identity', () => {
  const operator = new KubeConfig();
  operator.loadFromFile(OPERATOR_KUBECONFIG);

  it('is the syncret ServiceAccount, not the admin', async () => {
    const review = await operator.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
    expect(review.status?.userInfo?.username).toBe('system:serviceaccount:syncret-system:syncret');
    expect(review.status?.userInfo?.groups ?? []).not.toContain('system:masters');
  });

  it('has the RBAC of config/rbac and nothing more', async () => {
    const authz = operator.makeApiClient(AuthorizationV1Api);
    const can = async (verb: string, resource: string, group = '', namespace?: string) =>
      (
        await authz.createSelfSubjectAccessReview({
          body: {
            spec: { resourceAttributes: { verb, resource, group, ...(namespace ? { namespace } : {}) } },
          },
        })
      ).status?.allowed ?? false;
    expect(await can('watch', 'externalsecrets', GROUP)).toBe(true);
    expect(await can('patch', 'externalsecrets/status', GROUP, 'default')).toBe(true);
    expect(await can('create', 'secrets', '', 'default')).toBe(true);
    expect(await can('create', 'leases', 'coordination.k8s.io', 'syncret-system')).toBe(true);
    // Not granted: the operator never writes its own API objects or anything cluster-scoped.
    expect(await can('update', 'externalsecrets', GROUP, 'default')).toBe(false);
    expect(await can('create', 'namespaces')).toBe(false);
    expect(await can('create', 'leases', 'coordination.k8s.io', 'default')).toBe(false);
  });
});

describe('leak scan', () => {
  it('finds a value in a log (as base64 inside a blob) and in an Event, without printing it', async () => {
    const value = `s3cr3t-selftest-${randomBytes(6).toString('hex')}`;
    const blob = Buffer.from(JSON.stringify({ other: 'x', password: value })).toString('base64');
    const file = join(LOG_DIR, `operator-leak-selftest-${randomBytes(3).toString('hex')}.log`);
    const ns = await createNamespace('e2e-cluster-leak');
    try {
      writeFileSync(file, `line one\n{"msg":"dump","data":"${blob}"}\n`);
      await coreApi().createNamespacedEvent({
        namespace: ns,
        body: {
          metadata: { name: 'leaky' },
          involvedObject: { kind: 'ConfigMap', name: 'anything', namespace: ns, apiVersion: 'v1' },
          reason: 'Test',
          message: `value is ${value}`,
          type: 'Normal',
        },
      });
      const found = await findSecretLeaks([value]);
      expect(found.some((f) => f.includes(file) && f.includes(':2 '))).toBe(true);
      expect(found.some((f) => f.includes(`Event ${ns}/leaky`))).toBe(true);
      expect(found.join('\n')).not.toContain(value);
      expect(found.join('\n')).not.toContain(Buffer.from(value).toString('base64'));
    } finally {
      rmSync(file, { force: true });
      await coreApi()
        .deleteNamespacedEvent({ name: 'leaky', namespace: ns })
        .catch(() => undefined);
    }
    expect(await findSecretLeaks([value])).toEqual([]);
  });
});
