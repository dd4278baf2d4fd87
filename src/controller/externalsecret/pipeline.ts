// The data pipeline of one ExternalSecret, shared by the reconciler and `syncret render`:
// provider data (dataFrom, then data) → templateFrom sources → template. Only the world
// differs: the operator reads stores, ConfigMaps and Secrets from the cluster, render from
// the files it is given.

import type { ExternalSecret } from '../../api/types.js';
import type { StoreInfo } from '../../providers/types.js';
import { SecretDataError } from '../../secrets/errors.js';
import {
  TemplateBudget,
  applyTemplateOffLoop,
  loadTemplateSources,
  renderManifestOps,
} from '../../secrets/templating.js';
import type { ManifestOp, Rendered, TemplateSourceLoader } from '../../secrets/templating.js';
import { collectData } from './data.js';
import type { DataWorld, IssuedLease } from './data.js';

export interface PipelineWorld extends DataWorld {
  /** templateFrom ConfigMaps and Secrets of the ExternalSecret's namespace; none when unset. */
  templateSource?(
    namespace: string,
    kind: 'ConfigMap' | 'Secret',
    name: string,
  ): Promise<Record<string, Uint8Array> | undefined>;
}

export interface PipelineResult extends Rendered {
  /** The provider that answered (for metrics labels). */
  provider: string;
}

function sourceLoader(es: ExternalSecret, world: PipelineWorld): TemplateSourceLoader {
  const ns = es.metadata.namespace ?? '';
  return async (kind, name) => {
    if (!world.templateSource)
      throw new SecretDataError('Unsupported', 'templateFrom ConfigMaps and Secrets cannot be read here');
    return world.templateSource(ns, kind, name);
  };
}

/**
 * The Secret's data and rendered metadata. Throws ProviderError or SecretDataError with
 * messages that name keys, never values.
 */
export async function renderSecretData(
  es: ExternalSecret,
  /** The spec.secretStoreRef store; undefined when every entry names its own source. */
  store: StoreInfo | undefined,
  world: PipelineWorld,
  opts: {
    /** How old a provider answer shared with other ExternalSecrets may be (0: fetch now). */
    maxAgeMs?: number;
    /** Receives every lease issued, also when a later step fails (the caller revokes them then). */
    issued?: IssuedLease[];
  } = {},
): Promise<PipelineResult> {
  // One template budget for the whole sync: rewrite transforms, templateFrom and template.
  const budget = new TemplateBudget();
  const collected = await collectData(es, store, world, opts.maxAgeMs ?? 0, opts.issued ?? [], budget);
  const sources = await loadTemplateSources(es, sourceLoader(es, world));
  const rendered = await applyTemplateOffLoop(es, collected.data, sources, budget);
  return { ...rendered, provider: collected.provider };
}

/** The provider data and what target.manifest of another kind renders into that object. */
export async function renderManifestData(
  es: ExternalSecret,
  store: StoreInfo | undefined,
  world: PipelineWorld,
  maxAgeMs: number,
): Promise<{ data: Record<string, Uint8Array>; ops: ManifestOp[] | undefined; provider: string }> {
  const budget = new TemplateBudget();
  const collected = await collectData(es, store, world, maxAgeMs, [], budget);
  if (!es.spec?.target?.template)
    return { data: collected.data, ops: undefined, provider: collected.provider };
  const sources = await loadTemplateSources(es, sourceLoader(es, world));
  return {
    data: collected.data,
    ops: renderManifestOps(es, collected.data, sources, budget),
    provider: collected.provider,
  };
}
