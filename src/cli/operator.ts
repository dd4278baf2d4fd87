// `syncret run`: the operator. Its parts (API client, Events, controllers, HTTP endpoints),
// leader election and a graceful stop.

import { hostname } from 'node:os';
import type { RunOptions } from '../config/options.js';
import { Manager } from '../controller/manager.js';
import type { KubeClient } from '../kube/client.js';
import { connectionsForWorkers, createKubeClient } from '../kube/client.js';
import { LeaderElector } from '../kube/leader.js';
import { EventRecorder } from '../observability/events.js';
import { createLogger } from '../observability/logger.js';
import { Metrics } from '../observability/metrics.js';
import { startHttpServer } from '../observability/server.js';
import { QuietGc } from '../runtime/quiet-gc.js';
import { enableCostPacing } from '../secrets/template/index.js';
import { VERSION } from '../version.js';
import { defaultGenerators, defaultRegistry } from './registry.js';
import { shardGate, startSharding } from './sharding.js';
import type { Sharding } from './sharding.js';
import { runtimeSettings } from './runtime-settings.js';

/** The operator's parts: API client, Events, the controllers and the HTTP endpoints. */
async function assemble(opts: RunOptions) {
  // Many ExternalSecrets render in this one process: their key generation shares one pace.
  enableCostPacing();
  const logger = createLogger({ level: opts.logLevel, format: opts.logFormat });
  const metrics = new Metrics({ version: VERSION, perObject: opts.metricsPerObject });
  const api = await createKubeClient({
    kubeconfigPath: opts.kubeconfig,
    qps: opts.kubeQps,
    burst: opts.kubeBurst,
    connections: connectionsForWorkers(opts.concurrency),
    userAgent: `syncret/${VERSION}`,
    onRequest: (info) => metrics.kubeRequest(info.verb, info.resource, info.code, info.seconds),
  });
  // Events yield to the reconciles' writes; the manager that knows the backlog comes next.
  let backlogged = (): boolean => false;
  const gate = opts.sharding ? shardGate() : undefined;
  const events = new EventRecorder({
    api,
    logger,
    onDropped: (why) => metrics.eventDropped(why),
    busy: () => backlogged(),
  });
  const manager = new Manager({
    api,
    registry: defaultRegistry(metrics),
    logger,
    metrics,
    events,
    namespaces: opts.namespaces,
    concurrency: opts.concurrency,
    controllerClass: opts.controllerClass,
    fieldManager: opts.fieldManager,
    maxErrorBackoffMs: opts.requeueOnErrorMaxMs,
    minRefreshIntervalMs: opts.minRefreshIntervalMs,
    providerBudget: { qps: opts.providerQps, burst: opts.providerBurst },
    storeRevalidateMs: opts.storeRequeueIntervalMs,
    leaseRevokeTimeoutMs: opts.leaseRevokeTimeoutMs,
    allowInsecureCredentials: opts.allowInsecureCredentials,
    allowGenericTargets: opts.allowGenericTargets,
    generators: defaultGenerators(metrics, opts.allowInsecureCredentials),
    rollout: opts.rolloutRestarts
      ? {
          reloaderAnnotations: opts.reloaderAnnotations,
          debounceMs: opts.rolloutRestartDebounceMs,
          perMinute: opts.rolloutRestartsPerMinute,
        }
      : undefined,
    shard: gate,
  });
  backlogged = () => manager.backlogged();
  return { logger, metrics, api, events, manager, gate };
}

/**
 * V8's collector as --expose-gc exposes it, in its "last resort" flavour: a full collection that
 * also compacts and gives the freed pages back (a plain gc() freed the objects and kept the
 * pages: heap total and RSS did not move).
 */
function lastResortGc(): (() => void) | undefined {
  const gc = (globalThis as { gc?: (o?: { type: string; flavor: string }) => void }).gc;
  return gc && (() => gc({ type: 'major', flavor: 'last-resort' }));
}

export async function run(opts: RunOptions): Promise<void> {
  const { logger, metrics, api, events, manager, gate } = await assemble(opts);
  const state: {
    leading: boolean;
    broken: boolean;
    stopping: boolean;
    elector?: LeaderElector;
    sharding?: Sharding;
  } = {
    // Sharded, every replica is active.
    leading: !opts.leaderElect || opts.sharding,
    broken: false,
    stopping: false,
  };
  const server = await startHttpServer({
    address: opts.metricsAddr,
    metrics,
    logger,
    health: {
      live: () => !state.broken,
      // A standby replica is ready: it serves health and takes over when the leader goes.
      ready: () =>
        !state.leading ? true : manager.hasSynced() ? true : { ok: false, detail: 'caches not synced' },
    },
  });
  // Gives a burst's garbage back once the work stops (src/runtime/quiet-gc.ts).
  const quietGc = new QuietGc({
    work: () => manager.reconciles(),
    gc: lastResortGc(),
    onCollect: (ms) => logger.debug({ ms: Math.round(ms) }, 'collected garbage after a burst of work'),
  });
  logger.info(
    { version: VERSION, address: server.address, namespaces: opts.namespaces, runtime: runtimeSettings() },
    'syncret started',
  );

  const shutdown = async (signal: string, code = 0): Promise<void> => {
    if (state.stopping) return;
    state.stopping = true;
    logger.info({ signal }, 'shutting down');
    const hardStop = setTimeout(() => process.exit(code || 1), 20_000);
    hardStop.unref();
    quietGc.stop();
    try {
      await manager.stop();
      await events.close();
      // After the drain: the share moves once this replica's runs finished.
      await state.sharding?.stop();
      await state.elector?.stop();
      await server.close();
    } catch (e) {
      logger.error({ err: e }, 'error during shutdown');
    }
    process.exit(code);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('unhandledRejection', (e) => {
    // A bug must not take down every sync: log it and keep serving.
    logger.error({ err: e }, 'unhandled rejection');
  });

  const startManager = async (): Promise<void> => {
    metrics.setLeader(true);
    try {
      await manager.start();
    } catch (e) {
      if (state.stopping) return;
      state.broken = true;
      logger.error({ err: e }, 'controller failed to start');
      await shutdown('start-failure', 1);
    }
  };
  if (gate) {
    const sharding = startSharding(opts, {
      api,
      logger,
      metrics,
      gate,
      // Others may take this share over once the Lease expires: stop before they can.
      onLost: () => void shutdown('lost-membership', 1),
      onAssigner: (role, drainMs) => manager.serveFanout(role, drainMs),
    });
    state.sharding = sharding;
    await sharding.ready;
    if (state.stopping) return;
    await manager.start().catch(async (e: unknown) => {
      if (state.stopping) return;
      state.broken = true;
      logger.error({ err: e }, 'controller failed to start');
      await shutdown('start-failure', 1);
    });
    return;
  }
  if (!opts.leaderElect) return startManager();
  state.elector = leaderElector(opts, api, logger, {
    started: () => {
      state.leading = true;
      void startManager();
    },
    // Another replica may already be writing: stop at once, as controller-runtime does.
    stopped: () => {
      metrics.setLeader(false);
      void shutdown('lost-leadership', 1);
    },
  });
  state.elector.start();
}

function leaderElector(
  opts: RunOptions,
  api: KubeClient,
  logger: ReturnType<typeof createLogger>,
  on: { started: () => void; stopped: () => void },
): LeaderElector {
  const identity = `${process.env.POD_NAME || hostname()}_${process.pid}`;
  logger.info(
    { identity, lease: `${opts.leaderElectionNamespace}/${opts.leaderElectionId}` },
    'waiting for leadership',
  );
  return new LeaderElector({
    // Its own rate limit: lease renewals must not queue behind a burst of reconciles.
    api: api.withRateLimit(5, 10),
    namespace: opts.leaderElectionNamespace,
    name: opts.leaderElectionId,
    identity,
    leaseDurationMs: opts.leaseDurationMs,
    renewDeadlineMs: opts.renewDeadlineMs,
    retryPeriodMs: opts.retryPeriodMs,
    logger,
    onStartedLeading: () => {
      logger.info({ identity }, 'became leader');
      on.started();
    },
    onStoppedLeading: () => {
      logger.warn({ identity }, 'lost leadership; exiting');
      on.stopped();
    },
  });
}
