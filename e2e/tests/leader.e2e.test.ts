// Two replicas with leader election on a coordination.k8s.io Lease: one works; when it dies
// (crash or graceful stop), the other takes over within a bounded time.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  apply,
  externalSecret,
  fakeStore,
  kube,
  newNamespace,
  secretData,
  waitEs,
  waitFor,
} from '../lib/kube.js';
import { finishSuite } from '../lib/suite.js';
import { startOperator } from '../lib/operator.js';
import type { OperatorHandle } from '../lib/operator.js';
import { secretValue } from '../lib/values.js';

let ns: string;
const value = secretValue('leader');
const lease = `syncret-e2e-${Date.now()}`;
// Short timings keep the test fast; the bound checked is leaseDuration + a few retry periods.
const args = [
  '--leader-elect',
  '--leader-election-namespace',
  'syncret-system',
  '--leader-election-id',
  lease,
  '--lease-duration',
  '4s',
  '--renew-deadline',
  '3s',
  '--retry-period',
  '1s',
];

beforeAll(() => {
  ns = newNamespace('e2e-leader');
  apply(fakeStore(ns, 'fake', [{ key: 'k', value }]));
});

afterAll(() => finishSuite());

async function leaderOf(ops: OperatorHandle[]): Promise<OperatorHandle> {
  return waitFor(
    'exactly one leader',
    async () => {
      const leading: OperatorHandle[] = [];
      for (const o of ops)
        if (!o.exited() && (await o.metric('syncret_leader').catch(() => 0)) === 1) leading.push(o);
      return leading.length === 1 ? leading[0] : undefined;
    },
    { timeoutMs: 20_000 },
  );
}

const es = (name: string) =>
  externalSecret(ns, name, {
    secretStoreRef: { name: 'fake' },
    data: [{ secretKey: 'v', remoteRef: { key: 'k' } }],
  });

describe('leader election', () => {
  it('fails over after the leader crashes, and hands over at once on a graceful stop', async () => {
    const a = await startOperator({ name: 'leader-a', args });
    const b = await startOperator({ name: 'leader-b', args });
    const c = await startOperator({ name: 'leader-c', args });
    try {
      const first = await leaderOf([a, b, c]);
      apply(es('one'));
      await waitEs(ns, 'one');
      const holder = (
        await kube()
          .kc.makeApiClient((await import('@kubernetes/client-node')).CoordinationV1Api)
          .readNamespacedLease({ name: lease, namespace: 'syncret-system' })
      ).spec?.holderIdentity;
      expect(holder).toBeTruthy();

      // Crash: no release; the standby must wait for the lease to expire.
      const crashAt = Date.now();
      await first.kill();
      const rest = [a, b, c].filter((o) => o !== first);
      const second = await leaderOf(rest);
      apply(es('two'));
      await waitEs(ns, 'two');
      const failover = Date.now() - crashAt;
      expect(failover).toBeLessThan(4000 + 8000);
      expect(await secretData(ns, 'two')).toEqual({ v: value });

      // Graceful stop: the lease is released, the last standby takes over well before expiry.
      const stopAt = Date.now();
      await second.stop();
      const third = rest.find((o) => o !== second)!;
      await leaderOf([third]);
      apply(es('three'));
      await waitEs(ns, 'three');
      expect(Date.now() - stopAt).toBeLessThan(4000 + 4000);
      console.log(`failover after a crash: ${failover} ms; after a graceful stop: ${Date.now() - stopAt} ms`);
    } finally {
      await Promise.all([a, b, c].map((o) => o.stop()));
    }
  });
});
