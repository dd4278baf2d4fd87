// The PushSecret and ClusterPushSecret kinds (external-secrets.io/v1alpha1): a Kubernetes Secret
// (or a generator's output) written into one or more stores. ESO 2.9's field names and enums;
// the template, rewrite and generator reference are the ExternalSecret's schemas, written once.

import { MAX_REF_LENGTH, conditions, labelSelector, objectName } from './common.js';
import {
  SECRET_TEMPLATE_TARGETS,
  STORE_KINDS,
  generatorLease,
  generatorRef,
  keyRewrite,
  targetTemplate,
} from './externalsecret.js';
import { anyJson, arr, enumStr, map, obj, rule, str } from './schema.js';
import type { Static } from './schema.js';

export const PUSH_CONVERSION_STRATEGIES = ['None', 'ReverseUnicode'] as const;

function pushStoreRef(desc: string) {
  return obj(
    {
      name: objectName('A store by name.'),
      labelSelector: labelSelector('Every store of the kind whose labels match.'),
      kind: enumStr(STORE_KINDS, { desc: 'SecretStore (default) or ClusterSecretStore.' }),
    },
    { desc },
  );
}

export type PushSecretStoreRef = Static<ReturnType<typeof pushStoreRef>>;

function pushRemoteRef() {
  return obj(
    {
      remoteKey: str({ desc: 'Name of the secret in the provider.', maxLength: MAX_REF_LENGTH }),
      property: str({
        desc: 'A property of the remote JSON secret to set; the others are kept.',
        maxLength: MAX_REF_LENGTH,
      }),
    },
    { required: ['remoteKey'], rules: [rule('size(self.remoteKey) > 0', 'remoteKey must not be empty')] },
  );
}

export type PushSecretRemoteRef = Static<ReturnType<typeof pushRemoteRef>>;

function metadata() {
  return anyJson({
    desc: "Provider-specific options of the remote secret (each provider's docs describe its shape).",
  });
}

function conversionStrategy() {
  return enumStr(PUSH_CONVERSION_STRATEGIES, {
    desc: 'ReverseUnicode turns _UXXXX_ in Secret keys back into the character. Defaults to None.',
  });
}

function pushData() {
  return obj(
    {
      match: obj(
        {
          secretKey: str({
            desc: 'The Secret key to push; unset pushes the whole Secret as one JSON object.',
            maxLength: 253,
          }),
          remoteRef: pushRemoteRef(),
        },
        { required: ['remoteRef'] },
      ),
      metadata: metadata(),
      conversionStrategy: conversionStrategy(),
    },
    { required: ['match'] },
  );
}

export type PushSecretData = Static<ReturnType<typeof pushData>>;
export type PushConversionStrategy = (typeof PUSH_CONVERSION_STRATEGIES)[number];

function pushDataTo() {
  return obj(
    {
      storeRef: pushStoreRef('The store(s) of secretStoreRefs these keys go to.'),
      remoteKey: str({
        desc: 'Bundles every matched key into this one remote secret (a JSON object); unset pushes each key as its own secret.',
        maxLength: MAX_REF_LENGTH,
      }),
      match: obj(
        {
          regexp: str({
            desc: 'Keys matching this regular expression; unset: all.',
            maxLength: MAX_REF_LENGTH,
          }),
        },
        { desc: 'Which Secret keys to push.' },
      ),
      rewrite: arr(keyRewrite(), { desc: 'Rewrites each key into its remote key, in order.' }),
      metadata: metadata(),
      conversionStrategy: conversionStrategy(),
    },
    {
      rules: [
        rule(
          'has(self.storeRef) && (has(self.storeRef.name) || has(self.storeRef.labelSelector))',
          'storeRef must specify either name or labelSelector',
        ),
        rule(
          '!has(self.remoteKey) || !has(self.rewrite) || size(self.rewrite) == 0',
          'remoteKey and rewrite are mutually exclusive: rewrite is only supported in per-key mode (without remoteKey)',
        ),
      ],
    },
  );
}

export type PushSecretDataTo = Static<ReturnType<typeof pushDataTo>>;

function selector() {
  return obj(
    {
      secret: obj(
        {
          name: objectName('A Secret of the PushSecret namespace.'),
          selector: labelSelector('Every Secret of the namespace whose labels match.'),
        },
        { desc: 'The source Secret.' },
      ),
      generatorRef: generatorRef(),
    },
    {
      desc: 'Where the values come from: exactly one of secret or generatorRef.',
      rules: [
        rule(
          '(has(self.secret) ? 1 : 0) + (has(self.generatorRef) ? 1 : 0) == 1',
          'selector must set exactly one of secret or generatorRef',
        ),
      ],
    },
  );
}

export type PushSecretSelector = Static<ReturnType<typeof selector>>;

export function pushSecretSpec() {
  return obj(
    {
      refreshInterval: str({
        desc: 'Go duration between pushes (e.g. 1h); 0 pushes once per spec change. Defaults to 1h. An invalid value is reported in status.',
      }),
      secretStoreRefs: arr(pushStoreRef('A store to push to.'), { desc: 'The stores to push to.' }),
      updatePolicy: enumStr(['Replace', 'IfNotExists'], {
        desc: 'Replace (default) overwrites a remote secret this operator owns; IfNotExists writes only secrets that do not exist.',
      }),
      deletionPolicy: enumStr(['Delete', 'None'], {
        desc: 'Delete removes the remote secrets this operator owns when they are no longer pushed; None (default) leaves them.',
      }),
      selector: selector(),
      data: arr(pushData(), { desc: 'Secret keys and where each goes.' }),
      dataTo: arr(pushDataTo(), { desc: 'Many keys at once, by match and rewrite.' }),
      template: targetTemplate(),
    },
    {
      required: ['secretStoreRefs', 'selector'],
      // The template renders a Secret: a path target (ExternalSecret's target.manifest) would
      // reach privileged fields, as ESO says of Secrets.
      rules: [
        rule(
          `!has(self.template) || !has(self.template.templateFrom) || self.template.templateFrom.all(t, !has(t.target) || t.target.lowerAscii() in ${SECRET_TEMPLATE_TARGETS})`,
          'templateFrom target must be Data, Annotations or Labels',
        ),
      ],
    },
  );
}

export type PushSecretSpec = Static<ReturnType<typeof pushSecretSpec>>;
export type UpdatePolicy = NonNullable<PushSecretSpec['updatePolicy']>;
export type PushDeletionPolicy = NonNullable<PushSecretSpec['deletionPolicy']>;

export function pushSecretStatus() {
  return obj(
    {
      refreshTime: str({ format: 'date-time', nullable: true, desc: 'When the values were last pushed.' }),
      syncedResourceVersion: str({ desc: 'Generation and metadata hash of the last pushed spec.' }),
      syncedPushSecrets: map(map(pushData()), {
        desc: 'What was pushed where: store ("Kind/name") → remote key ("key" or "key/property") → the data entry.',
      }),
      conditions: conditions(),
      generatorLeases: arr(generatorLease(), {
        desc: 'Syncret: leases behind the generated values last pushed (never the values); the replaced ones are revoked once the new ones are pushed, the last ones on deletion.',
      }),
    },
    { preserveUnknown: true },
  );
}

export type PushSecretStatus = Static<ReturnType<typeof pushSecretStatus>>;
export type SyncedPushSecrets = NonNullable<PushSecretStatus['syncedPushSecrets']>;

// ---- ClusterPushSecret ----

export function clusterPushSecretSpec() {
  return obj(
    {
      pushSecretSpec: pushSecretSpec(),
      refreshTime: str({
        desc: 'Go duration between re-checks of the namespaces and the created PushSecrets. Defaults to 1h; 0 re-checks only on changes.',
      }),
      pushSecretName: objectName(
        'Name of the PushSecret created in each namespace. Defaults to the ClusterPushSecret name.',
      ),
      pushSecretMetadata: obj(
        { annotations: map(str()), labels: map(str()) },
        { desc: 'Labels and annotations of the created PushSecrets (exactly these; others are removed).' },
      ),
      namespaceSelectors: arr(labelSelector(), {
        desc: 'Namespaces whose labels match any of these selectors.',
      }),
    },
    { required: ['pushSecretSpec'] },
  );
}

export type ClusterPushSecretSpec = Static<ReturnType<typeof clusterPushSecretSpec>>;

export function clusterPushSecretStatus() {
  return obj(
    {
      pushSecretName: str({ desc: 'Name of the PushSecrets this ClusterPushSecret created.' }),
      provisionedNamespaces: arr(str(), { desc: 'Namespaces that hold its PushSecret, sorted.' }),
      failedNamespaces: arr(
        obj(
          { namespace: str(), reason: str({ desc: 'Why the PushSecret could not be written there.' }) },
          { required: ['namespace'], always: ['namespace'] },
        ),
        { desc: 'Namespaces where the PushSecret could not be written, sorted.' },
      ),
      conditions: conditions(),
    },
    { preserveUnknown: true },
  );
}

export type ClusterPushSecretStatus = Static<ReturnType<typeof clusterPushSecretStatus>>;
