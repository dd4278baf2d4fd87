// Leader election on a coordination.k8s.io/v1 Lease, with client-go's semantics, so that
// Syncret replicas (and tools that read Leases) agree on who leads:
//  - a lease is free when it has no holder, or when its record has not changed for
//    leaseDurationSeconds as measured by OUR clock since WE saw it change (never by
//    comparing our clock with the renewTime another node wrote: clocks drift);
//  - writes are optimistic (resourceVersion): a 409 means another replica won;
//  - the leader renews every retryPeriod and gives up when it could not renew for
//    renewDeadline (< leaseDuration, so it stops before anyone else may take over);
//  - stop() releases the lease (no holder, 1 s) so a standby takes over at once.

import type { KubeObject } from '../api/types.js';
import { LEASES, apiVersionOf } from './resources.js';
import { isKubeApiError } from './types.js';
import type { KubeApi, KubeLogger, ObjectRef } from './types.js';
import { jitteredBackoff } from '../runtime/time/backoff.js';
import type { Backoff } from '../runtime/time/backoff.js';
import { sleep } from '../runtime/time/sleep.js';

export interface LeaderElectorOptions {
  api: KubeApi;
  namespace: string;
  /** Lease name. Default 'syncret-leader'. */
  name?: string;
  /** Unique per process (e.g. pod name + pid). */
  identity: string;
  /** How long a lease is valid after its last observed change. Default 15 s. */
  leaseDurationMs?: number;
  /** The leader gives up if it could not renew for this long. Default 10 s. */
  renewDeadlineMs?: number;
  /** Interval between acquire / renew attempts. Default 2 s. */
  retryPeriodMs?: number;
  /** Called once when this replica becomes leader; `signal` aborts when leadership ends (lost or stop()). */
  onStartedLeading: (signal: AbortSignal) => void | Promise<void>;
  /** Called once when leadership is LOST (renewal failed or another holder seen); not on stop(). */
  onStoppedLeading?: () => void;
  /** Called when the observed holder changes ('' when the lease was released). */
  onNewLeader?: (identity: string) => void;
  logger?: KubeLogger;
}

export interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number | null;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number | null;
  [field: string]: unknown;
}

export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

/** metav1.MicroTime: RFC 3339 with exactly six fractional digits, UTC. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

type Attempt = 'ok' | 'held' | 'failed';

const DEFAULTS = {
  name: 'syncret-leader',
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
};

/** Monotonic: wall-clock jumps must not expire or extend a lease. */
const mono = (): number => performance.now();

function errFields(e: unknown): Record<string, unknown> {
  if (isKubeApiError(e)) return { code: e.code, reason: e.reason, error: e.message };
  return { error: e instanceof Error ? e.message : String(e) };
}

function recordKey(spec: LeaseSpec | undefined): string {
  const s = spec ?? {};
  return JSON.stringify([
    s.holderIdentity ?? '',
    s.leaseDurationSeconds ?? 0,
    s.acquireTime ?? '',
    s.renewTime ?? '',
    s.leaseTransitions ?? 0,
  ]);
}

export class LeaderElector {
  private readonly ref: ObjectRef;
  private readonly leaseMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryMs: number;
  /** A retry period less up to a quarter (not a growing backoff: standbys keep polling). */
  private readonly acquireJitter: Backoff;
  private readonly log?: KubeLogger;
  private abort?: AbortController;
  private loop?: Promise<void>;
  private leading = false;
  private leaderAbort?: AbortController;
  /** The last Lease read or written: its resourceVersion makes the next write optimistic. */
  private lease?: Lease;
  private observedKey = '';
  /** When (monotonic) the lease record was last seen to change. */
  private observedAt = 0;
  private observedHolder: string | undefined;

  constructor(private readonly o: LeaderElectorOptions) {
    if (!o.identity) throw new TypeError('leader election needs a non-empty identity');
    if (!o.namespace) throw new TypeError('leader election needs a namespace for its Lease');
    this.leaseMs = o.leaseDurationMs ?? DEFAULTS.leaseDurationMs;
    this.renewDeadlineMs = o.renewDeadlineMs ?? DEFAULTS.renewDeadlineMs;
    this.retryMs = o.retryPeriodMs ?? DEFAULTS.retryPeriodMs;
    if (!(this.retryMs > 0)) throw new TypeError('retryPeriod must be positive');
    if (!(this.renewDeadlineMs > this.retryMs))
      throw new TypeError('renewDeadline must be longer than retryPeriod');
    if (!(this.leaseMs > this.renewDeadlineMs))
      throw new TypeError('leaseDuration must be longer than renewDeadline');
    if (this.leaseMs < 1000)
      throw new TypeError('leaseDuration must be at least 1 s (Lease durations are whole seconds)');
    this.acquireJitter = jitteredBackoff({ baseMs: this.retryMs, maxMs: this.retryMs, jitter: 0.25 });
    this.ref = { type: LEASES, namespace: o.namespace, name: o.name || DEFAULTS.name };
    this.log = o.logger;
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** The holder last observed on the Lease ('' = released, undefined = not read yet). */
  get leader(): string | undefined {
    return this.observedHolder;
  }

  start(): void {
    if (this.loop) return;
    const ac = new AbortController();
    this.abort = ac;
    this.loop = this.run(ac.signal).catch((e: unknown) => {
      this.log?.error({ lease: this.leaseName(), ...errFields(e) }, 'leader election loop crashed');
      // A leader that no longer renews must not keep acting as one.
      if (this.leading) {
        this.leading = false;
        this.leaderAbort?.abort(new Error('leader election failed'));
        this.o.onStoppedLeading?.();
      }
    });
  }

  /** Stops campaigning; if leading, releases the Lease. onStoppedLeading is not called. */
  async stop(): Promise<void> {
    this.abort?.abort(new Error('leader election stopped'));
    await this.loop;
    this.loop = undefined;
    this.abort = undefined;
  }

  // ------------------------------------------------------------ the loop

  private leaseName(): string {
    return `${this.ref.namespace}/${this.ref.name}`;
  }

  private async run(signal: AbortSignal): Promise<void> {
    // Acquire.
    while (!signal.aborted) {
      // A slow apiserver may take longer than a retry period; a write that lands after we
      // gave up is found on the next round (holder is us) and treated as a renewal.
      const r = await this.tryAcquireOrRenew(signal, this.renewDeadlineMs);
      if (r === 'ok') break;
      await sleep(this.acquireDelay(), signal);
    }
    if (signal.aborted) return;

    this.leading = true;
    const leaderAbort = new AbortController();
    this.leaderAbort = leaderAbort;
    this.log?.info({ lease: this.leaseName(), identity: this.o.identity }, 'acquired leadership');
    try {
      const r = this.o.onStartedLeading(leaderAbort.signal);
      if (r && typeof r.then === 'function') {
        r.then(undefined, (e: unknown) => this.log?.error(errFields(e), 'onStartedLeading failed'));
      }
    } catch (e) {
      this.log?.error(errFields(e), 'onStartedLeading failed');
    }

    // Renew.
    let lastRenew = mono();
    let lost: string | undefined;
    while (!signal.aborted) {
      await sleep(this.retryMs, signal);
      if (signal.aborted) break;
      const started = mono();
      const remaining = this.renewDeadlineMs - (started - lastRenew);
      if (remaining <= 0) {
        lost = 'renew deadline exceeded';
        break;
      }
      const r = await this.tryAcquireOrRenew(signal, remaining);
      if (signal.aborted) break;
      if (r === 'ok') {
        lastRenew = started;
        continue;
      }
      if (r === 'held') {
        lost = `the lease is held by ${this.observedHolder ?? 'another replica'}`;
        break;
      }
      if (mono() - lastRenew >= this.renewDeadlineMs) {
        lost = 'renew deadline exceeded';
        break;
      }
    }

    this.leading = false;
    leaderAbort.abort(new Error(lost ? `leadership lost: ${lost}` : 'leader election stopped'));
    if (lost) {
      this.log?.warn({ lease: this.leaseName(), identity: this.o.identity, cause: lost }, 'lost leadership');
      try {
        this.o.onStoppedLeading?.();
      } catch (e) {
        this.log?.error(errFields(e), 'onStoppedLeading failed');
      }
      return;
    }
    await this.release();
  }

  /**
   * The wait before the next acquire attempt: at most a retry period (jittered downwards,
   * so standbys spread out yet a takeover stays within leaseDuration + retryPeriod), and
   * no later than the moment the observed lease expires.
   */
  private acquireDelay(): number {
    let d = this.acquireJitter.delay(1);
    const spec = this.lease?.spec;
    if (spec?.holderIdentity && spec.holderIdentity !== this.o.identity) {
      const expiresIn = this.observedAt + this.durationMsOf(spec) - mono();
      d = Math.min(d, Math.max(0, expiresIn) + 10);
    }
    return d;
  }

  private durationMsOf(spec: LeaseSpec): number {
    const s = spec.leaseDurationSeconds;
    return typeof s === 'number' && s > 0 ? s * 1000 : this.leaseMs;
  }

  /** `own`: the record is our own write (no "new leader" log for it). */
  private observe(lease: Lease, at: number, own = false): void {
    this.lease = lease;
    const key = recordKey(lease.spec);
    if (key !== this.observedKey) {
      this.observedKey = key;
      this.observedAt = at;
    }
    const holder = lease.spec?.holderIdentity ?? '';
    if (holder !== this.observedHolder) {
      this.observedHolder = holder;
      if (!own && holder !== this.o.identity) {
        this.log?.info({ lease: this.leaseName(), leader: holder || '(none)' }, 'observed new leader');
      }
      try {
        this.o.onNewLeader?.(holder);
      } catch (e) {
        this.log?.error(errFields(e), 'onNewLeader failed');
      }
    }
  }

  private body(base: Lease | undefined, spec: LeaseSpec): Lease {
    const meta = base?.metadata ?? {};
    return {
      apiVersion: apiVersionOf(LEASES),
      kind: LEASES.kind,
      // managedFields are the server's bookkeeping: a PUT must not overwrite them.
      metadata: { ...meta, name: this.ref.name, namespace: this.ref.namespace, managedFields: undefined },
      spec,
    };
  }

  private renewedSpec(old: LeaseSpec | undefined, now: Date): LeaseSpec {
    const s = old ?? {};
    const t = microTime(now);
    const mine = (s.holderIdentity ?? '') === this.o.identity;
    return {
      ...s,
      holderIdentity: this.o.identity,
      leaseDurationSeconds: Math.round(this.leaseMs / 1000),
      acquireTime: mine && s.acquireTime ? s.acquireTime : t,
      renewTime: t,
      leaseTransitions: mine ? (s.leaseTransitions ?? 0) : (s.leaseTransitions ?? 0) + 1,
    };
  }

  private async tryAcquireOrRenew(stop: AbortSignal, timeoutMs: number): Promise<Attempt> {
    const at = mono();
    const now = new Date();
    const signal = AbortSignal.any([stop, AbortSignal.timeout(Math.max(1, Math.ceil(timeoutMs)))]);
    const api = this.o.api;

    // Fast path for the leader: write over the lease it last wrote, no read.
    if (this.leading && this.lease) {
      try {
        const res = await api.replace<Lease>(
          this.ref,
          this.body(this.lease, this.renewedSpec(this.lease.spec, now)),
          signal,
        );
        this.observe(res, at);
        return 'ok';
      } catch (e) {
        if (stop.aborted) return 'failed';
        this.log?.debug(
          { lease: this.leaseName(), ...errFields(e) },
          'optimistic lease renewal failed; re-reading',
        );
      }
    }

    let lease: Lease;
    try {
      lease = await api.get<Lease>(this.ref, signal);
    } catch (e) {
      if (isKubeApiError(e) && e.notFound) return this.create(now, at, signal);
      if (!stop.aborted)
        this.log?.warn({ lease: this.leaseName(), ...errFields(e) }, 'reading the lease failed');
      return 'failed';
    }
    this.observe(lease, at);
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    if (holder && holder !== this.o.identity && this.observedAt + this.durationMsOf(spec) > at) return 'held';

    try {
      const res = await api.replace<Lease>(this.ref, this.body(lease, this.renewedSpec(spec, now)), signal);
      this.observe(res, at);
      return 'ok';
    } catch (e) {
      if (stop.aborted) return 'failed';
      if (isKubeApiError(e) && e.conflict) {
        this.log?.debug(
          { lease: this.leaseName() },
          'lease changed concurrently; another replica won this round',
        );
      } else {
        this.log?.warn({ lease: this.leaseName(), ...errFields(e) }, 'updating the lease failed');
      }
      return 'failed';
    }
  }

  private async create(now: Date, at: number, signal: AbortSignal): Promise<Attempt> {
    const t = microTime(now);
    const spec: LeaseSpec = {
      holderIdentity: this.o.identity,
      leaseDurationSeconds: Math.round(this.leaseMs / 1000),
      acquireTime: t,
      renewTime: t,
      leaseTransitions: 0,
    };
    try {
      const res = await this.o.api.create<Lease>(this.ref, this.body(undefined, spec), signal);
      this.observe(res, at);
      return 'ok';
    } catch (e) {
      if (!(isKubeApiError(e) && e.conflict) && !signal.aborted) {
        this.log?.warn({ lease: this.leaseName(), ...errFields(e) }, 'creating the lease failed');
      }
      return 'failed';
    }
  }

  /** Hands the lease over at once: no holder, 1 s duration (as client-go's ReleaseOnCancel). */
  private async release(): Promise<void> {
    const signal = AbortSignal.timeout(Math.ceil(Math.min(this.renewDeadlineMs, 5_000)));
    let base = this.lease;
    for (let i = 0; i < 2 && base; i++) {
      if ((base.spec?.holderIdentity ?? '') !== this.o.identity) return;
      const t = microTime(new Date());
      const spec: LeaseSpec = {
        ...base.spec,
        holderIdentity: '',
        leaseDurationSeconds: 1,
        acquireTime: t,
        renewTime: t,
        leaseTransitions: base.spec?.leaseTransitions ?? 0,
      };
      try {
        const res = await this.o.api.replace<Lease>(this.ref, this.body(base, spec), signal);
        this.observe(res, mono(), true);
        this.log?.info({ lease: this.leaseName(), identity: this.o.identity }, 'released leadership');
        return;
      } catch (e) {
        if (isKubeApiError(e) && e.conflict && i === 0) {
          // Our cached copy is stale (a renewal raced with stop): re-read and release if still ours.
          try {
            base = await this.o.api.get<Lease>(this.ref, signal);
            continue;
          } catch {
            return;
          }
        }
        this.log?.warn(
          { lease: this.leaseName(), ...errFields(e) },
          'releasing the lease failed; it expires on its own',
        );
        return;
      }
    }
  }
}
