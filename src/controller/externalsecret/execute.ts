// Applies an ExternalSecret reconcile's outcome: the Secret write (server-side apply, or a
// delete / recreate), the status patch, leases given back, Events, metrics and logs.
//
// Order matters: the Secret first (a status that says Synced must never precede the data),
// then the status, then revoking replaced leases (only once the new values are in the Secret).

import type { ExternalSecret, GeneratorLease, Secret } from '../../api/types.js';
import { SECRETS } from '../../kube/resources.js';
import { isKubeApiError } from '../../kube/types.js';
import type { KubeApi, KubeLogger } from '../../kube/types.js';
import type { EventRecorder, EventSpec } from '../../observability/events.js';
import type { Metrics } from '../../observability/metrics.js';
import { setCondition } from '../../runtime/conditions.js';
import { rfc3339 } from '../../runtime/time/rfc3339.js';
import { redactValues } from '../../secrets/errors.js';
import type { Executed, RunContext } from '../../runtime/controller.js';
import type { StatusWriter } from '../../runtime/status.js';
import type { Generators } from '../generator/access.js';
import { DATA_HASH_ANNOTATION } from './ownership.js';
import { Reason, externalSecretReady } from '../reasons.js';
import type { EsOutcome } from './reconcile.js';
import type { SecretWrite } from './target.js';
import type { GenericTargets } from './generic-targets.js';
import type { GenericWrite } from './manifest.js';
import type { TargetSecrets } from './targets.js';

export interface EsExecutorDeps {
  api: KubeApi;
  fieldManager: string;
  targets: TargetSecrets;
  writeStatus: StatusWriter<ExternalSecret>;
  generators?: Pick<Generators, 'revokeAll'>;
  events: Pick<EventRecorder, 'record'>;
  metrics: Pick<Metrics, 'secretWrite' | 'secretWriteSkipped' | 'syncDone'>;
  logger: Pick<KubeLogger, 'debug' | 'info' | 'warn'>;
  /** Told of every write that changed an existing Secret's data (rollout restarts). */
  onDataChanged?: (change: SecretDataChange) => void;
  /** target.manifest of another kind (--unsafe-allow-generic-targets). */
  generic?: Pick<GenericTargets, 'write'>;
}

/**
 * A write changed the data of a Secret that was there before: never a create, never a write of
 * the same data (metadata only), never a run that wrote nothing.
 */
export interface SecretDataChange {
  namespace: string;
  secret: string;
  secretUid: string;
  /** The data hash after the write (ESO's data-hash annotation) and the one recorded before. */
  hash: string;
  previousHash: string;
  /** The Secret's annotations after the write (Reloader's match and ignore are read there). */
  annotations: Readonly<Record<string, string>>;
  externalSecret: ExternalSecret;
}

/** A blind create met an existing Secret; the reconcile runs again with a GET of `target`. */
export class TargetExists extends Error {
  constructor(readonly target: string) {
    super(`target Secret ${target} exists`);
  }
}

export async function executeExternalSecret(
  deps: EsExecutorDeps,
  es: ExternalSecret,
  outcome: EsOutcome,
  ctx: RunContext,
): Promise<Executed> {
  if (outcome.ignore) return {};
  const failed = !!outcome.failed;
  if (outcome.write) {
    try {
      const written = await writeSecret(deps, es, outcome.write, ctx.signal);
      if (written && deps.onDataChanged) dataChanged(deps.onDataChanged, es, outcome.write, written);
    } catch (e) {
      if (e instanceof TargetExists && !ctx.rerun) {
        // Nothing was written: decide again, this time with the Secret as it is.
        deps.targets.markExisting(e.target);
        return { rerun: true };
      }
      await writeFailed(deps, es, outcome, e, ctx);
      // API failures are ours, not the user's: retry on the queue's backoff.
      return { error: true };
    }
  } else if (outcome.genericWrite) {
    const done = await writeGeneric(deps, es, outcome, ctx);
    if (done) return done;
  } else if (outcome.synced && !failed) {
    deps.metrics.secretWriteSkipped();
  }
  if (outcome.status) await writeStatusOrTell(deps, es, outcome.status, outcome.events);
  if (outcome.revokeLeases?.length) {
    const notRevoked = await revoke(deps, es, outcome.revokeLeases);
    if (notRevoked.length > 0)
      deps.logger.warn(
        { namespace: es.metadata.namespace, name: es.metadata.name, failed: notRevoked },
        'revoking replaced generator leases failed; they expire at their TTL',
      );
  }
  emit(deps, es, outcome.events);
  recordSync(deps, outcome, !failed, ctx.startedAt);
  logOutcome(deps, es, outcome, ctx.failures);
  return { error: failed, requeueAfterMs: outcome.requeueAfterMs };
}

/** The write failed: the old values stay, the new leases go back, the status says why. */
async function writeFailed(
  deps: EsExecutorDeps,
  es: ExternalSecret,
  outcome: EsOutcome,
  e: unknown,
  ctx: RunContext,
): Promise<void> {
  const before = es.status?.generatorLeases ?? [];
  if (outcome.status?.generatorLeases !== es.status?.generatorLeases)
    await revoke(
      deps,
      es,
      (outcome.status?.generatorLeases ?? []).filter((l) => !before.some((o) => o.leaseID === l.leaseID)),
    );
  const detail = isKubeApiError(e)
    ? `${e.code} ${e.reason}: ${e.message}`
    : e instanceof Error
      ? e.message
      : String(e);
  const message = outcome.write
    ? scrub(`writing Secret "${outcome.write.name}" failed: ${detail}`, outcome.write)
    : scrubGeneric(`writing ${genericName(outcome.genericWrite!)} failed: ${detail}`, outcome.genericWrite!);
  const generation = es.metadata.generation;
  deps.logger.warn(
    {
      namespace: es.metadata.namespace,
      name: es.metadata.name,
      code: isKubeApiError(e) ? e.code : undefined,
    },
    message,
  );
  const events: EventSpec[] = [{ type: 'Warning', reason: 'UpdateFailed', message }];
  await writeStatusOrTell(
    deps,
    es,
    {
      ...(es.status ?? {}),
      observedGeneration: generation,
      conditions: setCondition(
        es.status?.conditions,
        {
          type: 'Ready',
          ...externalSecretReady({ status: 'False', reason: Reason.SecretWriteFailed, message }),
          observedGeneration: generation,
        },
        rfc3339(Date.now()),
      ),
    },
    events,
  );
  emit(deps, es, events);
  recordSync(deps, outcome, false, ctx.startedAt);
}

/**
 * The status write; when it fails (the status writer logs and counts it), the outcome's Events
 * still go out, so `kubectl describe` says why the sync failed even if the status cannot.
 */
async function writeStatusOrTell(
  deps: EsExecutorDeps,
  es: ExternalSecret,
  status: object,
  events: EventSpec[],
): Promise<void> {
  try {
    await deps.writeStatus(es, status);
  } catch (e) {
    emit(deps, es, events);
    throw e;
  }
}

/**
 * A resourceVersion no stored object has (etcd's first write is revision 2): sent with a write
 * that must create, it makes the apply fail with 409 Conflict when the Secret exists, while an
 * apply that creates ignores it. Two ExternalSecrets creating one target at once share the
 * field manager, so without it the second apply would silently take over the first's Secret.
 */
const MUST_CREATE_RESOURCE_VERSION = '1';

/** Tells of a write whose data differs from what the Secret held (see SecretDataChange). */
function dataChanged(
  tell: (change: SecretDataChange) => void,
  es: ExternalSecret,
  write: SecretWrite,
  written: Secret,
): void {
  if (write.op === 'delete' || write.op === 'label' || write.previousDataHash === undefined) return;
  const annotations = written.metadata.annotations ?? {};
  const hash = annotations[DATA_HASH_ANNOTATION];
  if (!hash || hash === write.previousDataHash) return;
  tell({
    namespace: es.metadata.namespace ?? '',
    secret: write.name,
    secretUid: written.metadata.uid ?? '',
    hash,
    previousHash: write.previousDataHash,
    annotations,
    externalSecret: es,
  });
}

/**
 * Executes a Secret write and returns the apiserver's answer (none for a delete). A create that
 * finds the Secret existing throws TargetExists.
 */
async function writeSecret(
  deps: EsExecutorDeps,
  es: ExternalSecret,
  write: SecretWrite,
  signal: AbortSignal,
): Promise<Secret | undefined> {
  const namespace = es.metadata.namespace ?? '';
  const ref = { type: SECRETS, namespace, name: write.name };
  if (write.op === 'label') {
    const res = await deps.api.mergePatch<Secret>(ref, { metadata: { labels: write.labels } }, signal);
    deps.metrics.secretWrite('update');
    deps.targets.wrote(res);
    return res;
  }
  if (write.op === 'delete' || write.op === 'recreate') {
    try {
      await deps.api.delete(ref, { preconditionUid: write.uid, signal });
    } catch (e) {
      if (!(isKubeApiError(e) && e.notFound)) throw e;
    }
    deps.metrics.secretWrite('delete');
    if (write.op === 'delete') return undefined;
  }
  const create = write.op === 'recreate' || write.created;
  const body = create ? mustCreate(write.body) : write.body;
  let res: Secret;
  try {
    res = await deps.api.apply<Secret>(ref, body, { fieldManager: deps.fieldManager, force: true, signal });
  } catch (e) {
    // A create met a Secret the managed cache did not know: another ExternalSecret's that was
    // created a moment ago, or an unlabelled one. The apiserver refuses it (409 from the
    // precondition; 422 for a second controller or changed immutable data) and writes nothing.
    if (
      create &&
      isKubeApiError(e) &&
      (e.conflict || (e.code === 422 && (await exists(deps.api, ref, signal))))
    )
      throw new TargetExists(`${namespace}/${write.name}`);
    throw e;
  }
  deps.metrics.secretWrite(create ? 'create' : 'update');
  deps.targets.wrote(res);
  return res;
}

function mustCreate(body: Secret): Secret {
  return { ...body, metadata: { ...body.metadata, resourceVersion: MUST_CREATE_RESOURCE_VERSION } };
}

async function exists(
  api: KubeApi,
  ref: { type: typeof SECRETS; namespace: string; name: string },
  signal: AbortSignal,
): Promise<boolean> {
  try {
    await api.get<Secret>(ref, signal);
    return true;
  } catch (e) {
    if (isKubeApiError(e) && e.notFound) return false;
    throw e;
  }
}

async function revoke(deps: EsExecutorDeps, es: ExternalSecret, leases: GeneratorLease[]): Promise<string[]> {
  if (!deps.generators || leases.length === 0) return [];
  return deps.generators.revokeAll(es.metadata.namespace ?? '', leases);
}

/**
 * target.manifest of another kind: the write, or the run's result when it ends here. A 409
 * (the object changed since it was read, or a create met one) runs again in a second, as ESO.
 */
async function writeGeneric(
  deps: EsExecutorDeps,
  es: ExternalSecret,
  outcome: EsOutcome,
  ctx: RunContext,
): Promise<Executed | undefined> {
  const w = outcome.genericWrite!;
  if (!deps.generic) throw new Error('a generic target write without generic targets');
  try {
    await deps.generic.write(es.metadata.namespace ?? '', w, ctx.signal);
    deps.metrics.secretWrite(w.op === 'create' ? 'create' : w.op === 'delete' ? 'delete' : 'update');
    return undefined;
  } catch (e) {
    if (isKubeApiError(e) && e.conflict) {
      deps.logger.debug(
        { namespace: es.metadata.namespace, name: es.metadata.name },
        `${genericName(w)} changed while it was written; running again`,
      );
      return { requeueAfterMs: GENERIC_CONFLICT_RETRY_MS };
    }
    await writeFailed(deps, es, outcome, e, ctx);
    return { error: true };
  }
}

export const GENERIC_CONFLICT_RETRY_MS = 1000;

const genericName = (w: GenericWrite) => `${w.type.kind} "${w.name}"`;

function stringLeaves(v: unknown, out: string[]): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) stringLeaves(x, out);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) stringLeaves(x, out);
  return out;
}

/** Removes any value of the written object that an apiserver error might echo back. */
export function scrubGeneric(message: string, w: GenericWrite): string {
  const values = w.op === 'delete' ? [] : stringLeaves([w.body.data, w.body.spec], []);
  const out = redactValues(message, values);
  return out.length > 512 ? `${out.slice(0, 509)}...` : out;
}

/** Removes any written value that an apiserver error might echo back. */
export function scrub(message: string, write: SecretWrite): string {
  const data = write.op === 'delete' || write.op === 'label' ? {} : (write.body.data ?? {});
  const values = Object.values(data).map((b64) => Buffer.from(b64, 'base64').toString('utf8'));
  const out = redactValues(message, values);
  return out.length > 512 ? `${out.slice(0, 509)}...` : out;
}

function emit(deps: EsExecutorDeps, es: ExternalSecret, events: EventSpec[]): void {
  for (const e of events) deps.events.record(es, e.type, e.reason, e.message);
}

function recordSync(deps: EsExecutorDeps, outcome: EsOutcome, ok: boolean, startedAt: number): void {
  const seconds = (performance.now() - startedAt) / 1000;
  deps.metrics.syncDone(
    {
      kind: 'ExternalSecret',
      storeKind: outcome.storeKind ?? 'unknown',
      provider: outcome.provider ?? 'unknown',
    },
    outcome.synced ? (ok ? 'success' : 'error') : ok ? 'skipped' : 'error',
    seconds,
  );
}

function logOutcome(deps: EsExecutorDeps, es: ExternalSecret, outcome: EsOutcome, failures: number): void {
  if (outcome.failed) {
    const ready = outcome.status?.conditions?.find((c) => c.type === 'Ready');
    deps.logger.info(
      {
        namespace: es.metadata.namespace,
        name: es.metadata.name,
        reason: ready?.reason,
        detail: ready?.message,
      },
      failures === 0 ? 'sync failed' : 'sync still failing',
    );
  } else if (outcome.synced) {
    deps.logger.debug(
      {
        namespace: es.metadata.namespace,
        name: es.metadata.name,
        wrote: outcome.write?.op ?? outcome.genericWrite?.op ?? 'none',
      },
      'synced',
    );
  }
}
