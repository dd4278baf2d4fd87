// PushSecret with the kubernetes provider: Secrets written into another namespace of the real
// control plane under the store's own ServiceAccount. Whole Secrets and single keys, the
// ownership label, metadata (labels, annotations, merge policies), IfNotExists, a Secret
// someone else owns, deletionPolicy Delete and None, an unreachable apiserver, and no write
// when nothing changed (the remote Secret's resourceVersion stays).

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  apply,
  getSecret,
  kubectl,
  kubernetesStore,
  newNamespace,
  plainSecret,
  remove,
  waitFor,
} from '../lib/kube.js';
import { startOperator } from '../lib/operator.js';
import type { OperatorHandle } from '../lib/operator.js';
import { forceSync, getPush, pushSecret, pushStatus, waitPush } from '../lib/push.js';
import { finishSuite } from '../lib/suite.js';
import { secretValue } from '../lib/values.js';

let op: OperatorHandle;
let ns: string;
let remote: string;
const v = {
  password: secretValue('k-pw'),
  password2: secretValue('k-pw2'),
  user: secretValue('k-user'),
  foreign: secretValue('k-foreign'),
  late: secretValue('k-late'),
};

const text = (s: Awaited<ReturnType<typeof getSecret>>, key: string) =>
  s?.data?.[key] === undefined ? undefined : Buffer.from(s.data[key]!, 'base64').toString('utf8');

const meta = (spec: object) => ({
  apiVersion: 'kubernetes.external-secrets.io/v1alpha1',
  kind: 'PushSecretMetadata',
  spec,
});

beforeAll(async () => {
  op = await startOperator({ name: 'push-kubernetes' });
  ns = newNamespace('e2e-push-k8s');
  remote = newNamespace('e2e-push-k8s-remote');
  apply(
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'pusher', namespace: ns } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'pusher', namespace: remote },
      rules: [
        { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'create', 'update', 'delete'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'pusher', namespace: remote },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pusher' },
      subjects: [{ kind: 'ServiceAccount', name: 'pusher', namespace: ns }],
    },
    kubernetesStore(ns, 'remote', remote, { serviceAccount: { name: 'pusher' } }),
    plainSecret(
      ns,
      'app',
      { password: v.password, user: v.user },
      { labels: { team: 'a' }, annotations: { note: 'n' } },
    ),
  );
});

afterAll(() => finishSuite(op));

describe('PushSecret into another namespace (kubernetes provider)', () => {
  it('writes a whole Secret and single keys, labelled as ours, and follows the source', async () => {
    apply(
      pushSecret(ns, 'app', {
        secretStoreRefs: [{ name: 'remote' }],
        selector: { secret: { name: 'app' } },
        data: [
          { match: { remoteRef: { remoteKey: 'copy' } } },
          {
            match: { secretKey: 'password', remoteRef: { remoteKey: 'single', property: 'db-password' } },
            metadata: meta({ labels: { extra: 'yes' }, annotations: { owner: 'team-a' } }),
          },
        ],
      }),
    );
    await waitPush(ns, 'app', { reason: 'Synced' });
    const copy = await getSecret(remote, 'copy');
    expect([text(copy, 'password'), text(copy, 'user')]).toEqual([v.password, v.user]);
    expect(copy?.metadata?.labels).toEqual({ team: 'a', 'managed-by': 'external-secrets' });
    expect(copy?.metadata?.annotations?.note).toBe('n');
    const single = await getSecret(remote, 'single');
    expect(Object.keys(single?.data ?? {})).toEqual(['db-password']);
    expect(text(single, 'db-password')).toBe(v.password);
    expect(single?.metadata?.labels).toEqual({ team: 'a', extra: 'yes', 'managed-by': 'external-secrets' });
    expect(single?.metadata?.annotations?.owner).toBe('team-a');

    apply(
      plainSecret(
        ns,
        'app',
        { password: v.password2, user: v.user },
        { labels: { team: 'a' }, annotations: { note: 'n' } },
      ),
    );
    await waitFor(
      'the edit pushed',
      async () => text(await getSecret(remote, 'single'), 'db-password') === v.password2,
    );
  });

  it('writes nothing when nothing changed (resourceVersion kept)', async () => {
    const before = [
      (await getSecret(remote, 'copy'))?.metadata?.resourceVersion,
      (await getSecret(remote, 'single'))?.metadata?.resourceVersion,
    ];
    const last = pushStatus(await getPush(ns, 'app')).refreshTime ?? '';
    await new Promise((r) => setTimeout(r, 1100));
    forceSync(ns, 'app', kubectl);
    await waitPush(ns, 'app', { after: last });
    const after = [
      (await getSecret(remote, 'copy'))?.metadata?.resourceVersion,
      (await getSecret(remote, 'single'))?.metadata?.resourceVersion,
    ];
    expect(after).toEqual(before);
  });

  it('pushes what the template renders; templateFrom valuesDecodingStrategy decodes it (ESO 2.9)', async () => {
    apply(
      pushSecret(ns, 'templated', {
        secretStoreRefs: [{ name: 'remote' }],
        selector: { secret: { name: 'app' } },
        template: {
          data: { dsn: '{{ .user }}@db' },
          templateFrom: [
            { literal: 'decoded: "{{ .password | b64enc | b64enc }}"', valuesDecodingStrategy: 'Base64' },
          ],
        },
        data: [{ match: { remoteRef: { remoteKey: 'templated' } } }],
      }),
    );
    await waitPush(ns, 'templated', { reason: 'Synced' });
    const t = await getSecret(remote, 'templated');
    expect([text(t, 'dsn'), text(t, 'decoded')]).toEqual([
      `${v.user}@db`,
      Buffer.from(v.password2).toString('base64'),
    ]);
  });

  it('merges a key into a Secret it owns, keeping the other keys', async () => {
    apply(
      pushSecret(ns, 'merge', {
        secretStoreRefs: [{ name: 'remote' }],
        selector: { secret: { name: 'app' } },
        data: [{ match: { secretKey: 'user', remoteRef: { remoteKey: 'single', property: 'db-user' } } }],
      }),
    );
    await waitPush(ns, 'merge');
    const single = await getSecret(remote, 'single');
    expect([text(single, 'db-password'), text(single, 'db-user')]).toEqual([v.password2, v.user]);
  });

  it('refuses a Secret it did not create; IfNotExists leaves it and creates the missing one', async () => {
    apply(plainSecret(remote, 'theirs', { value: v.foreign }));
    apply(
      pushSecret(ns, 'theirs', {
        secretStoreRefs: [{ name: 'remote' }],
        selector: { secret: { name: 'app' } },
        data: [{ match: { secretKey: 'password', remoteRef: { remoteKey: 'theirs', property: 'value' } } }],
      }),
    );
    const ps = await waitPush(ns, 'theirs', { status: 'False', reason: 'Errored' });
    expect(ps.status?.conditions?.[0]?.message).toMatch(
      /Secret ".*\/theirs" exists and was not created by Syncret or ESO \(no label managed-by=external-secrets\)/,
    );
    expect(text(await getSecret(remote, 'theirs'), 'value')).toBe(v.foreign);

    apply(
      pushSecret(ns, 'once', {
        updatePolicy: 'IfNotExists',
        secretStoreRefs: [{ name: 'remote' }],
        selector: { secret: { name: 'app' } },
        data: [
          { match: { secretKey: 'password', remoteRef: { remoteKey: 'theirs', property: 'value' } } },
          { match: { secretKey: 'password', remoteRef: { remoteKey: 'once', property: 'value' } } },
        ],
      }),
    );
    await waitPush(ns, 'once');
    expect(text(await getSecret(remote, 'theirs'), 'value')).toBe(v.foreign);
    expect(text(await getSecret(remote, 'once'), 'value')).toBe(v.password2);
  });

  it('deletionPolicy Delete removes its Secrets; None leaves them', async () => {
    apply(
      pushSecret(ns, 'del', {
        deletionPolicy: 'Delete',
        secretStoreRefs: [{ name: 'remote' }],
        selector: { secret: { name: 'app' } },
        data: [
          { match: { secretKey: 'password', remoteRef: { remoteKey: 'del', property: 'value' } } },
          { match: { secretKey: 'password', remoteRef: { remoteKey: 'theirs', property: 'value' } } },
        ],
      }),
      pushSecret(ns, 'none', {
        secretStoreRefs: [{ name: 'remote' }],
        selector: { secret: { name: 'app' } },
        data: [{ match: { secretKey: 'password', remoteRef: { remoteKey: 'kept', property: 'value' } } }],
      }),
    );
    await waitFor('del pushed', async () => text(await getSecret(remote, 'del'), 'value') === v.password2);
    await waitPush(ns, 'none');
    remove('pushsecret', ns, 'del');
    remove('pushsecret', ns, 'none');
    await waitFor(
      'both PushSecrets gone',
      async () => !(await getPush(ns, 'del')) && !(await getPush(ns, 'none')),
    );
    expect(await getSecret(remote, 'del')).toBeUndefined();
    expect(text(await getSecret(remote, 'theirs'), 'value')).toBe(v.foreign);
    expect(text(await getSecret(remote, 'kept'), 'value')).toBe(v.password2);
  });

  it('retries while the apiserver is unreachable, deletes nothing, then pushes', async () => {
    apply(
      kubernetesStore(ns, 'flaky', remote, { serviceAccount: { name: 'pusher' } }),
      pushSecret(ns, 'flaky', {
        deletionPolicy: 'Delete',
        secretStoreRefs: [{ name: 'flaky' }],
        selector: { secret: { name: 'late' } },
        data: [{ match: { secretKey: 'value', remoteRef: { remoteKey: 'flaky', property: 'value' } } }],
      }),
      plainSecret(ns, 'late', { value: v.password }),
    );
    await waitPush(ns, 'flaky');
    // A closed port on loopback: connections are refused.
    const down = kubernetesStore(ns, 'flaky', remote, { serviceAccount: { name: 'pusher' } }) as {
      spec: { provider: { kubernetes: { server: { url: string } } } };
    };
    down.spec.provider.kubernetes.server.url = 'https://127.0.0.1:1';
    apply(down, plainSecret(ns, 'late', { value: v.late }));
    await waitPush(ns, 'flaky', { status: 'False', reason: 'Errored' });
    expect(text(await getSecret(remote, 'flaky'), 'value')).toBe(v.password);
    apply(kubernetesStore(ns, 'flaky', remote, { serviceAccount: { name: 'pusher' } }));
    await waitFor(
      'pushed after recovery',
      async () => text(await getSecret(remote, 'flaky'), 'value') === v.late,
      {
        timeoutMs: 45_000,
      },
    );
  }, 90_000);
});
