import { describe, expect, it } from '@jest/globals';
import type { AgentConfig } from '../agent/config.js';
import { InjectionError } from './annotations.js';
import type { InjectorConfig } from './annotations.js';
import { CONFIG_ENV, mutatePod } from './mutate.js';
import type { Container, PatchOp, Pod } from './pod.js';

const cfg: InjectorConfig = {
  image: 'ghcr.io/syncret/syncret:1.0',
  execPrefix: ['/syncret/node', '/syncret/app/dist/main.js'],
  copyCommand: ['/nodejs/bin/node', '/app/dist/main.js', 'injector', 'copy', '/syncret'],
  vaultAddr: 'https://vault.vault.svc:8200',
  ownNamespace: 'syncret',
  runAsUser: 65532,
  runAsGroup: 65532,
};

/** RFC 6902 add/replace/remove, enough to apply the injector's patches. */
function applyPatch<T>(doc: T, ops: PatchOp[]): T {
  const out = structuredClone(doc) as unknown;
  for (const op of ops) {
    const parts = op.path
      .split('/')
      .slice(1)
      .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
    const last = parts.pop()!;
    let cur = out as Record<string, unknown>;
    for (const p of parts) cur = cur[p] as Record<string, unknown>;
    if (Array.isArray(cur)) {
      if (op.op === 'add') {
        if (last === '-') cur.push(op.value);
        else cur.splice(Number(last), 0, op.value);
      } else if (op.op === 'replace') cur[Number(last)] = op.value;
      else cur.splice(Number(last), 1);
    } else if (op.op === 'remove') delete cur[last];
    else {
      if (op.op === 'replace' && !(last in cur)) throw new Error(`replace of a missing ${op.path}`);
      cur[last] = op.value;
    }
  }
  return out as T;
}

function pod(annotations: Record<string, string>, containers?: Container[]): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { generateName: 'api-', annotations },
    spec: {
      serviceAccountName: 'api',
      containers: containers ?? [{ name: 'api', image: 'api:distroless', args: ['--port', '8080'] }],
    },
  };
}

async function mutated(p: Pod, ns = 'shop'): Promise<{ pod: Pod; config: AgentConfig; patch: PatchOp[] }> {
  const r = await mutatePod(p, ns, cfg);
  if ('skip' in r) throw new Error(`skipped: ${r.skip}`);
  return { pod: applyPatch(p, r.patch), config: r.config, patch: r.patch };
}

const configOf = (c: Container | undefined): AgentConfig =>
  JSON.parse(c!.env!.find((e) => e.name === CONFIG_ENV)!.value!) as AgentConfig;

// The annotations of the platform's distroless exec-mode chart (reference document 004).
const EXEC_TEMPLATE = `{{- with secret "secret/data/spitikos/api" -}}
{{- range $key, $value := .Data.data }}
{{ $key }}={{ $value }}
{{- end }}
{{- end }}
`;
const exec004 = {
  'vault.hashicorp.com/agent-inject': 'true',
  'vault.hashicorp.com/agent-run-as-sidecar': 'false',
  'vault.hashicorp.com/role': 'api',
  'vault.hashicorp.com/agent-exec-command': '/server',
  'vault.hashicorp.com/agent-inject-secret-config.env': 'secret/data/spitikos/api',
  'vault.hashicorp.com/agent-inject-template-config.env': EXEC_TEMPLATE,
};

// The sidecar chart of reference document 000 (pattern 2).
const sidecar000 = {
  'vault.hashicorp.com/agent-inject': 'true',
  'vault.hashicorp.com/role': 'webapp',
  'vault.hashicorp.com/agent-inject-secret-db.json': 'secret/data/webapp/database',
  'vault.hashicorp.com/agent-inject-template-db.json':
    '{{- with secret "secret/data/webapp/database" -}}\n{ "password": "{{ .Data.data.password }}" }\n{{- end }}\n',
  'vault.hashicorp.com/agent-inject-secret-api-key': 'secret/data/webapp/api',
  'vault.hashicorp.com/agent-inject-template-api-key':
    '{{- with secret "secret/data/webapp/api" -}}\nexport API_KEY="{{ .Data.data.key }}"\n{{- end }}\n',
  'vault.hashicorp.com/agent-cache-enable': 'true',
  'vault.hashicorp.com/agent-pre-populate-only': 'false',
};
const webapp: Container[] = [
  { name: 'webapp', image: 'webapp:1.0', command: ['/bin/sh', '-c'], args: ['python app.py'] },
];

describe('exec mode (the distroless chart)', () => {
  it('wraps the app command, copies the executable, projects the token and adds no file volume', async () => {
    const { pod: p, config } = await mutated(pod(exec004));
    const app = p.spec!.containers![0]!;
    expect(app.command).toEqual([
      ...cfg.execPrefix,
      'agent',
      'exec',
      '--config-env',
      CONFIG_ENV,
      '--',
      '/server',
    ]);
    expect(app.args).toEqual(['--port', '8080']);
    expect(app.volumeMounts).toEqual([
      { name: 'syncret-bin', mountPath: '/syncret', readOnly: true },
      { name: 'syncret-token', mountPath: '/var/run/secrets/syncret', readOnly: true },
    ]);
    expect(p.spec!.containers).toHaveLength(1);
    const [copy] = p.spec!.initContainers!;
    expect(copy!.name).toBe('syncret-copy');
    expect(copy!.image).toBe(cfg.image);
    expect(copy!.command).toEqual(cfg.copyCommand);
    expect(copy!.securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      runAsUser: 65532,
    });
    expect(p.spec!.volumes).toEqual([
      {
        name: 'syncret-token',
        projected: {
          sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }],
          defaultMode: 0o444,
        },
      },
      { name: 'syncret-bin', emptyDir: { medium: 'Memory' } },
    ]);
    expect(p.metadata!.annotations!['vault.hashicorp.com/agent-inject-status']).toBe('injected');
    expect(configOf(app)).toEqual(config);
    expect(config.vault).toEqual({
      server: 'https://vault.vault.svc:8200',
      auth: { kubernetes: { mountPath: 'kubernetes', role: 'api', serviceAccountRef: { name: 'api' } } },
    });
    expect(config.identity).toEqual({
      tokenFile: '/var/run/secrets/syncret/token',
      serviceAccount: { name: 'api', namespace: 'shop' },
    });
    expect(config.templates).toEqual([
      { name: 'config.env', path: 'secret/data/spitikos/api', contents: EXEC_TEMPLATE, perms: '0644' },
    ]);
  });

  it("uses the container's own command without agent-exec-command, and refuses when there is none", async () => {
    const a = { ...exec004, 'syncret.io/agent-mode': 'exec' } as Record<string, string>;
    delete a['vault.hashicorp.com/agent-exec-command'];
    const { pod: p } = await mutated(
      pod(a, [{ name: 'api', command: ['/app', '-v'], env: [{ name: 'A', value: 'b' }] }]),
    );
    expect(p.spec!.containers![0]!.command!.slice(-3)).toEqual(['--', '/app', '-v']);
    expect(p.spec!.containers![0]!.env!.map((e) => e.name)).toEqual(['A', CONFIG_ENV]);
    await expect(mutatePod(pod(a), 'shop', cfg)).rejects.toThrow(
      /exec mode needs the application's command: set vault.hashicorp.com\/agent-exec-command or the command of container "api"/,
    );
  });

  it('wraps the container named by agent-inject-containers', async () => {
    const p0 = pod({ ...exec004, 'vault.hashicorp.com/agent-inject-containers': 'api' }, [
      { name: 'proxy', command: ['/envoy'] },
      { name: 'api' },
    ]);
    const { pod: p } = await mutated(p0);
    expect(p.spec!.containers![0]!.command).toEqual(['/envoy']);
    expect(p.spec!.containers![1]!.command!.at(-1)).toBe('/server');
  });
});

describe('init and sidecar (the chart of pattern 2)', () => {
  it('adds the init agent, the sidecar and the memory volume mounted read-only into the app', async () => {
    const { pod: p, config } = await mutated(pod(sidecar000, webapp));
    const [app, sidecar] = p.spec!.containers!;
    expect(app!.command).toEqual(['/bin/sh', '-c']);
    expect(app!.volumeMounts).toEqual([
      { name: 'syncret-secrets', mountPath: '/vault/secrets', readOnly: true },
    ]);
    expect(sidecar!.name).toBe('syncret-agent');
    expect(sidecar!.args).toEqual(['agent', 'sidecar', '--config-env', CONFIG_ENV]);
    const init = p.spec!.initContainers![0]!;
    expect(init.name).toBe('syncret-agent-init');
    expect(init.args).toEqual(['agent', 'init', '--config-env', CONFIG_ENV]);
    for (const c of [init, sidecar!]) {
      expect(c.image).toBe(cfg.image);
      expect(c.volumeMounts).toEqual([
        { name: 'syncret-secrets', mountPath: '/vault/secrets' },
        { name: 'syncret-token', mountPath: '/var/run/secrets/syncret', readOnly: true },
      ]);
      expect(c.resources).toEqual({
        limits: { cpu: '500m', memory: '256Mi' },
        requests: { cpu: '250m', memory: '64Mi' },
      });
      expect(c.securityContext).toEqual({
        runAsUser: 65532,
        runAsGroup: 65532,
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(configOf(c)).toEqual(config);
    }
    expect(p.spec!.volumes!.map((v) => [v.name, v.emptyDir])).toEqual([
      ['syncret-token', undefined],
      ['syncret-secrets', { medium: 'Memory' }],
    ]);
    expect(config.secretsDir).toBe('/vault/secrets');
    expect(config.templates.map((t) => [t.name, t.path, t.perms])).toEqual([
      ['api-key', 'secret/data/webapp/api', '0644'],
      ['db.json', 'secret/data/webapp/database', '0644'],
    ]);
  });

  it('is idempotent: a mutated pod is left alone', async () => {
    const { pod: once } = await mutated(pod(sidecar000, webapp));
    expect(await mutatePod(once, 'shop', cfg)).toEqual({ skip: 'already injected' });
    // Even if the status annotation was stripped, the token volume shows the injection.
    delete once.metadata!.annotations!['vault.hashicorp.com/agent-inject-status'];
    expect(await mutatePod(once, 'shop', cfg)).toEqual({ skip: 'already injected' });
  });

  it('chooses the containers as the Vault injector does', async () => {
    const names = async (a: Record<string, string>) => {
      const { pod: p } = await mutated(pod({ ...sidecar000, ...a }, webapp));
      return [(p.spec!.initContainers ?? []).map((c) => c.name), p.spec!.containers!.map((c) => c.name)];
    };
    expect(await names({ 'vault.hashicorp.com/agent-pre-populate-only': 'true' })).toEqual([
      ['syncret-agent-init'],
      ['webapp'],
    ]);
    expect(await names({ 'vault.hashicorp.com/agent-pre-populate': 'false' })).toEqual([
      [],
      ['webapp', 'syncret-agent'],
    ]);
    expect(await names({ 'vault.hashicorp.com/agent-run-as-sidecar': 'false' })).toEqual([
      ['syncret-agent-init'],
      ['webapp'],
    ]);
  });

  it('honours per-file annotations, the volume path, auth path, namespace, address, CA and TLS secret', async () => {
    const { pod: p, config } = await mutated(
      pod(
        {
          ...sidecar000,
          'vault.hashicorp.com/agent-inject-perms-db.json': '0400',
          'vault.hashicorp.com/agent-inject-command-db.json': '/app/reload --db',
          'vault.hashicorp.com/agent-inject-file-api-key': 'env/api.sh',
          'vault.hashicorp.com/error-on-missing-key-api-key': 'true',
          'vault.hashicorp.com/secret-volume-path': '/etc/secrets/',
          'vault.hashicorp.com/auth-path': 'auth/k8s-prod',
          'vault.hashicorp.com/namespace': 'team-a',
          'vault.hashicorp.com/service': 'https://vault.example.com:8200',
          'vault.hashicorp.com/ca-cert': '/vault/tls/ca.crt',
          'vault.hashicorp.com/tls-secret': 'vault-ca',
          'vault.hashicorp.com/template-static-secret-render-interval': '30s',
          'vault.hashicorp.com/agent-limits-cpu': '1',
          'vault.hashicorp.com/agent-limits-mem': '',
          'vault.hashicorp.com/agent-requests-ephemeral': '10Mi',
          'vault.hashicorp.com/agent-run-as-user': '1000',
          'syncret.io/token-audience': 'vault',
        },
        webapp,
      ),
    );
    expect(config.vault).toEqual({
      server: 'https://vault.example.com:8200',
      namespace: 'team-a',
      auth: { kubernetes: { mountPath: 'k8s-prod', role: 'webapp', serviceAccountRef: { name: 'api' } } },
    });
    expect(config.vaultCAFile).toBe('/vault/tls/ca.crt');
    expect(config.refreshInterval).toBe('30s');
    expect(config.secretsDir).toBe('/etc/secrets');
    expect(config.templates).toEqual([
      expect.objectContaining({
        name: 'api-key',
        destination: '/etc/secrets/env/api.sh',
        errorOnMissingKey: true,
      }),
      expect.objectContaining({ name: 'db.json', perms: '0400', command: '/app/reload --db' }),
    ]);
    const sidecar = p.spec!.containers![1]!;
    expect(sidecar.resources).toEqual({
      limits: { cpu: '1' },
      requests: { cpu: '250m', memory: '64Mi', 'ephemeral-storage': '10Mi' },
    });
    expect(sidecar.securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: 65532 });
    expect(sidecar.volumeMounts).toContainEqual({
      name: 'syncret-tls',
      mountPath: '/vault/tls',
      readOnly: true,
    });
    expect(p.spec!.volumes).toContainEqual({
      name: 'syncret-tls',
      secret: { secretName: 'vault-ca', defaultMode: 0o444 },
    });
    const token = p.spec!.volumes!.find((v) => v.name === 'syncret-token')!;
    expect(token.projected!.sources[0]!.serviceAccountToken!.audience).toBe('vault');
    expect(p.spec!.containers![0]!.volumeMounts![0]!.mountPath).toBe('/etc/secrets');
  });

  it('appends to existing arrays, or puts the init agent first with agent-init-first', async () => {
    const base = pod(sidecar000, webapp);
    base.spec!.initContainers = [{ name: 'migrate' }];
    base.spec!.volumes = [{ name: 'data', emptyDir: {} }];
    const { pod: last } = await mutated(base);
    expect(last.spec!.initContainers!.map((c) => c.name)).toEqual(['migrate', 'syncret-agent-init']);
    expect(last.spec!.volumes!.map((v) => v.name)).toEqual(['data', 'syncret-token', 'syncret-secrets']);
    const first = structuredClone(base);
    first.metadata!.annotations!['vault.hashicorp.com/agent-init-first'] = 'true';
    expect((await mutated(first)).pod.spec!.initContainers!.map((c) => c.name)).toEqual([
      'syncret-agent-init',
      'migrate',
    ]);
  });

  it('omits the security context when agent-set-security-context is false', async () => {
    const { pod: p } = await mutated(
      pod({ ...sidecar000, 'vault.hashicorp.com/agent-set-security-context': 'false' }, webapp),
    );
    expect(p.spec!.containers![1]!.securityContext).toBeUndefined();
  });
});

describe('skipped pods', () => {
  it('leaves alone pods without the annotation, of its own namespace and of kube-system', async () => {
    expect(await mutatePod(pod({}), 'shop', cfg)).toEqual({ skip: 'no injection requested' });
    expect(await mutatePod(pod({ 'vault.hashicorp.com/agent-inject': 'false' }), 'shop', cfg)).toEqual({
      skip: 'no injection requested',
    });
    expect(await mutatePod(pod(exec004), 'syncret', cfg)).toMatchObject({
      skip: expect.stringMatching(/own namespace/),
    });
    expect(await mutatePod(pod(exec004), 'kube-system', cfg)).toMatchObject({
      skip: expect.stringMatching(/kube-system/),
    });
  });
});

describe('refused pods', () => {
  const refused = async (a: Record<string, string>, re: RegExp, containers = webapp) => {
    const e = await mutatePod(pod(a, containers), 'shop', cfg).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InjectionError);
    expect((e as Error).message).toMatch(re);
  };

  it('names the annotation at fault', async () => {
    await refused(
      { ...sidecar000, 'vault.hashicorp.com/agent-pre-populate': 'yes' },
      /agent-pre-populate: "yes" is not true or false/,
    );
    await refused(
      { ...sidecar000, 'vault.hashicorp.com/agent-limits-cpu': 'lots' },
      /agent-limits-cpu: "lots" is not a quantity/,
    );
    await refused(
      { ...sidecar000, 'vault.hashicorp.com/agent-inject-containers': 'nope' },
      /names "nope", which the pod does not have/,
    );
    await refused(
      { ...sidecar000, 'vault.hashicorp.com/agent-inject-perms-db.json': '0999' },
      /perms "0999" is not an octal mode/,
    );
    await refused(
      { ...sidecar000, 'vault.hashicorp.com/agent-inject-file-db.json': '../../etc/passwd' },
      /leaves \/vault\/secrets/,
    );
    await refused(
      { ...sidecar000, 'vault.hashicorp.com/agent-configmap': 'cm' },
      /HCL configuration is not read/,
    );
    await refused(
      { ...sidecar000, 'vault.hashicorp.com/tls-skip-verify': 'true' },
      /never skips TLS verification/,
    );
    await refused({ ...sidecar000, 'vault.hashicorp.com/agent-run-as-user': '-1' }, /not a user or group id/);
    await refused(
      { 'vault.hashicorp.com/agent-inject': 'true', 'vault.hashicorp.com/role': 'r' },
      /no vault.hashicorp.com\/agent-inject-secret-<name>/,
    );
    const noRole = { ...sidecar000 } as Record<string, string>;
    delete noRole['vault.hashicorp.com/role'];
    await refused(noRole, /vault.hashicorp.com\/role is required/);
  });

  it('checks templates at admission: a syntax error names the template and line', async () => {
    await refused(
      {
        ...sidecar000,
        'vault.hashicorp.com/agent-inject-template-db.json': '{{ with secret "x" }}\n{{ .Data ',
      },
      /db\.json:2/,
    );
  });
});

describe('stores (syncret.io/store)', () => {
  it('puts the resolved store into the configuration in place of the Vault login', async () => {
    const asked: string[] = [];
    const r = await mutatePod(
      pod({ ...sidecar000, 'syncret.io/cluster-store': 'aws' }, webapp),
      'shop',
      cfg,
      async (kind, name, ns, sa) => {
        asked.push(`${kind}/${name}@${ns} as ${sa}`);
        return {
          store: { kind, name, provider: { aws: { service: 'SecretsManager', region: 'eu-west-1' } } },
          serviceAccountAnnotations: {},
        };
      },
    );
    expect(asked).toEqual(['ClusterSecretStore/aws@shop as api']);
    if ('skip' in r) throw new Error('skipped');
    expect(r.config.vault).toBeUndefined();
    expect(r.config.store).toEqual({
      kind: 'ClusterSecretStore',
      name: 'aws',
      provider: { aws: { service: 'SecretsManager', region: 'eu-west-1' } },
    });
  });

  const resolvedAs =
    (provider: Record<string, unknown>, annotations: Record<string, string> = {}, kind = 'SecretStore') =>
    async () => ({
      store: { kind: kind as 'SecretStore', name: 'aws', namespace: 'shop', provider },
      serviceAccountAnnotations: annotations,
    });
  const storeAnnotations = {
    ...exec004,
    'vault.hashicorp.com/role': undefined,
    'syncret.io/store': 'aws',
    'vault.hashicorp.com/agent-inject-secret-config.env': 'app/config',
    'vault.hashicorp.com/agent-inject-template-config.env': 'KEY={{ .key }}',
  } as unknown as Record<string, string>;
  delete storeAnnotations['vault.hashicorp.com/role'];

  it("mounts the Secrets the store's provider references, read by the agent from files", async () => {
    const provider = {
      aws: {
        service: 'SecretsManager',
        region: 'eu-west-1',
        auth: {
          secretRef: {
            accessKeyIDSecretRef: { name: 'aws-creds', key: 'access-key' },
            secretAccessKeySecretRef: { name: 'aws-creds', key: 'secret-key', namespace: 'shop' },
          },
        },
      },
    };
    const r = await mutatePod(pod(storeAnnotations), 'shop', cfg, resolvedAs(provider));
    if ('skip' in r) throw new Error('skipped');
    const p = applyPatch(pod(storeAnnotations), r.patch);
    expect(p.spec!.volumes).toContainEqual({
      name: 'syncret-cred-0',
      secret: {
        secretName: 'aws-creds',
        items: [
          { key: 'access-key', path: 'access-key' },
          { key: 'secret-key', path: 'secret-key' },
        ],
        defaultMode: 0o444,
      },
    });
    // Exec mode: the agent runs in the app container, which therefore holds the mount.
    expect(p.spec!.containers![0]!.volumeMounts).toContainEqual({
      name: 'syncret-cred-0',
      mountPath: '/var/run/secrets/syncret-credentials/aws-creds',
      readOnly: true,
    });
    expect(r.config.identity?.secretsDir).toBe('/var/run/secrets/syncret-credentials');
    expect(JSON.stringify(r.patch)).not.toMatch(/"data"|stringData/);
  });

  it('refuses a ClusterSecretStore whose credentials are in another namespace, and a ConfigMap CA as a volume', async () => {
    const clusterProvider = {
      aws: {
        service: 'SecretsManager',
        region: 'eu-west-1',
        auth: { secretRef: { accessKeyIDSecretRef: { name: 'aws', key: 'id', namespace: 'syncret' } } },
      },
    };
    await expect(
      mutatePod(pod(storeAnnotations), 'shop', cfg, resolvedAs(clusterProvider, {}, 'ClusterSecretStore')),
    ).rejects.toThrow(
      /SecretStore "aws" spec.provider.aws.auth.secretRef.accessKeyIDSecretRef references Secret "syncret\/aws": a pod mounts only its own namespace's \(shop\)/,
    );
    const withCA = {
      vault: {
        server: 'https://vault:8200',
        caProvider: { type: 'ConfigMap', name: 'vault-ca', key: 'ca.crt' },
        auth: { tokenSecretRef: { name: 'vault-token', key: 'token' } },
      },
    };
    const r = await mutatePod(pod(storeAnnotations), 'shop', cfg, resolvedAs(withCA));
    if ('skip' in r) throw new Error('skipped');
    const vols = applyPatch(pod(storeAnnotations), r.patch).spec!.volumes!;
    expect(
      vols.filter((v) => v.name.startsWith('syncret-cred-')).map((v) => v.configMap ?? v.secret),
    ).toEqual([
      { name: 'vault-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }], defaultMode: 0o444 },
      { secretName: 'vault-token', items: [{ key: 'token', path: 'token' }], defaultMode: 0o444 },
    ]);
  });

  it("gives IRSA its token audience and the ServiceAccount's role annotation", async () => {
    const role = 'arn:aws:iam::123456789012:role/app';
    const provider = {
      aws: {
        service: 'SecretsManager',
        region: 'eu-west-1',
        auth: { jwt: { serviceAccountRef: { name: 'api' } } },
      },
    };
    const r = await mutatePod(
      pod(storeAnnotations),
      'shop',
      cfg,
      resolvedAs(provider, { 'eks.amazonaws.com/role-arn': role }),
    );
    if ('skip' in r) throw new Error('skipped');
    const p = applyPatch(pod(storeAnnotations), r.patch);
    const token = p.spec!.volumes!.find((v) => v.name === 'syncret-token')!;
    expect(token.projected!.sources).toEqual([
      { serviceAccountToken: { path: 'token', expirationSeconds: 3600 } },
      { serviceAccountToken: { path: 'token-0', expirationSeconds: 3600, audience: 'sts.amazonaws.com' } },
    ]);
    expect(r.config.identity).toMatchObject({
      tokenFiles: { 'sts.amazonaws.com': '/var/run/secrets/syncret/token-0' },
      serviceAccount: { name: 'api', namespace: 'shop', annotations: { 'eks.amazonaws.com/role-arn': role } },
    });
    expect(r.config.identity?.secretsDir).toBeUndefined();
  });

  it("refuses the pod with the lookup's message", async () => {
    const lookup = async (): Promise<never> => {
      throw new InjectionError('ClusterSecretStore "aws" does not allow namespace "shop"');
    };
    await expect(
      mutatePod(pod({ ...sidecar000, 'syncret.io/cluster-store': 'aws' }, webapp), 'shop', cfg, lookup),
    ).rejects.toThrow(/does not allow namespace "shop"/);
  });
});
