// The cluster side of generator calls: ClusterGenerator unwrapping (ESO's "virtual" namespaced
// generator), whole-Secret reads for the Webhook generator, the template engine it renders
// with, and the messages for failed reads of generator objects.

import { GENERATOR_KIND_NAMES, WRAPPABLE_GENERATOR_KINDS } from '../../api/generators/kinds.js';
import type { WrappableGeneratorKind } from '../../api/generators/kinds.js';
import { GENERATORS_GROUP, GENERATORS_VERSION } from '../../api/types.js';
import type { KubeObject, Secret } from '../../api/types.js';
import { SECRETS } from '../../kube/resources.js';
import { isKubeApiError } from '../../kube/types.js';
import type { KubeApi } from '../../kube/types.js';
import { ProviderError } from '../../providers/errors.js';
import type { SecretObject } from '../../providers/generator.js';
import { redactValues } from '../../secrets/errors.js';
import { TemplateError, renderTemplate } from '../../secrets/template/index.js';

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

/** A whole Secret of `namespace`, values decoded. */
export async function readWholeSecret(
  api: KubeApi,
  namespace: string,
  name: string,
  what: string,
  signal: AbortSignal,
): Promise<SecretObject> {
  const desc = `${what}: Secret "${namespace}/${name}"`;
  let secret: Secret;
  try {
    secret = await api.get<Secret>({ type: SECRETS, namespace, name }, signal);
  } catch (e) {
    if (isKubeApiError(e) && e.notFound)
      throw new ProviderError('InvalidProviderConfig', `${desc} not found`);
    if (isKubeApiError(e) && e.code === 403)
      throw new ProviderError('AccessDenied', `Syncret is not allowed to read ${desc} (check its RBAC)`);
    if (isKubeApiError(e))
      throw new ProviderError('Unavailable', `reading ${desc}: apiserver answered ${e.code}`);
    throw e;
  }
  const data = Object.create(null) as Record<string, Uint8Array>;
  for (const [k, v] of Object.entries(secret.data ?? {})) data[k] = new Uint8Array(Buffer.from(v, 'base64'));
  return { data, labels: { ...secret.metadata.labels } };
}

/** Go text/template with ESO's functions, Go's default missingkey (as ESO's webhook renders). */
export function renderGeneratorTemplate(name: string, text: string, data: unknown): string {
  try {
    return renderTemplate(name, text, data);
  } catch (e) {
    // `{{ .creds.token | fail }}` would put a value into the condition.
    if (e instanceof TemplateError)
      throw new ProviderError('InvalidProviderConfig', redactValues(e.message, stringsIn(data)));
    throw e;
  }
}

function* stringsIn(v: unknown): Iterable<string> {
  if (typeof v === 'string') yield v;
  else if (v && typeof v === 'object') for (const x of Object.values(v)) yield* stringsIn(x);
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
