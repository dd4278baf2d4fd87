// Syncret's own small Kubernetes REST layer. The operator must control watch streams,
// client-side QPS, 429 handling and server-side apply exactly, which its generated client and
// informer make hard. This file holds the verbs; the parts live beside it:
//   transport.ts   connection pools and credentials      request.ts     one attempt and its retries
//   retry.ts       what is retried, after how long        ratelimit.ts   the client-side token bucket
//   watchstream.ts watch streams                         status.ts      metav1.Status → KubeApiError
//   paths.ts       REST paths                             kubeconfig.ts  kubeconfig and in-cluster config

import type { KubeObject } from '../api/types.js';
import type { ClusterConfig } from './cluster.js';
import { inClusterConfig, loadKubeconfigFiles } from './kubeconfig.js';
import { collectionPath, objectPath, resourceLabel, resourcePath } from './paths.js';
import { TokenBucket } from './ratelimit.js';
import { Requester } from './request.js';
import type { KubeRequestInfo } from './request.js';
import { apiVersionOf } from './resources.js';
import { RetryPolicy } from './retry.js';
import { makeTransport } from './transport.js';
import type { Transport } from './transport.js';
import type {
  ApiResourceList,
  ApplyOptions,
  KubeApi,
  KubeLogger,
  ListOptions,
  ListResult,
  ObjectRef,
  ResourceType,
  WatchEvent,
  WatchOptions,
} from './types.js';
import { watchStream } from './watchstream.js';

export type { KubeRequestInfo, KubeVerb } from './request.js';

export interface KubeClientOptions {
  /** Sustained client-side request rate (token bucket). Default 50; <= 0 disables limiting. */
  qps?: number;
  /** Bucket size: requests allowed at once before qps applies. Default 100. */
  burst?: number;
  userAgent?: string;
  /**
   * Per attempt: the longest wait for the response headers, and for each next part of the body
   * (not applied to watch bodies). Default 30 s.
   */
  timeoutMs?: number;
  /** Retries of 429 / Retry-After answers and of transient failures. Default 5. */
  maxRetries?: number;
  /** A longer Retry-After is not waited for: the error goes back to the caller. Default 10. */
  maxRetryAfterSeconds?: number;
  /** Connections of the pool for ordinary requests (watches have their own). Default 32. */
  connections?: number;
  onRequest?: (info: KubeRequestInfo) => void;
  logger?: KubeLogger;
}

export interface CreateKubeClientOptions extends KubeClientOptions {
  /** A kubeconfig file; without it: in-cluster config when running in a pod, else the default kubeconfig. */
  kubeconfigPath?: string;
}

const DEFAULTS = {
  qps: 50,
  burst: 100,
  timeoutMs: 30_000,
  maxRetries: 5,
  maxRetryAfterSeconds: 10,
  connections: 32,
} as const;

/**
 * The request pool for `workers` reconciles that each wait on one request at a time: one
 * connection per worker plus room for Events and the lease. A smaller pool would cap in-flight
 * writes below the workers (measured: 64 workers on 32 connections ran no faster than 32).
 */
export function connectionsForWorkers(workers: number): number {
  return Math.max(DEFAULTS.connections, workers + 8);
}

export class KubeClient implements KubeApi {
  private readonly r: Requester;
  private readonly ownsTransport: boolean;

  constructor(cfg: ClusterConfig, opts: KubeClientOptions = {}, shared?: Transport) {
    const transport =
      shared ??
      makeTransport(cfg, {
        connections: opts.connections ?? DEFAULTS.connections,
        timeoutMs: opts.timeoutMs ?? DEFAULTS.timeoutMs,
      });
    this.ownsTransport = !shared;
    this.r = new Requester({
      transport,
      limiter: new TokenBucket(opts.qps ?? DEFAULTS.qps, opts.burst ?? DEFAULTS.burst),
      retry: new RetryPolicy({
        maxRetries: opts.maxRetries ?? DEFAULTS.maxRetries,
        maxRetryAfterSeconds: opts.maxRetryAfterSeconds ?? DEFAULTS.maxRetryAfterSeconds,
      }),
      timeoutMs: Math.max(1, Math.ceil(opts.timeoutMs ?? DEFAULTS.timeoutMs)),
      userAgent: opts.userAgent ?? 'syncret',
      onRequest: opts.onRequest,
      logger: opts.logger,
    });
  }

  /** For another cluster's apiserver (bearer token or client certificate). */
  static fromConfig(cfg: ClusterConfig, opts: KubeClientOptions = {}): KubeClient {
    return new KubeClient(cfg, opts);
  }

  /**
   * A client on the same connections and credentials with its own rate limit, so that
   * e.g. lease renewals never queue behind a burst of reconciles.
   */
  withRateLimit(qps: number, burst: number): KubeClient {
    const o = this.r.o;
    return new KubeClient(
      { server: o.transport.origin },
      {
        qps,
        burst,
        timeoutMs: o.timeoutMs,
        maxRetries: o.retry.limits.maxRetries,
        maxRetryAfterSeconds: o.retry.limits.maxRetryAfterSeconds,
        userAgent: o.userAgent,
        onRequest: o.onRequest,
        logger: o.logger,
      },
      o.transport,
    );
  }

  /** Closes the connection pools (for clients of other clusters, when they are dropped). */
  async close(): Promise<void> {
    if (!this.ownsTransport) return;
    await Promise.all([this.r.transport.agent.close(), this.r.transport.watchAgent.close()]);
  }

  // ------------------------------------------------------------ KubeApi

  async get<T extends KubeObject>(ref: ObjectRef, signal?: AbortSignal): Promise<T> {
    return this.r.call<T>({
      verb: 'get',
      method: 'GET',
      resource: resourceLabel(ref.type, ref.subresource),
      path: objectPath(ref),
      signal,
      idempotent: true,
    });
  }

  async discover(groupVersion: string, signal?: AbortSignal): Promise<ApiResourceList> {
    return this.r.call<ApiResourceList>({
      verb: 'get',
      method: 'GET',
      resource: 'discovery',
      path: groupVersion.includes('/') ? `/apis/${groupVersion}` : `/api/${groupVersion}`,
      signal,
      idempotent: true,
    });
  }

  async list<T extends KubeObject>(type: ResourceType, opts: ListOptions = {}): Promise<ListResult<T>> {
    const res = await this.r.call<{
      metadata?: { resourceVersion?: string; continue?: string };
      items?: T[] | null;
    }>({
      verb: 'list',
      method: 'GET',
      resource: type.resource,
      path: resourcePath(type, opts.namespace),
      query: {
        labelSelector: opts.labelSelector || undefined,
        fieldSelector: opts.fieldSelector || undefined,
        limit: opts.limit || undefined,
        continue: opts.continue || undefined,
        resourceVersion: opts.resourceVersion,
        resourceVersionMatch: opts.resourceVersionMatch,
      },
      signal: opts.signal,
      idempotent: true,
    });
    // List items come without apiVersion/kind; consumers (and SSA bodies built from them) want them.
    const apiVersion = apiVersionOf(type);
    const items = res.items ?? [];
    for (const item of items) {
      item.apiVersion ??= apiVersion;
      item.kind ??= type.kind;
    }
    return {
      items,
      resourceVersion: res.metadata?.resourceVersion ?? '',
      continue: res.metadata?.continue || undefined,
    };
  }

  async create<T extends KubeObject>(ref: ObjectRef, body: unknown, signal?: AbortSignal): Promise<T> {
    // POST goes to the collection, or to a named object's subresource (e.g. serviceaccounts/x/token).
    const path = ref.subresource ? objectPath(ref) : collectionPath(ref);
    return this.r.call<T>({
      verb: 'create',
      method: 'POST',
      resource: resourceLabel(ref.type, ref.subresource),
      path,
      body,
      contentType: 'application/json',
      signal,
      idempotent: false,
    });
  }

  /** Server-side apply; `force` defaults to true (Syncret owns the fields it writes). */
  async apply<T extends KubeObject>(ref: ObjectRef, body: unknown, opts: ApplyOptions): Promise<T> {
    if (!opts.fieldManager) throw new TypeError('server-side apply needs a fieldManager');
    const full =
      body && typeof body === 'object' && !Array.isArray(body)
        ? { apiVersion: apiVersionOf(ref.type), kind: ref.type.kind, ...(body as Record<string, unknown>) }
        : body;
    return this.r.call<T>({
      verb: 'apply',
      method: 'PATCH',
      resource: resourceLabel(ref.type, ref.subresource),
      path: objectPath(ref),
      query: { fieldManager: opts.fieldManager, force: (opts.force ?? true) || undefined },
      // JSON is valid YAML; the apiserver accepts it under the apply content type.
      body: full,
      contentType: 'application/apply-patch+yaml',
      signal: opts.signal,
      idempotent: true,
    });
  }

  async mergePatch<T extends KubeObject>(ref: ObjectRef, patch: unknown, signal?: AbortSignal): Promise<T> {
    return this.r.call<T>({
      verb: 'patch',
      method: 'PATCH',
      resource: resourceLabel(ref.type, ref.subresource),
      path: objectPath(ref),
      body: patch,
      contentType: 'application/merge-patch+json',
      signal,
      idempotent: true,
    });
  }

  async replace<T extends KubeObject>(ref: ObjectRef, body: unknown, signal?: AbortSignal): Promise<T> {
    return this.r.call<T>({
      verb: 'update',
      method: 'PUT',
      resource: resourceLabel(ref.type, ref.subresource),
      path: objectPath(ref),
      body,
      contentType: 'application/json',
      signal,
      // A repeat after an unknown outcome fails with 409 on the stale resourceVersion.
      idempotent: true,
    });
  }

  async delete(ref: ObjectRef, opts: { preconditionUid?: string; signal?: AbortSignal } = {}): Promise<void> {
    await this.r.call<unknown>({
      verb: 'delete',
      method: 'DELETE',
      resource: resourceLabel(ref.type, ref.subresource),
      path: objectPath(ref),
      body: {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        propagationPolicy: 'Background',
        ...(opts.preconditionUid ? { preconditions: { uid: opts.preconditionUid } } : {}),
      },
      contentType: 'application/json',
      signal: opts.signal,
      idempotent: true,
    });
  }

  watch<T extends KubeObject>(type: ResourceType, opts: WatchOptions): AsyncIterable<WatchEvent<T>> {
    return watchStream<T>(this.r, type, opts);
  }
}

/**
 * The operator's own client: `kubeconfigPath` if given, else the in-cluster config when
 * running in a pod, else the default kubeconfig ($KUBECONFIG or ~/.kube/config).
 */
export async function createKubeClient(opts: CreateKubeClientOptions = {}): Promise<KubeClient> {
  const cfg = opts.kubeconfigPath
    ? loadKubeconfigFiles([opts.kubeconfigPath])
    : process.env.KUBERNETES_SERVICE_HOST
      ? inClusterConfig()
      : loadKubeconfigFiles();
  return new KubeClient(cfg, opts);
}
