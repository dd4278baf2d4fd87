// The Vault/OpenBao test server as its administrator sees it (root token, plain HTTP dev
// listener): mounts, policies, auth methods, secrets. Each test file uses its own randomly
// named mounts, so files and repeated runs against a kept server never collide.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { clusterEnv, kubectl } from './cluster.js';
import { serverVar } from './servers.js';

export interface BaoAnswer {
  status: number;
  body: Record<string, unknown> & {
    data?: Record<string, unknown>;
    auth?: { client_token?: string };
    errors?: string[];
  };
}

/** One API call with the root token; throws on a non-2xx answer unless `allow` lists it. */
export async function bao(
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'LIST',
  path: string,
  body?: unknown,
  opts: { allow?: number[]; token?: string; addr?: string; namespace?: string } = {},
): Promise<BaoAnswer> {
  const res = await fetch(`${opts.addr ?? serverVar('VAULT_ADDR')}/v1/${path}`, {
    method,
    headers: {
      'x-vault-token': opts.token ?? serverVar('VAULT_TOKEN'),
      ...(opts.namespace ? { 'x-vault-namespace': opts.namespace } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  const parsed = (text ? JSON.parse(text) : {}) as BaoAnswer['body'];
  if ((res.status < 200 || res.status >= 300) && !(opts.allow ?? []).includes(res.status))
    // Vault's own error strings; never a request body (which may hold test values).
    throw new Error(`${method} ${path}: ${res.status} ${(parsed.errors ?? []).join('; ')}`);
  return { status: res.status, body: parsed };
}

export const suffix = (): string => randomBytes(3).toString('hex');

export async function mountKv(path: string, version: 1 | 2): Promise<void> {
  await bao('POST', `sys/mounts/${path}`, { type: 'kv', options: { version: String(version) } });
}

/** Writes a KV v2 secret version (optionally its custom_metadata); returns the version. */
export async function kv2Put(
  mount: string,
  key: string,
  data: Record<string, unknown>,
  customMetadata?: Record<string, string>,
): Promise<number> {
  const r = await bao('POST', `${mount}/data/${key}`, { data });
  if (customMetadata) await bao('POST', `${mount}/metadata/${key}`, { custom_metadata: customMetadata });
  return Number((r.body.data as { version?: number } | undefined)?.version ?? 0);
}

export async function policy(name: string, rules: string): Promise<void> {
  await bao('PUT', `sys/policies/acl/${name}`, { policy: rules });
}

export async function enableAuth(path: string, type: string): Promise<void> {
  await bao('POST', `sys/auth/${path}`, { type });
}

/**
 * Configures a kubernetes auth mount against the test apiserver: a real TokenReview with a
 * reviewer ServiceAccount bound to system:auth-delegator.
 */
export async function configureKubernetesAuth(mount: string, reviewerNs: string): Promise<void> {
  const env = clusterEnv();
  const sa = `vault-reviewer-${mount}`;
  kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace: reviewerNs } },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRoleBinding',
          metadata: { name: sa },
          roleRef: {
            apiGroup: 'rbac.authorization.k8s.io',
            kind: 'ClusterRole',
            name: 'system:auth-delegator',
          },
          subjects: [{ kind: 'ServiceAccount', name: sa, namespace: reviewerNs }],
        },
      ],
    }),
  );
  const reviewer = kubectl(['create', 'token', sa, '-n', reviewerNs, '--duration', '2h']).trim();
  await enableAuth(mount, 'kubernetes');
  await bao('POST', `auth/${mount}/config`, {
    kubernetes_host: env.APISERVER_URL,
    kubernetes_ca_cert: readFileSync(env.APISERVER_CA, 'utf8'),
    token_reviewer_jwt: reviewer,
    disable_local_ca_jwt: true,
  });
}

/** Configures a jwt auth mount that validates the apiserver's ServiceAccount signing key. */
export async function configureJwtAuth(mount: string): Promise<void> {
  const env = clusterEnv();
  await enableAuth(mount, 'jwt');
  await bao('POST', `auth/${mount}/config`, {
    jwt_validation_pubkeys: [readFileSync(env.SA_PUBLIC_KEY, 'utf8')],
    bound_issuer: env.SA_ISSUER,
  });
}

/** Accessors of the live (unrevoked, unexpired) tokens an auth mount issued (for a role). */
export async function liveTokens(authMount: string, role?: string): Promise<string[]> {
  const loginPath = `auth/${authMount}/login`;
  const r = await bao('LIST', 'auth/token/accessors', undefined, { allow: [404] });
  const accessors = ((r.body.data as { keys?: string[] } | undefined)?.keys ?? []) as string[];
  const out: string[] = [];
  for (const a of accessors) {
    const l = await bao('POST', 'auth/token/lookup-accessor', { accessor: a }, { allow: [400, 403] });
    const d = l.body.data as { path?: string; meta?: Record<string, string> | null } | undefined;
    // AppRole tokens carry their role in meta.role_name.
    if (d?.path?.startsWith(loginPath) && (role === undefined || d.meta?.role_name === role)) out.push(a);
  }
  return out;
}

/** How many live tokens an auth mount issued: logins and revocations as Vault sees them. */
export async function liveTokenCount(authMount: string, role?: string): Promise<number> {
  return (await liveTokens(authMount, role)).length;
}

export async function seal(): Promise<void> {
  await bao('PUT', 'sys/seal');
}

/** Unseals and waits until the server is active again (sys/health 200). */
export async function unseal(): Promise<void> {
  await bao('PUT', 'sys/unseal', { key: serverVar('VAULT_UNSEAL_KEY') });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await fetch(`${serverVar('VAULT_ADDR')}/v1/sys/health`, {
      signal: AbortSignal.timeout(5_000),
    });
    await res.text();
    if (res.status === 200) return;
    if (Date.now() > deadline) throw new Error(`Vault not active 30 s after unseal (health ${res.status})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export function vaultStore(
  ns: string,
  name: string,
  vault: Record<string, unknown>,
  opts: { kind?: 'SecretStore' | 'ClusterSecretStore'; extra?: object } = {},
): object {
  const kind = opts.kind ?? 'SecretStore';
  return {
    apiVersion: 'external-secrets.io/v1',
    kind,
    metadata: kind === 'SecretStore' ? { name, namespace: ns } : { name },
    spec: { provider: { vault: { server: serverVar('VAULT_ADDR'), ...vault } }, ...opts.extra },
  };
}
