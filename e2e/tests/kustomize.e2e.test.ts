// The kustomize packaging on the real control plane: `kubectl kustomize` output applied as the
// admin, the operator run as the rendered Deployment says (ServiceAccount token, flags, env; no
// kubelet, so the Deployment's pod never starts and the operator runs as a local process).

import { afterAll, describe, expect, it } from '@jest/globals';
import { coordinationApi } from '../lib/cluster.js';
import { apply, externalSecret, fakeStore, newNamespace, secretData, waitEs } from '../lib/kube.js';
import type { OperatorHandle } from '../lib/operator.js';
import {
  deploymentOf,
  installManifests,
  renderKustomize,
  startFromDeployment,
  uninstallManifests,
} from '../lib/packaging.js';
import type { Manifest } from '../lib/packaging.js';
import { usedPermissions } from '../lib/permissions.js';
import { finishSuite } from '../lib/suite.js';
import { secretValue } from '../lib/values.js';

const cleanup: Manifest[][] = [];
afterAll(async () => {
  for (const objects of cleanup) uninstallManifests(objects);
  await finishSuite();
});

function syncs(ns: string, value: string): void {
  apply(fakeStore(ns, 'fake', [{ key: 'token', value }]));
  apply(
    externalSecret(ns, 'token', {
      refreshInterval: '1h',
      secretStoreRef: { name: 'fake' },
      data: [{ secretKey: 'token', remoteRef: { key: 'token' } }],
    }),
  );
}

async function expectOnlyGranted(op: OperatorHandle, objects: Manifest[], sa: string): Promise<void> {
  const { used, refused, ungranted } = await usedPermissions(op, objects, {
    sa: { namespace: 'syncret-system', name: sa },
  });
  console.log(`operator requests: ${used.join(', ')}`);
  expect(refused).toEqual([]);
  expect(ungranted).toEqual([]);
}

describe('kustomize packaging on the real control plane', () => {
  it('config/default as is: its ServiceAccount, RBAC and Deployment flags sync an ExternalSecret', async () => {
    // The same objects the global setup applied from config/rbac, plus the Deployment and
    // Service; only those two are removed afterwards (the other suites use the RBAC).
    const objects = renderKustomize('config/default');
    const deploy = deploymentOf(objects);
    expect(deploy.metadata.namespace).toBe('syncret-system');
    installManifests(objects);
    cleanup.push(objects.filter((o) => o.kind === 'Deployment' || o.kind === 'Service'));

    const ns = newNamespace('e2e-kustomize');
    const value = secretValue('kustomize');
    syncs(ns, value);
    const op = await startFromDeployment(objects, 'kustomize-default');
    try {
      await waitEs(ns, 'token');
      expect(await secretData(ns, 'token')).toEqual({ token: value });
      const lease = await coordinationApi().readNamespacedLease({
        namespace: 'syncret-system',
        name: 'syncret-leader',
      });
      expect(lease.spec?.holderIdentity).toMatch(/^syncret-e2e_/);
      await expectOnlyGranted(op, objects, 'syncret');
    } finally {
      await op.stop();
    }
  });

  it('the HA overlay: two replicas, one leader, the standby ready and idle', async () => {
    // namePrefix, as a user's overlay would, so it lives beside the base install.
    const objects = renderKustomize('config/overlays/ha', { namePrefix: 'e2e-ha-' });
    const deploy = deploymentOf(objects);
    expect((deploy.spec as { replicas?: number }).replicas).toBe(2);
    expect(objects.some((o) => o.kind === 'PodDisruptionBudget')).toBe(true);
    installManifests(objects);
    cleanup.push(objects);

    const ns = newNamespace('e2e-kustomize-ha');
    const value = secretValue('kustomize-ha');
    syncs(ns, value);
    const first = await startFromDeployment(objects, 'kustomize-ha-1');
    const second = await startFromDeployment(objects, 'kustomize-ha-2');
    try {
      await waitEs(ns, 'token');
      expect(await secretData(ns, 'token')).toEqual({ token: value });
      const leaders = [await first.metric('syncret_leader'), await second.metric('syncret_leader')];
      expect([...leaders].sort()).toEqual([0, 1]);
      await expectOnlyGranted(leaders[0] === 1 ? first : second, objects, 'e2e-ha-syncret');
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  });
});
