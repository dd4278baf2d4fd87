import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const E2E = process.env.SYNCRET_E2E_DIR ?? join(ROOT, '.e2e');

// Stops the control plane only if the tests started it (and SYNCRET_E2E_KEEP_CLUSTER is unset).
export default async function globalTeardown() {
  const marker = join(E2E, 'started-by-tests');
  if (!existsSync(marker) || process.env.SYNCRET_E2E_KEEP_CLUSTER === '1') return;
  rmSync(marker, { force: true });
  execFileSync('bash', [join(ROOT, 'e2e/tools/cluster.sh'), 'down'], { cwd: ROOT, stdio: 'inherit' });
}
