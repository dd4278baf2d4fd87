// From a configuration to connected sources and compiled templates: the part every mode shares.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProviderRegistry } from '../providers/registry.js';
import { ProviderError } from '../providers/errors.js';
import type { ProviderContext, StoreInfo } from '../providers/types.js';
import { VaultClient } from '../providers/vault/client.js';
import { vaultProvider } from '../providers/vault/index.js';
import { DEFAULT_PERMS, defaultTemplate } from './config.js';
import type { AgentConfig } from './config.js';
import { fileKeyReader, fileTokenSource, standaloneContext } from './context.js';
import type { StandaloneIdentity } from './context.js';
import { Dependencies } from './deps.js';
import type { Sources } from './deps.js';
import { parseMode } from './files.js';
import { compileTemplates } from './render.js';
import type { AgentTemplate } from './render.js';
import { StoreSource, VaultSource } from './sources.js';

export interface Prepared {
  deps: Dependencies;
  compiled: ReturnType<typeof compileTemplates>;
  /** Template name → where and how its file is written. */
  files: Map<string, { path: string; mode: number; command?: string }>;
  close(): Promise<void>;
}

export interface SetupOptions {
  registry: ProviderRegistry;
  /** Keep the Vault token at close (init and exec: the leases it created must outlive the agent). */
  keepTokens: boolean;
  signal?: AbortSignal;
  /** Overrides the context (tests, `syncret fetch`). */
  identity?: Partial<StandaloneIdentity>;
}

function contextOf(c: AgentConfig, o: SetupOptions): ProviderContext {
  const id = c.identity ?? {};
  return standaloneContext({
    who: 'the agent',
    token: fileTokenSource(id.tokenFile, id.tokenFiles),
    serviceAccountAnnotations: id.serviceAccount?.annotations,
    keys: id.secretsDir ? fileKeyReader(id.secretsDir) : undefined,
    allowInsecureCredentials: c.allowInsecureCredentials,
    signal: o.signal,
    ...o.identity,
  });
}

function storeInfo(c: AgentConfig, provider: StoreInfo['provider']): StoreInfo {
  const ns = c.store?.namespace ?? c.identity?.serviceAccount?.namespace ?? '';
  return {
    kind: c.store?.kind ?? 'SecretStore',
    name: c.store?.name ?? 'agent',
    namespace: (c.store?.kind ?? 'SecretStore') === 'SecretStore' ? ns : undefined,
    requesterNamespace: c.identity?.serviceAccount?.namespace ?? ns,
    provider,
  };
}

async function connectSources(c: AgentConfig, o: SetupOptions): Promise<Sources> {
  const ctx = contextOf(c, o);
  if (c.vault) {
    const vault = { ...c.vault };
    if (c.vaultCAFile) {
      try {
        vault.caBundle = Buffer.from(readFileSync(c.vaultCAFile)).toString('base64');
      } catch (e) {
        throw new ProviderError(
          'InvalidProviderConfig',
          `cannot read the Vault CA ${c.vaultCAFile}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`,
        );
      }
    }
    const client = await vaultProvider({ keepTokens: o.keepTokens }).connect(storeInfo(c, { vault }), ctx);
    return { vault: VaultSource.of(client, `Vault at ${vault.server ?? ''}`) };
  }
  const spec = c.store!.provider;
  const resolved = await o.registry.resolve(spec);
  if ('error' in resolved) throw new ProviderError('InvalidProviderConfig', `store: ${resolved.error}`);
  const provider = resolved.provider;
  const info = storeInfo(c, spec);
  const invalid = provider.validateSpec(info);
  if (invalid) throw new ProviderError('InvalidProviderConfig', invalid);
  const client =
    provider.name === 'vault'
      ? await vaultProvider({ keepTokens: o.keepTokens }).connect(info, ctx)
      : await provider.connect(info, ctx);
  const describe = `${info.kind} "${info.name}" (${provider.name})`;
  const sources: Sources = { store: new StoreSource(client, describe) };
  // A Vault store also serves pkiCert, secrets and API paths.
  if (client instanceof VaultClient) sources.vault = new VaultSource(client, describe);
  return sources;
}

export function templatesOf(c: AgentConfig): AgentTemplate[] {
  return c.templates.map((t) => ({
    name: t.name,
    contents: t.contents || defaultTemplate(t.path ?? ''),
    errorOnMissingKey: t.errorOnMissingKey,
    // In store mode the declared key's properties are the dot, as in an ExternalSecret template.
    dataRef: c.store && t.path ? { fn: 'secret' as const, path: t.path, args: [] } : undefined,
  }));
}

/** Checks the templates, then connects (a bad template fails before any login). */
export async function prepare(c: AgentConfig, o: SetupOptions): Promise<Prepared> {
  const compiled = compileTemplates(templatesOf(c));
  const files = new Map(
    c.templates.map((t) => [
      t.name,
      {
        path: t.destination ?? join(c.secretsDir, t.name),
        mode: parseMode(t.perms) ?? DEFAULT_PERMS,
        command: t.command,
      },
    ]),
  );
  return { ...(await openSources(c, o)), compiled, files };
}

/** Connected sources behind their dependencies, without templates (`syncret fetch`). */
export async function openSources(
  c: AgentConfig,
  o: SetupOptions,
): Promise<{ deps: Dependencies; close(): Promise<void> }> {
  const sources = await connectSources(c, o);
  return {
    deps: new Dependencies(sources),
    async close() {
      const all = new Set([sources.vault, sources.store].filter((s) => s !== undefined));
      await Promise.all([...all].map((s) => s.close()));
    },
  };
}
