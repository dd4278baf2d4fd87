// The mutation: a Pod and its annotations in, a JSON patch out. Pure (the store a pod names is
// resolved by the caller and passed in), idempotent (a mutated pod carries
// vault.hashicorp.com/agent-inject-status: injected and the syncret-token volume, and is left
// alone the second time). What is added:
// - a projected ServiceAccount token (audience as asked) for the agent's login;
// - init/sidecar: a memory-backed volume at secret-volume-path, mounted read-only into the app
//   containers, and the agent as init container and/or sidecar running the Syncret image;
// - exec: an init container copying the `syncret` executable into a memory-backed volume, and
//   the app container's command wrapped: `syncret agent exec -- <the app's command>`.
// The agent's configuration is JSON in an environment variable (paths and templates, never a
// credential), checked here as the agent will check it, so a mistake refuses the pod instead of
// failing inside it.

import { AgentConfigError, checkAgentConfig } from '../agent/config.js';
import type { AgentConfig, AgentStoreConfig } from '../agent/config.js';
import { AgentTemplateError, compileTemplates } from '../agent/render.js';
import { templatesOf } from '../agent/setup.js';
import { InjectionError, STATUS, readAnnotations } from './annotations.js';
import type { InjectionPlan, InjectorConfig } from './annotations.js';
import { pointerSegment } from './pod.js';
import { storeAccess } from './store-access.js';
import type { StoreAccess } from './store-access.js';
import type { Container, PatchOp, Pod, SecurityContext, Volume, VolumeMount } from './pod.js';

export const CONFIG_ENV = 'SYNCRET_AGENT_CONFIG';
export const TOKEN_DIR = '/var/run/secrets/syncret';
export const TOKEN_FILE = `${TOKEN_DIR}/token`;
export const BIN_DIR = '/syncret';
export const TLS_DIR = '/vault/tls';
const VOL = { secrets: 'syncret-secrets', token: 'syncret-token', bin: 'syncret-bin', tls: 'syncret-tls' };
const TOKEN_SECONDS = 3600;

/** A store a syncret.io/store annotation names, resolved (tenancy checked) by the caller. */
export interface ResolvedStore {
  store: AgentStoreConfig;
  /** The identity annotations of the pod's ServiceAccount (IRSA, workload identity). */
  serviceAccountAnnotations: Record<string, string>;
}

export type StoreLookup = (
  kind: 'SecretStore' | 'ClusterSecretStore',
  name: string,
  namespace: string,
  serviceAccount: string,
) => Promise<ResolvedStore>;

/** A pod's plan with what its store needs (store-access.ts). */
type Planned = InjectionPlan & { access?: StoreAccess };

export type MutationResult = { skip: string } | { patch: PatchOp[]; config: AgentConfig };

/** The projected token's file for an extra audience: token-0, token-1, ... */
const audienceFile = (i: number): string => `token-${i}`;

export function agentConfigOf(plan: Planned, cfg: InjectorConfig, resolved?: ResolvedStore): AgentConfig {
  const access = plan.access;
  const annotations = resolved?.serviceAccountAnnotations ?? {};
  const raw: Record<string, unknown> = {
    identity: {
      tokenFile: TOKEN_FILE,
      ...(access?.audiences.length
        ? {
            tokenFiles: Object.fromEntries(
              access.audiences.map((a, i) => [a, `${TOKEN_DIR}/${audienceFile(i)}`]),
            ),
          }
        : {}),
      serviceAccount: {
        name: plan.serviceAccount,
        namespace: plan.namespace,
        ...(Object.keys(annotations).length ? { annotations } : {}),
      },
      ...(access?.secretsDir ? { secretsDir: access.secretsDir } : {}),
    },
    secretsDir: plan.secretsDir,
    templates: plan.templates,
  };
  if (resolved) raw.store = resolved.store;
  else if (plan.vault) {
    raw.vault = {
      server: plan.vault.server,
      ...(plan.vault.namespace ? { namespace: plan.vault.namespace } : {}),
      auth: {
        kubernetes: {
          mountPath: plan.vault.authPath.replace(/^auth\//, ''),
          role: plan.vault.role,
          serviceAccountRef: { name: plan.serviceAccount },
        },
      },
    };
    if (plan.vault.caCert) raw.vaultCAFile = plan.vault.caCert;
  }
  if (plan.refreshInterval !== undefined) raw.refreshInterval = plan.refreshInterval;
  if (cfg.allowInsecureCredentials) raw.allowInsecureCredentials = true;
  let config: AgentConfig;
  try {
    config = checkAgentConfig(raw);
    compileTemplates(templatesOf(config));
  } catch (e) {
    if (e instanceof AgentConfigError || e instanceof AgentTemplateError) throw new InjectionError(e.message);
    throw e;
  }
  return config;
}

function securityContext(plan: InjectionPlan): SecurityContext | undefined {
  if (!plan.securityContext) return undefined;
  return {
    ...plan.securityContext,
    runAsNonRoot: true,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

function agentMounts(plan: Planned): VolumeMount[] {
  const m: VolumeMount[] = [{ name: VOL.token, mountPath: TOKEN_DIR, readOnly: true }];
  if (!plan.modes.exec) m.unshift({ name: VOL.secrets, mountPath: plan.secretsDir });
  if (plan.tlsSecret) m.push({ name: VOL.tls, mountPath: TLS_DIR, readOnly: true });
  m.push(...(plan.access?.mounts ?? []));
  return m;
}

function agentContainer(
  name: string,
  mode: 'init' | 'sidecar',
  plan: Planned,
  cfg: InjectorConfig,
  json: string,
): Container {
  const c: Container = {
    name,
    image: cfg.image,
    args: ['agent', mode, '--config-env', CONFIG_ENV],
    env: [{ name: CONFIG_ENV, value: json }],
    volumeMounts: agentMounts(plan),
    resources: plan.resources,
  };
  const sc = securityContext(plan);
  if (sc) c.securityContext = sc;
  return c;
}

function volumes(plan: Planned): Volume[] {
  const extra = (plan.access?.audiences ?? []).map((audience, i) => ({
    serviceAccountToken: { path: audienceFile(i), expirationSeconds: TOKEN_SECONDS, audience },
  }));
  const token: Volume = {
    name: VOL.token,
    projected: {
      sources: [
        {
          serviceAccountToken: {
            path: 'token',
            expirationSeconds: TOKEN_SECONDS,
            ...(plan.tokenAudience ? { audience: plan.tokenAudience } : {}),
          },
        },
        ...extra,
      ],
      defaultMode: 0o444,
    },
  };
  const out: Volume[] = [token];
  if (plan.modes.exec) out.push({ name: VOL.bin, emptyDir: { medium: 'Memory' } });
  else out.push({ name: VOL.secrets, emptyDir: { medium: 'Memory' } });
  if (plan.tlsSecret) out.push({ name: VOL.tls, secret: { secretName: plan.tlsSecret, defaultMode: 0o444 } });
  out.push(...(plan.access?.volumes ?? []));
  return out;
}

/** Appends to an array of the pod, or creates it (a JSON patch cannot append to a missing one). */
function appendOps(
  path: string,
  existing: unknown[] | undefined,
  items: unknown[],
  first = false,
): PatchOp[] {
  if (items.length === 0) return [];
  if (!existing) return [{ op: 'add', path, value: items }];
  if (first) return items.map((value, i) => ({ op: 'add', path: `${path}/${i}`, value }));
  return items.map((value) => ({ op: 'add', path: `${path}/-`, value }));
}

function wrapExec(pod: Pod, plan: Planned, cfg: InjectorConfig, json: string): PatchOp[] {
  const containers = pod.spec?.containers ?? [];
  const i = containers.findIndex((c) => c.name === plan.containers[0]);
  const app = containers[i]!;
  const command = plan.execCommand ?? app.command;
  if (!command?.length)
    throw new InjectionError(
      `exec mode needs the application's command: set vault.hashicorp.com/agent-exec-command or the command of container "${app.name}"`,
    );
  const base = `/spec/containers/${i}`;
  const wrapped = [...cfg.execPrefix, 'agent', 'exec', '--config-env', CONFIG_ENV, '--', ...command];
  const mounts: VolumeMount[] = [{ name: VOL.bin, mountPath: BIN_DIR, readOnly: true }, ...agentMounts(plan)];
  return [
    { op: app.command ? 'replace' : 'add', path: `${base}/command`, value: wrapped },
    ...appendOps(`${base}/env`, app.env, [{ name: CONFIG_ENV, value: json }]),
    ...appendOps(`${base}/volumeMounts`, app.volumeMounts, mounts),
  ];
}

/** Builds the patch for a planned injection. */
export function patchFor(pod: Pod, plan: Planned, cfg: InjectorConfig, config: AgentConfig): PatchOp[] {
  const json = JSON.stringify(config);
  const spec = pod.spec ?? {};
  const inits: Container[] = [];
  const ops: PatchOp[] = [];
  if (plan.modes.exec) {
    const copy: Container = {
      name: 'syncret-copy',
      image: cfg.image,
      command: cfg.copyCommand,
      volumeMounts: [{ name: VOL.bin, mountPath: BIN_DIR }],
      resources: plan.resources,
    };
    const sc = securityContext(plan);
    if (sc) copy.securityContext = sc;
    inits.push(copy);
    ops.push(...wrapExec(pod, plan, cfg, json));
  } else {
    if (plan.modes.init) inits.push(agentContainer('syncret-agent-init', 'init', plan, cfg, json));
    spec.containers?.forEach((c, i) => {
      if (!plan.containers.includes(c.name)) return;
      const mount = { name: VOL.secrets, mountPath: plan.secretsDir, readOnly: true };
      ops.push(...appendOps(`/spec/containers/${i}/volumeMounts`, c.volumeMounts, [mount]));
    });
    if (plan.modes.sidecar)
      ops.push(
        ...appendOps('/spec/containers', spec.containers, [
          agentContainer('syncret-agent', 'sidecar', plan, cfg, json),
        ]),
      );
  }
  ops.push(...appendOps('/spec/initContainers', spec.initContainers, inits, plan.initFirst));
  ops.push(...appendOps('/spec/volumes', spec.volumes, volumes(plan)));
  ops.push({ op: 'add', path: `/metadata/annotations/${pointerSegment(STATUS)}`, value: 'injected' });
  return ops;
}

/** The whole mutation: annotations read, the store resolved, the configuration checked, the patch. */
export async function mutatePod(
  pod: Pod,
  namespace: string,
  cfg: InjectorConfig,
  lookup?: StoreLookup,
): Promise<MutationResult> {
  const r = readAnnotations(pod, namespace, cfg);
  if ('skip' in r) return r;
  let plan: Planned = r.plan;
  let resolved: ResolvedStore | undefined;
  if (plan.store) {
    if (!lookup)
      throw new InjectionError(`${plan.store.kind} "${plan.store.name}": stores cannot be looked up here`);
    resolved = await lookup(plan.store.kind, plan.store.name, namespace, plan.serviceAccount);
    plan = {
      ...plan,
      access: storeAccess(resolved.store.provider, namespace, `${plan.store.kind} "${plan.store.name}"`),
    };
  }
  const config = agentConfigOf(plan, cfg, resolved);
  return { patch: patchFor(pod, plan, cfg, config), config };
}
