import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, STARTED_MARKER } from '../lib/paths.js';

export default async function globalTeardown(): Promise<void> {
  if (!existsSync(STARTED_MARKER) || process.env.SYNCRET_E2E_KEEP_CLUSTER === '1') return;
  rmSync(STARTED_MARKER, { force: true });
  execFileSync('bash', [join(ROOT, 'e2e/tools/cluster.sh'), 'down'], { cwd: ROOT, stdio: 'inherit' });
}
