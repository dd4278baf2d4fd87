// Dynamic credentials for an application: one lease, kept alive by the agent's rule
// (agent/deps.ts): renewed at 2/3 of its duration; when Vault extends it by less than half its
// duration (its max TTL is near) or cannot renew it, fresh credentials are read and the app is
// told (onRotate). A failure is retried with the one jittered backoff. Timers do not keep the
// process alive: an app that is done may exit while it holds credentials.

import { Dependencies } from '../agent/deps.js';
import type { DependencyRef, Fetched, Source } from '../agent/sources.js';
import { jitteredBackoff } from '../runtime/time/backoff.js';
import type { CredentialsOptions, DynamicCredentials } from './types.js';

const RETRY = jitteredBackoff({ baseMs: 1000, maxMs: 30_000 });

const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

export class LeasedCredentials implements DynamicCredentials {
  data: Readonly<Record<string, string>> = {};
  leaseId = '';
  leaseDuration = 0;
  renewable = false;
  expiresAt = new Date(0);
  private readonly deps: Dependencies;
  private readonly ref: DependencyRef;
  /** Leases replaced by a rotation, still valid until their TTL: revoked at release. */
  private readonly previous: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private released = false;
  private running: Promise<void> | undefined;

  private constructor(
    private readonly source: Source,
    path: string,
    private readonly options: CredentialsOptions,
    private readonly onRelease: (c: LeasedCredentials) => void,
  ) {
    this.deps = new Dependencies({ vault: source });
    const args = Object.entries(options.params ?? {}).map(([k, v]) => `${k}=${v}`);
    this.ref = { fn: 'secret', path, args };
  }

  static async open(
    source: Source,
    path: string,
    options: CredentialsOptions,
    onRelease: (c: LeasedCredentials) => void,
  ): Promise<LeasedCredentials> {
    const c = new LeasedCredentials(source, path, options, onRelease);
    await c.deps.fetch([c.ref]);
    c.apply(c.current());
    c.schedule();
    return c;
  }

  private current(): Fetched {
    return this.deps.get(this.ref)!;
  }

  private apply(f: Fetched): void {
    const data: Record<string, string> = {};
    for (const [k, v] of Object.entries(f.secret.Data)) data[k] = text(v);
    this.data = Object.freeze(data);
    this.leaseId = f.lease?.id ?? '';
    this.leaseDuration = f.lease?.durationS ?? 0;
    this.renewable = f.lease?.renewable ?? false;
    this.expiresAt = new Date(f.expiresAt ?? 0);
  }

  private schedule(delayMs?: number): void {
    if (this.released) return;
    const due = delayMs === undefined ? this.deps.nextDue() : Date.now() + delayMs;
    // No lease (a static read): nothing to keep alive.
    if (due === undefined) return;
    this.timer = setTimeout(
      () => {
        this.running = this.tick();
      },
      Math.max(0, due - Date.now()),
    );
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      const { renewed } = await this.deps.maintain();
      if (this.released) return;
      // Not renewed, or a fetch after a failed rotation is still owed: read fresh credentials.
      if (!this.deps.get(this.ref)) {
        const old = this.leaseId;
        await this.deps.fetch([this.ref]);
        if (old) this.previous.push(old);
        this.apply(this.current());
        this.failures = 0;
        this.options.onRotate?.(this);
      } else if (renewed.length > 0) {
        this.apply(this.current());
        this.failures = 0;
        this.options.onRenew?.(this);
      }
      this.schedule();
    } catch (e) {
      if (this.released) return;
      this.options.onError?.(e instanceof Error ? e : new Error(String(e)));
      this.schedule(RETRY.delay(++this.failures));
    }
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
    const held = this.deps.all().flatMap((e) => (e.fetched.lease ? [e.fetched.lease.id] : []));
    await this.deps.revokeAll([...new Set([...held, ...this.previous])]);
    this.onRelease(this);
  }
}
