// Applies a store reconcile's outcome: the status patch (only when it differs) and Events.

import type { SecretStore } from '../../api/types.js';
import type { EventRecorder } from '../../observability/events.js';
import type { StatusWriter } from '../../runtime/status.js';
import type { QueueResult } from '../../runtime/queue.js';
import type { StoreOutcome } from './reconcile.js';

export async function executeStore(
  deps: { writeStatus: StatusWriter<SecretStore>; events: Pick<EventRecorder, 'record'> },
  store: SecretStore,
  outcome: StoreOutcome,
): Promise<QueueResult> {
  if (outcome.ignore) return {};
  if (outcome.status) await deps.writeStatus(store, outcome.status);
  for (const e of outcome.events) deps.events.record(store, e.type, e.reason, e.message);
  return { requeueAfterMs: outcome.requeueAfterMs };
}
