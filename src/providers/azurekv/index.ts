// Azure Key Vault: secrets, keys (public JWK) and certificates (DER), with ESO's key
// syntax `secret/NAME` (default), `key/NAME`, `cert/NAME`. Clients come from the official
// SDKs; their own retries are off because a reconcile must not sleep for a long Retry-After
// inside a worker: throttling surfaces as a Throttled error carrying Retry-After, and the
// reconciler requeues no sooner than that.

import { createDefaultHttpClient } from '@azure/core-rest-pipeline';
import { CertificateClient } from '@azure/keyvault-certificates';
import { KeyClient } from '@azure/keyvault-keys';
import type { JsonWebKey } from '@azure/keyvault-keys';
import type { TokenCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import type { AzureKVProvider } from '../../api/providers/azurekv.js';
import type { FindRef } from '../../api/types.js';
import { ProviderError } from '../errors.js';
import { credentialScope, findNameMatcher, matchesTags } from '../shared.js';
import type {
  Provider,
  ProviderContext,
  RemoteKeyRef,
  RemoteValue,
  SecretsClient,
  SecretsWriter,
  StoreInfo,
  ValidationResult,
} from '../types.js';
import { parseKey } from './keys.js';
import { KeyVaultWriter } from './push.js';
import { buildCredential, CredentialCache, resolveCloud } from './auth.js';
import type { Cloud } from './auth.js';
import { mapAzureError, withThrottleRetry } from './errors.js';
import { rfc3339 } from '../../runtime/time/rfc3339.js';

export { parseKey } from './keys.js';
export type { ObjectType } from './keys.js';

interface Props {
  enabled?: boolean;
  expiresOn?: Date;
  notBefore?: Date;
  createdOn?: Date;
  updatedOn?: Date;
  tags?: Record<string, string>;
}

/** ESO's metadataPolicy Fetch: the tags plus the time attributes, RFC 3339. */
export function metadataMap(p: Props): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(p.tags ?? {}) };
  if (p.expiresOn) out.expires = rfc3339(p.expiresOn.getTime());
  if (p.createdOn) out.created = rfc3339(p.createdOn.getTime());
  if (p.updatedOn) out.updated = rfc3339(p.updatedOn.getTime());
  if (p.notBefore) out.notBefore = rfc3339(p.notBefore.getTime());
  return out;
}

/**
 * A disabled, expired or not-yet-valid object is not synced: the last good Secret stays
 * and the ExternalSecret says why.
 */
export function checkUsable(what: string, p: Props, now = Date.now()): void {
  if (p.enabled === false) throw new ProviderError('NotFound', `${what} is disabled in Key Vault`);
  if (p.expiresOn && p.expiresOn.getTime() <= now)
    throw new ProviderError('NotFound', `${what} expired at ${rfc3339(p.expiresOn.getTime())}`);
  if (p.notBefore && p.notBefore.getTime() > now)
    throw new ProviderError('NotFound', `${what} is not valid before ${rfc3339(p.notBefore.getTime())}`);
}

const b64url = (u: Uint8Array | undefined): string | undefined =>
  u ? Buffer.from(u).toString('base64url') : undefined;

/** The public part of a key as a standard JWK (RFC 7517 names, base64url), keys sorted as ESO's. */
export function publicJwk(k: JsonWebKey): Record<string, unknown> {
  const out: Record<string, unknown> = {
    crv: k.crv,
    e: b64url(k.e),
    key_ops: k.keyOps,
    kid: k.kid,
    kty: k.kty,
    n: b64url(k.n),
    x: b64url(k.x),
    y: b64url(k.y),
  };
  for (const key of Object.keys(out)) if (out[key] === undefined) delete out[key];
  return out;
}

const encoder = new TextEncoder();

export interface AzureClientOptions {
  /** Extra options for every SDK client and credential (tests: tlsOptions with a CA). */
  clientOptions?: Record<string, unknown>;
}

class AzureKeyVaultClient implements SecretsClient {
  readonly secrets: SecretClient;
  readonly keys: KeyClient;
  readonly certs: CertificateClient;
  /** PushSecret (./push.ts). */
  readonly writer: SecretsWriter;

  constructor(
    vaultUrl: string,
    private readonly credential: TokenCredential,
    private readonly cloud: Cloud,
    private readonly identity: string,
    readonly signal: AbortSignal,
    extra: Record<string, unknown>,
  ) {
    const host = new URL(vaultUrl).hostname;
    const opts = {
      ...extra,
      retryOptions: { maxRetries: 0 },
      // Key Vault's challenge names the token's resource; the SDK checks that the vault host
      // lies under it, so that a token is never sent to a host outside the resource's domain.
      // A loopback vault (local development, the e2e server) cannot lie under vault.azure.net,
      // and a token sent to it never leaves the machine.
      disableChallengeResourceVerification: isLoopback(host),
    };
    this.secrets = new SecretClient(vaultUrl, credential, opts);
    this.keys = new KeyClient(vaultUrl, credential, opts);
    this.certs = new CertificateClient(vaultUrl, credential, opts);
    this.writer = new KeyVaultWriter(this);
  }

  call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return withThrottleRetry(fn, this.signal).catch((e: unknown) => {
      throw mapAzureError(e, what, this.identity);
    });
  }

  async getSecret(ref: RemoteKeyRef): Promise<RemoteValue> {
    const { type, name } = parseKey(ref.key);
    const at = ref.version ? ` (version ${ref.version})` : '';
    const abortSignal = this.signal;
    if (type === 'secret') {
      const what = `secret "${name}"${at}`;
      const s = await this.call(what, () =>
        this.secrets.getSecret(name, { version: ref.version || undefined, abortSignal }),
      );
      if (ref.metadataPolicy === 'Fetch') return { kind: 'map', data: metadataMap(s.properties) };
      checkUsable(what, s.properties);
      return { kind: 'bytes', data: encoder.encode(s.value ?? '') };
    }
    if (type === 'key') {
      const what = `key "${name}"${at}`;
      const k = await this.call(what, () =>
        this.keys.getKey(name, { version: ref.version || undefined, abortSignal }),
      );
      if (ref.metadataPolicy === 'Fetch') return { kind: 'map', data: metadataMap(k.properties) };
      // A key's expiry limits cryptographic use, not who may see its public half (ESO too).
      checkUsable(what, { enabled: k.properties.enabled });
      if (!k.key) throw new ProviderError('NotFound', `${what} has no key material`);
      return { kind: 'bytes', data: encoder.encode(JSON.stringify(publicJwk(k.key))) };
    }
    const what = `certificate "${name}"${at}`;
    const c = await this.call(what, () =>
      ref.version
        ? this.certs.getCertificateVersion(name, ref.version, { abortSignal })
        : this.certs.getCertificate(name, { abortSignal }),
    );
    if (ref.metadataPolicy === 'Fetch') return { kind: 'map', data: metadataMap(c.properties) };
    // An expired certificate is still the certificate: delivered, as ESO does, so that
    // monitoring sees it; only a disabled one is withheld.
    checkUsable(what, { enabled: c.properties.enabled });
    if (!c.cer) throw new ProviderError('NotFound', `${what} has no certificate (CER) yet`);
    return { kind: 'bytes', data: new Uint8Array(c.cer) };
  }

  /** ESO's find: enabled secrets whose name matches the regexp and whose tags match, by value. */
  async findSecrets(find: FindRef): Promise<Map<string, RemoteValue>> {
    const nameMatches = findNameMatcher(find);
    if (find.path)
      throw new ProviderError('Unsupported', 'find.path is not supported by Azure Key Vault (no paths)');
    const names = await this.call('the list of secrets', async () => {
      const out: string[] = [];
      for await (const p of this.secrets.listPropertiesOfSecrets({ abortSignal: this.signal })) {
        // Only objects a get would deliver: disabled, expired and not-yet-valid ones are skipped.
        try {
          checkUsable(p.name, p);
        } catch {
          continue;
        }
        if (!nameMatches(p.name)) continue;
        if (!matchesTags(p.tags, find.tags)) continue;
        out.push(p.name);
      }
      return out;
    });
    const result = new Map<string, RemoteValue>();
    for (const name of names.sort()) {
      result.set(name, await this.getSecret({ key: `secret/${name}` }));
    }
    return result;
  }

  async validate(): Promise<ValidationResult> {
    try {
      const token = await this.call('a token', () =>
        // As the Key Vault clients ask (CAE on): @azure/identity keeps CAE and non-CAE tokens
        // in separate MSAL caches, so this token then serves the first reads too.
        this.credential.getToken(`${this.cloud.keyVaultResource}/.default`, {
          abortSignal: this.signal,
          enableCae: true,
        }),
      );
      if (!token) return { result: 'Error', message: `${this.identity}: no token was issued` };
      return { result: 'Valid' };
    } catch (e) {
      return { result: 'Error', message: (e as Error).message };
    }
  }

  async close(): Promise<void> {
    // Connections belong to the provider's shared HTTP client (reused by the next client).
  }
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

function validateVaultUrl(url: string | undefined): string | undefined {
  if (!url) return 'spec.provider.azurekv.vaultUrl must be set';
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `spec.provider.azurekv.vaultUrl "${url}" is not a URL`;
  }
  if (u.protocol !== 'https:') return `spec.provider.azurekv.vaultUrl "${url}" must use https://`;
  return undefined;
}

export function azurekvProvider(options: AzureClientOptions = {}): Provider {
  const credentials = new CredentialCache();
  // One connection pool for every store's SDK clients and credentials: without it each SDK
  // client builds its own keep-alive agents, and the client cache rebuilds clients every 10
  // minutes.
  const shared = { httpClient: createDefaultHttpClient(), ...options.clientOptions };
  return {
    name: 'azurekv',
    capabilities: 'ReadWrite',
    validateSpec(store: StoreInfo): string | undefined {
      const spec = store.provider.azurekv;
      if (!spec) return 'spec.provider.azurekv is missing';
      const bad = validateVaultUrl(spec.vaultUrl);
      if (bad) return bad;
      const auth = spec.authType ?? 'ServicePrincipal';
      if (auth === 'ServicePrincipal') {
        const r = spec.authSecretRef;
        if (!r?.clientId) return 'authType ServicePrincipal needs authSecretRef.clientId';
        if (!r.clientSecret && !r.clientCertificate)
          return 'authType ServicePrincipal needs authSecretRef.clientSecret or authSecretRef.clientCertificate';
        if (r.clientSecret && r.clientCertificate)
          return 'authType ServicePrincipal: set only one of authSecretRef.clientSecret and authSecretRef.clientCertificate';
        if (!spec.tenantId && !r.tenantId)
          return 'authType ServicePrincipal needs tenantId or authSecretRef.tenantId';
      }
      if (auth === 'ManagedIdentity' && spec.authSecretRef)
        return 'authType ManagedIdentity takes no authSecretRef (use identityId for a user-assigned identity)';
      if (auth === 'WorkloadIdentity' && spec.serviceAccountRef && !spec.serviceAccountRef.name)
        return 'authType WorkloadIdentity: serviceAccountRef.name must be set';
      try {
        resolveCloud(spec);
      } catch (e) {
        return (e as Error).message;
      }
      return undefined;
    },
    cacheScope(store: StoreInfo): string {
      const spec: AzureKVProvider = store.provider.azurekv ?? {};
      const r = spec.authSecretRef ?? {};
      return credentialScope(store, [
        r.clientId,
        r.clientSecret,
        r.clientCertificate,
        r.tenantId,
        spec.serviceAccountRef,
      ]);
    },
    async connect(store: StoreInfo, ctx: ProviderContext): Promise<SecretsClient> {
      const spec: AzureKVProvider = store.provider.azurekv ?? {};
      const bad = validateVaultUrl(spec.vaultUrl);
      if (bad) throw new ProviderError('InvalidProviderConfig', bad);
      const cloud = resolveCloud(spec);
      // Service principal secrets and federated tokens go to the authority.
      ctx.requireTls(cloud.authorityHost, 'spec.provider.azurekv.customCloudConfig.activeDirectoryEndpoint');
      const built = await buildCredential(store, spec, cloud, ctx, credentials, shared);
      return new AzureKeyVaultClient(
        spec.vaultUrl!,
        built.credential,
        cloud,
        built.identity,
        ctx.signal,
        shared,
      );
    },
  };
}
