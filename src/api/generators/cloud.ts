// Cloud and registry token generators, with ESO's field names: ECRAuthorizationToken and
// STSSessionToken (AWS), ACRAccessToken (Azure), GCRAccessToken (Google) and
// BeyondtrustWorkloadCredentialsDynamicSecret. ESO gives generators their own auth types,
// separate from the stores' (genv1alpha1.AWSAuth, ...), so they are written here.

import { caBundle, caProvider, secretKeySelector, serviceAccountSelector } from '../common.js';
import { AZURE_ENVIRONMENTS } from '../providers/azurekv.js';
import { workloadIdentityFederation } from '../providers/gcpsm.js';
import { enumStr, int, obj, str } from '../schema.js';
import type { Static } from '../schema.js';

function awsAuth() {
  return obj(
    {
      secretRef: obj({
        accessKeyIDSecretRef: secretKeySelector(),
        secretAccessKeySecretRef: secretKeySelector(),
        sessionTokenSecretRef: secretKeySelector('Set when the keys are temporary credentials.'),
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
  );
}

export type GeneratorAwsAuth = Static<ReturnType<typeof awsAuth>>;

export function ecrAuthorizationTokenSpec() {
  return obj(
    {
      region: str(),
      auth: awsAuth(),
      role: str({ desc: 'ARN of a role to assume before calling ECR.' }),
      scope: str({ desc: 'private (default) or public (ECR Public).' }),
    },
    { required: ['region'] },
  );
}

export type ECRAuthorizationTokenSpec = Static<ReturnType<typeof ecrAuthorizationTokenSpec>>;

export function stsSessionTokenSpec() {
  return obj(
    {
      region: str(),
      auth: awsAuth(),
      role: str({ desc: 'ARN of a role to assume before calling STS.' }),
      requestParameters: obj({
        sessionDuration: int({ format: 'int32', desc: 'Seconds the credentials last (900 to 129600).' }),
        serialNumber: str({ desc: 'The MFA device of the IAM user, when MFA is required.' }),
        tokenCode: str({ desc: 'The code of that MFA device.' }),
      }),
    },
    { required: ['region'] },
  );
}

export type STSSessionTokenSpec = Static<ReturnType<typeof stsSessionTokenSpec>>;

export function acrAccessTokenSpec() {
  return obj(
    {
      auth: obj({
        servicePrincipal: obj(
          { secretRef: obj({ clientId: secretKeySelector(), clientSecret: secretKeySelector() }) },
          { required: ['secretRef'] },
        ),
        managedIdentity: obj({ identityId: str() }),
        workloadIdentity: obj({ serviceAccountRef: serviceAccountSelector() }),
      }),
      tenantId: str(),
      registry: str({ desc: 'The registry host, e.g. example.azurecr.io.' }),
      scope: str({ desc: 'A repository scope for an access token; without it a refresh token is issued.' }),
      environmentType: enumStr(AZURE_ENVIRONMENTS, { desc: 'Defaults to PublicCloud.' }),
    },
    { required: ['auth', 'registry'] },
  );
}

export type ACRAccessTokenSpec = Static<ReturnType<typeof acrAccessTokenSpec>>;

export function gcrAccessTokenSpec() {
  return obj(
    {
      auth: obj({
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
          { required: ['serviceAccountRef', 'clusterLocation', 'clusterName'] },
        ),
        workloadIdentityFederation: workloadIdentityFederation(),
      }),
      projectID: str(),
    },
    { required: ['auth', 'projectID'] },
  );
}

export function beyondtrustWorkloadCredentialsSpec() {
  return obj(
    {
      controller: str({ desc: 'Controller class; a Syncret instance uses only generators of its class.' }),
      provider: obj(
        {
          auth: obj(
            { apikey: obj({ token: secretKeySelector() }, { required: ['token'] }) },
            { required: ['apikey'] },
          ),
          server: obj({ apiUrl: str(), siteId: str() }, { required: ['apiUrl', 'siteId'] }),
          folderPath: str({ desc: 'Path of the dynamic secret definition, e.g. production/database.' }),
          caBundle: caBundle(),
          caProvider: caProvider(),
        },
        { required: ['auth', 'server'] },
      ),
      retrySettings: obj({ maxRetries: int({ format: 'int32' }), retryInterval: str() }),
    },
    { required: ['provider'] },
  );
}

export type BeyondtrustWorkloadCredentialsSpec = Static<
  ReturnType<typeof beyondtrustWorkloadCredentialsSpec>
>;
