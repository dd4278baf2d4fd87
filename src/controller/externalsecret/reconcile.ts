// The ExternalSecret reconciler: a function of (object, world) → outcome. It reads through
// `world` (stores from the watch cache, provider values through the shared client cache, the
// target Secret's metadata) and returns what to write; it never writes. The executor in
// ./execute.ts applies the outcome, so this function is unit-testable with a fake world.
//
// Steps: plan (store, interval, policies) → the target → decide (decide.ts) → renew leases
// instead of re-issuing where that suffices (leases.ts) → fetch and render (pipeline.ts) →
// the target write (target.ts) → status, events and the next run.

import type { ExternalSecret, ExternalSecretStatus, GeneratorLease } from '../../api/types.js';
import { formatGoDuration, parseGoDuration } from '../../config/duration.js';
import type { EventSpec } from '../../observability/events.js';
import { ProviderError } from '../../providers/errors.js';
import { GeneratorNotSupportedError } from '../../providers/generator.js';
import { getCondition } from '../../runtime/conditions.js';
import { rfc3339 } from '../../runtime/time/rfc3339.js';
import type { QueueReason } from '../../runtime/queue.js';
import { flooredInterval, isFloored } from '../../runtime/schedule.js';
import { SecretDataError } from '../../secrets/errors.js';
import { PACE_REFILL_MS } from '../../secrets/template/index.js';
import { Reason, causeOf } from '../reasons.js';
import { resolveStore } from '../store/resolve.js';
import { needsMainStore, usesGenerators } from './data.js';
import type { IssuedLease } from './data.js';
import { decideSync, describeDecision, sharedReadAge, syncedResourceVersion } from './decide.js';
import type { SyncDecision } from './decide.js';
import { leaseTime, maintainLeases, planLeases } from './leases.js';
import type { LeaseStep } from './leases.js';
import { creationPolicyOf, mergesInto, targetSecretName } from './ownership.js';
import { isGenericTarget, reconcileGeneric } from './generic.js';
import { renderSecretData } from './pipeline.js';
import type { PipelineResult } from './pipeline.js';
import { buildTarget, mergeTargetMissing, ownLabelsWrite } from './target.js';
import type { TargetResult, TargetSecretInfo } from './target.js';
import type { EsWorld } from './world.js';
import { windowGate } from './windows.js';
import type { WindowGate } from './windows.js';
import {
  IGNORE,
  errorOutcome,
  invalidSpec,
  messageOf,
  minDelay,
  nextRun,
  schedule,
  windowCheck,
  withReady,
} from './outcome.js';
import type { EsOutcome, Plan } from './outcome.js';

export type { EsOutcome } from './outcome.js';

export const DEFAULT_REFRESH_INTERVAL = '1h';

export async function reconcileExternalSecret(
  es: ExternalSecret,
  world: EsWorld,
  trigger: QueueReason,
): Promise<EsOutcome> {
  const out = await reconcileSteps(es, world, trigger);
  // The floor holds for every run the operator schedules for itself: refreshes, retries, lease
  // renewals and re-issues of generated values alike (events still run an object at once).
  const floor = world.minRefreshIntervalMs ?? 0;
  if (out.requeueAfterMs !== undefined && out.requeueAfterMs < floor)
    return { ...out, requeueAfterMs: floor };
  return out;
}

async function reconcileSteps(es: ExternalSecret, world: EsWorld, trigger: QueueReason): Promise<EsOutcome> {
  if (es.metadata.deletionTimestamp) return IGNORE;
  const planned = planSync(es, world);
  if ('outcome' in planned) return planned.outcome;
  const p = planned.plan;
  if (isGenericTarget(es)) return reconcileGeneric(p, world, trigger);
  const target =
    p.creation === 'None'
      ? undefined
      : await world.targetSecret(p.ns, p.targetName, mergesInto(p.creation), p.assumeAbsent);
  if (p.creation === 'Merge' && !target) {
    // Checked before any provider call: the fix is on the cluster side (create the Secret),
    // so retry on the plain backoff rather than waiting a whole refresh interval.
    const { reason, message } = mergeTargetMissing(p.targetName);
    return errorOutcome(es, world, reason, message, { intervalMs: 0, synced: false, storeKind: p.storeKind });
  }
  let decision = decideSync({
    trigger,
    policy: p.policy,
    intervalMs: p.intervalMs,
    es,
    srv: p.srv,
    targetMissing: p.creation !== 'None' && !target,
    targetDrifted: !!target && !mergesInto(p.creation) && target.drifted,
    now: world.now(),
    windows: windowCheck(p),
  });
  if (p.generated && world.generators && p.oldLeases.some((l) => !l.revokeOnly)) {
    const kept = await keepLeases(p, decision, world);
    if ('outcome' in kept) return kept.outcome;
    decision = kept.decision;
  }
  if (!decision.sync) {
    return {
      events: [],
      synced: false,
      write:
        target && !mergesInto(p.creation)
          ? ownLabelsWrite(target, world.targetLabels?.(p.ns), es, p.creation)
          : undefined,
      requeueAfterMs: nextRun(p, decision, world, p.lastRefresh),
      storeKind: p.storeKind,
    };
  }
  return syncNow(p, decision, target, world);
}

/** The store, the interval and the policies, or the outcome when the spec cannot sync at all. */
function planSync(es: ExternalSecret, world: EsWorld): { plan: Plan } | { outcome: EsOutcome } {
  const ns = es.metadata.namespace ?? '';
  const spec = es.spec ?? {};
  const generated = usesGenerators(spec) && !!world.generators;
  // Without a secretStoreRef every entry names its own source (e.g. generators only).
  const resolution =
    needsMainStore(spec) || !generated ? resolveStore(spec.secretStoreRef, ns, world) : undefined;
  if (resolution && !resolution.ok && resolution.reason === 'OtherController') return { outcome: IGNORE };
  let specMs: number;
  let windows: WindowGate | undefined;
  try {
    specMs = parseGoDuration(spec.refreshInterval ?? DEFAULT_REFRESH_INTERVAL);
    if (specMs < 0) throw new Error(`refreshInterval "${spec.refreshInterval}" must not be negative`);
  } catch (e) {
    return { outcome: invalidSpec(es, world, `invalid refreshInterval: ${messageOf(e)}`) };
  }
  try {
    windows = windowGate(spec.syncWindows);
  } catch (e) {
    return { outcome: invalidSpec(es, world, `invalid ${messageOf(e)}`) };
  }
  const floorMs = world.minRefreshIntervalMs ?? 0;
  const intervalMs = flooredInterval(specMs, floorMs);
  if (resolution && !resolution.ok) {
    // A missing store is fixed by creating it, which re-queues this object through the store
    // watch; a periodic retry covers stores of other namespaces' cluster-wide changes.
    return {
      outcome: errorOutcome(es, world, resolution.reason, resolution.message, { intervalMs, synced: false }),
    };
  }
  const store = resolution?.ok ? resolution.info : undefined;
  const creation = creationPolicyOf(es);
  const refreshTime = es.status?.refreshTime;
  return {
    plan: {
      es,
      ns,
      generated,
      store,
      storeKind: store?.kind,
      intervalMs,
      floorNote: isFloored(specMs, floorMs)
        ? `refreshInterval ${spec.refreshInterval} is below the operator's minimum (--min-refresh-interval), so it refreshes every ${formatGoDuration(floorMs)}`
        : undefined,
      policy: spec.refreshPolicy ?? 'Periodic',
      targetName: targetSecretName(es),
      creation,
      // Owner (the default) is the one policy whose write of an unknown target is safe to try
      // blind: the apiserver refuses a second controller, an immutable type or immutable data,
      // and adopting an unowned Secret is what the GET path would do too. Generators are
      // excluded so a retried reconcile never issues credentials twice.
      assumeAbsent: creation === 'Owner' && !generated,
      srv: syncedResourceVersion(es),
      oldLeases: es.status?.generatorLeases ?? [],
      lastRefresh: refreshTime ? Date.parse(refreshTime) : undefined,
      windows,
    },
  };
}

// ---- generator leases ----

/**
 * Generated values are re-issued only when their leases require it (or the spec, the target,
 * a changed store or generator, or a failed sync asks for it): a periodic refresh, an operator
 * restart or a retry after a failed renewal renews instead.
 */
async function keepLeases(
  p: Plan,
  decision: SyncDecision,
  world: EsWorld,
): Promise<{ decision: SyncDecision } | { outcome: EsOutcome }> {
  const ready = getCondition(p.es.status?.conditions, 'Ready');
  const renewalFailed = ready?.status === 'False' && causeOf(ready) === Reason.LeaseRenewalFailed;
  const keep =
    !decision.sync || decision.why === 'refresh-due' || (decision.why === 'retry' && renewalFailed);
  if (!keep) return { decision };
  const step = await maintainLeases(
    p.oldLeases.filter((l) => !l.revokeOnly),
    p.ns,
    world.generators!,
    world.now,
  );
  if (step.kind === 'rotate') return { decision: { sync: true, why: 'lease-rotation', detail: step.why } };
  if (step.kind === 'error') {
    return {
      outcome: errorOutcome(p.es, world, Reason.LeaseRenewalFailed, step.message, {
        intervalMs: 0,
        synced: true,
        storeKind: p.storeKind,
        latestMs: step.nextAt === undefined ? undefined : step.nextAt - world.now(),
      }),
    };
  }
  return { outcome: renewedOutcome(p, decision, step, renewalFailed, world) };
}

function renewedOutcome(
  p: Plan,
  decision: SyncDecision,
  step: Extract<LeaseStep, { kind: 'keep' }>,
  recovered: boolean,
  world: EsWorld,
): EsOutcome {
  let status: ExternalSecretStatus | undefined;
  // Renewed leases in their places; revokeOnly ones as they were.
  const renewed = [...step.leases];
  const leases = p.oldLeases.map((l) => (l.revokeOnly ? l : (renewed.shift() ?? l)));
  if (recovered) {
    const ready = {
      status: 'True',
      reason: Reason.SecretSynced,
      message: 'lease renewed; Secret is up to date',
    } as const;
    status = withReady(p.es, ready, rfc3339(world.now()), { generatorLeases: leases });
  } else if (step.renewed > 0) {
    status = { ...(p.es.status ?? {}), generatorLeases: leases };
  }
  return {
    status,
    events: [],
    synced: false,
    storeKind: p.storeKind,
    requeueAfterMs: minDelay(
      // A refresh that only renewed counts from now: scheduling it from the old refreshTime
      // would find it due again at once (a busy loop).
      nextRun(p, decision, world, decision.sync ? world.now() : p.lastRefresh),
      step.nextAt === undefined ? undefined : step.nextAt - world.now(),
    ),
  };
}

function statusLeases(issued: IssuedLease[], now: number): GeneratorLease[] {
  return issued.map((l) => ({
    source: l.source,
    kind: l.kind,
    name: l.name,
    leaseID: l.grant.leaseID,
    leaseDuration: l.grant.leaseDuration,
    renewable: l.grant.renewable,
    issueTime: leaseTime(now),
    expireTime: leaseTime(l.grant.expireAt),
    ...(l.grant.revokeOnly ? { revokeOnly: true } : {}),
  }));
}

/** How long until the first lease must have been replaced (ms), or undefined without leases. */
function leaseDeadline(leases: GeneratorLease[], now: number): number | undefined {
  const ends = leases.map((l) => Date.parse(l.expireTime)).filter((t) => Number.isFinite(t));
  if (ends.length === 0) return undefined;
  const left = Math.min(...ends) - now;
  // Expired already: nothing to save any more, the plain backoff applies (no hammering).
  if (left <= 0) return undefined;
  // Retry soon enough to replace the values while the old ones still work, never in a busy loop.
  return Math.max(1000, left / 2);
}

// ---- the sync ----

async function syncNow(
  p: Plan,
  decision: Extract<SyncDecision, { sync: true }>,
  target: TargetSecretInfo | undefined,
  world: EsWorld,
): Promise<EsOutcome> {
  const issued: IssuedLease[] = [];
  let rendered: PipelineResult;
  try {
    rendered = await renderSecretData(p.es, p.store, world, {
      maxAgeMs: sharedReadAge(decision.why, p.intervalMs),
      issued,
    });
  } catch (e) {
    return failedSync(p, e, issued, world);
  }
  if (!target && p.assumeAbsent && Object.keys(rendered.data).length === 0) {
    // No data means no create: whether a Secret exists decides between deleting, retaining
    // and creating an empty one, so ask the apiserver.
    target = await world.targetSecret(p.ns, p.targetName, false, false);
  }
  const built = buildTarget({
    es: p.es,
    data: rendered.data,
    labels: rendered.labels,
    annotations: rendered.annotations,
    target,
    targetName: p.targetName,
    creation: p.creation,
    ownLabels: world.targetLabels?.(p.ns),
  });
  if (!built.ok) {
    const out = errorOutcome(p.es, world, built.reason, built.message, {
      intervalMs: p.generated ? 0 : p.intervalMs,
      synced: true,
      provider: rendered.provider,
      storeKind: p.storeKind,
    });
    return giveBack(out, issued, world);
  }
  return syncedOutcome(p, decision, target, built, rendered.provider, issued, world);
}

function syncedOutcome(
  p: Plan,
  decision: Extract<SyncDecision, { sync: true }>,
  target: TargetSecretInfo | undefined,
  built: Extract<TargetResult, { ok: true }>,
  provider: string,
  issued: IssuedLease[],
  world: EsWorld,
): EsOutcome {
  const now = rfc3339(world.now());
  const extra: Partial<ExternalSecretStatus> = {
    refreshTime: now,
    syncedResourceVersion: p.srv,
    binding: p.creation === 'None' ? p.es.status?.binding : { name: p.targetName },
  };
  const newLeases = statusLeases(issued, world.now());
  if (p.generated || p.oldLeases.length > 0)
    extra.generatorLeases = newLeases.length > 0 ? newLeases : undefined;
  const events: EventSpec[] = [];
  const name = p.targetName;
  if (built.write?.op === 'apply') {
    events.push(
      target
        ? { type: 'Normal', reason: 'Updated', message: `Updated Secret "${name}"` }
        : { type: 'Normal', reason: 'Created', message: `Created Secret "${name}"` },
    );
  } else if (built.write?.op === 'delete') {
    events.push({
      type: 'Normal',
      reason: 'Deleted',
      message: `Deleted Secret "${name}": the provider returned no data (deletionPolicy Delete)`,
    });
  }
  const withLifecycle = (ls: GeneratorLease[]) => ls.some((l) => !l.revokeOnly);
  if (p.generated && withLifecycle(newLeases) && withLifecycle(p.oldLeases))
    events.push({
      type: 'Normal',
      reason: 'Rotated',
      message: `Issued new values: ${describeDecision(decision)}`,
    });
  const nextLease = planLeases(newLeases, world.now()).nextAt;
  // Said in the Ready message, which Argo CD and Flux show; stable, so no status churn.
  const notes = [...(p.windows?.ignored ?? [])];
  if (p.floorNote && built.ready.status === 'True') notes.push(p.floorNote);
  const ready =
    notes.length > 0
      ? { ...built.ready, message: `${built.ready.message}; ${notes.join('; ')}` }
      : built.ready;
  return {
    write: built.write,
    status: withReady(p.es, ready, now, extra),
    events,
    synced: true,
    provider,
    storeKind: p.storeKind,
    requeueAfterMs: minDelay(
      schedule(p, world, world.now()),
      nextLease === undefined ? undefined : nextLease - world.now(),
    ),
    // The replaced credentials go only after the new ones are written (the executor revokes
    // these after the Secret write).
    revokeLeases: p.oldLeases.filter((l) => l.leaseID),
  };
}

/** A fetch or render failure: the status says why; values issued meanwhile are given back. */
async function failedSync(p: Plan, e: unknown, issued: IssuedLease[], world: EsWorld): Promise<EsOutcome> {
  // Issuing generated values is not a paid read of an unchanged value: retry on the plain
  // backoff, and before the current lease expires.
  const retry = p.generated
    ? { intervalMs: 0, latestMs: leaseDeadline(p.oldLeases, world.now()) }
    : { intervalMs: p.intervalMs };
  if (e instanceof ProviderError) {
    const reason =
      e instanceof GeneratorNotSupportedError
        ? Reason.GeneratorNotSupported
        : e.reason === 'InvalidProviderConfig'
          ? Reason.InvalidStoreConfig
          : Reason.ProviderError;
    const out = errorOutcome(p.es, world, reason, e.message, {
      ...retry,
      synced: true,
      storeKind: p.storeKind,
      retryAfterMs: e.retryAfterMs,
    });
    return giveBack(out, issued, world);
  }
  if (e instanceof SecretDataError) {
    const reason =
      e.reason === 'TooLarge'
        ? Reason.SecretTooLarge
        : e.reason === 'TemplateFailed' ||
            e.reason === 'TemplateSourceNotFound' ||
            e.reason === 'TemplatePaced'
          ? Reason.TemplateFailed
          : Reason.SecretSyncedError;
    // The pace refills in seconds: waiting for the refresh interval (an hour, say) would leave
    // the ExternalSecret failed that long for want of CPU the operator had a moment later.
    // Jittered over a second refill, and never below the operator's interval floor.
    const paced =
      e.reason === 'TemplatePaced'
        ? {
            latestMs: Math.max(
              world.minRefreshIntervalMs ?? 0,
              Math.round(PACE_REFILL_MS * (1 + (world.random ?? Math.random)())),
            ),
          }
        : {};
    return giveBack(
      errorOutcome(p.es, world, reason, e.message, {
        ...retry,
        ...paced,
        synced: true,
        storeKind: p.storeKind,
      }),
      issued,
      world,
    );
  }
  // Unexpected: still give back what was issued, then let the controller's error policy act.
  if (issued.length > 0 && world.generators) {
    const g = world.generators;
    await Promise.allSettled(unusedLeases(issued, world).map((l) => g.revoke(p.ns, l)));
  }
  throw e;
}

function unusedLeases(issued: IssuedLease[], world: EsWorld): GeneratorLease[] {
  return statusLeases(issued, world.now()).filter((l) => l.leaseID);
}

/** Values issued by a sync that then fails are never written: their leases go back. */
function giveBack(out: EsOutcome, issued: IssuedLease[], world: EsWorld): EsOutcome {
  return issued.length > 0 ? { ...out, revokeLeases: unusedLeases(issued, world) } : out;
}
