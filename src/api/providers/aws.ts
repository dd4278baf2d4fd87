// provider.aws: AWS Secrets Manager and Systems Manager Parameter Store, with ESO's field
// names. The provider itself is in src/providers/aws/.

import { secretKeySelector, serviceAccountSelector } from '../common.js';
import { arr, bool, enumStr, int, map, obj, rule, str } from '../schema.js';
import type { Static } from '../schema.js';

export function aws() {
  return obj(
    {
      service: enumStr(['SecretsManager', 'ParameterStore', 'CertificateManager']),
      region: str(),
      role: str({ desc: 'ARN of a role to assume (last in the chain, with externalID and sessionTags).' }),
      additionalRoles: arr(str(), { desc: 'Role ARNs assumed in order before role (chained).' }),
      externalID: str({ desc: 'External ID for assuming role.' }),
      sessionTags: arr(obj({ key: str(), value: str() }, { required: ['key', 'value'] })),
      // ESO 2.9 defaults this to None, so manifests exported from an ESO cluster carry it.
      sessionTagsPolicy: enumStr(['None', 'Simple', 'Custom'], {
        desc: 'None (default): sessionTags as written; Simple: the tags esoNamespace, esoStoreName and esoStoreKind instead; Custom: those plus customSessionTags.',
      }),
      customSessionTags: map(str(), {
        desc: 'Session tags added with sessionTagsPolicy Custom.',
        rules: [
          rule(
            "!('esoNamespace' in self) && !('esoStoreName' in self) && !('esoStoreKind' in self)",
            'customSessionTags must not set esoNamespace, esoStoreName or esoStoreKind: Syncret sets them',
          ),
        ],
      }),
      transitiveTagKeys: arr(str()),
      prefix: str({ desc: 'Prepended to every remote key.' }),
      secretsManager: obj(
        {
          forceDeleteWithoutRecovery: bool(),
          recoveryWindowInDays: int({ format: 'int64' }),
        },
        { desc: 'Used only when pushing secrets.' },
      ),
      auth: obj(
        {
          secretRef: obj({
            accessKeyIDSecretRef: secretKeySelector(),
            secretAccessKeySecretRef: secretKeySelector(),
            sessionTokenSecretRef: secretKeySelector(),
          }),
          jwt: obj(
            {
              serviceAccountRef: serviceAccountSelector(
                'Its eks.amazonaws.com/role-arn annotation names the role (IRSA).',
              ),
            },
            { desc: 'Web identity from a ServiceAccount token.' },
          ),
        },
        { desc: 'Static keys or a ServiceAccount; without it the default credential chain is used.' },
      ),
    },
    { desc: 'AWS Secrets Manager or Parameter Store.', required: ['service', 'region'] },
  );
}

export type AwsProvider = Static<ReturnType<typeof aws>>;
export type AwsService = NonNullable<AwsProvider['service']>;
export type AwsSessionTag = NonNullable<AwsProvider['sessionTags']>[number];
export type AwsAuth = NonNullable<AwsProvider['auth']>;
