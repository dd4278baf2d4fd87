// The ClusterExternalSecret kind: an ExternalSecret template stamped into every namespace a
// selector or a name list picks. ESO's field names; the ExternalSecret spec inside is the one
// of ./externalsecret.ts, written once.

import { conditions, labelSelector, namespaceName, objectName } from './common.js';
import { externalSecretSpec } from './externalsecret.js';
import { arr, map, obj, str } from './schema.js';
import type { Static } from './schema.js';

export function clusterExternalSecretSpec() {
  return obj(
    {
      externalSecretSpec: externalSecretSpec(),
      externalSecretName: objectName(
        'Name of the ExternalSecret created in each namespace. Defaults to the ClusterExternalSecret name.',
      ),
      externalSecretMetadata: obj(
        {
          annotations: map(str()),
          labels: map(str()),
        },
        {
          desc: 'Labels and annotations of the created ExternalSecrets (exactly these; others are removed).',
        },
      ),
      namespaceSelector: labelSelector('Deprecated: use namespaceSelectors.'),
      namespaceSelectors: arr(labelSelector(), {
        desc: 'Namespaces whose labels match any of these selectors.',
      }),
      namespaces: arr(namespaceName(), {
        desc: 'Namespaces by name, in addition to those the selectors pick. Deprecated: use namespaceSelectors.',
      }),
      refreshTime: str({
        desc: 'Go duration between re-checks of the namespaces and the created ExternalSecrets (e.g. 1h). Defaults to 1h; 0 re-checks only on changes. An invalid value is reported in status.',
      }),
    },
    { required: ['externalSecretSpec'] },
  );
}

export type ClusterExternalSecretSpec = Static<ReturnType<typeof clusterExternalSecretSpec>>;
export type ExternalSecretMetadata = NonNullable<ClusterExternalSecretSpec['externalSecretMetadata']>;

export function clusterExternalSecretStatus() {
  return obj(
    {
      externalSecretName: str({ desc: 'Name of the ExternalSecrets this ClusterExternalSecret created.' }),
      provisionedNamespaces: arr(str(), {
        desc: 'Namespaces that hold an ExternalSecret of this ClusterExternalSecret, sorted.',
      }),
      failedNamespaces: arr(
        obj(
          {
            namespace: str(),
            reason: str({ desc: 'Why the ExternalSecret could not be written there.' }),
          },
          { required: ['namespace'], always: ['namespace'] },
        ),
        { desc: 'Namespaces where the ExternalSecret could not be written, sorted.' },
      ),
      conditions: conditions(),
    },
    // As for ExternalSecret: what a newer operator writes survives a downgrade.
    { preserveUnknown: true },
  );
}

export type ClusterExternalSecretStatus = Static<ReturnType<typeof clusterExternalSecretStatus>>;
export type NamespaceFailure = NonNullable<ClusterExternalSecretStatus['failedNamespaces']>[number];
