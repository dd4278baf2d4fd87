// The rollout controller's wiring: one Controller per workload kind (Deployment, StatefulSet,
// DaemonSet, Argo Rollout) over its slim watch cache, fed by the ExternalSecret executor's
// signal that a write changed a Secret's data (SecretDataChange).
//
//   signal (Secret data changed) → the workloads it concerns: those the ExternalSecret names
//     (syncret.io/rollout-restart-targets) and, with --reloader-annotations, those whose
//     Reloader annotations match → pending[workload] += (Secret, new hash, why, by whom)
//     → the workload's key runs after the debounce → one patch for all its changed Secrets
//   workload deleted → its pending restart goes
//   workload added or updated → nothing (an opt-in takes effect at the next change)
//
// Signals that arrive before the workload caches have synced wait for them, so a change written
// right after the operator starts still finds every annotated workload.

import type { KubeObject } from '../../api/types.js';
import { isKubeApiError } from '../../kube/types.js';
import type { KubeApi } from '../../kube/types.js';
import type { EventRecorder } from '../../observability/events.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import type { ObjectCache } from '../../runtime/cache.js';
import { Controller } from '../../runtime/controller.js';
import type { WorkQueueOptions } from '../../runtime/queue.js';
import { ReverseIndex } from '../../runtime/reverse-index.js';
import { storeKey } from '../../runtime/watch.js';
import type { SecretDataChange } from '../externalsecret/execute.js';
import { executeRollout } from './execute.js';
import { reloaderReason } from './match.js';
import type { RestartReason } from './match.js';
import { reconcileRollout } from './reconcile.js';
import type { RolloutOutcome } from './reconcile.js';
import { NamespaceBudget, PendingRestarts } from './state.js';
import { rolloutWorld } from './world.js';
import {
  RESTART_TARGETS_ANNOTATION,
  WORKLOAD_KINDS,
  WORKLOAD_TYPES,
  parseRestartTargets,
  secretHashValue,
  targetName,
  workloadTransform,
} from './workloads.js';
import type { Workload, WorkloadKind } from './workloads.js';

/** Signals kept while the workload caches sync; beyond it the oldest go (logged). */
const MAX_BUFFERED = 10_000;

export interface RolloutOptions {
  api: Pick<KubeApi, 'list' | 'mergePatch'>;
  /** One slim cache per kind, built with workloadTransform(kind, reloaderAnnotations). */
  caches: Readonly<Record<WorkloadKind, ObjectCache<Workload>>>;
  events: Pick<EventRecorder, 'record'>;
  metrics: Metrics;
  logger: Logger;
  queue: (name: string) => Omit<WorkQueueOptions<string>, 'handler' | 'autoStart'>;
  /** Quiet time after a workload's last change before it restarts. */
  debounceMs: number;
  /** Restarts per namespace per minute (as many at once); 0: no limit. */
  perMinute: number;
  /** Honour Reloader's annotations on workloads (--reloader-annotations). */
  reloaderAnnotations: boolean;
  /** A namespace the operator watches, for the Argo Rollouts probe; undefined: all. */
  probeNamespace?: string;
  now?: () => number;
}

export class RolloutRestarts {
  readonly controllers: Controller<Workload, RolloutOutcome>[] = [];
  private readonly pending = new PendingRestarts();
  private readonly optedIn = new Map<WorkloadKind, ReverseIndex<Workload>>();
  private readonly absent = new Set<WorkloadKind>();
  private readonly byKind = new Map<WorkloadKind, Controller<Workload, RolloutOutcome>>();
  private buffer: SecretDataChange[] | undefined = [];
  private readonly now: () => number;

  constructor(private readonly o: RolloutOptions) {
    this.now = o.now ?? Date.now;
    const world = {
      pending: this.pending,
      budget: new NamespaceBudget(o.perMinute),
      debounceMs: o.debounceMs,
      // A Secret rewritten more often than the debounce still restarts its workloads.
      maxWaitMs: o.debounceMs * 4,
      now: this.now,
    };
    for (const kind of WORKLOAD_KINDS) {
      const cache = o.caches[kind];
      // Workloads with a Reloader opt-in, by namespace: a change scans only those.
      this.optedIn.set(
        kind,
        new ReverseIndex<Workload>((w) => (w.rollout.reloader ? [w.metadata.namespace ?? ''] : [])).attach(
          cache,
        ),
      );
      const transform = workloadTransform(kind, o.reloaderAnnotations);
      const deps = { ...o, kind, cache, transform, pending: this.pending };
      const controller = new Controller<Workload, RolloutOutcome>({
        name: `rollout-${kind.toLowerCase()}`,
        cache,
        logger: o.logger,
        queue: o.queue(`rollout-${kind.toLowerCase()}`),
        // Only a Secret change restarts; edits of the workload itself never do.
        changed: () => undefined,
        reconcile: async (w, ctx) => reconcileRollout(w, rolloutWorld(world, kind, ctx.key)),
        execute: (w, outcome, ctx) => executeRollout(deps, w, outcome, ctx),
      });
      cache.onDelete((w) => this.pending.drop(kind, storeKey(w)));
      this.controllers.push(controller);
      this.byKind.set(kind, controller);
    }
  }

  /** The ExternalSecret executor's signal: a write changed Secret data. */
  readonly changed = (change: SecretDataChange): void => {
    if (this.buffer) {
      if (this.buffer.length >= MAX_BUFFERED) this.buffer.shift();
      this.buffer.push(change);
      return;
    }
    this.route(change);
  };

  /** Starts the workload caches (Argo Rollouts' only if its CRD is served), then the controllers. */
  async start(signal: AbortSignal): Promise<void> {
    if (!(await this.served('Rollout', signal))) this.absent.add('Rollout');
    const caches = WORKLOAD_KINDS.filter((k) => !this.absent.has(k)).map((k) => this.o.caches[k]);
    for (const c of caches) c.start();
    await Promise.all(caches.map((c) => c.waitForSync(signal)));
    for (const c of this.controllers) c.start();
    const buffered = this.buffer ?? [];
    this.buffer = undefined;
    for (const change of buffered) this.route(change);
    this.o.logger.info(
      { kinds: WORKLOAD_KINDS.filter((k) => !this.absent.has(k)), buffered: buffered.length },
      'rollout restarts: workload caches synced',
    );
  }

  /** Workloads with a restart still to come (tests, diagnostics). */
  pendingRestarts(): number {
    return this.pending.size;
  }

  async stop(drainMs?: number): Promise<void> {
    await Promise.all(this.controllers.map((c) => c.stop(drainMs)));
  }

  /** The caches to stop with the others (started here, not by the Manager). */
  caches(): ObjectCache<Workload>[] {
    return WORKLOAD_KINDS.map((k) => this.o.caches[k]);
  }

  /** One list of at most one object: 404 means the kind is not served (its CRD is absent). */
  private async served(kind: WorkloadKind, signal: AbortSignal): Promise<boolean> {
    try {
      await this.o.api.list(WORKLOAD_TYPES[kind], { namespace: this.o.probeNamespace, limit: 1, signal });
      return true;
    } catch (e) {
      if (!isKubeApiError(e) || (e.code !== 404 && e.code !== 403)) return true;
      this.o.logger.info(
        { kind, code: e.code },
        e.code === 404
          ? `${kind} is not served (its CRD is not installed): ${targetName(kind, '')}* targets are not restarted until the operator restarts with it`
          : `the operator may not list ${WORKLOAD_TYPES[kind].resource}: ${targetName(kind, '')}* targets are not restarted`,
      );
      return false;
    }
  }

  private route(change: SecretDataChange): void {
    const es = change.externalSecret;
    const ns = change.namespace;
    const value = secretHashValue(change.secretUid, change.hash);
    const at = this.now();
    const hit = (kind: WorkloadKind, key: string, reason: RestartReason) => {
      this.pending.add(kind, key, { secret: change.secret, value, reason, source: es, at });
      this.byKind.get(kind)?.queue.addAfter(key, this.o.debounceMs, 'drift');
    };
    this.named(es, ns, hit);
    if (!this.o.reloaderAnnotations) return;
    for (const kind of WORKLOAD_KINDS) {
      const cache = this.o.caches[kind];
      for (const key of this.optedIn.get(kind)?.keysFor(ns) ?? []) {
        const w = cache.get(key);
        const reason = w && reloaderReason(w, change.secret, change.annotations);
        if (reason) hit(kind, key, reason);
      }
    }
  }

  /** The targets the ExternalSecret's annotation names; the ones that do not exist are told of. */
  private named(
    es: KubeObject,
    ns: string,
    hit: (kind: WorkloadKind, key: string, reason: RestartReason) => void,
  ): void {
    const value = es.metadata.annotations?.[RESTART_TARGETS_ANNOTATION];
    if (value === undefined) return;
    const { targets, invalid } = parseRestartTargets(value);
    if (invalid.length > 0)
      this.o.events.record(
        es,
        'Warning',
        'RolloutTargetInvalid',
        `${RESTART_TARGETS_ANNOTATION}: not a kind/name of a Deployment, StatefulSet, DaemonSet or Rollout: ${invalid.join(', ')}`,
      );
    for (const t of targets) {
      const key = `${ns}/${t.name}`;
      if (this.o.caches[t.kind].get(key)) {
        hit(t.kind, key, 'annotation');
        continue;
      }
      const why = this.absent.has(t.kind)
        ? `the operator does not watch ${WORKLOAD_TYPES[t.kind].resource} (Argo Rollouts' CRD is not installed, or the RBAC does not grant it)`
        : `it does not exist in namespace ${ns}`;
      this.o.events.record(
        es,
        'Warning',
        'RolloutTargetNotFound',
        `Secret data changed but ${targetName(t.kind, t.name)} was not restarted: ${why}`,
      );
    }
  }
}
