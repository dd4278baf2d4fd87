// A rollout restart's decision for one workload: nothing pending → nothing; a burst still
// coming → wait for it to settle; the template already carries every new hash → nothing to
// patch; the namespace over its rate → wait for a token; else one patch of the pod template
// with a secret-hash annotation per changed Secret, and the Events that say why.

import type { KubeObject } from '../../api/types.js';
import type { EventSpec } from '../../observability/events.js';
import { mainReason } from './match.js';
import type { RestartReason } from './match.js';
import { dueAt } from './state.js';
import type { RolloutWorld } from './world.js';
import { secretHashAnnotation, targetName } from './workloads.js';
import type { Workload, WorkloadKind } from './workloads.js';

export interface RolloutOutcome {
  /** Pod-template annotations to set (name → value); absent: no patch. */
  patch?: Record<string, string>;
  /** Secret → annotation value the template carries once this outcome is applied. */
  settle: Record<string, string>;
  /** The changed Secrets this restart is for, sorted. */
  secrets: string[];
  /** Why, the first reason in precedence order (the metric's label). */
  reason: RestartReason;
  /** The ExternalSecrets that wrote those Secrets: they get an Event too. */
  sources: KubeObject[];
  /** Events on the workload, and on each source, when the patch succeeds (or it was delayed). */
  events: EventSpec[];
  sourceEvents: EventSpec[];
  /** The namespace is over its restart rate; the restart waits. */
  delayed?: boolean;
  requeueAfterMs?: number;
}

const NOTHING: RolloutOutcome = Object.freeze({
  settle: {},
  secrets: [],
  reason: 'annotation',
  sources: [],
  events: [],
  sourceEvents: [],
}) as RolloutOutcome;

function names(list: readonly string[], max = 5): string {
  const shown = list.slice(0, max).join(', ');
  return list.length > max ? `${shown} and ${list.length - max} more` : shown;
}

export function reconcileRollout(w: Workload, world: RolloutWorld): RolloutOutcome {
  const pending = world.pending;
  if (!pending || pending.size === 0 || w.metadata.deletionTimestamp) return NOTHING;
  const now = world.now();
  const due = dueAt(pending, world.debounceMs, world.maxWaitMs);
  if (now < due) return { ...NOTHING, requeueAfterMs: due - now };

  const settle: Record<string, string> = {};
  const patch: Record<string, string> = {};
  const reasons = new Set<RestartReason>();
  const sources = new Map<string, KubeObject>();
  const changed: string[] = [];
  for (const [secret, p] of [...pending].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    settle[secret] = p.value;
    const key = secretHashAnnotation(secret);
    // Already there: another ExternalSecret's signal for the same write, or a run that patched
    // and then failed to hear the answer.
    if (w.rollout.hashes?.[key] === p.value) continue;
    patch[key] = p.value;
    changed.push(secret);
    for (const r of p.reasons) reasons.add(r);
    for (const [k, es] of p.sources) sources.set(k, es);
  }
  if (changed.length === 0) return { ...NOTHING, settle };

  const kind = w.kind as WorkloadKind;
  const target = targetName(kind, w.metadata.name);
  const base = { settle, secrets: changed, reason: mainReason(reasons), sources: [...sources.values()] };
  const wait = world.takeRestart(w.metadata.namespace ?? '');
  if (wait > 0) {
    const message = `Restart for changed Secret(s) ${names(changed)} waits: namespace ${w.metadata.namespace} is at its rollout restart rate (--rollout-restarts-per-minute)`;
    return {
      ...base,
      // Nothing is written: every change stays pending for the run the token allows.
      settle: {},
      events: [{ type: 'Normal', reason: 'RolloutRestartDelayed', message }],
      sourceEvents: [],
      delayed: true,
      requeueAfterMs: wait,
    };
  }
  const by = [...sources.values()].map((es) => es.metadata.name ?? '').sort();
  return {
    ...base,
    patch,
    events: [
      {
        type: 'Normal',
        reason: 'RolloutRestarted',
        message: `Restarted: the data of Secret(s) ${names(changed)} changed (ExternalSecret ${names(by)})`,
      },
    ],
    sourceEvents: [
      {
        type: 'Normal',
        reason: 'RolloutRestarted',
        message: `Restarted ${target}: the data of Secret(s) ${names(changed)} changed`,
      },
    ],
  };
}
