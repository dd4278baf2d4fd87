// Reads Secrets of one namespace of a (possibly remote) Kubernetes cluster. The store's
// identity comes from a ServiceAccount token (TokenRequest), a bearer token, a client
// certificate or a kubeconfig (authRef) — never from the operator's own identity, so a
// store grants exactly what its credentials grant.

import { readFileSync } from 'node:fs';
import type { FindRef, KubernetesProvider, Secret } from '../../api/types.js';
import { KubeconfigError, parseKubeconfig } from '../../kube/kubeconfig.js';
import { SECRETS } from '../../kube/resources.js';
import { isKubeApiError } from '../../kube/types.js';
import type { KubeApi, ResourceType } from '../../kube/types.js';
import { ProviderError } from '../errors.js';
import { credentialScope, findNameMatcher } from '../shared.js';
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
import { KubernetesWriter } from './push.js';

export interface RemoteClusterConfig {
  server: string;
  caData?: string;
  certData?: string;
  keyData?: string;
  token?: string;
}

export type RemoteKubeFactory = (cfg: RemoteClusterConfig) => KubeApi;

const DEFAULT_SERVER = 'https://kubernetes.default.svc';
const IN_CLUSTER_CA = '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt';
/** TokenRequest tokens live this long; the client is rebuilt a minute before. */
const SA_TOKEN_SECONDS = 600;

const SELF_SUBJECT_ACCESS_REVIEWS: ResourceType = {
  group: 'authorization.k8s.io',
  version: 'v1',
  resource: 'selfsubjectaccessreviews',
  namespaced: false,
  kind: 'SelfSubjectAccessReview',
};

const SELF_SUBJECT_RULES_REVIEWS: ResourceType = {
  ...SELF_SUBJECT_ACCESS_REVIEWS,
  resource: 'selfsubjectrulesreviews',
  kind: 'SelfSubjectRulesReview',
};

interface AccessReview {
  metadata: Record<string, never>;
  status?: { allowed?: boolean; reason?: string };
}

interface RulesReview {
  metadata: Record<string, never>;
  status?: { resourceRules?: { verbs?: string[]; apiGroups?: string[]; resources?: string[] }[] };
}

/** A rule granting get on Secrets, of any names (ESO's Validate accepts the same). */
function getsSecrets(r: { verbs?: string[]; apiGroups?: string[]; resources?: string[] }): boolean {
  const has = (list: string[] | undefined, ...v: string[]) => (list ?? []).some((x) => v.includes(x));
  const groups = r.apiGroups ?? [];
  return (
    has(r.resources, 'secrets', '*') &&
    has(r.verbs, 'get', '*') &&
    (groups.length === 0 || has(groups, '', '*'))
  );
}

const decoder = new TextDecoder();

function secretToMap(secret: Secret): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) out[k] = new Uint8Array(Buffer.from(v, 'base64'));
  return out;
}

/** `rbac` is the permission the request needed, for the AccessDenied message. */
function mapError(e: unknown, what: string, namespace: string, rbac: string): never {
  if (e instanceof ProviderError) throw e;
  if (isKubeApiError(e)) {
    if (e.code === 404) throw new ProviderError('NotFound', `${what} not found in namespace "${namespace}"`);
    if (e.code === 403)
      throw new ProviderError(
        'AccessDenied',
        `the store's credentials may not ${/^(get|list)\b/.test(rbac) ? 'read' : rbac.split(' ')[0]} ${what} in namespace "${namespace}" (RBAC: ${rbac})`,
      );
    if (e.code === 401)
      throw new ProviderError('AuthFailed', `the remote apiserver rejected the store's credentials (401)`);
    if (e.code === 429 || e.code >= 500 || e.code === 0)
      throw new ProviderError(
        e.code === 429 ? 'Throttled' : 'Unavailable',
        `remote apiserver: ${e.reason || 'unavailable'} (${e.code})`,
        e.retryAfterSeconds ? e.retryAfterSeconds * 1000 : undefined,
      );
    throw new ProviderError('InvalidRequest', `remote apiserver answered ${e.code} ${e.reason} for ${what}`);
  }
  throw new ProviderError('Unavailable', `remote apiserver: ${(e as Error)?.message ?? 'request failed'}`);
}

class KubernetesClient implements SecretsClient {
  readonly writer: SecretsWriter;

  constructor(
    private readonly api: KubeApi,
    private readonly namespace: string,
    readonly expiresAt: number | undefined,
    clusterStore: boolean,
  ) {
    this.writer = new KubernetesWriter(api, namespace, clusterStore, mapError);
  }

  async getSecret(ref: RemoteKeyRef): Promise<RemoteValue> {
    let secret: Secret;
    try {
      secret = await this.api.get<Secret>({ type: SECRETS, namespace: this.namespace, name: ref.key });
    } catch (e) {
      mapError(e, `Secret "${ref.key}"`, this.namespace, 'get secrets');
    }
    if (ref.metadataPolicy === 'Fetch') {
      return {
        kind: 'map',
        data: { labels: secret.metadata.labels ?? {}, annotations: secret.metadata.annotations ?? {} },
      };
    }
    return { kind: 'map', data: secretToMap(secret) };
  }

  async findSecrets(find: FindRef): Promise<Map<string, RemoteValue>> {
    const nameMatches = findNameMatcher(find);
    const labelSelector = Object.entries(find.tags ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const out = new Map<string, RemoteValue>();
    let cont: string | undefined;
    do {
      let page;
      try {
        page = await this.api.list<Secret>(SECRETS, {
          namespace: this.namespace,
          labelSelector: labelSelector || undefined,
          limit: 500,
          continue: cont,
        });
      } catch (e) {
        mapError(e, 'Secrets', this.namespace, 'list secrets');
      }
      for (const s of page.items) {
        const name = s.metadata.name ?? '';
        if (find.path && !name.startsWith(find.path)) continue;
        if (!nameMatches(name)) continue;
        out.set(name, { kind: 'map', data: secretToMap(s) });
      }
      cont = page.continue || undefined;
    } while (cont);
    return out;
  }

  async validate(): Promise<ValidationResult> {
    try {
      const review = await this.api.create<AccessReview>(
        { type: SELF_SUBJECT_ACCESS_REVIEWS },
        {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          spec: { resourceAttributes: { namespace: this.namespace, verb: 'get', resource: 'secrets' } },
        },
      );
      if (review.status?.allowed) return { result: 'Valid' };
      // Least-privilege RBAC grants get on named Secrets only, which an access review without
      // a name denies: the rules review shows such grants (asked only then, one call more).
      const rules = await this.api.create<RulesReview>(
        { type: SELF_SUBJECT_RULES_REVIEWS },
        {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectRulesReview',
          spec: { namespace: this.namespace },
        },
      );
      if ((rules.status?.resourceRules ?? []).some(getsSecrets)) return { result: 'Valid' };
      return {
        result: 'Error',
        message: `the store's credentials may not get Secrets in namespace "${this.namespace}"`,
      };
    } catch (e) {
      try {
        mapError(e, 'access review', this.namespace, 'create selfsubjectaccessreviews');
      } catch (pe) {
        return { result: 'Error', message: (pe as Error).message };
      }
    }
  }

  async close(): Promise<void> {
    await this.api.close?.();
  }
}

async function readCA(spec: KubernetesProvider, ctx: ProviderContext): Promise<string | undefined> {
  const server = spec.server ?? {};
  if (server.caBundle) return Buffer.from(server.caBundle, 'base64').toString('utf8');
  const p = server.caProvider;
  if (p) {
    const sel = { name: p.name, key: p.key, namespace: p.namespace };
    if (p.type === 'ConfigMap') return ctx.readConfigMapKey(sel, 'server.caProvider');
    return decoder.decode(await ctx.readSecretKey(sel, 'server.caProvider'));
  }
  try {
    return readFileSync(IN_CLUSTER_CA, 'utf8');
  } catch {
    return undefined;
  }
}

/** A kubeconfig stored in a Secret (authRef): its current context's cluster and user. */
function fromKubeconfig(text: string): RemoteClusterConfig {
  let cfg;
  try {
    cfg = parseKubeconfig(text);
  } catch (e) {
    // KubeconfigError messages name fields, never their values.
    const why = e instanceof KubeconfigError ? e.message : 'not a valid kubeconfig';
    throw new ProviderError('InvalidProviderConfig', `authRef: ${why}`);
  }
  return {
    server: cfg.server,
    caData: cfg.caData,
    certData: cfg.certData,
    keyData: cfg.keyData,
    token: typeof cfg.token === 'string' ? cfg.token : undefined,
  };
}

export function kubernetesProvider(factory: RemoteKubeFactory): Provider {
  return {
    name: 'kubernetes',
    capabilities: 'ReadWrite',
    validateSpec(store: StoreInfo): string | undefined {
      const spec = store.provider.kubernetes;
      if (!spec) return 'spec.provider.kubernetes is missing';
      const auth = spec.auth ?? {};
      const methods = [auth.cert, auth.token, auth.serviceAccount, spec.authRef].filter(Boolean).length;
      if (methods === 0)
        return 'spec.provider.kubernetes needs auth (serviceAccount, token or cert) or authRef';
      if (methods > 1)
        return 'spec.provider.kubernetes: set exactly one of auth.serviceAccount, auth.token, auth.cert, authRef';
      if (auth.serviceAccount && !auth.serviceAccount.name)
        return 'spec.provider.kubernetes.auth.serviceAccount.name must be set';
      // connect picks a method by its credentials: one without them would connect anonymously.
      if (auth.token && !auth.token.bearerToken)
        return 'spec.provider.kubernetes.auth.token.bearerToken must be set';
      if (auth.cert && (!auth.cert.clientCert || !auth.cert.clientKey))
        return 'spec.provider.kubernetes.auth.cert needs clientCert and clientKey';
      const url = spec.server?.url;
      if (url && !/^https?:\/\//.test(url))
        return `spec.provider.kubernetes.server.url "${url}" must start with https:// (or http:// with --allow-insecure-credentials)`;
      return undefined;
    },
    cacheScope(store: StoreInfo): string {
      const spec = store.provider.kubernetes ?? {};
      const a = spec.auth ?? {};
      return credentialScope(store, [
        a.token?.bearerToken,
        a.cert?.clientCert,
        a.cert?.clientKey,
        a.serviceAccount,
        spec.authRef,
        // The CA is read like a credential: without a namespace, from the requester's.
        spec.server?.caProvider,
      ]);
    },
    async connect(store: StoreInfo, ctx: ProviderContext): Promise<SecretsClient> {
      const spec = store.provider.kubernetes ?? {};
      const namespace = spec.remoteNamespace || 'default';
      const auth = spec.auth ?? {};
      let cfg: RemoteClusterConfig;
      let expiresAt: number | undefined;
      if (spec.authRef) {
        cfg = fromKubeconfig(decoder.decode(await ctx.readSecretKey(spec.authRef, 'authRef')));
        ctx.requireTls(cfg.server, "the authRef kubeconfig's server");
      } else {
        // Checked before a token is minted or a credential read: each method sends one.
        ctx.requireTls(spec.server?.url || DEFAULT_SERVER, 'spec.provider.kubernetes.server.url');
        cfg = { server: spec.server?.url || DEFAULT_SERVER, caData: await readCA(spec, ctx) };
        if (auth.token?.bearerToken) {
          cfg.token = decoder
            .decode(await ctx.readSecretKey(auth.token.bearerToken, 'auth.token.bearerToken'))
            .trim();
        } else if (auth.cert?.clientCert && auth.cert.clientKey) {
          cfg.certData = decoder.decode(
            await ctx.readSecretKey(auth.cert.clientCert, 'auth.cert.clientCert'),
          );
          cfg.keyData = decoder.decode(await ctx.readSecretKey(auth.cert.clientKey, 'auth.cert.clientKey'));
        } else if (auth.serviceAccount) {
          cfg.token = await ctx.requestServiceAccountToken(auth.serviceAccount, {
            audiences: auth.serviceAccount.audiences,
            expirationSeconds: SA_TOKEN_SECONDS,
          });
          expiresAt = Date.now() + (SA_TOKEN_SECONDS - 60) * 1000;
        }
      }
      return new KubernetesClient(factory(cfg), namespace, expiresAt, store.kind === 'ClusterSecretStore');
    },
  };
}
