// The ClusterPushSecret controller: one PushSecret spec stamped into every namespace its
// namespaceSelectors pick, removed from namespaces that stop matching, with ESO 2.9's names
// (pushSecretName, pushSecretMetadata, refreshTime) and texts. The fan-out is the one
// ClusterExternalSecret uses (../fanout/): the same selection, ownership, writes and status.
// ESO sets no finalizer on a ClusterPushSecret, and neither does Syncret: its PushSecrets carry
// a controller reference, so the garbage collector deletes them, and each runs its own
// deletionPolicy on the way out.
//
//   ClusterPushSecret  create · spec (generation) · annotation (force-sync is passed on)
//   Namespace          added, relabelled, going → the ClusterPushSecrets it concerns
//   PushSecret         no longer as its owner wants it, or deleted → its owner

import type { ClusterPushSecret, KubeObject, Namespace, PushSecret } from '../../api/types.js';
import { GROUP, PUSH_VERSION } from '../../api/types.js';
import { parseGoDuration } from '../../config/duration.js';
import { CLUSTER_PUSH_SECRETS, PUSH_SECRETS } from '../../kube/resources.js';
import type { KubeApi } from '../../kube/types.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import type { ObjectCache } from '../../runtime/cache.js';
import { jsonEqual } from '../../runtime/conditions.js';
import { Controller } from '../../runtime/controller.js';
import type { Executed, RunContext } from '../../runtime/controller.js';
import type { WorkQueueOptions } from '../../runtime/queue.js';
import type { ReverseIndex } from '../../runtime/reverse-index.js';
import { flooredInterval } from '../../runtime/schedule.js';
import { statusWriter } from '../../runtime/status.js';
import type { StatusWriter } from '../../runtime/status.js';
import type { FanoutKind } from '../fanout/children.js';
import { fanoutStatus, planChildren } from '../fanout/plan.js';
import type { FanoutOutcome, FanoutWorld } from '../fanout/plan.js';
import { childIndex, watchChildren, watchNamespaces } from '../fanout/watch.js';
import { writeChildren } from '../fanout/write.js';

/** ESO's default re-check interval. */
export const DEFAULT_CPS_REFRESH = '1h';

export const CPS_FANOUT: FanoutKind<ClusterPushSecret, PushSecret> = {
  parentKind: 'ClusterPushSecret',
  parentApiVersion: `${GROUP}/${PUSH_VERSION}`,
  childKind: 'PushSecret',
  childApiVersion: `${GROUP}/${PUSH_VERSION}`,
  childType: PUSH_SECRETS,
  // ESO's text.
  existsMessage: 'push secret already exists in namespace',
  childName: (cps) => cps.spec?.pushSecretName || cps.metadata.name || '',
  namespaceNames: () => [],
  selectors: (cps) => cps.spec?.namespaceSelectors ?? [],
  metadata: (cps) => cps.spec?.pushSecretMetadata,
  childSpec: (cps) => cps.spec?.pushSecretSpec ?? { secretStoreRefs: [], selector: {} },
  refresh(cps, floorMs = 0) {
    const raw = cps.spec?.refreshTime || DEFAULT_CPS_REFRESH;
    try {
      return { ms: flooredInterval(Math.max(0, parseGoDuration(raw)), floorMs) };
    } catch (e) {
      return { error: `invalid refreshTime "${raw}": ${(e as Error).message}` };
    }
  },
};

export interface CpsCaches {
  clusterPushSecrets: ObjectCache<ClusterPushSecret>;
  pushSecrets: ObjectCache<PushSecret>;
  namespaces: ObjectCache<Namespace>;
}

export interface CpsControllerOptions {
  api: KubeApi;
  /** The operator's --min-refresh-interval (applied to refreshTime). */
  minRefreshIntervalMs?: number;
  caches: CpsCaches;
  metrics: Metrics;
  logger: Logger;
  queue: Omit<WorkQueueOptions<string>, 'handler' | 'autoStart'>;
  signal: AbortSignal;
}

function world(
  caches: CpsCaches,
  children: ReverseIndex<PushSecret>,
  minRefreshIntervalMs: number | undefined,
): FanoutWorld<PushSecret> {
  return {
    now: Date.now,
    minRefreshIntervalMs,
    *namespaces() {
      for (const key of caches.namespaces.keys()) {
        const ns = caches.namespaces.get(key);
        if (ns) yield ns;
      }
    },
    child: (namespace, name) => caches.pushSecrets.latest(`${namespace}/${name}`),
    *children(name) {
      for (const key of children.keysFor(name)) {
        const ps = caches.pushSecrets.get(key);
        if (ps) yield ps;
      }
    },
  };
}

async function execute(
  o: CpsControllerOptions,
  writeStatus: StatusWriter<ClusterPushSecret>,
  cps: ClusterPushSecret,
  outcome: FanoutOutcome,
  ctx: Pick<RunContext, 'signal' | 'startedAt'>,
): Promise<Executed> {
  const children = o.caches.pushSecrets as unknown as ObjectCache<KubeObject>;
  const failures = await writeChildren(
    { api: o.api, kind: CPS_FANOUT, children },
    outcome.writes,
    ctx.signal,
  );
  await writeStatus(cps, fanoutStatus(cps, outcome, failures, Date.now(), 'pushSecretName'));
  const failed = failures.size > 0 || outcome.invalid !== undefined;
  o.metrics.syncDone(
    {
      kind: 'ClusterPushSecret',
      storeKind: cps.spec?.pushSecretSpec?.secretStoreRefs?.[0]?.kind ?? 'SecretStore',
      provider: 'none',
    },
    failed ? 'error' : outcome.writes.length > 0 ? 'success' : 'skipped',
    (performance.now() - ctx.startedAt) / 1000,
  );
  const log = { name: cps.metadata.name, writes: outcome.writes.length };
  if (failures.size > 0) {
    o.logger.info(
      { ...log, failed: failures.size, first: failures.values().next().value },
      'writing PushSecrets of a ClusterPushSecret failed for some namespaces; retrying',
    );
    return { error: true };
  }
  if (outcome.writes.length > 0) o.logger.debug(log, 'ClusterPushSecret applied');
  return { requeueAfterMs: outcome.requeueAfterMs };
}

export function clusterPushSecretController(
  o: CpsControllerOptions,
): Controller<ClusterPushSecret, FanoutOutcome> {
  const { caches } = o;
  const cache = caches.clusterPushSecrets;
  const children = childIndex(CPS_FANOUT, caches.pushSecrets);
  const w = world(caches, children, o.minRefreshIntervalMs);
  const writeStatus = statusWriter<ClusterPushSecret>({
    api: o.api,
    type: CLUSTER_PUSH_SECRETS,
    cache,
    signal: o.signal,
    onWrite: (written) => (written ? o.metrics.statusWrite() : o.metrics.statusWriteSkipped()),
    onFailed: (code) => o.metrics.statusWriteFailed('ClusterPushSecret', code),
    logger: o.logger,
  });
  const controller = new Controller<ClusterPushSecret, FanoutOutcome>({
    name: 'clusterpushsecret',
    cache,
    logger: o.logger,
    queue: o.queue,
    changed: (old, cps) => {
      if (old.metadata.generation !== cps.metadata.generation) return 'spec';
      if (!jsonEqual(old.metadata.annotations, cps.metadata.annotations)) return 'annotation';
      return undefined;
    },
    // Being deleted: the garbage collector takes the PushSecrets (no finalizer, as ESO).
    reconcile: async (cps) =>
      cps.metadata.deletionTimestamp
        ? { writes: [], childName: CPS_FANOUT.childName(cps), provisioned: [], failures: [] }
        : planChildren(CPS_FANOUT, cps, w),
    execute: (cps, outcome, ctx) =>
      cps.metadata.deletionTimestamp ? Promise.resolve({}) : execute(o, writeStatus, cps, outcome, ctx),
  });
  const c = controller as unknown as Controller<ClusterPushSecret, unknown>;
  watchNamespaces(c, CPS_FANOUT, cache, caches.namespaces);
  watchChildren(c, CPS_FANOUT, cache, caches.pushSecrets, caches.namespaces);
  return controller;
}
