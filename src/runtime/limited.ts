// Runs a task per item with at most `limit` in flight: one reconcile that writes to a thousand
// namespaces should take seconds, not a round trip per namespace in a row, without taking every
// connection of the request pool from the other controllers.

/** Calls `task` for every item, at most `limit` at once; resolves when all settled. Errors are the task's to handle. */
export async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
}
