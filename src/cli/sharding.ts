// `syncret run --sharding`: every replica reconciles its share (docs/OPERATIONS.md, "Sharding").
// Each replica renews its member Lease and follows the published assignment (ShardGate); the
// replica that wins the leader election Lease also runs the assigner and the fan-out kinds
// (onAssigner), and campaigns again if it loses it (its share keeps running: the label writes
// and the fan-out are the only things it stops).

import { hostname } from 'node:os';
import type { RunOptions } from '../config/options.js';
import { Assigner } from '../controller/shard/assigner.js';
import { ShardGate } from '../controller/shard/gate.js';
import type { KubeClient } from '../kube/client.js';
import { LeaderElector } from '../kube/leader.js';
import { Membership } from '../kube/membership.js';
import type { MembershipView } from '../kube/membership.js';
import { EXTERNAL_SECRETS, PUSH_SECRETS } from '../kube/resources.js';
import { shardName } from '../kube/shards.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';

export function replicaIdentity(): string {
  // A Pod name alone: a restarted container keeps its share (its objects keep their label).
  return process.env.POD_NAME || `${hostname()}_${process.pid}`;
}

export function shardGate(): ShardGate {
  return new ShardGate(shardName(replicaIdentity()));
}

export interface Sharding {
  /** Resolves once this replica accepted a published assignment: the manager may start. */
  ready: Promise<void>;
  /** Drain first (manager.stop), then this: the Lease goes, and the share moves at once. */
  stop(): Promise<void>;
}

export function startSharding(
  opts: RunOptions,
  deps: {
    api: KubeClient;
    logger: Logger;
    metrics: Metrics;
    gate: ShardGate;
    onLost: () => void;
    /**
     * This replica became the assigner: what runs only there (the fan-out kinds) runs until
     * `role` aborts, and must stop within `drainMs` after.
     */
    onAssigner?: (role: AbortSignal, drainMs: number) => void;
  },
): Sharding {
  const { gate, logger, metrics } = deps;
  // Its own rate limit, as the leader election's: renewals must not queue behind reconciles.
  const api = deps.api.withRateLimit(5, 10);
  const identity = replicaIdentity();
  const timing = {
    leaseDurationMs: opts.leaseDurationMs,
    renewDeadlineMs: opts.renewDeadlineMs,
    retryPeriodMs: opts.retryPeriodMs,
  };
  let assigner: Assigner | undefined;
  let accepting = Promise.resolve();
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const stopping = new AbortController();

  const follow = (view: MembershipView): void => {
    const { epoch, members } = view.assignment;
    accepting = accepting.then(async () => {
      if (epoch <= gate.epoch) return;
      await gate.accept(epoch, members, stopping.signal);
      if (stopping.signal.aborted) return;
      membership.ackDrained(epoch);
      metrics.setShardEpoch(epoch);
      logger.info({ shard: gate.shard, epoch, members }, 'accepted a shard assignment');
      markReady();
    });
  };
  const membership = new Membership({
    api,
    namespace: opts.leaderElectionNamespace,
    group: opts.leaderElectionId,
    shard: gate.shard,
    ...timing,
    logger,
    onView: (view) => {
      follow(view);
      assigner?.observe(view);
    },
    onLost: deps.onLost,
  });

  let elector: LeaderElector | undefined;
  const campaign = (): void => {
    if (stopping.signal.aborted) return;
    elector = new LeaderElector({
      api,
      namespace: opts.leaderElectionNamespace,
      name: opts.leaderElectionId,
      identity,
      ...timing,
      logger,
      onStartedLeading: (signal) => {
        logger.info({ identity }, 'became the shard assigner');
        metrics.setLeader(true);
        const a = new Assigner({
          api: deps.api,
          namespace: opts.leaderElectionNamespace,
          group: opts.leaderElectionId,
          identity,
          kinds: [EXTERNAL_SECRETS, PUSH_SECRETS],
          namespaces: opts.namespaces,
          logger,
          onRelabel: (kind, first) => metrics.shardRelabel(kind, first),
        });
        assigner = a;
        a.start();
        // Half the window between this replica giving up (renewDeadline) and another one
        // taking over (leaseDuration): the drain ends before the next assigner can start.
        deps.onAssigner?.(signal, Math.floor((opts.leaseDurationMs - opts.renewDeadlineMs) / 2));
        signal.addEventListener('abort', () => {
          if (assigner === a) assigner = undefined;
          void a.stop();
        });
      },
      onStoppedLeading: () => {
        metrics.setLeader(false);
        logger.warn({ identity }, 'lost the shard assigner lease; campaigning again');
        setTimeout(campaign, opts.retryPeriodMs).unref();
      },
    });
    elector.start();
  };

  metrics.setLeader(false);
  membership.start();
  campaign();
  logger.info({ shard: gate.shard, group: opts.leaderElectionId }, 'sharding: joining');
  return {
    ready,
    stop: async () => {
      stopping.abort();
      await elector?.stop();
      await assigner?.stop();
      await membership.stop();
    },
  };
}
