import { describe, expect, it } from '@jest/globals';
import { formatListenAddress, parseListenAddress } from './address.js';
import { OptionsError, flagNames, parseCommandLine, usage } from './options.js';
import type { Env, RunOptions } from './options.js';

const HOME = '/home/u';

function run(argv: string[], env: Env = {}): RunOptions {
  const cmd = parseCommandLine(['run', ...argv], { HOME, ...env });
  if (cmd.command !== 'run') throw new Error(`expected run, got ${cmd.command}`);
  return cmd.options;
}

function fails(argv: string[], env: Env = {}): string {
  try {
    parseCommandLine(argv, { HOME, ...env });
  } catch (e) {
    expect(e).toBeInstanceOf(OptionsError);
    return (e as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(argv)} to fail`);
}

describe('commands', () => {
  it('recognises version and help in every spelling', () => {
    expect(parseCommandLine(['version'])).toEqual({ command: 'version' });
    expect(parseCommandLine(['--version'])).toEqual({ command: 'version' });
    expect(parseCommandLine(['-version'])).toEqual({ command: 'version' });
    expect(parseCommandLine(['help'])).toEqual({ command: 'help' });
    expect(parseCommandLine(['help', 'run'])).toEqual({ command: 'help' });
    expect(parseCommandLine(['--help'])).toEqual({ command: 'help' });
    expect(parseCommandLine(['-h'])).toEqual({ command: 'help' });
    expect(parseCommandLine(['run', '--help'])).toEqual({ command: 'help' });
    expect(parseCommandLine(['run', '--concurrency', 'x', '--help'])).toEqual({ command: 'help' });
  });

  it('rejects a missing, unknown or over-long command', () => {
    expect(fails([])).toMatch(/missing command/);
    expect(fails(['start'])).toBe('unknown command "start" (one of: run, version, help)');
    expect(fails(['run', 'extra'])).toBe('unexpected argument "extra" after "run"');
    expect(fails(['version', 'x'])).toMatch(/unexpected argument "x"/);
  });
});

describe('run defaults', () => {
  it('applies every default outside a cluster', () => {
    expect(run([])).toEqual({
      kubeconfig: '/home/u/.kube/config',
      namespaces: [],
      concurrency: 64,
      controllerClass: '',
      metricsAddr: ':8080',
      metricsPerObject: false,
      logLevel: 'info',
      logFormat: 'json',
      leaderElect: false,
      sharding: false,
      leaderElectionNamespace: 'syncret-system',
      leaderElectionId: 'syncret-leader',
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      kubeQps: 0,
      kubeBurst: 100,
      requeueOnErrorMaxMs: 300_000,
      minRefreshIntervalMs: 10_000,
      providerQps: 0,
      providerBurst: 20,
      storeRequeueIntervalMs: 300_000,
      leaseRevokeTimeoutMs: 120_000,
      fieldManager: 'syncret',
      allowInsecureCredentials: false,
      allowGenericTargets: false,
      rolloutRestarts: true,
      reloaderAnnotations: false,
      rolloutRestartDebounceMs: 5_000,
      rolloutRestartsPerMinute: 10,
    } satisfies RunOptions);
  });

  it('uses the in-cluster config in a pod', () => {
    expect(run([], { KUBERNETES_SERVICE_HOST: '10.0.0.1' }).kubeconfig).toBeUndefined();
  });
});

describe('flag syntax', () => {
  it('accepts one or two dashes, = or a separate value', () => {
    expect(run(['--concurrency', '3']).concurrency).toBe(3);
    expect(run(['--concurrency=4']).concurrency).toBe(4);
    expect(run(['-concurrency', '5']).concurrency).toBe(5);
    expect(run(['-concurrency=6']).concurrency).toBe(6);
  });

  it('allows flags before the command', () => {
    const cmd = parseCommandLine(['--concurrency=2', 'run'], { HOME });
    expect(cmd.command === 'run' && cmd.options.concurrency).toBe(2);
  });

  it('keeps the last of a repeated flag', () => {
    expect(run(['--log-level', 'debug', '--log-level', 'warn']).logLevel).toBe('warn');
  });

  it('takes a value that starts with a dash when given with =', () => {
    expect(run(['--controller-class=-x']).controllerClass).toBe('-x');
  });

  it('parses booleans like Go', () => {
    expect(run(['--leader-elect']).leaderElect).toBe(true);
    expect(run(['--leader-elect=true']).leaderElect).toBe(true);
    expect(run(['--leader-elect=1']).leaderElect).toBe(true);
    expect(run(['--leader-elect=False']).leaderElect).toBe(false);
    expect(run(['--leader-elect=0'], { SYNCRET_LEADER_ELECT: 'true' }).leaderElect).toBe(false);
    expect(fails(['run', '--leader-elect=yes'])).toBe(
      'invalid value "yes" for --leader-elect: must be true or false',
    );
  });

  it('does not let a boolean flag swallow the next argument', () => {
    expect(fails(['run', '--leader-elect', 'false'])).toBe('unexpected argument "false" after "run"');
  });

  it('reports unknown flags with a suggestion', () => {
    expect(fails(['run', '--namespaces=a'])).toBe('unknown flag --namespaces (did you mean --namespace?)');
    expect(fails(['run', '--frobnicate'])).toBe('unknown flag --frobnicate');
  });

  it('reports a flag without its value', () => {
    expect(fails(['run', '--concurrency'])).toBe('flag needs an argument: --concurrency');
  });

  it('treats everything after -- as arguments', () => {
    expect(fails(['run', '--', '--concurrency=1'])).toBe('unexpected argument "--concurrency=1" after "run"');
  });

  it('rejects bad syntax', () => {
    expect(fails(['run', '---x'])).toBe('bad flag syntax: ---x');
    expect(fails(['run', '--=1'])).toBe('bad flag syntax: --=1');
  });
});

describe('environment fallbacks', () => {
  it('reads every documented variable', () => {
    const o = run([], {
      KUBECONFIG: '/etc/kc',
      SYNCRET_NAMESPACES: 'a, b,,a',
      SYNCRET_CONCURRENCY: '16',
      SYNCRET_CONTROLLER_CLASS: 'dev',
      SYNCRET_METRICS_ADDR: '127.0.0.1:9090',
      SYNCRET_LOG_LEVEL: 'debug',
      SYNCRET_LOG_FORMAT: 'text',
      SYNCRET_LEADER_ELECT: 'true',
      POD_NAMESPACE: 'ops',
      SYNCRET_LEADER_ELECTION_ID: 'lock',
      SYNCRET_LEASE_DURATION: '30s',
      SYNCRET_RENEW_DEADLINE: '20s',
      SYNCRET_RETRY_PERIOD: '4s',
      SYNCRET_KUBE_QPS: '12.5',
      SYNCRET_KUBE_BURST: '25',
      SYNCRET_REQUEUE_ON_ERROR_MAX: '10m',
      SYNCRET_MIN_REFRESH_INTERVAL: '30s',
      SYNCRET_PROVIDER_QPS: '2.5',
      SYNCRET_PROVIDER_BURST: '5',
      SYNCRET_STORE_REQUEUE_INTERVAL: '1h',
      SYNCRET_LEASE_REVOKE_TIMEOUT: '30s',
      SYNCRET_FIELD_MANAGER: 'me',
      SYNCRET_ALLOW_INSECURE_CREDENTIALS: 'true',
      SYNCRET_UNSAFE_ALLOW_GENERIC_TARGETS: 'true',
      SYNCRET_ROLLOUT_RESTARTS: 'false',
      SYNCRET_RELOADER_ANNOTATIONS: 'true',
      SYNCRET_ROLLOUT_RESTART_DEBOUNCE: '1s',
      SYNCRET_ROLLOUT_RESTARTS_PER_MINUTE: '0',
      SYNCRET_METRICS_PER_OBJECT: 'true',
    });
    expect(o).toEqual({
      kubeconfig: '/etc/kc',
      namespaces: ['a', 'b'],
      concurrency: 16,
      controllerClass: 'dev',
      metricsAddr: '127.0.0.1:9090',
      metricsPerObject: true,
      logLevel: 'debug',
      logFormat: 'text',
      leaderElect: true,
      sharding: false,
      leaderElectionNamespace: 'ops',
      leaderElectionId: 'lock',
      leaseDurationMs: 30_000,
      renewDeadlineMs: 20_000,
      retryPeriodMs: 4_000,
      kubeQps: 12.5,
      kubeBurst: 25,
      requeueOnErrorMaxMs: 600_000,
      minRefreshIntervalMs: 30_000,
      providerQps: 2.5,
      providerBurst: 5,
      storeRequeueIntervalMs: 3_600_000,
      leaseRevokeTimeoutMs: 30_000,
      fieldManager: 'me',
      allowInsecureCredentials: true,
      allowGenericTargets: true,
      rolloutRestarts: false,
      reloaderAnnotations: true,
      rolloutRestartDebounceMs: 1_000,
      rolloutRestartsPerMinute: 0,
    } satisfies RunOptions);
  });

  it('lets flags win over the environment', () => {
    expect(run(['--concurrency=2'], { SYNCRET_CONCURRENCY: '16' }).concurrency).toBe(2);
    expect(run(['--namespace=x'], { SYNCRET_NAMESPACES: 'a,b' }).namespaces).toEqual(['x']);
  });

  it('treats an empty variable as unset', () => {
    expect(run([], { SYNCRET_CONCURRENCY: '', SYNCRET_LOG_LEVEL: '  ' }).concurrency).toBe(64);
    expect(run([], { KUBECONFIG: '', KUBERNETES_SERVICE_HOST: 'h' }).kubeconfig).toBeUndefined();
  });

  it('names the variable in errors', () => {
    expect(fails(['run'], { SYNCRET_CONCURRENCY: 'many' })).toBe(
      'invalid value "many" for --concurrency (from $SYNCRET_CONCURRENCY): must be an integer >= 1',
    );
  });
});

describe('kubeconfig', () => {
  it('prefers the flag, then $KUBECONFIG, even in a pod', () => {
    expect(run(['--kubeconfig', '/a'], { KUBECONFIG: '/b', KUBERNETES_SERVICE_HOST: 'h' }).kubeconfig).toBe(
      '/a',
    );
    expect(run([], { KUBECONFIG: '/b', KUBERNETES_SERVICE_HOST: 'h' }).kubeconfig).toBe('/b');
  });

  it('takes the first entry of a $KUBECONFIG list', () => {
    expect(run([], { KUBECONFIG: ':/x/one:/x/two' }).kubeconfig).toBe('/x/one');
  });

  it('expands ~', () => {
    expect(run(['--kubeconfig=~/kc']).kubeconfig).toBe('/home/u/kc');
  });

  it('rejects an empty path', () => {
    expect(fails(['run', '--kubeconfig='])).toMatch(/--kubeconfig/);
  });
});

describe('namespaces', () => {
  it('accepts repeats and commas, deduplicated in order', () => {
    expect(run(['--namespace', 'b,a', '--namespace=c', '--namespace', 'a']).namespaces).toEqual([
      'b',
      'a',
      'c',
    ]);
  });

  it('means all namespaces when empty', () => {
    expect(run(['--namespace=']).namespaces).toEqual([]);
  });

  it('rejects invalid names', () => {
    expect(fails(['run', '--namespace=Prod'])).toBe(
      'invalid value "Prod" for --namespace: "Prod" is not a valid namespace name',
    );
    expect(fails(['run', `--namespace=${'a'.repeat(64)}`])).toMatch(/not a valid namespace name/);
  });
});

describe('validation', () => {
  it.each([
    [['--concurrency=0'], 'invalid value "0" for --concurrency: must be an integer >= 1'],
    [['--concurrency=1.5'], 'invalid value "1.5" for --concurrency: must be an integer >= 1'],
    [['--concurrency=-1'], 'invalid value "-1" for --concurrency: must be an integer >= 1'],
    [['--kube-burst=0'], 'invalid value "0" for --kube-burst: must be an integer >= 1'],
    [['--kube-qps=-1'], 'invalid value "-1" for --kube-qps: must be a number >= 0'],
    [['--kube-qps=1e3'], 'invalid value "1e3" for --kube-qps: must be a number >= 0'],
    [
      ['--log-level=verbose'],
      'invalid value "verbose" for --log-level: must be one of: trace, debug, info, warn, error',
    ],
    [['--log-format=pretty'], 'invalid value "pretty" for --log-format: must be one of: json, text'],
    [
      ['--lease-duration=15'],
      'invalid value "15" for --lease-duration: time: missing unit in duration "15" (use e.g. 30s, 5m, 1h30m)',
    ],
    [
      ['--retry-period=abc'],
      'invalid value "abc" for --retry-period: time: invalid duration "abc" (use e.g. 30s, 5m, 1h30m)',
    ],
    [
      ['--requeue-on-error-max=0s'],
      'invalid value "0s" for --requeue-on-error-max: must be greater than zero',
    ],
    [
      ['--store-requeue-interval=-5m'],
      'invalid value "-5m" for --store-requeue-interval: must be greater than zero',
    ],
    [
      ['--metrics-addr=8080'],
      'invalid value "8080" for --metrics-addr: invalid address "8080": missing port',
    ],
    [['--metrics-addr=:99999'], 'invalid value ":99999" for --metrics-addr: invalid address ":99999"'],
    [['--leader-election-namespace=Ops'], 'invalid value "Ops" for --leader-election-namespace'],
    [['--leader-election-id=My_Lock'], 'invalid value "My_Lock" for --leader-election-id'],
    [[`--field-manager=${'x'.repeat(129)}`], 'must be 1 to 128 characters'],
    [['--field-manager='], 'must be 1 to 128 characters'],
  ])('%j', (argv, message) => {
    expect(fails(['run', ...argv])).toContain(message);
  });

  it('accepts fractional QPS and zero', () => {
    expect(run(['--kube-qps=0']).kubeQps).toBe(0);
    expect(run(['--kube-qps=.5']).kubeQps).toBe(0.5);
  });

  it("checks client-go's leader election timing rules only when electing", () => {
    expect(fails(['run', '--leader-elect', '--lease-duration=10s'])).toBe(
      '--lease-duration must be greater than --renew-deadline',
    );
    expect(fails(['run', '--leader-elect', '--retry-period=9s'])).toBe(
      '--renew-deadline must be greater than 1.2 × --retry-period',
    );
    expect(run(['--lease-duration=10s']).leaseDurationMs).toBe(10_000);
  });
});

describe('usage', () => {
  it('lists every flag with its environment variable and default', () => {
    const text = usage();
    for (const name of flagNames()) expect(text).toContain(`--${name}`);
    for (const env of [
      'KUBECONFIG',
      'SYNCRET_NAMESPACES',
      'SYNCRET_CONCURRENCY',
      'POD_NAMESPACE',
      'SYNCRET_LEADER_ELECT',
    ])
      expect(text).toContain(`env ${env}`);
    expect(text).toContain('default 64');
    expect(text).toContain('default :8080');
    expect(text).toContain('default 15s');
    expect(text).toContain('default syncret-system');
    expect(text).toContain('syncret run [flags]');
  });
});

describe('listen addresses', () => {
  it.each([
    [':8080', { host: undefined, port: 8080 }],
    ['0.0.0.0:80', { host: '0.0.0.0', port: 80 }],
    ['localhost:0', { host: 'localhost', port: 0 }],
    ['[::1]:9090', { host: '::1', port: 9090 }],
    ['[::]:9090', { host: '::', port: 9090 }],
  ])('parses %s', (addr, want) => {
    expect(parseListenAddress(addr)).toEqual(want);
  });

  it.each(['', '8080', ':', ':http', '::1:80', '[::1:80', '[]:80', 'a b:80', ':-1', ':65536'])(
    'rejects %j',
    (a) => {
      expect(() => parseListenAddress(a)).toThrow(/invalid address/);
    },
  );

  it('formats IPv6 in brackets', () => {
    expect(formatListenAddress('::', 80)).toBe('[::]:80');
    expect(formatListenAddress('127.0.0.1', 80)).toBe('127.0.0.1:80');
  });
});

describe('refresh floor and provider budget', () => {
  it('takes 0 as "no floor" but refuses a negative one', () => {
    expect(run(['--min-refresh-interval=0']).minRefreshIntervalMs).toBe(0);
    expect(run(['--min-refresh-interval', '1m']).minRefreshIntervalMs).toBe(60_000);
    expect(fails(['run', '--min-refresh-interval=-1s'])).toBe(
      'invalid value "-1s" for --min-refresh-interval: must not be negative',
    );
  });

  it('takes a fractional rate and a burst of at least 1', () => {
    expect(run(['--provider-qps=0.5', '--provider-burst=1'])).toMatchObject({
      providerQps: 0.5,
      providerBurst: 1,
    });
    expect(fails(['run', '--provider-burst=0'])).toBe(
      'invalid value "0" for --provider-burst: must be an integer >= 1',
    );
    expect(fails(['run', '--provider-qps=-1'])).toBe(
      'invalid value "-1" for --provider-qps: must be a number >= 0',
    );
  });
});
