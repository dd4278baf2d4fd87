// ClusterExternalSecrets and ClusterPushSecrets in sharded mode (docs/OPERATIONS.md,
// "Sharding"): their reconcile needs every child in the cluster, and a replica's sharded caches
// hold only its share, so they run on one replica only, the shard assigner (the leader election
// winner), with caches of their own over the whole cluster. A term starts when the replica
// becomes assigner and ends when the role's signal aborts (lost, or the operator stops); each
// term has its own caches, queues and watches, all dropped at its end. A term ends within
// `drainMs` (in-flight runs are aborted after it), which the caller keeps below
// leaseDuration − renewDeadline: the next assigner cannot start before, so two replicas never
// write children at once for longer than the leader election itself allows.
//
// The children it creates are labelled by the assigner like any other object and reconciled by
// the replica that owns their namespace.

import type {
  ClusterExternalSecret,
  ClusterPushSecret,
  ExternalSecret,
  KubeObject,
  Namespace,
  PushSecret,
} from '../api/types.js';
import {
  CLUSTER_EXTERNAL_SECRETS,
  CLUSTER_PUSH_SECRETS,
  EXTERNAL_SECRETS,
  NAMESPACES,
  PUSH_SECRETS,
} from '../kube/resources.js';
import type { KubeApi, ResourceType } from '../kube/types.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { ObjectCache } from '../runtime/cache.js';
import { Interner } from '../runtime/intern.js';
import type { Reflector } from '../runtime/watch.js';
import { CES_FANOUT } from './clusterexternalsecret/children.js';
import { CPS_FANOUT } from './clusterpushsecret/controller.js';
import { fanoutChildTransform } from './fanout/cache.js';
import { anyCache, fanoutControllers } from './fanout-controllers.js';
import type { FanoutPart, FanoutQueue } from './fanout-controllers.js';

export interface AssignerFanoutOptions {
  api: KubeApi;
  logger: Logger;
  metrics: Metrics;
  minRefreshIntervalMs: number;
  /** A cluster-wide reflector of `type`; `transform` replaces the default one when given. */
  reflector<T extends KubeObject>(type: ResourceType, transform?: (o: T) => T): Reflector<T>;
  queue: FanoutQueue;
  /** The operator's: aborted when it stops. */
  signal: AbortSignal;
}

interface Term {
  abort: AbortController;
  caches: ObjectCache<KubeObject>[];
  parts: FanoutPart[];
  /** Its stop, once asked for. */
  ended?: Promise<void>;
}

export class AssignerFanout {
  /** Terms start and end in order: a new term's writes never overlap the previous one's drain. */
  private chain: Promise<void> = Promise.resolve();
  private current?: Term;
  private closed = false;

  constructor(private readonly o: AssignerFanoutOptions) {}

  /** Whether a term is running (its caches and controllers started). */
  get serving(): boolean {
    return this.current !== undefined;
  }

  /** Runs the fan-out controllers until `role` aborts; then they drain for at most `drainMs`. */
  serve(role: AbortSignal, drainMs: number): void {
    if (this.closed || role.aborted) return;
    const term = this.build();
    role.addEventListener('abort', () => void this.end(term, drainMs, 'no longer the shard assigner'), {
      once: true,
    });
    this.chain = this.chain.then(() => this.begin(term));
  }

  /** The operator stops: the running term ends, and no new one starts. */
  async stop(drainMs: number): Promise<void> {
    this.closed = true;
    if (this.current) await this.end(this.current, drainMs, 'the operator stops');
    await this.chain;
  }

  private build(): Term {
    const o = this.o;
    const abort = new AbortController();
    const signal = AbortSignal.any([o.signal, abort.signal]);
    const interner = new Interner();
    const namespaces = new ObjectCache<Namespace>([o.reflector<Namespace>(NAMESPACES)]);
    const ces = new ObjectCache<ClusterExternalSecret>([
      o.reflector<ClusterExternalSecret>(CLUSTER_EXTERNAL_SECRETS),
    ]);
    const externalSecrets = new ObjectCache<ExternalSecret>([
      o.reflector<ExternalSecret>(EXTERNAL_SECRETS, fanoutChildTransform(CES_FANOUT, interner)),
    ]);
    const cps = new ObjectCache<ClusterPushSecret>([o.reflector<ClusterPushSecret>(CLUSTER_PUSH_SECRETS)]);
    const pushSecrets = new ObjectCache<PushSecret>([
      o.reflector<PushSecret>(PUSH_SECRETS, fanoutChildTransform(CPS_FANOUT, interner)),
    ]);
    return {
      abort,
      caches: [namespaces, ces, externalSecrets, cps, pushSecrets].map(anyCache),
      // Not the parents' caches: a cluster without one of the CRDs must still serve the other.
      // The children's are: planned against a partial list, a child that exists would be
      // created again, refused, and reported as a conflict (FanoutPart.needs).
      parts: fanoutControllers({
        api: o.api,
        logger: o.logger,
        metrics: o.metrics,
        minRefreshIntervalMs: o.minRefreshIntervalMs,
        signal,
        caches: {
          namespaces,
          externalSecrets,
          pushSecrets,
          clusterExternalSecrets: ces,
          clusterPushSecrets: cps,
        },
        queue: o.queue,
      }),
    };
  }

  private begin(term: Term): void {
    if (term.abort.signal.aborted || this.closed) return;
    this.current = term;
    for (const c of term.caches) c.start();
    const signal = term.abort.signal;
    for (const part of term.parts)
      void Promise.all(part.needs.map((c) => c.waitForSync(signal))).then(
        () => {
          if (signal.aborted) return;
          part.controller.start();
          this.o.logger.info(
            {
              controller: part.controller.name,
              parents: part.parents.size,
              children: part.needs[1]?.size,
              namespaces: part.needs[0]?.size,
            },
            'fan-out controller started on the shard assigner',
          );
        },
        () => undefined,
      );
  }

  private end(term: Term, drainMs: number, why: string): Promise<void> {
    if (term.ended) return term.ended;
    term.abort.abort(new Error(why));
    const ended = this.chain.then(async () => {
      await Promise.all(term.parts.map((p) => p.controller.stop(drainMs)));
      await Promise.all(term.caches.map((c) => c.stop()));
      if (this.current === term) {
        this.current = undefined;
        this.o.logger.info({ why, drainMs }, 'fan-out controllers stopped on the shard assigner');
      }
    });
    term.ended = ended;
    this.chain = ended;
    return ended;
  }
}
