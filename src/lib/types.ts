// The library's public types: what an application passes to openStore and gets back. Every
// type here is spelled out (no `any`), and the provider blocks are the SecretStore's own
// (`spec.provider`), so a store an app opens is written as the operator reads it.

import type { ProviderSpec, StoreKind } from '../api/types.js';

export type { ProviderSpec, StoreKind };

/** A store: its provider block, or a whole SecretStore / ClusterSecretStore manifest. */
export type StoreSpecLike =
  | { provider: ProviderSpec; kind?: StoreKind; name?: string; namespace?: string }
  | {
      kind: StoreKind;
      metadata?: { name?: string; namespace?: string };
      spec: { provider: ProviderSpec };
    };

/** Gives the workload's token for these audiences (undefined: whatever the token is). */
export type TokenProvider = (audiences: readonly string[] | undefined) => string | Promise<string>;

/**
 * Where the store's auth finds credentials. A provider block holds references to credentials
 * (a ServiceAccount, a Secret key), never credentials; outside the operator these name the
 * workload's own token and key files or values given here.
 */
export interface OpenStoreOptions {
  /** The workload's token (Vault kubernetes/jwt auth, IRSA, workload identity): a function. */
  token?: TokenProvider;
  /** The token in a file, read at every login (a projected ServiceAccount token is rotated). */
  tokenFile?: string;
  /** Token files per audience, when the store asks for one with an audience. */
  tokenFiles?: Readonly<Record<string, string>>;
  /**
   * The workload's ServiceAccount: its namespace (a SecretStore's references resolve there) and
   * the annotations IRSA and workload identity read. The token is the workload's own whatever
   * name the provider block gives (the backend's role decides what that identity may read).
   */
  serviceAccount?: {
    namespace?: string;
    annotations?: Readonly<Record<string, string>>;
  };
  /**
   * Secret keys the provider block references (tokenSecretRef, secretRef, ...): `{ name: { key:
   * value } }`. Checked before secretsDir.
   */
  secrets?: Readonly<Record<string, Readonly<Record<string, string | Uint8Array>>>>;
  /** The same as files `<dir>/<name>/<key>` (a Secret volume's layout). */
  secretsDir?: string;
  /** Let credentials go to http:// servers (test setups only). */
  allowInsecureCredentials?: boolean;
  /** Aborts logins and reads in flight. */
  signal?: AbortSignal;
}

/** Which version and part of a remote secret to read. */
export interface ReadOptions {
  /** The provider's version (Vault KV v2 version, AWS version stage or id, ...). */
  version?: string;
}

export interface GetOptions extends ReadOptions {
  /** A field of the secret (`a.b` walks nested JSON, as an ExternalSecret's remoteRef.property). */
  property?: string;
}

/** A lease's state, given to the renewal callbacks. */
export interface LeaseState {
  readonly leaseId: string;
  /** Seconds, as Vault last granted. */
  readonly leaseDuration: number;
  readonly renewable: boolean;
  readonly expiresAt: Date;
}

export interface CredentialsOptions {
  /** `k=v` parameters: a write (PUT) instead of a read, e.g. a PKI issue's common_name. */
  params?: Readonly<Record<string, string>>;
  /** The lease was extended (at 2/3 of its duration). */
  onRenew?: (lease: LeaseState) => void;
  /**
   * The lease could not be extended enough (its max TTL is near) or not at all: new
   * credentials were read, `data` holds them now. The old lease ends at its TTL (or at close).
   */
  onRotate?: (credentials: DynamicCredentials) => void;
  /** Renewal or rotation failed; retried with backoff while the lease lasts. */
  onError?: (error: Error) => void;
}

/** Credentials with a lease (Vault/OpenBao dynamic engines), kept alive until released. */
export interface DynamicCredentials extends LeaseState {
  /** The current fields (e.g. username, password); replaced on rotation. */
  readonly data: Readonly<Record<string, string>>;
  /** Stops renewing and revokes the lease (and the leases it replaced). */
  release(): Promise<void>;
}

export interface Store {
  /** The provider's key in the block (vault, aws, azurekv, ...). */
  readonly provider: string;
  /** One value: the whole secret as text, or one property of it. */
  get(key: string, options?: GetOptions): Promise<string>;
  /** The same as bytes (binary secrets). */
  getBytes(key: string, options?: GetOptions): Promise<Uint8Array>;
  /** Every top-level field of a secret (a JSON object or a provider's map), nested ones as JSON. */
  getSecret(key: string, options?: ReadOptions): Promise<Record<string, string>>;
  /** Dynamic credentials at an API path (`database/creds/app`); Vault and OpenBao stores only. */
  credentials(path: string, options?: CredentialsOptions): Promise<DynamicCredentials>;
  /** Releases every lease (revoked), then the store's own login (a Vault token is revoked). */
  close(): Promise<void>;
}
