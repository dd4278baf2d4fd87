import { expect } from '@jest/globals';
import { deleteNamespaces } from './kube.js';
import { assertNoSecretLeaks, snapshotForLeakScan } from './leaks.js';
import type { OperatorHandle } from './operator.js';
import { issuedValues } from './values.js';

/**
 * How every suite ends: its operators never crashed and stop now, its namespaces go, and no
 * value the tests used appears in any operator log, Event, status of an external-secrets.io
 * object or in the operators' metrics (taken before they stop and the namespaces go).
 */
export async function finishSuite(...operators: (OperatorHandle | undefined)[]): Promise<void> {
  await snapshotForLeakScan(operators);
  for (const op of operators) {
    if (!op) continue;
    expect(op.exited()).toBe(false);
    await op.stop();
  }
  deleteNamespaces();
  await assertNoSecretLeaks(issuedValues());
}
