// The operator killed (SIGKILL) in the middle of syncing 1,000 new ExternalSecrets, then started
// again: every ExternalSecret ends Ready with its own data, every target Secret has exactly its
// ExternalSecret as owner and holds the right value, and the restarted operator writes only the
// Secrets the first one had not written (a Secret already right is never written twice).

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { coreApi, customObjectsApi } from '../lib/cluster.js';
import { apply, externalSecret, fakeStore, newNamespace, waitFor } from '../lib/kube.js';
import { say } from '../lib/faults.js';
import { startOperator } from '../lib/operator.js';
import type { OperatorHandle } from '../lib/operator.js';
import { finishSuite } from '../lib/suite.js';
import { secretValue } from '../lib/values.js';

const N = 1_000;
/** Killed once at least this many Secrets are written. */
const KILL_AFTER = 300;
// One registered value as the prefix of every key's value: a leak of any of them contains it.
const base = secretValue('crash');
const valueOf = (i: number): string => `${base}-${i}`;

let ns = '';
let second: OperatorHandle | undefined;

beforeAll(() => {
  ns = newNamespace('e2e-crash');
  apply(
    fakeStore(
      ns,
      'fake',
      Array.from({ length: N }, (_, i) => ({ key: `k${i}`, value: valueOf(i) })),
    ),
  );
});

afterAll(() => finishSuite(second));

interface Target {
  value: string | undefined;
  owners: string[];
}

async function targets(): Promise<Map<string, Target>> {
  const list = await coreApi().listNamespacedSecret({ namespace: ns });
  const out = new Map<string, Target>();
  for (const s of list.items) {
    const name = s.metadata?.name ?? '';
    if (!name.startsWith('t-')) continue;
    const v = s.data?.v;
    out.set(name, {
      value: v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8'),
      owners: (s.metadata?.ownerReferences ?? []).map((o) => `${o.kind}/${o.name}`),
    });
  }
  return out;
}

async function readyCount(): Promise<number> {
  const list = (await customObjectsApi().listNamespacedCustomObject({
    group: 'external-secrets.io',
    version: 'v1',
    namespace: ns,
    plural: 'externalsecrets',
  })) as { items: { status?: { conditions?: { type: string; status: string }[] } }[] };
  return list.items.filter((i) =>
    i.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  ).length;
}

/** Every target that exists is right: its own value and its own ExternalSecret as sole owner. */
function wrongOnes(found: Map<string, Target>): string[] {
  const wrong: string[] = [];
  for (const [name, t] of found) {
    const i = Number(name.slice(2));
    if (t.value !== valueOf(i) || t.owners.join() !== `ExternalSecret/es-${i}`) wrong.push(name);
  }
  return wrong;
}

describe('the operator killed mid-sync', () => {
  it(`of ${N} ExternalSecrets, then restarted: all synced, each Secret right and written once`, async () => {
    apply(
      ...Array.from({ length: N }, (_, i) =>
        externalSecret(ns, `es-${i}`, {
          refreshInterval: '1h',
          secretStoreRef: { name: 'fake' },
          target: { name: `t-${i}` },
          data: [{ secretKey: 'v', remoteRef: { key: `k${i}` } }],
        }),
      ),
    );
    // All created first (kubectl takes about a minute for 1,000), then the operator starts on them.
    const first = await startOperator({ name: 'crash-first' });
    const t0 = Date.now();
    await waitFor(
      `${KILL_AFTER} Secrets written`,
      async () => (await first.metric('syncret_secret_writes_total')) >= KILL_AFTER,
      { timeoutMs: 120_000, intervalMs: 100 },
    );
    await first.kill();
    const atKill = await targets();
    say(
      `crash: killed after ${((Date.now() - t0) / 1000).toFixed(1)} s with ${atKill.size}/${N} Secrets written`,
    );
    expect(atKill.size).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(atKill.size).toBeLessThan(N);
    expect(wrongOnes(atKill)).toEqual([]);

    second = await startOperator({ name: 'crash-second' });
    const t1 = Date.now();
    const done = await waitFor(
      `all ${N} Secrets written`,
      async () => {
        const found = await targets();
        return found.size === N ? found : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 1_000 },
    );
    const writes = await second.metric('syncret_secret_writes_total');
    say(
      `crash: restarted operator synced the other ${N - atKill.size} in ${((Date.now() - t1) / 1000).toFixed(1)} s with ${writes} Secret writes`,
    );
    expect(wrongOnes(done)).toEqual([]);
    await waitFor(`all ${N} Ready`, async () => (await readyCount()) === N, { timeoutMs: 60_000 });
    // The first operator's Secrets are right already: the second writes only the missing ones.
    expect(writes).toBe(N - atKill.size);
  }, 400_000);
});
