// Store reconciler: static checks, then a live validation through the shared client, and a
// Ready condition that says which of the two failed.

import type { Condition, SecretStore, SecretStoreStatus, StoreKind } from '../../api/types.js';
import { parseGoDuration } from '../../config/duration.js';
import type { EventSpec } from '../../observability/events.js';
import { ProviderError } from '../../providers/errors.js';
import type { Provider, ValidationResult } from '../../providers/types.js';
import { getCondition, setCondition } from '../../runtime/conditions.js';
import { flooredInterval } from '../../runtime/schedule.js';
import { rfc3339 } from '../../runtime/time/rfc3339.js';
import { Reason } from '../reasons.js';
import { storeRefKey } from './health.js';
import { storeInfoOf } from './resolve.js';
import type { StoreWorld } from './world.js';

export interface StoreOutcome {
  ignore?: boolean;
  status?: SecretStoreStatus;
  events: EventSpec[];
  requeueAfterMs?: number;
  provider?: string;
}

/** ESO's store refreshInterval is in seconds; a Go duration string is accepted too. */
function revalidateMs(v: number | string | undefined): number | undefined {
  if (typeof v === 'number') return v > 0 ? v * 1000 : undefined;
  if (typeof v === 'string' && v) {
    try {
      const ms = parseGoDuration(v);
      return ms > 0 ? ms : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export async function reconcileStore(
  store: SecretStore,
  kind: StoreKind,
  world: StoreWorld,
): Promise<StoreOutcome> {
  if (store.metadata.deletionTimestamp) return { ignore: true, events: [] };
  if ((store.spec?.controller ?? '') !== world.controllerClass) return { ignore: true, events: [] };
  const now = rfc3339(world.now());
  // A store's own interval is a tenant's input like an ExternalSecret's: `refreshInterval: 1ns`
  // must not validate (and call the backend) in a loop.
  const revalidate = flooredInterval(
    revalidateMs(store.spec?.refreshInterval) ?? world.defaultRevalidateMs,
    world.minRefreshIntervalMs ?? 0,
  );

  const finish = (
    cond: Pick<Condition, 'status' | 'reason' | 'message'>,
    provider?: Provider,
    requeueAfterMs = revalidate,
  ): StoreOutcome => {
    const prev = getCondition(store.status?.conditions, 'Ready');
    const status: SecretStoreStatus = {
      ...(store.status ?? {}),
      conditions: setCondition(
        store.status?.conditions,
        { type: 'Ready', ...cond, observedGeneration: store.metadata.generation },
        now,
      ),
      ...(provider ? { capabilities: provider.capabilities } : {}),
    };
    // Compared as stored: setCondition bounds and escapes the message.
    const stored = getCondition(status.conditions, 'Ready')?.message;
    const changed = prev?.status !== cond.status || prev.reason !== cond.reason || prev.message !== stored;
    const events: EventSpec[] =
      changed && cond.status === 'False'
        ? [{ type: 'Warning', reason: cond.reason ?? 'ValidationFailed', message: cond.message ?? '' }]
        : [];
    return { status, events, requeueAfterMs, provider: provider?.name };
  };

  const resolved = await world.registry.resolve(store.spec?.provider);
  if ('error' in resolved)
    return finish({ status: 'False', reason: Reason.InvalidProviderConfig, message: resolved.error });
  const provider = resolved.provider;
  const info = storeInfoOf(store, kind);
  const invalid = provider.validateSpec(info);
  if (invalid)
    return finish({ status: 'False', reason: Reason.InvalidProviderConfig, message: invalid }, provider);

  // A ClusterSecretStore whose credentials resolve in each requester's namespace can only
  // be checked when an ExternalSecret uses it.
  if (
    kind === 'ClusterSecretStore' &&
    provider.cacheScope?.({ ...info, requesterNamespace: '\u0000probe' })
  ) {
    return finish(
      {
        status: 'True',
        reason: Reason.ValidationUnknown,
        message: 'credentials resolve in each ExternalSecret namespace; they are checked at use',
      },
      provider,
    );
  }

  const failing = await readsFailing(store, kind, world);
  if (failing) {
    const cond = { status: 'False', reason: Reason.ValidationFailed, message: failing.message } as const;
    return finish(cond, provider, failing.requeueAfterMs);
  }

  let result: ValidationResult;
  try {
    result = await world.validate(provider, info);
  } catch (e) {
    const msg =
      e instanceof ProviderError
        ? e.message
        : `validation failed: ${(e as Error)?.message ?? 'unknown error'}`;
    const reason =
      e instanceof ProviderError && e.reason === 'InvalidProviderConfig'
        ? Reason.InvalidProviderConfig
        : Reason.ValidationFailed;
    return finish({ status: 'False', reason, message: msg }, provider);
  }
  if (result.result === 'Valid')
    return finish({ status: 'True', reason: Reason.Valid, message: 'store validated' }, provider);
  if (result.result === 'Unknown')
    return finish({ status: 'True', reason: Reason.ValidationUnknown, message: result.message }, provider);
  return finish({ status: 'False', reason: Reason.ValidationFailed, message: result.message }, provider);
}

/**
 * Reads through the store fail (./health.ts): Ready=False from the last failure, without a
 * provider call until the probe is due; then one probe, and the usual validation once it passes.
 */
async function readsFailing(
  store: SecretStore,
  kind: StoreKind,
  world: StoreWorld,
): Promise<{ message: string; requeueAfterMs: number } | undefined> {
  if (!world.failing || !world.probe) return undefined;
  const ref = storeRefKey(kind, store.metadata.namespace ?? '', store.metadata.name ?? '');
  const f = world.failing(ref);
  if (!f) return undefined;
  if (world.now() >= f.probeAt && (await world.probe(ref))) return undefined;
  const still = world.failing(ref);
  if (!still) return undefined;
  return {
    message: `reads through this store fail: ${still.message}`,
    requeueAfterMs: Math.max(0, still.probeAt - world.now()),
  };
}
