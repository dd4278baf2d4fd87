// The `syncret` command line. Flags follow Go's flag package conventions (one or two dashes,
// `--flag value` or `--flag=value`, booleans as `--flag` or `--flag=false`; argv.ts), because
// operators are deployed from manifests written for Go controllers. Every flag has an environment
// fallback so a Helm chart can set it either way; the flag wins when both are given.
// One table (FLAGS) drives parsing, environment lookup and `syncret help`, so they cannot drift.

import { AddressError, parseListenAddress } from './address.js';
import { OptionsError, parseBool, scan } from './argv.js';
import { DurationError, parseGoDuration } from './duration.js';
import { kubeconfigPath } from './kubeconfig-path.js';
import { checkLeaderElection } from './leases.js';
import { LOG_FORMATS, LOG_LEVELS } from './logging.js';
import type { LogFormat, LogLevel } from './logging.js';

export interface RunOptions {
  /** kubeconfig file to load; undefined means the in-cluster service-account config. */
  kubeconfig: string | undefined;
  /** Namespaces to watch; empty = all namespaces. */
  namespaces: string[];
  concurrency: number;
  controllerClass: string;
  /** 'host:port' or ':port' for /metrics, /healthz, /readyz. */
  metricsAddr: string;
  /** Series per object (ESO's per-object families, the last-sync time); off by default. */
  metricsPerObject: boolean;
  logLevel: LogLevel;
  logFormat: LogFormat;
  leaderElect: boolean;
  /** --sharding: every replica reconciles its share (docs/OPERATIONS.md, "Sharding"). */
  sharding: boolean;
  leaderElectionNamespace: string;
  leaderElectionId: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  /** Client-side sustained request rate to the apiserver; 0 disables client-side limiting. */
  kubeQps: number;
  kubeBurst: number;
  requeueOnErrorMaxMs: number;
  /** Floor of every refresh interval > 0, of retries and of generator re-issues; 0: none. */
  minRefreshIntervalMs: number;
  /** Provider calls per second per store; 0 disables the budget. */
  providerQps: number;
  providerBurst: number;
  storeRequeueIntervalMs: number;
  /** How long deleting an ExternalSecret waits for its generator leases to be revoked. */
  leaseRevokeTimeoutMs: number;
  fieldManager: string;
  /** Credentials may go to http:// URLs (src/providers/tls.ts); off by default. */
  allowInsecureCredentials: boolean;
  allowGenericTargets: boolean;
  /** Rollout restarts of workloads whose Secrets changed (docs/ROLLOUT.md). */
  rolloutRestarts: boolean;
  /** Workloads with Stakater Reloader's annotations restart too. */
  reloaderAnnotations: boolean;
  rolloutRestartDebounceMs: number;
  /** Rollout restarts per namespace per minute; 0: no limit. */
  rolloutRestartsPerMinute: number;
}

export { OptionsError } from './argv.js';

export type Command = { command: 'run'; options: RunOptions } | { command: 'version' } | { command: 'help' };

export type Env = Readonly<Record<string, string | undefined>>;

type FlagType = 'string' | 'bool' | 'list';

interface FlagSpec {
  name: string;
  type: FlagType;
  /** The value's placeholder in help, e.g. PATH. */
  arg?: string;
  env?: string;
  /** Raw default, parsed like user input; undefined when computed (described by defaultText). */
  default?: string;
  defaultText?: string;
  help: string;
}

const FLAGS: readonly FlagSpec[] = [
  {
    name: 'kubeconfig',
    type: 'string',
    arg: 'PATH',
    env: 'KUBECONFIG',
    defaultText: 'in-cluster config when KUBERNETES_SERVICE_HOST is set, else ~/.kube/config',
    help: 'kubeconfig file to use (from $KUBECONFIG: its first entry).',
  },
  {
    name: 'namespace',
    type: 'list',
    arg: 'NS',
    env: 'SYNCRET_NAMESPACES',
    defaultText: 'all namespaces',
    help: 'Watch only these namespaces; repeat the flag or separate with commas.',
  },
  {
    name: 'concurrency',
    type: 'string',
    arg: 'N',
    env: 'SYNCRET_CONCURRENCY',
    // Measured in bench/: each reconcile waits on the apiserver most of the time. A cold sync
    // of 5,000 ran at 126/s with 8 and 148/s with 32; backlogs of 5,000, interleaved, at about
    // 300/s with 64 against 278/s with 32 once the connection pool had room for 64.
    default: '64',
    help: 'Reconciles running at once (at least 1); also bounds in-flight API requests.',
  },
  {
    name: 'controller-class',
    type: 'string',
    arg: 'NAME',
    env: 'SYNCRET_CONTROLLER_CLASS',
    default: '',
    help: 'Handle only stores whose spec.controller is NAME, and the ExternalSecrets using them (empty: stores without one).',
  },
  {
    name: 'metrics-addr',
    type: 'string',
    arg: 'ADDR',
    env: 'SYNCRET_METRICS_ADDR',
    default: ':8080',
    help: 'Listen address for /metrics, /healthz and /readyz ("host:port" or ":port").',
  },
  {
    name: 'metrics-per-object',
    type: 'bool',
    env: 'SYNCRET_METRICS_PER_OBJECT',
    default: 'false',
    help: "Also serve series per object: ESO's <kind>_status_condition, externalsecret_sync_calls_total/_error and <kind>_reconcile_duration, and syncret_externalsecret_last_sync_timestamp_seconds. One series or more per ExternalSecret: size Prometheus for it.",
  },
  {
    name: 'log-level',
    type: 'string',
    arg: 'LEVEL',
    env: 'SYNCRET_LOG_LEVEL',
    default: 'info',
    help: `Log level: ${LOG_LEVELS.join(', ')}.`,
  },
  {
    name: 'log-format',
    type: 'string',
    arg: 'FORMAT',
    env: 'SYNCRET_LOG_FORMAT',
    default: 'json',
    help: `Log format: ${LOG_FORMATS.join(' or ')}.`,
  },
  {
    name: 'leader-elect',
    type: 'bool',
    env: 'SYNCRET_LEADER_ELECT',
    default: 'false',
    help: 'Run leader election so only one replica reconciles (--leader-elect=false to disable).',
  },
  {
    name: 'sharding',
    type: 'bool',
    env: 'SYNCRET_SHARDING',
    default: 'false',
    help: 'Every replica reconciles its share of the namespaces (member Leases, a hash ring, a shard label on each ExternalSecret and PushSecret written by the elected replica); the lease flags time it. ClusterExternalSecrets and ClusterPushSecrets are not served.',
  },
  {
    name: 'leader-election-namespace',
    type: 'string',
    arg: 'NS',
    env: 'POD_NAMESPACE',
    default: 'syncret-system',
    help: 'Namespace of the leader election Lease.',
  },
  {
    name: 'leader-election-id',
    type: 'string',
    arg: 'NAME',
    env: 'SYNCRET_LEADER_ELECTION_ID',
    default: 'syncret-leader',
    help: 'Name of the leader election Lease.',
  },
  {
    name: 'lease-duration',
    type: 'string',
    arg: 'DURATION',
    env: 'SYNCRET_LEASE_DURATION',
    default: '15s',
    help: 'How long standby replicas wait before taking over a lease that was not renewed.',
  },
  {
    name: 'renew-deadline',
    type: 'string',
    arg: 'DURATION',
    env: 'SYNCRET_RENEW_DEADLINE',
    default: '10s',
    help: 'How long the leader keeps retrying to renew before it gives up leadership.',
  },
  {
    name: 'retry-period',
    type: 'string',
    arg: 'DURATION',
    env: 'SYNCRET_RETRY_PERIOD',
    default: '2s',
    help: 'Interval between leader election attempts.',
  },
  {
    name: 'kube-qps',
    type: 'string',
    arg: 'QPS',
    env: 'SYNCRET_KUBE_QPS',
    default: '0',
    // Measured in bench/: a 50 QPS cap held a cold sync to 12.5 ExternalSecrets/s (4 requests
    // each) on a control plane that took 80+/s. In-flight requests are bounded by --concurrency
    // (each reconcile makes its requests in sequence), and the apiserver's priority and fairness
    // sheds excess with 429 + Retry-After, which the client honours.
    help: 'Sustained requests per second to the Kubernetes API; 0 (default): no client-side limit, in-flight requests are bounded by --concurrency and the apiserver answers overload with 429, which is honoured.',
  },
  {
    name: 'kube-burst',
    type: 'string',
    arg: 'N',
    env: 'SYNCRET_KUBE_BURST',
    default: '100',
    help: 'Requests to the Kubernetes API that may go out at once before --kube-qps paces them.',
  },
  {
    name: 'requeue-on-error-max',
    type: 'string',
    arg: 'DURATION',
    env: 'SYNCRET_REQUEUE_ON_ERROR_MAX',
    default: '5m',
    help: 'Longest backoff between retries of a failing sync.',
  },
  {
    name: 'min-refresh-interval',
    type: 'string',
    arg: 'DURATION',
    env: 'SYNCRET_MIN_REFRESH_INTERVAL',
    default: '10s',
    // A `refreshInterval: 1ns` looped: 7,821 Vault reads in 10 s from one object. 0 keeps
    // meaning "no periodic refresh" (as ESO); only intervals above 0 are raised.
    help: 'Shortest refresh interval: a refreshInterval (or store refreshInterval) above 0 but below it is raised to it, and no retry or generator re-issue comes sooner (the Ready message says so); 0 disables the floor.',
  },
  {
    name: 'provider-qps',
    type: 'string',
    arg: 'QPS',
    env: 'SYNCRET_PROVIDER_QPS',
    default: '0',
    help: 'Provider calls per second allowed to each store (SecretStore or ClusterSecretStore), each store on its own budget; a call over it waits up to 1 s, else fails with reason Throttled and is retried. 0 (default): no budget.',
  },
  {
    name: 'provider-burst',
    type: 'string',
    arg: 'N',
    env: 'SYNCRET_PROVIDER_BURST',
    default: '20',
    help: 'Provider calls a store may make at once before --provider-qps paces them.',
  },
  {
    name: 'lease-revoke-timeout',
    type: 'string',
    arg: 'DURATION',
    env: 'SYNCRET_LEASE_REVOKE_TIMEOUT',
    default: '2m',
    help: 'How long the deletion of an ExternalSecret retries revoking its generator leases before it gives up (Warning event) and lets the object go.',
  },
  {
    name: 'store-requeue-interval',
    type: 'string',
    arg: 'DURATION',
    env: 'SYNCRET_STORE_REQUEUE_INTERVAL',
    default: '5m',
    help: 'How often stores are validated again.',
  },
  {
    name: 'field-manager',
    type: 'string',
    arg: 'NAME',
    env: 'SYNCRET_FIELD_MANAGER',
    default: 'syncret',
    help: 'Field manager of server-side apply writes to Secrets.',
  },
  {
    name: 'allow-insecure-credentials',
    type: 'bool',
    env: 'SYNCRET_ALLOW_INSECURE_CREDENTIALS',
    default: 'false',
    help: 'Send credentials (tokens, passwords, signed requests) to http:// URLs too; without it a store whose URL is plain HTTP is refused before anything is sent. For test setups only.',
  },
  {
    name: 'unsafe-allow-generic-targets',
    type: 'bool',
    env: 'SYNCRET_UNSAFE_ALLOW_GENERIC_TARGETS',
    default: 'false',
    help: "ESO's flag: ExternalSecrets may write a ConfigMap or another kind (spec.target.manifest) instead of a Secret. The operator needs RBAC for each such kind (Helm: genericTargets); values then sit in objects that Secret RBAC and encryption at rest do not cover.",
  },
  {
    name: 'rollout-restarts',
    type: 'bool',
    env: 'SYNCRET_ROLLOUT_RESTARTS',
    default: 'true',
    help: "Restart workloads (a pod-template annotation patch) when the data of a Secret they opted in for changes: those an ExternalSecret names in syncret.io/rollout-restart-targets, and with --reloader-annotations those with Reloader's annotations. Watches Deployments, StatefulSets, DaemonSets and Argo Rollouts (metadata only). false: none is watched or patched.",
  },
  {
    name: 'reloader-annotations',
    type: 'bool',
    env: 'SYNCRET_RELOADER_ANNOTATIONS',
    default: 'false',
    help: "Honour Stakater Reloader's annotations on workloads (reloader.stakater.com/auto, secret.reloader.stakater.com/reload, reloader.stakater.com/search with match) for Secrets Syncret writes. Turn it on once Reloader is gone: with both, such a workload restarts twice.",
  },
  {
    name: 'rollout-restart-debounce',
    type: 'string',
    arg: 'DURATION',
    env: 'SYNCRET_ROLLOUT_RESTART_DEBOUNCE',
    default: '5s',
    help: "Quiet time after the last change of a workload's Secrets before it restarts, so a burst of changes is one restart (never later than 4 times this after the first change).",
  },
  {
    name: 'rollout-restarts-per-minute',
    type: 'string',
    arg: 'N',
    env: 'SYNCRET_ROLLOUT_RESTARTS_PER_MINUTE',
    default: '10',
    help: 'Rollout restarts each namespace may have per minute (and at once); more wait for their turn. 0: no limit.',
  },
];

const BY_NAME = new Map(FLAGS.map((f) => [f.name, f]));

const COMMANDS = ['run', 'version', 'help'] as const;

// ---- values ----

/** Where a value came from, for error messages. */
interface Raw {
  value: string;
  /** Every occurrence, for list flags. */
  values: string[];
  from: string;
}

function raw(spec: FlagSpec, flags: Map<string, string[]>, env: Env): Raw | undefined {
  const given = flags.get(spec.name);
  if (given && given.length > 0) {
    return { value: given[given.length - 1] ?? '', values: given, from: `--${spec.name}` };
  }
  const e = spec.env ? env[spec.env] : undefined;
  // Unset and empty are the same: a chart's `value: ""` must not override the default.
  if (spec.env && e !== undefined && e.trim() !== '') {
    return { value: e.trim(), values: [e.trim()], from: `$${spec.env}` };
  }
  if (spec.default !== undefined) return { value: spec.default, values: [spec.default], from: 'default' };
  return undefined;
}

function invalid(spec: FlagSpec, r: Raw, why: string): OptionsError {
  const src = r.from === `--${spec.name}` ? r.from : `--${spec.name} (from ${r.from})`;
  return new OptionsError(`invalid value "${r.value}" for ${src}: ${why}`);
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function isLabel(s: string): boolean {
  return s.length <= 63 && DNS1123_LABEL.test(s);
}

function isSubdomain(s: string): boolean {
  return s.length <= 253 && DNS1123_SUBDOMAIN.test(s);
}

export function parseCommandLine(argv: readonly string[], env: Env = {}): Command {
  const s = scan(argv, FLAGS);
  const [command, ...rest] = s.positionals;
  if (s.help) return { command: 'help' };
  if (s.version) return { command: 'version' };
  if (command === undefined) throw new OptionsError(`missing command (one of: ${COMMANDS.join(', ')})`);
  if (command === 'help') return { command: 'help' };
  if (command === 'version') {
    if (rest.length > 0) throw new OptionsError(`unexpected argument "${rest[0]}" after "version"`);
    return { command: 'version' };
  }
  if (command !== 'run') {
    throw new OptionsError(`unknown command "${command}" (one of: ${COMMANDS.join(', ')})`);
  }
  if (rest.length > 0) throw new OptionsError(`unexpected argument "${rest[0]}" after "run"`);
  return { command: 'run', options: buildRunOptions(s.flags, env) };
}

/** Typed values of one command line's flags, each from its flag, its environment variable or its default. */
class FlagReader {
  constructor(
    private readonly flags: Map<string, string[]>,
    private readonly env: Env,
  ) {}

  get(name: string): [FlagSpec, Raw | undefined] {
    const spec = BY_NAME.get(name);
    if (!spec) throw new Error(`BUG: no flag ${name}`);
    return [spec, raw(spec, this.flags, this.env)];
  }

  /** A flag with a default, so it always has a value. */
  private defaulted(name: string): [FlagSpec, Raw] {
    const [spec, r] = this.get(name);
    if (!r) throw new Error(`BUG: flag ${name} has no default`);
    return [spec, r];
  }

  str(name: string): string {
    return this.get(name)[1]?.value ?? '';
  }

  /** A string flag that `problem` accepts (it returns why a value is invalid, or undefined). */
  checked(name: string, fallback: string, problem: (v: string) => string | undefined): string {
    const [spec, r] = this.get(name);
    if (!r) return fallback;
    const why = problem(r.value);
    if (why !== undefined) throw invalid(spec, r, why);
    return r.value;
  }

  int(name: string, min: number): number {
    const [spec, r] = this.defaulted(name);
    if (!/^[+]?\d+$/.test(r.value)) throw invalid(spec, r, `must be an integer >= ${min}`);
    const n = Number(r.value);
    if (!Number.isSafeInteger(n) || n < min) throw invalid(spec, r, `must be an integer >= ${min}`);
    return n;
  }

  num(name: string, min: number): number {
    const [spec, r] = this.defaulted(name);
    const n = /^[+]?(\d+\.?\d*|\.\d+)$/.test(r.value) ? Number(r.value) : Number.NaN;
    if (!Number.isFinite(n) || n < min) throw invalid(spec, r, `must be a number >= ${min}`);
    return n;
  }

  /** A Go duration in ms; greater than zero unless `zero` allows 0. */
  duration(name: string, opts: { zero?: boolean } = {}): number {
    const [spec, r] = this.defaulted(name);
    let ms: number;
    try {
      ms = parseGoDuration(r.value);
    } catch (e) {
      if (e instanceof DurationError) throw invalid(spec, r, `${e.message} (use e.g. 30s, 5m, 1h30m)`);
      throw e;
    }
    if (opts.zero ? !(ms >= 0) : !(ms > 0))
      throw invalid(spec, r, opts.zero ? 'must not be negative' : 'must be greater than zero');
    return ms;
  }

  bool(name: string): boolean {
    const [spec, r] = this.get(name);
    if (!r) return false;
    const b = parseBool(r.value);
    if (b === undefined) throw invalid(spec, r, 'must be true or false');
    return b;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[]): T {
    const [spec, r] = this.defaulted(name);
    const v = (allowed as readonly string[]).includes(r.value) ? (r.value as T) : undefined;
    if (v === undefined) throw invalid(spec, r, `must be one of: ${allowed.join(', ')}`);
    return v;
  }
}

/** --namespace: the union of every occurrence, each comma-separated. */
function namespacesOf(r: FlagReader): string[] {
  const [spec, given] = r.get('namespace');
  if (!given) return [];
  const namespaces: string[] = [];
  for (const part of given.values.flatMap((v) => v.split(','))) {
    const ns = part.trim();
    if (ns === '') continue;
    if (!isLabel(ns)) throw invalid(spec, given, `"${ns}" is not a valid namespace name`);
    if (!namespaces.includes(ns)) namespaces.push(ns);
  }
  return namespaces;
}

function listenAddressProblem(addr: string): string | undefined {
  try {
    parseListenAddress(addr);
    return undefined;
  } catch (e) {
    if (e instanceof AddressError) return e.message;
    throw e;
  }
}

function buildRunOptions(flags: Map<string, string[]>, env: Env): RunOptions {
  const r = new FlagReader(flags, env);
  // Checked in this order, so that of several bad flags the same one is reported first.
  const kubeconfig = kubeconfigPath(flags.get('kubeconfig'), env);
  const namespaces = namespacesOf(r);
  const metricsAddr = r.checked('metrics-addr', ':8080', listenAddressProblem);
  const leaderElectionNamespace = r.checked('leader-election-namespace', '', (v) =>
    isLabel(v) ? undefined : 'must be a valid namespace name',
  );
  const leaderElectionId = r.checked('leader-election-id', '', (v) =>
    isSubdomain(v) ? undefined : 'must be a valid object name (lowercase DNS subdomain)',
  );
  // The apiserver rejects longer managers; saying so here beats a 422 on every Secret write.
  const fieldManager = r.checked('field-manager', '', (v) =>
    v !== '' && v.length <= 128 ? undefined : 'must be 1 to 128 characters',
  );
  const opts: RunOptions = {
    kubeconfig,
    namespaces,
    concurrency: r.int('concurrency', 1),
    controllerClass: r.str('controller-class'),
    metricsAddr,
    metricsPerObject: r.bool('metrics-per-object'),
    logLevel: r.oneOf('log-level', LOG_LEVELS),
    logFormat: r.oneOf('log-format', LOG_FORMATS),
    leaderElect: r.bool('leader-elect'),
    sharding: r.bool('sharding'),
    leaderElectionNamespace,
    leaderElectionId,
    leaseDurationMs: r.duration('lease-duration'),
    renewDeadlineMs: r.duration('renew-deadline'),
    retryPeriodMs: r.duration('retry-period'),
    kubeQps: r.num('kube-qps', 0),
    kubeBurst: r.int('kube-burst', 1),
    requeueOnErrorMaxMs: r.duration('requeue-on-error-max'),
    minRefreshIntervalMs: r.duration('min-refresh-interval', { zero: true }),
    providerQps: r.num('provider-qps', 0),
    providerBurst: r.int('provider-burst', 1),
    storeRequeueIntervalMs: r.duration('store-requeue-interval'),
    leaseRevokeTimeoutMs: r.duration('lease-revoke-timeout'),
    fieldManager,
    allowInsecureCredentials: r.bool('allow-insecure-credentials'),
    allowGenericTargets: r.bool('unsafe-allow-generic-targets'),
    rolloutRestarts: r.bool('rollout-restarts'),
    reloaderAnnotations: r.bool('reloader-annotations'),
    rolloutRestartDebounceMs: r.duration('rollout-restart-debounce', { zero: true }),
    rolloutRestartsPerMinute: r.int('rollout-restarts-per-minute', 0),
  };
  checkLeaderElection(opts);
  return opts;
}

/** `syncret help`: every command and flag with its environment variable and default. */
export function usage(): string {
  const lines = [
    'syncret: syncs secrets from external stores into Kubernetes Secrets (external-secrets.io API).',
    '',
    'Usage:',
    '  syncret run [flags]   run the operator',
    '  syncret render -f EXTERNALSECRET.yaml --store STORE.yaml [--data VALUES.json]',
    '                        print the Secret the operator would write, offline (render --help)',
    '  syncret policy -f MANIFESTS.yaml [--out DIR] [--check]',
    '                        print the least-privilege Vault and AWS policies the manifests need (policy --help)',
    '  syncret agent init|sidecar|exec --config FILE [-- COMMAND]',
    '                        render secrets into files or the environment of an app (agent --help)',
    "  syncret fetch --secrets 'PATH KEY [| NAME] ; ...'",
    '                        read secrets once for a CI step: dotenv, JSON, GitHub env (fetch --help)',
    '  syncret injector [--namespace NS]',
    '                        serve the Pod webhook that adds the agent to annotated pods (injector --help)',
    '  syncret version       print the version (also --version)',
    '  syncret help          print this help (also --help)',
    '',
    'Flags of "run" (a flag overrides its environment variable; durations are Go durations like 30s, 5m, 1h30m):',
  ];
  for (const f of FLAGS) {
    const head = f.type === 'bool' ? `--${f.name}` : `--${f.name} ${f.arg ?? 'VALUE'}`;
    const dflt = f.defaultText ?? (f.default === '' ? '""' : f.default);
    lines.push(`  ${head}`);
    lines.push(`        ${f.help}`);
    const meta = [f.env ? `env ${f.env}` : undefined, dflt !== undefined ? `default ${dflt}` : undefined]
      .filter((x) => x !== undefined)
      .join('; ');
    if (meta) lines.push(`        (${meta})`);
  }
  return lines.join('\n') + '\n';
}

/** The flag table, for tests and docs. */
export function flagNames(): string[] {
  return FLAGS.map((f) => f.name);
}
