// provider.vault: HashiCorp Vault and OpenBao. KV v2 (default) and v1 reads, dataFrom.find on
// KV v2, and the token, AppRole, Kubernetes, JWT, userpass, LDAP and TLS certificate auth
// methods. The same client serves provider.openBao (ESO 2.9's key for OpenBao), whose fields
// are a subset. See docs/providers/vault.md.

import type { OpenBaoProvider } from '../../api/providers/openbao.js';
import type { SecretKeySelector } from '../../api/types.js';
import type { VaultProvider } from '../../api/providers/vault.js';
import { ProviderError } from '../errors.js';
import { credentialScope, readCABundle } from '../shared.js';
import type { Provider, ProviderContext, SecretsClient, StoreInfo } from '../types.js';
import { SUPPORTED_AUTH, authMethodOf, loginPlan } from './auth.js';
import type { GcpLoginDeps } from './gcp.js';
import { VaultClient } from './client.js';
import { VaultHttp } from './http.js';
import type { VaultHttpOptions } from './http.js';

export interface VaultProviderOptions {
  /** Called after every successful login (not for tokenSecretRef): metrics.providerLogin('vault'). */
  onLogin?: () => void;
  /** Per-request timeout in ms. Default 30 s. */
  timeoutMs?: number;
  /** See VaultClientOptions.closeQuietMs (tests shorten it). */
  closeQuietMs?: number;
  /** See VaultClientOptions.keepTokens (the VaultDynamicSecret generator's clients). */
  keepTokens?: boolean;
  /** The spec.provider key served: vault (default) or openBao. */
  key?: 'vault' | 'openBao';
  /** auth.gcp: Google's endpoints (test servers) and the GCE metadata server's host. */
  gcp?: GcpLoginDeps;
}

/**
 * provider.openBao as the provider.vault it means: ESO 2.9's OpenBao provider mounts KV at
 * `kv` unless told otherwise and may run without auth (a proxy or agent adds the token).
 */
export function openBaoAsVault(o: OpenBaoProvider | undefined): VaultProvider | undefined {
  if (!o) return undefined;
  const a = o.auth;
  return {
    server: o.server,
    path: o.path || 'kv',
    version: o.version,
    namespace: o.namespace,
    caBundle: o.caBundle,
    caProvider: o.caProvider,
    auth: a && {
      namespace: a.namespace,
      tokenSecretRef: a.tokenSecretRef,
      appRole: a.appRole,
      userPass: a.userPass,
    },
  };
}

function specFor(store: StoreInfo, key: 'vault' | 'openBao'): VaultProvider | undefined {
  return key === 'openBao' ? openBaoAsVault(store.provider.openBao) : store.provider.vault;
}

const decoder = new TextDecoder();

/** Every credential selector of the spec, for cacheScope. */
function selectors(spec: VaultProvider): (SecretKeySelector | undefined)[] {
  const a = spec.auth ?? {};
  return [
    a.tokenSecretRef,
    a.appRole?.roleRef,
    a.appRole?.secretRef,
    a.kubernetes?.serviceAccountRef,
    a.kubernetes?.secretRef,
    a.jwt?.secretRef,
    a.jwt?.kubernetesServiceAccountToken?.serviceAccountRef,
    a.userPass?.secretRef,
    a.ldap?.secretRef,
    a.cert?.clientCert,
    a.cert?.secretRef,
    a.iam?.secretRef?.accessKeyIDSecretRef,
    a.iam?.secretRef?.secretAccessKeySecretRef,
    a.iam?.secretRef?.sessionTokenSecretRef,
    a.iam?.jwt?.serviceAccountRef,
    a.gcp?.secretRef?.secretAccessKeySecretRef,
    a.gcp?.workloadIdentity?.serviceAccountRef,
    a.gcp?.serviceAccountRef,
    spec.caProvider,
    spec.tls?.certSecretRef,
    spec.tls?.keySecretRef,
  ];
}

export function validateVaultSpec(
  spec: VaultProvider | undefined,
  p = 'spec.provider.vault',
): string | undefined {
  if (!spec) return `${p} is missing`;
  if (!spec.server) return `${p}.server must be set`;
  if (!/^https?:\/\/[^/]/.test(spec.server))
    return `${p}.server "${spec.server}" must start with https:// or http://`;
  if (spec.version !== undefined && spec.version !== 'v1' && spec.version !== 'v2')
    return `${p}.version must be v1 or v2`;
  // provider.openBao may go without auth: its requests then carry no token.
  if (p === 'spec.provider.openBao' && spec.auth === undefined) return undefined;
  const method = authMethodOf(spec.auth);
  if (method === undefined) return `${p}.auth must set one auth method (${SUPPORTED_AUTH.join(', ')})`;
  if (method.includes(',')) return `${p}.auth must set exactly one auth method; found ${method}`;
  if (method !== 'token' && !SUPPORTED_AUTH.includes(method))
    return `${p}.auth.${method} is not supported by this Syncret version (supported: ${SUPPORTED_AUTH.join(', ')})`;
  const a = spec.auth ?? {};
  if (a.tokenSecretRef && !a.tokenSecretRef.name) return `${p}.auth.tokenSecretRef.name must be set`;
  if (a.appRole) {
    if (!a.appRole.roleId && !a.appRole.roleRef?.name) return `${p}.auth.appRole needs roleId or roleRef`;
    if (!a.appRole.secretRef?.name)
      return `${p}.auth.appRole.secretRef must name the Secret holding the secret ID`;
  }
  if (a.kubernetes && !a.kubernetes.role) return `${p}.auth.kubernetes.role must be set`;
  if (a.jwt && !a.jwt.secretRef?.name && !a.jwt.kubernetesServiceAccountToken?.serviceAccountRef?.name)
    return `${p}.auth.jwt needs secretRef or kubernetesServiceAccountToken.serviceAccountRef`;
  for (const m of ['userPass', 'ldap'] as const) {
    const u = a[m];
    if (!u) continue;
    if (!u.username) return `${p}.auth.${m}.username must be set`;
    if (!u.secretRef?.name) return `${p}.auth.${m}.secretRef must name the Secret holding the password`;
  }
  if (a.cert && (!a.cert.clientCert?.name || !a.cert.secretRef?.name))
    return `${p}.auth.cert needs clientCert (the PEM certificate) and secretRef (its PEM key)`;
  if (a.iam) {
    if (!a.iam.vaultRole) return `${p}.auth.iam.vaultRole must be set`;
    const k = a.iam.secretRef;
    if (k && (!k.accessKeyIDSecretRef?.name || !k.secretAccessKeySecretRef?.name))
      return `${p}.auth.iam.secretRef needs accessKeyIDSecretRef and secretAccessKeySecretRef`;
    if (a.iam.jwt && !a.iam.jwt.serviceAccountRef?.name)
      return `${p}.auth.iam.jwt.serviceAccountRef.name must be set`;
  }
  if (a.gcp) {
    if (!a.gcp.role) return `${p}.auth.gcp.role must be set`;
    if (a.gcp.secretRef && !a.gcp.secretRef.secretAccessKeySecretRef?.name)
      return `${p}.auth.gcp.secretRef.secretAccessKeySecretRef must name the Secret holding the service account key`;
    if (a.gcp.workloadIdentity && !a.gcp.workloadIdentity.serviceAccountRef?.name)
      return `${p}.auth.gcp.workloadIdentity.serviceAccountRef.name must be set`;
  }
  if (spec.tls && !!spec.tls.certSecretRef !== !!spec.tls.keySecretRef)
    return `${p}.tls needs both certSecretRef and keySecretRef`;
  return undefined;
}

export function vaultProvider(opts: VaultProviderOptions = {}): Provider {
  const key = opts.key ?? 'vault';
  const field = `spec.provider.${key}`;
  return {
    name: key,
    // ESO 2.9 pushes to Vault; its OpenBao provider is read-only, and so is Syncret's.
    capabilities: key === 'vault' ? 'ReadWrite' : 'ReadOnly',
    validateSpec(store: StoreInfo): string | undefined {
      return validateVaultSpec(specFor(store, key), field);
    },
    // A client scoped to a requesting namespace also logs in (and holds its token) per namespace.
    cacheScope(store: StoreInfo): string {
      return credentialScope(store, selectors(specFor(store, key) ?? {}));
    },
    async connect(store: StoreInfo, ctx: ProviderContext): Promise<SecretsClient> {
      const spec = specFor(store, key) ?? {};
      const problem = validateVaultSpec(spec, field);
      if (problem) throw new ProviderError('InvalidProviderConfig', problem);
      // Every Vault request carries a token or a login's credentials (openBao without auth
      // carries none, but its answers are secrets all the same).
      ctx.requireTls(spec.server ?? '', `${field}.server`);
      const httpOpts: VaultHttpOptions = {
        server: spec.server ?? '',
        ca: await readCABundle(spec.caBundle, spec.caProvider, ctx),
        headers: spec.headers,
        readYourWrites: spec.readYourWrites,
        forwardInconsistent: spec.forwardInconsistent,
        timeoutMs: opts.timeoutMs,
        signal: ctx.signal,
      };
      if (spec.tls?.certSecretRef && spec.tls.keySecretRef) {
        httpOpts.cert = decoder.decode(await ctx.readSecretKey(spec.tls.certSecretRef, 'tls.certSecretRef'));
        httpOpts.key = decoder.decode(await ctx.readSecretKey(spec.tls.keySecretRef, 'tls.keySecretRef'));
      }
      const http = new VaultHttp(httpOpts);
      const client = new VaultClient({
        http,
        plan: loginPlan(spec, ctx, store, opts.gcp),
        spec,
        onLogin: opts.onLogin,
        closeQuietMs: opts.closeQuietMs,
        keepTokens: opts.keepTokens,
        readOnly: key !== 'vault',
      });
      try {
        await client.start();
      } catch (e) {
        await client.close();
        throw e;
      }
      return client;
    },
  };
}
