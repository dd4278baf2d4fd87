// The Vault Agent injector's annotations (vault.hashicorp.com/*) and Syncret's own
// (syncret.io/*), read into a plan: which agent containers to add, the files or environment
// they render, how they log in. Pure: the store a syncret.io/store annotation names is looked up
// by the caller. A value the injector cannot honour refuses the pod with a message naming the
// annotation, so a chart never starts without the secrets it asked for.

import { posix } from 'node:path';
import type { AgentTemplateConfig } from '../agent/config.js';
import { splitWords } from '../agent/command.js';
import type { StoreKind } from '../api/types.js';
import type { Pod } from './pod.js';

export const VAULT = 'vault.hashicorp.com/';
export const SYNCRET = 'syncret.io/';
export const STATUS = `${VAULT}agent-inject-status`;

/** Injected into a Pod's metadata and read by the webhook; values live in the chart's values. */
export interface InjectorConfig {
  /** The Syncret image: agent containers run it; exec mode copies the executable out of it. */
  image: string;
  /** How an app container runs the copied `syncret` (exec mode). */
  execPrefix: string[];
  /** Run in the Syncret image to copy the executable into /syncret (exec mode). */
  copyCommand: string[];
  /** The Vault address when the pod does not name one (vault.hashicorp.com/service). */
  vaultAddr?: string;
  /** Audience of the projected token when the pod does not name one; none: the apiserver's. */
  tokenAudience?: string;
  /** The injector's own namespace: its pods are never mutated. */
  ownNamespace: string;
  /** Agent containers' uid and gid unless the pod says otherwise (the image's nonroot user). */
  runAsUser: number;
  runAsGroup: number;
  /** Put allowInsecureCredentials into the agents' configurations (test setups only). */
  allowInsecureCredentials?: boolean;
}

export class InjectionError extends Error {
  override readonly name = 'InjectionError';
}

export type AgentModes = { init: boolean; sidecar: boolean; exec: boolean };

export interface InjectionPlan {
  modes: AgentModes;
  namespace: string;
  serviceAccount: string;
  secretsDir: string;
  templates: AgentTemplateConfig[];
  /** The Vault login, unless a store is named. */
  vault?: { server: string; role: string; authPath: string; namespace?: string; caCert?: string };
  store?: { kind: StoreKind; name: string };
  tlsSecret?: string;
  tokenAudience?: string;
  refreshInterval?: string;
  /** App containers that mount the files; in exec mode, the one that is wrapped. */
  containers: string[];
  /** Exec mode: the application's command line. */
  execCommand?: string[];
  initFirst: boolean;
  resources: { limits: Record<string, string>; requests: Record<string, string> };
  securityContext?: { runAsUser: number; runAsGroup: number };
}

export type Reading = { skip: string } | { plan: InjectionPlan };

const DEFAULT_SECRETS_DIR = '/vault/secrets';
const DEFAULT_AUTH_PATH = 'auth/kubernetes';
/**
 * Vault's defaults for cpu; memory is higher than Vault Agent's 128Mi: the agent is a Node
 * process, which needs about 60 MiB before it reads anything.
 */
const DEFAULT_LIMITS = { cpu: '500m', memory: '256Mi' };
const DEFAULT_REQUESTS = { cpu: '250m', memory: '64Mi' };
const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|[KMGTPE]i?)?$/;
const NAME = /^[A-Za-z0-9._-]+$/;

/** Go's strconv.ParseBool, which the Vault injector uses. */
function parseBool(a: Record<string, string>, key: string, dflt: boolean): boolean {
  const v = a[key];
  if (v === undefined) return dflt;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  throw new InjectionError(`annotation ${key}: "${v}" is not true or false`);
}

function nonNegInt(a: Record<string, string>, key: string, dflt: number): number {
  const v = a[key];
  if (v === undefined) return dflt;
  if (!/^[0-9]{1,9}$/.test(v))
    throw new InjectionError(`annotation ${key}: "${v}" is not a user or group id`);
  return Number(v);
}

/** Annotations Syncret cannot honour without changing what the pod gets: refused, not ignored. */
function refuse(a: Record<string, string>): void {
  const no = (k: string, why: string): never => {
    throw new InjectionError(`annotation ${VAULT}${k}: ${why}`);
  };
  if (a[`${VAULT}agent-configmap`] !== undefined)
    no(
      'agent-configmap',
      'a Vault Agent HCL configuration is not read; use agent-inject-secret-/template- annotations',
    );
  if (parseBool(a, `${VAULT}tls-skip-verify`, false))
    no('tls-skip-verify', 'Syncret never skips TLS verification; give ca-cert (and tls-secret) instead');
  const layout = a[`${VAULT}agent-inject-default-template`];
  if (layout !== undefined && layout !== 'map')
    no(
      'agent-inject-default-template',
      'only the "map" layout is supported; write agent-inject-template-<name>',
    );
}

function modesOf(a: Record<string, string>): { modes: AgentModes; execCommand?: string[] } {
  const mode = a[`${SYNCRET}agent-mode`];
  if (mode !== undefined && !['exec', 'init', 'sidecar', 'init-sidecar'].includes(mode))
    throw new InjectionError(
      `annotation ${SYNCRET}agent-mode: "${mode}" is not exec, init, sidecar or init-sidecar`,
    );
  const execText = a[`${VAULT}agent-exec-command`];
  let execCommand: string[] | undefined;
  if (execText !== undefined) {
    try {
      execCommand = splitWords(execText);
    } catch (e) {
      throw new InjectionError(`annotation ${VAULT}agent-exec-command: ${(e as Error).message}`);
    }
    if (execCommand.length === 0) throw new InjectionError(`annotation ${VAULT}agent-exec-command is empty`);
  }
  const asSidecar = parseBool(a, `${VAULT}agent-run-as-sidecar`, true);
  const prePopulate = parseBool(a, `${VAULT}agent-pre-populate`, true);
  const only = parseBool(a, `${VAULT}agent-pre-populate-only`, false);
  if (mode === 'exec' || (mode === undefined && !asSidecar && execCommand))
    return { modes: { init: false, sidecar: false, exec: true }, execCommand };
  if (mode === 'init' || (mode === undefined && (only || !asSidecar)))
    return { modes: { init: true, sidecar: false, exec: false } };
  if (mode === 'sidecar') return { modes: { init: false, sidecar: true, exec: false } };
  return { modes: { init: mode === 'init-sidecar' || prePopulate, sidecar: true, exec: false } };
}

function templatesOf(a: Record<string, string>, secretsDir: string, exec: boolean): AgentTemplateConfig[] {
  const prefix = `${VAULT}agent-inject-secret-`;
  const out: AgentTemplateConfig[] = [];
  for (const key of Object.keys(a).sort()) {
    if (!key.startsWith(prefix)) continue;
    const name = key.slice(prefix.length);
    if (!NAME.test(name) || name.startsWith('.'))
      throw new InjectionError(`annotation ${key}: the name must be a file name (letters, digits, . _ -)`);
    const t: AgentTemplateConfig = { name, path: a[key]! };
    const contents = a[`${VAULT}agent-inject-template-${name}`];
    if (contents !== undefined) t.contents = contents;
    // Vault Agent writes 0644 unless told: an app under another uid must read the file.
    t.perms = a[`${VAULT}agent-inject-perms-${name}`] ?? '0644';
    const command = a[`${VAULT}agent-inject-command-${name}`];
    if (command !== undefined && !exec) t.command = command;
    const file = a[`${VAULT}agent-inject-file-${name}`];
    if (file !== undefined) {
      const dest = posix.normalize(posix.join(secretsDir, file));
      if (!dest.startsWith(`${secretsDir}/`))
        throw new InjectionError(
          `annotation ${VAULT}agent-inject-file-${name}: "${file}" leaves ${secretsDir}`,
        );
      t.destination = dest;
    }
    if (parseBool(a, `${VAULT}error-on-missing-key-${name}`, false)) t.errorOnMissingKey = true;
    out.push(t);
  }
  if (out.length === 0)
    throw new InjectionError(`${VAULT}agent-inject is true but no ${prefix}<name> annotation names a secret`);
  return out;
}

function resourcesOf(a: Record<string, string>): InjectionPlan['resources'] {
  const limits: Record<string, string> = { ...DEFAULT_LIMITS };
  const requests: Record<string, string> = { ...DEFAULT_REQUESTS };
  const keys = { cpu: 'cpu', mem: 'memory', ephemeral: 'ephemeral-storage' } as const;
  for (const [kind, target] of [
    ['limits', limits],
    ['requests', requests],
  ] as const) {
    for (const [suffix, resource] of Object.entries(keys)) {
      const key = `${VAULT}agent-${kind}-${suffix}`;
      const v = a[key];
      if (v === undefined) continue;
      if (v === '') delete target[resource];
      else if (!QUANTITY.test(v))
        throw new InjectionError(`annotation ${key}: "${v}" is not a quantity such as 500m or 128Mi`);
      else target[resource] = v;
    }
  }
  return { limits, requests };
}

function storeOf(a: Record<string, string>): InjectionPlan['store'] {
  const name = a[`${SYNCRET}store`];
  const cluster = a[`${SYNCRET}cluster-store`];
  if (name !== undefined && cluster !== undefined)
    throw new InjectionError(`annotations ${SYNCRET}store and ${SYNCRET}cluster-store exclude each other`);
  if (name !== undefined) return { kind: 'SecretStore', name };
  if (cluster !== undefined) return { kind: 'ClusterSecretStore', name: cluster };
  return undefined;
}

function vaultOf(a: Record<string, string>, cfg: InjectorConfig): InjectionPlan['vault'] {
  const role = a[`${VAULT}role`];
  if (!role)
    throw new InjectionError(`annotation ${VAULT}role is required (or ${SYNCRET}store names a store)`);
  const server = a[`${VAULT}service`] ?? cfg.vaultAddr;
  if (!server)
    throw new InjectionError(`no Vault address: set annotation ${VAULT}service or the injector's vaultAddr`);
  const authPath = (a[`${VAULT}auth-path`] ?? DEFAULT_AUTH_PATH).replace(/^\/+/, '');
  return { server, role, authPath, namespace: a[`${VAULT}namespace`], caCert: a[`${VAULT}ca-cert`] };
}

/** Reads a pod's annotations; `namespace` is the admission request's (a new pod may have none). */
export function readAnnotations(pod: Pod, namespace: string, cfg: InjectorConfig): Reading {
  const a = pod.metadata?.annotations ?? {};
  if (namespace === cfg.ownNamespace)
    return { skip: 'the injector does not mutate pods of its own namespace' };
  if (namespace === 'kube-system') return { skip: 'pods in kube-system are never mutated' };
  if (!parseBool(a, `${VAULT}agent-inject`, false)) return { skip: 'no injection requested' };
  if (a[STATUS] === 'injected' || pod.spec?.volumes?.some((v) => v.name === 'syncret-token'))
    return { skip: 'already injected' };
  refuse(a);

  const { modes, execCommand } = modesOf(a);
  const secretsDir = posix
    .normalize(a[`${VAULT}secret-volume-path`] ?? DEFAULT_SECRETS_DIR)
    .replace(/\/$/, '');
  if (!secretsDir.startsWith('/') || secretsDir === '/')
    throw new InjectionError(`annotation ${VAULT}secret-volume-path must be an absolute directory`);
  const store = storeOf(a);
  const appNames = (pod.spec?.containers ?? []).map((c) => c.name);
  const listed = a[`${VAULT}agent-inject-containers`];
  const containers =
    listed === undefined
      ? appNames
      : listed
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
  for (const c of containers)
    if (!appNames.includes(c))
      throw new InjectionError(
        `annotation ${VAULT}agent-inject-containers names "${c}", which the pod does not have`,
      );
  if (containers.length === 0) throw new InjectionError('the pod has no container to inject into');
  return {
    plan: {
      modes,
      namespace,
      serviceAccount: pod.spec?.serviceAccountName || 'default',
      secretsDir,
      templates: templatesOf(a, secretsDir, modes.exec),
      vault: store ? undefined : vaultOf(a, cfg),
      store,
      tlsSecret: a[`${VAULT}tls-secret`],
      tokenAudience: a[`${SYNCRET}token-audience`] ?? cfg.tokenAudience,
      refreshInterval: a[`${VAULT}template-static-secret-render-interval`],
      containers: modes.exec ? containers.slice(0, 1) : containers,
      execCommand,
      initFirst: parseBool(a, `${VAULT}agent-init-first`, false),
      resources: resourcesOf(a),
      securityContext: parseBool(a, `${VAULT}agent-set-security-context`, true)
        ? {
            runAsUser: nonNegInt(a, `${VAULT}agent-run-as-user`, cfg.runAsUser),
            runAsGroup: nonNegInt(a, `${VAULT}agent-run-as-group`, cfg.runAsGroup),
          }
        : undefined,
    },
  };
}
