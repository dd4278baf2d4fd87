// Some functions cost far more CPU than a template step: RSA and DSA key generation, bcrypt,
// scrypt. They run synchronously on the operator's event loop, so one render (all the templates
// of one ExternalSecret) may spend only a fixed amount on them; more fails the render, so a
// tenant's template cannot stall every other sync. ESO has no such limit.

import { cpuMs } from './cputime.js';
import { ExecFailure } from './errors.js';

/** Rough milliseconds of one call on one core, as measured on the CI machine. */
export const COST = { rsa4096: 600, rsa2048: 50, dsa: 500, scrypt: 150, bcrypt: 80 } as const;

/**
 * What one render may spend, in the same units: six RSA-4096 keys, or a CA and seventy
 * certificates. It stays below the chart's liveness probe timeout (5 s), as this work blocks the
 * event loop while it runs.
 */
export const BUDGET = 4000;

let spent = 0;
let depth = 0;
/** CPU milliseconds spent in costly calls since the process started (never reset). */
let costlyTotalMs = 0;

/**
 * Time spent inside costly calls, for the CPU-time limit of template execution
 * (limits.ts): they have this budget of their own, and must not be counted twice.
 */
export function costlyMs(): number {
  return costlyTotalMs;
}

/** Runs fn as one render: nested calls (each template of an ExternalSecret) share the budget. */
export function withCostBudget<T>(fn: () => T): T {
  if (depth === 0) spent = 0;
  depth++;
  try {
    return fn();
  } finally {
    depth--;
  }
}

/** Draws on the budget, then does the costly work `fn`, timed (see costlyMs). */
export function costly<T>(what: keyof typeof COST, fn: () => T): T {
  charge(what);
  const started = cpuMs();
  try {
    return fn();
  } finally {
    costlyTotalMs += cpuMs() - started;
  }
}

/** Draws on the budget before the work starts; fails once it is exhausted. */
function charge(what: keyof typeof COST): void {
  spent += COST[what];
  if (spent > BUDGET) {
    throw new ExecFailure(
      `the render's key generation, bcrypt and scrypt calls exceed their budget (about ${BUDGET / 1000} s of CPU)`,
    );
  }
}
