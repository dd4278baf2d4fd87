// What a ClusterExternalSecret asks for, as ESO 2.9 reads it: which namespaces it selects, and
// the ExternalSecret it wants in each (name, labels, annotations, spec, controller reference).
// Pure functions over the objects; the reconciler and the watch mappers share them.

import type {
  ClusterExternalSecret,
  ExternalSecret,
  LabelSelector,
  Namespace,
  OwnerReference,
} from '../../api/types.js';
import { GROUP } from '../../api/types.js';
import { mergePatchOf } from '../../runtime/merge-patch.js';
import { controllerOf } from '../externalsecret/ownership.js';
import { matchesSelector } from '../store/resolve.js';
import { CES_KIND, isCesRef } from './world.js';

/** ESO's annotation that forces a sync; a ClusterExternalSecret passes its own value on. */
export const FORCE_SYNC_ANNOTATION = 'external-secrets.io/force-sync';

/** spec.externalSecretName, else the ClusterExternalSecret's own name (ESO's default). */
export function childName(ces: ClusterExternalSecret): string {
  return ces.spec?.externalSecretName || ces.metadata.name || '';
}

/** The deprecated namespaceSelector first, then namespaceSelectors; any one of them selects. */
export function selectorsOf(ces: ClusterExternalSecret): LabelSelector[] {
  const one = ces.spec?.namespaceSelector;
  return [...(one ? [one] : []), ...(ces.spec?.namespaceSelectors ?? [])];
}

/** A namespace is selected by name (spec.namespaces) or by the labels it has. */
export function selects(ces: ClusterExternalSecret, ns: Namespace): boolean {
  const name = ns.metadata.name ?? '';
  if (ces.spec?.namespaces?.includes(name)) return true;
  const labels = ns.metadata.labels ?? {};
  return selectorsOf(ces).some((s) => matchesSelector(labels, s));
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

/** The controller reference ESO sets (controllerutil.SetControllerReference). */
export function ownerRef(ces: ClusterExternalSecret): OwnerReference {
  return {
    apiVersion: `${GROUP}/v1`,
    kind: CES_KIND,
    name: ces.metadata.name ?? '',
    uid: ces.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/**
 * The child's labels and annotations: exactly externalSecretMetadata's (ESO replaces them), with
 * the force-sync annotation only when the ClusterExternalSecret itself carries it.
 */
export function childMetadata(ces: ClusterExternalSecret): {
  labels: Record<string, string>;
  annotations: Record<string, string>;
} {
  const meta = ces.spec?.externalSecretMetadata;
  const { [FORCE_SYNC_ANNOTATION]: _ignored, ...annotations } = meta?.annotations ?? {};
  const force = ces.metadata.annotations?.[FORCE_SYNC_ANNOTATION];
  if (force !== undefined) annotations[FORCE_SYNC_ANNOTATION] = force;
  return { labels: { ...(meta?.labels ?? {}) }, annotations };
}

/** The ExternalSecret to create in `namespace`. */
export function newChild(ces: ClusterExternalSecret, namespace: string): ExternalSecret {
  const { labels, annotations } = childMetadata(ces);
  return {
    apiVersion: `${GROUP}/v1`,
    kind: 'ExternalSecret',
    metadata: {
      name: childName(ces),
      namespace,
      ...(Object.keys(labels).length > 0 ? { labels } : {}),
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      ownerReferences: [ownerRef(ces)],
    },
    spec: ces.spec?.externalSecretSpec ?? {},
  };
}

/**
 * The merge patch that makes an existing child of `ces` what it should be, or undefined when it
 * already is (no write). Only what differs is sent; other owner references stay.
 */
export function childPatch(ces: ClusterExternalSecret, child: ExternalSecret): object | undefined {
  const want = childMetadata(ces);
  const metadata: Record<string, unknown> = {};
  const labels = mergePatchOf(child.metadata.labels ?? {}, want.labels);
  if (labels !== undefined) metadata.labels = labels;
  const annotations = mergePatchOf(child.metadata.annotations ?? {}, want.annotations);
  if (annotations !== undefined) metadata.annotations = annotations;
  // Deleted and created again under the same name before the garbage collector reached the
  // children (or restored from a backup): the name takes them back, as in ESO, and the new uid
  // keeps the collector from deleting them.
  const ref = controllerOf(child.metadata);
  if (isCesRef(ref) && ref.uid !== ces.metadata.uid)
    metadata.ownerReferences = (child.metadata.ownerReferences ?? []).map((r) =>
      r === ref ? ownerRef(ces) : r,
    );
  const spec = mergePatchOf(child.spec ?? {}, ces.spec?.externalSecretSpec ?? {});
  if (Object.keys(metadata).length === 0 && spec === undefined) return undefined;
  return {
    ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
    ...(spec !== undefined ? { spec } : {}),
  };
}

/** The child is ours: its controller reference names this ClusterExternalSecret. */
export function isChildOf(es: ExternalSecret, ces: ClusterExternalSecret): boolean {
  return isCesRef(controllerOf(es.metadata), ces.metadata.name ?? '');
}
