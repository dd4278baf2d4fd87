// Jest loads global setup outside its module transform, so this file is plain ESM.
// Reuses a running control plane (e.g. from `make cluster-up`) or starts one; installs the
// CRDs and RBAC; writes the operator's own ServiceAccount kubeconfig.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const E2E = process.env.SYNCRET_E2E_DIR ?? join(ROOT, '.e2e');
const ADMIN = join(E2E, 'kubeconfig');

function run(cmd, args) {
  execFileSync(cmd, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}

function clusterAlive() {
  if (!existsSync(ADMIN)) return false;
  try {
    execFileSync('kubectl', ['--kubeconfig', ADMIN, 'get', '--raw', '/readyz'], {
      stdio: 'ignore',
      timeout: 10_000,
    });
    return true;
  } catch {
    return false;
  }
}

export default async function globalSetup() {
  const t0 = Date.now();
  mkdirSync(E2E, { recursive: true });
  rmSync(join(E2E, 'logs'), { recursive: true, force: true });
  mkdirSync(join(E2E, 'logs'), { recursive: true });
  if (clusterAlive()) {
    console.log('\n[e2e] reusing the running control plane');
    rmSync(join(E2E, 'started-by-tests'), { force: true });
  } else {
    console.log('\n[e2e] starting the control plane');
    execFileSync('bash', [join(ROOT, 'e2e/tools/cluster.sh'), 'up'], { cwd: ROOT, stdio: 'inherit' });
    writeFileSync(join(E2E, 'started-by-tests'), String(process.pid));
  }
  const kc = ['--kubeconfig', ADMIN];
  run('kubectl', [...kc, 'apply', '--server-side', '--force-conflicts', '-f', 'crds/']);
  run('kubectl', [...kc, 'wait', '--for', 'condition=Established', 'crd', '--all', '--timeout', '60s']);
  run('kubectl', [...kc, 'apply', '-k', 'config/rbac']);
  run('bash', ['scripts/operator-kubeconfig.sh', ADMIN, join(E2E, 'operator.kubeconfig')]);
  console.log(`[e2e] control plane ready with CRDs and RBAC in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
}
