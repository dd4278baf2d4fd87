// The SecretStore and ClusterSecretStore schema. Both kinds share it, except `conditions`,
// which only a ClusterSecretStore may set.

import { conditions, labelSelector, namespaceName } from './common.js';
import { PROVIDERS } from './providers/index.js';
import { arr, exactlyOne, int, intOrStr, obj, opaque, rule, str } from './schema.js';
import type { CelRule, Schema } from './schema.js';

export type StoreScope = 'Namespaced' | 'Cluster';

export function providerSpec(): Schema {
  const names = Object.keys(PROVIDERS).sort();
  const properties: Record<string, Schema> = {};
  for (const name of names) {
    const build = PROVIDERS[name];
    if (build) properties[name] = build();
  }
  return obj(properties, {
    desc: 'The provider; exactly one key.',
    rules: [exactlyOne(names, `provider must set exactly one of ${names.join(', ')}`)],
  });
}

function clusterConditions(): Schema {
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

export function storeSpec(scope: StoreScope): Schema {
  const properties: Record<string, Schema> = {
    controller: str({ desc: 'Controller class; a Syncret instance handles only stores of its class.' }),
    provider: providerSpec(),
    retrySettings: obj({ maxRetries: int({ format: 'int32' }), retryInterval: str() }),
    refreshInterval: intOrStr({
      desc: 'How often the store is re-validated: seconds, or a Go duration such as 5m. 0 or unset: the operator default.',
    }),
  };
  const rules: CelRule[] = [];
  if (scope === 'Cluster') {
    properties.conditions = clusterConditions();
  } else {
    // Declared only so the rule below can name it: ESO ignores it on a SecretStore, and an
    // explicit error is clearer than a silently pruned field that looks like it restricts access.
    properties.conditions = arr(opaque());
    rules.push(
      rule(
        '!has(self.conditions)',
        'conditions are only supported on a ClusterSecretStore; a SecretStore serves only its own namespace',
      ),
    );
  }
  return obj(properties, { required: ['provider'], rules });
}

export function storeStatus(): Schema {
  return obj(
    {
      conditions: conditions(),
      capabilities: str({ desc: 'ReadOnly, WriteOnly or ReadWrite.' }),
      observedGeneration: int({ format: 'int64', minimum: 0 }),
    },
    // Unknown fields are kept so a newer operator's status is never pruned by older CRDs.
    { preserveUnknown: true },
  );
}
