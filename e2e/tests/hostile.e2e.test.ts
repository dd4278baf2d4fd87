// A hostile tenant's manifests, all at once, while a control ExternalSecret keeps syncing:
// catastrophic regexps in a template, a rewrite and a find (linear time now: they finish, with
// Go's answer), templates that loop or build a huge string (stopped by the template budget), a
// pattern Go refuses (refused with Go's message), a 1ns refreshInterval on OpenBao (held to the
// floor), and a store whose objects overrun the per-store call budget (paced on that store
// alone). /healthz must answer within a bound throughout, and the control syncs on time.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  cause,
  apply,
  externalSecret,
  fakeStore,
  getEs,
  newNamespace,
  plainSecret,
  ready,
  secretData,
  waitEs,
  waitFor,
} from '../lib/kube.js';
import { quietNamespaces } from '../lib/cluster.js';
import { pollHealth } from '../lib/health.js';
import type { HealthPoller } from '../lib/health.js';
import { startOperator } from '../lib/operator.js';
import { vaultRequests, vaultWrites } from '../lib/push.js';
import type { OperatorHandle } from '../lib/operator.js';
import { finishSuite } from '../lib/suite.js';
import { secretValue } from '../lib/values.js';
import { bao, kv2Put, mountKv, policy, suffix, vaultStore } from '../lib/vault.js';

let op: OperatorHandle;
let ns: string;
const sfx = suffix();
const kv = `kv-hostile-${sfx}`;
const control = secretValue('control');
const vaultValue = secretValue('vault');
const vaultToken = secretValue('token');
/** 56 'a' and a non-matching end: seconds to minutes for a backtracking engine, per attempt. */
const evil = `${'a'.repeat(56)}!`;
const evilKey = `${'a'.repeat(56)}-`;

let poller: HealthPoller | undefined;

const store = (name: string, data: { key: string; value: string }[]) => fakeStore(ns, name, data);

beforeAll(async () => {
  await quietNamespaces();
  // The default floor (10 s; the harness turns it off for the other files); a small per-store
  // budget so that one store of 8 objects overruns it.
  op = await startOperator({
    name: 'hostile',
    args: ['--min-refresh-interval=10s', '--provider-qps=1', '--provider-burst=2'],
  });
  poller = pollHealth(op.port);
  ns = newNamespace('e2e-hostile');

  await mountKv(kv, 2);
  await kv2Put(kv, 'app', { password: vaultValue });
  await policy(`hostile-${sfx}`, `path "${kv}/data/*" { capabilities = ["read"] }`);
  await bao('POST', 'auth/token/create', { id: vaultToken, policies: [`hostile-${sfx}`], ttl: '1h' });
  apply(plainSecret(ns, 'vault-token', { token: vaultToken }));

  // Each hostile object on its own store, so the budget (per store) never hides what it tests.
  apply(
    store('regex-tmpl', [{ key: 'k', value: evil }]),
    store('regex-rewrite', [{ key: 'json', value: JSON.stringify({ [evilKey]: 'v' }) }]),
    store('regex-find', [{ key: evilKey, value: 'v' }]),
    store('loop', [{ key: 'k', value: 'x' }]),
    store('huge', [{ key: 'k', value: 'x' }]),
    store('go-syntax', [{ key: 'json', value: JSON.stringify({ a: 'v' }) }]),
    store(
      'noisy',
      Array.from({ length: 8 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
    ),
    store('quiet', [{ key: 'k', value: control }]),
    vaultStore(ns, 'bao', {
      path: kv,
      version: 'v2',
      auth: { tokenSecretRef: { name: 'vault-token', key: 'token' } },
    }),
  );
  const es = (name: string, storeName: string, spec: Record<string, unknown>) =>
    externalSecret(ns, name, { refreshInterval: '1h', secretStoreRef: { name: storeName }, ...spec });
  apply(
    es('regex-tmpl', 'regex-tmpl', {
      data: [{ secretKey: 'k', remoteRef: { key: 'k' } }],
      target: { template: { data: { matched: '{{ regexMatch "^(a+)+$" .k }}' } } },
    }),
    es('regex-rewrite', 'regex-rewrite', {
      dataFrom: [{ extract: { key: 'json' }, rewrite: [{ regexp: { source: '^(a+)+$', target: 'x' } }] }],
    }),
    es('regex-find', 'regex-find', { dataFrom: [{ find: { name: { regexp: '^(a+)+$' } } }] }),
    es('loop', 'loop', {
      data: [{ secretKey: 'k', remoteRef: { key: 'k' } }],
      target: { template: { data: { out: '{{ range 1000000000 }}{{ $.k }}{{ end }}' } } },
    }),
    es('huge', 'huge', {
      data: [{ secretKey: 'k', remoteRef: { key: 'k' } }],
      target: {
        template: {
          data: {
            out: '{{ $s := "xxxxxxxx" }}{{ range until 40 }}{{ $s = printf "%s%s" $s $s }}{{ end }}{{ $s }}',
          },
        },
      },
    }),
    es('go-syntax', 'go-syntax', {
      dataFrom: [{ extract: { key: 'json' }, rewrite: [{ regexp: { source: '(?<!x)a', target: 'b' } }] }],
    }),
    ...Array.from({ length: 8 }, (_, i) =>
      es(`noisy-${i}`, 'noisy', { data: [{ secretKey: 'v', remoteRef: { key: `k${i}` } }] }),
    ),
    es('control', 'quiet', { refreshInterval: '10s', data: [{ secretKey: 'v', remoteRef: { key: 'k' } }] }),
    es('tight', 'bao', {
      refreshInterval: '1ns',
      data: [{ secretKey: 'password', remoteRef: { key: 'app', property: 'password' } }],
    }),
  );
}, 60_000);

afterAll(async () => {
  await poller?.terminate();
  await bao('DELETE', `sys/mounts/${kv}`, undefined, { allow: [404] }).catch(() => undefined);
  await finishSuite(op);
});

/**
 * The store of 8 objects got 2 calls at once and 1 after a wait, and refusals for the others
 * (retried no sooner than the floor): checked before any retry, while the control, on its own
 * store, synced at once.
 */
async function checkBudget(): Promise<void> {
  const states = await waitFor(
    'the 8 noisy ExternalSecrets to report',
    async () => {
      const all = await Promise.all(Array.from({ length: 8 }, (_, i) => getEs(ns, `noisy-${i}`)));
      return all.every((s) => ready(s)) ? all : undefined;
    },
    { timeoutMs: 8_000 },
  );
  const throttled = states.filter((s) => /is over its provider call budget/.test(ready(s)?.message ?? ''));
  const synced = states.filter((s) => ready(s)?.status === 'True');
  expect(throttled.length + synced.length).toBe(8);
  expect(synced.length).toBeGreaterThanOrEqual(2);
  expect(throttled.length).toBeGreaterThan(0);
  expect(ready(throttled[0])).toMatchObject({ status: 'False', reason: 'SecretSyncedError' });
  expect(cause(throttled[0])).toBe('ProviderError');
  expect(await op.metric('syncret_provider_budget_refusals_total', { provider: 'fake' })).toBeGreaterThan(0);
}

describe('a hostile tenant', () => {
  it('cannot stop /healthz or the control ExternalSecret, loop a 1ns refresh, or slow another store', async () => {
    // The control syncs at once, and then on its 10 s schedule, whatever the others do.
    await waitEs(ns, 'control', {}, 10_000);
    expect(await secretData(ns, 'control')).toEqual({ v: control });
    await checkBudget();
    const tight = await waitEs(ns, 'tight', {}, 15_000);
    expect(ready(tight)?.message).toBe(
      "Secret was synced; refreshInterval 1ns is below the operator's minimum (--min-refresh-interval), so it refreshes every 10s",
    );
    // Counted in OpenBao's audit log under this suite's own mount: the provider-call metric also
    // counts the reads of another suite's ExternalSecrets still around on this operator (the
    // faults suite's namespace, being deleted, once gave 5 where tight made 3).
    const auditFrom = vaultWrites(kv).lines;
    const refreshTimes = new Set<string>();
    const windowEnd = Date.now() + 21_000;
    while (Date.now() < windowEnd) {
      const t = (await getEs(ns, 'control'))?.status?.refreshTime;
      if (typeof t === 'string') refreshTimes.add(t);
      await new Promise((r) => setTimeout(r, 500));
    }
    const reads = vaultRequests(`${kv}/`, auditFrom).filter((r) => r.startsWith('read ')).length;
    // Before the floor: 7,821 reads in 10 s. Now one per 10 s (plus up to 10 % jitter).
    expect(reads).toBeGreaterThanOrEqual(1);
    expect(reads).toBeLessThanOrEqual(3);
    // The first sync and at least one refresh on its 10 s schedule (11 s with jitter) in 21 s.
    expect(refreshTimes.size).toBeGreaterThanOrEqual(2);

    const health = await poller!.stop();
    console.log(
      `hostile: ${reads} Vault reads in 21 s for refreshInterval 1ns; control refreshTimes ${refreshTimes.size}; /healthz ${health.samples} samples, slowest ${health.maxMs.toFixed(0)} ms`,
    );
    expect(health.failures).toBe(0);
    expect(health.samples).toBeGreaterThan(100);
    // Below the chart's liveness probe timeout (5 s), as in the fuzz suite: alone this measured
    // 98 ms; a busy machine (another build beside it) reached 3.5 s.
    expect(health.maxMs).toBeLessThan(4_000);
  }, 60_000);

  it('gets Go answers from catastrophic regexps, in linear time', async () => {
    await waitEs(ns, 'regex-tmpl', {}, 5_000);
    expect(await secretData(ns, 'regex-tmpl')).toEqual({ matched: 'false' });
    await waitEs(ns, 'regex-rewrite', {}, 5_000);
    expect(await secretData(ns, 'regex-rewrite')).toEqual({ [evilKey]: 'v' });
    await waitEs(ns, 'regex-find', {}, 5_000);
  });

  it('reports each runaway template and refused pattern with a clear reason', async () => {
    await waitEs(
      ns,
      'loop',
      {
        status: 'False',
        reason: 'TemplateError',
        message:
          /^TemplateError: template: out:1:\d+: executing "out" at <.*>: template (execution stopped after|output exceeds)/,
      },
      5_000,
    );
    await waitEs(
      ns,
      'huge',
      {
        status: 'False',
        reason: 'TemplateError',
        message: /exceeds the limit of \d+ \(the operator's limit/,
      },
      5_000,
    );
    await waitEs(
      ns,
      'go-syntax',
      {
        status: 'False',
        reason: 'SecretSyncedError',
        message:
          /^dataFrom\[0\]\.rewrite\[0\]\.regexp\.source: error parsing regexp: invalid named capture: `\(\?<!x\)a`$/,
      },
      5_000,
    );
  });
});
