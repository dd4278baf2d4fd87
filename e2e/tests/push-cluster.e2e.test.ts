// ClusterPushSecret on the real control plane (PushSecrets in every selected namespace, gone
// from namespaces that stop matching, garbage-collected with their owner), a PushSecret from a
// generator that rotates on its interval, a label-selected source, printer columns, and Argo
// CD's health check read from the status.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { argoHealth } from '../lib/gitops.js';
import { apply, kubectl, newNamespace, plainSecret, remove, waitFor } from '../lib/kube.js';
import { startOperator } from '../lib/operator.js';
import type { OperatorHandle } from '../lib/operator.js';
import { PUSH_API, getPush, pushSecret, waitPush } from '../lib/push.js';
import { finishSuite } from '../lib/suite.js';
import { serverVar } from '../lib/servers.js';
import { secretValue } from '../lib/values.js';
import { bao, mountKv, policy, suffix } from '../lib/vault.js';

let op: OperatorHandle;
let a: string;
let b: string;
let other: string;
const sfx = suffix();
const kv = `pushc-${sfx}`;
const token = secretValue('pushc-token');
const value = secretValue('pushc-value');
const css = `push-vault-${sfx}`;

async function kvData(key: string): Promise<Record<string, unknown> | undefined> {
  const r = await bao('GET', `${kv}/data/${key}`, undefined, { allow: [404] });
  return r.status === 404 ? undefined : (r.body.data as { data?: Record<string, unknown> }).data;
}

beforeAll(async () => {
  op = await startOperator({ name: 'push-cluster' });
  const team = `pushc-${sfx}`;
  a = newNamespace('e2e-pushc-a', { team });
  b = newNamespace('e2e-pushc-b', { team });
  other = newNamespace('e2e-pushc-other');
  await mountKv(kv, 2);
  await policy(
    `pushc-${sfx}`,
    [
      `path "${kv}/*" { capabilities = ["create", "read", "update", "delete", "list"] }`,
      `path "sys/tools/random/*" { capabilities = ["update"] }`,
    ].join('\n'),
  );
  await bao('POST', 'auth/token/create', { id: token, policies: [`pushc-${sfx}`], ttl: '2h' });
  apply(
    plainSecret(a, 'vault-token', { token }),
    {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ClusterSecretStore',
      metadata: { name: css },
      spec: {
        provider: {
          vault: {
            server: serverVar('VAULT_ADDR'),
            path: kv,
            auth: { tokenSecretRef: { name: 'vault-token', key: 'token', namespace: a } },
          },
        },
      },
    },
    ...[a, b, other].map((ns) => plainSecret(ns, 'src', { value }, { labels: { push: 'yes' } })),
  );
});

afterAll(async () => {
  remove('clusterpushsecret', undefined, `cps-${sfx}`);
  await finishSuite(op);
});

describe('ClusterPushSecret', () => {
  it('creates its PushSecret in every selected namespace, and removes it where the label goes', async () => {
    apply({
      apiVersion: PUSH_API,
      kind: 'ClusterPushSecret',
      metadata: { name: `cps-${sfx}` },
      spec: {
        pushSecretName: 'pushed',
        pushSecretMetadata: { labels: { from: 'cps' } },
        namespaceSelectors: [{ matchLabels: { team: `pushc-${sfx}` } }],
        pushSecretSpec: {
          secretStoreRefs: [{ name: css, kind: 'ClusterSecretStore' }],
          selector: { secret: { name: 'src' } },
          data: [
            { match: { secretKey: 'value', remoteRef: { remoteKey: 'cps/shared', property: 'value' } } },
          ],
        },
      },
    });
    const cps = await waitFor('both namespaces provisioned', async () => {
      const o = await getPush(undefined, `cps-${sfx}`, 'clusterpushsecrets');
      const st = o?.status as { provisionedNamespaces?: string[]; pushSecretName?: string } | undefined;
      return st?.provisionedNamespaces?.length === 2 ? o : undefined;
    });
    expect((cps.status as { pushSecretName?: string }).pushSecretName).toBe('pushed');
    for (const ns of [a, b]) {
      const ps = await waitPush(ns, 'pushed');
      expect(ps.metadata.labels).toEqual({ from: 'cps' });
      expect(ps.metadata.ownerReferences?.[0]).toMatchObject({
        kind: 'ClusterPushSecret',
        name: `cps-${sfx}`,
        controller: true,
      });
    }
    expect(await getPush(other, 'pushed')).toBeUndefined();
    expect(await kvData('cps/shared')).toEqual({ value });

    kubectl(['label', 'namespace', b, 'team-']);
    await waitFor(
      'the PushSecret gone from the relabelled namespace',
      async () => !(await getPush(b, 'pushed')),
    );
    remove('clusterpushsecret', undefined, `cps-${sfx}`);
    await waitFor('the children collected with their owner', async () => !(await getPush(a, 'pushed')), {
      timeoutMs: 60_000,
    });
  }, 90_000);
});

describe('PushSecret from a generator and by label selector', () => {
  it('rotates generated values on its refresh interval', async () => {
    apply(
      {
        apiVersion: 'generators.external-secrets.io/v1alpha1',
        kind: 'VaultDynamicSecret',
        metadata: { name: 'random', namespace: a },
        spec: {
          path: 'sys/tools/random/16',
          method: 'POST',
          parameters: { format: 'hex' },
          provider: {
            server: serverVar('VAULT_ADDR'),
            auth: { tokenSecretRef: { name: 'vault-token', key: 'token' } },
          },
        },
      },
      pushSecret(a, 'rotated', {
        refreshInterval: '2s',
        secretStoreRefs: [{ name: css, kind: 'ClusterSecretStore' }],
        selector: {
          generatorRef: {
            apiVersion: 'generators.external-secrets.io/v1alpha1',
            kind: 'VaultDynamicSecret',
            name: 'random',
          },
        },
        data: [
          {
            match: { secretKey: 'random_bytes', remoteRef: { remoteKey: 'gen/rotated', property: 'value' } },
          },
        ],
      }),
    );
    await waitPush(a, 'rotated');
    const seen = new Set<string>();
    await waitFor(
      'three generated values pushed',
      async () => {
        const v = (await kvData('gen/rotated'))?.value;
        if (typeof v === 'string') seen.add(v);
        return seen.size >= 3;
      },
      { timeoutMs: 30_000 },
    );
    for (const v of seen) expect(v).toMatch(/^[0-9a-f]{32}$/);
  });

  it('pushes every Secret a label selector picks; kubectl shows ESO columns; Argo CD reads the health', async () => {
    apply(
      pushSecret(a, 'labelled', {
        secretStoreRefs: [{ name: css, kind: 'ClusterSecretStore' }],
        selector: { secret: { selector: { matchLabels: { push: 'yes' } } } },
        data: [{ match: { secretKey: 'value', remoteRef: { remoteKey: 'labelled', property: 'value' } } }],
      }),
    );
    const ps = await waitPush(a, 'labelled');
    expect(argoHealth(ps)).toBe('Healthy');
    expect(await kvData('labelled')).toEqual({ value });
    const table = kubectl(['get', 'pushsecrets', '-n', a, 'labelled']);
    expect(table.split('\n')[0]?.split(/\s{2,}/)).toEqual(['NAME', 'AGE', 'STATUS', 'LAST SYNC']);
    expect(table).toContain('Synced');

    apply(
      pushSecret(a, 'broken', {
        secretStoreRefs: [{ name: 'missing' }],
        selector: { secret: { name: 'src' } },
        data: [{ match: { remoteRef: { remoteKey: 'x' } } }],
      }),
    );
    const broken = await waitPush(a, 'broken', { status: 'False', reason: 'Errored' });
    expect(argoHealth(broken)).toBe('Degraded');
  });
});
