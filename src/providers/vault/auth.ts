// Vault auth methods: each turns the store's credentials (read through ProviderContext at
// login time, so rotated credentials are picked up by the next login) into a Vault token.

import { readFileSync } from 'node:fs';
import { VAULT_AUTH_METHODS } from '../../api/providers/vault.js';
import type { SecretKeySelector } from '../../api/types.js';
import type {
  VaultAppRoleAuth,
  VaultAuth,
  VaultCertAuth,
  VaultGcpAuth,
  VaultIamAuth,
  VaultJwtAuth,
  VaultKubernetesAuth,
  VaultPasswordAuth,
  VaultProvider,
} from '../../api/providers/vault.js';
import { ProviderError } from '../errors.js';
import type { ProviderContext, StoreInfo } from '../types.js';
import { VaultHttpError, VaultNetworkError } from './http.js';
import { gcpLoginJwt } from './gcp.js';
import type { GcpLoginDeps } from './gcp.js';
import { iamLogin } from './iam.js';
import { jwtTokenAudiences } from './identity.js';
import type { VaultAuthInfo, VaultHttp } from './http.js';

const decoder = new TextDecoder();
/** The operator's own ServiceAccount token, ESO's fallback for kubernetes auth. */
const IN_CLUSTER_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';
/** Lifetime of TokenRequest tokens used only to log in. */
const LOGIN_JWT_SECONDS = 600;

/** Methods the schema accepts (for ESO manifests) that this version cannot log in with. */
const UNSUPPORTED_AUTH = [] as const;

type AuthField = (typeof VAULT_AUTH_METHODS)[number];
type SupportedField = Exclude<AuthField, (typeof UNSUPPORTED_AUTH)[number]>;
/** A supported method; tokenSecretRef is called "token". */
export type AuthMethodName = Exclude<SupportedField, 'tokenSecretRef'> | 'token';

const isSupported = (m: AuthField): m is SupportedField =>
  !(UNSUPPORTED_AUTH as readonly string[]).includes(m);

/** The auth fields this version logs in with, in the schema's order. */
export const SUPPORTED_AUTH: readonly string[] = VAULT_AUTH_METHODS.filter(isSupported);

/** A Vault token and what Vault said about its lifetime. */
export interface TokenGrant {
  token: string;
  /** Seconds; 0 means no expiry (root tokens, some periodic tokens). */
  leaseDuration: number;
  renewable: boolean;
  /** Whether Syncret created it (and so may revoke it); false for tokenSecretRef. */
  owned: boolean;
}

export interface LoginPlan {
  method: AuthMethodName;
  /** Where the login goes, for messages and tests (e.g. `auth/approle/login`). */
  describe: string;
  /** Gets a token; throws ProviderError. `sensitive` collects the credentials used, for scrubbing. */
  login(http: VaultHttp, sensitive: Set<string>): Promise<TokenGrant>;
}

const trimSlashes = (s: string): string => s.replace(/^\/+|\/+$/g, '');

async function readKey(ctx: ProviderContext, sel: SecretKeySelector, what: string): Promise<string> {
  const v = decoder.decode(await ctx.readSecretKey(sel, what)).trim();
  if (!v) throw new ProviderError('InvalidProviderConfig', `${what}: the Secret key is empty`);
  return v;
}

/** Replaces every credential in Vault's message by `***`: some auth errors echo input. */
export function scrub(text: string, sensitive: Set<string>): string {
  let out = text;
  for (const s of sensitive) if (s.length >= 4) out = out.split(s).join('***');
  return out;
}

/** Only one method may be set; the CRD enforces it, this is the message for objects that bypassed it. */
export function authMethodOf(auth: VaultAuth | undefined): AuthMethodName | string | undefined {
  if (!auth) return undefined;
  const set = VAULT_AUTH_METHODS.filter((k) => auth[k] !== undefined && auth[k] !== null);
  if (set.length !== 1) return set.length === 0 ? undefined : set.join(', ');
  return set[0] === 'tokenSecretRef' ? 'token' : set[0];
}

async function loginAt(
  http: VaultHttp,
  path: string,
  body: Record<string, unknown>,
  namespace: string | undefined,
  sensitive: Set<string>,
): Promise<TokenGrant> {
  let auth: VaultAuthInfo | null | undefined;
  try {
    auth = (await http.request({ method: 'POST', path, body, namespace })).auth;
  } catch (e) {
    if (e instanceof VaultNetworkError)
      throw new ProviderError('Unavailable', `Vault login at ${path}: ${scrub(e.message, sensitive)}`);
    if (e instanceof VaultHttpError) {
      if (e.status === 503 || e.status >= 500 || e.status === 429) {
        const sealed = e.errors.some((x) => /sealed/i.test(x));
        throw new ProviderError(
          e.status === 429 ? 'Throttled' : 'Unavailable',
          sealed ? `Vault at ${http.server} is sealed` : `Vault login at ${path}: Vault answered ${e.status}`,
          e.retryAfterMs,
        );
      }
      const why = scrub(e.errors.join('; ').replace(/\s+/g, ' ').trim(), sensitive).slice(0, 300);
      const hint =
        e.status === 404 || /no handler for route|unsupported path/i.test(why)
          ? ' (is the auth method enabled at this path?)'
          : '';
      throw new ProviderError(
        'AuthFailed',
        `Vault login at ${path} failed (${e.status})${why ? `: ${why}` : ''}${hint}`,
      );
    }
    throw e;
  }
  if (!auth?.client_token) throw new ProviderError('AuthFailed', `Vault login at ${path} returned no token`);
  sensitive.add(auth.client_token);
  return {
    token: auth.client_token,
    leaseDuration: auth.lease_duration ?? 0,
    renewable: auth.renewable ?? false,
    owned: true,
  };
}

function tokenPlan(sel: SecretKeySelector, ctx: ProviderContext): LoginPlan {
  return {
    method: 'token',
    describe: 'auth.tokenSecretRef',
    async login(_http, sensitive) {
      const token = await readKey(ctx, sel, 'auth.tokenSecretRef');
      sensitive.add(token);
      return { token, leaseDuration: 0, renewable: false, owned: false };
    },
  };
}

function appRolePlan(a: VaultAppRoleAuth, ns: string | undefined, ctx: ProviderContext): LoginPlan {
  const path = `auth/${trimSlashes(a.path || 'approle')}/login`;
  return {
    method: 'appRole',
    describe: path,
    async login(http, sensitive) {
      const roleId = a.roleId || (a.roleRef ? await readKey(ctx, a.roleRef, 'auth.appRole.roleRef') : '');
      const secretId = await readKey(ctx, a.secretRef ?? {}, 'auth.appRole.secretRef');
      sensitive.add(secretId);
      return loginAt(http, path, { role_id: roleId, secret_id: secretId }, ns, sensitive);
    },
  };
}

/** The JWT for kubernetes auth: a TokenRequest token, a Secret's, or the operator's own (ESO's fallback). */
async function kubernetesJwt(k: VaultKubernetesAuth, ctx: ProviderContext): Promise<string> {
  if (k.serviceAccountRef) {
    return ctx.requestServiceAccountToken(k.serviceAccountRef, {
      audiences: k.serviceAccountRef.audiences,
      expirationSeconds: LOGIN_JWT_SECONDS,
    });
  }
  if (k.secretRef) return readKey(ctx, k.secretRef, 'auth.kubernetes.secretRef');
  try {
    return readFileSync(IN_CLUSTER_TOKEN, 'utf8').trim();
  } catch {
    throw new ProviderError(
      'InvalidProviderConfig',
      'auth.kubernetes needs serviceAccountRef or secretRef (the operator has no in-cluster token)',
    );
  }
}

function kubernetesPlan(k: VaultKubernetesAuth, ns: string | undefined, ctx: ProviderContext): LoginPlan {
  const path = `auth/${trimSlashes(k.mountPath || 'kubernetes')}/login`;
  return {
    method: 'kubernetes',
    describe: path,
    async login(http, sensitive) {
      const jwt = await kubernetesJwt(k, ctx);
      sensitive.add(jwt);
      return loginAt(http, path, { role: k.role, jwt }, ns, sensitive);
    },
  };
}

/** The JWT for jwt auth: a TokenRequest token (ESO's default audience "vault") or a Secret's. */
async function jwtOf(j: VaultJwtAuth, ctx: ProviderContext): Promise<string> {
  const kst = j.kubernetesServiceAccountToken;
  if (!kst?.serviceAccountRef) return readKey(ctx, j.secretRef ?? {}, 'auth.jwt.secretRef');
  return ctx.requestServiceAccountToken(kst.serviceAccountRef, {
    audiences: jwtTokenAudiences(kst),
    expirationSeconds: kst.expirationSeconds ?? LOGIN_JWT_SECONDS,
  });
}

function jwtPlan(j: VaultJwtAuth, ns: string | undefined, ctx: ProviderContext): LoginPlan {
  const path = `auth/${trimSlashes(j.path || 'jwt')}/login`;
  return {
    method: 'jwt',
    describe: path,
    async login(http, sensitive) {
      const jwt = await jwtOf(j, ctx);
      sensitive.add(jwt);
      return loginAt(http, path, { role: j.role || undefined, jwt }, ns, sensitive);
    },
  };
}

/** userpass and ldap log in the same way: a username in the path, the password in the body. */
function passwordPlan(
  method: 'userPass' | 'ldap',
  u: VaultPasswordAuth,
  ns: string | undefined,
  ctx: ProviderContext,
): LoginPlan {
  const username = u.username ?? '';
  const mount = u.path || method.toLowerCase();
  const path = `auth/${trimSlashes(mount)}/login/${encodeURIComponent(username)}`;
  return {
    method,
    describe: path,
    async login(http, sensitive) {
      const password = await readKey(ctx, u.secretRef ?? {}, `auth.${method}.secretRef`);
      sensitive.add(password);
      return loginAt(http, path, { password }, ns, sensitive);
    },
  };
}

function certPlan(c: VaultCertAuth, ns: string | undefined, ctx: ProviderContext): LoginPlan {
  const path = `auth/${trimSlashes(c.path || 'cert')}/login`;
  return {
    method: 'cert',
    describe: path,
    async login(http, sensitive) {
      // The login is the TLS handshake itself: Vault maps the presented certificate to a role.
      const cert = decoder.decode(await ctx.readSecretKey(c.clientCert ?? {}, 'auth.cert.clientCert'));
      const key = decoder.decode(await ctx.readSecretKey(c.secretRef ?? {}, 'auth.cert.secretRef'));
      sensitive.add(key.trim());
      const certHttp = http.withClientCert(cert, key);
      try {
        return await loginAt(certHttp, path, c.vaultRole ? { name: c.vaultRole } : {}, ns, sensitive);
      } finally {
        await certHttp.close();
      }
    },
  };
}

function iamPlan(
  iam: VaultIamAuth,
  store: StoreInfo,
  ns: string | undefined,
  ctx: ProviderContext,
): LoginPlan {
  const path = `auth/${trimSlashes(iam.path || 'aws')}/login`;
  return {
    method: 'iam',
    describe: path,
    async login(http, sensitive) {
      const { body, sensitive: secrets } = await iamLogin(iam, store, ctx);
      for (const s of secrets) sensitive.add(s);
      return loginAt(http, path, body, ns, sensitive);
    },
  };
}

function gcpPlan(
  g: VaultGcpAuth,
  server: string,
  ns: string | undefined,
  ctx: ProviderContext,
  deps: GcpLoginDeps,
): LoginPlan {
  const path = `auth/${trimSlashes(g.path || 'gcp')}/login`;
  return {
    method: 'gcp',
    describe: path,
    async login(http, sensitive) {
      const jwt = await gcpLoginJwt(g, server, ctx, deps);
      sensitive.add(jwt);
      return loginAt(http, path, { role: g.role, jwt }, ns, sensitive);
    },
  };
}

/** provider.openBao without auth: requests go out without a token (an agent or proxy adds one). */
const NO_AUTH: LoginPlan = {
  method: 'token',
  describe: 'no auth',
  login: async () => ({ token: '', leaseDuration: 0, renewable: false, owned: false }),
};

/** Builds the login for the store's auth block; validateSpec has already checked its shape. */
export function loginPlan(
  spec: VaultProvider,
  ctx: ProviderContext,
  store?: StoreInfo,
  gcp: GcpLoginDeps = { endpoints: {} },
): LoginPlan {
  if (spec.auth === undefined) return NO_AUTH;
  const auth = spec.auth;
  // auth.namespace lets the login happen in another namespace than the reads (ESO semantics).
  const ns = auth.namespace ?? spec.namespace;
  if (auth.tokenSecretRef) return tokenPlan(auth.tokenSecretRef, ctx);
  if (auth.appRole) return appRolePlan(auth.appRole, ns, ctx);
  if (auth.kubernetes) return kubernetesPlan(auth.kubernetes, ns, ctx);
  if (auth.jwt) return jwtPlan(auth.jwt, ns, ctx);
  if (auth.userPass) return passwordPlan('userPass', auth.userPass, ns, ctx);
  if (auth.ldap) return passwordPlan('ldap', auth.ldap, ns, ctx);
  if (auth.cert) return certPlan(auth.cert, ns, ctx);
  if (auth.iam && store) return iamPlan(auth.iam, store, ns, ctx);
  if (auth.gcp) return gcpPlan(auth.gcp, spec.server ?? '', ns, ctx, gcp);
  const m = authMethodOf(auth);
  throw new ProviderError(
    'Unsupported',
    m
      ? `Vault auth method "${m}" is not supported by this Syncret version (supported: ${SUPPORTED_AUTH.join(', ')})`
      : 'spec.provider.vault.auth must set one auth method',
  );
}
