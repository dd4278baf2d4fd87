// The ClusterExternalSecret reconciler: (object, world) → outcome. The fan-out itself (which
// namespaces, which writes, what status) is the fan-out kinds' own (../fanout/plan.ts); what is
// ClusterExternalSecret's alone is ESO's namespace finalizers, which Syncret removes.
//
// ESO 2.9's rules (pkg/controllers/clusterexternalsecret): an ExternalSecret of the same name
// that this ClusterExternalSecret does not control is never touched and its namespace is
// reported in failedNamespaces; a namespace being deleted is skipped; a changed
// externalSecretName removes the ExternalSecrets of the old name; Ready is the one condition ESO
// writes. Differences (docs/CLUSTEREXTERNALSECRET.md): PartiallyReady or NotReady follows a
// failing Ready, so Argo CD's health check (which reads the last condition) says Degraded; no
// namespace finalizers, and ESO's are removed.

import type { ClusterExternalSecret, ClusterExternalSecretStatus, Condition } from '../../api/types.js';
import { fanoutConditions, fanoutStatus, planChildren } from '../fanout/plan.js';
import type { FanoutOutcome } from '../fanout/plan.js';
import { CES_FANOUT } from './children.js';
import type { CesWorld } from './world.js';

export { EXISTS_MESSAGE } from './children.js';
export { FAILED_MESSAGE } from '../fanout/plan.js';
export type { ChildWrite } from '../fanout/plan.js';
export { DEFAULT_CES_REFRESH, cesRefreshIntervalMs } from './refresh.js';

/** ESO's finalizer name, so ClusterExternalSecrets created under ESO are cleaned up the same way. */
export const CES_FINALIZER = 'externalsecrets.external-secrets.io/clusterexternalsecret-cleanup';
/** ESO 2.9 adds `<prefix><name>` to every namespace it provisions; Syncret adds none and removes ESO's. */
export const ESO_NAMESPACE_FINALIZER_PREFIX = 'externalsecrets.external-secrets.io/ces-';

export type CesOutcome = Omit<FanoutOutcome, 'childName'> & {
  externalSecretName: string;
  /** Namespaces that still carry ESO's finalizer for this ClusterExternalSecret. */
  releaseNamespaces: string[];
};

export function reconcileClusterExternalSecret(ces: ClusterExternalSecret, world: CesWorld): CesOutcome {
  const { childName, ...out } = planChildren(CES_FANOUT, ces, {
    now: world.now,
    namespaces: () => world.namespaces(),
    child: (ns, name) => world.externalSecret(ns, name),
    children: (name) => world.children(name),
    minRefreshIntervalMs: world.minRefreshIntervalMs,
  });
  const release: string[] = [];
  if (!out.invalid) {
    const esoFinalizer = `${ESO_NAMESPACE_FINALIZER_PREFIX}${ces.metadata.name ?? ''}`;
    for (const ns of world.namespaces())
      if (ns.metadata.finalizers?.includes(esoFinalizer)) release.push(ns.metadata.name ?? '');
  }
  return { ...out, externalSecretName: childName, releaseNamespaces: release };
}

/**
 * The status after the outcome was executed; `writeFailures` maps a namespace to why its write
 * failed. Lists are sorted and left out when empty, as ESO writes them.
 */
export function cesStatus(
  ces: ClusterExternalSecret,
  outcome: CesOutcome,
  writeFailures: ReadonlyMap<string, string>,
  now: number,
): ClusterExternalSecretStatus {
  return fanoutStatus(
    ces,
    { ...outcome, childName: outcome.externalSecretName },
    writeFailures,
    now,
    'externalSecretName',
  );
}

export function cesConditions(
  ces: ClusterExternalSecret,
  provisioned: number,
  failed: number,
  invalid: string | undefined,
  now: string,
): Condition[] {
  return fanoutConditions(ces, provisioned, failed, invalid, now);
}
