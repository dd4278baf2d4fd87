#!/usr/bin/env node
// The application of the exec-mode tests: writes what it sees (its pid, arguments and the
// variables named by REPORT_VARS) as JSON to REPORT_FILE, then waits for SIGTERM (exit 42) or
// exits at once with EXIT_CODE. It never prints a value.
import { writeFileSync } from 'node:fs';
import { setInterval } from 'node:timers';

const names = (process.env.REPORT_VARS ?? '').split(',').filter(Boolean);
const vars = Object.fromEntries(names.map((n) => [n, process.env[n] ?? null]));
const report = {
  pid: process.pid,
  argv: process.argv.slice(2),
  vars,
  agentConfigVisible: process.env.SYNCRET_AGENT_CONFIG !== undefined,
};
writeFileSync(process.env.REPORT_FILE, JSON.stringify(report), { mode: 0o600 });
if (process.env.EXIT_CODE !== undefined) process.exit(Number(process.env.EXIT_CODE));
process.on('SIGTERM', () => process.exit(42));
setInterval(() => {}, 1000);
