// Faults on the real parts, one after the other against one operator: kube-apiserver and etcd
// killed with SIGKILL and started again on the same data; the operator frozen while objects
// change, etcd compacted and the apiserver restarted (its watches resume from a compacted
// revision: 410 Gone and a relist); moto killed with SIGKILL and started again (empty, as moto
// keeps nothing); OpenBao frozen (SIGSTOP: its socket accepts connections that never answer,
// a black hole on loopback) and thawed. Each asserts that every change made during the fault
// is synced after it (no lost update), that no Secret ever held another key's or a stale
// generation's data or went missing (last good data kept), that Secret writes are one per
// change (no duplicate writes), and a recovery bound; backend faults also that the
// ExternalSecrets and the store report Ready=False with a reason during the outage and that
// provider calls stay within the backoff's bound. The measured times are printed (`faults:`
// lines) and recorded in docs/RELIABILITY.md, "Fault matrix".

import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  advanceEtcd,
  compactEtcd,
  doublingMin,
  freeze,
  killComponent,
  maxAttempts,
  say,
  startComponent,
  startServer,
  thaw,
} from '../lib/faults.js';
import { pollHealth } from '../lib/health.js';
import {
  apply,
  externalSecret,
  getCustom,
  getEs,
  getSecret,
  newNamespace,
  plainSecret,
  ready,
  waitEs,
  waitFor,
  waitReady,
} from '../lib/kube.js';
import { coreApi, quietNamespaces } from '../lib/cluster.js';
import { startOperator } from '../lib/operator.js';
import type { OperatorHandle } from '../lib/operator.js';
import { serverVar } from '../lib/servers.js';
import { finishSuite } from '../lib/suite.js';
import { secretValue } from '../lib/values.js';
import { kv2Put, mountKv, suffix, vaultStore } from '../lib/vault.js';
import { closeAdmins, operatorAwsEnv, REGION, smAdmin } from './aws-moto.js';

const sfx = suffix();
const kv = `kv-faults-${sfx}`;
/** ExternalSecrets per backend; each reads its own key. */
const N = 20;
const M = 10;
const REFRESH = '5s';
/** Longest backoff of a failing sync (the operator's --requeue-on-error-max). */
const ERROR_MAX_MS = 8_000;
/** Recovery bounds after the component or server is back (measured: docs/RELIABILITY.md). */
const CONTROL_PLANE_RECOVERY_MS = 30_000;
const BACKEND_RECOVERY_MS = 25_000;

let op: OperatorHandle | undefined;
let ns = '';
const vaultToken = serverVar('VAULT_TOKEN');
const awsSecretKey = secretValue('faults-aws-key');
/** Every value a key ever had, by key, newest last. */
const history = new Map<string, string[]>();
const measured: string[] = [];

const vaultKeys = Array.from({ length: N }, (_, i) => `v${i}`);
const awsKeys = Array.from({ length: M }, (_, i) => `a${i}`);
const awsName = (k: string): string => `faults-${sfx}/${k}`;

function nextValue(key: string): string {
  const v = secretValue(`faults-${key}`);
  history.set(key, [...(history.get(key) ?? []), v]);
  return v;
}
const latest = (key: string): string => history.get(key)!.at(-1)!;

async function putVault(keys: string[]): Promise<void> {
  for (const k of keys) await kv2Put(kv, k, { v: nextValue(k) });
}

async function putAws(keys: string[]): Promise<void> {
  for (const k of keys)
    await smAdmin().send(new CreateSecretCommand({ Name: awsName(k), SecretString: nextValue(k) }));
}

const esFor = (key: string, store: string, remote: string, extra: Record<string, unknown> = {}) =>
  externalSecret(ns, key, {
    refreshInterval: REFRESH,
    secretStoreRef: { name: store },
    target: { name: `t-${key}` },
    data: [{ secretKey: 'v', remoteRef: { key: remote, ...(store === 'vault' ? { property: 'v' } : {}) } }],
    ...extra,
  });

/** The value each target Secret holds now (undefined: no Secret or no `v`). */
async function targets(keys: string[]): Promise<Map<string, string | undefined>> {
  const out = new Map<string, string | undefined>();
  await Promise.all(
    keys.map(async (k) => {
      const s = await getSecret(ns, `t-${k}`);
      out.set(k, s?.data?.v === undefined ? undefined : Buffer.from(s.data.v, 'base64').toString());
    }),
  );
  return out;
}

/** Waits until every key's Secret holds its latest value; the time it took. */
async function allSynced(keys: string[], timeoutMs: number, what: string): Promise<number> {
  const t0 = Date.now();
  await waitFor(
    `${what}: ${keys.length} Secrets at their latest value`,
    async () => {
      const now = await targets(keys);
      return keys.every((k) => now.get(k) === latest(k));
    },
    { timeoutMs, intervalMs: 250 },
  );
  return Date.now() - t0;
}

/**
 * Samples the target Secrets every 500 ms while a fault lasts, where the apiserver answers:
 * each must exist and hold one of its key's own values, never another key's or nothing.
 * Reads that fail (the apiserver is down) are skipped, not counted.
 */
function sampleSecrets(keys: string[]): { stop(): Promise<{ samples: number; wrong: string[] }> } {
  let stopped = false;
  let samples = 0;
  const wrong: string[] = [];
  const loop = (async () => {
    while (!stopped) {
      try {
        const now = await targets(keys);
        samples++;
        for (const k of keys) {
          const v = now.get(k);
          if (v === undefined) wrong.push(`${k}: Secret or key missing`);
          else if (!history.get(k)!.includes(v)) wrong.push(`${k}: a value that is not its own`);
        }
      } catch {
        // the control plane is down: nothing to see
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { samples, wrong: [...new Set(wrong)] };
    },
  };
}

/** The Secrets in the namespace that an ExternalSecret of this file owns: exactly one per key. */
async function ownedTargets(): Promise<string[]> {
  const list = await coreApi().listNamespacedSecret({ namespace: ns });
  return list.items
    .filter((s) => (s.metadata?.ownerReferences ?? []).some((o) => o.kind === 'ExternalSecret'))
    .map((s) => `${s.metadata!.name}<-${(s.metadata!.ownerReferences ?? []).map((o) => o.name).join(',')}`)
    .sort();
}

const writes = async (): Promise<number> => op!.metric('syncret_secret_writes_total');
const providerCalls = async (provider: string): Promise<number> =>
  op!.metric('syncret_provider_calls_total', { provider });

function record(row: string): void {
  measured.push(row);
  say(`faults: ${row}`);
}

beforeAll(async () => {
  await quietNamespaces();
  op = await startOperator({
    name: 'faults',
    args: [`--requeue-on-error-max=${ERROR_MAX_MS / 1000}s`],
    env: operatorAwsEnv(),
  });
  ns = newNamespace('e2e-faults');
  await mountKv(kv, 2);
  await putVault(vaultKeys);
  await putAws(awsKeys);
  apply(
    plainSecret(ns, 'creds', { token: vaultToken, id: 'AKIAFAULTS0000000000', secret: awsSecretKey }),
    vaultStore(ns, 'vault', {
      path: kv,
      version: 'v2',
      auth: { tokenSecretRef: { name: 'creds', key: 'token' } },
    }),
    {
      apiVersion: 'external-secrets.io/v1',
      kind: 'SecretStore',
      metadata: { name: 'aws', namespace: ns },
      spec: {
        provider: {
          aws: {
            service: 'SecretsManager',
            region: REGION,
            auth: {
              secretRef: {
                accessKeyIDSecretRef: { name: 'creds', key: 'id' },
                secretAccessKeySecretRef: { name: 'creds', key: 'secret' },
              },
            },
          },
        },
      },
    },
    ...vaultKeys.map((k) => esFor(k, 'vault', k)),
    ...awsKeys.map((k) => esFor(k, 'aws', awsName(k))),
  );
  await waitReady('secretstores', ns, 'vault');
  await waitReady('secretstores', ns, 'aws');
  await allSynced([...vaultKeys, ...awsKeys], 60_000, 'first sync');
}, 120_000);

afterAll(async () => {
  closeAdmins();
  if (measured.length > 0) say(`faults: summary\n  ${measured.join('\n  ')}`);
  await finishSuite(op);
}, 60_000);

/**
 * One control-plane component killed with SIGKILL and started again after `outageMs`, while
 * every Vault key gets a new value (Vault is apart from the control plane); all of them must be
 * synced after, each Secret written once for it.
 */
async function controlPlaneCrash(component: 'kube-apiserver' | 'etcd', outageMs: number): Promise<void> {
  const w0 = await writes();
  const sampler = sampleSecrets(vaultKeys);
  const t0 = Date.now();
  await killComponent(component);
  await putVault(vaultKeys);
  await new Promise((r) => setTimeout(r, Math.max(0, outageMs - (Date.now() - t0))));
  const down = Date.now() - t0;
  const tStart = Date.now();
  await startComponent(component);
  const startMs = Date.now() - tStart;
  const recovery = await allSynced(vaultKeys, CONTROL_PLANE_RECOVERY_MS, `after ${component} came back`);
  const sampled = await sampler.stop();
  const w = (await writes()) - w0;
  record(
    `${component} SIGKILL, ${(down / 1000).toFixed(1)} s down, ${N} Vault values changed meanwhile: ` +
      `${component} ready in ${(startMs / 1000).toFixed(1)} s, all ${N} synced ${(recovery / 1000).toFixed(1)} s after it was ready; ` +
      `${w} Secret writes; ${sampled.samples} samples of the Secrets, ${sampled.wrong.length} wrong`,
  );
  expect(op!.exited()).toBe(false);
  expect(sampled.wrong).toEqual([]);
  // One write per changed Secret; a write whose answer the crash lost is retried as a no-op.
  expect(w).toBeLessThanOrEqual(N);
  expect(recovery).toBeLessThan(CONTROL_PLANE_RECOVERY_MS);
}

describe('faults on the control plane', () => {
  it('kube-apiserver killed (SIGKILL) and restarted: every change made meanwhile is synced, once', async () => {
    await controlPlaneCrash('kube-apiserver', 10_000);
    // The watches resumed: a spec change and a new object right after are synced at once.
    apply(esFor('v0', 'vault', 'v1'));
    history.set('v0', [...history.get('v0')!, latest('v1')]);
    const t0 = Date.now();
    await allSynced(['v0'], 15_000, 'a spec change after the restart');
    record(
      `kube-apiserver: a spec change after the restart synced in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    apply(esFor('v0', 'vault', 'v0'));
    history.set('v0', [...history.get('v0')!, history.get('v0')!.at(-2)!]);
    await allSynced(['v0'], 15_000, 'the spec change undone');
  }, 120_000);

  it('etcd killed (SIGKILL) and restarted with its data: every change made meanwhile is synced, once', async () => {
    await controlPlaneCrash('etcd', 10_000);
    await waitEs(ns, 'v0', {}, 15_000);
  }, 120_000);

  it('changes while the operator is frozen, etcd compacted, the apiserver restarted: a 410 relist loses nothing', async () => {
    const gone0 = await op!.metric('syncret_watch_restarts_total', { reason: 'gone' });
    const w0 = await writes();
    freeze(op!.pid);
    const t0 = Date.now();
    try {
      // Spec changes (five ExternalSecrets read another key) while the apiserver still runs:
      // they reach the frozen operator's sockets, which it reads after the thaw.
      const moved = vaultKeys.slice(0, 5);
      for (const [i, k] of moved.entries()) {
        const other = vaultKeys[10 + i]!;
        apply(esFor(k, 'vault', other));
        history.set(k, [...history.get(k)!, latest(other)]);
      }
      // The apiserver goes, then etcd moves on and is compacted past every revision it could
      // have told a watcher of (by an event or a bookmark), as when another apiserver of an HA
      // control plane takes writes meanwhile. (Compacting while it still ran let bookmarks carry
      // watches past the compaction.)
      await killComponent('kube-apiserver');
      await advanceEtcd(5);
      const rev = await compactEtcd();
      await startComponent('kube-apiserver');
      // New objects the operator can learn of only by listing again: its watches resume from
      // before the compaction, so the apiserver answers 410 Gone.
      const fresh = ['n0', 'n1', 'n2'];
      await putVault(fresh);
      apply(...fresh.map((k) => esFor(k, 'vault', k)));
      vaultKeys.push(...fresh);
      say(
        `faults: compacted etcd at revision ${rev}, apiserver restarted, 3 ExternalSecrets created; thawing the operator`,
      );
    } finally {
      thaw(op!.pid);
    }
    const tThaw = Date.now();
    const recovery = await allSynced(vaultKeys, CONTROL_PLANE_RECOVERY_MS, 'after the thaw');
    const gone = (await op!.metric('syncret_watch_restarts_total', { reason: 'gone' })) - gone0;
    const w = (await writes()) - w0;
    record(
      `operator frozen ${((tThaw - t0) / 1000).toFixed(1)} s while 5 specs changed and 3 ExternalSecrets were created, etcd compacted, apiserver restarted: ` +
        `${gone} watches relisted after 410 Gone, all synced ${(recovery / 1000).toFixed(1)} s after the thaw, ${w} Secret writes`,
    );
    expect(op!.exited()).toBe(false);
    expect(gone).toBeGreaterThan(0);
    expect(w).toBeLessThanOrEqual(8);
    expect(await ownedTargets()).toEqual(
      vaultKeys
        .concat(awsKeys)
        .map((k) => `t-${k}<-${k}`)
        .sort(),
    );
  }, 150_000);
});

/** Ready=False with a reason and a message on every one of `keys` and on the store. */
async function allReportFailure(keys: string[], store: string, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  await waitFor(
    `${keys.length} ExternalSecrets and store ${store} Ready=False with a reason`,
    async () => {
      const st = ready(await getCustom('secretstores', ns, store));
      if (st?.status !== 'False' || !st.reason || !st.message) return false;
      for (const k of keys) {
        const c = ready(await getEs(ns, k));
        if (c?.status !== 'False' || !c.reason || !c.message) return false;
      }
      return true;
    },
    { timeoutMs, intervalMs: 500 },
  );
  return Date.now() - t0;
}

/**
 * The most provider calls `users` ExternalSecrets and their store's probe may make in
 * `windowMs` of an outage: each retries on the doubling error backoff (5 s up to
 * --requeue-on-error-max, 20 % jitter), the probe on its own (2 s doubling to 15 s).
 */
const callBound = (users: number, windowMs: number): number =>
  users * maxAttempts(windowMs, doublingMin(5_000, ERROR_MAX_MS)) +
  maxAttempts(windowMs, doublingMin(2_000, 15_000));

describe('faults on the backends', () => {
  it('moto killed (SIGKILL) and started again: Ready=False with a reason, last good kept, calls bounded, the new data synced', async () => {
    const before = await targets(awsKeys);
    const c0 = await providerCalls('aws');
    const sampler = sampleSecrets(awsKeys);
    const t0 = Date.now();
    process.kill(Number(serverVar('MOTO_PID')), 'SIGKILL');
    const reportMs = await allReportFailure(awsKeys, 'aws', 30_000);
    await new Promise((r) => setTimeout(r, Math.max(0, 20_000 - (Date.now() - t0))));
    const reasons = new Set<string>();
    for (const k of awsKeys) reasons.add(ready(await getEs(ns, k))?.reason ?? '');
    const calls = (await providerCalls('aws')) - c0;
    const window = Date.now() - t0;
    // Still the last good data.
    expect(await targets(awsKeys)).toEqual(before);
    await startServer('moto');
    // moto keeps nothing: the data comes back with new values, as after a restore.
    await putAws(awsKeys);
    const recovery = await allSynced(awsKeys, BACKEND_RECOVERY_MS, 'after moto came back');
    await waitReady('secretstores', ns, 'aws', {}, 20_000);
    const sampled = await sampler.stop();
    const bound = callBound(M, window);
    record(
      `moto SIGKILL, ${(window / 1000).toFixed(1)} s down: ${M} ExternalSecrets and the store Ready=False (${[...reasons].join(', ')}) ${(reportMs / 1000).toFixed(1)} s after the kill, ` +
        `${calls} AWS calls during the outage (bound ${bound}), all synced to the new data ${(recovery / 1000).toFixed(1)} s after it was written`,
    );
    expect(op!.exited()).toBe(false);
    expect(sampled.wrong).toEqual([]);
    expect(calls).toBeLessThanOrEqual(bound);
    expect(recovery).toBeLessThan(BACKEND_RECOVERY_MS);
  }, 150_000);

  it('OpenBao frozen (a black hole on loopback) and thawed: Ready=False with a reason, last good kept, a change made meanwhile synced after', async () => {
    const health = pollHealth(op!.port, 2_000);
    const keys = vaultKeys.slice(0, N);
    const before = await targets(keys);
    const c0 = await providerCalls('vault');
    const sampler = sampleSecrets(keys);
    const pid = Number(serverVar('OPENBAO_PID'));
    const t0 = Date.now();
    freeze(pid);
    let reportMs = 0;
    let window = 0;
    try {
      reportMs = await allReportFailure(keys.slice(0, 5), 'vault', 60_000);
      // A change made during the outage: v19 reads another key from now on.
      apply(esFor('v19', 'vault', 'v18'));
      history.set('v19', [...history.get('v19')!, latest('v18')]);
      await new Promise((r) => setTimeout(r, Math.max(0, 25_000 - (Date.now() - t0))));
      window = Date.now() - t0;
      const now = await targets(keys);
      expect(now).toEqual(before);
    } finally {
      thaw(pid);
    }
    const calls = (await providerCalls('vault')) - c0;
    const recovery = await allSynced(keys, BACKEND_RECOVERY_MS, 'after OpenBao thawed');
    await waitReady('secretstores', ns, 'vault', {}, 20_000);
    const sampled = await sampler.stop();
    const h = await health.stop();
    await health.terminate();
    const bound = callBound(N, window);
    record(
      `OpenBao frozen (SIGSTOP) ${(window / 1000).toFixed(1)} s: the store and ExternalSecrets Ready=False ${(reportMs / 1000).toFixed(1)} s after the freeze, ` +
        `${calls} Vault calls during the outage (bound ${bound}), all synced (with the spec change made meanwhile) ${(recovery / 1000).toFixed(1)} s after the thaw; ` +
        `/healthz ${h.samples} samples, ${h.failures} failed, slowest ${h.maxMs.toFixed(0)} ms`,
    );
    expect(op!.exited()).toBe(false);
    expect(sampled.wrong).toEqual([]);
    expect(calls).toBeLessThanOrEqual(bound);
    expect(recovery).toBeLessThan(BACKEND_RECOVERY_MS);
    expect(h.failures).toBe(0);
  }, 150_000);
});
