// The reconcile of a kind that stamps one child into many namespaces, as ESO 2.9 does it for
// ClusterExternalSecret and ClusterPushSecret: (parent, world) → the writes that make every
// selected namespace hold the wanted child and no other namespace hold one, and the status
// derived from them. A child of the wanted name that this parent does not control is never
// touched and its namespace is reported in failedNamespaces; a namespace being deleted is
// skipped; a changed child name removes the children of the old name. A child already as
// wanted costs nothing.

import type { Condition, KubeObject, Namespace } from '../../api/types.js';
import { getCondition } from '../../runtime/conditions.js';
import { refreshJitterMs } from '../../runtime/schedule.js';
import { rfc3339 } from '../../runtime/time/rfc3339.js';
import { Reason } from '../reasons.js';
import { childPatch, isChildOf, newChild, selectorProblem, selects } from './children.js';
import type { FanoutKind } from './children.js';

export const FAILED_MESSAGE = 'one or more namespaces failed';

/** What the reconcile reads, from the watch caches only. */
export interface FanoutWorld<C extends KubeObject> {
  now(): number;
  namespaces(): Iterable<Namespace>;
  /** The child namespace/name as last seen or written by us. */
  child(namespace: string, name: string): C | undefined;
  /** Children whose controller reference names the parent `name`. */
  children(name: string): Iterable<C>;
  /** The operator's floor on the parent's refreshTime (--min-refresh-interval); 0 or undefined: none. */
  minRefreshIntervalMs?: number;
}

export type ChildWrite =
  | { op: 'create'; namespace: string; name: string; body: object }
  | { op: 'patch'; namespace: string; name: string; patch: object }
  | { op: 'delete'; namespace: string; name: string; uid?: string };

export interface NamespaceFailure {
  namespace: string;
  reason?: string;
}

export interface FanoutOutcome {
  /** Creates, patches and deletes: none when all is as wanted. */
  writes: ChildWrite[];
  childName: string;
  /** Namespaces holding our child once the writes succeed; a failed write moves its namespace to the failures. */
  provisioned: string[];
  failures: NamespaceFailure[];
  /** Why the spec cannot be acted on; nothing is written and the previous namespaces stay. */
  invalid?: string;
  requeueAfterMs?: number;
}

export function invalidSpec<P extends KubeObject>(kind: FanoutKind<P, KubeObject>, p: P): string | undefined {
  const interval = kind.refresh(p);
  if ('error' in interval) return interval.error;
  for (const [i, sel] of kind.selectors(p).entries()) {
    const problem = selectorProblem(sel);
    if (problem) return `namespace selector ${i + 1}: ${problem}`;
  }
  return undefined;
}

const terminating = (ns: Namespace | undefined) => !ns || !!ns.metadata.deletionTimestamp;

/** Byte order, as Go's sort.Strings (namespace names are ASCII). */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function planChildren<P extends KubeObject, C extends KubeObject & { spec?: object }>(
  kind: FanoutKind<P, C>,
  p: P,
  world: FanoutWorld<C>,
): FanoutOutcome {
  const name = p.metadata.name ?? '';
  const childName = kind.childName(p);
  const invalid = invalidSpec(kind, p);
  if (invalid) return { writes: [], childName, provisioned: [], failures: [], invalid };

  const targets: Namespace[] = [];
  const byName = new Map<string, Namespace>();
  for (const ns of world.namespaces()) {
    byName.set(ns.metadata.name ?? '', ns);
    if (selects(kind, p, ns)) targets.push(ns);
  }
  targets.sort((a, b) => compareNames(a.metadata.name ?? '', b.metadata.name ?? ''));

  const writes: ChildWrite[] = [];
  const provisioned: string[] = [];
  const failures: NamespaceFailure[] = [];
  const wanted = new Set<string>();
  for (const ns of targets) {
    const nsName = ns.metadata.name ?? '';
    wanted.add(nsName);
    if (terminating(ns)) continue;
    const child = world.child(nsName, childName);
    if (!child) {
      writes.push({ op: 'create', namespace: nsName, name: childName, body: newChild(kind, p, nsName) });
    } else if (!isChildOf(kind, child, p)) {
      failures.push({ namespace: nsName, reason: kind.existsMessage });
      continue;
    } else if (!child.metadata.deletionTimestamp) {
      const patch = childPatch(kind, p, child);
      if (patch) writes.push({ op: 'patch', namespace: nsName, name: childName, patch });
    }
    provisioned.push(nsName);
  }

  // Children of another name (the child name changed) or in namespaces no longer selected.
  // A namespace being deleted takes its children with it.
  for (const child of world.children(name)) {
    const nsName = child.metadata.namespace ?? '';
    if (child.metadata.deletionTimestamp || terminating(byName.get(nsName))) continue;
    if (wanted.has(nsName) && child.metadata.name === childName) continue;
    writes.push({
      op: 'delete',
      namespace: nsName,
      name: child.metadata.name ?? '',
      uid: child.metadata.uid,
    });
  }

  const interval = kind.refresh(p, world.minRefreshIntervalMs);
  const ms = 'ms' in interval ? interval.ms : 0;
  return {
    writes,
    childName,
    provisioned,
    failures,
    requeueAfterMs: ms > 0 ? ms + refreshJitterMs(name, ms) : undefined,
  };
}

/** Provisioned and failed namespaces after the writes; lists sorted, as ESO writes them. */
export function namespaceLists(
  previouslyProvisioned: string[] | undefined,
  outcome: FanoutOutcome,
  writeFailures: ReadonlyMap<string, string>,
): { provisioned: string[]; failures: NamespaceFailure[] } {
  if (outcome.invalid)
    return {
      provisioned: previouslyProvisioned ?? [],
      failures: [{ namespace: 'unknown', reason: outcome.invalid }],
    };
  const failed = new Map(outcome.failures.map((f) => [f.namespace, f.reason ?? '']));
  for (const [ns, reason] of writeFailures) failed.set(ns, reason);
  return {
    provisioned: outcome.provisioned.filter((ns) => !writeFailures.has(ns)),
    failures: [...failed.keys()]
      .sort(compareNames)
      .map((namespace) => ({ namespace, reason: failed.get(namespace) })),
  };
}

const OWN_TYPES = new Set(['Ready', 'PartiallyReady', 'NotReady']);

/**
 * Ready (True, or False with "one or more namespaces failed", as ESO), appended after any
 * condition of another type; when it is False, PartiallyReady (some namespaces provisioned) or
 * NotReady (none) follows it with status True. Argo CD's built-in ClusterExternalSecret check
 * reads only the last condition: Ready=True is Healthy, PartiallyReady or NotReady Degraded.
 */
export function fanoutConditions(
  p: KubeObject & { status?: { conditions?: Condition[] } },
  provisioned: number,
  failed: number,
  invalid: string | undefined,
  now: string,
): Condition[] {
  const prev = p.status?.conditions;
  const generation = p.metadata.generation;
  const since = (type: string, status: Condition['status']) => {
    const c = getCondition(prev, type);
    return c && c.status === status && c.lastTransitionTime ? c.lastTransitionTime : now;
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

/** The parent's status after its outcome was executed, keeping fields it does not own. */
export function fanoutStatus<
  S extends {
    provisionedNamespaces?: string[];
    failedNamespaces?: NamespaceFailure[];
    conditions?: Condition[];
  },
>(
  p: KubeObject & { status?: S },
  outcome: FanoutOutcome,
  writeFailures: ReadonlyMap<string, string>,
  now: number,
  nameField: string,
): S {
  const {
    provisionedNamespaces: prev,
    failedNamespaces: _f,
    conditions: _c,
    ...rest
  } = (p.status ?? {}) as S;
  const { provisioned, failures } = namespaceLists(prev, outcome, writeFailures);
  return {
    ...rest,
    [nameField]: outcome.childName,
    ...(provisioned.length > 0 ? { provisionedNamespaces: provisioned } : {}),
    ...(failures.length > 0 ? { failedNamespaces: failures } : {}),
    conditions: fanoutConditions(p, provisioned.length, failures.length, outcome.invalid, rfc3339(now)),
  } as S;
}
