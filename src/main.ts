#!/usr/bin/env node
// The `syncret` command: `run` starts the operator; `render` prints the Secret an
// ExternalSecret would produce, offline; `version` and `help` print and exit.

import { hostname } from 'node:os';
import { RENDER_USAGE, RenderError, parseRenderArgs, render, secretYaml } from './cli/render.js';
import { parseCommandLine, usage, OptionsError } from './config/options.js';
import type { RunOptions } from './config/options.js';
import { Manager } from './controller/manager.js';
import { connectionsForWorkers, createKubeClient } from './kube/client.js';
import { LeaderElector } from './kube/leader.js';
import { EventRecorder } from './observability/events.js';
import { createLogger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { startHttpServer } from './observability/server.js';
import { fakeProvider } from './providers/fake/index.js';
import { kubernetesProvider } from './providers/kubernetes/index.js';
import { vaultProvider } from './providers/vault/index.js';
import { vaultDynamicSecretGenerator } from './providers/vault/generator.js';
import { lazyGenerator } from './providers/generator.js';
import { beyondtrustGenerator } from './providers/beyondtrust/generator.js';
import type { Generator } from './providers/generator.js';
import { localGenerators } from './providers/local/index.js';
import { webhookGenerator } from './providers/webhook/generator.js';
import { cloudsmithAccessTokenGenerator, quayAccessTokenGenerator } from './providers/tokens/exchange.js';
import { githubAccessTokenGenerator } from './providers/tokens/github.js';
import { gitlabDeployTokenGenerator } from './providers/tokens/gitlab.js';
import { grafanaGenerator } from './providers/tokens/grafana.js';
import { GENERATOR_RESOURCES } from './kube/resources.js';
import { ProviderRegistry, lazyProvider } from './providers/registry.js';
import { KubeClient } from './kube/client.js';
import { VERSION } from './version.js';

/**
 * Vault, Kubernetes and fake are small and loaded at start; the cloud SDKs (about 50 MiB of
 * memory together) are imported when the first store naming them is reconciled.
 */
export function defaultRegistry(metrics?: Metrics): ProviderRegistry {
  return new ProviderRegistry([
    fakeProvider,
    kubernetesProvider((cfg) => KubeClient.fromConfig(cfg)),
    vaultProvider({ onLogin: () => metrics?.providerLogin('vault') }),
    lazyProvider('aws', async () => (await import('./providers/aws/index.js')).awsProvider()),
    lazyProvider('azurekv', async () => (await import('./providers/azurekv/index.js')).azurekvProvider()),
    lazyProvider('gcpsm', async () => {
      const m = await import('./providers/gcpsm/index.js');
      return m.gcpsmProvider(m.gcpsmOptionsFromEnv(process.env));
    }),
  ]);
}

/**
 * Every generator kind of ESO 2.9: the local ones, Webhook and the token exchanges at start;
 * those needing a cloud SDK (AWS, Google, Azure) load it on first use.
 */
export function defaultGenerators(metrics?: Metrics, allowInsecureCredentials = false): Generator[] {
  const http = { allowPlainHttpCredentials: allowInsecureCredentials };
  let loaded: Promise<Generator[]> | undefined;
  const aws = (kind: 'ECRAuthorizationToken' | 'STSSessionToken') =>
    lazyGenerator(kind, GENERATOR_RESOURCES[kind], 'aws', async () => {
      loaded ??= import('./providers/aws/generators.js').then((m) => m.awsGenerators());
      return (await loaded).find((g) => g.kind === kind)!;
    });
  return [
    vaultDynamicSecretGenerator({ onLogin: () => metrics?.providerLogin('vault') }),
    ...localGenerators(),
    webhookGenerator(http),
    githubAccessTokenGenerator(http),
    quayAccessTokenGenerator(http),
    cloudsmithAccessTokenGenerator(http),
    gitlabDeployTokenGenerator(http),
    grafanaGenerator(http),
    aws('ECRAuthorizationToken'),
    aws('STSSessionToken'),
    lazyGenerator('ACRAccessToken', GENERATOR_RESOURCES.ACRAccessToken, 'azurekv', async () =>
      (await import('./providers/azurekv/registry.js')).acrAccessTokenGenerator(),
    ),
    lazyGenerator('GCRAccessToken', GENERATOR_RESOURCES.GCRAccessToken, 'gcpsm', async () => {
      const [registry, gcpsm] = await Promise.all([
        import('./providers/gcpsm/registry.js'),
        import('./providers/gcpsm/index.js'),
      ]);
      return registry.gcrAccessTokenGenerator(gcpsm.gcpsmOptionsFromEnv(process.env));
    }),
    beyondtrustGenerator(),
  ];
}

/** The operator's parts: API client, Events, the controllers and the HTTP endpoints. */
async function assemble(opts: RunOptions) {
  const logger = createLogger({ level: opts.logLevel, format: opts.logFormat });
  const metrics = new Metrics({ version: VERSION });
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
    generators: defaultGenerators(metrics, opts.allowInsecureCredentials),
  });
  backlogged = () => manager.backlogged();
  return { logger, metrics, api, events, manager };
}

async function run(opts: RunOptions): Promise<void> {
  const { logger, metrics, api, events, manager } = await assemble(opts);
  const state: { leading: boolean; broken: boolean; stopping: boolean; elector?: LeaderElector } = {
    leading: !opts.leaderElect,
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
  logger.info({ version: VERSION, address: server.address, namespaces: opts.namespaces }, 'syncret started');

  const shutdown = async (signal: string, code = 0): Promise<void> => {
    if (state.stopping) return;
    state.stopping = true;
    logger.info({ signal }, 'shutting down');
    const hardStop = setTimeout(() => process.exit(code || 1), 20_000);
    hardStop.unref();
    try {
      await manager.stop();
      await events.close();
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

async function renderCommand(argv: string[]): Promise<number> {
  try {
    const args = parseRenderArgs(argv);
    if (args === 'help') {
      process.stdout.write(RENDER_USAGE);
      return 0;
    }
    const secret = await render(args, defaultRegistry());
    process.stdout.write(secretYaml(secret, args.decoded));
    return 0;
  } catch (e) {
    if (e instanceof RenderError) {
      console.error(`syncret render: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'render') return renderCommand(argv.slice(1));
  let cmd;
  try {
    cmd = parseCommandLine(argv, process.env);
  } catch (e) {
    if (e instanceof OptionsError) {
      console.error(`syncret: ${e.message}\nRun 'syncret help' for usage.`);
      return 2;
    }
    throw e;
  }
  if (cmd.command === 'version') {
    process.stdout.write(`syncret ${VERSION}\n`);
    return 0;
  }
  if (cmd.command === 'help') {
    process.stdout.write(usage());
    return 0;
  }
  await run(cmd.options);
  return -1;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (e: unknown) => {
    console.error(`syncret: ${(e as Error)?.message ?? String(e)}`);
    process.exit(1);
  },
);
