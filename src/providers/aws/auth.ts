// Where a store's AWS credentials come from, and how long they are reused.
//
// A store names a source identity (static keys from a Secret, a ServiceAccount for IRSA, or
// nothing: the SDK's default chain of the operator's pod) and optionally a chain of roles to
// assume on top of it. Temporary credentials are shared across clients of the same identity
// and reused until shortly before they expire: every STS call is billed and rate limited, and
// the client cache rebuilds clients every few minutes.

import { createHash } from 'node:crypto';
import { AssumeRoleCommand, AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { Credentials as StsCredentials, STSClientConfig } from '@aws-sdk/client-sts';
import type { AwsProvider } from '../../api/providers/aws.js';
import type { SecretKeySelector, ServiceAccountSelector } from '../../api/types.js';
import { ProviderError } from '../errors.js';
import type { ProviderContext, StoreInfo } from '../types.js';
import { awsError } from './errors.js';
import { ROLE_ARN_ANNOTATION, webIdentityAudiences } from './identity.js';
import { requireTlsEndpoints } from './common.js';

/** The shape the SDK clients accept for `credentials`. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export type CredentialSource = () => Promise<AwsCredentials>;

export { ROLE_ARN_ANNOTATION, STS_AUDIENCE } from './identity.js';
/** TokenRequest's minimum; the token is only used for the exchange. */
const WEB_IDENTITY_TOKEN_SECONDS = 600;
/** AssumeRole's default; also the limit for chained roles. */
const SESSION_SECONDS = 3600;
/**
 * Refresh this long before expiry. The SDK treats credentials as expired 5 minutes early and
 * then asks again, so a smaller margin here would make it ask on every request.
 */
const REFRESH_MARGIN_MS = 6 * 60 * 1000;
const SESSION_NAME = 'syncret';

export type StsFactory = (config: STSClientConfig) => Pick<STSClient, 'send' | 'destroy'>;

export const defaultStsFactory: StsFactory = (config) => new STSClient(config);

interface CacheEntry {
  creds: AwsCredentials;
  /** ms since epoch; refresh before. */
  refreshAt: number;
}

/**
 * Temporary credentials by identity key. The key is a hash of everything that determines the
 * credentials (source identity, key material hashed, role chain, tags, region), so two stores
 * share an entry only when they would get the very same credentials anyway.
 */
export class CredentialCache {
  private readonly entries = new Map<string, CacheEntry>();
  private readonly inflight = new Map<string, Promise<AwsCredentials>>();

  constructor(private readonly now: () => number = Date.now) {}

  get(key: string, resolve: () => Promise<AwsCredentials>): Promise<AwsCredentials> {
    const hit = this.entries.get(key);
    if (hit && hit.refreshAt > this.now()) return Promise.resolve(hit.creds);
    const running = this.inflight.get(key);
    if (running) return running;
    const p = resolve().then((creds) => {
      this.prune();
      const exp = creds.expiration?.getTime();
      // Credentials without an expiry are not cached here: their client holds them.
      if (exp !== undefined) this.entries.set(key, { creds, refreshAt: exp - REFRESH_MARGIN_MS });
      return creds;
    });
    this.inflight.set(key, p);
    const clear = (): void => {
      this.inflight.delete(key);
    };
    p.then(clear, clear);
    return p;
  }

  /** Forgets credentials that were rejected (revoked session, changed trust policy). */
  drop(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  private prune(): void {
    const now = this.now();
    for (const [k, e] of this.entries) if (e.refreshAt <= now) this.entries.delete(k);
  }
}

/** The namespace a credential reference resolves in (ESO's rule; enforced again by ctx). */
function refNamespace(store: StoreInfo, requested: string | undefined): string {
  if (store.kind === 'SecretStore') return store.namespace ?? '';
  return requested || store.requesterNamespace;
}

function hash(...parts: (string | undefined)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p ?? '').update('\u0000');
  return h.digest('hex');
}

function fromSts(c: StsCredentials | undefined, what: string): AwsCredentials {
  if (!c?.AccessKeyId || !c.SecretAccessKey)
    throw new ProviderError('AuthFailed', `${what}: STS returned no credentials`);
  return {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    sessionToken: c.SessionToken,
    expiration: c.Expiration ?? new Date(Date.now() + SESSION_SECONDS * 1000),
  };
}

export interface ResolvedAuth {
  /** Undefined: the SDK's default credential chain of the operator's pod. */
  credentials?: CredentialSource;
  /** The cache key of the final credentials, for dropping them when AWS rejects them. */
  cacheKey?: string;
  /** What the store authenticates as, for messages (never key material). */
  describe: string;
}

export interface AuthDeps {
  cache: CredentialCache;
  sts: StsFactory;
}

type Assume = (
  command: AssumeRoleCommand | AssumeRoleWithWebIdentityCommand,
  what: string,
  credentials?: CredentialSource,
) => Promise<AwsCredentials>;

/** One STS call on a client of its own (signed with `credentials`), as Syncret credentials. */
function stsCaller(region: string, ctx: ProviderContext, deps: AuthDeps): Assume {
  return async (command, what, credentials) => {
    const sts = requireTlsEndpoints(deps.sts({ region, ...(credentials ? { credentials } : {}) }), ctx);
    try {
      const opts = { abortSignal: ctx.signal };
      // Two branches only for the SDK's per-command overloads.
      const out =
        command instanceof AssumeRoleCommand ? await sts.send(command, opts) : await sts.send(command, opts);
      return fromSts(out.Credentials, what);
    } catch (e) {
      throw awsError(e, what);
    } finally {
      sts.destroy();
    }
  };
}

/** Where the chain of roles starts: static keys, IRSA, or the operator's own chain. */
interface BaseIdentity {
  /** Undefined: the SDK's default chain. */
  source?: CredentialSource;
  id: string;
  describe: string;
  /** Temporary credentials worth caching until they expire. */
  cacheable: boolean;
}

async function staticKeys(
  ref: NonNullable<NonNullable<AwsProvider['auth']>['secretRef']>,
  ctx: ProviderContext,
): Promise<BaseIdentity> {
  if (!ref.accessKeyIDSecretRef || !ref.secretAccessKeySecretRef)
    throw new ProviderError(
      'InvalidProviderConfig',
      'auth.secretRef needs accessKeyIDSecretRef and secretAccessKeySecretRef',
    );
  const dec = new TextDecoder();
  const read = async (sel: SecretKeySelector, what: string) =>
    dec.decode(await ctx.readSecretKey(sel, what)).trim();
  const akid = await read(ref.accessKeyIDSecretRef, 'auth.secretRef.accessKeyIDSecretRef');
  const secret = await read(ref.secretAccessKeySecretRef, 'auth.secretRef.secretAccessKeySecretRef');
  const token = ref.sessionTokenSecretRef
    ? await read(ref.sessionTokenSecretRef, 'auth.secretRef.sessionTokenSecretRef')
    : undefined;
  if (!akid || !secret)
    throw new ProviderError(
      'InvalidProviderConfig',
      'auth.secretRef: the access key ID or secret key is empty',
    );
  const creds: AwsCredentials = {
    accessKeyId: akid,
    secretAccessKey: secret,
    sessionToken: token || undefined,
  };
  return {
    source: () => Promise.resolve(creds),
    id: `static:${hash(akid, secret, token)}`,
    describe: 'static access keys (auth.secretRef)',
    cacheable: false,
  };
}

async function webIdentity(
  store: StoreInfo,
  sel: ServiceAccountSelector | undefined,
  ctx: ProviderContext,
  assume: Assume,
): Promise<BaseIdentity> {
  if (!sel?.name)
    throw new ProviderError('InvalidProviderConfig', 'auth.jwt.serviceAccountRef.name must be set');
  const ns = refNamespace(store, sel.namespace);
  const annotations = await ctx.readServiceAccountAnnotations(sel);
  const roleArn = annotations[ROLE_ARN_ANNOTATION];
  if (!roleArn)
    throw new ProviderError(
      'InvalidProviderConfig',
      `ServiceAccount "${ns}/${sel.name}" has no ${ROLE_ARN_ANNOTATION} annotation (IRSA needs the role to assume)`,
    );
  const audiences = webIdentityAudiences(sel);
  const what = `AssumeRoleWithWebIdentity for role "${roleArn}" (ServiceAccount "${ns}/${sel.name}")`;
  return {
    source: async () => {
      const token = await ctx.requestServiceAccountToken(sel, {
        audiences,
        expirationSeconds: WEB_IDENTITY_TOKEN_SECONDS,
      });
      return assume(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: roleArn,
          RoleSessionName: SESSION_NAME,
          WebIdentityToken: token,
          DurationSeconds: SESSION_SECONDS,
        }),
        what,
      );
    },
    id: `irsa:${ns}/${sel.name}:${roleArn}:${audiences.join(',')}`,
    describe: `role "${roleArn}" via ServiceAccount "${ns}/${sel.name}" (IRSA)`,
    cacheable: true,
  };
}

/** The operator's own credentials from the SDK's default chain (Vault's AWS login uses them). */
export async function defaultChainCredentials(region: string): Promise<AwsCredentials> {
  const sts = new STSClient({ region });
  try {
    return await sts.config.credentials();
  } catch (e) {
    throw awsError(e, "the operator's default AWS credential chain");
  } finally {
    sts.destroy();
  }
}

/**
 * Reads the store's source identity through ctx (Secret keys are read here, once per client)
 * and returns the credential source the SDK clients will call.
 */
export async function resolveAuth(
  store: StoreInfo,
  spec: AwsProvider,
  ctx: ProviderContext,
  deps: AuthDeps,
): Promise<ResolvedAuth> {
  const region = spec.region ?? '';
  const auth = spec.auth ?? {};
  const roles = [...(spec.additionalRoles ?? []).filter(Boolean), ...(spec.role ? [spec.role] : [])];
  const assume = stsCaller(region, ctx, deps);
  const base: BaseIdentity = auth.secretRef
    ? await staticKeys(auth.secretRef, ctx)
    : auth.jwt
      ? await webIdentity(store, auth.jwt.serviceAccountRef, ctx, assume)
      : { id: 'default', describe: "the operator's default AWS credential chain", cacheable: false };

  if (roles.length === 0) {
    if (!base.source) return { describe: base.describe };
    if (!base.cacheable) return { credentials: base.source, describe: base.describe };
    const key = hash(region, base.id);
    const source = base.source;
    return { credentials: () => deps.cache.get(key, source), cacheKey: key, describe: base.describe };
  }
  return chainRoles(region, roles, spec, sessionTags(store, spec), base, assume, deps);
}

/**
 * The session tags of the last role: spec.sessionTags, or with sessionTagsPolicy Simple or
 * Custom (ESO 2.9) the requesting namespace, the store's name and kind (and customSessionTags
 * without empty keys or values) instead, sorted so the same store always sends the same tags.
 */
export function sessionTags(store: StoreInfo, spec: AwsProvider): { Key: string; Value: string }[] {
  const policy = spec.sessionTagsPolicy ?? 'None';
  if (policy === 'None')
    return (spec.sessionTags ?? []).filter((t) => t.key).map((t) => ({ Key: t.key!, Value: t.value ?? '' }));
  const m = new Map<string, string>();
  if (policy === 'Custom')
    for (const [k, v] of Object.entries(spec.customSessionTags ?? {})) if (k && v) m.set(k, v);
  m.set('esoNamespace', store.requesterNamespace);
  m.set('esoStoreName', store.name);
  m.set('esoStoreKind', store.kind);
  return [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([Key, Value]) => ({ Key, Value }));
}

/**
 * Each hop uses the previous hop's credentials; only the last role (spec.role) carries the
 * external ID and session tags, as in ESO.
 */
function chainRoles(
  region: string,
  roles: string[],
  spec: AwsProvider,
  tags: { Key: string; Value: string }[],
  base: BaseIdentity,
  assume: Assume,
  deps: AuthDeps,
): ResolvedAuth {
  const transitive = (spec.transitiveTagKeys ?? []).filter(Boolean);
  let current = base.source;
  let id = base.id;
  for (const [i, roleArn] of roles.entries()) {
    const last = i === roles.length - 1 && Boolean(spec.role);
    const prev = current;
    const hop: CredentialSource = () =>
      assume(
        new AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: SESSION_NAME,
          DurationSeconds: SESSION_SECONDS,
          ...(last && spec.externalID ? { ExternalId: spec.externalID } : {}),
          ...(last && tags.length > 0 ? { Tags: tags } : {}),
          ...(last && transitive.length > 0 ? { TransitiveTagKeys: transitive } : {}),
        }),
        `AssumeRole "${roleArn}"`,
        prev,
      );
    id = `${id}>${roleArn}${last ? `|${spec.externalID ?? ''}|${JSON.stringify(tags)}|${transitive.join(',')}` : ''}`;
    const key = hash(region, id);
    current = () => deps.cache.get(key, hop);
  }
  return {
    credentials: current,
    cacheKey: hash(region, id),
    describe: `role "${roles[roles.length - 1]}" assumed from ${base.describe}`,
  };
}
