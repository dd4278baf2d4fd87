// The stores `syncret fetch` reads besides Vault: a SecretStore or ClusterSecretStore manifest
// (any provider block, with the providers' own auth), or the AWS shorthand (--aws-role-arn):
// the job's OIDC ID token exchanged with STS AssumeRoleWithWebIdentity, then Secrets Manager or
// Parameter Store read with the temporary credentials. The shorthand is the IRSA store the
// operator already serves (auth.jwt), so the exchange, its caching and its errors are that
// provider's code.

import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import type { AgentStoreConfig } from '../agent/config.js';
import type { AwsService } from '../api/providers/aws.js';
import type { ProviderSpec, StoreKind } from '../api/types.js';
import { ROLE_ARN_ANNOTATION } from '../providers/aws/auth.js';
import { UsageError } from './agent.js';

export const AWS_SERVICES: readonly AwsService[] = ['SecretsManager', 'ParameterStore'];

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A SecretStore or ClusterSecretStore manifest, or a bare provider block (`aws: {...}`). */
export function readStoreFile(file: string): AgentStoreConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  let raw: unknown;
  try {
    raw = YAML.parse(text) as unknown;
  } catch {
    // A parse error never echoes the text: a store file may hold a static token by mistake.
    throw new UsageError(`${file} is not valid YAML`);
  }
  if (!isObject(raw)) throw new UsageError(`${file} must hold a SecretStore or a provider block`);
  if (raw.kind === undefined) return { provider: raw as ProviderSpec };
  if (raw.kind !== 'SecretStore' && raw.kind !== 'ClusterSecretStore')
    throw new UsageError(`${file}: kind must be SecretStore or ClusterSecretStore`);
  const spec = isObject(raw.spec) ? raw.spec : {};
  if (!isObject(spec.provider)) throw new UsageError(`${file}: spec.provider is missing`);
  const meta = isObject(raw.metadata) ? raw.metadata : {};
  return {
    kind: raw.kind as StoreKind,
    name: typeof meta.name === 'string' ? meta.name : 'fetch',
    namespace: typeof meta.namespace === 'string' ? meta.namespace : undefined,
    provider: spec.provider as ProviderSpec,
  };
}

/** The AWS shorthand: an IRSA store whose role is the one given. */
export function awsWebIdentityStore(o: {
  roleArn: string;
  region: string;
  service: AwsService;
  audience?: string;
}): { store: AgentStoreConfig; annotations: Record<string, string> } {
  return {
    store: {
      name: 'fetch',
      provider: {
        aws: {
          service: o.service,
          region: o.region,
          auth: {
            jwt: {
              // The job presents its own token; the name is only what the schema asks for.
              serviceAccountRef: { name: 'ci-job', ...(o.audience ? { audiences: [o.audience] } : {}) },
            },
          },
        },
      },
    },
    annotations: { [ROLE_ARN_ANNOTATION]: o.roleArn },
  };
}

/** `KEY=VALUE` of --annotation. */
export function parseAnnotation(text: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError('--annotation takes KEY=VALUE');
  return [text.slice(0, eq), text.slice(eq + 1)];
}
