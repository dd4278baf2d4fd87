// spec.target.manifest of a kind other than Secret (a ConfigMap, a custom resource): the object
// Syncret writes, built as ESO 2.9 builds it (applyTemplateToManifest in
// pkg/controllers/externalsecret/externalsecret_controller_manifest.go), and whether the one in
// the cluster is up to date (isGenericTargetValid: the managed label, and the data-hash
// annotation equal to ESO's ObjectHash of its spec, else of its data).
//
// Where Syncret is stricter than ESO's code (docs/COMPATIBILITY.md): the ownership check reads
// the object in the cluster (ESO checks the freshly built one, so it never sees a conflict), a
// delete needs the object to be this ExternalSecret's, and a write that changes nothing is skipped.

import type {
  CreationPolicy,
  ExternalSecret,
  KubeObject,
  ObjectMeta,
  OwnerReference,
} from '../../api/types.js';
import type { ResourceType } from '../../kube/types.js';
import { SecretDataError } from '../../secrets/errors.js';
import { objectHash, parseYamlStrict, parseYamlValue, setAtPath } from '../../secrets/object-path.js';
import type { JsonMap, JsonValue } from '../../secrets/object-path.js';
import type { ManifestOp } from '../../secrets/templating.js';
import { Reason } from '../reasons.js';
import {
  DATA_HASH_ANNOTATION,
  MANAGED_LABEL,
  OWNER_LABEL,
  controllerOf,
  isExternalSecretRef,
  ownedBy,
  ownerLabelValue,
  ownerReference,
  ownershipConflict,
} from './ownership.js';

/** A generic object as JSON (what the apiserver returns and takes). */
export type GenericObject = KubeObject & Record<string, unknown>;

export type GenericWrite =
  | { op: 'create'; type: ResourceType; name: string; body: GenericObject }
  /** A full replace (PUT) guarded by the resourceVersion in the body, as ESO's Update. */
  | { op: 'replace'; type: ResourceType; name: string; body: GenericObject }
  | { op: 'delete'; type: ResourceType; name: string; uid?: string };

const isMap = (v: unknown): v is JsonMap => typeof v === 'object' && v !== null && !Array.isArray(v);

const describe = (type: ResourceType, name: string) => `${type.kind} "${name}"`;

/** ESO hashes the spec when there is one, else the data; an object with neither cannot be checked. */
export function contentHash(obj: Record<string, unknown>): string | undefined {
  if (obj.spec !== undefined && obj.spec !== null) return objectHash(obj.spec as JsonValue);
  if (obj.data !== undefined && obj.data !== null) return objectHash(obj.data as JsonValue);
  return undefined;
}

/** The object in the cluster is as Syncret (or ESO) last wrote it. */
export function genericTargetValid(existing: GenericObject | undefined, creation: CreationPolicy): boolean {
  if (creation === 'Orphan') return true;
  if (!existing?.metadata?.uid) return false;
  if (existing.metadata.labels?.[MANAGED_LABEL] !== 'true') return false;
  const hash = contentHash(existing);
  return hash !== undefined && existing.metadata.annotations?.[DATA_HASH_ANNOTATION] === hash;
}

export interface ManifestArgs {
  es: ExternalSecret;
  type: ResourceType;
  name: string;
  creation: CreationPolicy;
  /** Provider data (before any template). */
  data: Record<string, Uint8Array>;
  /** The template's writes; undefined without spec.target.template. */
  ops: ManifestOp[] | undefined;
  existing: GenericObject | undefined;
  /** Labels Syncret adds besides ESO's (EsWorld.targetLabels). */
  ownLabels?: Record<string, string>;
}

const text = new TextDecoder();

function stringMap(data: Record<string, Uint8Array>): JsonMap {
  const out: JsonMap = {};
  for (const [k, v] of Object.entries(data))
    Object.defineProperty(out, k, {
      value: text.decode(v),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return out;
}

function freshObject(a: ManifestArgs): GenericObject {
  const obj: GenericObject = {
    apiVersion: a.type.group ? `${a.type.group}/${a.type.version}` : a.type.version,
    kind: a.type.kind,
    metadata: { name: a.name, namespace: a.es.metadata.namespace },
  };
  if (a.type.kind === 'ConfigMap' || a.type.kind === 'Secret') obj.data = {};
  else obj.spec = {};
  return obj;
}

function field(obj: GenericObject, name: 'data' | 'spec'): JsonMap {
  const cur = obj[name];
  if (cur !== undefined && cur !== null && !isMap(cur))
    throw new SecretDataError('TemplateFailed', `the target's ${name} is not a map`);
  const m = isMap(cur) ? cur : {};
  obj[name] = m;
  return m;
}

function applyOp(obj: GenericObject, op: ManifestOp): void {
  const t = op.target.toLowerCase();
  const meta = obj.metadata as ObjectMeta;
  if (op.op === 'set') {
    if (t === 'labels') meta.labels = { ...meta.labels, [op.key]: op.value };
    else if (t === 'annotations') meta.annotations = { ...meta.annotations, [op.key]: op.value };
    else if (t === 'data' || t === 'spec')
      Object.defineProperty(field(obj, t), op.key, {
        value: op.value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    // ESO puts every key's value at the path itself, parsed as YAML (the last key wins).
    else setAtPath(obj as JsonMap, op.target, () => parseYamlValue(op.value));
    return;
  }
  const parsed = parseYamlStrict(op.where, op.text);
  if (!op.target.includes('.') && !op.target.includes('[')) {
    setAtPath(obj as JsonMap, op.target, () => parsed);
    return;
  }
  setAtPath(obj as JsonMap, op.target, (old: JsonValue | undefined) =>
    isMap(old) && isMap(parsed) ? Object.assign(old, parsed) : parsed,
  );
}

export type ManifestResult =
  { ok: true; body: GenericObject; hash: string } | { ok: false; reason: string; message: string };

/** The object to write (metadata, content, data-hash annotation and ownership), or why not. */
export function desiredManifest(a: ManifestArgs): ManifestResult {
  const merge = (a.creation === 'Merge' || a.creation === 'CreateOrMerge') && a.existing !== undefined;
  const obj: GenericObject = merge ? structuredClone(a.existing!) : freshObject(a);
  const meta = (obj.metadata ??= {});
  const tmpl = a.es.spec?.target?.template;
  // As ESO: the template's metadata (not rendered), else the ExternalSecret's own labels and annotations.
  meta.labels = {
    ...meta.labels,
    ...(tmpl ? tmpl.metadata?.labels : a.es.metadata.labels),
    [MANAGED_LABEL]: 'true',
    ...a.ownLabels,
  };
  meta.annotations = {
    ...meta.annotations,
    ...(tmpl ? tmpl.metadata?.annotations : a.es.metadata.annotations),
  };
  try {
    if (!a.ops) {
      if (a.type.kind === 'ConfigMap') obj.data = stringMap(a.data);
      else field(obj, 'spec').data = stringMap(a.data);
    } else for (const op of a.ops) applyOp(obj, op);
  } catch (e) {
    if (e instanceof SecretDataError) return { ok: false, reason: Reason.TemplateFailed, message: e.message };
    throw e;
  }
  const hash = contentHash(obj);
  if (hash === undefined)
    return {
      ok: false,
      reason: Reason.TemplateFailed,
      message: `${describe(a.type, a.name)} has neither a spec nor a data field to hash`,
    };
  const m = obj.metadata as ObjectMeta;
  m.annotations = { ...m.annotations, [DATA_HASH_ANNOTATION]: hash };
  setOwnership(a, m);
  return { ok: true, body: obj, hash };
}

function setOwnership(a: ManifestArgs, m: ObjectMeta): void {
  const mine = (r: OwnerReference) => isExternalSecretRef(r) && r.name === a.es.metadata.name;
  // Kept from the object in the cluster: other owners' references and finalizers (ESO's Update
  // of a fresh object would drop them).
  const refs = (a.existing?.metadata?.ownerReferences ?? m.ownerReferences ?? []).filter((r) => !mine(r));
  if (a.creation === 'Owner') {
    refs.push(ownerReference(a.es));
    m.labels = { ...m.labels, [OWNER_LABEL]: ownerLabelValue(a.es) };
  } else if (m.labels) {
    delete m.labels[OWNER_LABEL];
  }
  if (refs.length > 0) m.ownerReferences = refs;
  else delete m.ownerReferences;
  const finalizers = a.existing?.metadata?.finalizers;
  if (finalizers?.length) m.finalizers = [...finalizers];
  if (a.existing?.metadata?.resourceVersion) {
    m.resourceVersion = a.existing.metadata.resourceVersion;
    m.uid = a.existing.metadata.uid;
  }
}

const subset = (want: Record<string, string> | undefined, have: Record<string, string> | undefined) =>
  Object.entries(want ?? {}).every(([k, v]) => have?.[k] === v);

/** Nothing Syncret writes would change: the same content hash, labels, annotations and controller. */
export function manifestUpToDate(
  body: GenericObject,
  existing: GenericObject,
  creation: CreationPolicy,
): boolean {
  if (!genericTargetValid(existing, creation === 'Orphan' ? 'Owner' : creation)) return false;
  const want = body.metadata as ObjectMeta;
  const have = existing.metadata as ObjectMeta;
  if (!subset(want.labels, have.labels) || !subset(want.annotations, have.annotations)) return false;
  if (creation !== 'Owner' && have.labels?.[OWNER_LABEL] !== undefined) return false;
  return controllerOf(want)?.uid === controllerOf(have)?.uid;
}

/**
 * The object as it is plus `own` labels, for a run that does not sync (none when it has them):
 * only an object Syncret manages for this ExternalSecret, with no owner a sync would refuse (a
 * label is no way to take one over). A replace guarded by its resourceVersion, as every generic
 * write: the grants for these kinds (the chart's genericTargets) have update, not patch.
 */
export function ownLabelsGenericWrite(
  type: ResourceType,
  name: string,
  existing: GenericObject | undefined,
  own: Record<string, string> | undefined,
  es: ExternalSecret,
  creation: CreationPolicy,
): GenericWrite | undefined {
  if (!existing || !own || creation === 'None' || subset(own, existing.metadata.labels)) return undefined;
  if (existing.metadata.labels?.[MANAGED_LABEL] !== 'true') return undefined;
  if (ownershipConflict(existing.metadata, es, creation)) return undefined;
  const body = {
    ...existing,
    metadata: { ...existing.metadata, labels: { ...existing.metadata.labels, ...own } },
  };
  return { op: 'replace', type, name, body };
}

/** ESO's refusal: another ExternalSecret controls the object, or another controller does and Owner would need it too. */
export function manifestConflict(a: ManifestArgs): string | undefined {
  const other = a.existing ? ownershipConflict(a.existing.metadata, a.es, a.creation) : undefined;
  if (!other) return undefined;
  return `target ${describe(a.type, a.name)} is controlled by ${other.kind} "${other.name}"; Syncret does not take over objects owned by others`;
}

/** The target may be deleted (deletionPolicy Delete): it is this ExternalSecret's own. */
export function deletable(existing: GenericObject | undefined, es: ExternalSecret): boolean {
  return existing !== undefined && ownedBy(existing.metadata, es);
}

/** What a reconcile may read of generic targets (the operator's GenericTargets; fakes in tests). */
export interface GenericTargetAccess {
  /** The REST resource of a kind, or undefined when the apiserver serves none. */
  resolve(apiVersion: string, kind: string): Promise<ResourceType | undefined>;
  /** The object (from the watch of managed objects of that kind, else a GET), or undefined. */
  get(type: ResourceType, namespace: string, name: string): Promise<GenericObject | undefined>;
}
