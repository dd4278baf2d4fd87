// Jest's global teardown (same process as global-setup.ts, same import restrictions; type-only
// imports are erased and therefore allowed). Stops the control plane only if the setup
// started it and SYNCRET_E2E_KEEP_CLUSTER is not 1; likewise the backend test servers.

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { E2EGlobalState } from './global-setup.js';

export default async function globalTeardown(): Promise<void> {
  const state = (globalThis as { __syncretE2E?: E2EGlobalState }).__syncretE2E;
  if (!state) return;
  const keep = process.env.SYNCRET_E2E_KEEP_CLUSTER === '1';
  if (state.startedServers.length > 0 && !keep)
    execFileSync('bash', [join(state.root, 'e2e/tools/servers.sh'), 'down', ...state.startedServers], {
      stdio: 'inherit',
    });
  if (!state.startedCluster) return;
  if (keep) {
    console.log(`[e2e] keeping the control plane: export KUBECONFIG=${join(state.e2eDir, 'kubeconfig')}`);
    console.log(`[e2e] stop it with: bash e2e/tools/cluster.sh down (or make cluster-down)`);
    return;
  }
  execFileSync('bash', [join(state.root, 'e2e/tools/cluster.sh'), 'down'], { stdio: 'inherit' });
}
