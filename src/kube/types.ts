// The contract of Syncret's own small Kubernetes REST layer (implemented in ./client.ts).
// Reconcilers and the watch loop depend on this interface, so tests can fake it.

import type { KubeObject } from '../api/types.js';

export interface ResourceType {
  /** '' for the core group. */
  group: string;
  version: string;
  /** Plural resource name, e.g. 'secrets', 'externalsecrets'. */
  resource: string;
  namespaced: boolean;
  kind: string;
}

/** A discovery document (metav1.APIResourceList), the fields Syncret reads. */
export interface ApiResourceList {
  groupVersion?: string;
  resources?: { name: string; kind: string; namespaced: boolean; verbs?: string[] }[];
}

export interface ObjectRef {
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  signal?: AbortSignal;
}

export interface ListResult<T extends KubeObject> {
  items: T[];
  resourceVersion: string;
  continue?: string;
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion: string;
  /** Server-side watch timeout; the server closes the stream after it (randomize per call). */
  timeoutSeconds?: number;
  signal?: AbortSignal;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: WatchEventType;
  /** For ERROR events this is a metav1.Status (code 410 = Gone: relist). */
  object: T;
}

export interface ApplyOptions {
  fieldManager: string;
  force?: boolean;
  signal?: AbortSignal;
}

export interface KubeApi {
  get<T extends KubeObject>(ref: ObjectRef, signal?: AbortSignal): Promise<T>;
  list<T extends KubeObject>(type: ResourceType, opts?: ListOptions): Promise<ListResult<T>>;
  create<T extends KubeObject>(ref: ObjectRef, body: unknown, signal?: AbortSignal): Promise<T>;
  /** Server-side apply (application/apply-patch+yaml, sent as JSON). */
  apply<T extends KubeObject>(ref: ObjectRef, body: unknown, opts: ApplyOptions): Promise<T>;
  /** JSON merge patch (application/merge-patch+json). */
  mergePatch<T extends KubeObject>(ref: ObjectRef, patch: unknown, signal?: AbortSignal): Promise<T>;
  /** Full replace (PUT); fails with 409 Conflict on a stale resourceVersion. */
  replace<T extends KubeObject>(ref: ObjectRef, body: unknown, signal?: AbortSignal): Promise<T>;
  delete(ref: ObjectRef, opts?: { preconditionUid?: string; signal?: AbortSignal }): Promise<void>;
  /**
   * One watch stream. Ends when the server closes it, on abort, or throws on a transport
   * error. The caller (src/runtime/watch.ts) owns resumption and relisting.
   */
  watch<T extends KubeObject>(type: ResourceType, opts: WatchOptions): AsyncIterable<WatchEvent<T>>;
  /** Releases connection pools; call it when dropping a client of another cluster. */
  close?(): Promise<void>;
  /** The resources a group version serves (GET /api/v1 or /apis/GROUP/VERSION); see ./discovery.ts. */
  discover?(groupVersion: string, signal?: AbortSignal): Promise<ApiResourceList>;
}

/**
 * A non-2xx answer from the apiserver, with its metav1.Status fields.
 * `code` 0 means there was no usable HTTP answer; `reason` is then 'NetworkError' (connection
 * refused/reset, TLS failure), 'Timeout' (the client's per-request timeout), 'DecodeError'
 * (an unparseable body) or 'CredentialsError' (no token could be obtained). A request aborted by the caller's own signal rejects with the
 * signal's reason instead (an AbortError), never with a KubeApiError.
 */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
  get notFound(): boolean {
    return this.code === 404;
  }
  get conflict(): boolean {
    return this.code === 409;
  }
  get gone(): boolean {
    return this.code === 410;
  }
  /** No HTTP answer (network, timeout, decode): the request's outcome may be unknown. */
  get noResponse(): boolean {
    return this.code === 0;
  }
}

/** The logging surface the kube layer needs (a pino Logger satisfies it). */
export interface KubeLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export function isKubeApiError(e: unknown): e is KubeApiError {
  return e instanceof KubeApiError;
}
