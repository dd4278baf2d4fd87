// The PostgreSQL test server (e2e/tools/servers/postgres.sh), reached the way an application
// with synced credentials would: over TCP, with a password.

import { execFileSync } from 'node:child_process';
import { serverVar } from './servers.js';

/** Runs one statement as `user`; the password goes in the environment only, never in argv. */
export function psql(user: string, password: string, sql: string): string {
  return execFileSync(
    serverVar('PG_PSQL'),
    ['-h', serverVar('PG_HOST'), '-p', serverVar('PG_PORT'), '-U', user, '-d', 'postgres', '-tAc', sql],
    {
      env: { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: '5' },
      encoding: 'utf8',
      stdio: 'pipe',
    },
  ).trim();
}

/** Whether `user` can log in with `password` right now. */
export function canLogin(user: string, password: string): boolean {
  try {
    return psql(user, password, 'select current_user') === user;
  } catch {
    return false;
  }
}
