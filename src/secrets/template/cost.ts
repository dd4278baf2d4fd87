// Some functions cost far more CPU than a template step: RSA and DSA key generation, bcrypt,
// scrypt. They run synchronously on the operator's event loop, so one render (all the templates
// of one ExternalSecret) may spend only a fixed amount on them, and the operator paces them
// across all renders (enableCostPacing); more fails the render, so a tenant's templates cannot
// stall every other sync or /healthz. ESO has no such limit.

import { cpuMs } from './cputime.js';
import { ExecFailure, PaceExceeded } from './errors.js';

/** Rough milliseconds of one call on one core, as measured on the CI machine. */
export const COST = { rsa4096: 600, rsa2048: 50, dsa: 500, scrypt: 150, bcrypt: 80 } as const;

/**
 * What one render may spend, in the same units: one RSA-4096 key and a few certificates, or a CA
 * and nineteen certificates. About a second at most: this work blocks the event loop while it
 * runs (the fuzz suite saw 4 s budgets hold /healthz past 5 s on a busy machine).
 */
export const BUDGET = 1000;

/**
 * The operator's pace for all renders together: PACE_PER_S units a second (about a quarter of
 * the event loop), up to PACE_BURST at once. Without it, a few ExternalSecrets that each spend
 * their whole budget at every refresh would hold the loop between them.
 */
export const PACE_PER_S = 250;
export const PACE_BURST = 1000;
/** How long the whole burst takes to refill: when a paced render is tried again. */
export const PACE_REFILL_MS = (PACE_BURST / PACE_PER_S) * 1000;

interface Pacing {
  tokens: number;
  at: number;
  now: () => number;
}
let pacing: Pacing | undefined;

/**
 * Paces costly calls process-wide from now on (the operator; offline commands render one
 * ExternalSecret and need none). `now` in ms is for tests.
 */
export function enableCostPacing(now: () => number = () => performance.now()): void {
  pacing = { tokens: PACE_BURST, at: now(), now };
}

/** Back to no pacing (tests). */
export function disableCostPacing(): void {
  pacing = undefined;
}

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
  chargeCost(what);
  const started = cpuMs();
  try {
    return fn();
  } finally {
    costlyTotalMs += cpuMs() - started;
  }
}

/** Units drawn from the operator's pace since the process started (never reset). */
let pacedTotal = 0;

export function pacedUnits(): number {
  return pacedTotal;
}

/** Gives back units a render drew from the pace for work whose result was dropped (keys.ts). */
export function refundPace(units: number): void {
  if (pacing && units > 0) pacing.tokens = Math.min(PACE_BURST, pacing.tokens + units);
}

/** Draws on the render's budget only: work done already, counted so the render's limit holds. */
export function chargeBudget(what: keyof typeof COST): void {
  spent += COST[what];
  if (spent > BUDGET) {
    throw new ExecFailure(
      `the render's key generation, bcrypt and scrypt calls exceed their budget (about ${BUDGET / 1000} s of CPU)`,
    );
  }
}

/** Draws on the render's budget and the operator's pace before the work starts. */
export function chargeCost(what: keyof typeof COST): void {
  const units = COST[what];
  chargeBudget(what);
  if (!pacing) return;
  const now = pacing.now();
  pacing.tokens = Math.min(PACE_BURST, pacing.tokens + ((now - pacing.at) * PACE_PER_S) / 1000);
  pacing.at = now;
  if (pacing.tokens < units)
    throw new PaceExceeded(
      "key generation, bcrypt and scrypt are paced across all ExternalSecrets (about a quarter of the operator's CPU); the render is retried",
    );
  pacing.tokens -= units;
  pacedTotal += units;
}
