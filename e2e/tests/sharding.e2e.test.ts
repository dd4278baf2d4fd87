// Sharding across replicas (--sharding, docs/OPERATIONS.md "Sharding"): three operators on the
// local control plane split N ExternalSecrets by namespace. Each holds exactly the share the
// ring gives it (its watch cache, its Secret writes, by its metrics), no object is reconciled
// by two replicas, the shard label keeps Argo CD's and Flux's diffs empty; a replica killed with
// SIGKILL has its share synced by the others within the lease duration plus one refresh
// interval, with the sources updated after the kill; then two replicas join (2 → 4) and only
// the objects the ring gives to the new ones move; a graceful stop (4 → 3) moves its share at
// once. Last, a ClusterExternalSecret and a ClusterPushSecret, served by the shard assigner
// only: their children are synced by the replica that owns each namespace, a foreign
// ExternalSecret of the child's name is left alone, and after the assigner stops the next one
// serves a change.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { ADMIN_KUBECONFIG } from '../lib/paths.js';
import {
  coordinationApi,
  createNamespace,
  customObjectsApi,
  kubectlBin,
  quietNamespaces,
} from '../lib/cluster.js';
import {
  apply,
  applyServerSide,
  externalSecret,
  fakeStore,
  getCustom,
  getEs,
  kube,
  kubectl,
  waitFor,
} from '../lib/kube.js';
import type { Obj } from '../lib/kube.js';
import { PUSH_API, getPush } from '../lib/push.js';
import { say } from '../lib/faults.js';
import { OPERATOR_NAMESPACE, startOperator } from '../lib/operator.js';
import type { OperatorHandle } from '../lib/operator.js';
import { finishSuite } from '../lib/suite.js';
import { secretValue } from '../lib/values.js';
import { readFileSync } from 'node:fs';
import { SHARD_LABEL, ownerOf } from '../../src/kube/shards.js';

// 3,000 (the figure): created in 44 s and all Ready after 48 s here, the whole file
// 114 s (an earlier, slower build of the operator took over 3 minutes to create and sync 3,000).
const NAMESPACES = 60;
const PER_NAMESPACE = 50;
const N = NAMESPACES * PER_NAMESPACE;
/** ExternalSecrets per namespace that refresh every REFRESH_S (the rest: 1 h). */
const LIVE = 2;
const REFRESH_S = 15;
// The chart's lease timings: with 12 s / 9 s a replica once fenced itself while the machine
// stalled the apiserver for over 9 s during startup.
const LEASE_S = 15;
const RETRY_S = 2;
const RUN = `s${Date.now().toString(36)}`;
const GROUP = `syncret-e2e-${RUN}`;
const base = secretValue('sharding');

const args = [
  '--sharding',
  '--leader-election-namespace',
  'syncret-system',
  '--leader-election-id',
  GROUP,
  '--lease-duration',
  `${LEASE_S}s`,
  '--renew-deadline',
  '10s',
  '--retry-period',
  `${RETRY_S}s`,
  '--metrics-per-object',
  '--min-refresh-interval',
  '1s',
  '--unsafe-allow-generic-targets',
];

const namespaces: string[] = [];
const ops = new Map<string, OperatorHandle>();

async function start(shard: string): Promise<OperatorHandle> {
  const op = await startOperator({ name: `shard-${shard}`, args, env: { POD_NAME: `${RUN}-${shard}` } });
  ops.set(shard, op);
  return op;
}
const member = (shard: string) => `${RUN}-${shard}`;

interface EsView {
  ns: string;
  name: string;
  shard: string | undefined;
  ready: boolean;
}

/** Every ExternalSecret of this run: its shard label and whether it is Ready. */
async function listAll(): Promise<EsView[]> {
  const out: EsView[] = [];
  let cont: string | undefined;
  do {
    const page = (await customObjectsApi().listCustomObjectForAllNamespaces({
      group: 'external-secrets.io',
      version: 'v1',
      resourcePlural: 'externalsecrets',
      labelSelector: `e2e-run=${RUN}`,
      limit: 1000,
      _continue: cont,
    })) as {
      items: {
        metadata: { namespace: string; name: string; labels?: Record<string, string> };
        status?: { conditions?: { type: string; status: string }[] };
      }[];
      metadata?: { _continue?: string; continue?: string };
    };
    for (const i of page.items)
      out.push({
        ns: i.metadata.namespace,
        name: i.metadata.name,
        shard: i.metadata.labels?.[SHARD_LABEL],
        ready: !!i.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      });
    cont = page.metadata?.continue || page.metadata?._continue || undefined;
  } while (cont);
  return out;
}

/** The ExternalSecrets (namespace/name) whose sync this replica counted (per-object metrics). */
async function syncedBy(op: OperatorHandle): Promise<Set<string>> {
  const out = new Set<string>();
  for (const line of (await op.metrics()).split('\n')) {
    if (!line.startsWith('externalsecret_sync_calls_total{')) continue;
    const ns = /namespace="([^"]*)"/.exec(line)?.[1];
    const name = /name="([^"]*)"/.exec(line)?.[1];
    if (ns && name && Number(line.split(' ').at(-1)) > 0 && ns.startsWith('e2e-shard'))
      out.add(`${ns}/${name}`);
  }
  return out;
}

const expectedOwner = (ns: string, shards: string[]) => ownerOf(ns, shards.map(member));

/**
 * Each replica's managed-Secret cache holds the managed Secrets of its namespaces and no others
 * (every namespace of the cluster counts: other suites' leftovers are sharded too).
 */
async function secretCachesSplit(shards: string[]): Promise<Record<string, number>> {
  return waitFor(
    `each replica's managed-Secret cache holding its share (${shards.join(', ')})`,
    async () => {
      const nss = kubectl([
        'get',
        'secrets',
        '-A',
        '-l',
        'reconcile.external-secrets.io/managed=true',
        '-o',
        'jsonpath={range .items[*]}{.metadata.namespace}{"\\n"}{end}',
      ])
        .split('\n')
        .filter(Boolean);
      const got: Record<string, number> = {};
      for (const s of shards) {
        const want = nss.filter((ns) => expectedOwner(ns, shards) === member(s)).length;
        got[s] = await ops.get(s)!.metric('syncret_cached_objects', { cache: 'managed_secrets' });
        if (got[s] !== want) return undefined;
      }
      return got;
    },
    { timeoutMs: 30_000, intervalMs: 1_000 },
  );
}

async function secretValueOf(ns: string, name: string): Promise<string | undefined> {
  try {
    const s = await kube().core.readNamespacedSecret({ namespace: ns, name });
    const v = s.data?.v;
    return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');
  } catch {
    return undefined;
  }
}

function manifests(ns: string, value: string): { store: object; es: object[] } {
  const store = fakeStore(ns, 'fake', [
    { key: 'k', value: `${base}-${ns}` },
    { key: 'live', value },
  ]);
  const es = Array.from({ length: PER_NAMESPACE }, (_, i) =>
    externalSecret(
      ns,
      `es-${i}`,
      {
        secretStoreRef: { name: 'fake' },
        refreshInterval: i < LIVE ? `${REFRESH_S}s` : '1h',
        target: { name: `t-${i}` },
        data: [{ secretKey: 'v', remoteRef: { key: i < LIVE ? 'live' : 'k' } }],
      },
      { labels: { 'e2e-run': RUN } },
    ),
  );
  return { store, es };
}

/** `kubectl diff` (client-side, as Argo CD; or server-side, as Flux): exit 0 = nothing to change. */
function kubectlDiff(docs: object[], serverSide: boolean): { code: number; out: string } {
  try {
    execFileSync(
      kubectlBin(),
      [
        '--kubeconfig',
        ADMIN_KUBECONFIG,
        'diff',
        ...(serverSide ? ['--server-side', '--field-manager', 'e2e-flux'] : []),
        '-f',
        '-',
      ],
      {
        input: docs.map((d) => JSON.stringify(d)).join('\n'),
        encoding: 'utf8',
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    return { code: 0, out: '' };
  } catch (e) {
    const err = e as { status?: number; stdout?: string; stderr?: string };
    return { code: err.status ?? -1, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

/**
 * Creates our kinds with plain POSTs, 12 at once (kubectl sends one at a time). Each write took
 * about a second on this loaded apiserver; 48 at once created 1,500 in 72 s, but then the
 * replicas' lease renewals waited over 10 s behind the writes and two replicas fenced themselves.
 */
async function createAll(objs: object[], limit = 12): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < objs.length) {
      const o = objs[next++] as { kind: string; metadata: { namespace: string } };
      await customObjectsApi().createNamespacedCustomObject({
        group: 'external-secrets.io',
        version: 'v1',
        namespace: o.metadata.namespace,
        plural: o.kind === 'SecretStore' ? 'secretstores' : 'externalsecrets',
        body: o,
      });
    }
  };
  await Promise.all(Array.from({ length: limit }, lane));
}

async function leaderShard(shards: string[]): Promise<string> {
  return waitFor(
    'one shard assigner',
    async () => {
      const leading: string[] = [];
      for (const s of shards)
        if (
          (await ops
            .get(s)!
            .metric('syncret_leader')
            .catch(() => 0)) === 1
        )
          leading.push(s);
      return leading.length === 1 ? leading[0] : undefined;
    },
    { timeoutMs: 20_000 },
  );
}

/** Every replica follows one epoch whose members are `shards`. */
async function settled(shards: string[]): Promise<number> {
  return waitFor(
    `the assignment of ${shards.join(', ')}`,
    async () => {
      const lease = await coordinationApi()
        .readNamespacedLease({ name: `${GROUP}-shards`, namespace: 'syncret-system' })
        .catch(() => undefined);
      const a = lease?.metadata?.annotations ?? {};
      const epoch = Number(a['sharding.syncret.io/epoch'] ?? 0);
      if ((a['sharding.syncret.io/members'] ?? '') !== shards.map(member).sort().join(',')) return undefined;
      for (const s of shards)
        if ((await ops.get(s)!.metric('syncret_shard_epoch')) !== epoch) return undefined;
      return epoch;
    },
    { timeoutMs: 30_000, intervalMs: 250 },
  );
}

const gitopsDocs: { argo: object[]; flux: object[] } = { argo: [], flux: [] };

beforeAll(async () => {
  await quietNamespaces();
  // What the chart's genericTargets grants for ConfigMaps (the target.manifest test).
  apply(
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'syncret-e2e-shard-configmaps' },
      rules: [
        {
          apiGroups: [''],
          resources: ['configmaps'],
          verbs: ['get', 'list', 'watch', 'create', 'update', 'delete'],
        },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'syncret-e2e-shard-configmaps' },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'syncret-e2e-shard-configmaps',
      },
      subjects: [{ kind: 'ServiceAccount', name: 'syncret', namespace: OPERATOR_NAMESPACE }],
    },
  );
  namespaces.push(
    ...(await Promise.all(Array.from({ length: NAMESPACES }, () => createNamespace('e2e-shard')))),
  );
});

afterAll(async () => {
  await finishSuite(...ops.values());
});

describe('sharding across replicas', () => {
  it(`three replicas split ${N} ExternalSecrets by the ring; each reconciles only its own`, async () => {
    for (const s of ['a', 'b', 'c']) await start(s);
    await settled(['a', 'b', 'c']);

    const t0 = Date.now();
    const stores: object[] = [];
    const rest: object[] = [];
    namespaces.forEach((ns, i) => {
      const { store, es } = manifests(ns, `${base}-live-0`);
      stores.push(store);
      // As Argo CD (client-side apply) and Flux (server-side apply) would, for two namespaces.
      if (i === 0) gitopsDocs.argo = es;
      else if (i === 1) gitopsDocs.flux = es;
      else rest.push(...es);
    });
    await createAll(stores);
    apply(...gitopsDocs.argo);
    applyServerSide(...gitopsDocs.flux);
    await createAll(rest);
    const created = Date.now() - t0;

    const all = await waitFor(
      `${N} ExternalSecrets Ready`,
      async () => {
        const got = await listAll();
        return got.length === N && got.every((e) => e.ready) ? got : undefined;
      },
      { timeoutMs: 150_000, intervalMs: 3_000 },
    );
    say(`created ${N} in ${created} ms; all Ready after ${Date.now() - t0} ms`);

    const members = ['a', 'b', 'c'];
    const wrong = all.filter((e) => e.shard !== expectedOwner(e.ns, members));
    expect(wrong.slice(0, 5)).toEqual([]);
    for (const s of members) {
      const op = ops.get(s)!;
      const mine = all.filter((e) => e.shard === member(s));
      const held = await op.metric('syncret_externalsecrets');
      const writes = await op.metric('syncret_secret_writes_total');
      const synced = await syncedBy(op);
      say(
        `replica ${s}: holds ${held} of ${N} (${((100 * held) / N).toFixed(1)} %), wrote ${writes} Secrets`,
      );
      // Its watch cache holds its share and nothing else; it synced and wrote exactly those.
      expect(held).toBe(mine.length);
      // About a third: 60 random namespace names give a binomial split (one run had 10 of 60,
      // 2.7 standard deviations short); a tenth is 4.5 below, and an empty share is a bug.
      expect(held).toBeGreaterThan(N / 10);
      expect(writes).toBe(mine.length);
      expect([...synced].sort()).toEqual(mine.map((e) => `${e.ns}/${e.name}`).sort());
    }
    const split = await secretCachesSplit(members);
    say(`managed Secrets held per replica: ${JSON.stringify(split)}`);
    // The apiserver sends each replica only its buckets' Secrets (the bucket label and selector):
    // its Secret watch delivered about its share of the N new Secrets, not all N. A replica that
    // runs a PushSecret also watches its namespace's Secrets as sources, so it is left out.
    for (const s of members) {
      const op = ops.get(s)!;
      if ((await op.metric('syncret_cached_objects', { cache: 'push_sources' })) > 0) {
        say(`replica ${s} watches PushSecret sources (every Secret): its Secret events not counted`);
        continue;
      }
      const added = await op.metric('syncret_watch_events_total', { resource: 'secrets', type: 'ADDED' });
      say(`replica ${s}: ${added} Secrets arrived by its watch`);
      expect(added).toBeGreaterThanOrEqual(all.filter((e) => e.shard === member(s)).length);
      expect(added).toBeLessThanOrEqual(split[s]! + 5);
    }
    // Once per new object, not once per pass that saw it before the watch caught up.
    const assigner = await leaderShard(members);
    const firsts = await ops
      .get(assigner)!
      .metric('syncret_shard_relabels_total', { kind: 'ExternalSecret', move: 'false' });
    // One first label per ExternalSecret of the cluster (other suites' leftovers are labelled
    // too); a burst of creates once made 1.5 per object.
    const inCluster = kubectl(['get', 'externalsecrets.external-secrets.io', '-A', '-o', 'name'])
      .split('\n')
      .filter(Boolean).length;
    say(
      `the assigner (${assigner}) wrote ${firsts} first labels; ${inCluster} ExternalSecrets in the cluster`,
    );
    expect(firsts).toBeGreaterThanOrEqual(N);
    // Room for leftovers deleted since they were labelled; the double writes were 0.5 per object.
    expect(firsts).toBeLessThan(inCluster + N / 5);
    for (const s of members) expect(split[s]).toBeLessThan((2 * N) / 3);

    // The shard label and epoch annotation are metadata Git does not hold: no diff either way.
    expect(kubectlDiff(gitopsDocs.argo, false)).toEqual({ code: 0, out: '' });
    expect(kubectlDiff(gitopsDocs.flux, true)).toEqual({ code: 0, out: '' });
  }, 200_000);

  it('a managed Secret without its bucket label (as one written before --sharding) gains it alone: CreatedOnce keeps its data', async () => {
    const ns = await createNamespace('e2e-shard-relabel');
    const first = secretValue('created-once');
    apply(fakeStore(ns, 'fake', [{ key: 'k', value: first }]));
    apply(
      externalSecret(ns, 'once', {
        secretStoreRef: { name: 'fake' },
        refreshPolicy: 'CreatedOnce',
        data: [{ secretKey: 'v', remoteRef: { key: 'k' } }],
      }),
    );
    const bucket = () =>
      kubectl([
        'get',
        'secret',
        'once',
        '-n',
        ns,
        '-o',
        'jsonpath={.metadata.labels.sharding\\.syncret\\.io/bucket}',
      ]);
    await waitFor('the Secret of a CreatedOnce ExternalSecret, with its bucket', async () =>
      (await secretValueOf(ns, 'once')) === first && bucket() !== '' ? true : undefined,
    );
    const label = bucket();
    // A new value at the source: CreatedOnce must not take it, however the Secret is relabelled.
    apply(fakeStore(ns, 'fake', [{ key: 'k', value: secretValue('not-taken') }]));
    kubectl(['label', 'secret', 'once', '-n', ns, 'sharding.syncret.io/bucket-']);
    // Out of its owner's watch now (a DELETED event there): the drift run finds it by a GET and
    // writes the label back, and only the label.
    await waitFor('the bucket label written back', async () => (bucket() === label ? true : undefined), {
      timeoutMs: 30_000,
    });
    expect(await secretValueOf(ns, 'once')).toBe(first);
    const es = await getEs(ns, 'once');
    expect(es?.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    // The next tests count N ExternalSecrets over the replicas.
    kubectl(['delete', 'externalsecret', 'once', '-n', ns]);
  });

  it('target.manifest objects carry their bucket: each replica watches only its own; one without the label gains it alone', async () => {
    const members = ['a', 'b', 'c'];
    // One namespace of each replica's share, each with a CreatedOnce ConfigMap target.
    const picks = members.map((s) => namespaces.find((ns) => expectedOwner(ns, members) === member(s))!);
    const first = secretValue('configmap-once');
    for (const ns of picks) {
      apply(fakeStore(ns, 'cm-store', [{ key: 'c', value: first }]));
      apply(
        externalSecret(ns, 'cm', {
          secretStoreRef: { name: 'cm-store' },
          refreshPolicy: 'CreatedOnce',
          target: { name: 'cm', manifest: { apiVersion: 'v1', kind: 'ConfigMap' } },
          data: [{ secretKey: 'v', remoteRef: { key: 'c' } }],
        }),
      );
    }
    const configMap = (ns: string) =>
      kube()
        .core.readNamespacedConfigMap({ namespace: ns, name: 'cm' })
        .catch(() => undefined);
    const bucket = async (ns: string) =>
      (await configMap(ns))?.metadata?.labels?.['sharding.syncret.io/bucket'];
    await waitFor('the three ConfigMaps, each with its bucket', async () =>
      (await Promise.all(picks.map(bucket))).every((b) => b) ? true : undefined,
    );
    // Each replica's ConfigMap watch holds the managed ConfigMaps of its namespaces only (any
    // other suite's leftovers included).
    await waitFor(
      "each replica's ConfigMap cache holding its share",
      async () => {
        const nss = kubectl([
          'get',
          'configmaps',
          '-A',
          '-l',
          'reconcile.external-secrets.io/managed=true',
          '-o',
          'jsonpath={range .items[*]}{.metadata.namespace}{"\\n"}{end}',
        ])
          .split('\n')
          .filter(Boolean);
        for (const s of members) {
          const want = nss.filter((ns) => expectedOwner(ns, members) === member(s)).length;
          const held = await ops.get(s)!.metric('syncret_cached_objects', { cache: 'managed_configmaps' });
          if (held !== want || held < 1) return undefined;
        }
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 1_000 },
    );
    // Stripped of its bucket (as one written before --sharding): its owner gets a DELETED event,
    // reads it with a GET and writes the label back, and only the label (CreatedOnce: the new
    // value at the source is not taken).
    const ns = picks[0]!;
    const label = await bucket(ns);
    apply(fakeStore(ns, 'cm-store', [{ key: 'c', value: secretValue('configmap-not-taken') }]));
    kubectl(['label', 'configmap', 'cm', '-n', ns, 'sharding.syncret.io/bucket-']);
    await waitFor(
      'the bucket label written back',
      async () => ((await bucket(ns)) === label ? true : undefined),
      {
        timeoutMs: 30_000,
      },
    );
    expect((await configMap(ns))?.data).toEqual({ v: first });
    // The next tests count the ExternalSecrets of this run over the replicas.
    for (const n of picks) kubectl(['delete', 'externalsecret', 'cm', '-n', n]);
  });

  it('a replica killed with SIGKILL: its share is synced by the others within the lease duration plus one interval, no update lost', async () => {
    const leader = await leaderShard(['a', 'b', 'c']);
    const victim = ['a', 'b', 'c'].find((s) => s !== leader)!;
    const rest = ['a', 'b', 'c'].filter((s) => s !== victim);
    const before = await listAll();
    const theirs = before.filter((e) => e.shard === member(victim));
    const victimNs = [...new Set(theirs.map((e) => e.ns))];

    await ops.get(victim)!.kill();
    ops.delete(victim);
    const killedAt = Date.now();
    // Updated after the kill: only the survivors can write these.
    const updated = `${base}-live-1`;
    apply(...victimNs.map((ns) => manifests(ns, updated).store));

    await waitFor(
      `the ${LIVE * victimNs.length} refreshing Secrets of the killed replica's share updated`,
      async () => {
        for (const ns of victimNs)
          for (let i = 0; i < LIVE; i++)
            if ((await secretValueOf(ns, `t-${i}`)) !== updated) return undefined;
        return true;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const tookMs = Date.now() - killedAt;
    say(
      `share of ${victim} (${theirs.length} objects in ${victimNs.length} namespaces) synced ${tookMs} ms after SIGKILL`,
    );
    // The lease duration and the assigner's next look (a retry period), one refresh interval,
    // and the label writes of the moved objects: one merge patch each, which this loaded
    // apiserver took at 28 to 35 per second with 32 at once (allowed: 20 per second).
    expect(tookMs).toBeLessThan((LEASE_S + RETRY_S + REFRESH_S) * 1000 + theirs.length * 50);

    await settled(rest);
    const after = await listAll();
    expect(after.filter((e) => e.shard !== expectedOwner(e.ns, rest)).slice(0, 5)).toEqual([]);
    // Only the killed replica's objects moved.
    const moved = after.filter((e, i) => e.shard !== before[i]?.shard);
    expect(before.every((e, i) => after[i]?.name === e.name && after[i]?.ns === e.ns)).toBe(true);
    expect(moved.length).toBe(theirs.length);
    let held = 0;
    for (const s of rest) held += await ops.get(s)!.metric('syncret_externalsecrets');
    expect(held).toBe(N);
    await secretCachesSplit(rest);
  }, 90_000);

  it('two replicas join (2 → 4): only the objects the ring gives to the new ones move', async () => {
    const old = [...ops.keys()].sort();
    const before = await listAll();
    for (const s of ['d', 'e']) await start(s);
    const members = [...old, 'd', 'e'];
    await settled(members);
    const after = await waitFor(
      'every ExternalSecret on its shard of four',
      async () => {
        const got = await listAll();
        return got.every((e) => e.shard === expectedOwner(e.ns, members)) ? got : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1_000 },
    );
    const moved = after.filter((e, i) => e.shard !== before[i]?.shard);
    const toNew = moved.filter((e) => e.shard === member('d') || e.shard === member('e'));
    say(`2 → 4: ${moved.length} of ${N} moved, all to the new replicas: ${toNew.length === moved.length}`);
    expect(toNew.length).toBe(moved.length);
    expect(moved.length).toBeGreaterThan(N / 4);
    expect(moved.length).toBeLessThan((3 * N) / 4);
    let held = 0;
    for (const s of members) held += await ops.get(s)!.metric('syncret_externalsecrets');
    expect(held).toBe(N);
    // The moved ones reconcile on their new replica without a new write (already in sync).
    const writesNew =
      (await ops.get('d')!.metric('syncret_secret_writes_total')) +
      (await ops.get('e')!.metric('syncret_secret_writes_total'));
    say(`Secret writes by the new replicas after the move: ${writesNew}`);
    expect(writesNew).toBe(0);
    await secretCachesSplit(members);
  }, 90_000);

  it('a graceful stop (4 → 3) hands its share on at once: it drains, deletes its Lease, only its objects move', async () => {
    const members = [...ops.keys()].sort();
    const leaving = members.find((s) => s === 'd')!;
    const rest = members.filter((s) => s !== leaving);
    const before = await listAll();
    const theirs = before.filter((e) => e.shard === member(leaving)).length;
    const t0 = Date.now();
    expect(await ops.get(leaving)!.stop()).toBe(0);
    ops.delete(leaving);
    await settled(rest);
    const after = await waitFor(
      'every ExternalSecret on its shard of three',
      async () => {
        const got = await listAll();
        return got.every((e) => e.shard === expectedOwner(e.ns, rest)) ? got : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const tookMs = Date.now() - t0;
    const moved = after.filter((e, i) => e.shard !== before[i]?.shard);
    say(`4 → 3 by SIGTERM: ${moved.length} objects of ${leaving} moved ${tookMs} ms after the signal`);
    expect(moved.length).toBe(theirs);
    expect(before.filter((e, i) => e.shard !== member(leaving) && after[i]?.shard !== e.shard)).toEqual([]);
    // No lease expiry to wait for: well under the lease duration plus the label writes.
    expect(tookMs).toBeLessThan(LEASE_S * 1000 + theirs * 50);
    let held = 0;
    for (const s of rest) held += await ops.get(s)!.metric('syncret_externalsecrets');
    expect(held).toBe(N);
    await secretCachesSplit(rest);
  }, 90_000);
  it('ClusterExternalSecret and ClusterPushSecret run on the assigner; their children on their owners; the next assigner takes over', async () => {
    const t0 = Date.now();
    const members = [...ops.keys()].sort();
    const select = `ces-${RUN}`;
    const CES = `ces-${RUN}`;
    const CPS = `cps-${RUN}`;
    const EXISTS = 'external secret already exists in namespace';
    const [n0, n1, n2, taken, later] = namespaces.slice(0, 5) as [string, string, string, string, string];
    const label = (...nss: string[]) => kubectl(['label', 'namespace', ...nss, `${select}=yes`]);
    type FanStatus = {
      provisionedNamespaces?: string[];
      failedNamespaces?: { namespace: string; reason?: string }[];
      conditions?: { type: string; status: string }[];
    };
    const cesStatus = async () =>
      ((await getCustom('clusterexternalsecrets', undefined, CES)) as Obj | undefined)?.status as
        FanStatus | undefined;
    const provisioned = (want: string[]) =>
      waitFor(
        `the ClusterExternalSecret provisions ${want.length} namespaces`,
        async () => {
          const st = await cesStatus();
          return JSON.stringify(st?.provisionedNamespaces ?? []) === JSON.stringify([...want].sort())
            ? st
            : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 250 },
      );
    /** The child's Secret holds its namespace's value, written by the replica that owns it. */
    const synced = (ns: string, shards: string[]) =>
      waitFor(
        `the child ExternalSecret of ${ns} synced by its owner`,
        async () => {
          const es = await getEs(ns, 'fanned');
          const shard = es?.metadata.labels?.[SHARD_LABEL];
          if (!shard || shard !== expectedOwner(ns, shards)) return undefined;
          return (await secretValueOf(ns, 'fanned-secret')) === `${base}-${ns}` ? shard : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 250 },
      );

    // An ExternalSecret of the child's name that the ClusterExternalSecret does not own.
    apply(
      externalSecret(taken, 'fanned', {
        secretStoreRef: { name: 'fake' },
        target: { name: 'mine' },
        data: [{ secretKey: 'v', remoteRef: { key: 'k' } }],
      }),
    );
    label(n0, n1, n2);
    apply(
      {
        apiVersion: 'external-secrets.io/v1',
        kind: 'ClusterExternalSecret',
        metadata: { name: CES },
        spec: {
          externalSecretName: 'fanned',
          namespaceSelectors: [{ matchLabels: { [select]: 'yes' } }],
          externalSecretSpec: {
            refreshInterval: '1h',
            secretStoreRef: { name: 'fake' },
            target: { name: 'fanned-secret' },
            data: [{ secretKey: 'v', remoteRef: { key: 'k' } }],
          },
        },
      },
      {
        apiVersion: PUSH_API,
        kind: 'ClusterPushSecret',
        metadata: { name: CPS },
        spec: {
          pushSecretName: 'pushed',
          namespaceSelectors: [{ matchLabels: { [select]: 'yes' } }],
          pushSecretSpec: {
            secretStoreRefs: [{ name: 'fake', kind: 'SecretStore' }],
            selector: { secret: { name: 't-0' } },
            data: [{ match: { secretKey: 'v', remoteRef: { remoteKey: 'pushed' } } }],
          },
        },
      },
    );
    const st = await provisioned([n0, n1, n2]);
    expect(st.failedNamespaces).toBeUndefined();
    expect(st.conditions?.map((c) => [c.type, c.status])).toEqual([['Ready', 'True']]);
    const owners = new Set<string>();
    for (const ns of [n0, n1, n2]) owners.add(await synced(ns, members));
    say(
      `ClusterExternalSecret: 3 children synced by ${owners.size} replicas ${Date.now() - t0} ms after create`,
    );

    // The foreign one is reported and left as it was.
    label(taken);
    const failed = await waitFor(
      'the foreign ExternalSecret reported',
      async () => {
        const s = await cesStatus();
        return s?.failedNamespaces?.some((f) => f.namespace === taken) ? s : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    expect(failed.failedNamespaces).toEqual([{ namespace: taken, reason: EXISTS }]);
    expect(failed.conditions?.map((c) => [c.type, c.status])).toEqual([
      ['Ready', 'False'],
      ['PartiallyReady', 'True'],
    ]);
    const foreign = (await getEs(taken, 'fanned'))!;
    expect(foreign.metadata.ownerReferences).toBeUndefined();
    expect((foreign.spec as { target?: { name?: string } }).target?.name).toBe('mine');

    // The ClusterPushSecret's children are reconciled by their owners too (the fake store
    // refuses pushes: Ready=False, written by the owner, is enough).
    await waitFor(
      'the PushSecrets of the ClusterPushSecret reconciled by their owners',
      async () => {
        for (const ns of [n0, n1, n2, taken]) {
          const ps = await getPush(ns, 'pushed');
          if (ps?.metadata.labels?.[SHARD_LABEL] !== expectedOwner(ns, members)) return undefined;
          if (!ps?.status?.conditions?.some((c) => c.type === 'Ready')) return undefined;
        }
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );

    // Each replica watches PushSecret sources (any Secret) only in the namespaces of its own
    // PushSecrets, not the cluster's Secrets.
    const pushed = [n0, n1, n2, taken];
    const sourceSplit = await waitFor(
      "each replica's PushSecret-source cache holding its namespaces' Secrets",
      async () => {
        const got: Record<string, number> = {};
        for (const s of members) {
          const mine = pushed.filter((ns) => expectedOwner(ns, members) === member(s));
          const want = mine
            .map(
              (ns) => kubectl(['get', 'secrets', '-n', ns, '-o', 'name']).split('\n').filter(Boolean).length,
            )
            .reduce((a, b) => a + b, 0);
          got[s] = await ops.get(s)!.metric('syncret_cached_objects', { cache: 'push_sources' });
          if (got[s] !== want) return undefined;
        }
        return got;
      },
      { timeoutMs: 30_000, intervalMs: 1_000 },
    );
    say(`PushSecret sources held per replica: ${JSON.stringify(sourceSplit)}`);

    // The assigner stops (SIGTERM): the next one serves a change of the selection.
    const leader = await leaderShard(members);
    const leaderLog = ops.get(leader)!.logFile;
    const stoppedAt = Date.now();
    expect(await ops.get(leader)!.stop()).toBe(0);
    ops.delete(leader);
    const rest = members.filter((s) => s !== leader);
    const log = readFileSync(leaderLog, 'utf8');
    // Its fan-out stopped before its leader election Lease was released.
    const stoppedLine = log.lastIndexOf('fan-out controllers stopped on the shard assigner');
    expect(stoppedLine).toBeGreaterThan(0);
    expect(log.lastIndexOf('released leadership')).toBeGreaterThan(stoppedLine);
    const next = await leaderShard(rest);
    label(later);
    await provisioned([n0, n1, n2, later]);
    await waitFor(
      'the ClusterPushSecret provisions the new namespace',
      async () => {
        const o = await getPush(undefined, CPS, 'clusterpushsecrets');
        const p = (o?.status as FanStatus | undefined)?.provisionedNamespaces ?? [];
        return p.includes(later) ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    say(`assigner ${leader} stopped; ${next} served the new namespace ${Date.now() - stoppedAt} ms later`);
    await synced(later, rest);
    say(`ClusterExternalSecret phase: ${Date.now() - t0} ms`);
  }, 90_000);
});
