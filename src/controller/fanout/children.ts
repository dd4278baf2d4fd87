// What a cluster-scoped kind that stamps one object into many namespaces shares with the others
// (ClusterExternalSecret → ExternalSecret, ClusterPushSecret → PushSecret), as ESO 2.9 does it:
// which namespaces it selects, the child it wants in each (name, labels, annotations, spec,
// controller reference), and whether an existing child is its own. Pure functions over the
// objects, parameterised by a FanoutKind; the reconcilers and the watch mappers share them.

import type { KubeObject, LabelSelector, Namespace, OwnerReference } from '../../api/types.js';
import { GROUP } from '../../api/types.js';
import { isShardKey } from '../../kube/shards.js';
import type { ResourceType } from '../../kube/types.js';
import { mergePatchOf } from '../../runtime/merge-patch.js';
import { controllerOf } from '../externalsecret/ownership.js';
import { matchesSelector } from '../store/resolve.js';

/** ESO's annotation that forces a sync; a parent passes its own value on to its children. */
export const FORCE_SYNC_ANNOTATION = 'external-secrets.io/force-sync';

export interface ChildMetadata {
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** One parent kind and its child kind. */
export interface FanoutKind<P extends KubeObject, C extends KubeObject & { spec?: object }> {
  parentKind: string;
  /** The apiVersion of the controller references the parent sets. */
  parentApiVersion: string;
  childKind: string;
  childApiVersion: string;
  childType: ResourceType;
  /** ESO's text for a namespace holding a child of that name that is not this parent's. */
  existsMessage: string;
  childName(p: P): string;
  /** Namespaces named outright (ClusterExternalSecret's deprecated list); none elsewhere. */
  namespaceNames(p: P): readonly string[];
  /** Selectors of which any one selects a namespace. */
  selectors(p: P): LabelSelector[];
  /** The child's labels and annotations as the spec has them (force-sync is added here). */
  metadata(p: P): Partial<ChildMetadata> | undefined;
  childSpec(p: P): NonNullable<C['spec']>;
  /** The re-check interval in ms (0: only on changes) raised to the operator's floor, or why the spec's is invalid. */
  refresh(p: P, floorMs?: number): { ms: number } | { error: string };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFanout = FanoutKind<any, any>;

/** A namespace is selected by name or by the labels it has. */
export function selects<P extends KubeObject>(kind: FanoutKind<P, KubeObject>, p: P, ns: Namespace): boolean {
  if (kind.namespaceNames(p).includes(ns.metadata.name ?? '')) return true;
  const labels = ns.metadata.labels ?? {};
  return kind.selectors(p).some((s) => matchesSelector(labels, s));
}

// Label syntax as the apiserver checks it (a qualified name, a label value); ESO refuses a
// selector that breaks it instead of letting it match nothing.
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function keyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)))
    return `label key "${key}" has an invalid prefix`;
  if (name.length > 63 || !LABEL_NAME.test(name)) return `"${key}" is not a valid label key`;
  return undefined;
}

function valueProblem(value: string): string | undefined {
  return value.length > 63 || !LABEL_VALUE.test(value) ? `"${value}" is not a valid label value` : undefined;
}

/** Why a selector is invalid (as metav1.LabelSelectorAsSelector refuses it), or undefined. */
export function selectorProblem(sel: LabelSelector): string | undefined {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    const p = keyProblem(k) ?? valueProblem(v);
    if (p) return p;
  }
  for (const e of sel.matchExpressions ?? []) {
    const p = keyProblem(e.key) ?? (e.values ?? []).map(valueProblem).find((x) => x !== undefined);
    if (p) return p;
    const n = e.values?.length ?? 0;
    if ((e.operator === 'In' || e.operator === 'NotIn') && n === 0)
      return `operator ${e.operator} on "${e.key}" needs at least one value`;
    if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && n > 0)
      return `operator ${e.operator} on "${e.key}" takes no values`;
  }
  return undefined;
}

/** The parent reference, matched as ESO does: group, kind and name (any version or uid). */
export function isParentRef(
  kind: AnyFanout,
  ref: OwnerReference | undefined,
  name?: string,
): ref is OwnerReference {
  if (!ref || ref.kind !== kind.parentKind) return false;
  const slash = ref.apiVersion.lastIndexOf('/');
  if (slash <= 0 || ref.apiVersion.slice(0, slash) !== GROUP) return false;
  return name === undefined || ref.name === name;
}

/** The name of the parent that controls `child`, if one does. */
export function parentName(kind: AnyFanout, child: KubeObject): string | undefined {
  const ref = controllerOf(child.metadata);
  return isParentRef(kind, ref) ? ref.name : undefined;
}

/** The controller reference ESO sets (controllerutil.SetControllerReference). */
export function ownerRef(kind: AnyFanout, p: KubeObject): OwnerReference {
  return {
    apiVersion: kind.parentApiVersion,
    kind: kind.parentKind,
    name: p.metadata.name ?? '',
    uid: p.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/**
 * The child's labels and annotations: exactly the spec's (ESO replaces them), with the
 * force-sync annotation only when the parent itself carries it.
 */
export function childMetadata<P extends KubeObject>(kind: FanoutKind<P, KubeObject>, p: P): ChildMetadata {
  const meta = kind.metadata(p);
  const { [FORCE_SYNC_ANNOTATION]: _ignored, ...annotations } = meta?.annotations ?? {};
  const force = p.metadata.annotations?.[FORCE_SYNC_ANNOTATION];
  if (force !== undefined) annotations[FORCE_SYNC_ANNOTATION] = force;
  return { labels: { ...(meta?.labels ?? {}) }, annotations };
}

/** The child to create in `namespace`. */
export function newChild<P extends KubeObject, C extends KubeObject & { spec?: object }>(
  kind: FanoutKind<P, C>,
  p: P,
  namespace: string,
): C {
  const { labels, annotations } = childMetadata(kind, p);
  return {
    apiVersion: kind.childApiVersion,
    kind: kind.childKind,
    metadata: {
      name: kind.childName(p),
      namespace,
      ...(Object.keys(labels).length > 0 ? { labels } : {}),
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      ownerReferences: [ownerRef(kind, p)],
    },
    spec: kind.childSpec(p),
  } as C;
}

/**
 * The merge patch that makes an existing child what it should be, or undefined when it already
 * is (no write). Only what differs is sent; other owner references stay.
 */
export function childPatch<P extends KubeObject, C extends KubeObject & { spec?: object }>(
  kind: FanoutKind<P, C>,
  p: P,
  child: C,
): object | undefined {
  const want = childMetadata(kind, p);
  const metadata: Record<string, unknown> = {};
  const labels = mergePatchOf(
    child.metadata.labels ?? {},
    withShardKeysOf(child.metadata.labels, want.labels),
  );
  if (labels !== undefined) metadata.labels = labels;
  const annotations = mergePatchOf(
    child.metadata.annotations ?? {},
    withShardKeysOf(child.metadata.annotations, want.annotations),
  );
  if (annotations !== undefined) metadata.annotations = annotations;
  // Deleted and created again under the same name before the garbage collector reached the
  // children (or restored from a backup): the name takes them back, as in ESO, and the new uid
  // keeps the collector from deleting them.
  const ref = controllerOf(child.metadata);
  if (isParentRef(kind, ref) && ref.uid !== p.metadata.uid)
    metadata.ownerReferences = (child.metadata.ownerReferences ?? []).map((r) =>
      r === ref ? ownerRef(kind, p) : r,
    );
  const spec = mergePatchOf(child.spec ?? {}, kind.childSpec(p));
  if (Object.keys(metadata).length === 0 && spec === undefined) return undefined;
  return {
    ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
    ...(spec !== undefined ? { spec } : {}),
  };
}

/**
 * `want` with the child's sharding keys as they are: the assigner writes them (the shard label,
 * its epoch) and the fan-out must neither remove nor set them, or the two would undo each other.
 */
function withShardKeysOf(
  current: Record<string, string> | undefined,
  want: Record<string, string>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(want)) if (!isShardKey(k)) out[k] = v;
  for (const [k, v] of Object.entries(current ?? {})) if (isShardKey(k)) out[k] = v;
  return out;
}

/** The child is ours: its controller reference names this parent. */
export function isChildOf(kind: AnyFanout, child: KubeObject, p: KubeObject): boolean {
  return isParentRef(kind, controllerOf(child.metadata), p.metadata.name ?? '');
}
