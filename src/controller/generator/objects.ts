// The cluster side of generator calls: ClusterGenerator unwrapping (ESO's "virtual" namespaced
// generator) and the messages for failed reads of generator objects. Whole-Secret reads and the
// webhook's template engine are the stores' (controller/store/credentials.ts).

import { GENERATOR_KIND_NAMES, WRAPPABLE_GENERATOR_KINDS } from '../../api/generators/kinds.js';
import type { WrappableGeneratorKind } from '../../api/generators/kinds.js';
import { GENERATORS_GROUP, GENERATORS_VERSION } from '../../api/types.js';
import type { KubeObject } from '../../api/types.js';
import { isKubeApiError } from '../../kube/types.js';
import { ProviderError } from '../../providers/errors.js';

interface ClusterGeneratorObject extends KubeObject {
  spec?: { kind?: string; generator?: Record<string, unknown> };
}

/**
 * The namespaced generator a ClusterGenerator describes, as if it lived in the ExternalSecret's
 * namespace (ESO's rule): its references resolve there, so a ClusterGenerator never reaches
 * into another namespace's Secrets.
 */
export function unwrapClusterGenerator(
  cg: ClusterGeneratorObject,
  namespace: string,
  where: string,
): KubeObject {
  const name = cg.metadata.name ?? '';
  const kind = cg.spec?.kind ?? '';
  if (!(WRAPPABLE_GENERATOR_KINDS as readonly string[]).includes(kind))
    throw new ProviderError(
      'InvalidProviderConfig',
      `${where}: ClusterGenerator "${name}" has unknown kind "${kind}"`,
    );
  const field = GENERATOR_KIND_NAMES[kind as WrappableGeneratorKind].clusterField;
  const spec = cg.spec?.generator?.[field];
  if (spec === undefined || spec === null || typeof spec !== 'object')
    throw new ProviderError(
      'InvalidProviderConfig',
      `${where}: ClusterGenerator "${name}" is of kind ${kind}, so spec.generator.${field} must be set`,
    );
  const virtual: KubeObject & { spec: unknown } = {
    apiVersion: `${GENERATORS_GROUP}/${GENERATORS_VERSION}`,
    kind,
    metadata: { name, namespace, uid: cg.metadata.uid, generation: cg.metadata.generation },
    spec,
  };
  return virtual;
}

export function readFailure(
  e: unknown,
  where: string,
  kind: string,
  name: string,
  namespace: string,
): unknown {
  if (!isKubeApiError(e)) return e;
  const place = kind === 'ClusterGenerator' ? '' : ` in namespace "${namespace}"`;
  if (e.notFound) return new ProviderError('NotFound', `${where}: ${kind} "${name}" not found${place}`);
  if (e.code === 403)
    return new ProviderError(
      'AccessDenied',
      `${where}: Syncret may not read ${kind} objects (check its RBAC)`,
    );
  return new ProviderError(
    'Unavailable',
    `${where}: reading ${kind} "${name}": apiserver answered ${e.code}`,
  );
}
