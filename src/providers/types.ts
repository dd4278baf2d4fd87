// The one small interface every backend implements. Providers know nothing of Kubernetes
// objects beyond their own store spec: credentials reach them through ProviderContext,
// which is the only seam to the cluster (and the only thing a unit test has to fake).

import type {
  FindRef,
  MetadataPolicy,
  ProviderSpec,
  SecretKeySelector,
  ServiceAccountSelector,
  StoreCapabilities,
  StoreKind,
} from '../api/types.js';

/**
 * What a backend returns for one remote key, before property selection and decoding
 * (which are the same for every provider and live in src/secrets/).
 * - `bytes`: an opaque value (a string or binary secret); a `property` parses it as JSON.
 * - `map`: a structured value (Vault KV data, a Kubernetes Secret's data, tags); values are
 *   JSON values or raw bytes.
 */
export type RemoteValue =
  { kind: 'bytes'; data: Uint8Array } | { kind: 'map'; data: Record<string, unknown> };

/**
 * A request for one remote key. `property` is applied by the caller, not the provider, except
 * for providers that read it themselves (Provider.readsProperty): only those receive it.
 */
export interface RemoteKeyRef {
  key: string;
  version?: string;
  metadataPolicy?: MetadataPolicy;
  property?: string;
}

/** A whole Secret: its values decoded, and its labels. */
export interface SecretObject {
  data: Record<string, Uint8Array>;
  labels: Record<string, string>;
}

/** The store as a provider sees it: identity for caching and messages, and its spec. */
export interface StoreInfo {
  kind: StoreKind;
  name: string;
  /** The store's namespace; undefined for a ClusterSecretStore. */
  namespace?: string;
  /** The namespace of the ExternalSecret being served (credential lookups for ClusterSecretStore). */
  requesterNamespace: string;
  provider: ProviderSpec;
}

/** Cluster access granted to a provider, scoped by store kind (see src/controller/store/credentials.ts). */
export interface ProviderContext {
  /** Reads one key of a Secret. A SecretStore may only read its own namespace. */
  readSecretKey(selector: SecretKeySelector, what: string): Promise<Uint8Array>;
  /** Reads one key of a ConfigMap (CA bundles). */
  readConfigMapKey(selector: SecretKeySelector, what: string): Promise<string>;
  /** A short-lived ServiceAccount token through the TokenRequest API. */
  requestServiceAccountToken(
    selector: ServiceAccountSelector,
    opts?: { audiences?: string[]; expirationSeconds?: number },
  ): Promise<string>;
  /** Reads a ServiceAccount's annotations (IRSA role ARN, workload identity ids). */
  readServiceAccountAnnotations(selector: ServiceAccountSelector): Promise<Record<string, string>>;
  /**
   * A whole Secret (data and labels), for providers that expose all of a Secret's keys (the
   * webhook's templates). The namespace rule of readSecretKey applies.
   */
  readSecret?(sel: { name?: string; namespace?: string }, what: string): Promise<SecretObject>;
  /**
   * Renders a Go template with ESO's engine and functions over `data` (Go's default for a
   * missing key). Throws ProviderError InvalidProviderConfig naming `name`, never a value.
   */
  renderTemplate?(name: string, text: string, data: unknown): string;
  /**
   * Throws ProviderError InvalidProviderConfig when `url` is plain http:// and the operator was
   * not started with --allow-insecure-credentials (src/providers/tls.ts). Call it before any
   * request that carries a credential to `url`, and before minting a token for one.
   */
  requireTls(url: string, what: string): void;
  /** Aborted when the operator stops or the client is evicted. */
  signal: AbortSignal;
}

// ---- the write side (PushSecret) ----

/** Where a push writes: one remote secret, or one property of its JSON object. */
export interface PushRef {
  remoteKey: string;
  /** Set: only this property of the remote JSON object changes; the other properties stay. */
  property?: string;
}

/**
 * What a push writes: one Secret key's bytes (`match.secretKey` set), or the whole Secret
 * (`secretKey` unset), which providers store as one JSON object of its keys, as ESO does.
 */
export type PushValue =
  { kind: 'bytes'; data: Uint8Array } | { kind: 'map'; data: Record<string, Uint8Array> };

export interface PushRequest {
  ref: PushRef;
  value: PushValue;
  /**
   * `data[].metadata` exactly as the user wrote it (any JSON, or undefined). Each provider
   * parses and validates its own shape; a shape it does not accept is ProviderError InvalidRequest.
   */
  metadata?: unknown;
  /**
   * The source Secret's type, labels and annotations, as plain data: the kubernetes provider
   * copies them to the Secret it writes (as ESO does); the others ignore them.
   */
  source?: { type?: string; labels: Record<string, string>; annotations: Record<string, string> };
  /**
   * Reads a key of a ConfigMap or Secret of the PushSecret's namespace (documents metadata
   * names, e.g. a resource policy); absent where nothing may be read.
   */
  readKey?: (kind: 'ConfigMap' | 'Secret', name: string, key: string) => Promise<string>;
}

/**
 * What a push did. `unchanged`: the remote already held the value and metadata, nothing was
 * written. Writes happen only when something differs (no new version per refresh).
 */
export type PushOutcome = 'created' | 'updated' | 'unchanged';

/** What a delete did. A remote that Syncret (or ESO) did not create is never deleted. */
export type DeleteOutcome = 'deleted' | 'absent' | 'not-owned';

/**
 * The write side of a backend. Every remote a push creates carries ESO's ownership marker
 * (the provider's docs name it), so a migration from ESO keeps working both ways. A remote
 * without the marker is never overwritten (ProviderError NotOwned) nor deleted.
 */
export interface SecretsWriter {
  push(req: PushRequest): Promise<PushOutcome>;
  /** Removes the remote secret (or only its property) if it carries the ownership marker. */
  delete(ref: PushRef): Promise<DeleteOutcome>;
  /** Whether the remote secret (with `property`: that property) exists, whoever owns it. */
  exists(ref: PushRef): Promise<boolean>;
}

export type ValidationResult =
  { result: 'Valid' } | { result: 'Unknown'; message: string } | { result: 'Error'; message: string };

/** A connected client for one store and identity; cached and shared between reconciles. */
export interface SecretsClient {
  /** Fetches one remote key. Throws ProviderError (reason NotFound, AccessDenied, ...). */
  getSecret(ref: RemoteKeyRef): Promise<RemoteValue>;
  /** Lists the remote keys matching `find`, with their values. Optional capability. */
  findSecrets?(find: FindRef): Promise<Map<string, RemoteValue>>;
  /** Checks the backend answers with these credentials. */
  validate(): Promise<ValidationResult>;
  /** Releases connections, revokes tokens. */
  close(): Promise<void>;
  /** The write side (PushSecret); undefined for a backend Syncret only reads. */
  readonly writer?: SecretsWriter;
  /** When set (ms since epoch), the client cache drops this client then (short-lived credentials). */
  readonly expiresAt?: number;
}

export interface Provider {
  /** The key under spec.provider, e.g. 'fake', 'kubernetes', 'vault'. */
  readonly name: string;
  readonly capabilities: StoreCapabilities;
  /**
   * The provider reads remoteRef.property itself (the webhook's templates and JSONPath): it
   * gets it in RemoteKeyRef and its answer is the selected value, so the caller applies none.
   */
  readonly readsProperty?: boolean;
  /**
   * Static checks of the store spec, without I/O. Returns a message a user can act on,
   * or undefined when the spec is acceptable.
   */
  validateSpec(store: StoreInfo): string | undefined;
  /** Builds a client. Credentials are read through ctx; may throw ProviderError. */
  connect(store: StoreInfo, ctx: ProviderContext): Promise<SecretsClient>;
  /**
   * What makes two clients of this provider interchangeable (besides the store itself),
   * e.g. the requester namespace when credentials are namespace-relative.
   */
  cacheScope?(store: StoreInfo): string;
}
