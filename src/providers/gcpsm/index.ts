// Google Cloud Secret Manager over gRPC (@google-cloud/secret-manager). A key is a secret id in
// the store's project and location, or a full resource name; a version is a number, an alias
// or "latest". With secretVersionSelectionPolicy LatestOrFetch, a disabled or destroyed latest
// version falls back to the newest enabled one (as ESO does).

import { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { OAuth2Client } from 'google-auth-library';
import { createBackoffSettings, createRetryOptions, grpc } from 'google-gax';
import type { CallOptions } from 'google-gax';
import type { FindRef } from '../../api/types.js';
import type { GcpsmProvider } from '../../api/providers/gcpsm.js';
import { jitteredBackoff } from '../../runtime/time/backoff.js';
import type { Backoff } from '../../runtime/time/backoff.js';
import { sleep } from '../../runtime/time/sleep.js';
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
import { GcpsmWriter } from './push.js';
import {
  applicationDefaultCredential,
  serviceAccountKeyCredential,
  workloadIdentityCredential,
} from './auth.js';
import type { AuthEndpoints, GcpCredential } from './auth.js';
import { authEndpointsFromEnv } from './endpoints.js';
import { idOf, parseKey, resolveVersion, secretPath, storeParent } from './names.js';
import type { SecretName } from './names.js';

export interface GcpsmOptions extends AuthEndpoints {
  /**
   * host:port of a plaintext Secret Manager emulator (SYNCRET_GCPSM_EMULATOR_HOST). Every store
   * then talks to it instead of Google; credentials are still obtained and sent as usual.
   */
  emulatorHost?: string;
  /** Attempts for RESOURCE_EXHAUSTED/UNAVAILABLE within one read (default 3). */
  attempts?: number;
  /** First retry delay in ms, doubled per attempt up to 5 s; jitter takes off up to a fifth (default 500). */
  retryDelayMs?: number;
}

/** The operator's environment knobs (documented in docs/providers/gcp.md). */
export function gcpsmOptionsFromEnv(env: NodeJS.ProcessEnv): GcpsmOptions {
  return {
    ...(env.SYNCRET_GCPSM_EMULATOR_HOST ? { emulatorHost: env.SYNCRET_GCPSM_EMULATOR_HOST } : {}),
    ...authEndpointsFromEnv(env),
  };
}

const GLOBAL_HOST = 'secretmanager.googleapis.com';
const CALL_TIMEOUT_MS = 30_000;
/** Inline retries stay brief: a longer wait belongs to the reconcile backoff. */
const RETRY_MAX_MS = 5_000;
/** How many secrets a find reads at once. */
const FIND_CONCURRENCY = 4;
const LOCATION = /^[a-z][a-z0-9-]{0,62}$/;
const PROJECT = /^[a-z0-9][a-z0-9.:-]{0,99}$/;

// gax would retry RESOURCE_EXHAUSTED for up to 10 minutes, holding a reconcile worker;
// Syncret retries briefly itself and then leaves the rest to the reconcile backoff.
const NO_GAX_RETRY = createRetryOptions(
  [],
  createBackoffSettings(0, 1, 0, CALL_TIMEOUT_MS, 1, CALL_TIMEOUT_MS, CALL_TIMEOUT_MS),
);

interface GrpcLikeError {
  code?: unknown;
  details?: unknown;
}

function grpcCode(e: unknown): number | undefined {
  const c = (e as GrpcLikeError | undefined)?.code;
  return typeof c === 'number' ? c : undefined;
}

function grpcDetails(e: unknown): string {
  const d = (e as GrpcLikeError | undefined)?.details;
  return typeof d === 'string' ? d : '';
}

const DISABLED_OR_DESTROYED = /is in (DISABLED|DESTROYED) state/;

/** A gRPC failure as a ProviderError; messages name the secret and code, never payloads. */
export function mapGrpcError(e: unknown, what: string, project: string): ProviderError {
  if (e instanceof ProviderError) return e;
  const code = grpcCode(e);
  const details = grpcDetails(e);
  switch (code) {
    case grpc.status.NOT_FOUND:
      return new ProviderError('NotFound', `${what} not found in project "${project}" (NOT_FOUND)`);
    case grpc.status.PERMISSION_DENIED:
      return new ProviderError(
        'AccessDenied',
        `the store's identity may not read ${what} in project "${project}" (PERMISSION_DENIED: it needs roles/secretmanager.secretAccessor, and roles/secretmanager.viewer for metadata and find)`,
      );
    case grpc.status.UNAUTHENTICATED:
      return new ProviderError(
        'AuthFailed',
        `Secret Manager rejected the store's credentials (UNAUTHENTICATED)`,
      );
    case grpc.status.FAILED_PRECONDITION: {
      const state = DISABLED_OR_DESTROYED.exec(details)?.[1];
      if (state) return new ProviderError('NotFound', `${what} is ${state} (FAILED_PRECONDITION)`);
      return new ProviderError('InvalidRequest', `${what}: FAILED_PRECONDITION`);
    }
    case grpc.status.RESOURCE_EXHAUSTED:
      return new ProviderError(
        'Throttled',
        `Secret Manager quota exhausted while reading ${what} in project "${project}" (RESOURCE_EXHAUSTED); retrying with backoff`,
        30_000,
      );
    case grpc.status.INVALID_ARGUMENT:
      return new ProviderError('InvalidRequest', `${what}: INVALID_ARGUMENT: ${details.slice(0, 200)}`);
    case grpc.status.UNAVAILABLE:
    case grpc.status.DEADLINE_EXCEEDED:
    case grpc.status.CANCELLED:
    case grpc.status.INTERNAL:
    case grpc.status.UNKNOWN:
      return new ProviderError(
        'Unavailable',
        `Secret Manager unavailable while reading ${what} (${grpc.status[code]})`,
      );
    default:
      return new ProviderError(
        'Unavailable',
        `Secret Manager call for ${what} failed (${code === undefined ? 'no gRPC status' : grpc.status[code]})`,
      );
  }
}

/** The subset of the generated client Syncret calls; unit tests may substitute it. */
export type SmClient = Pick<
  SecretManagerServiceClient,
  | 'accessSecretVersion'
  | 'getSecret'
  | 'listSecrets'
  | 'listSecretVersions'
  | 'close'
  // PushSecret (./push.ts)
  | 'createSecret'
  | 'addSecretVersion'
  | 'updateSecret'
  | 'deleteSecret'
>;

export interface Endpoint {
  /** Host Google's libraries see (the JWT audience): global or regional. */
  serviceHost: string;
  /** Where the channel connects. */
  address: string;
  port: number;
  insecure: boolean;
}

export function endpointFor(location: string | undefined, opts: GcpsmOptions): Endpoint {
  const serviceHost = location ? `secretmanager.${location}.rep.googleapis.com` : GLOBAL_HOST;
  if (opts.emulatorHost) {
    const i = opts.emulatorHost.lastIndexOf(':');
    const host = opts.emulatorHost.slice(0, i).replace(/^\[|\]$/g, '');
    return { serviceHost, address: host, port: Number(opts.emulatorHost.slice(i + 1)), insecure: true };
  }
  return { serviceHost, address: serviceHost, port: 443, insecure: false };
}

/** Labels and annotations as a map; `labels.<k>`/`annotations.<k>` also resolve for keys with dots. */
function metadataValue(labels: Record<string, string>, annotations: Record<string, string>): RemoteValue {
  const data: Record<string, unknown> = { annotations: { ...annotations }, labels: { ...labels } };
  // Annotation keys may contain dots (example.com/owner), which a dotted property path cannot
  // reach; ESO reads `annotations.<rest>` literally. The flat aliases are non-enumerable so
  // that the whole map (no property, dataFrom.extract) still shows only the two objects.
  for (const [prefix, m] of [
    ['annotations', annotations],
    ['labels', labels],
  ] as const) {
    for (const [k, v] of Object.entries(m))
      Object.defineProperty(data, `${prefix}.${k}`, { value: v, enumerable: false });
  }
  return { kind: 'map', data };
}

export class GcpsmClient implements SecretsClient {
  private readonly attempts: number;
  private readonly backoff: Backoff;
  readonly writer: SecretsWriter;

  constructor(
    readonly sm: SmClient,
    private readonly cred: GcpCredential,
    private readonly spec: GcpsmProvider,
    private readonly endpoint: Endpoint,
    private readonly signal: AbortSignal,
    opts: GcpsmOptions = {},
  ) {
    this.attempts = Math.max(1, opts.attempts ?? 3);
    this.backoff = jitteredBackoff({ baseMs: opts.retryDelayMs ?? 500, maxMs: RETRY_MAX_MS });
    this.writer = new GcpsmWriter(this, !!spec.location);
  }

  private get project(): string {
    return this.spec.projectID ?? '';
  }

  get parent(): string {
    return storeParent(this.project, this.spec.location || undefined);
  }

  private async callOptions(): Promise<CallOptions> {
    const headers = await this.cred.headers(`https://${this.endpoint.serviceHost}/`);
    return { timeout: CALL_TIMEOUT_MS, retry: NO_GAX_RETRY, otherArgs: { headers } };
  }

  /** One API call with brief jittered retries on quota and availability errors. */
  async call<T>(what: string, fn: (opts: CallOptions) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn(await this.callOptions());
      } catch (e) {
        const err = mapGrpcError(e, what, this.project);
        const retry =
          err.reason === 'Throttled' || (err.reason === 'Unavailable' && grpcCode(e) !== undefined);
        if (!retry || attempt >= this.attempts || this.signal.aborted) throw err;
        await sleep(this.backoff.delay(attempt), this.signal);
      }
    }
  }

  private async access(name: SecretName, version: string): Promise<Uint8Array> {
    const resource = `${secretPath(name)}/versions/${version}`;
    const what = `secret "${name.id}" version "${version}"`;
    const [res] = await this.call(what, (o) => this.sm.accessSecretVersion({ name: resource }, o));
    const data = res.payload?.data;
    if (data === null || data === undefined) return new Uint8Array();
    return typeof data === 'string' ? new Uint8Array(Buffer.from(data, 'base64')) : new Uint8Array(data);
  }

  /** The newest ENABLED version by creation time (ESO's LatestOrFetch). */
  private async latestEnabled(name: SecretName): Promise<string | undefined> {
    const what = `versions of secret "${name.id}"`;
    const [versions] = await this.call(what, (o) =>
      this.sm.listSecretVersions(
        { parent: secretPath(name), filter: 'state:ENABLED' },
        { ...o, autoPaginate: true },
      ),
    );
    let best: { n: number; t: number } | undefined;
    for (const v of versions) {
      if (v.state !== 'ENABLED' && v.state !== 1) continue;
      const n = Number(/\/versions\/(\d+)$/.exec(v.name ?? '')?.[1] ?? NaN);
      if (!Number.isFinite(n)) continue;
      const t = Number(v.createTime?.seconds ?? 0) * 1000 + Math.floor((v.createTime?.nanos ?? 0) / 1e6);
      if (!best || t > best.t || (t === best.t && n > best.n)) best = { n, t };
    }
    return best ? String(best.n) : undefined;
  }

  private async readValue(name: SecretName, refVersion: string | undefined): Promise<Uint8Array> {
    const version = resolveVersion(name, refVersion);
    try {
      return await this.access(name, version);
    } catch (e) {
      const policy = this.spec.secretVersionSelectionPolicy ?? 'LatestOrFail';
      const fallback =
        version === 'latest' &&
        e instanceof ProviderError &&
        e.reason === 'NotFound' &&
        / is (DISABLED|DESTROYED) /.test(e.message);
      if (!fallback) throw e;
      if (policy !== 'LatestOrFetch')
        throw new ProviderError(
          'NotFound',
          `${e.message}; secretVersionSelectionPolicy LatestOrFail (set LatestOrFetch to fall back to the newest enabled version)`,
        );
      const enabled = await this.latestEnabled(name);
      if (!enabled)
        throw new ProviderError('NotFound', `secret "${name.id}" has no enabled version (LatestOrFetch)`);
      return this.access(name, enabled);
    }
  }

  async getSecret(ref: RemoteKeyRef): Promise<RemoteValue> {
    const name = parseKey(ref.key, this.parent);
    if (ref.metadataPolicy === 'Fetch') {
      const [s] = await this.call(`secret "${name.id}"`, (o) =>
        this.sm.getSecret({ name: secretPath(name) }, o),
      );
      return metadataValue(
        (s.labels ?? {}) as Record<string, string>,
        (s.annotations ?? {}) as Record<string, string>,
      );
    }
    return { kind: 'bytes', data: await this.readValue(name, ref.version) };
  }

  async findSecrets(find: FindRef): Promise<Map<string, RemoteValue>> {
    const nameMatches = findNameMatcher(find);
    const tags = Object.entries(find.tags ?? {});
    if (find.name?.regexp === undefined && tags.length === 0 && !find.path)
      throw new ProviderError('InvalidRequest', 'find needs name.regexp, tags or path');
    // Label values are lowercase letters, digits, "-" and "_": nothing to quote.
    const terms = tags.map(([k, v]) => `labels.${k}=${v}`);
    if (find.path) terms.push(`name:${find.path}`);
    const [secrets] = await this.call(`secrets of "${this.parent}"`, (o) =>
      this.sm.listSecrets(
        { parent: this.parent, ...(terms.length ? { filter: terms.join(' AND ') } : {}) },
        { ...o, autoPaginate: true },
      ),
    );
    const ids: string[] = [];
    for (const s of secrets) {
      const id = idOf(s.name ?? '');
      if (find.path && !id.startsWith(find.path)) continue;
      if (!nameMatches(id)) continue;
      // The server filtered already; checking again keeps a lenient server from widening it.
      if (!matchesTags(s.labels ?? {}, find.tags)) continue;
      ids.push(id);
    }
    const out = new Map<string, RemoteValue>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < ids.length) {
        const id = ids[next++]!;
        const data = await this.readValue({ parent: this.parent, id }, undefined);
        out.set(id, { kind: 'bytes', data });
      }
    };
    await Promise.all(Array.from({ length: Math.min(FIND_CONCURRENCY, ids.length) }, worker));
    return new Map([...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  async validate(): Promise<ValidationResult> {
    // Reading needs only secretAccessor, which cannot list or get anything without naming a
    // secret: proving that the credentials yield a token is the check that fits every role.
    try {
      await this.cred.headers(`https://${this.endpoint.serviceHost}/`);
      return { result: 'Valid' };
    } catch (e) {
      const err = e instanceof ProviderError ? e : new ProviderError('AuthFailed', 'no access token');
      if (err.transient) return { result: 'Unknown', message: err.message };
      return { result: 'Error', message: err.message };
    }
  }

  async close(): Promise<void> {
    await this.sm.close();
  }
}

function validateSpec(store: StoreInfo): string | undefined {
  const spec = store.provider.gcpsm;
  if (!spec) return 'spec.provider.gcpsm is missing';
  if (!spec.projectID) return 'spec.provider.gcpsm.projectID must be set';
  if (!PROJECT.test(spec.projectID))
    return `spec.provider.gcpsm.projectID "${spec.projectID}" is not a project id`;
  if (spec.location && !LOCATION.test(spec.location))
    return `spec.provider.gcpsm.location "${spec.location}" is not a location (e.g. europe-west1)`;
  const auth = spec.auth ?? {};
  const set = [auth.secretRef, auth.workloadIdentity, auth.workloadIdentityFederation].filter(Boolean).length;
  if (set > 1)
    return 'spec.provider.gcpsm.auth: set at most one of secretRef, workloadIdentity, workloadIdentityFederation';
  if (auth.workloadIdentityFederation)
    return 'spec.provider.gcpsm.auth.workloadIdentityFederation is not supported by this Syncret version; use workloadIdentity, secretRef or application default credentials';
  if (auth.secretRef) {
    const s = auth.secretRef.secretAccessKeySecretRef;
    if (!s?.name || !s.key)
      return 'spec.provider.gcpsm.auth.secretRef.secretAccessKeySecretRef needs name and key';
  }
  if (auth.workloadIdentity) {
    const wi = auth.workloadIdentity;
    if (!wi.serviceAccountRef?.name)
      return 'spec.provider.gcpsm.auth.workloadIdentity.serviceAccountRef.name must be set';
    if (!wi.clusterLocation || !wi.clusterName)
      return 'spec.provider.gcpsm.auth.workloadIdentity needs clusterLocation and clusterName (Syncret does not read them from the GKE metadata server)';
  }
  return undefined;
}

export type SmClientFactory = (endpoint: Endpoint) => SmClient;

export function defaultSmClientFactory(endpoint: Endpoint): SmClient {
  return new SecretManagerServiceClient({
    apiEndpoint: endpoint.address,
    port: endpoint.port,
    sslCreds: endpoint.insecure ? grpc.credentials.createInsecure() : grpc.credentials.createSsl(),
    // Credentials travel as per-call headers (see auth.ts). An inert client here keeps the
    // library from looking for application default credentials (and probing the metadata
    // server) of its own when it checks the universe domain.
    authClient: new OAuth2Client(),
    fallback: false,
  });
}

export function gcpsmProvider(
  opts: GcpsmOptions = {},
  factory: SmClientFactory = defaultSmClientFactory,
): Provider {
  return {
    name: 'gcpsm',
    capabilities: 'ReadWrite',
    validateSpec,
    cacheScope(store: StoreInfo): string {
      const auth = store.provider.gcpsm?.auth ?? {};
      return credentialScope(store, [
        auth.secretRef?.secretAccessKeySecretRef,
        auth.workloadIdentity?.serviceAccountRef,
      ]);
    },
    async connect(store: StoreInfo, ctx: ProviderContext): Promise<SecretsClient> {
      const spec = store.provider.gcpsm ?? {};
      const problem = validateSpec(store);
      if (problem) throw new ProviderError('InvalidProviderConfig', problem);
      const auth = spec.auth ?? {};
      // The operator's endpoints (environment), but the rule is the same: tokens go over TLS.
      if (opts.stsUrl) ctx.requireTls(opts.stsUrl, 'SYNCRET_GCP_STS_URL');
      if (opts.iamCredentialsUrl) ctx.requireTls(opts.iamCredentialsUrl, 'SYNCRET_GCP_IAM_CREDENTIALS_URL');
      const endpoint = endpointFor(spec.location || undefined, opts);
      if (endpoint.insecure) ctx.requireTls(`http://${opts.emulatorHost}`, 'SYNCRET_GCPSM_EMULATOR_HOST');
      const cred = auth.secretRef
        ? await serviceAccountKeyCredential(spec, ctx, opts)
        : auth.workloadIdentity
          ? await workloadIdentityCredential(spec, ctx, opts)
          : applicationDefaultCredential(opts);
      return new GcpsmClient(factory(endpoint), cred, spec, endpoint, ctx.signal, opts);
    },
  };
}
