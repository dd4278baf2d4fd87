// The ExternalSecret kind (spec and status), with ESO's field names and enums: the schema
// written into the CRD, and the types the reconcilers read, inferred from it.

import {
  MAX_ANNOTATION_LENGTH,
  MAX_REF_LENGTH,
  MAX_TEMPLATE_LENGTH,
  MAX_VERSION_LENGTH,
  conditions,
  objectName,
  secretDataKey,
} from './common.js';
import { arr, atLeastOne, bool, enumStr, exactlyOne, int, map, obj, rule, str } from './schema.js';
import type { Static } from './schema.js';
import { WRAPPABLE_GENERATOR_KINDS } from './generators/kinds.js';
import type { WrappableGeneratorKind } from './generators/kinds.js';

export const STORE_KINDS = ['SecretStore', 'ClusterSecretStore'] as const;

// ESO's list (its order: ClusterGenerator third); the operator reports kinds it does not
// implement in status.
export const GENERATOR_KINDS: readonly (WrappableGeneratorKind | 'ClusterGenerator')[] = [
  ...WRAPPABLE_GENERATOR_KINDS.slice(0, 2),
  'ClusterGenerator',
  ...WRAPPABLE_GENERATOR_KINDS.slice(2),
];

const CONVERSION_STRATEGIES = ['Default', 'Unicode'] as const;
const DECODING_STRATEGIES = ['None', 'Base64', 'Base64URL', 'Auto'] as const;
const NULL_BYTE_POLICIES = ['Ignore', 'Fail'] as const;
export const CREATION_POLICIES = ['Owner', 'Orphan', 'Merge', 'None', 'CreateOrMerge'] as const;

export function storeRef(desc: string) {
  return obj(
    {
      name: objectName('Name of the SecretStore or ClusterSecretStore.'),
      kind: enumStr(STORE_KINDS, { desc: 'Defaults to SecretStore.' }),
    },
    { desc },
  );
}

export type StoreRef = Static<ReturnType<typeof storeRef>>;
export type StoreKind = (typeof STORE_KINDS)[number];

export function generatorRef() {
  return obj(
    {
      apiVersion: str({ desc: 'Defaults to generators.external-secrets.io/v1alpha1.' }),
      kind: enumStr(GENERATOR_KINDS),
      name: objectName(),
    },
    { desc: 'A generator resource that produces the values.', required: ['kind', 'name'] },
  );
}

export type GeneratorRef = Static<ReturnType<typeof generatorRef>>;
export type GeneratorKind = (typeof GENERATOR_KINDS)[number];

function sourceRef(desc: string) {
  return obj(
    { storeRef: storeRef('Reads this entry from another store.'), generatorRef: generatorRef() },
    {
      desc,
      rules: [
        exactlyOne(
          ['storeRef', 'generatorRef'],
          'sourceRef must set exactly one of storeRef or generatorRef',
        ),
      ],
    },
  );
}

export type SourceRef = Static<ReturnType<typeof sourceRef>>;

function remoteRef(desc: string) {
  return obj(
    {
      key: str({ desc: 'Key (name, path or ARN) of the secret in the provider.', maxLength: MAX_REF_LENGTH }),
      property: str({
        desc: 'A field of a structured value; dotted paths reach nested JSON.',
        maxLength: MAX_REF_LENGTH,
      }),
      version: str({ desc: 'A provider-specific version of the secret.', maxLength: MAX_VERSION_LENGTH }),
      metadataPolicy: enumStr(['None', 'Fetch'], {
        desc: 'Fetch reads metadata (tags, labels) instead of the value. Defaults to None.',
      }),
      conversionStrategy: enumStr(CONVERSION_STRATEGIES, { desc: 'Defaults to Default.' }),
      decodingStrategy: enumStr(DECODING_STRATEGIES, {
        desc: 'Decodes the value before it is stored. Defaults to None.',
      }),
      nullBytePolicy: enumStr(NULL_BYTE_POLICIES, {
        desc: 'Whether values containing NUL bytes fail the sync.',
      }),
    },
    { desc, required: ['key'], rules: [rule('size(self.key) > 0', 'key must not be empty')] },
  );
}

export type RemoteRef = Static<ReturnType<typeof remoteRef>>;
export type MetadataPolicy = NonNullable<RemoteRef['metadataPolicy']>;
export type ConversionStrategy = (typeof CONVERSION_STRATEGIES)[number];
export type DecodingStrategy = (typeof DECODING_STRATEGIES)[number];
export type NullBytePolicy = NonNullable<RemoteRef['nullBytePolicy']>;

function find() {
  return obj(
    {
      path: str({ desc: 'A root path to search under.', maxLength: MAX_REF_LENGTH }),
      name: obj({
        regexp: str({ desc: 'A regular expression the secret name must match.', maxLength: MAX_REF_LENGTH }),
      }),
      tags: map(str({ maxLength: MAX_REF_LENGTH }), { desc: 'Tags (labels) the secret must carry.' }),
      conversionStrategy: enumStr(CONVERSION_STRATEGIES, { desc: 'Defaults to Default.' }),
      decodingStrategy: enumStr(DECODING_STRATEGIES, { desc: 'Defaults to None.' }),
      nullBytePolicy: enumStr(NULL_BYTE_POLICIES, {
        desc: 'Whether values containing NUL bytes fail the sync.',
      }),
    },
    { desc: 'Finds secrets by name or tags; each match becomes a key.' },
  );
}

export type FindRef = Static<ReturnType<typeof find>>;
export type FindName = NonNullable<FindRef['name']>;

function rewriteMerge() {
  return obj(
    {
      into: str({
        desc: 'The key that receives the merged JSON object (strategy JSON only).',
        maxLength: MAX_REF_LENGTH,
      }),
      priority: arr(str({ maxLength: MAX_REF_LENGTH }), {
        desc: 'Keys merged last, in this order, so their fields win; the others are merged in key order.',
      }),
      priorityPolicy: enumStr(['IgnoreNotFound', 'Strict'], {
        desc: 'Strict (default): a priority key the entry lacks fails the sync; IgnoreNotFound skips it.',
      }),
      conflictPolicy: enumStr(['Ignore', 'Error'], {
        desc: 'Error (default): a field found in two values fails the sync; Ignore lets the later one win.',
      }),
      strategy: enumStr(['Extract', 'JSON'], {
        desc: 'Extract (default): the merged fields become the keys; JSON: the merged object is written to into, beside the original keys.',
      }),
    },
    { desc: 'Merges the JSON objects held by the values of this entry.' },
  );
}

export type RewriteMerge = Static<ReturnType<typeof rewriteMerge>>;

function rewriteRegexp() {
  return obj(
    {
      source: str({ desc: 'A regular expression matched against each key.', maxLength: MAX_REF_LENGTH }),
      target: str({ desc: 'The replacement; $1 refers to a capture group.', maxLength: MAX_REF_LENGTH }),
    },
    { required: ['source', 'target'] },
  );
}

function rewriteTransform() {
  return obj(
    {
      template: str({
        desc: 'A template applied to each key; .value is the key.',
        maxLength: MAX_REF_LENGTH,
      }),
    },
    { required: ['template'] },
  );
}

function rewrite() {
  return obj(
    {
      merge: rewriteMerge(),
      regexp: rewriteRegexp(),
      transform: rewriteTransform(),
    },
    {
      rules: [
        exactlyOne(
          ['merge', 'regexp', 'transform'],
          'each rewrite must set exactly one of merge, regexp or transform',
        ),
      ],
    },
  );
}

/** PushSecret dataTo[].rewrite: ESO's PushSecretRewrite renames keys only, so it has no merge. */
export function keyRewrite() {
  return obj(
    { regexp: rewriteRegexp(), transform: rewriteTransform() },
    {
      rules: [
        exactlyOne(['regexp', 'transform'], 'each rewrite must set exactly one of regexp or transform'),
      ],
    },
  );
}

export type Rewrite = Static<ReturnType<typeof rewrite>>;
export type RewriteRegexp = NonNullable<Rewrite['regexp']>;

function dataEntry() {
  return obj(
    {
      secretKey: secretDataKey('The key in the target Secret.'),
      remoteRef: remoteRef('The remote secret to read.'),
      sourceRef: sourceRef('Overrides the store for this entry.'),
    },
    { required: ['secretKey', 'remoteRef'] },
  );
}

export type ExternalSecretData = Static<ReturnType<typeof dataEntry>>;

function dataFromEntry() {
  return obj(
    {
      extract: remoteRef('Reads one remote JSON object; each top-level key becomes a Secret key.'),
      find: find(),
      sourceRef: sourceRef('A store for extract/find, or a generator.'),
      rewrite: arr(rewrite(), { desc: 'Rewrites the keys of this entry, applied in order.' }),
    },
    {
      rules: [
        atLeastOne(
          ['extract', 'find', 'sourceRef'],
          'each dataFrom entry must set extract, find or sourceRef',
        ),
        rule('!(has(self.extract) && has(self.find))', 'a dataFrom entry must not set both extract and find'),
        rule(
          '!(has(self.sourceRef) && has(self.sourceRef.generatorRef) && (has(self.extract) || has(self.find)))',
          'a dataFrom entry with sourceRef.generatorRef must not set extract or find',
        ),
      ],
    },
  );
}

export type ExternalSecretDataFrom = Static<ReturnType<typeof dataFromEntry>>;

function templateRef(desc: string) {
  return obj(
    {
      name: objectName(),
      items: arr(
        obj(
          {
            key: secretDataKey(),
            templateAs: enumStr(['Values', 'KeysAndValues'], { desc: 'Defaults to Values.' }),
          },
          { required: ['key'] },
        ),
      ),
    },
    { desc, required: ['name', 'items'] },
  );
}

export type TemplateRefItem = NonNullable<Static<ReturnType<typeof templateRef>>['items']>[number];

/** ESO's rule for a target that is a Secret: templateFrom writes only its data, labels and annotations. */
export const SECRET_TEMPLATE_TARGETS = "['data', 'annotations', 'labels']";

function templateFrom() {
  return obj({
    configMap: templateRef('Templates from keys of a ConfigMap in the same namespace.'),
    secret: templateRef('Templates from keys of a Secret in the same namespace.'),
    // ESO compares the target case-insensitively; the length bound keeps CEL's cost estimate low.
    target: str({
      desc: 'Data (default), Annotations or Labels; with target.manifest (not a Secret) also a path such as spec.config.',
      maxLength: 253,
    }),
    literal: str({ desc: 'An inline template.', maxLength: MAX_TEMPLATE_LENGTH }),
    valuesDecodingStrategy: enumStr(DECODING_STRATEGIES, {
      desc: 'Decodes each rendered value before it is written. Defaults to None.',
    }),
  });
}

export type TemplateFrom = Static<ReturnType<typeof templateFrom>>;

const SA_TOKEN = 'kubernetes.io/service-account-token';

export function targetTemplate() {
  return obj(
    {
      type: str({ desc: 'The type of the target Secret.' }),
      engineVersion: enumStr(['v2'], { desc: 'Defaults to v2.' }),
      mergePolicy: enumStr(['Replace', 'Merge'], { desc: 'Defaults to Replace.' }),
      metadata: obj({
        // Templates until rendered: the apiserver's bounds apply to what they render.
        labels: map(str({ maxLength: MAX_REF_LENGTH })),
        annotations: map(str({ maxLength: MAX_ANNOTATION_LENGTH })),
        finalizers: arr(str()),
      }),
      data: map(str({ maxLength: MAX_TEMPLATE_LENGTH }), { desc: 'Secret keys and their templates.' }),
      // The bound keeps the CEL cost estimate of the rules below (one lowerAscii per entry)
      // inside the apiserver's budget; real templates use a handful of entries.
      templateFrom: arr(templateFrom(), { maxItems: 100 }),
    },
    {
      desc: 'A blueprint for the target Secret.',
      // ESO rejects these so an ExternalSecret cannot mint tokens beyond its author's RBAC.
      rules: [
        rule(
          "!has(self.type) || self.type != 'bootstrap.kubernetes.io/token'",
          'template.type bootstrap.kubernetes.io/token is not allowed',
        ),
        rule(
          `!(has(self.type) && self.type == '${SA_TOKEN}' && has(self.metadata) && has(self.metadata.annotations) && 'kubernetes.io/service-account.name' in self.metadata.annotations)`,
          `template.type ${SA_TOKEN} with the annotation kubernetes.io/service-account.name is not allowed`,
        ),
        rule(
          `!(has(self.type) && self.type == '${SA_TOKEN}' && has(self.templateFrom) && self.templateFrom.exists(t, has(t.target) && t.target.lowerAscii() == 'annotations'))`,
          `template.type ${SA_TOKEN} with a templateFrom target Annotations is not allowed`,
        ),
      ],
    },
  );
}

export type TargetTemplate = Static<ReturnType<typeof targetTemplate>>;

function manifest() {
  return obj(
    {
      apiVersion: str({ desc: 'e.g. v1 for a ConfigMap, or group/version.', minLength: 1, maxLength: 253 }),
      kind: str({ desc: 'e.g. ConfigMap.', minLength: 1, maxLength: 63 }),
    },
    {
      desc: 'Writes another kind (a ConfigMap, a custom resource) instead of a Secret. Needs an operator started with --unsafe-allow-generic-targets and RBAC for that kind.',
      required: ['apiVersion', 'kind'],
    },
  );
}

export type TargetManifest = Static<ReturnType<typeof manifest>>;

function target() {
  return obj(
    {
      name: objectName('Name of the target Secret. Defaults to the ExternalSecret name.'),
      creationPolicy: enumStr(CREATION_POLICIES, {
        desc: 'Owner (default): the Secret is owned by the ExternalSecret; Orphan: not owned; Merge: only merge into an existing Secret; CreateOrMerge: create it if missing, else merge, never owned; None: do not write.',
      }),
      deletionPolicy: enumStr(['Retain', 'Delete', 'Merge'], {
        desc: 'What happens when the provider has no data: Retain (default) keeps the Secret, Delete deletes it, Merge removes the keys.',
      }),
      immutable: bool({ desc: 'Creates the Secret as immutable.' }),
      template: targetTemplate(),
      manifest: manifest(),
    },
    {
      desc: 'The Secret to write.',
      rules: [
        rule(
          "!(has(self.deletionPolicy) && self.deletionPolicy == 'Delete' && has(self.creationPolicy) && (self.creationPolicy == 'Merge' || self.creationPolicy == 'None' || self.creationPolicy == 'CreateOrMerge'))",
          'deletionPolicy Delete needs a Secret this ExternalSecret creates: use creationPolicy Owner or Orphan',
        ),
        // ESO: into a Secret, any other target would be a path to privileged fields (type,
        // ownerReferences); nested paths are for other kinds only.
        rule(
          `(has(self.manifest) && !(self.manifest.apiVersion == 'v1' && self.manifest.kind == 'Secret')) || !has(self.template) || !has(self.template.templateFrom) || self.template.templateFrom.all(t, !has(t.target) || t.target.lowerAscii() in ${SECRET_TEMPLATE_TARGETS})`,
          'templateFrom target must be Data, Annotations or Labels when the target is a Secret',
        ),
        rule(
          "!(has(self.deletionPolicy) && self.deletionPolicy == 'Merge' && has(self.creationPolicy) && self.creationPolicy == 'None')",
          'deletionPolicy Merge cannot be used with creationPolicy None: there is no Secret to merge into',
        ),
      ],
    },
  );
}

export type ExternalSecretTarget = Static<ReturnType<typeof target>>;

/** A cron schedule as ESO 2.9 accepts it: five fields, or a descriptor (@daily, @every 1h). */
const SYNC_WINDOW_SCHEDULE =
  '^(@(annually|yearly|monthly|weekly|daily|midnight|hourly)|@every \\S.*|\\S+( \\S+){4})$';

function syncWindows() {
  return obj(
    {
      kind: enumStr(['allow', 'deny'], {
        desc: 'allow: periodic refreshes only while a window is open; deny: none while one is open.',
      }),
      windows: arr(
        obj(
          {
            schedule: str({
              desc: 'Cron schedule in UTC (5 fields, or @daily, @every 1h, ...) at which each window opens.',
              minLength: 1,
              maxLength: 256,
              pattern: SYNC_WINDOW_SCHEDULE,
            }),
            duration: str({
              desc: 'How long each window stays open, a Go duration such as 8h.',
              maxLength: 64,
            }),
          },
          { required: ['schedule', 'duration'] },
        ),
        { minItems: 1, maxItems: 64 },
      ),
    },
    {
      desc: 'When periodic refreshes may run (refreshPolicy Periodic); changes and missing targets sync at any time.',
      required: ['kind', 'windows'],
    },
  );
}

export type SyncWindows = Static<ReturnType<typeof syncWindows>>;
export type SyncWindow = NonNullable<SyncWindows['windows']>[number];
export type CreationPolicy = NonNullable<ExternalSecretTarget['creationPolicy']>;
export type DeletionPolicy = NonNullable<ExternalSecretTarget['deletionPolicy']>;

export function externalSecretSpec() {
  return obj(
    {
      secretStoreRef: storeRef('The store to read from.'),
      refreshInterval: str({
        desc: 'Go duration between syncs (e.g. 1h, 15m, 30s); 0 syncs once. Defaults to 1h. An invalid value is reported in status.',
      }),
      refreshPolicy: enumStr(['CreatedOnce', 'Periodic', 'OnChange'], { desc: 'Defaults to Periodic.' }),
      syncWindows: syncWindows(),
      target: target(),
      data: arr(dataEntry(), { desc: 'Secret keys, each read from one remote secret.' }),
      dataFrom: arr(dataFromEntry(), {
        desc: 'Remote secrets whose keys are all copied; later entries win.',
      }),
    },
    {
      rules: [
        rule(
          '(has(self.data) && size(self.data) > 0) || (has(self.dataFrom) && size(self.dataFrom) > 0)',
          'at least one of spec.data or spec.dataFrom must be set',
        ),
      ],
    },
  );
}

export type ExternalSecretSpec = Static<ReturnType<typeof externalSecretSpec>>;
export type RefreshPolicy = NonNullable<ExternalSecretSpec['refreshPolicy']>;

/**
 * One generator result whose lifetime Syncret manages (renewal, rotation, revocation). No
 * values: only what identifies the lease and when to act on it. The operator writes every
 * field but renewTime (set once renewed), so the type declares them present; the schema
 * requires none.
 */
export function generatorLease() {
  return obj(
    {
      source: str({ desc: 'The dataFrom entry that produced it, e.g. dataFrom[0].' }),
      kind: str(),
      name: str(),
      leaseID: str({ desc: "Vault's lease_id; empty for results without a lease (PKI certificates)." }),
      leaseDuration: int({ format: 'int64', minimum: 0, desc: 'TTL granted at issue, in seconds.' }),
      renewable: bool(),
      issueTime: str({ format: 'date-time' }),
      renewTime: str({ format: 'date-time' }),
      expireTime: str({ format: 'date-time' }),
      revokeOnly: bool({
        desc: 'The values follow refreshInterval; the lease only names what to delete when they are replaced or the ExternalSecret goes (a GitLab deploy token, a Grafana token).',
      }),
    },
    {
      always: ['source', 'kind', 'name', 'leaseID', 'leaseDuration', 'renewable', 'issueTime', 'expireTime'],
    },
  );
}

export type GeneratorLease = Static<ReturnType<typeof generatorLease>>;

export function externalSecretStatus() {
  return obj(
    {
      conditions: conditions(),
      // ESO writes null for a zero time; objects migrated from ESO must stay valid.
      refreshTime: str({
        format: 'date-time',
        nullable: true,
        desc: 'When the target Secret was last synced.',
      }),
      syncedResourceVersion: str({ desc: 'Generation and metadata hash of the last synced spec.' }),
      observedGeneration: int({ format: 'int64', minimum: 0 }),
      binding: obj({ name: str() }, { desc: 'The target Secret (servicebinding.io).' }),
      generatorLeases: arr(generatorLease(), {
        desc: 'Syncret: leases behind the generated values in the target Secret (never the values). Renewed, rotated before expiry and revoked on deletion.',
      }),
      // Later status fields are declared here; preserveUnknown below keeps whatever a newer
      // operator writes.
    },
    { preserveUnknown: true },
  );
}

export type ExternalSecretStatus = Static<ReturnType<typeof externalSecretStatus>>;
