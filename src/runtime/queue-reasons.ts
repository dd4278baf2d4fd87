// Why a key is queued, and what follows from it: its priority, and which reason a run reports
// when several merged (./queue.ts).

export type QueueReason =
  'create' | 'spec' | 'annotation' | 'refresh' | 'drift' | 'store' | 'retry' | 'relist';
export type QueuePriority = 'high' | 'low';

/**
 * Every reason, in precedence order: when several reasons merge into one run, the handler's
 * `reason` is the first of them in this list. HIGH before LOW; within HIGH, reasons the handler
 * cannot infer from object state come first ('store': only the event tells that a store changed;
 * 'drift': the Secret changed), then the ones it can (spec, annotations, a new object).
 */
export const QUEUE_REASONS: readonly QueueReason[] = [
  'store',
  'drift',
  'spec',
  'annotation',
  'create',
  'retry',
  'refresh',
  'relist',
];

const HIGH_REASONS: ReadonlySet<QueueReason> = new Set(['create', 'spec', 'annotation', 'drift', 'store']);
const RANK = new Map<QueueReason, number>(QUEUE_REASONS.map((r, i) => [r, i]));

/** Position in QUEUE_REASONS: lower wins when reasons merge. */
export const rankOf = (reason: QueueReason): number => RANK.get(reason)!;

export function priorityOf(reason: QueueReason): QueuePriority {
  return HIGH_REASONS.has(reason) ? 'high' : 'low';
}
