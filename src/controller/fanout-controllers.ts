// The two fan-out kinds' controllers (ClusterExternalSecret, ClusterPushSecret), built one way
// for both places that run them: the manager on every replica when not sharded, and the shard
// assigner's term (./assigner-fanout.ts) on caches of its own when sharded.

import type {
  ClusterExternalSecret,
  ClusterPushSecret,
  ExternalSecret,
  KubeObject,
  Namespace,
  PushSecret,
} from '../api/types.js';
import type { KubeApi } from '../kube/types.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { ObjectCache } from '../runtime/cache.js';
import type { Controller } from '../runtime/controller.js';
import type { WorkQueueOptions } from '../runtime/queue.js';
import { clusterExternalSecretController } from './clusterexternalsecret/controller.js';
import { clusterPushSecretController } from './clusterpushsecret/controller.js';

export type FanoutQueueOptions = Omit<WorkQueueOptions<string>, 'handler' | 'autoStart'>;

/** A fan-out controller's queue settings, asked for only when that controller is built. */
export type FanoutQueue = (controller: 'clusterexternalsecret' | 'clusterpushsecret') => FanoutQueueOptions;

export interface FanoutControllerOptions {
  api: KubeApi;
  logger: Logger;
  metrics: Metrics;
  minRefreshIntervalMs?: number;
  signal: AbortSignal;
  caches: {
    namespaces: ObjectCache<Namespace>;
    externalSecrets: ObjectCache<ExternalSecret>;
    pushSecrets: ObjectCache<PushSecret>;
    /** Absent: that kind's CRD is not served (or the operator is namespaced). */
    clusterExternalSecrets?: ObjectCache<ClusterExternalSecret>;
    clusterPushSecrets?: ObjectCache<ClusterPushSecret>;
  };
  queue: FanoutQueue;
}

/** One fan-out controller, the parents it serves and the caches its first run needs synced. */
export interface FanoutPart {
  controller: Controller<KubeObject, unknown>;
  parents: ObjectCache<KubeObject>;
  needs: ObjectCache<KubeObject>[];
}

/** A typed cache as the kind-agnostic one the term's start and stop handle. */
export const anyCache = (c: unknown): ObjectCache<KubeObject> => c as ObjectCache<KubeObject>;

/** A controller for each fan-out kind whose parents' cache is given. */
export function fanoutControllers(o: FanoutControllerOptions): FanoutPart[] {
  const { caches, queue, ...common } = o;
  const parts: FanoutPart[] = [];
  const ces = caches.clusterExternalSecrets;
  if (ces)
    parts.push({
      controller: clusterExternalSecretController({
        ...common,
        caches: {
          clusterExternalSecrets: ces,
          externalSecrets: caches.externalSecrets,
          namespaces: caches.namespaces,
        },
        queue: queue('clusterexternalsecret'),
      }) as unknown as Controller<KubeObject, unknown>,
      parents: anyCache(ces),
      needs: [anyCache(caches.namespaces), anyCache(caches.externalSecrets)],
    });
  const cps = caches.clusterPushSecrets;
  if (cps)
    parts.push({
      controller: clusterPushSecretController({
        ...common,
        caches: { clusterPushSecrets: cps, pushSecrets: caches.pushSecrets, namespaces: caches.namespaces },
        queue: queue('clusterpushsecret'),
      }) as unknown as Controller<KubeObject, unknown>,
      parents: anyCache(cps),
      needs: [anyCache(caches.namespaces), anyCache(caches.pushSecrets)],
    });
  return parts;
}
