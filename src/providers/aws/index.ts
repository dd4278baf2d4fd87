// AWS Secrets Manager, Parameter Store and Certificate Manager (ACM, loaded only for stores
// that use it). Endpoints come from the SDK's own configuration (AWS_ENDPOINT_URL,
// AWS_ENDPOINT_URL_SECRETS_MANAGER, AWS_ENDPOINT_URL_SSM, AWS_ENDPOINT_URL_ACM,
// AWS_ENDPOINT_URL_STS, AWS_USE_FIPS_ENDPOINT, shared config files), never from the store,
// so VPC and FIPS endpoints and the moto test server take the same code path. Retries are the
// SDK's (standard mode: 3 attempts, exponential backoff with jitter; AWS_RETRY_MODE and
// AWS_MAX_ATTEMPTS override); after that the ExternalSecret's own error backoff applies.

import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { SSMClientConfig } from '@aws-sdk/client-ssm';
import type { ACMClientConfig } from '@aws-sdk/client-acm';
import type { AwsProvider } from '../../api/providers/aws.js';
import { credentialScope } from '../shared.js';
import type { Provider, ProviderContext, SecretsClient, StoreInfo } from '../types.js';
import { CredentialCache, defaultStsFactory, resolveAuth } from './auth.js';
import { requireTlsEndpoints } from './common.js';
import type { StsFactory } from './auth.js';
import type { AcmApi } from './acm-export.js';
import { ParameterStoreReader } from './parameterstore.js';
import type { SsmApi } from './parameterstore.js';
import { SecretsManagerReader } from './secretsmanager.js';
import { SecretsManagerWriter } from './push.js';
import { ParameterStoreWriter } from './push-ssm.js';
import type { SmApi } from './secretsmanager.js';

/** Bounds a hung connection; the SDK's retries then apply. */
const REQUEST_TIMEOUT_MS = 30_000;
const CONNECT_TIMEOUT_MS = 5_000;
const REGION = /^[a-z0-9]+(-[a-z0-9]+)+$/;
const ROLE_ARN = /^arn:aws[a-zA-Z-]*:iam::\d{12}:role\/.+$/;

export interface AwsFactories {
  secretsManager(config: SecretsManagerClientConfig): SmApi;
  ssm(config: SSMClientConfig): SsmApi;
  /** Tests; by default the ACM SDK is imported with the first CertificateManager store. */
  acm?(config: ACMClientConfig): AcmApi;
  sts: StsFactory;
}

const SERVICES = ['SecretsManager', 'ParameterStore', 'CertificateManager'];

export const defaultFactories: AwsFactories = {
  secretsManager: (c) => new SecretsManagerClient(c),
  ssm: (c) => new SSMClient(c),
  sts: defaultStsFactory,
};

/** Resolves the SDK's default credential chain once (validation of a store without auth). */
async function defaultChain(region: string | undefined): Promise<void> {
  const probe = new SecretsManagerClient({ region });
  try {
    await probe.config.credentials();
  } finally {
    probe.destroy();
  }
}

function specOf(store: StoreInfo): AwsProvider {
  return store.provider.aws ?? {};
}

function awsCacheScope(store: StoreInfo): string {
  const spec = specOf(store);
  // Simple and Custom session tags name the requesting namespace: one session per namespace.
  if (store.kind === 'ClusterSecretStore' && (spec.sessionTagsPolicy ?? 'None') !== 'None')
    return store.requesterNamespace;
  const a = spec.auth ?? {};
  return credentialScope(store, [
    a.secretRef?.accessKeyIDSecretRef,
    a.secretRef?.secretAccessKeySecretRef,
    a.secretRef?.sessionTokenSecretRef,
    a.jwt?.serviceAccountRef,
  ]);
}

export function awsProvider(
  factories: AwsFactories = defaultFactories,
  cache: CredentialCache = new CredentialCache(),
): Provider {
  return {
    name: 'aws',
    capabilities: 'ReadWrite',
    validateSpec(store: StoreInfo): string | undefined {
      const spec = store.provider.aws;
      if (!spec) return 'spec.provider.aws is missing';
      const service = spec.service ?? 'SecretsManager';
      if (!SERVICES.includes(service))
        return `spec.provider.aws.service "${String(service)}" must be ${SERVICES.join(', ')}`;
      if (!spec.region) return 'spec.provider.aws.region must be set';
      if (!REGION.test(spec.region)) return `spec.provider.aws.region "${spec.region}" is not an AWS region`;
      const auth = spec.auth ?? {};
      if (auth.secretRef && auth.jwt) return 'spec.provider.aws.auth: set secretRef or jwt, not both';
      if (
        auth.secretRef &&
        (!auth.secretRef.accessKeyIDSecretRef?.name || !auth.secretRef.secretAccessKeySecretRef?.name)
      )
        return 'spec.provider.aws.auth.secretRef needs accessKeyIDSecretRef and secretAccessKeySecretRef';
      if (auth.jwt && !auth.jwt.serviceAccountRef?.name)
        return 'spec.provider.aws.auth.jwt.serviceAccountRef.name must be set';
      for (const r of [spec.role, ...(spec.additionalRoles ?? [])]) {
        if (r && !ROLE_ARN.test(r)) return `spec.provider.aws: "${r}" is not an IAM role ARN`;
      }
      // sessionTagsPolicy and customSessionTags without role are ignored, as in ESO.
      if ((spec.sessionTags?.length || spec.externalID || spec.transitiveTagKeys?.length) && !spec.role)
        return 'spec.provider.aws: externalID, sessionTags and transitiveTagKeys apply to role, which is not set';
      if (spec.sessionTags?.some((t) => !t.key))
        return 'spec.provider.aws.sessionTags: every tag needs a key';
      return undefined;
    },
    cacheScope: awsCacheScope,
    async connect(store: StoreInfo, ctx: ProviderContext): Promise<SecretsClient> {
      const spec = specOf(store);
      const auth = await resolveAuth(store, spec, ctx, { cache, sts: factories.sts });
      const config = {
        region: spec.region,
        ...(auth.credentials ? { credentials: auth.credentials } : {}),
        requestHandler: { requestTimeout: REQUEST_TIMEOUT_MS, connectionTimeout: CONNECT_TIMEOUT_MS },
      };
      const onAuthRejected = (): void => {
        if (auth.cacheKey) cache.drop(auth.cacheKey);
      };
      const prefix = spec.prefix ?? '';
      // Validation proves the identity resolves (for IRSA and roles, that STS accepted it),
      // as ESO does; it reads no secret, so it needs no read permission.
      const check = async (): Promise<void> => {
        if (auth.credentials) await auth.credentials();
        else await defaultChain(config.region);
      };
      if ((spec.service ?? 'SecretsManager') === 'ParameterStore') {
        const api = requireTlsEndpoints(factories.ssm(config), ctx);
        const reader = new ParameterStoreReader(api, prefix, ctx.signal, onAuthRejected, check);
        return Object.assign(reader, { writer: new ParameterStoreWriter(reader) });
      }
      if (spec.service === 'CertificateManager') {
        // The ACM SDK is loaded by the first store that uses it; one client reads and pushes.
        const [m, w] = await Promise.all([import('./acm-export.js'), import('./acm-push.js')]);
        const api = requireTlsEndpoints((factories.acm ?? m.acmClient)(config), ctx);
        const scope = `${store.kind}/${store.namespace ?? ''}/${store.name}/${awsCacheScope(store)}`;
        const reader = new m.CertificateManagerReader(api, prefix, scope, ctx.signal, onAuthRejected, check);
        return Object.assign(reader, { writer: new w.CertificateManagerWriter(reader) });
      }
      const api = requireTlsEndpoints(factories.secretsManager(config), ctx);
      const reader = new SecretsManagerReader(api, prefix, ctx.signal, onAuthRejected, check);
      return Object.assign(reader, { writer: new SecretsManagerWriter(reader, spec.secretsManager ?? {}) });
    },
  };
}
