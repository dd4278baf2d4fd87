// The ClusterExternalSecret reconciler: (object, world) → outcome. It reads the namespaces and
// ExternalSecrets from the watch caches (./world.ts) and returns the writes that make every
// selected namespace hold the wanted ExternalSecret and no other namespace hold one; the
// executor (./execute.ts) makes them and writes the status that cesStatus() derives from the
// outcome and the writes that failed. An ExternalSecret that is already as wanted costs nothing.
//
// ESO 2.9's rules (pkg/controllers/clusterexternalsecret): an ExternalSecret of the same name
// that this ClusterExternalSecret does not control is never touched and its namespace is
// reported in failedNamespaces; a namespace being deleted is skipped; a changed
// externalSecretName removes the ExternalSecrets of the old name; Ready is the one condition ESO
// writes. Differences (docs/CLUSTEREXTERNALSECRET.md): PartiallyReady or NotReady follows a
// failing Ready, so Argo CD's health check (which reads the last condition) says Degraded; no
// namespace finalizers, and ESO's are removed.

import type {
  ClusterExternalSecret,
  ClusterExternalSecretStatus,
  Condition,
  Namespace,
  NamespaceFailure,
} from '../../api/types.js';
import { parseGoDuration } from '../../config/duration.js';
import { getCondition } from '../../runtime/conditions.js';
import { refreshJitterMs } from '../../runtime/schedule.js';
import { rfc3339 } from '../../runtime/time/rfc3339.js';
import { Reason } from '../reasons.js';
import {
  childName,
  childPatch,
  isChildOf,
  newChild,
  selectorProblem,
  selectorsOf,
  selects,
} from './children.js';
import type { CesWorld } from './world.js';
import { flooredInterval } from '../../runtime/schedule.js';

/** ESO's finalizer name, so ClusterExternalSecrets created under ESO are cleaned up the same way. */
export const CES_FINALIZER = 'externalsecrets.external-secrets.io/clusterexternalsecret-cleanup';
/** ESO 2.9 adds `<prefix><name>` to every namespace it provisions; Syncret adds none and removes ESO's. */
export const ESO_NAMESPACE_FINALIZER_PREFIX = 'externalsecrets.external-secrets.io/ces-';
/** ESO's RequeueInterval for ClusterExternalSecrets without refreshTime. */
export const DEFAULT_CES_REFRESH = '1h';
// ESO's texts: alerts and runbooks written for ESO match them.
export const EXISTS_MESSAGE = 'external secret already exists in namespace';
export const FAILED_MESSAGE = 'one or more namespaces failed';

export type ChildWrite =
  | { op: 'create'; namespace: string; name: string; body: object }
  | { op: 'patch'; namespace: string; name: string; patch: object }
  | { op: 'delete'; namespace: string; name: string; uid?: string };

export interface CesOutcome {
  /** Child creates, patches and deletes, in that order of importance: none when all is as wanted. */
  writes: ChildWrite[];
  /** Namespaces that still carry ESO's finalizer for this ClusterExternalSecret. */
  releaseNamespaces: string[];
  externalSecretName: string;
  /** Namespaces holding our ExternalSecret once the writes succeed; a failed write moves its namespace to the failures. */
  provisioned: string[];
  failures: NamespaceFailure[];
  /** Why the spec cannot be acted on; nothing is written and the previous namespaces stay. */
  invalid?: string;
  requeueAfterMs?: number;
}

/**
 * spec.refreshTime in ms (0: re-check only on changes), the one place it is read, so that a
 * floor on intervals applies to every use.
 */
export function cesRefreshIntervalMs(
  ces: ClusterExternalSecret,
  /** The operator's --min-refresh-interval; 0 or undefined: none. */
  floorMs = 0,
): { ms: number } | { error: string } {
  const raw = ces.spec?.refreshTime || DEFAULT_CES_REFRESH;
  try {
    return { ms: flooredInterval(Math.max(0, parseGoDuration(raw)), floorMs) };
  } catch (e) {
    return { error: `invalid refreshTime "${raw}": ${(e as Error).message}` };
  }
}

function invalidSpec(ces: ClusterExternalSecret): string | undefined {
  const interval = cesRefreshIntervalMs(ces);
  if ('error' in interval) return interval.error;
  for (const [i, sel] of selectorsOf(ces).entries()) {
    const p = selectorProblem(sel);
    if (p) return `namespace selector ${i + 1}: ${p}`;
  }
  return undefined;
}

const terminating = (ns: Namespace | undefined) => !ns || !!ns.metadata.deletionTimestamp;

export function reconcileClusterExternalSecret(ces: ClusterExternalSecret, world: CesWorld): CesOutcome {
  const name = ces.metadata.name ?? '';
  const esName = childName(ces);
  const invalid = invalidSpec(ces);
  if (invalid)
    return {
      writes: [],
      releaseNamespaces: [],
      externalSecretName: esName,
      provisioned: [],
      failures: [],
      invalid,
    };

  const targets: Namespace[] = [];
  const byName = new Map<string, Namespace>();
  const release: string[] = [];
  const esoFinalizer = `${ESO_NAMESPACE_FINALIZER_PREFIX}${name}`;
  for (const ns of world.namespaces()) {
    const nsName = ns.metadata.name ?? '';
    byName.set(nsName, ns);
    if (ns.metadata.finalizers?.includes(esoFinalizer)) release.push(nsName);
    if (selects(ces, ns)) targets.push(ns);
  }
  targets.sort((a, b) => compare(a.metadata.name ?? '', b.metadata.name ?? ''));

  const writes: ChildWrite[] = [];
  const provisioned: string[] = [];
  const failures: NamespaceFailure[] = [];
  const wanted = new Set<string>();
  for (const ns of targets) {
    const nsName = ns.metadata.name ?? '';
    wanted.add(nsName);
    if (terminating(ns)) continue;
    const child = world.externalSecret(nsName, esName);
    if (!child) {
      writes.push({ op: 'create', namespace: nsName, name: esName, body: newChild(ces, nsName) });
    } else if (!isChildOf(child, ces)) {
      failures.push({ namespace: nsName, reason: EXISTS_MESSAGE });
      continue;
    } else if (!child.metadata.deletionTimestamp) {
      const patch = childPatch(ces, child);
      if (patch) writes.push({ op: 'patch', namespace: nsName, name: esName, patch });
    }
    provisioned.push(nsName);
  }

  // Children of another name (externalSecretName changed) or in namespaces no longer selected.
  // A namespace being deleted takes its children with it.
  for (const child of world.children(name)) {
    const nsName = child.metadata.namespace ?? '';
    if (child.metadata.deletionTimestamp || terminating(byName.get(nsName))) continue;
    if (wanted.has(nsName) && child.metadata.name === esName) continue;
    writes.push({
      op: 'delete',
      namespace: nsName,
      name: child.metadata.name ?? '',
      uid: child.metadata.uid,
    });
  }

  const interval = cesRefreshIntervalMs(ces, world.minRefreshIntervalMs);
  const ms = 'ms' in interval ? interval.ms : 0;
  return {
    writes,
    releaseNamespaces: release,
    externalSecretName: esName,
    provisioned,
    failures,
    requeueAfterMs: ms > 0 ? ms + refreshJitterMs(name, ms) : undefined,
  };
}

/** Byte order, as Go's sort.Strings (namespace names are ASCII). */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
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
  const {
    provisionedNamespaces: prevProvisioned,
    failedNamespaces: _f,
    conditions: _c,
    ...rest
  } = ces.status ?? {};
  let provisioned: string[];
  let failures: NamespaceFailure[];
  if (outcome.invalid) {
    provisioned = prevProvisioned ?? [];
    failures = [{ namespace: 'unknown', reason: outcome.invalid }];
  } else {
    const failed = new Map(outcome.failures.map((f) => [f.namespace, f.reason ?? '']));
    for (const [ns, reason] of writeFailures) failed.set(ns, reason);
    provisioned = outcome.provisioned.filter((ns) => !writeFailures.has(ns));
    failures = [...failed.keys()]
      .sort(compare)
      .map((namespace) => ({ namespace, reason: failed.get(namespace) }));
  }
  return {
    ...rest,
    externalSecretName: outcome.externalSecretName,
    ...(provisioned.length > 0 ? { provisionedNamespaces: provisioned } : {}),
    ...(failures.length > 0 ? { failedNamespaces: failures } : {}),
    conditions: cesConditions(ces, provisioned.length, failures.length, outcome.invalid, rfc3339(now)),
  };
}

const OWN_TYPES = new Set(['Ready', 'PartiallyReady', 'NotReady']);

/**
 * Ready, as ESO writes it (True, or False with "one or more namespaces failed"), appended after
 * any condition of another type; when it is False, PartiallyReady (some namespaces provisioned)
 * or NotReady (none) follows it with status True. Argo CD's built-in health check reads only
 * the last condition: Ready=True is Healthy, PartiallyReady or NotReady is Degraded (a last
 * Ready=False, all ESO 2.9 writes, would read as Progressing forever).
 */
export function cesConditions(
  ces: ClusterExternalSecret,
  provisioned: number,
  failed: number,
  invalid: string | undefined,
  now: string,
): Condition[] {
  const prev = ces.status?.conditions;
  const generation = ces.metadata.generation;
  const since = (type: string, status: Condition['status']) => {
    const p = getCondition(prev, type);
    return p && p.status === status && p.lastTransitionTime ? p.lastTransitionTime : now;
  };
  const out = (prev ?? []).filter((c) => !OWN_TYPES.has(c.type));
  if (!invalid && failed === 0) {
    out.push({
      type: 'Ready',
      status: 'True',
      reason: Reason.NamespacesProvisioned,
      message: `${provisioned} namespace(s) provisioned`,
      lastTransitionTime: since('Ready', 'True'),
      observedGeneration: generation,
    });
    return out;
  }
  const reason = invalid ? Reason.InvalidSpec : Reason.NamespacesFailed;
  const message = invalid ?? FAILED_MESSAGE;
  out.push({
    type: 'Ready',
    status: 'False',
    reason,
    message,
    lastTransitionTime: since('Ready', 'False'),
    observedGeneration: generation,
  });
  const type = !invalid && provisioned > 0 ? 'PartiallyReady' : 'NotReady';
  out.push({
    type,
    status: 'True',
    reason,
    message,
    lastTransitionTime: since(type, 'True'),
    observedGeneration: generation,
  });
  return out;
}
