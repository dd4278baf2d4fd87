// provider.gcpsm: Google Cloud Secret Manager, with ESO's field names. The provider itself is
// in src/providers/gcpsm/.

import {
  namespaceName,
  objectName,
  secretDataKey,
  secretKeySelector,
  serviceAccountSelector,
} from '../common.js';
import { enumStr, obj, str } from '../schema.js';
import type { Static } from '../schema.js';

export function workloadIdentityFederation() {
  return obj(
    {
      credConfig: obj(
        { name: objectName(), namespace: namespaceName(), key: secretDataKey() },
        {
          desc: 'A ConfigMap key holding an external account credential configuration (JSON).',
          required: ['name', 'key'],
        },
      ),
      serviceAccountRef: serviceAccountSelector('A ServiceAccount whose token is exchanged.'),
      awsSecurityCredentials: obj(
        {
          region: str({ minLength: 1, maxLength: 50, pattern: '^[a-z0-9-]+$' }),
          awsCredentialsSecretRef: obj(
            { name: objectName(), namespace: namespaceName() },
            { required: ['name'] },
          ),
        },
        { required: ['region', 'awsCredentialsSecretRef'] },
      ),
      audience: str({ desc: 'The STS audience (workload identity pool provider).' }),
      externalTokenEndpoint: str(),
      gcpServiceAccountEmail: str({ minLength: 1, pattern: '^.*@.*\\.iam\\.gserviceaccount\\.com$' }),
    },
    { desc: 'Workload Identity Federation.' },
  );
}

export function gcpsm() {
  return obj(
    {
      projectID: str(),
      location: str({ desc: 'Region of regional secrets; empty for global secrets.' }),
      secretVersionSelectionPolicy: enumStr(['LatestOrFail', 'LatestOrFetch'], {
        desc: 'Defaults to LatestOrFail.',
      }),
      auth: obj(
        {
          secretRef: obj({
            secretAccessKeySecretRef: secretKeySelector('A Secret key holding a service account JSON key.'),
          }),
          workloadIdentity: obj(
            {
              serviceAccountRef: serviceAccountSelector(),
              clusterLocation: str(),
              clusterName: str(),
              clusterProjectID: str(),
            },
            { desc: 'GKE Workload Identity.', required: ['serviceAccountRef'] },
          ),
          workloadIdentityFederation: workloadIdentityFederation(),
        },
        { desc: 'Without it, application default credentials are used.' },
      ),
    },
    { desc: 'Google Cloud Secret Manager.' },
  );
}

export type GcpsmProvider = Static<ReturnType<typeof gcpsm>>;
export type SecretVersionSelectionPolicy = NonNullable<GcpsmProvider['secretVersionSelectionPolicy']>;
export type GcpsmSecretRefAuth = NonNullable<NonNullable<GcpsmProvider['auth']>['secretRef']>;
export type GcpsmWorkloadIdentity = NonNullable<NonNullable<GcpsmProvider['auth']>['workloadIdentity']>;
export type GcpsmWorkloadIdentityFederation = Static<ReturnType<typeof workloadIdentityFederation>>;
