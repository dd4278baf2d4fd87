import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ADMIN_KUBECONFIG,
  E2E_DIR,
  LOG_DIR,
  OPERATOR_KUBECONFIG,
  ROOT,
  STARTED_MARKER,
} from '../lib/paths.js';

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

function clusterAlive(): boolean {
  if (!existsSync(ADMIN_KUBECONFIG)) return false;
  try {
    execFileSync('kubectl', ['--kubeconfig', ADMIN_KUBECONFIG, 'get', '--raw', '/readyz'], {
      stdio: 'ignore',
      timeout: 10_000,
    });
    return true;
  } catch {
    return false;
  }
}

export default async function globalSetup(): Promise<void> {
  const t0 = Date.now();
  mkdirSync(E2E_DIR, { recursive: true });
  rmSync(LOG_DIR, { recursive: true, force: true });
  mkdirSync(LOG_DIR, { recursive: true });
  if (clusterAlive()) {
    console.log('[e2e] reusing the running control plane');
    rmSync(STARTED_MARKER, { force: true });
  } else {
    console.log('[e2e] starting the control plane');
    execFileSync('bash', [join(ROOT, 'e2e/tools/cluster.sh'), 'up'], { cwd: ROOT, stdio: 'inherit' });
    writeFileSync(STARTED_MARKER, String(process.pid));
  }
  const kc = ['--kubeconfig', ADMIN_KUBECONFIG];
  sh('kubectl', [...kc, 'apply', '--server-side', '--force-conflicts', '-f', 'crds/']);
  sh('kubectl', [...kc, 'wait', '--for', 'condition=Established', 'crd', '--all', '--timeout', '60s']);
  sh('kubectl', [...kc, 'apply', '-k', 'config/rbac']);
  sh('bash', ['scripts/operator-kubeconfig.sh', ADMIN_KUBECONFIG, OPERATOR_KUBECONFIG]);
  console.log(`[e2e] control plane ready with CRDs and RBAC in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
}
