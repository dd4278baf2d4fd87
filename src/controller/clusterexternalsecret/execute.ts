// Applies a ClusterExternalSecret reconcile's outcome: the child ExternalSecrets (create,
// merge patch, delete; a few in flight at once), ESO's namespace finalizers released, then the
// status (a merge patch, only when it differs), metrics and logs. The cleanup on deletion is
// here too: it deletes the children first, unless the deletion orphans them.

import type { ClusterExternalSecret, ExternalSecret, KubeObject, Namespace } from '../../api/types.js';
import { isKubeApiError } from '../../kube/types.js';
import type { KubeApi, KubeLogger } from '../../kube/types.js';
import type { Metrics, SyncResult } from '../../observability/metrics.js';
import type { ObjectCache } from '../../runtime/cache.js';
import type { Executed, RunContext } from '../../runtime/controller.js';
import type { Finalizers } from '../../runtime/finalizer.js';
import type { QueueResult } from '../../runtime/queue.js';
import type { StatusWriter } from '../../runtime/status.js';
import { writeChildren as fanoutWrite } from '../fanout/write.js';
import { CES_FANOUT } from './children.js';
import { cesStatus, ESO_NAMESPACE_FINALIZER_PREFIX } from './reconcile.js';
import type { CesOutcome, ChildWrite } from './reconcile.js';
import type { CesWorld } from './world.js';

export { CHILD_WRITE_CONCURRENCY } from '../fanout/write.js';
/** The finalizer `kubectl delete --cascade=orphan` (propagationPolicy Orphan) sets: keep the children. */
const ORPHAN_FINALIZER = 'orphan';

export interface CesExecutorDeps {
  api: KubeApi;
  externalSecrets: ObjectCache<ExternalSecret>;
  namespaces: ObjectCache<Namespace>;
  namespaceFinalizers: Pick<Finalizers<Namespace>, 'remove'>;
  writeStatus: StatusWriter<ClusterExternalSecret>;
  metrics: Pick<Metrics, 'syncDone'>;
  logger: Pick<KubeLogger, 'debug' | 'info' | 'warn'>;
}

export async function executeClusterExternalSecret(
  deps: CesExecutorDeps,
  ces: ClusterExternalSecret,
  outcome: CesOutcome,
  ctx: Pick<RunContext, 'signal' | 'startedAt'>,
): Promise<Executed> {
  const failures = await writeChildren(deps, outcome.writes, ctx.signal);
  const released = await release(deps, ces, outcome.releaseNamespaces);
  await deps.writeStatus(ces, cesStatus(ces, outcome, failures, Date.now()));

  const failed = failures.size > 0 || !released || outcome.invalid !== undefined;
  const result: SyncResult = failed ? 'error' : outcome.writes.length > 0 ? 'success' : 'skipped';
  deps.metrics.syncDone(
    {
      kind: 'ClusterExternalSecret',
      storeKind: outcome.invalid
        ? 'unknown'
        : (ces.spec?.externalSecretSpec?.secretStoreRef?.kind ?? 'SecretStore'),
      provider: 'none',
    },
    result,
    (performance.now() - ctx.startedAt) / 1000,
  );
  const log = { name: ces.metadata.name, writes: outcome.writes.length };
  if (failures.size > 0)
    deps.logger.info(
      { ...log, failed: failures.size, first: failures.values().next().value },
      'writing ExternalSecrets of a ClusterExternalSecret failed for some namespaces; retrying',
    );
  else if (outcome.writes.length > 0) deps.logger.debug(log, 'ClusterExternalSecret applied');
  // API failures are transient: the queue's backoff retries. A foreign ExternalSecret or an
  // invalid spec waits for a change instead (the watches bring it).
  if (failures.size > 0 || !released) return { error: true };
  return { requeueAfterMs: outcome.requeueAfterMs };
}

/** Executes the writes; the namespaces whose write failed, with why. */
function writeChildren(
  deps: CesExecutorDeps,
  writes: readonly ChildWrite[],
  signal: AbortSignal,
): Promise<Map<string, string>> {
  const children = deps.externalSecrets as unknown as ObjectCache<KubeObject>;
  return fanoutWrite({ api: deps.api, kind: CES_FANOUT, children }, writes, signal);
}

/** Removes ESO's namespace finalizer for this ClusterExternalSecret; false if one removal failed. */
async function release(
  deps: CesExecutorDeps,
  ces: ClusterExternalSecret,
  names: readonly string[],
): Promise<boolean> {
  const finalizer = `${ESO_NAMESPACE_FINALIZER_PREFIX}${ces.metadata.name ?? ''}`;
  let ok = true;
  for (const name of names) {
    const ns = deps.namespaces.get(name);
    if (!ns) continue;
    try {
      await deps.namespaceFinalizers.remove(ns, finalizer);
    } catch (e) {
      if (isKubeApiError(e) && e.notFound) continue;
      ok = false;
      deps.logger.info(
        { name: ces.metadata.name, namespace: name, err: e },
        "removing ESO's namespace finalizer failed; retrying",
      );
    }
  }
  return ok;
}

/**
 * The ClusterExternalSecret is being deleted: its ExternalSecrets go first (ESO does the same
 * through the same finalizer; the owner references would let the garbage collector do it too,
 * later), except when the deletion orphans them. Undefined when done: the finalizer goes.
 */
export async function cleanupClusterExternalSecret(
  deps: CesExecutorDeps,
  ces: ClusterExternalSecret,
  world: CesWorld,
  signal: AbortSignal,
): Promise<QueueResult | undefined> {
  const name = ces.metadata.name ?? '';
  const orphan = ces.metadata.finalizers?.includes(ORPHAN_FINALIZER) ?? false;
  const writes: ChildWrite[] = orphan
    ? []
    : [...world.children(name)]
        .filter((c) => !c.metadata.deletionTimestamp)
        .map((c) => ({
          op: 'delete' as const,
          namespace: c.metadata.namespace ?? '',
          name: c.metadata.name ?? '',
          uid: c.metadata.uid,
        }));
  const finalizer = `${ESO_NAMESPACE_FINALIZER_PREFIX}${name}`;
  const holding = [...world.namespaces()]
    .filter((ns) => ns.metadata.finalizers?.includes(finalizer))
    .map((ns) => ns.metadata.name ?? '');
  const failures = await writeChildren(deps, writes, signal);
  const released = await release(deps, ces, holding);
  if (failures.size > 0 || !released) {
    deps.logger.info(
      { name, failed: failures.size, first: failures.values().next().value },
      'deleting the ExternalSecrets of a ClusterExternalSecret failed; retrying before it goes',
    );
    return { error: true };
  }
  if (writes.length > 0)
    deps.logger.debug({ name, deleted: writes.length }, 'ClusterExternalSecret cleaned up');
  return undefined;
}
