// The Helm chart, installed on the real control plane: `helm template` output applied as the
// admin, then the operator run exactly as the rendered Deployment says (its ServiceAccount, flags
// and environment; no kubelet here, so the Deployment's pod never starts and the operator runs as
// a local process). The chart's RBAC alone must be enough to sync, and must not be more than the
// operator uses: no request may be refused, and a namespace-scoped install cannot touch Secrets
// outside its namespaces.

import { afterAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { coordinationApi } from '../lib/cluster.js';
import { apply, externalSecret, fakeStore, getEs, newNamespace, secretData, waitEs } from '../lib/kube.js';
import type { OperatorHandle } from '../lib/operator.js';
import {
  canI,
  deploymentOf,
  installManifests,
  renderChart,
  startFromDeployment,
  uninstallManifests,
} from '../lib/packaging.js';
import type { Manifest } from '../lib/packaging.js';
import { usedPermissions } from '../lib/permissions.js';
import { ROOT } from '../lib/paths.js';
import { finishSuite } from '../lib/suite.js';
import { secretValue } from '../lib/values.js';

const installed: Manifest[][] = [];
afterAll(async () => {
  for (const objects of installed) uninstallManifests(objects);
  await finishSuite();
});

function install(
  release: string,
  set: string[],
  valuesFiles: string[] = [],
): { objects: Manifest[]; namespace: string } {
  const namespace = newNamespace(`e2e-${release}`);
  const objects = renderChart(release, namespace, set, valuesFiles);
  installed.push(objects);
  installManifests(objects);
  return { objects, namespace };
}

/** A fake store and an ExternalSecret reading `value` from it. */
function manifests(ns: string, value: string): object[] {
  return [
    fakeStore(ns, 'fake', [{ key: 'db', value }]),
    externalSecret(ns, 'db', {
      refreshInterval: '1h',
      secretStoreRef: { name: 'fake' },
      target: { name: 'db' },
      data: [{ secretKey: 'password', remoteRef: { key: 'db' } }],
    }),
  ];
}

function syncs(ns: string, value: string): void {
  apply(...manifests(ns, value));
}

async function expectNoRefusals(
  op: OperatorHandle,
  objects: Manifest[],
  scope: Parameters<typeof usedPermissions>[2],
): Promise<void> {
  const { used, refused, ungranted } = await usedPermissions(op, objects, scope);
  console.log(`operator requests: ${used.join(', ')}`);
  expect(refused).toEqual([]);
  expect(ungranted).toEqual([]);
}

describe('Helm chart on the real control plane', () => {
  it('cluster-wide install: its ServiceAccount and RBAC sync an ExternalSecret, with leader election', async () => {
    const release = `chart-${randomBytes(2).toString('hex')}`;
    const { objects, namespace } = install(release, ['log.level=debug']);
    const deploy = deploymentOf(objects);
    expect(deploy.spec.template.spec.serviceAccountName).toBe(`${release}-syncret`);

    const apps = newNamespace('e2e-chart-apps');
    const value = secretValue('chart');
    syncs(apps, value);

    const op = await startFromDeployment(objects, `chart-${release}`);
    try {
      await waitEs(apps, 'db');
      expect(await secretData(apps, 'db')).toEqual({ password: value });
      // Leader election is on by default: the Lease is the chart's, in the release namespace.
      const lease = await coordinationApi().readNamespacedLease({
        namespace,
        name: `${release}-syncret-leader`,
      });
      expect(lease.spec?.holderIdentity).toMatch(new RegExp(`^${release}-syncret-e2e_`));
      await expectNoRefusals(op, objects, { sa: { namespace, name: `${release}-syncret` } });
    } finally {
      await op.stop();
    }
  });

  it('namespace-scoped install: syncs in its namespaces only, and cannot reach other Secrets', async () => {
    const watched = newNamespace('e2e-chart-watched');
    const other = newNamespace('e2e-chart-other');
    const release = `chartns-${randomBytes(2).toString('hex')}`;
    const { objects, namespace } = install(release, [`scope.namespaces={${watched}}`, 'replicaCount=2']);
    const sa = { namespace, name: `${release}-syncret` };

    const value = secretValue('chart-ns');
    const outside = secretValue('chart-outside');
    syncs(watched, value);
    syncs(other, outside);

    const op = await startFromDeployment(objects, `chart-${release}`);
    try {
      await waitEs(watched, 'db');
      expect(await secretData(watched, 'db')).toEqual({ password: value });
      await new Promise((r) => setTimeout(r, 1500));
      expect((await getEs(other, 'db'))?.status).toBeUndefined();
      expect(await secretData(other, 'db')).toBeUndefined();
      await expectNoRefusals(op, objects, { sa, namespace: watched });
    } finally {
      await op.stop();
    }
    // The apiserver's own verdict on the rendered RBAC.
    expect(canI(sa, 'get', 'secrets', watched)).toBe(true);
    expect(canI(sa, 'get', 'secrets', other)).toBe(false);
    expect(canI(sa, 'list', 'secrets')).toBe(false);
    expect(canI(sa, 'list', 'externalsecrets.external-secrets.io', other)).toBe(false);
    expect(canI(sa, 'list', 'clustersecretstores.external-secrets.io')).toBe(true);
    expect(canI(sa, 'update', 'leases.coordination.k8s.io', namespace)).toBe(true);
    expect(canI(sa, 'update', 'leases.coordination.k8s.io', watched)).toBe(false);
    expect(canI(sa, 'create', 'pods', watched)).toBe(false);
  });

  it('namespace scope from `syncret policy`: the generated values install an operator that syncs the manifests and reaches nothing else', async () => {
    const [a, b, other] = ['e2e-scope-a', 'e2e-scope-b', 'e2e-scope-other'].map((n) => newNamespace(n)) as [
      string,
      string,
      string,
    ];
    const values = {
      a: secretValue('scope-a'),
      b: secretValue('scope-b'),
      other: secretValue('scope-other'),
    };
    // The manifests a GitOps repo holds, as files; the policy is generated from them alone.
    const dir = mkdtempSync(join(tmpdir(), 'syncret-scope-'));
    const docs = [...manifests(a, values.a), ...manifests(b, values.b)];
    writeFileSync(join(dir, 'manifests.yaml'), docs.map((d) => `---\n${YAML.stringify(d)}`).join(''));
    const gen = spawnSync(
      process.execPath,
      [join(ROOT, 'dist/main.js'), 'policy', '-f', join(dir, 'manifests.yaml'), '--out', join(dir, 'out')],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(gen.status).toBe(0);
    const file = join(dir, 'out', 'syncret-operator.values.yaml');
    const text = readFileSync(file, 'utf8');
    expect(YAML.parse(text)).toEqual({ scope: { namespaces: [a, b].sort() } });
    for (const v of Object.values(values)) expect(text).not.toContain(v);

    const release = `scope-${randomBytes(2).toString('hex')}`;
    const { objects, namespace } = install(release, [], [file]);
    const sa = { namespace, name: `${release}-syncret` };
    apply(...docs);
    syncs(other, values.other);
    const op = await startFromDeployment(objects, `chart-${release}`);
    try {
      await waitEs(a, 'db');
      await waitEs(b, 'db');
      expect(await secretData(a, 'db')).toEqual({ password: values.a });
      expect(await secretData(b, 'db')).toEqual({ password: values.b });
      await new Promise((r) => setTimeout(r, 1500));
      expect((await getEs(other, 'db'))?.status).toBeUndefined();
      expect(await secretData(other, 'db')).toBeUndefined();
      await expectNoRefusals(op, objects, { sa, namespace: a });
    } finally {
      await op.stop();
    }
    for (const ns of [a, b]) expect(canI(sa, 'get', 'secrets', ns)).toBe(true);
    expect(canI(sa, 'get', 'secrets', other)).toBe(false);
    expect(canI(sa, 'list', 'externalsecrets.external-secrets.io', other)).toBe(false);
    expect(canI(sa, 'list', 'secrets')).toBe(false);
  });
});
