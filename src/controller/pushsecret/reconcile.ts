// The PushSecret reconciler: (object, world) → plan. It decides whether to push now, resolves
// the stores, reads the source Secret(s) (or issues a generator's values), applies the
// template and expands data[] and dataTo[] into the entries each store receives. It never
// writes: the executor (./execute.ts) pushes, deletes what is no longer pushed (deletionPolicy
// Delete), and writes the status that pushStatus() derives from the plan and the results.
//
// ESO 2.9's rules (pkg/controllers/pushsecret): push when the spec, labels or annotations
// changed (syncedResourceVersion; Argo CD's "push" action sets the force-sync annotation), when
// never pushed, and every refreshInterval (default 1h; 0: only on changes). Syncret also pushes
// at once when the source Secret or a store changes, and retries a failed push on the jittered
// backoff rather than a whole interval later.

import type { PushSecret, PushSecretSpec } from '../../api/types.js';
import { parseGoDuration } from '../../config/duration.js';
import type { LeaseGrant } from '../../providers/generator.js';
import { ProviderError } from '../../providers/errors.js';
import { getCondition } from '../../runtime/conditions.js';
import type { QueueReason } from '../../runtime/queue.js';
import { flooredInterval, nextRefresh } from '../../runtime/schedule.js';
import { SecretDataError } from '../../secrets/errors.js';
import { applyTemplate, loadTemplateSources } from '../../secrets/templating.js';
import { errorDelayMs, syncedResourceVersion } from '../externalsecret/decide.js';
import { dataToProblem, entriesFor, storeStatusKey, unmatchedDataTo } from './entries.js';
import type { PushEntry } from './entries.js';
import type { PushWorld, ResolvedStore, SourceSecret } from './world.js';

export const DEFAULT_PUSH_REFRESH = '1h';
/** ESO's finalizer name: PushSecrets created under ESO are cleaned up the same way. */
export const PUSH_FINALIZER = 'pushsecret.externalsecrets.io/finalizer';

// ESO's condition reasons and texts: alerts and runbooks written for ESO match them.
export const PushReason = {
  Synced: 'Synced',
  Errored: 'Errored',
  SourceDeleted: 'SourceDeleted',
} as const;
export const SYNCED_MESSAGE = 'PushSecret synced successfully';
export const SYNCED_IF_NOT_EXISTS = `${SYNCED_MESSAGE}. Existing secrets in providers unchanged.`;
export const SOURCE_DELETED_MESSAGE = 'source secret deleted; provider secrets cleaned up';
export const GET_SOURCE_FAILED = 'could not get source secret';

/** What to push to one store. */
export interface StorePlan {
  store: ResolvedStore;
  /** ESO's key of the store in status.syncedPushSecrets ("Kind/name"). */
  key: string;
  entries: PushEntry[];
}

export type PushPlan =
  /** Not ours (another controller's stores only) or being deleted: nothing at all. */
  | { kind: 'ignore' }
  /** Up to date: nothing to push until the next refresh. */
  | { kind: 'skip'; requeueAfterMs?: number }
  /** The push cannot start: the status says why, the queue retries on the backoff. */
  | { kind: 'fail'; message: string; retry: boolean; requeueAfterMs?: number }
  /** The source Secret went and deletionPolicy is Delete: remove what was pushed. */
  | { kind: 'source-deleted'; srv: string; requeueAfterMs?: number }
  | {
      kind: 'push';
      stores: StorePlan[];
      ifNotExists: boolean;
      deleteUnwanted: boolean;
      srv: string;
      /** Leases behind generated values (revoked if the push fails, kept otherwise). */
      issued: { kind: string; name: string; grant: LeaseGrant }[];
      /** When to run next after a successful push. */
      requeueAfterMs?: number;
      /** When to retry after a failed one. */
      retryAfterMs: number;
    };

/**
 * spec.refreshInterval in ms raised to the operator's floor (--min-refresh-interval; 0 keeps
 * meaning "only on changes"), or the message that says why it is invalid.
 */
export function pushIntervalMs(ps: PushSecret, floorMs = 0): { ms: number } | { error: string } {
  const raw = ps.spec?.refreshInterval || DEFAULT_PUSH_REFRESH;
  try {
    const ms = parseGoDuration(raw);
    if (ms < 0) return { error: `invalid refreshInterval "${raw}": must not be negative` };
    return { ms: flooredInterval(ms, floorMs) };
  } catch (e) {
    return { error: `invalid refreshInterval "${raw}": ${(e as Error).message}` };
  }
}

/** Why the push runs now, or undefined when it is up to date. */
export function pushCause(
  ps: PushSecret,
  srv: string,
  intervalMs: number,
  trigger: QueueReason,
  now: number,
): string | undefined {
  const st = ps.status ?? {};
  if (!st.syncedResourceVersion || !st.refreshTime) return 'never pushed';
  if (st.syncedResourceVersion !== srv) return 'spec, labels or annotations changed';
  if (trigger === 'drift') return 'source changed';
  if (trigger === 'store') return 'store changed';
  if (getCondition(st.conditions, 'Ready')?.status !== 'True') return 'retrying after failure';
  if (intervalMs === 0) return undefined;
  const last = Date.parse(st.refreshTime);
  return !Number.isFinite(last) || last + intervalMs <= now ? 'refresh due' : undefined;
}

function dueIn(ps: PushSecret, intervalMs: number, world: PushWorld, from: number): number | undefined {
  const next = nextRefresh({
    refreshIntervalMs: intervalMs,
    refreshPolicy: 'Periodic',
    lastRefreshTime: from,
    now: world.now(),
    key: `${ps.metadata.namespace ?? ''}/${ps.metadata.name ?? ''}`,
  });
  return 'dueAtMs' in next ? Math.max(0, next.dueAtMs - world.now()) : undefined;
}

/** A failed push is retried on the jittered backoff: the remote stays stale until it succeeds. */
function retryDelay(world: PushWorld): number {
  return errorDelayMs(world.failures, 0, world.maxErrorBackoffMs, world.random ?? Math.random);
}

function fail(world: PushWorld, message: string, retry = true): PushPlan {
  return { kind: 'fail', message, retry, requeueAfterMs: retry ? retryDelay(world) : undefined };
}

function errorText(e: unknown): string | undefined {
  if (e instanceof ProviderError || e instanceof SecretDataError) return e.message;
  return undefined;
}

export async function reconcilePushSecret(
  ps: PushSecret,
  world: PushWorld,
  trigger: QueueReason,
): Promise<PushPlan> {
  if (ps.metadata.deletionTimestamp) return { kind: 'ignore' };
  const spec = ps.spec ?? {};
  const ns = ps.metadata.namespace ?? '';
  const interval = pushIntervalMs(ps, world.minRefreshIntervalMs);
  if ('error' in interval) return fail(world, interval.error, false);
  const srv = syncedResourceVersion(ps);
  const cause = pushCause(ps, srv, interval.ms, trigger, world.now());
  const lastPush = Date.parse(ps.status?.refreshTime ?? '');
  if (!cause) return { kind: 'skip', requeueAfterMs: dueIn(ps, interval.ms, world, lastPush) };

  const problem = dataToProblem(spec);
  if (problem) return fail(world, problem, false);
  const stores: ResolvedStore[] = [];
  for (const ref of spec.secretStoreRefs ?? []) {
    const r = world.resolveStores(ref, ns);
    if (!r.ok) return fail(world, r.message);
    for (const s of r.stores) if (!stores.some((x) => x.kind === s.kind && x.name === s.name)) stores.push(s);
  }
  // Every store belongs to another controller (or is being deleted): not ours to push.
  if (stores.length === 0) return { kind: 'ignore' };
  const unmatched = unmatchedDataTo(spec, stores);
  if (unmatched) return fail(world, unmatched, false);

  const issued: { kind: string; name: string; grant: LeaseGrant }[] = [];
  let sources: SourceSecret[];
  try {
    const got = await readSources(ps, spec, world, issued);
    if (got === 'source-deleted') return { kind: 'source-deleted', srv, requeueAfterMs: retryDelay(world) };
    sources = got;
  } catch (e) {
    const text = errorText(e);
    if (text === undefined) throw e;
    return fail(world, text);
  }

  const plans: StorePlan[] = [];
  try {
    const rendered = await Promise.all(sources.map((s) => templated(ps, s, world)));
    for (const store of stores) {
      const entries = rendered.flatMap((r) => entriesFor(spec, store, r.data, r.meta));
      plans.push({ store, key: storeStatusKey(store), entries });
    }
  } catch (e) {
    const text = errorText(e);
    if (text === undefined) throw e;
    return fail(world, text);
  }
  return {
    kind: 'push',
    stores: plans,
    ifNotExists: spec.updatePolicy === 'IfNotExists',
    deleteUnwanted: spec.deletionPolicy === 'Delete',
    srv,
    issued,
    requeueAfterMs: interval.ms > 0 ? dueIn(ps, interval.ms, world, world.now()) : undefined,
    retryAfterMs: retryDelay(world),
  };
}

/** The source Secret(s), or the values a generator issued, as pseudo Secrets. */
async function readSources(
  ps: PushSecret,
  spec: PushSecretSpec,
  world: PushWorld,
  issued: { kind: string; name: string; grant: LeaseGrant }[],
): Promise<SourceSecret[] | 'source-deleted'> {
  const ns = ps.metadata.namespace ?? '';
  const sel = spec.selector ?? {};
  const gen = sel.generatorRef;
  if (gen) {
    if (!world.generators)
      throw new ProviderError('Unsupported', 'selector.generatorRef: no generators are available here');
    const made = await world.generators.generate(ns, gen, 'selector');
    if (made.lease) issued.push({ kind: gen.kind ?? '', name: gen.name ?? '', grant: made.lease });
    return [{ name: `${gen.kind ?? ''}/${gen.name ?? ''}`, data: made.data, labels: {}, annotations: {} }];
  }
  const secret = sel.secret;
  if (secret?.name) {
    const s = await world.sourceSecret(ns, secret.name);
    if (s) return [s];
    const synced = Object.keys(ps.status?.syncedPushSecrets ?? {}).length > 0;
    if (spec.deletionPolicy === 'Delete' && synced) return 'source-deleted';
    throw new SecretDataError('KeyNotFound', `${GET_SOURCE_FAILED}: Secret "${secret.name}" not found`);
  }
  if (secret?.selector) {
    const found = await world.sourceSecrets(ns, secret.selector);
    // Syncret refuses an empty match rather than pushing nothing: a relabelled Secret must not
    // look like a PushSecret that has nothing to do (and, with Delete, remove everything).
    if (found.length === 0)
      throw new SecretDataError(
        'KeyNotFound',
        `${GET_SOURCE_FAILED}: no Secret matches selector.secret.selector`,
      );
    return found;
  }
  throw new SecretDataError('Unsupported', 'selector must set secret.name, secret.selector or generatorRef');
}

interface Rendered {
  data: Record<string, Uint8Array>;
  meta: NonNullable<PushEntry['source']>;
}

/**
 * The source data after spec.template (ESO keeps the source keys and adds the rendered ones),
 * and its type, labels and annotations with the template's metadata over them.
 */
async function templated(ps: PushSecret, source: SourceSecret, world: PushWorld): Promise<Rendered> {
  const template = ps.spec?.template;
  const meta = { type: source.type, labels: source.labels, annotations: source.annotations };
  if (!template) return { data: source.data, meta };
  const ns = ps.metadata.namespace ?? '';
  const es = {
    metadata: ps.metadata,
    spec: { target: { template: { ...template, mergePolicy: 'Merge' as const } } },
  };
  const sources = await loadTemplateSources(es, async (kind, name) => {
    if (!world.templateSource)
      throw new SecretDataError('Unsupported', 'templateFrom ConfigMaps and Secrets cannot be read here');
    return world.templateSource(ns, kind, name);
  });
  const out = applyTemplate(es, source.data, sources);
  return {
    data: out.data,
    meta: {
      type: template.type || source.type,
      labels: { ...source.labels, ...(out.labels ?? {}) },
      annotations: { ...source.annotations, ...(out.annotations ?? {}) },
    },
  };
}
