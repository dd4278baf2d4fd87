// `syncret injector` as the chart installs it (its Deployment's arguments, its ServiceAccount and
// RBAC, its MutatingWebhookConfiguration pointed at loopback), called by the real apiserver over
// TLS with its own CA in the caBundle it patches, rotated during the run: pods created with the annotations
// of charts written for the Vault Agent injector come back mutated as specified. No kubelet runs
// here, so the mutated containers' commands are then run as local processes with the same
// environment and a TokenRequest token, against OpenBao's kubernetes auth: exec mode becomes the
// app (same PID, the rendered variables), init writes the files with their modes, the sidecar
// re-renders on a Vault change and runs the file's command. A store's pod gets the Secret keys
// its provider references as volumes and IRSA's token and role, with which its agent reads moto.
// A namespace a ClusterSecretStore does not admit is refused with the reason; a webhook that is down with failurePolicy Ignore blocks
// nothing. No value reaches a Pod spec, a log or an Event.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import {
  MAIN,
  expectValue,
  finished,
  projectToken,
  run,
  setUpVault,
  tearDownVault,
} from '../lib/delivery.js';
import type { Proc, VaultSetup } from '../lib/delivery.js';
import { apply, kubectl, newNamespace, plainSecret, remove, waitFor } from '../lib/kube.js';
import { findLeaksIn } from '../lib/leaks.js';
import { freePort } from '../lib/operator.js';
import {
  installManifests,
  renderChart,
  renderedEnv,
  serviceAccountKubeconfig,
  uninstallManifests,
} from '../lib/packaging.js';
import type { DeploymentManifest, Manifest } from '../lib/packaging.js';
import { ROOT } from '../lib/paths.js';
import { serverVar } from '../lib/servers.js';
import { finishSuite } from '../lib/suite.js';
import { issuedValues, secretValue } from '../lib/values.js';
import { kv2Put, suffix } from '../lib/vault.js';
import { REGION, closeAdmins, motoUrl, roleArn, smAdmin } from './aws-moto.js';

const APP = join(ROOT, 'e2e/tools/delivery/test-app.mjs');
const sfx = suffix();
const RELEASE = `inj-${sfx}`;
let chart: Manifest[] = [];
let webhook: string;
const IGNORED = `syncret-injector-down-${sfx}`;
const LABEL = 'syncret-e2e-injector';
// Never all digits: `helm --set` would read it as a number, which the chart's schema refuses.
const LABEL_VALUE = `run-${sfx}`;
let ns: string;
let injNs: string;
let downNs: string;
let v: VaultSetup;
let dir: string;
let injector: Proc;
const stopLater: Proc[] = [];
const dbPassword = secretValue('inj-db');
const apiKey = secretValue('inj-api');
const webPassword = secretValue('inj-web');
const webPassword2 = secretValue('inj-web2');
const awsValue = secretValue('inj-aws');
const awsSecretKey = secretValue('inj-aws-secret-key');

interface Container {
  name: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  securityContext?: Record<string, unknown>;
  resources?: Record<string, unknown>;
}
interface PodObj {
  metadata: { name: string; annotations: Record<string, string> };
  spec: { containers: Container[]; initContainers?: Container[]; volumes?: Record<string, unknown>[] };
}

function createPod(
  namespace: string,
  name: string,
  annotations: Record<string, string>,
  containers: Container[],
): PodObj {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, annotations },
    spec: { serviceAccountName: 'app', containers: containers.map((c) => ({ image: 'app:1.0', ...c })) },
  };
  return JSON.parse(kubectl(['create', '-f', '-', '-o', 'json'], JSON.stringify(pod))) as PodObj;
}

const configEnv = (c: Container) => c.env!.find((e) => e.name === 'SYNCRET_AGENT_CONFIG')!.value!;

/**
 * The container's command line and environment as the kubelet would start them, with the pod's
 * paths mapped to this machine: the copied executable to this checkout, the projected token to
 * a TokenRequest token file, the secrets volume to a temporary directory.
 */
function localised(
  c: Container,
  image: string[],
  paths: Record<string, string>,
): { argv: string[]; env: Record<string, string> } {
  let argv = [...(c.command ?? image), ...(c.args ?? [])];
  if (argv[0] === '/syncret/node') argv = [process.execPath, MAIN, ...argv.slice(2)];
  // The single executable is this same program bundled (sea.e2e runs the real file).
  if (argv[0] === '/syncret/syncret') argv = [process.execPath, MAIN, ...argv.slice(1)];
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) {
    let value = e.value ?? '';
    for (const [from, to] of Object.entries(paths)) value = value.replaceAll(from, to);
    env[e.name] = value;
  }
  return { argv: argv.map((a) => paths[a] ?? a), env };
}

beforeAll(async () => {
  ns = newNamespace('e2e-inject', { [LABEL]: LABEL_VALUE });
  downNs = newNamespace('e2e-inject-down', { [`${LABEL}-down`]: LABEL_VALUE });
  injNs = newNamespace('e2e-injector');
  apply(
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'app', namespace: ns } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'app', namespace: downNs } },
  );
  v = await setUpVault(sfx, ns, 'app');
  await kv2Put(v.kvMount, 'spitikos/api', { DB_PASSWORD: dbPassword, API_KEY: apiKey });
  await kv2Put(v.kvMount, 'webapp/database', { password: webPassword, port: 5432 });
  await kv2Put(v.kvMount, 'webapp/api', { key: apiKey });
  dir = mkdtempSync(join(tmpdir(), 'e2e-inject-'));
  projectToken(ns, 'app', join(dir, 'token'));

  // The chart's injector objects (Deployment, Service, RBAC, webhook configuration), installed
  // as the admin; the webhook is then pointed at loopback (no Service routing here) and the
  // injector runs as the Deployment says, under its ServiceAccount, so the chart's RBAC is what
  // it has.
  const port = await freePort();
  chart = renderChart(RELEASE, injNs, [
    'injector.enabled=true',
    `injector.namespaceSelector.matchLabels.${LABEL}=${LABEL_VALUE}`,
    'injector.failurePolicy=Fail',
    'injector.image.repository=ghcr.io/syncret/syncret',
    'injector.image.tag=e2e',
    // Short lives, so the run sees a serving certificate and a CA renewed (at 2/3 of each).
    'injector.certValidity=24s',
    'injector.caValidity=60s',
  ]).filter((o) => o.metadata.labels?.['app.kubernetes.io/component'] === 'injector');
  installManifests(chart);
  webhook = chart.find((o) => o.kind === 'MutatingWebhookConfiguration')!.metadata.name;
  kubectl([
    'patch',
    'mutatingwebhookconfiguration',
    webhook,
    '--type=json',
    '-p',
    JSON.stringify([
      { op: 'replace', path: '/webhooks/0/clientConfig', value: { url: `https://127.0.0.1:${port}/mutate` } },
    ]),
  ]);
  apply({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: IGNORED },
    webhooks: [
      {
        name: 'down.syncret.io',
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        failurePolicy: 'Ignore',
        // Nothing listens on port 1: the webhook is down.
        clientConfig: { url: 'https://127.0.0.1:1/mutate' },
        rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }],
        namespaceSelector: { matchLabels: { [`${LABEL}-down`]: LABEL_VALUE } },
      },
    ],
  });
  const deploy = chart.find((o) => o.kind === 'Deployment') as DeploymentManifest;
  const c = deploy.spec.template.spec.containers[0]!;
  expect(c.args![0]).toBe('injector');
  injector = run(
    'injector',
    process.execPath,
    [
      MAIN,
      ...c.args!,
      // Last flag wins: loopback instead of the pod's port, the ServiceAccount's kubeconfig, and
      // OpenBao of the test servers over plain HTTP.
      `--listen=127.0.0.1:${port}`,
      '--tls-san=127.0.0.1',
      `--kubeconfig=${serviceAccountKubeconfig(injNs, deploy.spec.template.spec.serviceAccountName!)}`,
      `--vault-addr=${serverVar('VAULT_ADDR')}`,
      '--allow-insecure-credentials',
      '--log-level=debug',
    ],
    { env: { PATH: process.env.PATH, ...renderedEnv(deploy, 'injector-e2e') } },
  );
  stopLater.push(injector);
  await waitFor('the injector to listen', () => injector.log().includes('injector listening'), {
    timeoutMs: 60_000,
  });
}, 120_000);

afterAll(async () => {
  for (const p of stopLater) p.child.kill('SIGKILL');
  uninstallManifests(chart);
  remove('mutatingwebhookconfiguration', undefined, IGNORED);
  await tearDownVault(v);
  closeAdmins();
  await finishSuite();
});

describe('exec mode (the distroless chart of the platform documents)', () => {
  const EXEC_TEMPLATE = (mount: string) => `{{- with secret "${mount}/data/spitikos/api" -}}
{{- range $key, $value := .Data.data }}
{{ $key }}={{ $value }}
{{- end }}
{{- end }}
`;

  it('wraps the app command; the wrapped command becomes the app with the rendered variables', async () => {
    const pod = createPod(
      ns,
      'api',
      {
        'vault.hashicorp.com/agent-inject': 'true',
        'vault.hashicorp.com/agent-run-as-sidecar': 'false',
        'vault.hashicorp.com/role': 'app',
        'vault.hashicorp.com/auth-path': `auth/${v.authMount}`,
        'vault.hashicorp.com/agent-exec-command': '/server',
        'vault.hashicorp.com/agent-inject-secret-config.env': `${v.kvMount}/data/spitikos/api`,
        'vault.hashicorp.com/agent-inject-template-config.env': EXEC_TEMPLATE(v.kvMount),
      },
      [{ name: 'api', args: ['--listen', ':8080'] }],
    );
    const [app] = pod.spec.containers;
    expect(pod.metadata.annotations['vault.hashicorp.com/agent-inject-status']).toBe('injected');
    // The chart's default (injector.singleExecutable): the image's one-file executable.
    expect(app!.command).toEqual([
      '/syncret/syncret',
      'agent',
      'exec',
      '--config-env',
      'SYNCRET_AGENT_CONFIG',
      '--',
      '/server',
    ]);
    expect(app!.args).toEqual(['--listen', ':8080']);
    expect(pod.spec.initContainers!.map((c) => [c.name, c.command])).toEqual([
      [
        'syncret-copy',
        ['/nodejs/bin/node', '/app/dist/main.js', 'injector', 'copy', '--single-executable', '/syncret'],
      ],
    ]);
    expect(pod.spec.initContainers![0]!.securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
    });
    expect(pod.spec.volumes).toEqual(
      expect.arrayContaining([
        { name: 'syncret-bin', emptyDir: { medium: 'Memory' } },
        {
          name: 'syncret-token',
          projected: {
            defaultMode: 0o444,
            sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }],
          },
        },
      ]),
    );
    expect(findLeaksIn('the mutated Pod', JSON.stringify(pod), issuedValues())).toEqual([]);
    const config = JSON.parse(configEnv(app!)) as { vault: { server: string; auth: unknown } };
    expect(config.vault).toEqual({
      server: serverVar('VAULT_ADDR'),
      auth: { kubernetes: { mountPath: v.authMount, role: 'app', serviceAccountRef: { name: 'app' } } },
    });

    const report = join(dir, 'exec-report.json');
    const { argv, env } = localised(app!, [], {
      '/var/run/secrets/syncret/token': join(dir, 'token'),
      '/server': APP,
    });
    const p = run('injected-exec', argv[0]!, argv.slice(1), {
      env: {
        PATH: process.env.PATH,
        ...env,
        REPORT_FILE: report,
        REPORT_VARS: 'DB_PASSWORD,API_KEY',
        EXIT_CODE: '0',
      },
    });
    expect((await finished(p)).code).toBe(0);
    const seen = JSON.parse(readFileSync(report, 'utf8')) as {
      pid: number;
      argv: string[];
      vars: Record<string, string>;
    };
    expect(seen.pid).toBe(p.pid);
    expect(seen.argv).toEqual(['--listen', ':8080']);
    expectValue(
      JSON.stringify(seen.vars),
      JSON.stringify({ DB_PASSWORD: dbPassword, API_KEY: apiKey }),
      'the app environment',
    );
  });
});

describe('init and sidecar (the chart of pattern 2, two templated files)', () => {
  it('adds the agents; init writes both files with their modes, the sidecar re-renders and runs the command', async () => {
    const marker = join(dir, 'commands');
    const pod = createPod(
      ns,
      'webapp',
      {
        'vault.hashicorp.com/agent-inject': 'true',
        'vault.hashicorp.com/role': 'app',
        'vault.hashicorp.com/auth-path': `auth/${v.authMount}`,
        'vault.hashicorp.com/agent-inject-secret-db.json': `${v.kvMount}/data/webapp/database`,
        'vault.hashicorp.com/agent-inject-template-db.json': `{{- with secret "${v.kvMount}/data/webapp/database" -}}
{ "password": "{{ .Data.data.password }}", "port": {{ .Data.data.port }} }
{{- end }}`,
        'vault.hashicorp.com/agent-inject-perms-db.json': '0400',
        'vault.hashicorp.com/agent-inject-command-db.json': `sh -c 'echo db >> ${marker}'`,
        'vault.hashicorp.com/agent-inject-secret-api-key': `${v.kvMount}/data/webapp/api`,
        'vault.hashicorp.com/agent-inject-template-api-key': `{{- with secret "${v.kvMount}/data/webapp/api" -}}
export API_KEY="{{ .Data.data.key }}"
{{- end }}`,
        'vault.hashicorp.com/agent-cache-enable': 'true',
        'vault.hashicorp.com/agent-pre-populate-only': 'false',
        'vault.hashicorp.com/template-static-secret-render-interval': '1s',
        'vault.hashicorp.com/agent-limits-mem': '192Mi',
      },
      [
        {
          name: 'webapp',
          command: ['/bin/sh', '-c'],
          args: ['python app.py --db-config /vault/secrets/db.json'],
        },
      ],
    );
    const [app, sidecar] = pod.spec.containers;
    const init = pod.spec.initContainers!.find((c) => c.name === 'syncret-agent-init')!;
    expect(app!.volumeMounts).toEqual([
      { name: 'syncret-secrets', mountPath: '/vault/secrets', readOnly: true },
    ]);
    expect(sidecar!.name).toBe('syncret-agent');
    expect(sidecar!.args).toEqual(['agent', 'sidecar', '--config-env', 'SYNCRET_AGENT_CONFIG']);
    expect(init.args).toEqual(['agent', 'init', '--config-env', 'SYNCRET_AGENT_CONFIG']);
    for (const c of [init, sidecar!]) {
      expect(c.resources).toEqual({
        limits: { cpu: '500m', memory: '192Mi' },
        requests: { cpu: '250m', memory: '64Mi' },
      });
      expect(c.securityContext).toMatchObject({
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
      });
    }
    expect(pod.spec.volumes).toContainEqual({ name: 'syncret-secrets', emptyDir: { medium: 'Memory' } });
    expect(findLeaksIn('the mutated Pod', JSON.stringify(pod), issuedValues())).toEqual([]);

    const out = join(dir, 'secrets');
    const paths = { '/var/run/secrets/syncret/token': join(dir, 'token'), '/vault/secrets': out };
    // The image's entrypoint (Dockerfile) runs dist/main.js; here it is this checkout's.
    const image = [process.execPath, MAIN];
    const i = localised(init, image, paths);
    const p = run('injected-init', i.argv[0]!, i.argv.slice(1), {
      env: { PATH: process.env.PATH, ...i.env },
    });
    expect((await finished(p)).code).toBe(0);
    expectValue(
      readFileSync(join(out, 'db.json'), 'utf8'),
      `{ "password": "${webPassword}", "port": 5432 }`,
      'db.json',
    );
    expectValue(readFileSync(join(out, 'api-key'), 'utf8'), `export API_KEY="${apiKey}"`, 'api-key');
    expect(statSync(join(out, 'db.json')).mode & 0o777).toBe(0o400);
    expect(statSync(join(out, 'api-key')).mode & 0o777).toBe(0o644);

    const s = localised(sidecar!, image, paths);
    const side = run('injected-sidecar', s.argv[0]!, s.argv.slice(1), {
      env: { PATH: process.env.PATH, ...s.env },
    });
    stopLater.push(side);
    await kv2Put(v.kvMount, 'webapp/database', { password: webPassword2, port: 5432 });
    await waitFor(
      'the sidecar to re-render db.json',
      () => readFileSync(join(out, 'db.json'), 'utf8').includes(webPassword2),
      {
        timeoutMs: 30_000,
      },
    );
    await waitFor(
      'the command to run',
      () => existsSync(marker) && readFileSync(marker, 'utf8').includes('db'),
      { timeoutMs: 30_000 },
    );
    expect(statSync(join(out, 'db.json')).mode & 0o777).toBe(0o400);
    side.child.kill('SIGTERM');
    expect((await finished(side)).code).toBe(0);
  });
});

describe('admission', () => {
  it('refuses a pod whose namespace may not use the ClusterSecretStore it names, with the reason', () => {
    const store = `inj-${sfx}`;
    apply({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ClusterSecretStore',
      metadata: { name: store },
      spec: {
        conditions: [{ namespaces: ['somewhere-else'] }],
        provider: {
          vault: {
            server: serverVar('VAULT_ADDR'),
            path: v.kvMount,
            auth: { tokenSecretRef: { name: 't', key: 't' } },
          },
        },
      },
    });
    try {
      expect(() =>
        createPod(
          ns,
          'refused',
          {
            'vault.hashicorp.com/agent-inject': 'true',
            'syncret.io/cluster-store': store,
            'vault.hashicorp.com/agent-inject-secret-a': 'a',
          },
          [{ name: 'app' }],
        ),
      ).toThrow(
        new RegExp(
          `admission webhook "inject.syncret.io" denied the request: syncret injector: ClusterSecretStore "${store}" does not allow namespace "${ns}"`,
        ),
      );
      expect(kubectl(['get', 'pods', '-n', ns, '-o', 'name'])).not.toContain('refused');
    } finally {
      remove('clustersecretstore', undefined, store);
    }
  });

  it('a pod naming a SecretStore of its namespace gets the store; its init agent reads through it', async () => {
    apply({
      apiVersion: 'external-secrets.io/v1',
      kind: 'SecretStore',
      metadata: { name: 'vault', namespace: ns },
      spec: {
        provider: {
          vault: {
            server: serverVar('VAULT_ADDR'),
            path: v.kvMount,
            version: 'v2',
            auth: { kubernetes: { mountPath: v.authMount, role: 'app', serviceAccountRef: { name: 'app' } } },
          },
        },
      },
    });
    const pod = createPod(
      ns,
      'store-user',
      {
        'vault.hashicorp.com/agent-inject': 'true',
        'vault.hashicorp.com/agent-pre-populate-only': 'true',
        'syncret.io/store': 'vault',
        'vault.hashicorp.com/agent-inject-secret-api.env': 'webapp/api',
        'vault.hashicorp.com/agent-inject-template-api.env': 'API_KEY={{ .key }}',
      },
      [{ name: 'app' }],
    );
    const init = pod.spec.initContainers!.find((c) => c.name === 'syncret-agent-init')!;
    const config = JSON.parse(configEnv(init)) as { store?: { kind: string; name: string }; vault?: unknown };
    expect(config.vault).toBeUndefined();
    expect(config.store).toMatchObject({ kind: 'SecretStore', name: 'vault', namespace: ns });
    const out = join(dir, 'store-secrets');
    const i = localised(init, [process.execPath, MAIN], {
      '/var/run/secrets/syncret/token': join(dir, 'token'),
      '/vault/secrets': out,
    });
    const p = run('injected-store-init', i.argv[0]!, i.argv.slice(1), {
      env: { PATH: process.env.PATH, ...i.env },
    });
    expect((await finished(p)).code).toBe(0);
    expectValue(readFileSync(join(out, 'api.env'), 'utf8'), `API_KEY=${apiKey}`, 'api.env');
  });

  it("gives a store's pod its Secret credentials as volumes, and IRSA its token and role; the agents read moto with them", async () => {
    const key = `inj/${sfx}/app`;
    await smAdmin().send(
      new CreateSecretCommand({ Name: key, SecretString: JSON.stringify({ key: awsValue }) }),
    );
    const role = roleArn(`inj-${sfx}`);
    kubectl([
      'annotate',
      'serviceaccount',
      'app',
      '-n',
      ns,
      `eks.amazonaws.com/role-arn=${role}`,
      'team=shop',
    ]);
    apply(plainSecret(ns, 'aws-creds', { id: 'AKIAINJECTORE2E00000', secret: awsSecretKey }));
    const awsStore = (name: string, auth: Record<string, unknown>) => ({
      apiVersion: 'external-secrets.io/v1',
      kind: 'SecretStore',
      metadata: { name, namespace: ns },
      spec: { provider: { aws: { service: 'SecretsManager', region: REGION, auth } } },
    });
    apply(
      awsStore('aws-keys', {
        secretRef: {
          accessKeyIDSecretRef: { name: 'aws-creds', key: 'id' },
          secretAccessKeySecretRef: { name: 'aws-creds', key: 'secret' },
        },
      }),
      awsStore('aws-irsa', { jwt: { serviceAccountRef: { name: 'app' } } }),
    );
    // As the kubelet fills the Secret volume: <dir>/<name>/<key>, from the apiserver's copy.
    const creds = join(dir, 'credentials');
    mkdirSync(join(creds, 'aws-creds'), { recursive: true });
    const stored = JSON.parse(kubectl(['get', 'secret', 'aws-creds', '-n', ns, '-o', 'json'])) as {
      data: Record<string, string>;
    };
    for (const [k, b64] of Object.entries(stored.data))
      writeFileSync(join(creds, 'aws-creds', k), Buffer.from(b64, 'base64'), { mode: 0o444 });
    projectToken(ns, 'app', join(dir, 'sts-token'), 'sts.amazonaws.com');
    // No AWS keys in the agent's environment: only the mounted ones or IRSA can sign.
    const awsEnv = { AWS_ENDPOINT_URL: motoUrl(), AWS_REGION: REGION, AWS_EC2_METADATA_DISABLED: 'true' };

    const runInit = async (store: string) => {
      const pod = createPod(
        ns,
        `store-${store}`,
        {
          'vault.hashicorp.com/agent-inject': 'true',
          'vault.hashicorp.com/agent-pre-populate-only': 'true',
          'syncret.io/store': store,
          'vault.hashicorp.com/agent-inject-secret-aws.env': key,
          'vault.hashicorp.com/agent-inject-template-aws.env': 'KEY={{ .key }}',
        },
        [{ name: 'app' }],
      );
      expect(findLeaksIn('the mutated Pod', JSON.stringify(pod), issuedValues())).toEqual([]);
      const init = pod.spec.initContainers!.find((c) => c.name === 'syncret-agent-init')!;
      const out = join(dir, `${store}-secrets`);
      const i = localised(init, [process.execPath, MAIN], {
        // The longer path first: the main token's is a prefix of it.
        '/var/run/secrets/syncret/token-0': join(dir, 'sts-token'),
        '/var/run/secrets/syncret/token': join(dir, 'token'),
        '/var/run/secrets/syncret-credentials': creds,
        '/vault/secrets': out,
      });
      const p = run(`injected-${store}-init`, i.argv[0]!, i.argv.slice(1), {
        env: { PATH: process.env.PATH, ...awsEnv, ...i.env },
      });
      expect((await finished(p)).code).toBe(0);
      expectValue(readFileSync(join(out, 'aws.env'), 'utf8'), `KEY=${awsValue}`, `${store}: aws.env`);
      return { pod, init, config: JSON.parse(configEnv(init)) as { identity: Record<string, unknown> } };
    };

    const keys = await runInit('aws-keys');
    expect(keys.pod.spec.volumes).toContainEqual({
      name: 'syncret-cred-0',
      secret: {
        secretName: 'aws-creds',
        items: [
          { key: 'id', path: 'id' },
          { key: 'secret', path: 'secret' },
        ],
        defaultMode: 0o444,
      },
    });
    expect(keys.init.volumeMounts).toContainEqual({
      name: 'syncret-cred-0',
      mountPath: '/var/run/secrets/syncret-credentials/aws-creds',
      readOnly: true,
    });
    expect(keys.config.identity.secretsDir).toBe('/var/run/secrets/syncret-credentials');

    const irsa = await runInit('aws-irsa');
    const token = irsa.pod.spec.volumes!.find((x) => x.name === 'syncret-token') as {
      projected: { sources: { serviceAccountToken: { path: string; audience?: string } }[] };
    };
    expect(token.projected.sources.map((x) => x.serviceAccountToken)).toContainEqual(
      expect.objectContaining({ path: 'token-0', audience: 'sts.amazonaws.com' }),
    );
    // The identity annotation only, not the ServiceAccount's others.
    expect(irsa.config.identity.serviceAccount).toEqual({
      name: 'app',
      namespace: ns,
      annotations: { 'eks.amazonaws.com/role-arn': role },
    });
  }, 120_000);

  it('a webhook that is down with failurePolicy Ignore does not block pod creation', () => {
    const pod = createPod(downNs, 'unblocked', { 'vault.hashicorp.com/agent-inject': 'true' }, [
      { name: 'app' },
    ]);
    expect(pod.spec.initContainers).toBeUndefined();
    expect(pod.metadata.annotations['vault.hashicorp.com/agent-inject-status']).toBeUndefined();
  });

  it('renews the serving certificate and the CA; the apiserver keeps calling it over TLS', async () => {
    const secret = () =>
      JSON.parse(
        kubectl(['get', 'secret', `${RELEASE}-syncret-injector-tls`, '-n', injNs, '-o', 'json']),
      ) as {
        data: Record<string, string>;
      };
    const pem = (k: string) => Buffer.from(secret().data[k]!, 'base64').toString();
    const firstCA = pem('ca.crt');
    const firstCert = pem('tls.crt');
    expect(new X509Certificate(firstCert).checkIssued(new X509Certificate(firstCA))).toBe(true);
    const bundle = () =>
      Buffer.from(
        (
          JSON.parse(kubectl(['get', 'mutatingwebhookconfiguration', webhook, '-o', 'json'])) as {
            webhooks: { clientConfig: { caBundle: string } }[];
          }
        ).webhooks[0]!.clientConfig.caBundle,
        'base64',
      ).toString();
    expect(bundle()).toContain(firstCA.trim());
    // The CA is due at 40 s of its 60 s: a new one signs, the old one stays in the bundle.
    await waitFor('a new CA', () => pem('ca.crt') !== firstCA, { timeoutMs: 70_000, intervalMs: 1000 });
    const b = bundle();
    expect(b).toContain(pem('ca.crt').trim());
    expect(b).toContain(firstCA.trim());
    expect(pem('tls.crt')).not.toBe(firstCert);
    await waitFor(
      'the injector to serve the new certificate',
      () => injector.log().split('webhook certificate issued').length > 2,
      {
        timeoutMs: 10_000,
      },
    );
    const pod = createPod(
      ns,
      'after-rotation',
      {
        'vault.hashicorp.com/agent-inject': 'true',
        'vault.hashicorp.com/role': 'app',
        'vault.hashicorp.com/agent-inject-secret-a': `${v.kvMount}/data/webapp/api`,
      },
      [{ name: 'app' }],
    );
    expect(pod.metadata.annotations['vault.hashicorp.com/agent-inject-status']).toBe('injected');
    expect(injector.log()).not.toMatch(/"level":(50|60)/);
  }, 120_000);
});
