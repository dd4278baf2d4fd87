// PushSecret into a Secret of the store's remote namespace (or, for a ClusterSecretStore, the
// one `metadata.spec.remoteNamespace` names), with ESO 2.9's shape
// (providers/v1/kubernetes/client.go): no property replaces the whole data; a property sets
// one key (the source key's bytes, or the whole source Secret as JSON); the source's type,
// labels and annotations are copied as the source/target merge policies say.
//
// Different from ESO, which overwrites and deletes any Secret of that name: Syncret labels the
// Secrets it creates `managed-by: external-secrets` and refuses a Secret without that label
// (label one by hand to adopt it). Writes are conditional on the resourceVersion read.

import type { Secret } from '../../api/types.js';
import { SECRETS } from '../../kube/resources.js';
import { isKubeApiError } from '../../kube/types.js';
import type { KubeApi } from '../../kube/types.js';
import { ProviderError } from '../errors.js';
import {
  MANAGED_BY_KEY,
  MANAGED_BY_VALUE,
  isOwned,
  isString,
  isStringMap,
  jsonEquivalent,
  notOwned,
  oneOf,
  parsePushMetadata,
  secretJson,
} from '../push.js';
import type { DeleteOutcome, PushOutcome, PushRef, PushRequest, SecretsWriter } from '../types.js';

interface KubernetesPushMetadata {
  targetMergePolicy: 'Merge' | 'Replace' | 'Ignore';
  sourceMergePolicy: 'Merge' | 'Replace';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  remoteNamespace: string;
}

const FIELDS = {
  targetMergePolicy: oneOf('Merge', 'Replace', 'Ignore'),
  sourceMergePolicy: oneOf('Merge', 'Replace'),
  labels: isStringMap,
  annotations: isStringMap,
  remoteNamespace: isString,
};

/**
 * Not copied: Syncret's bookkeeping (it describes the source's ExternalSecret, not the copy),
 * and kubectl's last-applied annotation, which holds the source's values in plain text.
 */
const NOT_COPIED =
  /^((reconcile\.)?external-secrets\.io\/|kubectl\.kubernetes\.io\/last-applied-configuration$)/;

const b64 = (v: Uint8Array): string => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');

function withoutBookkeeping(m: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(m).filter(([k]) => !NOT_COPIED.test(k)));
}

type Mapper = (e: unknown, what: string, namespace: string, rbac: string) => never;

export class KubernetesWriter implements SecretsWriter {
  constructor(
    private readonly api: KubeApi,
    private readonly namespace: string,
    private readonly clusterStore: boolean,
    private readonly mapError: Mapper,
  ) {}

  private target(meta: Partial<KubernetesPushMetadata> | undefined): string {
    if (!meta?.remoteNamespace) return this.namespace;
    if (!this.clusterStore)
      throw new ProviderError(
        'InvalidRequest',
        'metadata.spec.remoteNamespace is only supported with a ClusterSecretStore',
      );
    return meta.remoteNamespace;
  }

  private async read(namespace: string, name: string): Promise<Secret | undefined> {
    try {
      return await this.api.get<Secret>({ type: SECRETS, namespace, name });
    } catch (e) {
      if (isKubeApiError(e) && e.notFound) return undefined;
      return this.mapError(e, `Secret "${name}"`, namespace, 'get secrets');
    }
  }

  async push(req: PushRequest): Promise<PushOutcome> {
    const meta = parsePushMetadata<KubernetesPushMetadata>('kubernetes', req.metadata, FIELDS);
    if (!req.ref.property && req.value.kind === 'bytes')
      throw new ProviderError(
        'InvalidRequest',
        'requires property in remoteRef to push a secret value when secretKey is set (the kubernetes provider writes whole Secrets otherwise)',
      );
    const namespace = this.target(meta);
    const name = req.ref.remoteKey;
    const existing = await this.read(namespace, name);
    if (existing && !isOwned(existing.metadata.labels))
      throw notOwned('Secret', { remoteKey: `${namespace}/${name}` }, 'label');
    const next = desired(req, meta, existing);
    next.metadata = { ...next.metadata, name, namespace };
    const ref = { type: SECRETS, namespace, name };
    try {
      if (!existing) {
        await this.api.create(ref, next);
        return 'created';
      }
      if (sameContent(existing, next)) return 'unchanged';
      await this.api.replace(ref, {
        ...existing,
        ...next,
        metadata: {
          ...existing.metadata,
          ...next.metadata,
          resourceVersion: existing.metadata.resourceVersion,
        },
      });
      return 'updated';
    } catch (e) {
      if (isKubeApiError(e) && e.conflict)
        throw new ProviderError(
          'Conflict',
          `Secret "${namespace}/${name}" changed while being written; retrying`,
        );
      return this.mapError(e, `Secret "${name}"`, namespace, existing ? 'update secrets' : 'create secrets');
    }
  }

  async delete(ref: PushRef): Promise<DeleteOutcome> {
    const name = ref.remoteKey;
    const existing = await this.read(this.namespace, name);
    if (!existing) return 'absent';
    if (!isOwned(existing.metadata.labels)) return 'not-owned';
    const target = { type: SECRETS, namespace: this.namespace, name };
    const data = { ...(existing.data ?? {}) };
    try {
      if (ref.property && Object.keys(data).length > 1) {
        if (!Object.hasOwn(data, ref.property)) return 'absent';
        delete data[ref.property];
        await this.api.replace(target, { ...existing, data });
        return 'deleted';
      }
      if (ref.property && !Object.hasOwn(data, ref.property)) return 'absent';
      await this.api.delete(target, { preconditionUid: existing.metadata.uid });
      return 'deleted';
    } catch (e) {
      if (isKubeApiError(e) && e.notFound) return 'absent';
      if (isKubeApiError(e) && e.conflict)
        throw new ProviderError(
          'Conflict',
          `Secret "${this.namespace}/${name}" changed while being deleted; retrying`,
        );
      return this.mapError(e, `Secret "${name}"`, this.namespace, 'delete secrets');
    }
  }

  async exists(ref: PushRef): Promise<boolean> {
    const s = await this.read(this.namespace, ref.remoteKey);
    if (!s) return false;
    return ref.property ? Object.hasOwn(s.data ?? {}, ref.property) : true;
  }
}

function merged(
  base: Record<string, string>,
  extra: Record<string, string> | undefined,
  policy: 'Merge' | 'Replace' | undefined,
): Record<string, string> {
  return policy === 'Replace' ? { ...(extra ?? {}) } : { ...base, ...(extra ?? {}) };
}

/** The Secret a push wants: data, type, and labels and annotations after both merge policies. */
function desired(
  req: PushRequest,
  meta: Partial<KubernetesPushMetadata> | undefined,
  existing: Secret | undefined,
): Secret {
  const src = req.source ?? { labels: {}, annotations: {} };
  const srcLabels = merged(withoutBookkeeping(src.labels), meta?.labels, meta?.sourceMergePolicy);
  const srcAnnotations = merged(
    withoutBookkeeping(src.annotations),
    meta?.annotations,
    meta?.sourceMergePolicy,
  );
  const have = existing?.metadata ?? {};
  let labels: Record<string, string>;
  let annotations: Record<string, string>;
  if (meta?.targetMergePolicy === 'Ignore') {
    labels = { ...(have.labels ?? {}) };
    annotations = { ...(have.annotations ?? {}) };
  } else if (meta?.targetMergePolicy === 'Replace') {
    labels = srcLabels;
    annotations = srcAnnotations;
  } else {
    labels = { ...(have.labels ?? {}), ...srcLabels };
    annotations = { ...(have.annotations ?? {}), ...srcAnnotations };
  }
  // The marker survives every policy: without it the next push would refuse the Secret.
  labels[MANAGED_BY_KEY] = MANAGED_BY_VALUE;
  let data: Record<string, string>;
  if (!req.ref.property) {
    data = {};
    if (req.value.kind === 'map') for (const [k, v] of Object.entries(req.value.data)) data[k] = b64(v);
  } else {
    const bytes =
      req.value.kind === 'bytes' ? req.value.data : new TextEncoder().encode(secretJson(req.value.data));
    data = { ...(existing?.data ?? {}), [req.ref.property]: b64(bytes) };
  }
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { labels, annotations },
    type: src.type || existing?.type || 'Opaque',
    data,
  };
}

function sameContent(a: Secret, b: Secret): boolean {
  return (
    (a.type ?? 'Opaque') === (b.type ?? 'Opaque') &&
    jsonEquivalent(a.data ?? {}, b.data ?? {}) &&
    jsonEquivalent(a.metadata.labels ?? {}, b.metadata.labels ?? {}) &&
    jsonEquivalent(a.metadata.annotations ?? {}, b.metadata.annotations ?? {})
  );
}
