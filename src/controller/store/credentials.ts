// The ProviderContext: the only way providers touch the cluster. It enforces ESO's rule
// that a SecretStore reads credentials only in its own namespace, while a
// ClusterSecretStore may name a namespace (default: the ExternalSecret's).

import type {
  ConfigMap,
  KubeObject,
  Secret,
  SecretKeySelector,
  ServiceAccountSelector,
} from '../../api/types.js';
import { CONFIGMAPS, SECRETS, SERVICEACCOUNTS } from '../../kube/resources.js';
import { isKubeApiError } from '../../kube/types.js';
import type { KubeApi } from '../../kube/types.js';
import { ProviderError } from '../../providers/errors.js';
import { requireTls } from '../../providers/tls.js';
import type { ProviderContext, SecretObject, StoreInfo } from '../../providers/types.js';
import { redactValues } from '../../secrets/errors.js';
import { configMapText } from '../../secrets/object-data.js';
import { TemplateError, renderTemplate } from '../../secrets/template/index.js';

interface TokenRequest extends KubeObject {
  status?: { token?: string; expirationTimestamp?: string };
}

export function credentialNamespace(store: StoreInfo, requested: string | undefined, what: string): string {
  if (store.kind === 'SecretStore') {
    const own = store.namespace ?? '';
    if (requested && requested !== own) {
      throw new ProviderError(
        'InvalidProviderConfig',
        `${what}: a SecretStore may only read credentials in its own namespace "${own}", not "${requested}"`,
      );
    }
    return own;
  }
  return requested || store.requesterNamespace;
}

function apiFailure(e: unknown, what: string): never {
  if (isKubeApiError(e)) {
    if (e.code === 404) throw new ProviderError('InvalidProviderConfig', `${what} not found`);
    if (e.code === 403)
      throw new ProviderError('AccessDenied', `Syncret is not allowed to read ${what} (check its RBAC)`);
    throw new ProviderError('Unavailable', `reading ${what}: apiserver answered ${e.code} ${e.reason}`);
  }
  throw new ProviderError('Unavailable', `reading ${what}: ${(e as Error)?.message ?? 'request failed'}`);
}

/** A whole Secret, values decoded, with its labels (the webhook's `secrets`). */
export async function readWholeSecret(
  api: KubeApi,
  namespace: string,
  name: string,
  what: string,
  signal: AbortSignal,
): Promise<SecretObject> {
  const desc = `${what}: Secret "${namespace}/${name}"`;
  let secret: Secret;
  try {
    secret = await api.get<Secret>({ type: SECRETS, namespace, name }, signal);
  } catch (e) {
    apiFailure(e, desc);
  }
  const data = Object.create(null) as Record<string, Uint8Array>;
  for (const [k, v] of Object.entries(secret.data ?? {})) data[k] = new Uint8Array(Buffer.from(v, 'base64'));
  return { data, labels: { ...secret.metadata.labels } };
}

/** Go text/template with ESO's functions and Go's default missingkey, as ESO's webhook renders. */
export function renderWebhookTemplate(name: string, text: string, data: unknown): string {
  try {
    return renderTemplate(name, text, data);
  } catch (e) {
    // `{{ .creds.token | fail }}` would put a value into the condition.
    if (e instanceof TemplateError)
      throw new ProviderError('InvalidProviderConfig', redactValues(e.message, stringsIn(data)));
    throw e;
  }
}

function* stringsIn(v: unknown): Iterable<string> {
  if (typeof v === 'string') yield v;
  else if (v && typeof v === 'object') for (const x of Object.values(v)) yield* stringsIn(x);
}

/** Operator-wide rules for what providers may send (main's flags). */
export interface CredentialPolicy {
  /** --allow-insecure-credentials: credentials may go to http:// URLs. */
  allowInsecureCredentials?: boolean;
}

export function providerContext(
  api: KubeApi,
  store: StoreInfo,
  signal: AbortSignal,
  policy: CredentialPolicy = {},
): ProviderContext {
  return {
    signal,
    requireTls: (url, what) => requireTls(url, what, !!policy.allowInsecureCredentials),
    async readSecretKey(sel: SecretKeySelector, what: string): Promise<Uint8Array> {
      if (!sel.name || !sel.key)
        throw new ProviderError('InvalidProviderConfig', `${what} needs name and key`);
      const ns = credentialNamespace(store, sel.namespace, what);
      const desc = `${what}: Secret "${ns}/${sel.name}"`;
      let secret: Secret;
      try {
        secret = await api.get<Secret>({ type: SECRETS, namespace: ns, name: sel.name }, signal);
      } catch (e) {
        apiFailure(e, desc);
      }
      const v = secret.data?.[sel.key];
      if (v === undefined)
        throw new ProviderError('InvalidProviderConfig', `${desc} has no key "${sel.key}"`);
      return new Uint8Array(Buffer.from(v, 'base64'));
    },
    async readSecret(sel, what) {
      if (!sel.name) throw new ProviderError('InvalidProviderConfig', `${what} needs a name`);
      return readWholeSecret(api, credentialNamespace(store, sel.namespace, what), sel.name, what, signal);
    },
    renderTemplate: renderWebhookTemplate,
    async readConfigMapKey(sel: SecretKeySelector, what: string): Promise<string> {
      if (!sel.name || !sel.key)
        throw new ProviderError('InvalidProviderConfig', `${what} needs name and key`);
      const ns = credentialNamespace(store, sel.namespace, what);
      const desc = `${what}: ConfigMap "${ns}/${sel.name}"`;
      let cm: ConfigMap;
      try {
        cm = await api.get<ConfigMap>({ type: CONFIGMAPS, namespace: ns, name: sel.name }, signal);
      } catch (e) {
        apiFailure(e, desc);
      }
      const v = configMapText(cm, sel.key);
      if (v === undefined)
        throw new ProviderError('InvalidProviderConfig', `${desc} has no key "${sel.key}"`);
      return v;
    },
    async requestServiceAccountToken(sel: ServiceAccountSelector, opts = {}): Promise<string> {
      if (!sel.name) throw new ProviderError('InvalidProviderConfig', 'serviceAccountRef needs a name');
      const ns = credentialNamespace(store, sel.namespace, 'serviceAccountRef');
      const desc = `ServiceAccount "${ns}/${sel.name}"`;
      const audiences = opts.audiences ?? sel.audiences;
      let tr: TokenRequest;
      try {
        tr = await api.create<TokenRequest>(
          { type: SERVICEACCOUNTS, namespace: ns, name: sel.name, subresource: 'token' },
          {
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'TokenRequest',
            spec: {
              ...(audiences && audiences.length > 0 ? { audiences } : {}),
              ...(opts.expirationSeconds ? { expirationSeconds: opts.expirationSeconds } : {}),
            },
          },
          signal,
        );
      } catch (e) {
        apiFailure(e, `a token for ${desc}`);
      }
      const token = tr.status?.token;
      if (!token) throw new ProviderError('Unavailable', `TokenRequest for ${desc} returned no token`);
      return token;
    },
    async readServiceAccountAnnotations(sel: ServiceAccountSelector): Promise<Record<string, string>> {
      if (!sel.name) throw new ProviderError('InvalidProviderConfig', 'serviceAccountRef needs a name');
      const ns = credentialNamespace(store, sel.namespace, 'serviceAccountRef');
      try {
        const sa = await api.get<KubeObject>(
          { type: SERVICEACCOUNTS, namespace: ns, name: sel.name },
          signal,
        );
        return sa.metadata.annotations ?? {};
      } catch (e) {
        apiFailure(e, `ServiceAccount "${ns}/${sel.name}"`);
      }
    },
  };
}
