// The generators.external-secrets.io CRDs: every kind ESO 2.9 has (v1alpha1 only, as ESO),
// with ESO's names, scopes and categories, so every ESO generator manifest applies.

import {
  GENERATOR_KIND_NAMES,
  GENERATOR_SPECS,
  WRAPPABLE_GENERATOR_KINDS,
  clusterGeneratorSpec,
  generatorStateSpec,
  generatorStateStatus,
} from '../generators/index.js';
import { obj } from '../schema.js';
import type { Schema } from '../schema.js';
import { GENERATORS_GROUP, GENERATORS_VERSION } from '../types.js';
import { CATEGORY, define } from './crds.js';
import type { CustomResourceDefinition, Definition } from './crds.js';

const GENERATOR_CATEGORIES = [CATEGORY, 'external-secrets-generators'];

function generatorCRD(
  d: Pick<Definition, 'kind' | 'plural' | 'description' | 'spec'> & Partial<Definition>,
): CustomResourceDefinition {
  return define({
    group: GENERATORS_GROUP,
    versions: [GENERATORS_VERSION],
    stored: GENERATORS_VERSION,
    scope: 'Namespaced',
    categories: GENERATOR_CATEGORIES,
    // Generators have no status of their own; one written by another tool is kept.
    status: obj({}, { preserveUnknown: true }) as Schema,
    columns: [],
    ...d,
  });
}

export function vaultDynamicSecretCRD(): CustomResourceDefinition {
  const def = GENERATOR_KIND_NAMES.VaultDynamicSecret;
  return generatorCRD({
    kind: 'VaultDynamicSecret',
    plural: def.plural,
    // Syncret's short name since its first release (ESO has none).
    shortName: 'vds',
    description: `${def.description} For the ExternalSecrets of its namespace that reference it with dataFrom[].sourceRef.generatorRef.`,
    spec: GENERATOR_SPECS.VaultDynamicSecret(),
    columns: [
      { name: 'Path', type: 'string', jsonPath: '.spec.path' },
      { name: 'AGE', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ],
  });
}

export function clusterGeneratorCRD(): CustomResourceDefinition {
  return generatorCRD({
    kind: 'ClusterGenerator',
    plural: 'clustergenerators',
    scope: 'Cluster',
    description:
      'A generator of any kind, cluster-scoped: an ExternalSecret of any namespace may reference it, and it runs as if it were a generator of that namespace (its Secret and ServiceAccount references resolve there).',
    spec: clusterGeneratorSpec(),
    columns: [{ name: 'Kind', type: 'string', jsonPath: '.spec.kind' }],
  });
}

export function generatorStateCRD(): CustomResourceDefinition {
  return generatorCRD({
    kind: 'GeneratorState',
    plural: 'generatorstates',
    shortName: 'gs',
    description:
      'What a generator left behind that must be cleaned up later (ESO writes one per issued Grafana, GitLab or BeyondTrust credential); never the values themselves.',
    spec: generatorStateSpec(),
    status: generatorStateStatus(),
    columns: [
      { name: 'GC Deadline', type: 'string', jsonPath: '.spec.garbageCollectionDeadline' },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ],
  });
}

/** Every generators.external-secrets.io CRD, VaultDynamicSecret first. */
export function generatorCRDs(): CustomResourceDefinition[] {
  const rest = WRAPPABLE_GENERATOR_KINDS.filter((k) => k !== 'VaultDynamicSecret').map((kind) => {
    const def = GENERATOR_KIND_NAMES[kind];
    return generatorCRD({
      kind,
      plural: def.plural,
      description: def.description,
      spec: GENERATOR_SPECS[kind](),
    });
  });
  return [vaultDynamicSecretCRD(), ...rest, clusterGeneratorCRD(), generatorStateCRD()];
}
