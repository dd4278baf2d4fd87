// Applies a PushSecret plan: the pushes (IfNotExists checks first), then, with deletionPolicy
// Delete, the removal of what was pushed before and is no longer wanted; then the status (one
// merge patch, only when it differs), leases given back, Events, metrics and logs. The cleanup
// on deletion is here too.
//
// Safety, whatever the plan: a provider refuses to write or delete a remote it does not own
// (NotOwned); a failed push deletes nothing; status.syncedPushSecrets keeps every entry that
// may still exist remotely, so a later run (or the deletion) can still remove it.

import type { GeneratorLease, PushSecret, PushSecretStatus, SyncedPushSecrets } from '../../api/types.js';
import type { KubeLogger } from '../../kube/types.js';
import type { EventRecorder } from '../../observability/events.js';
import type { LeaseGrant } from '../../providers/generator.js';
import type { Metrics, SyncResult } from '../../observability/metrics.js';
import type { Executed, RunContext } from '../../runtime/controller.js';
import { setCondition } from '../../runtime/conditions.js';
import type { QueueResult } from '../../runtime/queue.js';
import type { StatusWriter } from '../../runtime/status.js';
import { rfc3339 } from '../../runtime/time/rfc3339.js';
import { redactValues } from '../../secrets/errors.js';
import type { Generators } from '../generator/access.js';
import { leaseTime } from '../externalsecret/leases.js';
import type { DataSink, StoreWriter } from '../store/access.js';
import type { StoreLookup } from '../store/resolve.js';
import type { PushEntry } from './entries.js';
import { PushReason, SOURCE_DELETED_MESSAGE, SYNCED_IF_NOT_EXISTS, SYNCED_MESSAGE } from './reconcile.js';
import type { PushPlan } from './reconcile.js';
import { storeFromStatusKey } from './world.js';

export interface PushExecutorDeps {
  sink: DataSink;
  /** A key of a ConfigMap or Secret of `namespace`, for documents metadata names. */
  readKey?: (namespace: string, kind: 'ConfigMap' | 'Secret', name: string, key: string) => Promise<string>;
  /** Stores by name from the caches, for entries of stores no longer in the spec. */
  lookup: StoreLookup;
  writeStatus: StatusWriter<PushSecret>;
  generators?: Pick<Generators, 'revokeAll'>;
  events: Pick<EventRecorder, 'record'>;
  metrics: Pick<Metrics, 'syncDone'>;
  logger: Pick<KubeLogger, 'debug' | 'info' | 'warn'>;
}

const decoder = new TextDecoder();
const MAX_MESSAGE = 1024;

interface Tally {
  created: number;
  updated: number;
  deleted: number;
  unchanged: number;
  failures: string[];
  /** Stores that are gone: what was pushed there cannot be deleted and is left in place. */
  abandoned: string[];
  provider?: string;
}

const newTally = (): Tally => ({
  created: 0,
  updated: 0,
  deleted: 0,
  unchanged: 0,
  failures: [],
  abandoned: [],
});

function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/** The values pushed, for scrubbing messages that might echo one. */
function valuesOf(entries: readonly PushEntry[]): string[] {
  const out: string[] = [];
  for (const e of entries) {
    if (e.value.kind === 'bytes') out.push(decoder.decode(e.value.data));
    else for (const v of Object.values(e.value.data)) out.push(decoder.decode(v));
  }
  return out;
}

function bounded(message: string): string {
  return message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 3)}...` : message;
}

function dropEmpty(s: SyncedPushSecrets): SyncedPushSecrets {
  return Object.fromEntries(Object.entries(s).filter(([, v]) => Object.keys(v).length > 0));
}

function withReady(
  ps: PushSecret,
  ready: { status: 'True' | 'False'; reason: string; message: string },
  extra: Partial<PushSecretStatus>,
  now: number,
): PushSecretStatus {
  const prev = ps.status ?? {};
  const status: PushSecretStatus = {
    ...prev,
    ...extra,
    conditions: setCondition(
      prev.conditions,
      { type: 'Ready', ...ready, observedGeneration: ps.metadata.generation },
      rfc3339(now),
    ),
  };
  for (const k of Object.keys(status) as (keyof PushSecretStatus)[])
    if (status[k] === undefined) delete status[k];
  return status;
}

async function pushEntries(
  deps: PushExecutorDeps,
  ps: PushSecret,
  w: StoreWriter,
  entries: readonly PushEntry[],
  storeKey: string,
  ifNotExists: boolean,
  t: Tally,
): Promise<Record<string, PushEntry['data']>> {
  const done: Record<string, PushEntry['data']> = {};
  const read = deps.readKey;
  const ns = ps.metadata.namespace ?? '';
  const readKey = read
    ? (kind: 'ConfigMap' | 'Secret', name: string, key: string) => read(ns, kind, name, key)
    : undefined;
  for (const e of entries) {
    try {
      if (ifNotExists && (await w.exists(e.ref))) t.unchanged++;
      else {
        const r = await w.push({
          ref: e.ref,
          value: e.value,
          metadata: e.metadata,
          source: e.source,
          readKey,
        });
        t[r]++;
      }
      done[e.statusKey] = e.data;
    } catch (err) {
      const name = storeKey.slice(storeKey.indexOf('/') + 1);
      t.failures.push(
        `could not write remote ref ${e.statusKey} to target secretstore ${name}: ${errorMessage(err)}`,
      );
    }
  }
  return done;
}

/** Deletes `entries` from the store named by `storeKey`; those that could not go stay in `keep`. */
async function deleteEntries(
  deps: PushExecutorDeps,
  ps: PushSecret,
  storeKey: string,
  entries: Record<string, PushEntry['data']>,
  keep: SyncedPushSecrets,
  t: Tally,
): Promise<void> {
  const keys = Object.keys(entries);
  if (keys.length === 0) return;
  const ns = ps.metadata.namespace ?? '';
  const store = storeFromStatusKey(storeKey, ns, deps.lookup);
  if (!store.ok && store.otherController) return;
  if (!store.ok) {
    // Nothing can reach it any more; keeping the entries would block forever.
    t.abandoned.push(`${store.message}: ${keys.length} pushed secret(s) left in place (${keys.join(', ')})`);
    return;
  }
  let w: StoreWriter;
  try {
    w = await deps.sink.writer(store.info);
  } catch (e) {
    t.failures.push(`could not delete secrets from store ${storeKey}: ${errorMessage(e)}`);
    keep[storeKey] = { ...(keep[storeKey] ?? {}), ...entries };
    return;
  }
  for (const key of keys) {
    const ref = entries[key]!.match?.remoteRef;
    try {
      const r = await w.delete({
        remoteKey: ref?.remoteKey ?? '',
        ...(ref?.property ? { property: ref.property } : {}),
      });
      if (r === 'deleted') t.deleted++;
      else if (r === 'not-owned')
        deps.logger.info(
          { namespace: ns, name: ps.metadata.name, store: storeKey, remoteKey: key },
          'not deleting a remote secret this operator does not own',
        );
    } catch (e) {
      t.failures.push(`could not delete remote ref ${key} from store ${storeKey}: ${errorMessage(e)}`);
      keep[storeKey] = { ...(keep[storeKey] ?? {}), [key]: entries[key]! };
    }
  }
}

export async function executePushSecret(
  deps: PushExecutorDeps,
  ps: PushSecret,
  plan: PushPlan,
  ctx: Pick<RunContext, 'startedAt'>,
): Promise<Executed> {
  if (plan.kind === 'ignore') return {};
  if (plan.kind === 'skip') return { requeueAfterMs: plan.requeueAfterMs };
  const now = Date.now();
  if (plan.kind === 'fail') {
    await finish(deps, ps, withReady(ps, failed(plan.message), {}, now), [], newTally(), ctx, true);
    return { error: plan.retry, requeueAfterMs: plan.requeueAfterMs };
  }
  if (plan.kind === 'source-deleted') return sourceDeleted(deps, ps, plan, now, ctx);

  const t = newTally();
  const old = ps.status?.syncedPushSecrets ?? {};
  const synced: SyncedPushSecrets = {};
  const values: string[] = [];
  for (const sp of plan.stores) {
    values.push(...valuesOf(sp.entries));
    let w: StoreWriter;
    try {
      w = await deps.sink.writer(sp.store.info);
    } catch (e) {
      t.failures.push(`could not get secrets client for store ${sp.store.name}: ${errorMessage(e)}`);
      synced[sp.key] = { ...(old[sp.key] ?? {}) };
      continue;
    }
    t.provider ??= w.provider;
    const before = t.failures.length;
    const done = await pushEntries(deps, ps, w, sp.entries, sp.key, plan.ifNotExists, t);
    // A failed push keeps what was recorded before: nothing is deleted on its account.
    synced[sp.key] = t.failures.length > before ? { ...(old[sp.key] ?? {}), ...done } : done;
  }
  if (plan.deleteUnwanted && t.failures.length === 0) {
    const keep: SyncedPushSecrets = {};
    for (const [storeKey, entries] of Object.entries(old)) {
      const wanted = synced[storeKey] ?? {};
      const gone = Object.fromEntries(Object.entries(entries).filter(([k]) => !Object.hasOwn(wanted, k)));
      await deleteEntries(deps, ps, storeKey, gone, keep, t);
    }
    for (const [k, v] of Object.entries(keep)) synced[k] = { ...v, ...(synced[k] ?? {}) };
  } else {
    // Entries of stores no longer pushed to stay recorded: they may still exist remotely.
    for (const [k, v] of Object.entries(old)) if (!synced[k]) synced[k] = { ...v };
  }

  const ok = t.failures.length === 0;
  const leases = ok ? await rotateLeases(deps, ps, plan.issued, now) : undefined;
  if (!ok) await giveBack(deps, ps, plan.issued, now);
  const extra: Partial<PushSecretStatus> = { syncedPushSecrets: dropEmpty(synced) };
  if (ok) {
    extra.refreshTime = rfc3339(now);
    extra.syncedResourceVersion = plan.srv;
    if (leases) extra.generatorLeases = leases.length > 0 ? leases : undefined;
  }
  const ready = ok
    ? {
        status: 'True' as const,
        reason: PushReason.Synced,
        message: plan.ifNotExists ? SYNCED_IF_NOT_EXISTS : SYNCED_MESSAGE,
      }
    : failed(redactValues(summary(t), values));
  await finish(deps, ps, withReady(ps, ready, extra, now), values, t, ctx, !ok);
  return ok ? { requeueAfterMs: plan.requeueAfterMs } : { error: true, requeueAfterMs: plan.retryAfterMs };
}

function failed(message: string) {
  return { status: 'False' as const, reason: PushReason.Errored, message: bounded(message) };
}

function summary(t: Tally): string {
  const first = `set secret failed: ${t.failures[0]}`;
  return t.failures.length > 1 ? `${first} (and ${t.failures.length - 1} more)` : first;
}

async function sourceDeleted(
  deps: PushExecutorDeps,
  ps: PushSecret,
  plan: Extract<PushPlan, { kind: 'source-deleted' }>,
  now: number,
  ctx: Pick<RunContext, 'startedAt'>,
): Promise<Executed> {
  const t = newTally();
  const keep: SyncedPushSecrets = {};
  for (const [storeKey, entries] of Object.entries(ps.status?.syncedPushSecrets ?? {}))
    await deleteEntries(deps, ps, storeKey, entries, keep, t);
  const ok = t.failures.length === 0;
  const ready = ok
    ? { status: 'False' as const, reason: PushReason.SourceDeleted, message: SOURCE_DELETED_MESSAGE }
    : failed(`failed to cleanup provider secrets: ${t.failures[0]}`);
  const status = withReady(
    ps,
    ready,
    { syncedPushSecrets: dropEmpty(keep), syncedResourceVersion: plan.srv },
    now,
  );
  await finish(deps, ps, status, [], t, ctx, !ok);
  return ok ? {} : { error: true, requeueAfterMs: plan.requeueAfterMs };
}

function statusLease(l: { kind: string; name: string; grant: LeaseGrant }, now: number): GeneratorLease {
  return {
    source: 'selector.generatorRef',
    kind: l.kind,
    name: l.name,
    leaseID: l.grant.leaseID,
    leaseDuration: l.grant.leaseDuration,
    renewable: l.grant.renewable,
    issueTime: leaseTime(now),
    expireTime: leaseTime(l.grant.expireAt),
  };
}

/** The new leases go into status; the replaced ones are revoked now that their values are gone from the backend. */
async function rotateLeases(
  deps: PushExecutorDeps,
  ps: PushSecret,
  issued: Extract<PushPlan, { kind: 'push' }>['issued'],
  now: number,
): Promise<GeneratorLease[] | undefined> {
  const before = ps.status?.generatorLeases ?? [];
  if (issued.length === 0 && before.length === 0) return undefined;
  const leases = issued.map((l) => statusLease(l, now));
  if (ps.spec?.selector?.generatorRef && before.length > 0 && deps.generators) {
    const failedRevokes = await deps.generators.revokeAll(ps.metadata.namespace ?? '', before);
    if (failedRevokes.length > 0)
      deps.logger.warn(
        { namespace: ps.metadata.namespace, name: ps.metadata.name, failed: failedRevokes },
        'revoking replaced generator leases failed; they expire at their TTL',
      );
  }
  return ps.spec?.selector?.generatorRef ? leases : [];
}

/** Values issued for a push that failed never reached the backend: their leases go back. */
async function giveBack(
  deps: PushExecutorDeps,
  ps: PushSecret,
  issued: Extract<PushPlan, { kind: 'push' }>['issued'],
  now: number,
): Promise<void> {
  const leases = issued.map((l) => statusLease(l, now)).filter((l) => l.leaseID);
  if (leases.length > 0 && deps.generators)
    await deps.generators.revokeAll(ps.metadata.namespace ?? '', leases);
}

async function finish(
  deps: PushExecutorDeps,
  ps: PushSecret,
  status: PushSecretStatus,
  values: string[],
  t: Tally,
  ctx: Pick<RunContext, 'startedAt'>,
  error: boolean,
): Promise<void> {
  const ready = status.conditions?.find((c) => c.type === 'Ready');
  const prev = ps.status?.conditions?.find((c) => c.type === 'Ready');
  const changed =
    prev?.status !== ready?.status || prev?.reason !== ready?.reason || prev?.message !== ready?.message;
  const wrote = t.created + t.updated + t.deleted;
  for (const a of t.abandoned)
    deps.events.record(
      ps,
      'Warning',
      'DeleteSkipped',
      bounded(`Cannot delete from a store that is gone: ${a}`),
    );
  try {
    await deps.writeStatus(ps, status);
  } finally {
    if (error && changed && ready?.message)
      deps.events.record(ps, 'Warning', PushReason.Errored, redactValues(ready.message, values));
    else if (!error && ready?.reason === PushReason.SourceDeleted && changed)
      deps.events.record(ps, 'Normal', PushReason.SourceDeleted, SOURCE_DELETED_MESSAGE);
    else if (!error && wrote > 0)
      deps.events.record(
        ps,
        'Normal',
        PushReason.Synced,
        `Pushed: ${t.created} created, ${t.updated} updated, ${t.deleted} deleted, ${t.unchanged} unchanged`,
      );
  }
  const result: SyncResult = error ? 'error' : wrote > 0 ? 'success' : 'skipped';
  deps.metrics.syncDone(
    {
      kind: 'PushSecret',
      storeKind: ps.spec?.secretStoreRefs?.[0]?.kind ?? 'SecretStore',
      provider: t.provider ?? 'unknown',
    },
    result,
    (performance.now() - ctx.startedAt) / 1000,
  );
  const log = { namespace: ps.metadata.namespace, name: ps.metadata.name, ...t, failures: t.failures.length };
  if (error) deps.logger.info({ ...log, detail: ready?.message }, 'push failed; retrying');
  else deps.logger.debug(log, 'pushed');
}

/**
 * The PushSecret is being deleted: with deletionPolicy Delete every remote secret it pushed
 * (and still owns) goes, and the leases behind generated values are revoked. Undefined when
 * done (the finalizer goes); a failure retries on the backoff, the object waits.
 */
export async function cleanupPushSecret(
  deps: PushExecutorDeps,
  ps: PushSecret,
): Promise<QueueResult | undefined> {
  const t = newTally();
  const keep: SyncedPushSecrets = {};
  if (ps.spec?.deletionPolicy === 'Delete')
    for (const [storeKey, entries] of Object.entries(ps.status?.syncedPushSecrets ?? {}))
      await deleteEntries(deps, ps, storeKey, entries, keep, t);
  const leases = (ps.status?.generatorLeases ?? []).filter((l) => l.leaseID);
  const notRevoked =
    leases.length > 0 && deps.generators
      ? await deps.generators.revokeAll(ps.metadata.namespace ?? '', leases)
      : [];
  if (notRevoked.length > 0)
    deps.logger.warn(
      { namespace: ps.metadata.namespace, name: ps.metadata.name, failed: notRevoked },
      'revoking generator leases failed; they expire at their TTL',
    );
  if (t.failures.length > 0) {
    const message = bounded(`Failed to Delete Secrets from Provider: ${t.failures[0]}`);
    deps.events.record(ps, 'Warning', PushReason.Errored, message);
    deps.logger.info(
      { namespace: ps.metadata.namespace, name: ps.metadata.name, detail: message },
      'deleting pushed secrets failed; retrying before the PushSecret goes',
    );
    return { error: true };
  }
  for (const a of t.abandoned)
    deps.events.record(
      ps,
      'Warning',
      'DeleteSkipped',
      bounded(`Cannot delete from a store that is gone: ${a}`),
    );
  if (t.deleted > 0)
    deps.events.record(
      ps,
      'Normal',
      'Deleted',
      `Deleted ${t.deleted} pushed secret(s) (deletionPolicy Delete)`,
    );
  return undefined;
}
