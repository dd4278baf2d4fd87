// The AWS generators, with ESO's outputs: ECRAuthorizationToken (ECR's GetAuthorizationToken,
// or ECR Public's with scope: public) and STSSessionToken (STS GetSessionToken). Credentials
// come as for a store (src/providers/aws/auth.ts): static keys from a Secret of the
// ExternalSecret's namespace, IRSA, or the operator's default chain, then spec.role assumed on
// top. Endpoints: the SDK's own variables (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_ECR, ...) and
// ESO's AWS_ECR_ENDPOINT / AWS_ECR_PUBLIC_ENDPOINT. The ECR SDKs load on first use.

import { GetSessionTokenCommand } from '@aws-sdk/client-sts';
import type { AwsProvider } from '../../api/providers/aws.js';
import type { ECRAuthorizationTokenSpec, STSSessionTokenSpec } from '../../api/generators/cloud.js';
import { GENERATOR_RESOURCES } from '../../kube/resources.js';
import { ProviderError } from '../errors.js';
import { specOf } from '../generator.js';
import type { Generator, GeneratorEnv } from '../generator.js';
import type { StoreInfo } from '../types.js';
import { CredentialCache, defaultStsFactory, resolveAuth } from './auth.js';
import type { AuthDeps, ResolvedAuth } from './auth.js';
import { awsError } from './errors.js';

const REGION = /^[a-z0-9]+(-[a-z0-9]+)+$/;
const ROLE_ARN = /^arn:aws[a-zA-Z-]*:iam::\d{12}:role\/.+$/;
const REQUEST = { requestTimeout: 30_000, connectionTimeout: 5_000 };

const enc = new TextEncoder();

interface AwsGeneratorSpec {
  region?: string;
  role?: string;
  auth?: AwsProvider['auth'];
}

export function validateAwsGenerator(spec: AwsGeneratorSpec): string | undefined {
  if (!spec.region) return 'spec.region must be set';
  if (!REGION.test(spec.region)) return `spec.region "${spec.region}" is not an AWS region`;
  if (spec.role && !ROLE_ARN.test(spec.role)) return `spec.role "${spec.role}" is not an IAM role ARN`;
  const a = spec.auth ?? {};
  if (a.secretRef && a.jwt) return 'spec.auth: set secretRef or jwt, not both';
  if (a.secretRef && (!a.secretRef.accessKeyIDSecretRef?.name || !a.secretRef.secretAccessKeySecretRef?.name))
    return 'spec.auth.secretRef needs accessKeyIDSecretRef and secretAccessKeySecretRef';
  if (a.jwt && !a.jwt.serviceAccountRef?.name) return 'spec.auth.jwt.serviceAccountRef.name must be set';
  return undefined;
}

/** The credentials of one call, resolved in the ExternalSecret's namespace. */
function credentialsOf(
  kind: string,
  spec: AwsGeneratorSpec,
  env: GeneratorEnv,
  deps: AuthDeps,
): Promise<ResolvedAuth> {
  const store: StoreInfo = {
    kind: 'SecretStore',
    name: `${kind}:generator`,
    namespace: env.namespace,
    requesterNamespace: env.namespace,
    provider: {},
  };
  const provider: AwsProvider = {
    service: 'SecretsManager',
    region: spec.region,
    role: spec.role,
    auth: spec.auth,
  };
  return resolveAuth(store, provider, env.ctx, deps);
}

function clientConfig(spec: AwsGeneratorSpec, auth: ResolvedAuth, endpoint: string | undefined) {
  return {
    region: spec.region,
    ...(auth.credentials ? { credentials: auth.credentials } : {}),
    ...(endpoint ? { endpoint } : {}),
    requestHandler: REQUEST,
  };
}

/** "user:password", base64, as ECR hands out registry logins. */
function splitToken(token: string | undefined, what: string): [string, string] {
  const parts = Buffer.from(token ?? '', 'base64')
    .toString('utf8')
    .split(':');
  if (parts.length !== 2) throw new ProviderError('InvalidRequest', `${what}: unexpected token format`);
  return [parts[0]!, parts[1]!];
}

const unix = (d: Date | undefined): string => String(Math.floor((d?.getTime() ?? 0) / 1000));

async function ecrToken(
  spec: ECRAuthorizationTokenSpec,
  env: GeneratorEnv,
  deps: AuthDeps,
): Promise<Record<string, string>> {
  const auth = await credentialsOf('ECRAuthorizationToken', spec, env, deps);
  const opts = { abortSignal: env.ctx.signal };
  if (spec.scope === 'public') {
    const sdk = await import('@aws-sdk/client-ecr-public');
    const client = new sdk.ECRPUBLICClient(clientConfig(spec, auth, process.env.AWS_ECR_PUBLIC_ENDPOINT));
    try {
      const out = await client.send(new sdk.GetAuthorizationTokenCommand({}), opts);
      const [username, password] = splitToken(out.authorizationData?.authorizationToken, 'ECR Public');
      return { username, password, expires_at: unix(out.authorizationData?.expiresAt) };
    } catch (e) {
      throw awsError(e, 'ECR Public GetAuthorizationToken');
    } finally {
      client.destroy();
    }
  }
  const sdk = await import('@aws-sdk/client-ecr');
  const client = new sdk.ECRClient(clientConfig(spec, auth, process.env.AWS_ECR_ENDPOINT));
  try {
    const out = await client.send(new sdk.GetAuthorizationTokenCommand({}), opts);
    const data = out.authorizationData ?? [];
    if (data.length !== 1)
      throw new ProviderError(
        'InvalidRequest',
        `ECR returned ${data.length} authorization tokens, expected 1`,
      );
    const [username, password] = splitToken(data[0]!.authorizationToken, 'ECR');
    return {
      username,
      password,
      proxy_endpoint: data[0]!.proxyEndpoint ?? '',
      expires_at: unix(data[0]!.expiresAt),
    };
  } catch (e) {
    throw awsError(e, 'ECR GetAuthorizationToken');
  } finally {
    client.destroy();
  }
}

async function stsToken(spec: STSSessionTokenSpec, env: GeneratorEnv, deps: AuthDeps) {
  if (spec.auth?.jwt)
    throw new ProviderError(
      'InvalidProviderConfig',
      'spec.auth.jwt cannot be used for STS session tokens (as ESO)',
    );
  const auth = await credentialsOf('STSSessionToken', spec, env, deps);
  const sts = deps.sts(clientConfig(spec, auth, undefined));
  const p = spec.requestParameters ?? {};
  try {
    const out = await sts.send(
      new GetSessionTokenCommand({
        DurationSeconds: p.sessionDuration,
        SerialNumber: p.serialNumber,
        TokenCode: p.tokenCode,
      }),
      { abortSignal: env.ctx.signal },
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey)
      throw new ProviderError('InvalidRequest', 'STS returned no credentials');
    return {
      access_key_id: c.AccessKeyId,
      secret_access_key: c.SecretAccessKey,
      session_token: c.SessionToken ?? '',
      expiration: unix(c.Expiration),
    };
  } catch (e) {
    throw awsError(e, 'STS GetSessionToken');
  } finally {
    sts.destroy();
  }
}

function bytes(values: Record<string, string>): Record<string, Uint8Array> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, enc.encode(v)]));
}

export function awsGenerators(
  deps: AuthDeps = { cache: new CredentialCache(), sts: defaultStsFactory },
): Generator[] {
  return [
    {
      kind: 'ECRAuthorizationToken',
      resource: GENERATOR_RESOURCES.ECRAuthorizationToken,
      provider: 'aws',
      // As ESO: any scope but "public" means the private registry.
      validate: (obj) => validateAwsGenerator(specOf<ECRAuthorizationTokenSpec>(obj)),
      generate: async (env, obj) => ({ data: bytes(await ecrToken(specOf(obj), env, deps)) }),
    },
    {
      kind: 'STSSessionToken',
      resource: GENERATOR_RESOURCES.STSSessionToken,
      provider: 'aws',
      validate: (obj) => validateAwsGenerator(specOf<STSSessionTokenSpec>(obj)),
      generate: async (env, obj) => ({ data: bytes(await stsToken(specOf(obj), env, deps)) }),
    },
  ];
}
