// ClusterExternalSecret on a real control plane: ExternalSecrets provisioned by label and by
// name and kept in step as namespaces gain or lose the label, appear or go; an ExternalSecret it
// did not create is left alone and reported; a spec change reaches every child; the conditions
// Argo CD's health check reads; printer columns; deletion takes the children along. Each child
// is an ordinary ExternalSecret: its Secret is synced from a fake ClusterSecretStore.

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { deleteNamespace } from '../lib/cluster.js';
import { argoHealth } from '../lib/gitops.js';
import {
  apply,
  getCustom,
  getEs,
  kubectl,
  newNamespace,
  remove,
  secretData,
  tryApply,
  waitFor,
} from '../lib/kube.js';
import type { Obj } from '../lib/kube.js';
import { startOperator } from '../lib/operator.js';
import type { OperatorHandle } from '../lib/operator.js';
import { finishSuite } from '../lib/suite.js';
import { secretValue } from '../lib/values.js';

const run = randomBytes(3).toString('hex');
const LABEL = `e2e-ces-${run}`;
const CES = `e2e-ces-${run}`;
const STORE = `e2e-ces-store-${run}`;
const EXISTS = 'external secret already exists in namespace';
const token = secretValue('ces-token');
const second = secretValue('ces-second');

let op: OperatorHandle;
let labelled: string;
let named: string;

type CesStatus = {
  externalSecretName?: string;
  provisionedNamespaces?: string[];
  failedNamespaces?: { namespace: string; reason?: string }[];
  conditions?: { type: string; status: string; message?: string }[];
};
const cesStatus = async () =>
  ((await getCustom('clusterexternalsecrets', undefined, CES)) as Obj | undefined)?.status as
    CesStatus | undefined;

/** Argo CD's built-in health of the ClusterExternalSecret with this status (e2e/lib/gitops.ts). */
const health = (st: CesStatus | undefined) =>
  argoHealth({ kind: 'ClusterExternalSecret', metadata: { name: CES }, status: st as Obj['status'] });

/** Waits until the status provisions exactly `namespaces` (sorted, as ESO writes it). */
function waitProvisioned(namespaces: string[], what: string, timeoutMs = 20_000) {
  const want = [...namespaces].sort();
  return waitFor(
    what,
    async () => {
      const st = await cesStatus();
      return JSON.stringify(st?.provisionedNamespaces ?? []) === JSON.stringify(want) ? st : undefined;
    },
    { timeoutMs },
  );
}

function ces(spec: Record<string, unknown> = {}): object {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ClusterExternalSecret',
    metadata: { name: CES },
    spec: {
      externalSecretName: 'app',
      externalSecretMetadata: { labels: { team: 'payments' }, annotations: { owner: 'platform' } },
      namespaceSelectors: [{ matchLabels: { [LABEL]: 'yes' } }],
      namespaces: [named],
      refreshTime: '1m',
      externalSecretSpec: {
        refreshInterval: '1h',
        secretStoreRef: { name: STORE, kind: 'ClusterSecretStore' },
        target: { name: 'app-secret' },
        data: [{ secretKey: 'token', remoteRef: { key: 'token' } }],
      },
      ...spec,
    },
  };
}

beforeAll(async () => {
  op = await startOperator({ name: 'ces' });
  apply({
    apiVersion: 'external-secrets.io/v1',
    kind: 'ClusterSecretStore',
    metadata: { name: STORE },
    spec: {
      provider: {
        fake: {
          data: [
            { key: 'token', value: token },
            { key: 'second', value: second },
          ],
        },
      },
    },
  });
  labelled = newNamespace('e2e-ces-lbl', { [LABEL]: 'yes' });
  named = newNamespace('e2e-ces-name');
});

afterAll(async () => {
  remove('clusterexternalsecret', undefined, CES);
  remove('clustersecretstore', undefined, STORE);
  await finishSuite(op);
});

describe('ClusterExternalSecret', () => {
  it('provisions by label and by name: owned ExternalSecrets that sync, Ready last (Argo CD: Healthy)', async () => {
    apply(ces());
    const st = await waitProvisioned([labelled, named], 'both namespaces provisioned');
    expect(st.externalSecretName).toBe('app');
    expect(st.failedNamespaces).toBeUndefined();
    expect(health(st)).toBe('Healthy');
    const owner = (await getCustom('clusterexternalsecrets', undefined, CES))!;
    // GitOps-clean: the apiserver added nothing (no schema defaults) to what was applied.
    expect(owner.spec).toEqual((ces() as { spec: unknown }).spec);
    for (const ns of [labelled, named]) {
      const es = (await getEs(ns, 'app'))!;
      expect(es.metadata.ownerReferences).toEqual([
        {
          apiVersion: 'external-secrets.io/v1',
          kind: 'ClusterExternalSecret',
          name: CES,
          uid: owner.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
      expect(es.metadata.labels).toEqual({ team: 'payments' });
      expect(es.metadata.annotations).toEqual({ owner: 'platform' });
      await waitFor(`the Secret in ${ns}`, async () => (await secretData(ns, 'app-secret'))?.token === token);
    }
    expect(owner.metadata.finalizers).toEqual([
      'externalsecrets.external-secrets.io/clusterexternalsecret-cleanup',
    ]);
  });

  it('follows namespaces that gain or lose the label, appear or go, without relisting namespaces', async () => {
    const lists = () => op.metric('syncret_kube_requests_total', { verb: 'list', resource: 'namespaces' });
    const listsBefore = await lists();
    const later = newNamespace('e2e-ces-later');
    apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: later, labels: { [LABEL]: 'yes' } } });
    await waitProvisioned([labelled, named, later], 'a namespace that gained the label');
    const fresh = newNamespace('e2e-ces-new', { [LABEL]: 'yes' });
    await waitProvisioned([labelled, named, later, fresh], 'a new labelled namespace');
    await waitFor(
      'the Secret in the new namespace',
      async () => (await secretData(fresh, 'app-secret'))?.token === token,
    );

    kubectl(['label', 'namespace', labelled, `${LABEL}-`]);
    await waitProvisioned([named, later, fresh], 'a namespace that lost the label');
    await waitFor('its ExternalSecret deleted', async () => (await getEs(labelled, 'app')) === undefined);
    // The garbage collector takes the Secret the deleted ExternalSecret owned.
    await waitFor(
      'its Secret collected',
      async () => (await secretData(labelled, 'app-secret')) === undefined,
    );

    await deleteNamespace(fresh);
    await waitProvisioned([named, later], 'a deleted namespace');
    expect(await lists()).toBe(listsBefore);
    expect(health(await cesStatus())).toBe('Healthy');
  });

  it('leaves an ExternalSecret it did not create alone, reports it (Argo CD: Degraded), and provisions once it goes', async () => {
    const taken = newNamespace('e2e-ces-taken');
    const own = {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: 'app', namespace: taken },
      spec: {
        secretStoreRef: { name: STORE, kind: 'ClusterSecretStore' },
        target: { name: 'mine' },
        data: [{ secretKey: 'second', remoteRef: { key: 'second' } }],
      },
    };
    apply(own);
    apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: taken, labels: { [LABEL]: 'yes' } } });
    const st = await waitFor('the foreign ExternalSecret reported', async () => {
      const s = await cesStatus();
      return s?.failedNamespaces?.some((f) => f.namespace === taken) ? s : undefined;
    });
    expect(st.failedNamespaces).toEqual([{ namespace: taken, reason: EXISTS }]);
    expect(st.provisionedNamespaces).not.toContain(taken);
    expect(st.conditions?.map((c) => [c.type, c.status])).toEqual([
      ['Ready', 'False'],
      ['PartiallyReady', 'True'],
    ]);
    expect(health(st)).toBe('Degraded');
    const foreign = (await getEs(taken, 'app'))!;
    expect(foreign.metadata.ownerReferences).toBeUndefined();
    expect(foreign.spec).toEqual(own.spec);

    remove('externalsecret', taken, 'app');
    const ok = await waitFor('the freed namespace provisioned', async () => {
      const s = await cesStatus();
      return s?.provisionedNamespaces?.includes(taken) && !s.failedNamespaces ? s : undefined;
    });
    expect(health(ok)).toBe('Healthy');
    expect((await getEs(taken, 'app'))?.metadata.ownerReferences?.[0]?.name).toBe(CES);
  });

  it('propagates a spec change to every ExternalSecret it created', async () => {
    apply(
      ces({
        externalSecretMetadata: { labels: { team: 'payments', tier: 'gold' } },
        externalSecretSpec: {
          refreshInterval: '1h',
          secretStoreRef: { name: STORE, kind: 'ClusterSecretStore' },
          target: { name: 'app-secret' },
          data: [
            { secretKey: 'token', remoteRef: { key: 'token' } },
            { secretKey: 'second', remoteRef: { key: 'second' } },
          ],
        },
      }),
    );
    const st = (await cesStatus())!;
    for (const ns of st.provisionedNamespaces ?? []) {
      await waitFor(
        `the new key in ${ns}`,
        async () => (await secretData(ns, 'app-secret'))?.second === second,
      );
      const es = (await getEs(ns, 'app'))!;
      expect(es.metadata.labels).toEqual({ team: 'payments', tier: 'gold' });
      // externalSecretMetadata is exactly the children's metadata: the dropped annotation went.
      expect(es.metadata.annotations).toBeUndefined();
    }
  });

  it('prints ESO columns, serves only v1, and counts its runs in the sync metrics', async () => {
    const out = kubectl(['get', 'clusterexternalsecrets', CES]);
    const [header, row] = out.trim().split('\n');
    expect(header?.split(/\s{2,}/)).toEqual(['NAME', 'STORE', 'REFRESH INTERVAL', 'READY']);
    expect(row?.split(/\s{2,}/)).toEqual([CES, STORE, '1m', 'True']);
    expect(kubectl(['get', 'ces', CES, '-o', 'name'])).toContain(
      `clusterexternalsecret.external-secrets.io/${CES}`,
    );
    const v1beta1 = tryApply({
      apiVersion: 'external-secrets.io/v1beta1',
      kind: 'ClusterExternalSecret',
      metadata: { name: `${CES}-beta` },
      spec: { externalSecretSpec: {} },
    });
    expect(v1beta1.ok).toBe(false);
    expect(await op.metric('syncret_sync_total', { kind: 'ClusterExternalSecret' })).toBeGreaterThan(0);
  });

  it('deletes its ExternalSecrets when it is deleted', async () => {
    const st = (await cesStatus())!;
    const provisioned = st.provisionedNamespaces ?? [];
    expect(provisioned.length).toBeGreaterThan(1);
    kubectl(['delete', 'clusterexternalsecret', CES, '--timeout=30s']);
    for (const ns of provisioned)
      await waitFor(
        `the ExternalSecret in ${ns} deleted`,
        async () => (await getEs(ns, 'app')) === undefined,
      );
    expect(await getCustom('clusterexternalsecrets', undefined, CES)).toBeUndefined();
  });
});
