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

/** A service account JSON key in a Secret (also Vault's gcp login). */
export function gcpSecretRefAuth() {
  return obj({
    secretAccessKeySecretRef: secretKeySelector('A Secret key holding a service account JSON key.'),
  });
}

/** GKE Workload Identity (also Vault's gcp login). */
export function gcpWorkloadIdentity() {
  return obj(
    {
      serviceAccountRef: serviceAccountSelector(),
      clusterLocation: str(),
      clusterName: str(),
      clusterProjectID: str(),
    },
    { desc: 'GKE Workload Identity.', required: ['serviceAccountRef'] },
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
          secretRef: gcpSecretRefAuth(),
          workloadIdentity: gcpWorkloadIdentity(),
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
