import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Format from 'typebox/format';
import JsonSchema from 'typebox/schema';
import {
  allCRDs,
  clusterExternalSecretCRD,
  clusterSecretStoreCRD,
  externalSecretCRD,
  secretStoreCRD,
} from './crds.js';
import { generatorCRDs, vaultDynamicSecretCRD } from './generators.js';
import type { CustomResourceDefinition } from './crds.js';
import { PROVIDERS } from '../providers/index.js';
import { VAULT_AUTH_METHODS } from '../providers/vault.js';
import { renderCRDFiles } from './render.js';
import type { Schema } from '../schema.js';
import { INVALID, VALID } from './testing/samples.js';
import type { SampleObject } from './testing/samples.js';

const CRDS_DIR = fileURLToPath(new URL('../../../crds/', import.meta.url));
// The apiserver's limit on all annotations of an object; client-side `kubectl apply` stores
// the whole object (as JSON) in one of them.
const ANNOTATION_LIMIT = 256 * 1024;

const crds = allCRDs();

function schemaOf(
  crd: CustomResourceDefinition,
  version = crd.spec.versions.find((v) => v.storage)?.name ?? 'v1',
): Schema {
  const v = crd.spec.versions.find((x) => x.name === version);
  if (!v) throw new Error(`${crd.metadata.name} has no version ${version}`);
  return v.schema.openAPIV3Schema;
}

/** The schema at a dotted path; `[]` steps into array items, `{}` into map values. */
function at(schema: Schema, path: string): Schema {
  let node = schema;
  for (const part of path.split('.')) {
    const name = part.replace(/(\[\]|\{\})$/, '');
    const next = node.properties?.[name];
    if (!next) throw new Error(`no field "${name}" on the way to ${path}`);
    node = next;
    if (part.endsWith('[]')) {
      if (!node.items) throw new Error(`${path}: ${name} is not an array`);
      node = node.items;
    } else if (part.endsWith('{}')) {
      if (!node.additionalProperties) throw new Error(`${path}: ${name} is not a map`);
      node = node.additionalProperties;
    }
  }
  return node;
}

function propertyNames(schema: Schema, path: string): string[] {
  return Object.keys(at(schema, path).properties ?? {}).sort();
}

function rulesAt(schema: Schema, path: string): string[] {
  const node = path ? at(schema, path) : schema;
  return (node['x-kubernetes-validations'] ?? []).map((r) => r.rule);
}

const ALLOWED_KEYS = new Set([
  'description',
  'type',
  'format',
  'enum',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'minItems',
  'maxItems',
  'nullable',
  'properties',
  'required',
  'items',
  'additionalProperties',
  'x-kubernetes-int-or-string',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-map-type',
  'x-kubernetes-list-type',
  'x-kubernetes-validations',
]);

/** Every violation of the structural-schema rules this project holds itself to. */
function structuralProblems(node: Schema, path: string, out: string[] = []): string[] {
  for (const key of Object.keys(node)) {
    if (!ALLOWED_KEYS.has(key)) out.push(`${path}: unexpected key "${key}"`);
  }
  if (node['x-kubernetes-int-or-string']) {
    if (node.type) out.push(`${path}: int-or-string must not have a type`);
  } else if (!node.type && !node['x-kubernetes-preserve-unknown-fields']) {
    // The apiserver lets a node without a type through only with preserve-unknown-fields (any JSON).
    out.push(`${path}: no type`);
  }
  if (node.type === 'array' && !node.items) out.push(`${path}: array without items`);
  if (node.items && node.type !== 'array') out.push(`${path}: items on a non-array`);
  if ((node.properties || node.additionalProperties) && node.type !== 'object') {
    out.push(`${path}: properties on a non-object`);
  }
  if (node.properties && node.additionalProperties)
    out.push(`${path}: both properties and additionalProperties`);
  for (const name of node.required ?? []) {
    if (!node.properties?.[name]) out.push(`${path}: required "${name}" is not a property`);
  }
  for (const value of node.enum ?? []) {
    if (typeof value !== 'string' || node.type !== 'string') out.push(`${path}: enum must list strings`);
  }
  for (const r of node['x-kubernetes-validations'] ?? []) {
    if (!r.rule.trim() || !r.message.trim()) out.push(`${path}: CEL rule without rule or message`);
  }
  for (const [name, child] of Object.entries(node.properties ?? {}))
    structuralProblems(child, `${path}.${name}`, out);
  if (node.items) structuralProblems(node.items, `${path}[]`, out);
  if (node.additionalProperties) structuralProblems(node.additionalProperties, `${path}{}`, out);
  return out;
}

describe('crds/', () => {
  const rendered = renderCRDFiles();

  it('is exactly what the generator produces (run `npm run gen:crds` after changing src/api)', () => {
    expect(readdirSync(CRDS_DIR).sort()).toEqual([...rendered.keys()].sort());
    for (const [name, content] of rendered) {
      expect({ name, content: readFileSync(`${CRDS_DIR}${name}`, 'utf8') }).toEqual({ name, content });
    }
  });

  it('keeps every CRD under 256 KiB, as a file and as a last-applied annotation', () => {
    for (const crd of [...crds, ...generatorCRDs()]) {
      const file = rendered.get(`${crd.spec.group}_${crd.spec.names.plural}.yaml`) ?? '';
      expect(Buffer.byteLength(file)).toBeLessThan(ANNOTATION_LIMIT);
      expect(Buffer.byteLength(JSON.stringify(crd))).toBeLessThan(ANNOTATION_LIMIT);
    }
  });

  it('contains no schema default anywhere (defaults live in code)', () => {
    for (const [name, content] of rendered) {
      expect({ name, defaults: content.match(/^\s*default:/gm) ?? [] }).toEqual({ name, defaults: [] });
    }
  });

  it('lists every CRD in the kustomization', () => {
    const kustomization = rendered.get('Kustomization') ?? '';
    for (const name of rendered.keys()) {
      if (name.endsWith('.yaml')) expect(kustomization).toContain(`- ${name}`);
    }
  });
});

// ClusterExternalSecret serves only v1 and has no Status column (as ESO's): its own block below.
// PushSecret and ClusterPushSecret serve only v1alpha1 (as ESO's): their own block too.
const ONE_VERSION = new Set(['ClusterExternalSecret', 'PushSecret', 'ClusterPushSecret']);
const servedTwice = crds.filter((crd) => !ONE_VERSION.has(crd.spec.names.kind));

describe.each(
  crds
    .filter((c) => c.spec.names.kind.endsWith('PushSecret'))
    .map((crd) => [crd.metadata.name, crd] as const),
)('%s', (_name, crd) => {
  it('serves and stores only v1alpha1, with ESO columns, category and structural schema', () => {
    expect(crd.spec.versions.map((v) => [v.name, v.served, v.storage])).toEqual([['v1alpha1', true, true]]);
    const columns = crd.spec.versions[0]?.additionalPrinterColumns.map((c) => [c.name, c.type, c.jsonPath]);
    const expected = [
      ['AGE', 'date', '.metadata.creationTimestamp'],
      ['Status', 'string', '.status.conditions[?(@.type=="Ready")].reason'],
      ...(crd.spec.names.kind === 'PushSecret' ? [['Last Sync', 'date', '.status.refreshTime']] : []),
    ];
    expect(columns).toEqual(expected);
    expect(crd.spec.names.categories).toEqual(['external-secrets']);
    expect(crd.spec.names.shortNames).toEqual(crd.spec.names.kind === 'PushSecret' ? ['ps'] : undefined);
    expect(structuralProblems(schemaOf(crd), crd.spec.names.kind)).toEqual([]);
    expect(at(schemaOf(crd), 'status')['x-kubernetes-preserve-unknown-fields']).toBe(true);
  });
});

describe.each(servedTwice.map((crd) => [crd.metadata.name, crd] as const))('%s', (_name, crd) => {
  it('serves v1 (stored) and v1beta1 with the same schema, conversion None', () => {
    const versions = crd.spec.versions;
    expect(versions.map((v) => v.name)).toEqual(['v1', 'v1beta1']);
    expect(versions.every((v) => v.served)).toBe(true);
    expect(versions.filter((v) => v.storage).map((v) => v.name)).toEqual(['v1']);
    expect(schemaOf(crd, 'v1beta1')).toEqual(schemaOf(crd, 'v1'));
    expect(versions[1]?.additionalPrinterColumns).toEqual(versions[0]?.additionalPrinterColumns);
    expect(crd.spec.conversion).toEqual({ strategy: 'None' });
  });

  it('has a structural schema', () => {
    expect(structuralProblems(schemaOf(crd), crd.spec.names.kind)).toEqual([]);
  });

  it('has a status subresource, the external-secrets category and printer columns', () => {
    for (const v of crd.spec.versions) {
      expect(v.subresources).toEqual({ status: {} });
      const columns = Object.fromEntries(v.additionalPrinterColumns.map((c) => [c.name, c.jsonPath]));
      expect(columns).toMatchObject({
        Status: '.status.conditions[?(@.type=="Ready")].reason',
        Ready: '.status.conditions[?(@.type=="Ready")].status',
      });
    }
    expect(crd.spec.group).toBe('external-secrets.io');
    expect(crd.spec.names.categories).toEqual(['external-secrets']);
  });

  it('keeps status open for fields a newer operator writes', () => {
    expect(at(schemaOf(crd), 'status')['x-kubernetes-preserve-unknown-fields']).toBe(true);
  });
});

describe('ExternalSecret', () => {
  const crd = externalSecretCRD();
  const schema = schemaOf(crd);

  it('is namespaced with short name es and ESO columns', () => {
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crd.spec.names.shortNames).toEqual(['es']);
    const columns = crd.spec.versions[0]?.additionalPrinterColumns ?? [];
    expect(columns.map((c) => [c.name, c.jsonPath])).toEqual(
      expect.arrayContaining([
        ['Store', '.spec.secretStoreRef.name'],
        ['Refresh Interval', '.spec.refreshInterval'],
      ]),
    );
  });

  it('declares every field of the API (paths from eso-api.md)', () => {
    const paths = [
      'spec.secretStoreRef.name',
      'spec.secretStoreRef.kind',
      'spec.refreshInterval',
      'spec.refreshPolicy',
      'spec.target.name',
      'spec.target.creationPolicy',
      'spec.target.deletionPolicy',
      'spec.target.immutable',
      'spec.target.template.type',
      'spec.target.template.engineVersion',
      'spec.target.template.mergePolicy',
      'spec.target.template.metadata.labels{}',
      'spec.target.template.metadata.annotations{}',
      'spec.target.template.metadata.finalizers[]',
      'spec.target.template.data{}',
      'spec.target.template.templateFrom[].configMap.items[].templateAs',
      'spec.target.template.templateFrom[].secret.items[].key',
      'spec.target.template.templateFrom[].target',
      'spec.target.template.templateFrom[].literal',
      'spec.data[].secretKey',
      'spec.data[].remoteRef.nullBytePolicy',
      'spec.data[].sourceRef.storeRef.kind',
      'spec.data[].sourceRef.generatorRef.apiVersion',
      'spec.dataFrom[].extract.decodingStrategy',
      'spec.dataFrom[].find.path',
      'spec.dataFrom[].find.name.regexp',
      'spec.dataFrom[].find.tags{}',
      'spec.dataFrom[].sourceRef.generatorRef.name',
      'spec.dataFrom[].rewrite[].regexp.source',
      'spec.dataFrom[].rewrite[].transform.template',
      'status.conditions[].observedGeneration',
      'status.refreshTime',
      'status.syncedResourceVersion',
      'status.observedGeneration',
      'status.binding.name',
    ];
    for (const path of paths) expect(() => at(schema, path)).not.toThrow();
    expect(at(schema, 'spec.refreshInterval').pattern).toBeUndefined();
    expect(at(schema, 'status.refreshTime').nullable).toBe(true);
  });

  it('uses ESO enums', () => {
    expect(at(schema, 'spec.target.creationPolicy').enum).toEqual([
      'Owner',
      'Orphan',
      'Merge',
      'None',
      'CreateOrMerge',
    ]);
    expect(at(schema, 'spec.target.deletionPolicy').enum).toEqual(['Retain', 'Delete', 'Merge']);
    expect(at(schema, 'spec.data[].remoteRef.decodingStrategy').enum).toEqual([
      'None',
      'Base64',
      'Base64URL',
      'Auto',
    ]);
    expect(at(schema, 'spec.dataFrom[].sourceRef.generatorRef.kind').enum).toContain('VaultDynamicSecret');
  });

  it('bounds free-form strings, so no field can make the status unwritable', () => {
    const bounds: [string, number][] = [
      ['spec.data[].remoteRef.key', 4096],
      ['spec.data[].remoteRef.property', 4096],
      ['spec.data[].remoteRef.version', 256],
      ['spec.dataFrom[].extract.key', 4096],
      ['spec.dataFrom[].find.path', 4096],
      ['spec.dataFrom[].find.name.regexp', 4096],
      ['spec.dataFrom[].find.tags{}', 4096],
      ['spec.dataFrom[].rewrite[].regexp.source', 4096],
      ['spec.dataFrom[].rewrite[].regexp.target', 4096],
      ['spec.dataFrom[].rewrite[].transform.template', 4096],
      ['spec.target.name', 253],
      ['spec.target.template.data{}', 1024 * 1024],
      ['spec.target.template.templateFrom[].literal', 1024 * 1024],
      ['spec.target.template.metadata.annotations{}', 256 * 1024],
    ];
    for (const [path, max] of bounds) expect([path, at(schema, path).maxLength]).toEqual([path, max]);
  });

  it('validates with CEL where ESO rejects a spec', () => {
    expect(rulesAt(schema, 'spec')).toHaveLength(1);
    expect(rulesAt(schema, 'spec.target')).toHaveLength(3);
    expect(rulesAt(schema, 'spec.target.template')).toHaveLength(3);
    expect(rulesAt(schema, 'spec.data[].remoteRef')).toEqual(['size(self.key) > 0']);
    expect(rulesAt(schema, 'spec.dataFrom[].extract')).toEqual(['size(self.key) > 0']);
    expect(rulesAt(schema, 'spec.dataFrom[]')).toHaveLength(3);
    expect(rulesAt(schema, 'spec.dataFrom[].rewrite[]')).toHaveLength(1);
    expect(rulesAt(schema, 'spec.data[].sourceRef')).toHaveLength(1);
  });
});

describe('SecretStore and ClusterSecretStore', () => {
  const ss = secretStoreCRD();
  const css = clusterSecretStoreCRD();

  it('have ESO names, scopes and columns', () => {
    expect([ss.spec.scope, ss.spec.names.shortNames]).toEqual(['Namespaced', ['ss']]);
    expect([css.spec.scope, css.spec.names.shortNames]).toEqual(['Cluster', ['css']]);
    for (const crd of [ss, css]) {
      expect(crd.spec.versions[0]?.additionalPrinterColumns.map((c) => c.name)).toEqual([
        'AGE',
        'Status',
        'Capabilities',
        'Ready',
      ]);
    }
  });

  it('share one spec except conditions, which only a ClusterSecretStore may use', () => {
    const a = at(schemaOf(ss), 'spec');
    const b = at(schemaOf(css), 'spec');
    expect(a.properties?.provider).toEqual(b.properties?.provider);
    expect(rulesAt(schemaOf(ss), 'spec')).toEqual(['!has(self.conditions)']);
    expect(rulesAt(schemaOf(css), 'spec')).toEqual([]);
    expect(propertyNames(schemaOf(css), 'spec.conditions[]')).toEqual([
      'namespaceRegexes',
      'namespaceSelector',
      'namespaces',
    ]);
  });

  it('require exactly one of every registered provider', () => {
    const names = Object.keys(PROVIDERS).sort();
    expect(names).toEqual(['aws', 'azurekv', 'fake', 'gcpsm', 'kubernetes', 'openBao', 'vault', 'webhook']);
    expect(propertyNames(schemaOf(css), 'spec.provider')).toEqual(names);
    const [providerRule] = rulesAt(schemaOf(css), 'spec.provider');
    for (const name of names) expect(providerRule).toContain(`has(self.${name})`);
  });

  it('declare every provider field of eso-api.md', () => {
    const schema = schemaOf(css);
    const paths = [
      'vault.server',
      'vault.path',
      'vault.version',
      'vault.namespace',
      'vault.caBundle',
      'vault.caProvider.type',
      'vault.tls.certSecretRef.key',
      'vault.tls.keySecretRef.name',
      'vault.readYourWrites',
      'vault.forwardInconsistent',
      'vault.headers{}',
      'vault.auth.namespace',
      'vault.auth.tokenSecretRef.key',
      'vault.auth.appRole.roleRef.key',
      'vault.auth.kubernetes.serviceAccountRef.audiences[]',
      'vault.auth.jwt.kubernetesServiceAccountToken.expirationSeconds',
      'vault.auth.userPass.username',
      'vault.auth.ldap.secretRef.name',
      'vault.auth.cert.vaultRole',
      'vault.auth.cert.clientCert.key',
      'vault.auth.iam',
      'vault.auth.gcp',
      'aws.service',
      'aws.region',
      'aws.role',
      'aws.additionalRoles[]',
      'aws.externalID',
      'aws.sessionTags[].value',
      'aws.transitiveTagKeys[]',
      'aws.prefix',
      'aws.secretsManager.recoveryWindowInDays',
      'aws.auth.secretRef.sessionTokenSecretRef.key',
      'aws.auth.jwt.serviceAccountRef.name',
      'azurekv.vaultUrl',
      'azurekv.tenantId',
      'azurekv.authType',
      'azurekv.environmentType',
      'azurekv.authSecretRef.clientCertificate.key',
      'azurekv.serviceAccountRef.name',
      'azurekv.identityId',
      'azurekv.customCloudConfig.activeDirectoryEndpoint',
      'gcpsm.projectID',
      'gcpsm.location',
      'gcpsm.secretVersionSelectionPolicy',
      'gcpsm.auth.secretRef.secretAccessKeySecretRef.key',
      'gcpsm.auth.workloadIdentity.clusterProjectID',
      'gcpsm.auth.workloadIdentityFederation',
      'kubernetes.server.url',
      'kubernetes.server.caProvider.key',
      'kubernetes.auth.cert.clientKey.key',
      'kubernetes.auth.token.bearerToken.key',
      'kubernetes.auth.serviceAccount.audiences[]',
      'kubernetes.authRef.key',
      'kubernetes.remoteNamespace',
      'fake.data[].version',
      'fake.validationResult',
    ];
    for (const path of paths) expect(() => at(schema, `spec.provider.${path}`)).not.toThrow();
    for (const path of [
      'vault.auth.iam.vaultRole',
      'vault.auth.iam.secretRef.sessionTokenSecretRef.key',
      'vault.auth.iam.jwt.serviceAccountRef.name',
      'vault.auth.gcp.workloadIdentity.clusterName',
      'vault.checkAndSet.required',
      'openBao.auth.userPass.username',
      'aws.customSessionTags{}',
    ])
      expect(at(schema, `spec.provider.${path}`)['x-kubernetes-preserve-unknown-fields']).toBeUndefined();
    for (const path of [
      'retrySettings.maxRetries',
      'retrySettings.retryInterval',
      'refreshInterval',
      'controller',
    ]) {
      expect(() => at(schema, `spec.${path}`)).not.toThrow();
    }
  });

  it('validates provider blocks with CEL where a mistake is certain', () => {
    const schema = schemaOf(ss);
    expect(rulesAt(schema, 'spec.provider.vault.auth')).toHaveLength(1);
    expect(rulesAt(schema, 'spec.provider.vault.auth.appRole')).toEqual([
      'has(self.roleId) || has(self.roleRef)',
    ]);
    expect(rulesAt(schema, 'spec.provider.vault.auth.jwt')).toHaveLength(1);
    expect(rulesAt(schema, 'spec.provider.vault.tls')).toHaveLength(1);
    expect(rulesAt(schema, 'spec.provider.kubernetes.auth')).toHaveLength(1);
    expect(rulesAt(schema, 'spec.provider.azurekv')).toHaveLength(1);
  });

  // The "exactly one method" rule counts only the methods in this list.
  it('list every Vault auth method in VAULT_AUTH_METHODS', () => {
    expect(propertyNames(schemaOf(ss), 'spec.provider.vault.auth')).toEqual(
      [...VAULT_AUTH_METHODS, 'namespace'].sort(),
    );
  });
});

describe('ClusterExternalSecret', () => {
  const crd = clusterExternalSecretCRD();
  const schema = schemaOf(crd);

  it('serves and stores only v1, keeps v1beta1 listed unserved (as ESO), cluster-scoped, structural', () => {
    expect(crd.spec.versions.map((v) => [v.name, v.served, v.storage])).toEqual([
      ['v1', true, true],
      ['v1beta1', false, false],
    ]);
    expect(crd.spec.scope).toBe('Cluster');
    expect(crd.spec.names).toMatchObject({ kind: 'ClusterExternalSecret', shortNames: ['ces'] });
    expect(crd.spec.names.categories).toEqual(['external-secrets']);
    expect(structuralProblems(schema, 'ClusterExternalSecret')).toEqual([]);
    expect(structuralProblems(schemaOf(crd, 'v1beta1'), 'v1beta1')).toEqual([]);
    expect(crd.spec.versions[0]?.subresources).toEqual({ status: {} });
  });

  it('has ESO printer columns', () => {
    expect(crd.spec.versions[0]?.additionalPrinterColumns).toEqual([
      { name: 'Store', type: 'string', jsonPath: '.spec.externalSecretSpec.secretStoreRef.name' },
      { name: 'Refresh Interval', type: 'string', jsonPath: '.spec.refreshTime' },
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    ]);
  });

  it("declares ESO's fields and embeds the ExternalSecret spec written once", () => {
    expect(propertyNames(schema, 'spec')).toEqual([
      'externalSecretMetadata',
      'externalSecretName',
      'externalSecretSpec',
      'namespaceSelector',
      'namespaceSelectors',
      'namespaces',
      'refreshTime',
    ]);
    expect(at(schema, 'spec').required).toEqual(['externalSecretSpec']);
    expect(propertyNames(schema, 'spec.externalSecretMetadata')).toEqual(['annotations', 'labels']);
    expect(at(schema, 'spec.externalSecretSpec')).toEqual(at(schemaOf(externalSecretCRD()), 'spec'));
    expect(propertyNames(schema, 'spec.namespaceSelectors[]')).toEqual(['matchExpressions', 'matchLabels']);
    expect(propertyNames(schema, 'status')).toEqual([
      'conditions',
      'externalSecretName',
      'failedNamespaces',
      'provisionedNamespaces',
    ]);
    expect(propertyNames(schema, 'status.failedNamespaces[]')).toEqual(['namespace', 'reason']);
    expect(at(schema, 'status')['x-kubernetes-preserve-unknown-fields']).toBe(true);
  });
});

describe('generators.external-secrets.io_vaultdynamicsecrets', () => {
  const crd = vaultDynamicSecretCRD();
  it('serves and stores only v1alpha1 (as ESO), namespaced, structural', () => {
    expect(crd.spec.group).toBe('generators.external-secrets.io');
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crd.spec.versions.map((v) => [v.name, v.served, v.storage])).toEqual([['v1alpha1', true, true]]);
    const schema = schemaOf(crd, 'v1alpha1');
    expect(structuralProblems(schema, 'VaultDynamicSecret')).toEqual([]);
    expect(at(schema, 'spec.parameters')['x-kubernetes-preserve-unknown-fields']).toBe(true);
    // The provider block is the store's provider.vault schema, rules included.
    expect(at(schema, 'spec.provider')).toEqual(at(schemaOf(secretStoreCRD()), 'spec.provider.vault'));
  });
});

// The types the code reads are inferred from these schemas (src/api/schema.ts), so a field
// cannot exist in one and not the other. What can still drift is what the builder takes on
// trust: a narrowed type (str<T>()), `always`, the kind wrappers written by hand (ExternalSecret,
// SecretStore, VaultDynamicSecret) and the CEL rules, which name fields in strings. The samples
// are typed as the API types (tsc), and here they meet the schema itself.
describe('schema, inferred types and samples agree', () => {
  // JSON Schema as the apiserver applies the structural schema, minus CEL: it prunes fields the
  // schema does not declare, which a validator would let through, so they are refused here.
  function strict(node: Schema): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (node['x-kubernetes-int-or-string']) out.anyOf = [{ type: 'integer' }, { type: 'string' }];
    if (node.type) out.type = node.nullable ? [node.type, 'null'] : node.type;
    for (const key of [
      'format',
      'enum',
      'pattern',
      'minLength',
      'maxLength',
      'minimum',
      'maximum',
    ] as const) {
      if (node[key] !== undefined) out[key] = node[key];
    }
    for (const key of ['minItems', 'maxItems', 'required'] as const) {
      if (node[key] !== undefined) out[key] = node[key];
    }
    if (node.items) out.items = strict(node.items);
    if (node.properties) {
      out.properties = Object.fromEntries(Object.entries(node.properties).map(([k, v]) => [k, strict(v)]));
      if (!node['x-kubernetes-preserve-unknown-fields']) out.additionalProperties = false;
    }
    if (node.additionalProperties) out.additionalProperties = strict(node.additionalProperties);
    return out;
  }

  // The apiserver checks `format: byte` (base64); the validator does not know it.
  Format.Set('byte', (v) => v.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(v));

  const byKind = new Map(
    [...crds, ...generatorCRDs()].map((crd) => [`${crd.spec.group}/${crd.spec.names.kind}`, crd]),
  );

  function problems(object: SampleObject): string[] {
    const [group = '', version = ''] = (object.apiVersion ?? '').split('/');
    const crd = byKind.get(`${group}/${object.kind ?? ''}`);
    if (!crd) return [`no CRD for ${object.apiVersion} ${object.kind}`];
    const [, errors] = JsonSchema.Errors(strict(schemaOf(crd, version)), object);
    return errors.map((e) => `${e.instancePath || '/'}: ${e.message}`);
  }

  it.each(VALID.map((s) => [s.name, s.object] as const))('%s is valid by the schema', (_name, object) => {
    expect(problems(object)).toEqual([]);
  });

  it.each(INVALID.filter((s) => s.bySchema).map((s) => [s.name, s.object] as const))(
    '%s is rejected by the schema itself',
    (_name, object) => {
      expect(problems(object)).not.toEqual([]);
    },
  );

  // Otherwise a sample said to fail a CEL rule might fail for another reason, e.g. a misspelt
  // field, and the rule would go untested.
  it.each(INVALID.filter((s) => !s.bySchema).map((s) => [s.name, s.object] as const))(
    '%s passes the schema, so only its CEL rule can reject it',
    (_name, object) => {
      expect(problems(object)).toEqual([]);
    },
  );

  // A field renamed in the schema but not in a rule would make the apiserver refuse the CRD.
  it('has CEL rules that name only fields of the node they sit on', () => {
    function unknownFields(node: Schema, path: string, out: string[] = []): string[] {
      for (const { rule } of node['x-kubernetes-validations'] ?? []) {
        // `self.a.b`, stopping before a method call such as `self.x.lowerAscii()`.
        for (const m of rule.matchAll(/\bself((?:\.[A-Za-z_][A-Za-z0-9_]*)+)(\()?/g)) {
          const parts = (m[1] ?? '').slice(1).split('.');
          if (m[2]) parts.pop();
          let at: Schema | undefined = node;
          for (const part of parts) {
            at = at?.properties?.[part];
            if (!at) {
              out.push(`${path}: ${rule}: no field ${part}`);
              break;
            }
          }
        }
      }
      for (const [name, child] of Object.entries(node.properties ?? {}))
        unknownFields(child, `${path}.${name}`, out);
      if (node.items) unknownFields(node.items, `${path}[]`, out);
      if (node.additionalProperties) unknownFields(node.additionalProperties, `${path}{}`, out);
      return out;
    }
    for (const crd of [...crds, ...generatorCRDs()]) {
      expect(unknownFields(schemaOf(crd, crd.spec.versions[0]?.name), crd.spec.names.kind)).toEqual([]);
    }
  });
});

describe('samples (also applied to a real apiserver)', () => {
  function messages(node: Schema, out: string[] = []): string[] {
    for (const r of node['x-kubernetes-validations'] ?? []) out.push(r.message);
    for (const child of Object.values(node.properties ?? {})) messages(child, out);
    if (node.items) messages(node.items, out);
    if (node.additionalProperties) messages(node.additionalProperties, out);
    return out;
  }
  const all = crds.flatMap((crd) => messages(schemaOf(crd)));

  it.each(INVALID.filter((s) => !s.bySchema).map((s) => [s.name, s.rejectedWith ?? ''] as const))(
    '%s is rejected by a CEL rule with its message',
    (_name, expected) => {
      expect(all.some((m) => m.includes(expected))).toBe(true);
    },
  );

  it('has unique names and only valid samples without an expected error', () => {
    const names = [...VALID, ...INVALID].map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    expect(VALID.every((s) => s.rejectedWith === undefined)).toBe(true);
    expect(INVALID.every((s) => typeof s.rejectedWith === 'string')).toBe(true);
  });

  it('rejects every CEL rule at least once', () => {
    const covered = all.filter((m) => INVALID.some((s) => s.rejectedWith && m.includes(s.rejectedWith)));
    expect(all.filter((m) => !covered.includes(m))).toEqual([]);
  });
});
