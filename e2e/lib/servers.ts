// The backend test servers' client variables (.e2e/servers.env, written by
// e2e/tools/servers.sh, started by the global setup or `make servers-up`).

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { E2E_DIR } from './paths.js';

export const SERVERS_ENV = join(E2E_DIR, 'servers.env');

export function serversEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  if (!existsSync(SERVERS_ENV)) return env;
  for (const line of readFileSync(SERVERS_ENV, 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

/** One variable from servers.env; throws naming the server script when it is missing. */
export function serverVar(name: string): string {
  const v = serversEnv()[name];
  if (!v) throw new Error(`${name} is not in ${SERVERS_ENV}: is its server in e2e/tools/servers/ up?`);
  return v;
}
