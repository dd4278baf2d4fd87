// Shapes shared by several kinds and providers: object references, selectors, status
// conditions. Each is one schema, and its type is inferred from it.

import { arr, enumStr, int, map, obj, str } from './schema.js';
import type { Static } from './schema.js';

// The apiserver's own name rules, as ESO declares them on its references.
export const DNS1123_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
export const DNS1123_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
export const SECRET_DATA_KEY = '^[-._a-zA-Z0-9]+$';

/**
 * Syncret's bounds on free-form strings (ESO sets none on these): keys, properties, paths and
 * patterns; URLs; templates, which need not exceed the Secret they render (the apiserver's
 * 1 MiB). Generous for real use, they stop one field from bloating the object towards the
 * apiserver's 1.5 MiB limit, past which no status (and no message quoting the field) can be
 * written.
 */
export const MAX_REF_LENGTH = 4096;
export const MAX_URL_LENGTH = 2048;
export const MAX_VERSION_LENGTH = 256;
export const MAX_TEMPLATE_LENGTH = 1024 * 1024;
/** The apiserver's limit on all annotations of an object together. */
export const MAX_ANNOTATION_LENGTH = 256 * 1024;

export function objectName(desc?: string) {
  return str({ desc, minLength: 1, maxLength: 253, pattern: DNS1123_SUBDOMAIN });
}

export function namespaceName(desc?: string) {
  return str({ desc, minLength: 1, maxLength: 63, pattern: DNS1123_LABEL });
}

export function secretDataKey(desc?: string) {
  return str({ desc, minLength: 1, maxLength: 253, pattern: SECRET_DATA_KEY });
}

export function secretKeySelector(desc?: string) {
  return obj(
    {
      name: objectName('Name of the Secret.'),
      namespace: namespaceName('Namespace of the Secret; honoured only for a ClusterSecretStore.'),
      key: secretDataKey('Key in the Secret.'),
    },
    { desc },
  );
}

export type SecretKeySelector = Static<ReturnType<typeof secretKeySelector>>;

export function serviceAccountSelector(desc?: string) {
  return obj(
    {
      name: objectName('Name of the ServiceAccount.'),
      namespace: namespaceName('Namespace of the ServiceAccount; honoured only for a ClusterSecretStore.'),
      audiences: arr(str(), { desc: 'Audiences of the requested token, in addition to the defaults.' }),
    },
    { desc, required: ['name'] },
  );
}

export type ServiceAccountSelector = Static<ReturnType<typeof serviceAccountSelector>>;

export function caProvider(desc = 'A Secret or ConfigMap that holds the PEM CA bundle.') {
  return obj(
    {
      type: enumStr(['Secret', 'ConfigMap']),
      name: objectName(),
      key: secretDataKey(),
      namespace: namespaceName('Honoured only for a ClusterSecretStore.'),
    },
    { desc, required: ['type', 'name'] },
  );
}

export type CAProvider = Static<ReturnType<typeof caProvider>>;

/** A base64-encoded PEM bundle; `format: byte` makes the apiserver reject invalid base64. */
export function caBundle(desc = 'Base64-encoded PEM CA bundle.') {
  return str({ desc, format: 'byte' });
}

export function labelSelector(desc?: string) {
  return obj(
    {
      matchLabels: map(str()),
      matchExpressions: arr(
        obj(
          {
            key: str(),
            operator: enumStr(['In', 'NotIn', 'Exists', 'DoesNotExist']),
            values: arr(str(), { listType: 'atomic' }),
          },
          { required: ['key', 'operator'], always: ['key', 'operator'] },
        ),
        { listType: 'atomic' },
      ),
    },
    { desc, mapType: 'atomic' },
  );
}

export type LabelSelector = Static<ReturnType<typeof labelSelector>>;

function condition() {
  return obj(
    {
      type: str(),
      // Only the operator writes conditions, and only these three values.
      status: str<'True' | 'False' | 'Unknown'>(),
      reason: str(),
      message: str(),
      lastTransitionTime: str({ format: 'date-time' }),
      observedGeneration: int({ format: 'int64', minimum: 0 }),
    },
    { required: ['type', 'status'], always: ['type', 'status'] },
  );
}

export type Condition = Static<ReturnType<typeof condition>>;

export function conditions() {
  return arr(condition());
}
