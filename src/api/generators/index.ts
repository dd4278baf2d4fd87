// generators.external-secrets.io/v1alpha1: every generator kind ESO 2.9 has, the
// cluster-scoped ClusterGenerator that wraps one of them, and GeneratorState. One table names
// each kind's plural, its spec schema and its field in ClusterGenerator.spec.generator, so the
// CRDs and the ClusterGenerator schema are written from one list (names in ./kinds.ts).

import { vaultDynamicSecretSpec } from '../providers/vault.js';
import { enumStr, exactlyOne, obj, opaque, str } from '../schema.js';
import type { Schema, Static, Typed } from '../schema.js';
import { conditions } from '../common.js';
import { GENERATOR_KIND_NAMES, WRAPPABLE_GENERATOR_KINDS } from './kinds.js';
import type { WrappableGeneratorKind } from './kinds.js';
import {
  acrAccessTokenSpec,
  beyondtrustWorkloadCredentialsSpec,
  ecrAuthorizationTokenSpec,
  gcrAccessTokenSpec,
  stsSessionTokenSpec,
} from './cloud.js';
import { fakeSpec, mfaSpec, passwordSpec, sshKeySpec, uuidSpec, webhookSpec } from './local.js';
import {
  cloudsmithAccessTokenSpec,
  githubAccessTokenSpec,
  gitlabDeployTokenSpec,
  grafanaSpec,
  quayAccessTokenSpec,
} from './tokens.js';

/** Each kind's spec schema (the CRD's spec, and its field in ClusterGenerator). */
export const GENERATOR_SPECS: Readonly<Record<WrappableGeneratorKind, () => Schema>> = {
  ACRAccessToken: acrAccessTokenSpec,
  BeyondtrustWorkloadCredentialsDynamicSecret: beyondtrustWorkloadCredentialsSpec,
  CloudsmithAccessToken: cloudsmithAccessTokenSpec,
  ECRAuthorizationToken: ecrAuthorizationTokenSpec,
  Fake: fakeSpec,
  GCRAccessToken: gcrAccessTokenSpec,
  GithubAccessToken: githubAccessTokenSpec,
  GitlabDeployToken: gitlabDeployTokenSpec,
  QuayAccessToken: quayAccessTokenSpec,
  Password: passwordSpec,
  SSHKey: sshKeySpec,
  STSSessionToken: stsSessionTokenSpec,
  UUID: uuidSpec,
  VaultDynamicSecret: vaultDynamicSecretSpec,
  Webhook: webhookSpec,
  Grafana: grafanaSpec,
  MFA: mfaSpec,
};

export function clusterGeneratorSpec() {
  const fields = WRAPPABLE_GENERATOR_KINDS.map((k) => GENERATOR_KIND_NAMES[k].clusterField);
  const generator: Record<string, Typed<unknown>> = {};
  for (const k of WRAPPABLE_GENERATOR_KINDS)
    generator[GENERATOR_KIND_NAMES[k].clusterField] = GENERATOR_SPECS[k]();
  return obj(
    {
      kind: enumStr(WRAPPABLE_GENERATOR_KINDS, { desc: 'The kind of generator this one is.' }),
      generator: obj(generator, {
        desc: "The wrapped generator's spec, in the field named after its kind (passwordSpec, ...).",
        rules: [exactlyOne(fields, 'generator must set exactly one spec')],
      }),
    },
    { required: ['kind', 'generator'] },
  );
}

export type ClusterGeneratorSpec = Static<ReturnType<typeof clusterGeneratorSpec>>;

export function generatorStateSpec() {
  return obj(
    {
      garbageCollectionDeadline: str({
        format: 'date-time',
        desc: 'When the state is deleted (and what it describes cleaned up); unset: kept.',
      }),
      resource: opaque({ desc: 'The generator manifest that produced the state.' }),
      state: opaque({ desc: 'What the generator needs to clean up later (ids, never values).' }),
    },
    { required: ['resource', 'state'] },
  );
}

export type GeneratorStateSpec = Static<ReturnType<typeof generatorStateSpec>>;

export function generatorStateStatus() {
  return obj({ conditions: conditions() });
}

export * from './kinds.js';
