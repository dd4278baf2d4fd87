// The CustomResourceDefinitions of the external-secrets.io API. Every served version has the
// same schema (conversion strategy None); v1 is stored.

import { GROUP, PUSH_VERSION, SERVED_VERSIONS, STORED_VERSION } from '../types.js';
import { clusterExternalSecretSpec, clusterExternalSecretStatus } from '../clusterexternalsecret.js';
import {
  clusterPushSecretSpec,
  clusterPushSecretStatus,
  pushSecretSpec,
  pushSecretStatus,
} from '../pushsecret.js';
import { externalSecretSpec, externalSecretStatus } from '../externalsecret.js';
import { obj, str } from '../schema.js';
import type { Schema } from '../schema.js';
import { storeSpec, storeStatus } from '../secretstore.js';
import type { StoreScope } from '../secretstore.js';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'date' | 'integer' | 'boolean';
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface CRDVersion {
  name: string;
  served: boolean;
  storage: boolean;
  deprecated?: boolean;
  deprecationWarning?: string;
  schema: { openAPIV3Schema: Schema };
  subresources: { status: Record<string, never> };
  additionalPrinterColumns: PrinterColumn[];
  selectableFields?: { jsonPath: string }[];
}

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    group: string;
    names: {
      kind: string;
      listKind: string;
      plural: string;
      singular: string;
      shortNames?: string[];
      categories: string[];
    };
    scope: StoreScope;
    conversion: { strategy: 'None' };
    versions: CRDVersion[];
  };
}

export const CATEGORY = 'external-secrets';

const READY_REASON = '.status.conditions[?(@.type=="Ready")].reason';
const READY_STATUS = '.status.conditions[?(@.type=="Ready")].status';

export interface Definition {
  /** Defaults to external-secrets.io with v1 stored and v1beta1 served. */
  group?: string;
  versions?: readonly string[];
  /**
   * Versions kept in the CRD but not served, as ESO keeps them: a cluster whose objects were
   * once stored at such a version lists it in status.storedVersions, and the apiserver
   * refuses a CRD that drops it. Never served, so their schema only needs to be open.
   */
  unserved?: readonly string[];
  stored?: string;
  kind: string;
  plural: string;
  /** None for ClusterPushSecret and the generator kinds, as in ESO. */
  shortName?: string;
  /** Defaults to [external-secrets]. */
  categories?: string[];
  scope: StoreScope;
  description: string;
  spec: Schema;
  status: Schema;
  columns: PrinterColumn[];
  selectableFields?: string[];
}

export function define(d: Definition): CustomResourceDefinition {
  const openAPIV3Schema = obj(
    {
      apiVersion: str(),
      kind: str(),
      metadata: { type: 'object' },
      spec: d.spec,
      status: d.status,
    },
    { desc: d.description, required: ['spec'] },
  );
  const group = d.group ?? GROUP;
  const stored = d.stored ?? STORED_VERSION;
  const versions = (d.versions ?? SERVED_VERSIONS).map((name): CRDVersion => ({
    name,
    served: true,
    storage: name === stored,
    ...(name === stored
      ? {}
      : {
          deprecated: true,
          deprecationWarning: `${group}/${name} ${d.kind} is deprecated; use ${group}/${stored}`,
        }),
    schema: { openAPIV3Schema },
    subresources: { status: {} },
    additionalPrinterColumns: d.columns,
    ...(d.selectableFields ? { selectableFields: d.selectableFields.map((jsonPath) => ({ jsonPath })) } : {}),
  }));
  for (const name of d.unserved ?? [])
    versions.push({
      name,
      served: false,
      storage: false,
      deprecated: true,
      schema: { openAPIV3Schema: obj({}, { preserveUnknown: true }) },
      subresources: { status: {} },
      additionalPrinterColumns: d.columns,
    });
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${d.plural}.${group}`, labels: { 'app.kubernetes.io/part-of': 'syncret' } },
    spec: {
      group,
      names: {
        kind: d.kind,
        listKind: `${d.kind}List`,
        plural: d.plural,
        singular: d.kind.toLowerCase(),
        ...(d.shortName ? { shortNames: [d.shortName] } : {}),
        categories: d.categories ?? [CATEGORY],
      },
      scope: d.scope,
      conversion: { strategy: 'None' },
      versions,
    },
  };
}

// Column names and paths as ESO prints them, so `kubectl get es,ss,css` looks the same.
const STORE_COLUMNS: PrinterColumn[] = [
  { name: 'AGE', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  { name: 'Status', type: 'string', jsonPath: READY_REASON },
  { name: 'Capabilities', type: 'string', jsonPath: '.status.capabilities' },
  { name: 'Ready', type: 'string', jsonPath: READY_STATUS },
];

export function externalSecretCRD(): CustomResourceDefinition {
  return define({
    kind: 'ExternalSecret',
    plural: 'externalsecrets',
    shortName: 'es',
    scope: 'Namespaced',
    description: 'Syncs values from a SecretStore or ClusterSecretStore into a Kubernetes Secret.',
    spec: externalSecretSpec(),
    status: externalSecretStatus(),
    columns: [
      { name: 'StoreType', type: 'string', jsonPath: '.spec.secretStoreRef.kind' },
      { name: 'Store', type: 'string', jsonPath: '.spec.secretStoreRef.name' },
      { name: 'Refresh Interval', type: 'string', jsonPath: '.spec.refreshInterval' },
      { name: 'Status', type: 'string', jsonPath: READY_REASON },
      { name: 'Ready', type: 'string', jsonPath: READY_STATUS },
      { name: 'Last Sync', type: 'date', jsonPath: '.status.refreshTime' },
    ],
    selectableFields: [
      '.spec.secretStoreRef.name',
      '.spec.secretStoreRef.kind',
      '.spec.target.name',
      '.spec.refreshInterval',
    ],
  });
}

export function secretStoreCRD(): CustomResourceDefinition {
  return define({
    kind: 'SecretStore',
    plural: 'secretstores',
    shortName: 'ss',
    scope: 'Namespaced',
    description: 'A secret provider that ExternalSecrets of the same namespace read from.',
    spec: storeSpec('Namespaced'),
    status: storeStatus(),
    columns: STORE_COLUMNS,
  });
}

export function clusterSecretStoreCRD(): CustomResourceDefinition {
  return define({
    kind: 'ClusterSecretStore',
    plural: 'clustersecretstores',
    shortName: 'css',
    scope: 'Cluster',
    description: 'A secret provider that ExternalSecrets of any (or selected) namespaces read from.',
    spec: storeSpec('Cluster'),
    status: storeStatus(),
    columns: STORE_COLUMNS,
  });
}

/** ESO 2.9 serves only v1 of this kind; v1beta1 stays listed, unserved, as in ESO's CRD. */
export function clusterExternalSecretCRD(): CustomResourceDefinition {
  return define({
    versions: [STORED_VERSION],
    unserved: ['v1beta1'],
    kind: 'ClusterExternalSecret',
    plural: 'clusterexternalsecrets',
    shortName: 'ces',
    scope: 'Cluster',
    description:
      'Creates an ExternalSecret from one template in every namespace its selectors or names pick, and removes it from namespaces that stop matching.',
    spec: clusterExternalSecretSpec(),
    status: clusterExternalSecretStatus(),
    columns: [
      { name: 'Store', type: 'string', jsonPath: '.spec.externalSecretSpec.secretStoreRef.name' },
      { name: 'Refresh Interval', type: 'string', jsonPath: '.spec.refreshTime' },
      { name: 'Ready', type: 'string', jsonPath: READY_STATUS },
    ],
  });
}

/** ESO's columns for both push kinds; PushSecret adds Last Sync. */
const PUSH_COLUMNS: PrinterColumn[] = [
  { name: 'AGE', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  { name: 'Status', type: 'string', jsonPath: READY_REASON },
];

export function pushSecretCRD(): CustomResourceDefinition {
  return define({
    versions: [PUSH_VERSION],
    stored: PUSH_VERSION,
    kind: 'PushSecret',
    plural: 'pushsecrets',
    shortName: 'ps',
    scope: 'Namespaced',
    description:
      'Writes a Kubernetes Secret of its namespace (or the values a generator issues) into one or more SecretStores or ClusterSecretStores.',
    spec: pushSecretSpec(),
    status: pushSecretStatus(),
    columns: [...PUSH_COLUMNS, { name: 'Last Sync', type: 'date', jsonPath: '.status.refreshTime' }],
  });
}

export function clusterPushSecretCRD(): CustomResourceDefinition {
  return define({
    versions: [PUSH_VERSION],
    stored: PUSH_VERSION,
    kind: 'ClusterPushSecret',
    plural: 'clusterpushsecrets',
    scope: 'Cluster',
    description:
      'Creates a PushSecret from one spec in every namespace its selectors pick, and removes it from namespaces that stop matching.',
    spec: clusterPushSecretSpec(),
    status: clusterPushSecretStatus(),
    columns: PUSH_COLUMNS,
  });
}

export function allCRDs(): CustomResourceDefinition[] {
  return [
    externalSecretCRD(),
    secretStoreCRD(),
    clusterSecretStoreCRD(),
    clusterExternalSecretCRD(),
    pushSecretCRD(),
    clusterPushSecretCRD(),
  ];
}
