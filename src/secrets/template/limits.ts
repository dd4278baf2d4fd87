// Bounds on template execution. Go's text/template has none, and ESO runs each reconcile on its
// own goroutine, so a template that loops or builds a huge string there costs one worker. Here
// every reconcile shares one event loop, so one ExternalSecret's template must never hold it:
// a budget counts evaluation steps, characters of output and CPU time, and stops the template
// with a TemplateError (Ready=False, reason TemplateError) when one of them runs out. The limits
// are far above what real templates use (measured in docs/TEMPLATES.md, "Limits").
//
// A step is one node walked (text, action, if/with/range/template), one range iteration or one
// function call, about 0.1 µs each on this machine; a call also costs one step per READ_CHARS
// characters of its string arguments, one per BUILD_CHARS characters of a string it returns (one
// per element of a list or map it returns), plus what a function declares it may do before it
// runs (FuncDef.cost: repeat and indent by what they build, the regex functions by what they
// scan at worst): that is reserved, so an oversized call is refused before it allocates, and
// what the call's time shows it did not need is given back. Measured in docs/TEMPLATES.md.

import { costlyMs } from './cost.js';
import { cpuMs } from './cputime.js';

/** Steps one millisecond of a call stands for (a reserved cost is settled at its real time). */
export const STEPS_PER_MS = 10_000;
/** Characters read that one step stands for (hashing, base64: up to 3 ns a character). */
export const READ_CHARS = 32;
/** Characters built that one step stands for (formatting, JSON: up to 15 ns a character). */
export const BUILD_CHARS = 8;

export interface TemplateLimits {
  /** Steps of one budget. */
  maxSteps: number;
  /** Characters of output of one budget, and of any one value a function returns. */
  maxOutputChars: number;
  /** CPU time of one budget on the main thread, in ms (checked every CLOCK_EVERY steps). */
  maxMs: number;
}

export const DEFAULT_TEMPLATE_LIMITS: Readonly<TemplateLimits> = {
  // About 100 ms of evaluation.
  maxSteps: 1_000_000,
  // Twice what a Secret can hold (1 MiB): no template output that could be written is refused.
  maxOutputChars: 2 * 1024 * 1024,
  // The backstop for what steps misjudge (a slow machine, slow functions); well below the
  // chart's liveness probe timeout of 5 s, and above what PKCS#12 conversions take on a busy one.
  maxMs: 1000,
};

/** How often (in steps) the clock is read: a few microseconds a read (cputime.ts). */
const CLOCK_EVERY = 1024;
/** A charge this large (a costly call) reads the clock at once. */
const CLOCK_NOW = 256;

/** A limit ran out; the evaluator turns it into a TemplateError that says where. */
export class LimitExceeded extends Error {
  override readonly name = 'LimitExceeded';
}

/**
 * One budget, shared by every template execution of one sync (an ExternalSecret's data,
 * templateFrom and metadata templates draw from the same budget), or one per execution.
 */
export class TemplateBudget {
  private steps = 0;
  private output = 0;
  private nextClock = CLOCK_EVERY;
  /** Time spent in finished executions, ms. */
  private spentMs = 0;
  /** When the running execution started; undefined between executions. */
  private enteredAt: number | undefined;
  /** costlyMs() when it started. */
  private costlyAtEntry = 0;

  constructor(
    readonly limits: Readonly<TemplateLimits> = DEFAULT_TEMPLATE_LIMITS,
    private readonly clock: () => number = cpuMs,
  ) {}

  /**
   * Runs one execution on this budget. Only time inside executions counts: a budget shared by a
   * sync must not count the provider calls between its templates.
   */
  run<T>(fn: () => T): T {
    if (this.enteredAt !== undefined) return fn();
    this.enteredAt = this.clock();
    this.costlyAtEntry = costlyMs();
    try {
      return fn();
    } finally {
      this.spentMs += this.clock() - this.enteredAt - (costlyMs() - this.costlyAtEntry);
      this.enteredAt = undefined;
    }
  }

  /** Time inside executions, without key generation and the like (cost.ts bounds those). */
  private elapsedMs(): number {
    if (this.enteredAt === undefined) return this.spentMs;
    return this.spentMs + this.clock() - this.enteredAt - (costlyMs() - this.costlyAtEntry);
  }

  /** What this budget has used so far (tests and docs/TEMPLATES.md's measurements). */
  used(): { steps: number; outputChars: number; ms: number } {
    return { steps: this.steps, outputChars: this.output, ms: this.elapsedMs() };
  }

  /** Charges `n` steps. */
  step(n = 1): void {
    this.steps += n;
    if (this.steps > this.limits.maxSteps) {
      throw new LimitExceeded(
        `template execution stopped after ${this.limits.maxSteps} steps (the operator's limit per ExternalSecret; does the template loop?)`,
      );
    }
    if (this.steps >= this.nextClock || n >= CLOCK_NOW) {
      this.nextClock = this.steps + CLOCK_EVERY;
      if (this.elapsedMs() > this.limits.maxMs) {
        throw new LimitExceeded(
          `template execution stopped after ${this.limits.maxMs} ms (the operator's limit per ExternalSecret)`,
        );
      }
    }
  }

  /**
   * Gives back what a call did not use of its reservation (its worst case, charged before it
   * ran), judged by its time at STEPS_PER_MS. Never more than reserved is kept: on a slow
   * machine a call costs at most its deterministic worst case (the CPU-time limit covers the
   * rest).
   */
  settle(reserved: number, ms: number): void {
    this.steps -= reserved - Math.min(reserved, Math.ceil(ms * STEPS_PER_MS));
  }

  /** Charges `chars` characters written to the output. */
  write(chars: number): void {
    this.output += chars;
    if (this.output > this.limits.maxOutputChars) {
      throw new LimitExceeded(
        `template output exceeds ${this.limits.maxOutputChars} characters (the operator's limit per ExternalSecret)`,
      );
    }
    this.step(Math.floor(chars / READ_CHARS));
  }

  /**
   * Charges a string a function received (reading it is linear; passing a list or a map is not,
   * and what a function builds from one is charged as its result).
   */
  argument(v: unknown): void {
    if (typeof v === 'string' || v instanceof Uint8Array) this.step(Math.floor(v.length / READ_CHARS));
  }

  /** Charges a value a function returned; refuses one too large to write anyway. */
  value(v: unknown): void {
    if (typeof v === 'string') {
      if (v.length > this.limits.maxOutputChars) {
        throw new LimitExceeded(
          `a value of ${v.length} characters exceeds the limit of ${this.limits.maxOutputChars} (the operator's limit per ExternalSecret)`,
        );
      }
      this.step(Math.floor(v.length / BUILD_CHARS));
    } else if (v instanceof Uint8Array) {
      this.step(Math.floor(v.length / BUILD_CHARS));
    } else if (Array.isArray(v)) {
      this.step(v.length);
    } else if (v !== null && typeof v === 'object') {
      this.step(Object.keys(v).length);
    }
  }
}

const lines = (s: unknown): number => (typeof s === 'string' ? s.split('\n').length : 1);
const num = (n: unknown): number => (typeof n === 'number' && n > 0 ? n : 0);
const chars = (s: unknown): number => (typeof s === 'string' ? s.length : 0);

/** PKCS#12 bundles are read and written with a key derivation: milliseconds each, priced so. */
const PKCS12_COST = (): number => 100_000;

/**
 * Steps a built-in function may take at worst, judged from its arguments before it runs: the
 * ones whose result size an argument sets, so `repeat 100000000 "x"` is refused before it
 * allocates, and the slow ones, so a loop of them runs out of steps instead of time.
 */
export const BUILTIN_COSTS: Readonly<Record<string, (...args: unknown[]) => number>> = {
  repeat: (n, s) => (num(n) * chars(s)) / BUILD_CHARS,
  indent: (n, s) => (num(n) * lines(s) + chars(s)) / BUILD_CHARS,
  nindent: (n, s) => (num(n) * lines(s) + chars(s)) / BUILD_CHARS,
  pkcs12key: PKCS12_COST,
  pkcs12keyPass: PKCS12_COST,
  pkcs12cert: PKCS12_COST,
  pkcs12certPass: PKCS12_COST,
  pemToPkcs12: PKCS12_COST,
  pemToPkcs12Pass: PKCS12_COST,
  fullPemToPkcs12: PKCS12_COST,
  fullPemToPkcs12Pass: PKCS12_COST,
};
