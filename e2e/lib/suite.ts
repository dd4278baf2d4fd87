import { expect } from '@jest/globals';
import { deleteNamespaces } from './kube.js';
import { assertNoSecretLeaks } from './leaks.js';
import type { ScannedText } from './leaks.js';
import type { OperatorHandle } from './operator.js';
import { issuedValues } from './values.js';

/**
 * How every suite ends: its operators never crashed and stop now, its namespaces go, and no
 * value the tests used appears in any operator log, Event or /metrics page.
 */
export async function finishSuite(...operators: (OperatorHandle | undefined)[]): Promise<void> {
  await finishSuiteScanning([], ...operators);
}

/** finishSuite, also scanning `extra` (read before the namespaces go, e.g. objects' status). */
export async function finishSuiteScanning(
  extra: ScannedText[],
  ...operators: (OperatorHandle | undefined)[]
): Promise<void> {
  for (const op of operators) {
    if (!op) continue;
    expect(op.exited()).toBe(false);
    // The /metrics page while the operator still serves it.
    extra = [...extra, { where: `metrics of ${op.logFile}`, text: await op.metrics().catch(() => '') }];
    await op.stop();
  }
  deleteNamespaces();
  await assertNoSecretLeaks(issuedValues(), extra);
}
