// One connected Vault client per store identity: it logs in once, keeps its token alive
// (renew-self at 2/3 of the lease, a fresh login near the max TTL or when Vault no longer
// accepts the token), reads KV v1/v2, and revokes the tokens it created when closed.

import type { FindRef } from '../../api/types.js';
import type { VaultProvider } from '../../api/providers/vault.js';
import { sleep } from '../../runtime/time/sleep.js';
import { ProviderError } from '../errors.js';
import { findNameMatcher, matchesTags } from '../shared.js';
import type { RemoteKeyRef, RemoteValue, SecretsClient, SecretsWriter, ValidationResult } from '../types.js';
import type { LoginPlan, TokenGrant } from './auth.js';
import { VaultHttpError } from './http.js';
import { vaultFailure } from './errors.js';
import type { Op, VaultCapability } from './errors.js';
import type { VaultHttp, VaultRequest, VaultResponse } from './http.js';
import { VaultWriter } from './push.js';

export type { VaultCapability } from './errors.js';

/** A find never walks more than this many keys: a typo'd path should not list a whole Vault. */
const MAX_FIND_KEYS = 10_000;
/** The KV v2 metadata fields ESO exposes besides the custom metadata. */
const SYSTEM_METADATA = ['created_time', 'current_version', 'delete_version_after'] as const;
/** Parallel reads during a find. */
const FIND_CONCURRENCY = 8;
/** Revocation is best effort: a token left behind expires at its TTL anyway. */
const REVOKE_TIMEOUT_MS = 5_000;
/** The longest single wait of the renewal timer. */
const MAX_TIMER_MS = 24 * 3600 * 1000;
/** How long close() lets reads that still hold this client finish before revoking. */
const CLOSE_GRACE_MS = 5_000;

export interface VaultClientOptions {
  http: VaultHttp;
  plan: LoginPlan;
  spec: VaultProvider;
  onLogin?: () => void;
  now?: () => number;
  /** close() waits until no request ran for this long before revoking (default 500 ms). */
  closeQuietMs?: number;
  /**
   * Never revoke the tokens this client logged in with (they expire at their TTL). For the
   * VaultDynamicSecret generator: Vault revokes every lease a token created with the token, so
   * revoking it would kill the credentials Syncret just put into a Secret.
   */
  keepTokens?: boolean;
  /** No PushSecret writes (the openBao key: ESO 2.9's OpenBao provider is read-only). */
  readOnly?: boolean;
}

interface TokenState {
  grant: TokenGrant;
  /** Lease of the login itself: a renewal that grants much less means the max TTL is near. */
  loginLease: number;
  renewAt?: number;
  usableUntil?: number;
  expiresAt?: number;
  /** Vault granted too short a renewal (max TTL near): only a login helps now. */
  renewDeclined?: boolean;
}

const trimSlashes = (s: string): string => s.replace(/^\/+|\/+$/g, '');
const encodePath = (p: string): string => p.split('/').map(encodeURIComponent).join('/');

export class VaultClient implements SecretsClient {
  private state: TokenState | undefined;
  /** A read's renewal or login, shared by concurrent reads. */
  private pending: Promise<TokenState> | undefined;
  /** The timer's renewal: reads wait for it, then decide again, never take its old token. */
  private renewing: Promise<void> | undefined;
  private readonly sensitive = new Set<string>();
  private readonly now: () => number;
  private readonly mount: string;
  private readonly kv: 'v1' | 'v2';
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  /** Requests running now, and when the last one ended (close() lets them finish). */
  private active = 0;
  private lastActivity = 0;
  /** PushSecret writes (./push.ts), through this client's token and error mapping. */
  readonly writer: SecretsWriter | undefined;

  constructor(private readonly o: VaultClientOptions) {
    this.now = o.now ?? Date.now;
    this.mount = trimSlashes(o.spec.path ?? '');
    this.kv = o.spec.version === 'v1' ? 'v1' : 'v2';
    this.writer = o.readOnly ? undefined : new VaultWriter(this);
  }

  get kvVersion(): 'v1' | 'v2' {
    return this.kv;
  }

  /** checkAndSet.required: every KV v2 write names the version it replaces. */
  get casRequired(): boolean {
    return this.kv === 'v2' && this.o.spec.checkAndSet?.required === true;
  }

  /** Logs in (or reads the static token) now, so a bad credential fails the connect. */
  async start(): Promise<void> {
    await this.token();
  }

  // ---- token lifecycle ----

  private async token(): Promise<string> {
    for (;;) {
      const s = this.state;
      if (this.closed) {
        // A reconcile that got this client before it was evicted may still read with its token
        // until close() revokes it, but a closed client never logs in again: nobody would
        // revoke that token. Otherwise the read fails as transient, on a fresh client next time.
        if (s && this.alive(s)) return s.grant.token;
        throw new ProviderError('Unavailable', 'the Vault client was closed; retrying');
      }
      if (s && (s.renewAt === undefined || this.now() < s.renewAt)) return s.grant.token;
      // The timer's renewal may be declined near the max TTL (or the token rejected meanwhile):
      // joining it would hand out the old token, so wait for it and look again.
      if (this.renewing && !this.pending) {
        await this.renewing;
        continue;
      }
      // Concurrent reads share one renewal or login.
      this.pending ??= this.refresh(s).finally(() => {
        this.pending = undefined;
      });
      return (await this.pending).grant.token;
    }
  }

  /** `at` is when the request was sent: the lease began after it, so expiry is never late. */
  private schedule(grant: TokenGrant, loginLease: number, at: number): TokenState {
    const lease = grant.leaseDuration * 1000;
    const st: TokenState = { grant, loginLease };
    // Static (user-supplied) tokens and tokens without a lease are never renewed by Syncret.
    if (grant.owned && lease > 0) {
      st.renewAt = at + Math.floor((lease * 2) / 3);
      st.expiresAt = at + lease;
      // Too close to expiry to still use (a request in flight must not outlive the token).
      st.usableUntil = at + lease - Math.min(1000, lease / 4);
      this.arm(st);
    }
    return st;
  }

  /**
   * Renews in the background at 2/3 of the lease, not only when a read comes: a store read
   * every hour with a 20-minute token would otherwise find it expired and log in each time.
   */
  private arm(st: TokenState): void {
    if (this.timer) clearTimeout(this.timer);
    // setTimeout fires at once for delays beyond 2^31-1 ms (long leases): wake up daily instead.
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, (st.renewAt ?? 0) - this.now()) + 5);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.closed || this.state !== st || this.pending || this.renewing) return;
      if (this.now() < (st.renewAt ?? 0)) return this.arm(st);
      // Only a renewal here, never a login: a client nobody reads from any more (a store
      // deleted while a read was in flight) must not keep logging in. The next read logs in
      // when the renewal failed or the max TTL is near.
      this.renewing = this.renew(st)
        .then(() => undefined)
        .finally(() => {
          this.renewing = undefined;
        });
    }, delay);
    this.timer.unref();
  }

  private async login(): Promise<TokenState> {
    const sentAt = this.now();
    const grant = await this.o.plan.login(this.o.http, this.sensitive);
    if (grant.owned) this.o.onLogin?.();
    if (this.closed) {
      // Closed while the login was in flight: give the token back at once.
      await this.revoke(grant);
      throw new ProviderError('Unavailable', 'the Vault client was closed; retrying');
    }
    const st = this.schedule(grant, grant.leaseDuration, sentAt);
    this.state = st;
    return st;
  }

  private alive(st: TokenState): boolean {
    return st.usableUntil === undefined || this.now() < st.usableUntil;
  }

  /**
   * Renews the token (renew-self); undefined when it cannot or should not be renewed: not ours,
   * not renewable, about to expire, or its max TTL near.
   */
  private async renew(old: TokenState): Promise<TokenState | undefined> {
    if (!old.grant.owned || !old.grant.renewable || old.renewDeclined || !this.alive(old)) return undefined;
    const sentAt = this.now();
    try {
      const r = await this.o.http.request({
        method: 'POST',
        path: 'auth/token/renew-self',
        token: old.grant.token,
        namespace: this.loginNamespace(),
        body: {},
      });
      const lease = r.auth?.lease_duration ?? 0;
      // Vault caps a renewal at the token's max TTL: a much shorter lease than the login's
      // means the cap is near, and only a new login gives a full lifetime again.
      // A token rejected meanwhile (the read path dropped it) is not brought back.
      if (this.state !== old || this.closed) return undefined;
      if (r.auth && lease > 0 && lease * 2 >= old.loginLease) {
        const st = this.schedule({ ...old.grant, leaseDuration: lease }, old.loginLease, sentAt);
        this.state = st;
        return st;
      }
      old.renewDeclined = true;
    } catch {
      // Renewal is an optimisation: a fresh login is always correct.
    }
    return undefined;
  }

  private async refresh(old: TokenState | undefined): Promise<TokenState> {
    if (!old) return this.login();
    const renewed = await this.renew(old);
    if (renewed) return renewed;
    const alive = this.alive(old);
    const st = await this.login();
    if (alive && old.grant.owned && old.grant.token !== st.grant.token) void this.revoke(old.grant);
    return st;
  }

  private async revoke(grant: TokenGrant): Promise<void> {
    if (!grant.owned || this.o.keepTokens) return;
    try {
      await this.o.http.request({
        method: 'POST',
        path: 'auth/token/revoke-self',
        token: grant.token,
        namespace: this.loginNamespace(),
        body: {},
        // Also while the operator stops (its abort signal has fired), but never for long.
        detached: true,
        timeoutMs: REVOKE_TIMEOUT_MS,
      });
    } catch {
      // Best effort: an unrevoked token still expires at its TTL.
    }
  }

  private loginNamespace(): string | undefined {
    return this.o.spec.auth?.namespace ?? this.o.spec.namespace;
  }

  /** True when Vault no longer accepts `token` at all (expired, revoked), rather than a policy denial. */
  private async tokenRejected(token: string, e: VaultHttpError): Promise<boolean> {
    if (e.status === 401 || e.errors.some((x) => /invalid token|token.*expired/i.test(x))) return true;
    try {
      await this.o.http.request({
        method: 'GET',
        path: 'auth/token/lookup-self',
        token,
        namespace: this.loginNamespace(),
      });
      return false;
    } catch (le) {
      return le instanceof VaultHttpError && (le.status === 403 || le.status === 401);
    }
  }

  /** Runs a request with the current token; logs in again once if Vault rejects the token itself. */
  private async call<T>(req: Omit<VaultRequest, 'token'>, op: Op): Promise<VaultResponse<T>> {
    this.active++;
    try {
      return await this.callOnce<T>(req, op);
    } finally {
      this.active--;
      this.lastActivity = Date.now();
    }
  }

  private async callOnce<T>(req: Omit<VaultRequest, 'token'>, op: Op): Promise<VaultResponse<T>> {
    // Reads go to the store's namespace; token calls name the login namespace themselves.
    const withNs = { ...req, namespace: 'namespace' in req ? req.namespace : this.o.spec.namespace };
    let token = await this.token();
    try {
      return await this.o.http.request<T>({ ...withNs, token });
    } catch (e) {
      if (!(e instanceof VaultHttpError) || (e.status !== 403 && e.status !== 401)) this.fail(e, op);
      if (!(await this.tokenRejected(token, e))) this.fail(e, op);
      if (!this.state?.grant.owned) {
        throw new ProviderError(
          'AuthFailed',
          'Vault rejected the token from auth.tokenSecretRef (invalid, expired or revoked)',
        );
      }
      if (this.state.grant.token === token) this.state = undefined;
      token = await this.token();
      try {
        return await this.o.http.request<T>({ ...withNs, token });
      } catch (e2) {
        this.fail(e2, op);
      }
    }
  }

  private fail(e: unknown, op: Op): never {
    throw vaultFailure(e, op, this.o.http.server, this.sensitive);
  }

  // ---- paths ----

  /** Splits a remote key into mount and path under it (PushSecret writes use it too). */
  locateKey(key: string): { mount: string; rest: string } {
    return locateKey(this.mount, key);
  }

  // ---- generic access (dynamic secrets, leases) ----

  /**
   * Any Vault API call with this store's token and namespace, with the same token lifecycle
   * and error mapping as reads (403 names the path and capability, never a value). For the
   * VaultDynamicSecret generator: `POST database/creds/x`, `PUT sys/leases/renew`, ...
   */
  async apiRequest<T = Record<string, unknown>>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    opts: { body?: unknown; query?: Record<string, string | string[]> } = {},
  ): Promise<VaultResponse<T>> {
    const apiPath = trimSlashes(path);
    const capability: VaultCapability =
      method === 'GET'
        ? opts.query?.list === 'true'
          ? 'list'
          : 'read'
        : method === 'DELETE'
          ? 'delete'
          : 'update';
    return this.call<T>(
      { method, path: encodePath(apiPath), body: opts.body, query: opts.query },
      { capability, apiPath, what: apiPath },
    );
  }

  // ---- SecretsClient ----

  async getSecret(ref: RemoteKeyRef): Promise<RemoteValue> {
    if (!ref.key) throw new ProviderError('InvalidRequest', 'remoteRef.key is empty');
    const { mount, rest } = this.locateKey(ref.key);
    if (this.kv === 'v1') {
      if (ref.metadataPolicy === 'Fetch')
        throw new ProviderError('Unsupported', 'metadataPolicy: Fetch needs a KV v2 store (version: v2)');
      const apiPath = `${mount}/${rest}`;
      const r = await this.call<Record<string, unknown>>(
        { method: 'GET', path: encodePath(apiPath) },
        { capability: 'read', apiPath, what: ref.key },
      );
      if (!r.data) throw new ProviderError('NotFound', `Vault secret "${ref.key}" has no data (${apiPath})`);
      return { kind: 'map', data: r.data };
    }
    if (ref.metadataPolicy === 'Fetch')
      return { kind: 'map', data: await this.metadata(mount, rest, ref.key) };
    const apiPath = `${mount}/data/${rest}`;
    const query: Record<string, string> = {};
    if (ref.version !== undefined && ref.version !== '') {
      if (!/^\d+$/.test(ref.version))
        throw new ProviderError(
          'InvalidRequest',
          `remoteRef.version "${ref.version}" must be a KV v2 version number`,
        );
      query.version = ref.version;
    }
    const op: Op = { capability: 'read', apiPath, what: ref.key };
    let r: VaultResponse<{ data?: Record<string, unknown> | null }>;
    try {
      r = await this.call({ method: 'GET', path: encodePath(apiPath), query }, op);
    } catch (e) {
      // A deleted or destroyed version answers 404 too; say so instead of "not found".
      if (
        e instanceof ProviderError &&
        e.reason === 'NotFound' &&
        (await this.versionGone(mount, rest, ref.version))
      )
        throw new ProviderError(
          'NotFound',
          `Vault secret "${ref.key}"${ref.version ? ` version ${ref.version}` : ''} is deleted or destroyed (${apiPath})`,
        );
      throw e;
    }
    const data = r.data?.data;
    if (!data)
      throw new ProviderError(
        'NotFound',
        `Vault secret "${ref.key}"${ref.version ? ` version ${ref.version}` : ''} has no data (${apiPath})`,
      );
    return { kind: 'map', data };
  }

  private async versionGone(mount: string, rest: string, version: string | undefined): Promise<boolean> {
    try {
      const r = await this.call<{
        current_version?: number;
        versions?: Record<string, { deletion_time?: string; destroyed?: boolean }>;
      }>(
        { method: 'GET', path: encodePath(`${mount}/metadata/${rest}`) },
        { capability: 'read', apiPath: `${mount}/metadata/${rest}`, what: rest },
      );
      const v = version || String(r.data?.current_version ?? '');
      const info = r.data?.versions?.[v];
      return !!info && (info.destroyed === true || !!info.deletion_time);
    } catch {
      return false;
    }
  }

  /**
   * What metadataPolicy Fetch (and find.tags) sees, as ESO 2.9: KV v2's created_time,
   * current_version and delete_version_after, then the custom metadata (which wins on a
   * shared name), every value as text.
   */
  private async metadata(mount: string, rest: string, what: string): Promise<Record<string, string>> {
    const apiPath = `${mount}/metadata/${rest}`;
    const r = await this.call<Record<string, unknown> & { custom_metadata?: Record<string, unknown> | null }>(
      { method: 'GET', path: encodePath(apiPath) },
      { capability: 'read', apiPath, what },
    );
    const out: Record<string, string> = {};
    const put = (k: string, v: unknown) => {
      if (v !== null && v !== undefined) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
    };
    for (const k of SYSTEM_METADATA) put(k, r.data?.[k]);
    for (const [k, v] of Object.entries(r.data?.custom_metadata ?? {})) put(k, v);
    return out;
  }

  async findSecrets(find: FindRef): Promise<Map<string, RemoteValue>> {
    if (this.kv !== 'v2')
      throw new ProviderError(
        'Unsupported',
        'dataFrom.find needs a KV v2 store (version: v2): KV v1 has no metadata',
      );
    if (!this.mount)
      throw new ProviderError('InvalidRequest', 'dataFrom.find needs spec.provider.vault.path (the mount)');
    const nameMatches = findNameMatcher(find);
    const root = findRoot(this.mount, find.path);
    const leaves = await this.walk(root ? `${root}/` : '');
    const tagged = Object.keys(find.tags ?? {}).length > 0;
    const candidates = leaves.filter(nameMatches);

    const out = new Map<string, RemoteValue>();
    await pool(candidates, FIND_CONCURRENCY, async (p) => {
      if (tagged && !matchesTags(await this.metadata(this.mount, p, p), find.tags)) return;
      try {
        out.set(p, await this.getSecret({ key: p }));
      } catch (e) {
        // Listed but its latest version is deleted: ESO skips such secrets.
        if (e instanceof ProviderError && e.reason === 'NotFound') return;
        throw e;
      }
    });
    // Stable order regardless of which parallel read finished first.
    return new Map([...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  /** Every secret path under `prefix` (which ends with `/` or is empty), relative to the mount. */
  private async walk(prefix: string): Promise<string[]> {
    const leaves: string[] = [];
    const folders = [prefix];
    while (folders.length > 0) {
      const dir = folders.shift() ?? '';
      const apiPath = `${this.mount}/metadata/${dir}`;
      let keys: string[] = [];
      try {
        const r = await this.call<{ keys?: string[] }>(
          // GET ?list=true is Vault's portable spelling of LIST (proxies may refuse the verb).
          { method: 'GET', path: encodePath(apiPath), query: { list: 'true' } },
          { capability: 'list', apiPath, what: dir || '/' },
        );
        keys = r.data?.keys ?? [];
      } catch (e) {
        if (e instanceof ProviderError && e.reason === 'NotFound') continue; // an empty folder
        throw e;
      }
      for (const k of keys) {
        if (k.endsWith('/')) folders.push(dir + k);
        else leaves.push(dir + k);
        if (leaves.length + folders.length > MAX_FIND_KEYS)
          throw new ProviderError(
            'InvalidRequest',
            `dataFrom.find under "${this.mount}/${prefix}" lists more than ${MAX_FIND_KEYS} keys; narrow find.path`,
          );
      }
    }
    return leaves;
  }

  /**
   * Looks the token up (as ESO does), so the store's Ready condition also shows a sealed or
   * unreachable Vault, and a token Vault no longer accepts is replaced by a fresh login.
   */
  async validate(): Promise<ValidationResult> {
    if (this.o.plan.describe === 'no auth')
      return { result: 'Unknown', message: 'no auth is configured: a token lookup cannot check the store' };
    try {
      await this.call(
        { method: 'GET', path: 'auth/token/lookup-self', namespace: this.loginNamespace() },
        { capability: 'read', apiPath: 'auth/token/lookup-self', what: 'the token' },
      );
      return { result: 'Valid' };
    } catch (e) {
      return { result: 'Error', message: (e as Error).message };
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    // An evicted client may still be in use by reconciles that fetched it just before (the
    // cache drops it on AccessDenied, a spec change or its age): revoking under them would
    // fail their reads. Wait until it has been idle a moment, never long.
    const quiet = this.o.closeQuietMs ?? 500;
    const deadline = Date.now() + CLOSE_GRACE_MS;
    while (Date.now() < deadline && (this.active > 0 || Date.now() - this.lastActivity < quiet))
      await sleep(Math.min(100, quiet || 100));
    const st = this.state;
    this.state = undefined;
    // Never revoke a token the user supplied (tokenSecretRef): other clients may use it.
    if (st?.grant.owned && (st.expiresAt === undefined || this.now() < st.expiresAt))
      await this.revoke(st.grant);
    await this.o.http.close();
  }
}

/**
 * Splits a remote key into mount and path under it; a key may repeat the store's mount.
 * `mount`: provider.vault.path, trimmed ('' when unset). Also what `syncret policy` names.
 */
export function locateKey(mount: string, key: string): { mount: string; rest: string } {
  const k = trimSlashes(key);
  if (mount) {
    const rest = k.startsWith(`${mount}/`) ? k.slice(mount.length + 1) : k;
    return { mount, rest };
  }
  // Without provider.vault.path the key's first segment is the mount (ESO behaviour).
  const i = k.indexOf('/');
  if (i <= 0)
    throw new ProviderError('InvalidRequest', `key "${key}" names no mount and the store sets no path`);
  return { mount: k.slice(0, i), rest: k.slice(i + 1) };
}

/** Where dataFrom.find starts walking, relative to the mount ('' for all of it). */
export function findRoot(mount: string, path: string | undefined): string {
  const root = trimSlashes(path ?? '');
  if (root.startsWith(`${mount}/`)) return root.slice(mount.length + 1);
  return root === mount ? '' : root;
}

async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  const worker = async (): Promise<void> => {
    while (i < items.length) {
      const item = items[i++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}
