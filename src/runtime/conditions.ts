// Condition helpers shared by every kind: kstatus-style transitions and status comparison.

import type { Condition } from '../api/types.js';
import { printable, truncateMessage } from '../observability/events.js';

/**
 * metav1.Condition's bound on a message. Messages quote what users wrote (keys, paths): a huge
 * one must not make the status too large to write, nor a control character unreadable.
 */
export const MAX_CONDITION_MESSAGE = 32 * 1024;

/**
 * Returns the conditions with `next` replacing the condition of the same type. The
 * lastTransitionTime changes only when the status flips, as kstatus and Argo CD expect.
 */
export function setCondition(
  conditions: Condition[] | undefined,
  next: Omit<Condition, 'lastTransitionTime'>,
  now: string,
): Condition[] {
  const list = conditions ?? [];
  const prev = list.find((c) => c.type === next.type);
  const lastTransitionTime =
    prev && prev.status === next.status && prev.lastTransitionTime ? prev.lastTransitionTime : now;
  const cond: Condition = { ...next, lastTransitionTime };
  if (cond.message !== undefined)
    cond.message = truncateMessage(printable(cond.message), MAX_CONDITION_MESSAGE);
  return [...list.filter((c) => c.type !== next.type), cond];
}

export function getCondition(conditions: Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** Deep equality for the JSON-ish status objects we write (key order independent). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => jsonEqual(ao[k], bo[k]));
}
