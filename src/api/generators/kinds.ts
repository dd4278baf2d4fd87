// The generator kinds of generators.external-secrets.io/v1alpha1 that ClusterGenerator can wrap
// (all but ClusterGenerator and GeneratorState), with their plurals and their fields in
// ClusterGenerator.spec.generator. Constants only: the operator loads this at run time.

/** In ESO's order (its ClusterGenerator kind enum). */
export const WRAPPABLE_GENERATOR_KINDS = [
  'ACRAccessToken',
  'BeyondtrustWorkloadCredentialsDynamicSecret',
  'CloudsmithAccessToken',
  'ECRAuthorizationToken',
  'Fake',
  'GCRAccessToken',
  'GithubAccessToken',
  'GitlabDeployToken',
  'QuayAccessToken',
  'Password',
  'SSHKey',
  'STSSessionToken',
  'UUID',
  'VaultDynamicSecret',
  'Webhook',
  'Grafana',
  'MFA',
] as const;

export type WrappableGeneratorKind = (typeof WRAPPABLE_GENERATOR_KINDS)[number];

export interface GeneratorKindNames {
  plural: string;
  /** The field of ClusterGenerator.spec.generator that holds this kind's spec. */
  clusterField: string;
  description: string;
}

export const GENERATOR_KIND_NAMES: Readonly<Record<WrappableGeneratorKind, GeneratorKindNames>> = {
  ACRAccessToken: {
    plural: 'acraccesstokens',
    clusterField: 'acrAccessTokenSpec',
    description: 'Issues an Azure Container Registry access or refresh token.',
  },
  BeyondtrustWorkloadCredentialsDynamicSecret: {
    plural: 'beyondtrustworkloadcredentialsdynamicsecrets',
    clusterField: 'beyondtrustWorkloadCredentialsDynamicSecretSpec',
    description: 'Issues temporary credentials from BeyondTrust Workload Credentials.',
  },
  CloudsmithAccessToken: {
    plural: 'cloudsmithaccesstokens',
    clusterField: 'cloudsmithAccessTokenSpec',
    description: 'Exchanges a ServiceAccount token for a Cloudsmith API token.',
  },
  ECRAuthorizationToken: {
    plural: 'ecrauthorizationtokens',
    clusterField: 'ecrAuthorizationTokenSpec',
    description: 'Issues an Amazon ECR registry login (GetAuthorizationToken).',
  },
  Fake: {
    plural: 'fakes',
    clusterField: 'fakeSpec',
    description: 'Returns the values written in its spec (for tests).',
  },
  GCRAccessToken: {
    plural: 'gcraccesstokens',
    clusterField: 'gcrAccessTokenSpec',
    description: 'Issues a Google Container/Artifact Registry access token.',
  },
  GithubAccessToken: {
    plural: 'githubaccesstokens',
    clusterField: 'githubAccessTokenSpec',
    description: 'Issues a GitHub App installation access token.',
  },
  GitlabDeployToken: {
    plural: 'gitlabdeploytokens',
    clusterField: 'gitlabDeployTokenSpec',
    description: 'Creates a GitLab project or group deploy token.',
  },
  QuayAccessToken: {
    plural: 'quayaccesstokens',
    clusterField: 'quayAccessTokenSpec',
    description: 'Exchanges a ServiceAccount token for a Quay robot account token.',
  },
  Password: {
    plural: 'passwords',
    clusterField: 'passwordSpec',
    description: 'Generates random passwords.',
  },
  SSHKey: {
    plural: 'sshkeys',
    clusterField: 'sshKeySpec',
    description: 'Generates an SSH key pair (OpenSSH private key, authorized_keys public key).',
  },
  STSSessionToken: {
    plural: 'stssessiontokens',
    clusterField: 'stsSessionTokenSpec',
    description: 'Issues temporary AWS credentials (STS GetSessionToken).',
  },
  UUID: {
    plural: 'uuids',
    clusterField: 'uuidSpec',
    description: 'Generates a random UUID.',
  },
  VaultDynamicSecret: {
    plural: 'vaultdynamicsecrets',
    clusterField: 'vaultDynamicSecretSpec',
    description:
      'Issues dynamic credentials from any Vault/OpenBao secrets engine path (database/creds, pki/issue, ...).',
  },
  Webhook: {
    plural: 'webhooks',
    clusterField: 'webhookSpec',
    description: 'Calls an HTTP endpoint whose JSON answer becomes the values.',
  },
  Grafana: {
    plural: 'grafanas',
    clusterField: 'grafanaSpec',
    description: 'Issues a Grafana service account token.',
  },
  MFA: {
    plural: 'mfas',
    clusterField: 'mfaSpec',
    description: 'Computes an RFC 6238 TOTP token from a seed in a Secret.',
  },
};

/** The label ESO puts on a GeneratorState: a hash naming its owner and the dataFrom entry. */
export const GENERATOR_STATE_OWNER_LABEL = 'generators.external-secrets.io/owner-key';
/** ESO's finalizer on GeneratorStates; its controller cleans up the generated resource first. */
export const GENERATOR_STATE_FINALIZER = 'generatorstate.externalsecrets.io/finalizer';
