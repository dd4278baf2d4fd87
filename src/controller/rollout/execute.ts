// Applies a rollout outcome: one JSON merge patch of the workload's pod-template annotations
// (the only write, and the only verb the RBAC grants on workloads besides list and watch), then
// the Events on the workload and on the ExternalSecrets, and the metrics.
//
// A patch the apiserver refuses for good (the workload went, the RBAC does not allow it, the
// object is invalid) drops the pending restart and says so; one that may succeed later
// (no answer, 429, 5xx) keeps it and retries on the queue's backoff.

import type { KubeObject } from '../../api/types.js';
import { isKubeApiError } from '../../kube/types.js';
import type { KubeApi, KubeLogger } from '../../kube/types.js';
import type { EventRecorder, EventSpec } from '../../observability/events.js';
import type { Metrics } from '../../observability/metrics.js';
import type { ObjectCache } from '../../runtime/cache.js';
import type { Executed, RunContext } from '../../runtime/controller.js';
import { storeKey } from '../../runtime/watch.js';
import type { RolloutOutcome } from './reconcile.js';
import type { PendingRestarts } from './state.js';
import { WORKLOAD_TYPES, targetName } from './workloads.js';
import type { Workload, WorkloadKind } from './workloads.js';

export interface RolloutExecutorDeps {
  api: Pick<KubeApi, 'mergePatch'>;
  kind: WorkloadKind;
  cache: ObjectCache<Workload>;
  /** The reflectors' transform, for the patch's answer. */
  transform: (obj: KubeObject) => Workload;
  pending: PendingRestarts;
  events: Pick<EventRecorder, 'record'>;
  metrics: Pick<Metrics, 'rolloutRestart' | 'rolloutRestartFailed' | 'rolloutRestartDelayed'>;
  logger: Pick<KubeLogger, 'debug' | 'info' | 'warn'>;
}

/** Refusals that a retry cannot change. */
function permanent(code: number): boolean {
  return code === 400 || code === 403 || code === 404 || code === 422;
}

export async function executeRollout(
  deps: RolloutExecutorDeps,
  w: Workload,
  outcome: RolloutOutcome,
  ctx: Pick<RunContext, 'signal'>,
): Promise<Executed> {
  const key = storeKey(w);
  if (outcome.delayed) {
    deps.metrics.rolloutRestartDelayed(deps.kind);
    emit(deps, w, outcome.events);
  }
  if (!outcome.patch) {
    deps.pending.settle(deps.kind, key, outcome.settle);
    return { requeueAfterMs: outcome.requeueAfterMs };
  }
  const ref = { type: WORKLOAD_TYPES[deps.kind], namespace: w.metadata.namespace, name: w.metadata.name };
  const body = { spec: { template: { metadata: { annotations: outcome.patch } } } };
  let res: KubeObject;
  try {
    res = await deps.api.mergePatch<KubeObject>(ref, body, ctx.signal);
  } catch (e) {
    return failed(deps, w, outcome, e);
  }
  deps.cache.wrote(deps.transform(res));
  deps.pending.settle(deps.kind, key, outcome.settle);
  deps.metrics.rolloutRestart(deps.kind, outcome.reason);
  emit(deps, w, outcome.events);
  for (const es of outcome.sources) emit(deps, es, outcome.sourceEvents);
  deps.logger.info(
    {
      namespace: w.metadata.namespace,
      workload: targetName(deps.kind, w.metadata.name),
      secrets: outcome.secrets,
      reason: outcome.reason,
    },
    'rollout restart: pod template patched',
  );
  return {};
}

function failed(deps: RolloutExecutorDeps, w: Workload, outcome: RolloutOutcome, e: unknown): Executed {
  const code = isKubeApiError(e) ? e.code : 0;
  deps.metrics.rolloutRestartFailed(deps.kind, code);
  const target = targetName(deps.kind, w.metadata.name);
  const detail = isKubeApiError(e) ? `${e.code} ${e.reason}: ${e.message}` : String(e);
  const message = `Rollout restart of ${target} failed: ${detail}`.slice(0, 1000);
  const log = { namespace: w.metadata.namespace, workload: target, code };
  if (!permanent(code)) {
    deps.logger.info(log, `${message}; retrying`);
    return { error: true };
  }
  deps.pending.drop(deps.kind, storeKey(w));
  deps.logger.warn(log, message);
  const event: EventSpec = { type: 'Warning', reason: 'RolloutRestartFailed', message };
  if (code !== 404) emit(deps, w, [event]);
  for (const es of outcome.sources) emit(deps, es, [event]);
  return {};
}

function emit(deps: RolloutExecutorDeps, obj: KubeObject, events: readonly EventSpec[]): void {
  for (const e of events) deps.events.record(obj, e.type, e.reason, e.message);
}
