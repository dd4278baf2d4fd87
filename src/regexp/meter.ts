// Time spent matching over many inputs (find over a store's names, a rewrite over its keys).
// Each match is linear, but a costly pattern over ten thousand names still adds up; the event
// loop is shared, so an operation stops once its matches have taken longer than its limit.
// Only time inside matches counts (a provider's listing pages arrive in between).

/** What one operation's matches may take, in ms. */
export const MATCH_LIMIT_MS = 250;

export class MatchMeter {
  private spentMs = 0;
  private calls = 0;

  constructor(
    /** Throws the caller's error: it knows the field and the error type. */
    private readonly exceeded: (calls: number, limitMs: number) => never,
    private readonly limitMs = MATCH_LIMIT_MS,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Runs one match, counting its time. */
  time<T>(match: () => T): T {
    if (this.spentMs > this.limitMs) this.exceeded(this.calls, this.limitMs);
    const t0 = this.clock();
    try {
      return match();
    } finally {
      this.spentMs += this.clock() - t0;
      this.calls++;
    }
  }
}
