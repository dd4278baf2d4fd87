// GitOps cleanliness: every manifest at the top of examples/ (examples/providers/ need a backend
// and are applied by their provider suites) applied as Argo CD / Flux would (client-side
// apply), read back, and compared: the apiserver must add nothing to the spec of our kinds (no
// defaulted fields), before and after the operator reconciled them, so a GitOps tool sees no
// drift. The status must read the way Argo CD's built-in health check and kstatus (Flux) expect.
// The operator runs from the namespace-scoped kustomize overlay (it watches syncret-demo, the
// examples' namespace), under its rendered ServiceAccount, flags and environment.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_KUBECONFIG, ROOT } from '../lib/paths.js';
import { clusterEnv, getCustom, kubectl, kubectlBin } from '../lib/cluster.js';
import type { Obj } from '../lib/cluster.js';
import { argoHealth, kstatus } from '../lib/gitops.js';
import { apply, waitFor } from '../lib/kube.js';
import { assertNoSecretLeaks } from '../lib/leaks.js';
import type { OperatorHandle } from '../lib/operator.js';
import {
  installManifests,
  parseManifests,
  renderKustomize,
  startFromDeployment,
  uninstallManifests,
} from '../lib/packaging.js';
import type { Manifest } from '../lib/packaging.js';
import { finishSuite } from '../lib/suite.js';

const DEMO = 'syncret-demo';
const PLURAL: Record<string, string> = {
  ExternalSecret: 'externalsecrets',
  SecretStore: 'secretstores',
  ClusterSecretStore: 'clustersecretstores',
};

/** examples/ as text, the template filled in the way scripts/dev.sh does. */
function exampleFiles(): { file: string; text: string }[] {
  const env = clusterEnv();
  const ca = readFileSync(env.APISERVER_CA).toString('base64');
  return readdirSync(join(ROOT, 'examples'))
    .filter((f) => /\.ya?ml(\.tpl)?$/.test(f))
    .sort()
    .map((file) => ({
      file,
      text: readFileSync(join(ROOT, 'examples', file), 'utf8')
        .replaceAll('${APISERVER_URL}', env.APISERVER_URL)
        .replaceAll('${APISERVER_CA_B64}', ca),
    }));
}

/** Values in the examples' stores and Secrets: the leak scan looks for them too. */
function exampleValues(objects: Manifest[]): string[] {
  const out = new Set<string>();
  const add = (v: unknown) => {
    if (typeof v !== 'string') return;
    try {
      const parsed: unknown = JSON.parse(v);
      if (parsed && typeof parsed === 'object') return Object.values(parsed).forEach(add);
    } catch {
      // not JSON
    }
    // Short values ("app") would match unrelated text; the examples' real ones are longer.
    if (v.length >= 12) out.add(v);
  };
  for (const o of objects) {
    const fake = (o.spec as { provider?: { fake?: { data?: { value?: string }[] } } } | undefined)?.provider
      ?.fake;
    for (const d of fake?.data ?? []) add(d.value);
    for (const v of Object.values((o.stringData as Record<string, string> | undefined) ?? {})) add(v);
  }
  return [...out];
}

const ours = (o: Manifest) => o.apiVersion.startsWith('external-secrets.io/');

async function live(o: Manifest): Promise<Obj> {
  const plural = PLURAL[o.kind];
  if (!plural) throw new Error(`not one of our kinds: ${o.kind}`);
  const got = await getCustom(plural, o.metadata.namespace, o.metadata.name);
  if (!got) throw new Error(`${o.kind} ${o.metadata.namespace}/${o.metadata.name} not found`);
  return got;
}

async function waitGone(ns: string): Promise<void> {
  await waitFor(
    `namespace ${ns} to be gone (left by an earlier run)`,
    () => {
      try {
        kubectl(['get', 'namespace', ns]);
        return false;
      } catch {
        return true;
      }
    },
    { timeoutMs: 90_000, intervalMs: 1000 },
  );
}

/** `kubectl diff` exits 0 when the live objects already match the manifest. */
function kubectlDiff(text: string): { code: number; out: string } {
  try {
    execFileSync(kubectlBin(), ['--kubeconfig', ADMIN_KUBECONFIG, 'diff', '-f', '-'], {
      input: text,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return { code: 0, out: '' };
  } catch (e) {
    const err = e as { status?: number; stdout?: string; stderr?: string };
    return { code: err.status ?? -1, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

const examples = exampleFiles();
const manifests = examples.flatMap((e) => parseManifests(e.text));
let install: Manifest[] = [];
let op: OperatorHandle | undefined;

beforeAll(async () => {
  for (const ns of [DEMO, 'syncret-source']) await waitGone(ns);
  install = renderKustomize('config/overlays/namespaced', { namePrefix: 'e2e-gitops-' });
});

afterAll(async () => {
  uninstallManifests(install);
  for (const ns of [DEMO, 'syncret-source'])
    kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
  await finishSuite(op);
  await assertNoSecretLeaks(exampleValues(manifests));
});

describe('GitOps: examples/ stay exactly as written', () => {
  it('the server adds nothing to spec; after the sync the status reads Healthy / Current', async () => {
    expect(manifests.filter(ours).length).toBeGreaterThanOrEqual(5);
    // The examples' namespace first (the overlay's Role lives in it), then the operator.
    apply(examples.find((e) => e.file.startsWith('00-'))?.text ?? '');
    installManifests(install);
    op = await startFromDeployment(install, 'gitops');

    for (const { text } of examples) apply(text);
    const before = new Map<string, Obj>();
    for (const o of manifests.filter(ours)) {
      const got = await live(o);
      expect({ id: `${o.kind}/${o.metadata.name}`, spec: got.spec }).toEqual({
        id: `${o.kind}/${o.metadata.name}`,
        spec: o.spec,
      });
      before.set(`${o.kind}/${o.metadata.name}`, got);
    }

    for (const o of manifests.filter((m) => m.kind === 'ExternalSecret' || m.kind === 'SecretStore')) {
      const synced = await waitFor(
        `${o.kind} ${o.metadata.name} Healthy and Current`,
        async () => {
          const got = await live(o);
          const ready = got.status?.conditions?.find((c) => c.type === 'Ready');
          return argoHealth(got) === 'Healthy' && kstatus(got) === 'Current' && ready?.observedGeneration
            ? got
            : undefined;
        },
        { timeoutMs: 60_000 },
      );
      // The operator wrote status only: same spec, same generation, and it says which
      // generation it judged (ExternalSecrets also at status.observedGeneration, which kstatus
      // reads; ESO's store status has only the condition's).
      expect(synced.spec).toEqual(o.spec);
      expect(synced.metadata.generation).toBe(
        before.get(`${o.kind}/${o.metadata.name}`)?.metadata.generation,
      );
      expect(synced.status?.conditions?.find((c) => c.type === 'Ready')?.observedGeneration).toBe(
        synced.metadata.generation,
      );
      if (o.kind === 'ExternalSecret')
        expect(synced.status?.observedGeneration).toBe(synced.metadata.generation);
    }

    // What Argo CD's and Flux's diff would say: nothing to change.
    for (const { file, text } of examples) {
      const { code, out } = kubectlDiff(text);
      expect({ file, code, out }).toEqual({ file, code: 0, out: '' });
    }
  });

  it('a spec change is InProgress for kstatus until the operator observed it; a failure is Degraded', async () => {
    const es = manifests.find((m) => m.kind === 'ExternalSecret' && m.metadata.name === 'api-key');
    if (!es || !op) throw new Error('example ExternalSecret api-key or the operator is missing');
    await op.stop();
    op = undefined;
    // A broken reference (as a bad commit would make it): a key the store does not have.
    const broken = structuredClone(es) as Manifest & { spec: { data: { remoteRef: { key: string } }[] } };
    for (const d of broken.spec.data) d.remoteRef.key = '/does/not/exist';
    apply(broken);
    const pending = await live(es);
    expect(pending.metadata.generation).toBe((pending.status?.observedGeneration ?? 0) + 1);
    expect(kstatus(pending)).toBe('InProgress');

    op = await startFromDeployment(install, 'gitops-2');
    const failed = await waitFor(
      'api-key to report the missing key',
      async () => {
        const got = await live(es);
        return kstatus(got) === 'Current' && argoHealth(got) === 'Degraded' ? got : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(failed.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');

    // Back to the manifest in git: Healthy again.
    apply(examples.find((e) => e.file.startsWith('11-'))?.text ?? '');
    await waitFor(
      'api-key Healthy again',
      async () => {
        const got = await live(es);
        return argoHealth(got) === 'Healthy' && kstatus(got) === 'Current' ? got : undefined;
      },
      { timeoutMs: 60_000 },
    );
  });
});
