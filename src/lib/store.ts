// openStore: a SecretStore's provider block opened by an application, with the operator's own
// provider code (logins, token renewal, retries, error mapping) and the ExternalSecret's rules
// for properties (secrets/property.ts), on a ProviderContext that finds credentials where a
// workload has them (agent/context.ts). Nothing of the operator is loaded: no apiserver client,
// no controller, no metrics.

import { fileKeyReader, fileTokenSource, standaloneContext } from '../agent/context.js';
import type { KeyReader, TokenSource } from '../agent/context.js';
import { VaultSource } from '../agent/sources.js';
import { builtinStoreProviders } from '../providers/builtin.js';
import { ProviderError } from '../providers/errors.js';
import { ProviderRegistry } from '../providers/registry.js';
import type { SecretsClient, StoreInfo } from '../providers/types.js';
import { VaultClient } from '../providers/vault/client.js';
import { extractMap, selectProperty } from '../secrets/property.js';
import { LeasedCredentials } from './credentials.js';
import type {
  CredentialsOptions,
  DynamicCredentials,
  GetOptions,
  OpenStoreOptions,
  ReadOptions,
  Store,
  StoreSpecLike,
} from './types.js';

let registry: ProviderRegistry | undefined;
const providers = (): ProviderRegistry => (registry ??= new ProviderRegistry(builtinStoreProviders()));

const decoder = new TextDecoder();

function storeInfoOf(spec: StoreSpecLike, o: OpenStoreOptions): StoreInfo {
  const s =
    'spec' in spec
      ? { provider: spec.spec.provider, kind: spec.kind, ...spec.metadata }
      : { ...spec, kind: spec.kind ?? 'SecretStore' };
  const kind = s.kind ?? 'SecretStore';
  const ns = s.namespace ?? o.serviceAccount?.namespace ?? '';
  return {
    kind,
    name: s.name ?? 'app',
    namespace: kind === 'SecretStore' ? ns : undefined,
    requesterNamespace: o.serviceAccount?.namespace ?? ns,
    provider: s.provider,
  };
}

/** Inline keys first, then files. */
function keyReader(o: OpenStoreOptions): KeyReader {
  const files = o.secretsDir ? fileKeyReader(o.secretsDir) : undefined;
  const inline = o.secrets ?? {};
  return async (kind, sel, what) => {
    const v = sel.name && sel.key ? inline[sel.name]?.[sel.key] : undefined;
    if (v !== undefined) return typeof v === 'string' ? new TextEncoder().encode(v) : v;
    if (files) return files(kind, sel, what);
    throw new ProviderError(
      'InvalidProviderConfig',
      `${what}: ${kind} "${sel.name ?? ''}" key "${sel.key ?? ''}" is not in the options' secrets (give it there or in secretsDir/<name>/<key>)`,
    );
  };
}

function tokenSource(o: OpenStoreOptions): TokenSource | undefined {
  const fn = o.token;
  if (fn) return async (audiences) => fn(audiences);
  if (o.tokenFile || o.tokenFiles) return fileTokenSource(o.tokenFile, { ...o.tokenFiles });
  return undefined;
}

class OpenedStore implements Store {
  private readonly leases = new Set<LeasedCredentials>();
  private closed = false;

  constructor(
    readonly provider: string,
    private readonly client: SecretsClient,
    private readonly readsProperty: boolean,
  ) {}

  private async read(key: string, o: GetOptions): Promise<Uint8Array> {
    if (this.closed) throw new ProviderError('InvalidRequest', 'the store is closed');
    const property = o.property || undefined;
    const value = await this.client.getSecret({
      key,
      ...(o.version ? { version: o.version } : {}),
      ...(this.readsProperty && property ? { property } : {}),
    });
    return selectProperty(value, this.readsProperty ? undefined : property, { key });
  }

  async get(key: string, options: GetOptions = {}): Promise<string> {
    return decoder.decode(await this.read(key, options));
  }

  getBytes(key: string, options: GetOptions = {}): Promise<Uint8Array> {
    return this.read(key, options);
  }

  async getSecret(key: string, options: ReadOptions = {}): Promise<Record<string, string>> {
    if (this.closed) throw new ProviderError('InvalidRequest', 'the store is closed');
    const value = await this.client.getSecret({
      key,
      ...(options.version ? { version: options.version } : {}),
    });
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(extractMap(value, { key }))) out[k] = decoder.decode(v);
    return out;
  }

  async credentials(path: string, options: CredentialsOptions = {}): Promise<DynamicCredentials> {
    if (this.closed) throw new ProviderError('InvalidRequest', 'the store is closed');
    if (!(this.client instanceof VaultClient))
      throw new ProviderError(
        'Unsupported',
        `credentials "${path}": dynamic credentials need a Vault or OpenBao store, not ${this.provider}`,
      );
    const source = new VaultSource(this.client, `the ${this.provider} store`);
    const c = await LeasedCredentials.open(source, path, options, (x) => this.leases.delete(x));
    this.leases.add(c);
    return c;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.leases].map((c) => c.release()));
    await this.client.close();
  }
}

/**
 * Opens a store: checks its provider block as the operator does, logs in, and returns the
 * reads. Throws ProviderError (reason InvalidProviderConfig, AuthFailed, ...) with a message
 * that names fields and paths, never a value.
 */
export async function openStore(spec: StoreSpecLike, options: OpenStoreOptions = {}): Promise<Store> {
  const info = storeInfoOf(spec, options);
  const resolved = await providers().resolve(info.provider);
  if ('error' in resolved) throw new ProviderError('InvalidProviderConfig', resolved.error);
  const provider = resolved.provider;
  const invalid = provider.validateSpec(info);
  if (invalid) throw new ProviderError('InvalidProviderConfig', invalid);
  const ctx = standaloneContext({
    who: 'the library',
    token: tokenSource(options),
    serviceAccountAnnotations: { ...options.serviceAccount?.annotations },
    keys: keyReader(options),
    allowInsecureCredentials: options.allowInsecureCredentials,
    signal: options.signal,
  });
  const client = await provider.connect(info, ctx);
  return new OpenedStore(provider.name, client, !!provider.readsProperty);
}
