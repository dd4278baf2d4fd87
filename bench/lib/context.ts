import type { OperatorHandle } from '../../e2e/lib/operator.js';
import type { Api } from './api.js';

export interface BenchOptions {
  /** Object counts of the cold-sync scenario (and its baseline). */
  coldN: number[];
  /** ExternalSecrets refreshing while new ones are created (scenario 3) and restarted (7). */
  loadN: number;
  /** New ExternalSecrets created under load. */
  newN: number;
  /** ExternalSecrets in the steady state. */
  steadyN: number;
  steadySeconds: number;
  /** Unrelated Secrets and their size. */
  unrelatedN: number;
  unrelatedBytes: number;
  scenarios: Set<string>;
  /** Scenario 6: ExternalSecrets and refresh cycles watched. */
  callsN: number;
  callsCycles: number;
  /** Scenario 8: PushSecrets whose sources do not change. */
  pushN: number;
  /** Extra flags for every operator process (e.g. to compare settings). */
  operatorArgs: string[];
  /** Run the operator without its own runtime settings (SYNCRET_RUNTIME_SETTINGS=off). */
  nodeDefaults: boolean;
  /** NODE_OPTIONS of the operator only (a V8 flag to compare, `--cpu-prof`), not of the bench. */
  operatorNodeOptions: string;
  /** Appended to the results' file name: bench/results/<date>-<label>.{json,md}. */
  label: string;
  /** Scenario 9 (`--scale`): ExternalSecrets, their namespaces, the bare client's pass, the CPU window. */
  scaleN: number;
  scaleNamespaces: number;
  scaleBaseN: number;
  scaleSteadySeconds: number;
  /** Scenario 9's sharded part: operator replicas with --sharding (0 or 1: not run). */
  scaleReplicas: number;
  /** A second bare pass once the operator's namespaces are gone (A-B-A). */
  scaleBareAfter: boolean;
  /** Scenario 10: ExternalSecrets, their refreshInterval in seconds, the measured window. */
  refreshN: number;
  refreshIntervalS: number;
  refreshSeconds: number;
}

export interface Target {
  name: string;
  value: number;
  op: '<=' | '>=';
  target: number;
  unit: string;
}

/** Points of one line in the bench's pictures (bench/lib/plots.ts), thinned to a few hundred. */
export interface Curve {
  x: number[];
  y: number[];
}

export interface ScenarioResult {
  id: string;
  title: string;
  params: Record<string, number | string>;
  metrics: Record<string, number>;
  targets: Target[];
  notes: string[];
  seconds: number;
  /** What the pictures draw, by name (e.g. `ready`: objects done over seconds since the start). */
  curves?: Record<string, Curve>;
}

export interface Ctx {
  /** The benchmark's client, as the cluster admin. */
  api: Api;
  /** The same client with the operator's ServiceAccount token: the baseline writes as the operator would. */
  operatorApi: Api;
  opts: BenchOptions;
  results: ScenarioResult[];
  log(msg: string): void;
  /** A fresh operator process (info logs), stopping any previous one. */
  startOperator(name: string, args?: string[], env?: Record<string, string>): Promise<OperatorHandle>;
  /**
   * `count` operator processes at once (info logs), stopping any others; replica i (from 0) gets
   * `env(i)`. stopOperator() stops them all.
   */
  startReplicas(
    name: string,
    count: number,
    args: string[],
    env: (i: number) => Record<string, string>,
  ): Promise<OperatorHandle[]>;
  /** Stops the operator and every replica. */
  stopOperator(): Promise<void>;
  operator(): OperatorHandle | undefined;
  /**
   * Scenario 1's bare-client rates per N, one entry per pass: writes alone, and with each
   * ExternalSecret's create timed too. At the largest N: the writes on the backlog's
   * ExternalSecrets before and after its rounds, the like-for-like pass before and after the cold
   * runs.
   */
  baselines: Map<number, { writes: number[]; scenario: number[] }>;
}

export const MiB = 1024 * 1024;
