// The SecretStore and ClusterSecretStore kinds. Both share one spec, except `conditions`,
// which only a ClusterSecretStore may set.

import { conditions, labelSelector, namespaceName } from './common.js';
import { PROVIDERS } from './providers/index.js';
import type { ProviderName } from './providers/index.js';
import { arr, exactlyOne, int, intOrStr, obj, opaque, rule, str } from './schema.js';
import type { CelRule, Static, Typed } from './schema.js';

export type StoreScope = 'Namespaced' | 'Cluster';

type ProviderSchemas = { [K in ProviderName]: ReturnType<(typeof PROVIDERS)[K]> };

export function providerSpec() {
  const names = (Object.keys(PROVIDERS) as ProviderName[]).sort();
  // Built from the registry so that a new provider needs no edit here; the cast restates
  // what the loop builds, one property per registered provider.
  const properties = Object.fromEntries(names.map((name) => [name, PROVIDERS[name]()])) as ProviderSchemas;
  return obj(properties, {
    desc: 'The provider; exactly one key.',
    rules: [exactlyOne(names, `provider must set exactly one of ${names.join(', ')}`)],
  });
}

export type ProviderSpec = Static<ReturnType<typeof providerSpec>>;

function clusterConditions() {
  return arr(
    obj({
      namespaceSelector: labelSelector('Namespaces whose labels match.'),
      namespaces: arr(namespaceName(), { desc: 'Namespaces by name.' }),
      namespaceRegexes: arr(str(), {
        desc: 'Namespaces whose name matches one of these regular expressions.',
      }),
    }),
    {
      desc: 'Namespaces whose ExternalSecrets may use this store; an ExternalSecret may use it if its namespace matches any entry. Unset: every namespace.',
    },
  );
}

export type ClusterSecretStoreCondition = Static<ReturnType<typeof clusterConditions>>[number];

function spec<C extends Typed<unknown>>(conditionsSchema: C, rules: CelRule[]) {
  return obj(
    {
      controller: str({ desc: 'Controller class; a Syncret instance handles only stores of its class.' }),
      provider: providerSpec(),
      retrySettings: obj({ maxRetries: int({ format: 'int32' }), retryInterval: str() }),
      refreshInterval: intOrStr({
        desc: 'How often the store is re-validated: seconds, or a Go duration such as 5m. 0 or unset: the operator default.',
      }),
      conditions: conditionsSchema,
    },
    { required: ['provider'], rules },
  );
}

function clusterStoreSpec() {
  return spec(clusterConditions(), []);
}

function namespacedStoreSpec() {
  // `conditions` is declared only so the rule can name it: ESO ignores it on a SecretStore, and
  // an explicit error is clearer than a silently pruned field that looks like it restricts access.
  return spec(arr(opaque()), [
    rule(
      '!has(self.conditions)',
      'conditions are only supported on a ClusterSecretStore; a SecretStore serves only its own namespace',
    ),
  ]);
}

export function storeSpec(scope: StoreScope) {
  return scope === 'Cluster' ? clusterStoreSpec() : namespacedStoreSpec();
}

/** The spec of both kinds as the code reads it: a SecretStore's `conditions` is always rejected. */
export type SecretStoreSpec = Static<ReturnType<typeof clusterStoreSpec>>;

export function storeStatus() {
  return obj(
    {
      conditions: conditions(),
      // Only the operator writes it, with one of these values.
      capabilities: str<'ReadOnly' | 'WriteOnly' | 'ReadWrite'>({
        desc: 'ReadOnly, WriteOnly or ReadWrite.',
      }),
      observedGeneration: int({ format: 'int64', minimum: 0 }),
    },
    // Unknown fields are kept so a newer operator's status is never pruned by older CRDs.
    { preserveUnknown: true },
  );
}

export type SecretStoreStatus = Static<ReturnType<typeof storeStatus>>;
export type StoreCapabilities = NonNullable<SecretStoreStatus['capabilities']>;
