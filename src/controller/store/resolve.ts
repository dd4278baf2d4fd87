// Resolving an ExternalSecret's store reference against the watched stores, with
// ClusterSecretStore namespace conditions and controller classes enforced.

import type {
  ClusterSecretStoreCondition,
  LabelSelector,
  SecretStore,
  StoreKind,
  StoreRef,
} from '../../api/types.js';
import type { StoreInfo } from '../../providers/types.js';
import { RegexpSyntaxError, compileRegexp } from '../../regexp/index.js';
import type { GoRegexp } from '../../regexp/index.js';

export interface StoreLookup {
  store(kind: StoreKind, namespace: string | undefined, name: string): SecretStore | undefined;
  namespaceLabels(namespace: string): Record<string, string> | undefined;
  controllerClass: string;
}

export type StoreResolution =
  | { ok: true; info: StoreInfo; store: SecretStore }
  | {
      ok: false;
      reason: 'InvalidSpec' | 'StoreNotFound' | 'StoreNotAllowed' | 'OtherController';
      message: string;
    };

export function matchesSelector(labels: Record<string, string>, sel: LabelSelector): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const val = labels[e.key];
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (!has || !values.includes(val!)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(val!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** A selector in the apiserver's query syntax (labelSelector=...); empty selects everything. */
export function labelSelectorString(sel: LabelSelector): string {
  const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    const values = (e.values ?? []).join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

/** A namespaceRegexes entry (a Go regexp, unanchored as ESO's MatchString); undefined when invalid. */
function compile(re: string): GoRegexp | undefined {
  try {
    return compileRegexp(re);
  } catch (e) {
    if (e instanceof RegexpSyntaxError) return undefined;
    throw e;
  }
}

// Every reconcile of every user of a ClusterSecretStore asks the same (pattern, namespace)
// questions: remember the answers, so a costly pattern costs once per namespace, not per sync.
const answers = new Map<string, boolean>();
const ANSWERS_MAX = 10_000;

function namespaceMatches(pattern: string, namespace: string): boolean {
  const key = `${pattern}\u0000${namespace}`;
  let ok = answers.get(key);
  if (ok === undefined) {
    ok = compile(pattern)?.matchString(namespace) ?? false;
    if (answers.size >= ANSWERS_MAX) answers.clear();
    answers.set(key, ok);
  }
  return ok;
}

/**
 * The first namespaceRegexes entry Go would refuse, in the words of ESO's webhook (which rejects
 * such a store); undefined when all compile. An invalid entry matches no namespace.
 */
export function invalidNamespaceRegex(
  conditions: ClusterSecretStoreCondition[] | undefined,
): string | undefined {
  for (const [ci, c] of (conditions ?? []).entries()) {
    for (const [ri, r] of (c.namespaceRegexes ?? []).entries()) {
      try {
        compileRegexp(r);
      } catch (e) {
        if (!(e instanceof RegexpSyntaxError)) throw e;
        return `failed to compile ${ri}th namespace regex in ${ci}th condition: ${e.message}`;
      }
    }
  }
  return undefined;
}

/** ESO semantics: no conditions → every namespace; otherwise any one condition must match. */
export function namespaceAllowed(
  conditions: ClusterSecretStoreCondition[] | undefined,
  namespace: string,
  labels: Record<string, string> | undefined,
): boolean {
  if (!conditions || conditions.length === 0) return true;
  return conditions.some((c) => {
    if (c.namespaces?.includes(namespace)) return true;
    if (c.namespaceRegexes?.some((r) => namespaceMatches(r, namespace))) return true;
    if (c.namespaceSelector && labels && matchesSelector(labels, c.namespaceSelector)) return true;
    return false;
  });
}

export function resolveStore(
  ref: StoreRef | undefined,
  requesterNamespace: string,
  world: StoreLookup,
): StoreResolution {
  const name = ref?.name;
  if (!name) return { ok: false, reason: 'InvalidSpec', message: 'secretStoreRef.name must be set' };
  const kind: StoreKind = ref.kind ?? 'SecretStore';
  if (kind !== 'SecretStore' && kind !== 'ClusterSecretStore') {
    return {
      ok: false,
      reason: 'InvalidSpec',
      message: `secretStoreRef.kind "${String(kind)}" is not SecretStore or ClusterSecretStore`,
    };
  }
  const ns = kind === 'SecretStore' ? requesterNamespace : undefined;
  const store = world.store(kind, ns, name);
  if (!store) {
    const where = kind === 'SecretStore' ? ` in namespace "${requesterNamespace}"` : '';
    return { ok: false, reason: 'StoreNotFound', message: `${kind} "${name}" not found${where}` };
  }
  if ((store.spec?.controller ?? '') !== world.controllerClass) {
    return {
      ok: false,
      reason: 'OtherController',
      message: `${kind} "${name}" belongs to controller class "${store.spec?.controller ?? ''}"`,
    };
  }
  if (kind === 'ClusterSecretStore') {
    const labels = world.namespaceLabels(requesterNamespace);
    const conditions = store.spec?.conditions;
    if (!namespaceAllowed(conditions, requesterNamespace, labels)) {
      const invalid = invalidNamespaceRegex(conditions);
      return {
        ok: false,
        reason: 'StoreNotAllowed',
        message: `ClusterSecretStore "${name}" does not allow namespace "${requesterNamespace}" (spec.conditions${invalid ? `; ${invalid}` : ''})`,
      };
    }
  }
  return { ok: true, store, info: storeInfoOf(store, kind, requesterNamespace) };
}

/** The store as providers see it: kind, name, namespace and its provider spec. */
export function storeInfoOf(store: SecretStore, kind: StoreKind, requesterNamespace = ''): StoreInfo {
  // A SecretStore serves only its own namespace, which is its requesters' too.
  const own = kind === 'SecretStore' ? (store.metadata.namespace ?? requesterNamespace) : undefined;
  return {
    kind,
    name: store.metadata.name ?? '',
    namespace: own,
    requesterNamespace: own ?? requesterNamespace,
    provider: store.spec?.provider ?? {},
  };
}
