// The agent's configuration: a YAML or JSON file (`--config`), or the JSON the injector puts
// into the agent container's environment (`--config-env`). It holds paths, template texts and
// the provider blocks of the stores (references to credentials, never credentials), so it may
// sit in a Pod spec. Checked here once, with messages that name the field.

import YAML from 'yaml';
import type { ProviderSpec, StoreKind } from '../api/types.js';
import type { VaultProvider } from '../api/providers/vault.js';
import { parseGoDuration } from '../config/duration.js';
import { validateVaultSpec } from '../providers/vault/index.js';
import { parseMode } from './files.js';

export interface AgentTemplateConfig {
  /** The file name (under secretsDir) and the name in messages. */
  name: string;
  /** The secret the file is declared for (agent-inject-secret-<name>): the default template reads it. */
  path?: string;
  /** The template; without it, every field of `path` as `key: value` lines (Vault's default). */
  contents?: string;
  /** Where to write; default secretsDir/name. */
  destination?: string;
  /** Octal mode, e.g. "0440" (default) or "0400". */
  perms?: string;
  /** Run after the file changed (sidecar): words split as a shell would, no shell involved. */
  command?: string;
  errorOnMissingKey?: boolean;
}

/** How credentials are found without a cluster to ask (see context.ts). */
export interface AgentIdentity {
  /** A projected ServiceAccount token, read at every login (the kubelet rotates it). */
  tokenFile?: string;
  /** Tokens per audience, when stores need different ones. */
  tokenFiles?: Record<string, string>;
  /** The pod's ServiceAccount as stores name it, and the annotations IRSA / workload identity read. */
  serviceAccount?: { name?: string; namespace?: string; annotations?: Record<string, string> };
  /** Secret keys as files: <secretsDir>/<name>/<key> (a Secret volume per Secret). */
  secretsDir?: string;
}

export interface AgentStoreConfig {
  kind?: StoreKind;
  name?: string;
  namespace?: string;
  provider: ProviderSpec;
}

export interface AgentConfig {
  vault?: VaultProvider;
  /** A PEM file trusted for the Vault server (the injector's ca-cert annotation). */
  vaultCAFile?: string;
  store?: AgentStoreConfig;
  identity?: AgentIdentity;
  /** Default directory of the files; /vault/secrets as the Vault injector. */
  secretsDir: string;
  /** Go duration; static values are read again this often in sidecar mode (default 5m). */
  refreshInterval?: string;
  templates: AgentTemplateConfig[];
  allowInsecureCredentials?: boolean;
  /** Sidecar: revoke leases and the token on SIGTERM (default true). */
  revokeOnShutdown?: boolean;
}

export class AgentConfigError extends Error {
  override readonly name = 'AgentConfigError';
}

export const DEFAULT_SECRETS_DIR = '/vault/secrets';
export const DEFAULT_REFRESH_MS = 5 * 60_000;
/** Static values are never read more often than this. */
export const MIN_REFRESH_MS = 1000;
export const DEFAULT_PERMS = 0o440;
const MAX_TEMPLATES = 64;
const FILE_NAME = /^[A-Za-z0-9._-]+$/;

/** Vault Agent's default template: every field of the secret as a `key: value` line. */
export function defaultTemplate(path: string): string {
  return `{{ with secret ${JSON.stringify(path)} }}{{ range $k, $v := .Data }}{{ $k }}: {{ $v }}\n{{ end }}{{ end }}`;
}

function fail(msg: string): never {
  throw new AgentConfigError(msg);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkTemplate(t: unknown, i: number, store: boolean): AgentTemplateConfig {
  const where = `templates[${i}]`;
  if (!isObject(t)) fail(`${where} must be an object`);
  const tc = t as unknown as AgentTemplateConfig;
  if (typeof tc.name !== 'string' || !FILE_NAME.test(tc.name) || tc.name.startsWith('.'))
    fail(`${where}.name must be a file name (letters, digits, . _ -)`);
  for (const k of ['path', 'contents', 'destination', 'perms', 'command'] as const)
    if (tc[k] !== undefined && typeof tc[k] !== 'string') fail(`${where}.${k} must be a string`);
  if (!tc.contents && !tc.path) fail(`${where} (${tc.name}) needs contents or path`);
  if (tc.perms !== undefined && parseMode(tc.perms) === undefined)
    fail(`${where}.perms "${tc.perms}" is not an octal mode such as 0440`);
  if (tc.destination !== undefined && !tc.destination.startsWith('/'))
    fail(`${where}.destination must be an absolute path`);
  if (store && tc.path === undefined && !tc.contents) fail(`${where} needs a path in store mode`);
  return tc;
}

/** Checks a parsed configuration object. */
export function checkAgentConfig(raw: unknown): AgentConfig {
  if (!isObject(raw)) fail('the agent configuration must be an object');
  const c = raw as unknown as Partial<AgentConfig>;
  if (!c.vault && !c.store) fail('the agent configuration needs vault (a provider.vault block) or store');
  if (c.vault && c.store) fail('the agent configuration takes vault or store, not both');
  if (c.vault) {
    const problem = validateVaultSpec(c.vault);
    if (problem) fail(problem.replace('spec.provider.vault', 'vault'));
  }
  if (c.store && !isObject(c.store.provider))
    fail('store.provider must be a provider block (as in a SecretStore)');
  if (!Array.isArray(c.templates) || c.templates.length === 0)
    fail('templates must list at least one template');
  if (c.templates.length > MAX_TEMPLATES) fail(`templates may list at most ${MAX_TEMPLATES} templates`);
  const templates = c.templates.map((t, i) => checkTemplate(t, i, !!c.store));
  const names = new Set<string>();
  for (const t of templates) {
    if (names.has(t.name)) fail(`templates: the name "${t.name}" appears twice`);
    names.add(t.name);
  }
  if (c.refreshInterval !== undefined) {
    try {
      parseGoDuration(c.refreshInterval);
    } catch {
      fail(`refreshInterval "${c.refreshInterval}" is not a duration such as 5m`);
    }
  }
  const secretsDir = c.secretsDir ?? DEFAULT_SECRETS_DIR;
  if (typeof secretsDir !== 'string' || !secretsDir.startsWith('/'))
    fail('secretsDir must be an absolute path');
  return { ...c, secretsDir, templates } as AgentConfig;
}

/** Parses YAML or JSON text; a parse error never echoes the text (it may hold a token path or template). */
export function parseAgentConfig(text: string, where: string): AgentConfig {
  let raw: unknown;
  try {
    raw = YAML.parse(text) as unknown;
  } catch (e) {
    const line = (e as { linePos?: { line: number }[] }).linePos?.[0]?.line;
    fail(`${where} is not valid YAML or JSON${line ? ` (line ${line})` : ''}`);
  }
  return checkAgentConfig(raw);
}

/** The refresh interval in ms, floored. */
export function refreshMs(c: AgentConfig): number {
  if (c.refreshInterval === undefined) return DEFAULT_REFRESH_MS;
  return Math.max(MIN_REFRESH_MS, parseGoDuration(c.refreshInterval));
}
