// The ExternalSecret reconciler: a pure-ish function of (object, world) → outcome.
// It reads through `world` (stores from the watch cache, provider values through the shared
// client cache, the target Secret's metadata) and returns what to write; it never writes.
// The executor in ./execute.ts applies the outcome, so this function is unit-testable
// with a fake world and no cluster.

import { createHash } from 'node:crypto';
import type {
  Condition,
  ExternalSecret,
  ExternalSecretStatus,
  GeneratorLease,
  RefreshPolicy,
} from '../../api/types.js';
import { parseGoDuration } from '../../config/duration.js';
import { ProviderError } from '../../providers/errors.js';
import { SecretDataError } from '../../secrets/errors.js';
import { applyTemplate, loadTemplateSources } from '../../secrets/templating.js';
import type { Rendered } from '../../secrets/templating.js';
import { getCondition, setCondition } from '../../runtime/conditions.js';
import { Reason } from '../reasons.js';
import type { QueueReason } from '../../runtime/queue.js';
import { nextRefresh } from '../../runtime/schedule.js';
import { resolveStore } from '../store/resolve.js';
import type { StoreLookup, StoreResolution } from '../store/resolve.js';
import { collectData, needsMainStore, usesGenerators } from './data.js';
import type { DataSource, GeneratorAccess, IssuedLease } from './data.js';
import { RENEW_FAILED_PREFIX, leaseTime, maintainLeases, planLeases } from './leases.js';
import { buildTarget } from './target.js';
import type { TargetSecretInfo, SecretWrite } from './target.js';

export const DEFAULT_REFRESH_INTERVAL = '1h';

export interface EsWorld extends StoreLookup {
  now(): number;
  /** Provider access for one store resolution (client cache, dedupe, credentials). */
  source: DataSource;
  /** Generators (dataFrom[].sourceRef.generatorRef); undefined where none are available. */
  generators?: GeneratorAccess;
  /**
   * Metadata of the target Secret (from the managed-Secret cache, else a GET), or undefined.
   * With `assumeAbsent`, a Secret the managed cache does not hold is taken as absent without a
   * GET: the caller then only creates it, and the executor turns a create that finds an
   * existing Secret back into a reconcile with a GET.
   */
  targetSecret(
    namespace: string,
    name: string,
    withData: boolean,
    assumeAbsent?: boolean,
  ): Promise<TargetSecretInfo | undefined>;
  /**
   * A ConfigMap's (data and binaryData) or Secret's data in a namespace, for templateFrom;
   * undefined when it does not exist. Read at every sync: a changed template shows at the next
   * refresh.
   */
  templateSource?(
    namespace: string,
    kind: 'ConfigMap' | 'Secret',
    name: string,
  ): Promise<Record<string, Uint8Array> | undefined>;
  /** Longest delay between retries of a failing ExternalSecret. */
  maxErrorBackoffMs: number;
  /** Failures in a row so far for this key (for the retry delay). */
  failures: number;
  random?: () => number;
}

export interface EventSpec {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface EsOutcome {
  /** The object is not ours (controller class) or is being deleted: do nothing at all. */
  ignore?: boolean;
  write?: SecretWrite;
  /** The full status to have; the executor writes it only if it differs. */
  status?: ExternalSecretStatus;
  events: EventSpec[];
  requeueAfterMs?: number;
  /** The sync failed: count it for backoff and metrics. */
  failed?: boolean;
  /** Whether a provider fetch happened (for metrics: sync vs skipped). */
  synced: boolean;
  /** The store's provider name, for metrics labels. */
  provider?: string;
  storeKind?: string;
  /**
   * Generator leases to revoke after the outcome is executed: the replaced ones after a
   * rotation, or the ones just issued when the sync failed (their values were never written).
   */
  revokeLeases?: GeneratorLease[];
}

/** ESO's syncedResourceVersion: generation plus a hash of labels and annotations. */
export function syncedResourceVersion(es: ExternalSecret): string {
  const h = createHash('sha256');
  h.update(JSON.stringify(sortedEntries(es.metadata.labels)));
  h.update(JSON.stringify(sortedEntries(es.metadata.annotations)));
  return `${es.metadata.generation ?? 0}-${h.digest('hex').slice(0, 32)}`;
}

function sortedEntries(m: Record<string, string> | undefined): [string, string][] {
  return Object.entries(m ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function isoNow(world: EsWorld): string {
  return new Date(world.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Delay before retrying a failed sync: jittered exponential, never sooner than the refresh interval allows. */
export function errorDelayMs(
  failures: number,
  intervalMs: number,
  maxMs: number,
  random: () => number,
): number {
  const base = Math.min(maxMs, 5000 * 2 ** Math.min(failures, 20));
  const jittered = base * (0.8 + 0.4 * random());
  // Users pay per provider call: a failing ExternalSecret is not retried more often than
  // its refresh interval (unless its spec or annotations change, which enqueues it anew).
  return Math.round(intervalMs > 0 ? Math.max(jittered, intervalMs) : jittered);
}

function errorOutcome(
  es: ExternalSecret,
  world: EsWorld,
  reason: string,
  message: string,
  opts: {
    intervalMs: number;
    synced: boolean;
    provider?: string;
    storeKind?: string;
    retry?: boolean;
    /** Retry no later than this (ms from now): a lease must be handled before it expires. */
    latestMs?: number;
    /** A backend's Retry-After (throttling): never retry sooner. */
    retryAfterMs?: number;
  },
): EsOutcome {
  const now = isoNow(world);
  const status = withReady(es, world, { status: 'False', reason, message }, now);
  const prev = getCondition(es.status?.conditions, 'Ready');
  const changed = prev?.status !== 'False' || prev.reason !== reason || prev.message !== message;
  return {
    status,
    events: changed ? [{ type: 'Warning', reason: 'UpdateFailed', message }] : [],
    failed: true,
    synced: opts.synced,
    provider: opts.provider,
    storeKind: opts.storeKind,
    requeueAfterMs:
      opts.retry === false
        ? undefined
        : Math.min(
            Math.max(
              errorDelayMs(
                world.failures,
                opts.intervalMs,
                world.maxErrorBackoffMs,
                world.random ?? Math.random,
              ),
              opts.retryAfterMs ?? 0,
            ),
            // Never a busy loop, even when the deadline has passed already.
            Math.max(500, opts.latestMs ?? Infinity),
          ),
  };
}

/**
 * Sync reasons that do not re-issue generated values while their leases are valid. A 'store
 * changed' trigger does: it also means an edited generator.
 */
const LEASE_KEEPS = new Set(['refresh due', 'retrying after failure']);

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
  }));
}

const minDelay = (...ms: (number | undefined)[]): number | undefined => {
  const v = ms.filter((x): x is number => x !== undefined && Number.isFinite(x));
  return v.length > 0 ? Math.max(0, Math.min(...v)) : undefined;
};

function withReady(
  es: ExternalSecret,
  world: EsWorld,
  cond: Pick<Condition, 'status' | 'reason' | 'message'>,
  now: string,
  extra: Partial<ExternalSecretStatus> = {},
): ExternalSecretStatus {
  const prev = es.status ?? {};
  return {
    ...prev,
    ...extra,
    observedGeneration: es.metadata.generation,
    conditions: setCondition(
      prev.conditions,
      { type: 'Ready', ...cond, observedGeneration: es.metadata.generation },
      now,
    ),
  };
}

interface SyncDecision {
  sync: boolean;
  why: string;
}

/** decideSync reasons that sharedReadAge tells apart (the rest only reach logs). */
export const WHY_NEVER_SYNCED = 'never synced';
export const WHY_SPEC_CHANGED = 'spec, labels or annotations changed';

export function decideSync(args: {
  trigger: QueueReason;
  policy: RefreshPolicy;
  intervalMs: number;
  es: ExternalSecret;
  srv: string;
  targetMissing: boolean;
  targetDrifted: boolean;
  now: number;
}): SyncDecision {
  const { es, policy, trigger } = args;
  const st = es.status ?? {};
  const everSynced = !!st.syncedResourceVersion && !!st.refreshTime;
  if (!everSynced) return { sync: true, why: WHY_NEVER_SYNCED };
  const ready = getCondition(st.conditions, 'Ready');
  // A Secret removed by deletionPolicy Delete is meant to be missing.
  if (args.targetMissing && ready?.reason !== Reason.SecretDeleted)
    return { sync: true, why: 'target Secret missing' };
  if (args.targetDrifted) return { sync: true, why: 'target Secret changed outside Syncret' };
  if (policy === 'CreatedOnce') return { sync: false, why: 'refreshPolicy CreatedOnce' };
  if (st.syncedResourceVersion !== args.srv) return { sync: true, why: WHY_SPEC_CHANGED };
  if (trigger === 'store') return { sync: true, why: 'store changed' };
  if (ready?.status !== 'True') return { sync: true, why: 'retrying after failure' };
  if (policy === 'OnChange' || args.intervalMs === 0) return { sync: false, why: 'no periodic refresh' };
  const last = Date.parse(st.refreshTime ?? '');
  if (!Number.isFinite(last) || last + args.intervalMs <= args.now) return { sync: true, why: 'refresh due' };
  return { sync: false, why: 'up to date' };
}

/** Refreshes may reuse a provider answer up to this old (and never older than their interval). */
export const SHARED_READ_REFRESH_MS = 5 * 60 * 1000;
/** A first sync may reuse one this fresh: a burst of new objects on one key costs one call. */
export const SHARED_READ_FIRST_MS = 10 * 1000;

/**
 * How old a provider answer shared with other ExternalSecrets may be for this sync. A changed
 * spec or annotation (force-sync) asks for the backend's value now; periodic refreshes accept
 * one no older than their own interval, so no object ever sees data older than it asked for.
 */
export function sharedReadAge(why: string, intervalMs: number): number {
  if (why === WHY_SPEC_CHANGED || intervalMs <= 0) return 0;
  return Math.min(intervalMs, why === WHY_NEVER_SYNCED ? SHARED_READ_FIRST_MS : SHARED_READ_REFRESH_MS);
}

export async function reconcileExternalSecret(
  es: ExternalSecret,
  world: EsWorld,
  trigger: QueueReason,
): Promise<EsOutcome> {
  if (es.metadata.deletionTimestamp) return { ignore: true, events: [], synced: false };
  const ns = es.metadata.namespace ?? '';
  const spec = es.spec ?? {};

  const generated = usesGenerators(spec) && !!world.generators;
  // Without a secretStoreRef every entry names its own source (e.g. generators only).
  const resolution: StoreResolution | undefined =
    needsMainStore(spec) || !generated ? resolveStore(spec.secretStoreRef, ns, world) : undefined;
  if (resolution && !resolution.ok && resolution.reason === 'OtherController')
    return { ignore: true, events: [], synced: false };

  let intervalMs: number;
  try {
    intervalMs = parseGoDuration(spec.refreshInterval ?? DEFAULT_REFRESH_INTERVAL);
    if (intervalMs < 0) throw new Error(`refreshInterval "${spec.refreshInterval}" must not be negative`);
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    return errorOutcome(es, world, Reason.InvalidSpec, `invalid refreshInterval: ${detail}`, {
      intervalMs: 0,
      synced: false,
      retry: false,
    });
  }

  if (resolution && !resolution.ok) {
    // A missing store is fixed by creating it, which re-queues this object through the store
    // watch; a periodic retry covers stores of other namespaces' cluster-wide changes.
    return errorOutcome(es, world, resolution.reason, resolution.message, { intervalMs, synced: false });
  }
  const storeInfo = resolution?.ok ? resolution.info : undefined;
  const storeKind = storeInfo?.kind;
  const policy: RefreshPolicy = spec.refreshPolicy ?? 'Periodic';
  const targetName = spec.target?.name || es.metadata.name || '';
  const creation = spec.target?.creationPolicy ?? 'Owner';
  // Owner (the default) is the one policy whose write of an unknown target is safe to try
  // blind: the apiserver refuses a second controller, an immutable type or immutable data, and
  // adopting an unowned Secret is what the GET path would do too. Generators are excluded so a
  // retried reconcile never issues credentials twice.
  const assumeAbsent = creation === 'Owner' && !generated;
  let target =
    creation === 'None'
      ? undefined
      : await world.targetSecret(ns, targetName, creation === 'Merge', assumeAbsent);
  const srv = syncedResourceVersion(es);
  if (creation === 'Merge' && !target) {
    // Checked before any provider call: the fix is on the cluster side (create the Secret),
    // so retry on the plain backoff rather than waiting a whole refresh interval.
    return errorOutcome(
      es,
      world,
      Reason.SecretMissing,
      `target Secret "${targetName}" does not exist; creationPolicy Merge only merges into an existing Secret`,
      { intervalMs: 0, synced: false, storeKind },
    );
  }

  let decision = decideSync({
    trigger,
    policy,
    intervalMs,
    es,
    srv,
    targetMissing: creation !== 'None' && !target,
    targetDrifted: !!target && creation !== 'Merge' && target.drifted,
    now: world.now(),
  });
  const schedule = (lastRefreshTime: number | undefined): number | undefined => {
    if (policy !== 'Periodic') return undefined;
    const next = nextRefresh({
      refreshIntervalMs: intervalMs,
      refreshPolicy: policy,
      lastRefreshTime,
      now: world.now(),
      key: `${ns}/${es.metadata.name}`,
    });
    return 'dueAtMs' in next ? Math.max(0, next.dueAtMs - world.now()) : undefined;
  };
  const last = es.status?.refreshTime ? Date.parse(es.status.refreshTime) : undefined;
  const oldLeases = es.status?.generatorLeases ?? [];
  if (generated && world.generators && oldLeases.length > 0) {
    // Generated values are re-issued only when their leases require it (or the spec, the
    // target or a failed sync asks for it): a periodic refresh or an operator restart renews.
    const ready = getCondition(es.status?.conditions, 'Ready');
    const renewalFailed = ready?.status === 'False' && !!ready.message?.startsWith(RENEW_FAILED_PREFIX);
    const keep =
      !decision.sync ||
      (LEASE_KEEPS.has(decision.why) && (decision.why !== 'retrying after failure' || renewalFailed));
    if (keep) {
      const step = await maintainLeases(oldLeases, ns, world.generators, world.now);
      if (step.kind === 'rotate') decision = { sync: true, why: step.why };
      else if (step.kind === 'error') {
        return errorOutcome(es, world, Reason.ProviderError, step.message, {
          intervalMs: 0,
          synced: true,
          storeKind,
          latestMs: step.nextAt === undefined ? undefined : step.nextAt - world.now(),
        });
      } else {
        const wasFailed = renewalFailed;
        const status: ExternalSecretStatus | undefined =
          step.renewed > 0 || wasFailed
            ? wasFailed
              ? withReady(
                  es,
                  world,
                  {
                    status: 'True',
                    reason: Reason.SecretSynced,
                    message: 'lease renewed; Secret is up to date',
                  },
                  isoNow(world),
                  { generatorLeases: step.leases },
                )
              : { ...(es.status ?? {}), generatorLeases: step.leases }
            : undefined;
        return {
          status,
          events: [],
          synced: false,
          storeKind,
          requeueAfterMs: minDelay(
            // A refresh that only renewed counts from now: scheduling it from the old
            // refreshTime would find it due again at once (a busy loop).
            schedule(decision.sync ? world.now() : last),
            step.nextAt === undefined ? undefined : step.nextAt - world.now(),
          ),
        };
      }
    }
  }
  if (!decision.sync) {
    return { events: [], synced: false, requeueAfterMs: schedule(last), storeKind };
  }

  let rendered: Rendered;
  let providerName: string | undefined;
  const issued: IssuedLease[] = [];
  // Values issued by a sync that then fails are never written: give their leases back.
  const unused = (): GeneratorLease[] => statusLeases(issued, world.now()).filter((l) => l.leaseID);
  const failedWith = (o: EsOutcome): EsOutcome => (issued.length > 0 ? { ...o, revokeLeases: unused() } : o);
  try {
    const collected = await collectData(
      es,
      storeInfo,
      world,
      sharedReadAge(decision.why, intervalMs),
      issued,
    );
    providerName = collected.provider;
    const sources = await loadTemplateSources(es, async (kind, name) => {
      if (!world.templateSource)
        throw new SecretDataError('Unsupported', 'templateFrom ConfigMaps and Secrets cannot be read here');
      return world.templateSource(ns, kind, name);
    });
    rendered = applyTemplate(es, collected.data, sources);
  } catch (e) {
    // Issuing generated values is not a paid read of an unchanged value: retry on the plain
    // backoff, and before the current lease expires.
    const retry = generated
      ? { intervalMs: 0, latestMs: leaseDeadline(oldLeases, world.now()) }
      : { intervalMs };
    if (e instanceof ProviderError) {
      const reason = e.reason === 'InvalidProviderConfig' ? Reason.InvalidStoreConfig : Reason.ProviderError;
      return failedWith(
        errorOutcome(es, world, reason, e.message, {
          ...retry,
          synced: true,
          storeKind,
          retryAfterMs: e.retryAfterMs,
        }),
      );
    }
    if (e instanceof SecretDataError) {
      const reason =
        e.reason === 'TooLarge'
          ? Reason.SecretTooLarge
          : e.reason === 'TemplateFailed' || e.reason === 'TemplateSourceNotFound'
            ? Reason.TemplateFailed
            : Reason.SecretSyncedError;
      return failedWith(errorOutcome(es, world, reason, e.message, { ...retry, synced: true, storeKind }));
    }
    // Unexpected: still give back what was issued.
    if (issued.length > 0 && world.generators) {
      const g = world.generators;
      await Promise.allSettled(unused().map((l) => g.revoke(ns, l)));
    }
    throw e;
  }

  if (!target && assumeAbsent && Object.keys(rendered.data).length === 0) {
    // No data means no create: whether a Secret exists decides between deleting, retaining
    // and creating an empty one, so ask the apiserver.
    target = await world.targetSecret(ns, targetName, false, false);
  }
  const now = isoNow(world);
  const built = buildTarget({
    es,
    data: rendered.data,
    labels: rendered.labels,
    annotations: rendered.annotations,
    target,
    targetName,
    creation,
    now,
  });
  if (!built.ok) {
    return failedWith(
      errorOutcome(es, world, built.reason, built.message, {
        intervalMs: generated ? 0 : intervalMs,
        synced: true,
        provider: providerName,
        storeKind,
      }),
    );
  }
  const syncedExtra: Partial<ExternalSecretStatus> = {
    refreshTime: now,
    syncedResourceVersion: srv,
    binding: creation === 'None' ? es.status?.binding : { name: targetName },
  };
  const newLeases = statusLeases(issued, world.now());
  if (generated || oldLeases.length > 0)
    syncedExtra.generatorLeases = newLeases.length > 0 ? newLeases : undefined;
  const status = withReady(es, world, built.ready, now, syncedExtra);
  const events: EventSpec[] = [];
  if (built.write?.op === 'apply') {
    events.push({
      type: 'Normal',
      reason: target ? 'Updated' : 'Created',
      message: target ? `Updated Secret "${targetName}"` : `Created Secret "${targetName}"`,
    });
  } else if (built.write?.op === 'delete') {
    events.push({
      type: 'Normal',
      reason: 'Deleted',
      message: `Deleted Secret "${targetName}": the provider returned no data (deletionPolicy Delete)`,
    });
  }
  if (generated && newLeases.length > 0 && oldLeases.length > 0)
    events.push({ type: 'Normal', reason: 'Rotated', message: `Issued new values: ${decision.why}` });
  const nextLease = planLeases(newLeases, world.now()).nextAt;
  return {
    write: built.write,
    status,
    events,
    synced: true,
    provider: providerName,
    storeKind,
    requeueAfterMs: minDelay(
      schedule(world.now()),
      nextLease === undefined ? undefined : nextLease - world.now(),
    ),
    // The replaced credentials go only after the new ones are written (the executor revokes
    // these after the Secret write).
    revokeLeases: oldLeases.filter((l) => l.leaseID),
  };
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
