// The reconcile of an ExternalSecret whose spec.target.manifest names another kind than Secret
// (a ConfigMap, a custom resource), as ESO 2.9's reconcileGenericTarget: the kind's resource
// from discovery, the object in the cluster, whether it needs a refresh, the provider data and
// the template rendered into the object, deletionPolicy and creationPolicy. Like the Secret
// path it only returns what to write (EsOutcome.genericWrite); the executor writes it.

import { GROUP } from '../../api/types.js';
import type { ExternalSecret } from '../../api/types.js';
import type { EventSpec } from '../../observability/events.js';
import { ProviderError } from '../../providers/errors.js';
import { rfc3339 } from '../../runtime/time/rfc3339.js';
import type { QueueReason } from '../../runtime/queue.js';
import { SecretDataError } from '../../secrets/errors.js';
import type { ResourceType } from '../../kube/types.js';
import { Reason } from '../reasons.js';
import { usesGenerators } from './data.js';
import { decideSync, sharedReadAge } from './decide.js';
import {
  deletable,
  desiredManifest,
  genericTargetValid,
  manifestConflict,
  manifestUpToDate,
  ownLabelsGenericWrite,
} from './manifest.js';
import type { GenericObject, GenericWrite } from './manifest.js';
import {
  errorOutcome,
  invalidSpec,
  messageOf,
  nextRun,
  schedule,
  windowCheck,
  withReady,
} from './outcome.js';
import type { EsOutcome, Plan } from './outcome.js';
import { renderManifestData } from './pipeline.js';
import type { EsWorld } from './world.js';

/** spec.target.manifest names another kind than v1 Secret (a v1 Secret manifest is the plain path). */
export function isGenericTarget(es: ExternalSecret): boolean {
  const m = es.spec?.target?.manifest;
  return !!m && !(m.apiVersion === 'v1' && m.kind === 'Secret');
}

export const GENERIC_DISABLED =
  'generic targets are disabled: start the operator with --unsafe-allow-generic-targets (Helm: genericTargets.enabled)';

interface Target {
  type: ResourceType;
  existing: GenericObject | undefined;
}

function fail(p: Plan, world: EsWorld, reason: string, message: string, synced: boolean, provider?: string) {
  return errorOutcome(p.es, world, reason, message, {
    intervalMs: synced ? p.intervalMs : 0,
    synced,
    provider,
    storeKind: p.storeKind,
    generic: true,
  });
}

/** The kind's resource and the object in the cluster, or the outcome when there is none to work on. */
async function locate(p: Plan, world: EsWorld): Promise<Target | { outcome: EsOutcome }> {
  const m = p.es.spec!.target!.manifest!;
  const generic = world.generic;
  if (!generic) return { outcome: invalidSpec(p.es, world, GENERIC_DISABLED) };
  if (usesGenerators(p.es.spec ?? {}))
    return {
      outcome: invalidSpec(
        p.es,
        world,
        'target.manifest with generators is not supported by this Syncret version',
      ),
    };
  // The operator's own API: its cluster-wide grants (ClusterExternalSecret writes
  // ExternalSecrets) must not become a tenant's way to write those objects.
  const group = (m.apiVersion ?? '').split('/')[0] ?? '';
  if ((m.apiVersion ?? '').includes('/') && (group === GROUP || group.endsWith(`.${GROUP}`)))
    return { outcome: invalidSpec(p.es, world, `target.manifest: ${m.kind} of ${group} cannot be a target`) };
  let type: ResourceType | undefined;
  let existing: GenericObject | undefined;
  try {
    type = await generic.resolve(m.apiVersion ?? '', m.kind ?? '');
    if (!type)
      return {
        outcome: fail(
          p,
          world,
          Reason.InvalidSpec,
          `the apiserver serves no kind ${m.kind} in ${m.apiVersion} (is its CRD installed?)`,
          false,
        ),
      };
    if (!type.namespaced)
      return {
        outcome: invalidSpec(
          p.es,
          world,
          `target.manifest: ${m.kind} is cluster-scoped; only namespaced kinds can be targets`,
        ),
      };
    if (p.creation !== 'None') existing = await generic.get(type, p.ns, p.targetName);
  } catch (e) {
    return {
      outcome: fail(
        p,
        world,
        Reason.SecretWriteFailed,
        `reading target ${m.kind} "${p.targetName}": ${messageOf(e)}`,
        false,
      ),
    };
  }
  return { type, existing };
}

export async function reconcileGeneric(p: Plan, world: EsWorld, trigger: QueueReason): Promise<EsOutcome> {
  const located = await locate(p, world);
  if ('outcome' in located) return located.outcome;
  const { type, existing } = located;
  if (p.creation === 'Merge' && !existing) {
    // ESO: Ready=True, reason ResourceMissing; checked before any provider call here.
    return done(p, world, {
      reason: Reason.SecretMissing,
      message: 'resource will not be created due to CreationPolicy=Merge',
    });
  }
  const orphan = p.creation === 'Orphan';
  const decision = decideSync({
    trigger,
    policy: p.policy,
    intervalMs: p.intervalMs,
    es: p.es,
    srv: p.srv,
    targetMissing: p.creation !== 'None' && !orphan && !existing,
    targetDrifted: !orphan && !!existing && !genericTargetValid(existing, p.creation),
    now: world.now(),
    windows: windowCheck(p),
  });
  if (!decision.sync)
    return {
      events: [],
      synced: false,
      genericWrite: orphan
        ? undefined
        : ownLabelsGenericWrite(type, p.targetName, existing, world.targetLabels?.(p.ns), p.es, p.creation),
      requeueAfterMs: nextRun(p, decision, world, p.lastRefresh),
      storeKind: p.storeKind,
    };

  let rendered: Awaited<ReturnType<typeof renderManifestData>>;
  try {
    rendered = await renderManifestData(p.es, p.store, world, sharedReadAge(decision.why, p.intervalMs));
  } catch (e) {
    if (e instanceof ProviderError)
      return fail(
        p,
        world,
        e.reason === 'InvalidProviderConfig' ? Reason.InvalidStoreConfig : Reason.ProviderError,
        e.message,
        true,
      );
    if (e instanceof SecretDataError) return fail(p, world, Reason.TemplateFailed, e.message, true);
    throw e;
  }
  return write(p, world, type, existing, rendered);
}

function write(
  p: Plan,
  world: EsWorld,
  type: ResourceType,
  existing: GenericObject | undefined,
  rendered: Awaited<ReturnType<typeof renderManifestData>>,
): EsOutcome {
  const { provider } = rendered;
  const deletion = p.es.spec?.target?.deletionPolicy ?? 'Retain';
  const what = `${type.kind} "${p.targetName}"`;
  if (Object.keys(rendered.data).length === 0 && deletion === 'Delete') {
    if (p.creation !== 'Owner')
      return {
        ...fail(
          p,
          world,
          Reason.InvalidSpec,
          `unable to delete resource: creationPolicy=${p.creation} is not Owner`,
          true,
          provider,
        ),
        requeueAfterMs: undefined,
      };
    if (existing && !deletable(existing, p.es))
      return fail(
        p,
        world,
        Reason.SecretOwnedByOther,
        `target ${what} is not owned by this ExternalSecret; Syncret does not delete it`,
        true,
        provider,
      );
    const genericWrite: GenericWrite | undefined = existing
      ? { op: 'delete', type, name: p.targetName, uid: existing.metadata.uid }
      : undefined;
    const events: EventSpec[] = existing
      ? [{ type: 'Normal', reason: 'Deleted', message: `Deleted ${type.kind} ${p.targetName}` }]
      : [];
    return done(
      p,
      world,
      { reason: Reason.SecretDeleted, message: 'secret deleted due to DeletionPolicy=Delete' },
      { genericWrite, events, provider },
    );
  }
  if (Object.keys(rendered.data).length === 0 && deletion === 'Retain')
    return done(
      p,
      world,
      { reason: Reason.SecretSynced, message: 'secret retained due to DeletionPolicy=Retain' },
      { provider },
    );

  const args = {
    es: p.es,
    type,
    name: p.targetName,
    creation: p.creation,
    data: rendered.data,
    ops: rendered.ops,
    existing,
    ownLabels: world.targetLabels?.(p.ns),
  };
  const conflict = manifestConflict(args);
  if (conflict) return fail(p, world, Reason.SecretOwnedByOther, conflict, true, provider);
  const built = desiredManifest(args);
  if (!built.ok) return fail(p, world, built.reason, built.message, true, provider);
  if (p.creation === 'None' || (existing && manifestUpToDate(built.body, existing, p.creation)))
    return done(p, world, { reason: Reason.SecretSynced, message: 'secret synced' }, { provider });
  const genericWrite: GenericWrite = existing
    ? { op: 'replace', type, name: p.targetName, body: built.body }
    : { op: 'create', type, name: p.targetName, body: built.body };
  const verb = existing ? 'Updated' : 'Created';
  return done(
    p,
    world,
    { reason: Reason.SecretSynced, message: 'secret synced' },
    {
      genericWrite,
      provider,
      events: [{ type: 'Normal', reason: verb, message: `${verb} ${type.kind} ${p.targetName}` }],
    },
  );
}

/** Ready=True (ESO's Resource* reason), refreshTime, and the next periodic run. */
function done(
  p: Plan,
  world: EsWorld,
  ready: { reason: string; message: string },
  extra: { genericWrite?: GenericWrite; events?: EventSpec[]; provider?: string } = {},
): EsOutcome {
  const status = withReady(
    p.es,
    { status: 'True', ...ready },
    rfc3339(world.now()),
    { refreshTime: rfc3339(world.now()), syncedResourceVersion: p.srv },
    true,
  );
  return {
    status,
    genericWrite: extra.genericWrite,
    events: extra.events ?? [],
    synced: extra.provider !== undefined,
    provider: extra.provider,
    storeKind: p.storeKind,
    requeueAfterMs: schedule(p, world, world.now()),
  };
}
