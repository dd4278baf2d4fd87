// Jest's global teardown (same process as global-setup.ts, same import restrictions; type-only
// imports are erased and therefore allowed). Stops the control plane only if the setup
// started it and SYNCRET_E2E_KEEP_CLUSTER is not 1.

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { E2EGlobalState } from './global-setup.js';

export default async function globalTeardown(): Promise<void> {
  const state = (globalThis as { __syncretE2E?: E2EGlobalState }).__syncretE2E;
  if (!state?.startedCluster) return;
  if (process.env.SYNCRET_E2E_KEEP_CLUSTER === '1') {
    console.log(`[e2e] keeping the control plane: export KUBECONFIG=${join(state.e2eDir, 'kubeconfig')}`);
    console.log(`[e2e] stop it with: bash e2e/tools/cluster.sh down (or make cluster-down)`);
    return;
  }
  execFileSync('bash', [join(state.root, 'e2e/tools/cluster.sh'), 'down'], { stdio: 'inherit' });
}
