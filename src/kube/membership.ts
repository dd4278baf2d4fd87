// Shard membership on coordination.k8s.io/v1 Leases (docs/OPERATIONS.md, "Sharding"): each
// replica holds one Lease of its own and renews it every retry period; every replica lists the
// group's Leases (its members and the assignment) at the same pace. As in leader.ts, a Lease is
// alive while its record keeps changing as measured by OUR monotonic clock (never by comparing
// our clock with the renewTime another node wrote); a Lease whose holder is empty was released.
// A replica that could not renew its own Lease for the renew deadline stops (onLost), before
// the others may judge it gone and hand its share on.

import type { KubeObject } from '../api/types.js';
import type { Lease, LeaseSpec } from './leader.js';
import { microTime } from './leader.js';
import { LEASES, apiVersionOf } from './resources.js';
import {
  ASSIGNMENT_EPOCH_ANNOTATION,
  ASSIGNMENT_MEMBERS_ANNOTATION,
  DRAINED_ANNOTATION,
  GROUP_LABEL,
  ROLE_LABEL,
  memberLeaseSuffix,
  parseEpoch,
  parseMembers,
} from './shards.js';
import { isKubeApiError } from './types.js';
import type { KubeApi, KubeLogger, ObjectRef } from './types.js';
import { sleep } from '../runtime/time/sleep.js';

export interface MembershipOptions {
  api: KubeApi;
  namespace: string;
  /** The group: the leader election id; Lease names start with it. */
  group: string;
  /** This replica's shard name (shardName of its identity). */
  shard: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  /** Every list of the group's Leases, after this replica's own renewal. */
  onView: (view: MembershipView) => void;
  /** The own Lease could not be renewed for the renew deadline: stop reconciling at once. */
  onLost: () => void;
  logger?: KubeLogger;
}

export interface Member {
  shard: string;
  /** The last epoch this member drained (0: none). */
  drained: number;
}

export interface Assignment {
  epoch: number;
  members: string[];
  /** The Lease itself, for an optimistic replace by the assigner. */
  lease?: Lease;
}

export interface MembershipView {
  /** Members whose Lease is alive, by shard name. */
  live: Map<string, Member>;
  assignment: Assignment;
}

const mono = (): number => performance.now();

export const ASSIGNMENT_ROLE = 'assignment';
const MEMBER_ROLE = 'member';

export function assignmentLeaseName(group: string): string {
  return `${group}-shards`;
}

export class Membership {
  private readonly ref: ObjectRef;
  private own?: Lease;
  private drained = 0;
  private abort?: AbortController;
  private loop?: Promise<void>;
  /** Per Lease name: its last record and when (monotonic) it was seen to change. */
  private readonly seen = new Map<string, { rv: string; at: number }>();
  private wake?: () => void;

  constructor(private readonly o: MembershipOptions) {
    this.ref = { type: LEASES, namespace: o.namespace, name: `${o.group}-m-${memberLeaseSuffix(o.shard)}` };
  }

  start(): void {
    if (this.loop) return;
    const ac = new AbortController();
    this.abort = ac;
    this.loop = this.run(ac.signal);
  }

  /** Records that this replica drained `epoch`; the Lease says so at once. */
  ackDrained(epoch: number): void {
    if (epoch <= this.drained) return;
    this.drained = epoch;
    this.wake?.();
  }

  /** Stops renewing and deletes the own Lease: the assigner hands the share on at once. */
  async stop(): Promise<void> {
    this.abort?.abort(new Error('membership stopped'));
    await this.loop;
    this.loop = undefined;
    try {
      await this.o.api.delete(this.ref, { signal: AbortSignal.timeout(5_000) });
    } catch (e) {
      if (!(isKubeApiError(e) && e.notFound))
        this.o.logger?.warn({ lease: this.ref.name, error: String(e) }, 'deleting the member lease failed');
    }
  }

  private async run(signal: AbortSignal): Promise<void> {
    let lastRenew = mono();
    while (!signal.aborted) {
      const started = mono();
      // Each attempt may take what is left of the renew deadline (a loaded apiserver is slow).
      const left = this.o.renewDeadlineMs - (started - lastRenew);
      const ok = await this.renew(signal, left).catch((e: unknown) => {
        if (!signal.aborted)
          this.o.logger?.warn({ lease: this.ref.name, error: String(e) }, 'renewing the member lease failed');
        return false;
      });
      if (signal.aborted) return;
      if (ok) lastRenew = started;
      else if (mono() - lastRenew >= this.o.renewDeadlineMs) {
        this.o.logger?.error({ lease: this.ref.name }, 'member lease not renewed within the renew deadline');
        this.o.onLost();
        return;
      }
      await this.list(signal).catch((e: unknown) => {
        if (!signal.aborted) this.o.logger?.warn({ error: String(e) }, 'listing the shard leases failed');
      });
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        void sleep(this.o.retryPeriodMs, signal).then(resolve, resolve);
      });
      this.wake = undefined;
    }
  }

  private body(base: Lease | undefined): Lease {
    const t = microTime(new Date());
    const spec: LeaseSpec = {
      holderIdentity: this.o.shard,
      leaseDurationSeconds: Math.max(1, Math.round(this.o.leaseDurationMs / 1000)),
      acquireTime: base?.spec?.acquireTime ?? t,
      renewTime: t,
    };
    const meta = base?.metadata ?? {};
    return {
      apiVersion: apiVersionOf(LEASES),
      kind: LEASES.kind,
      metadata: {
        ...meta,
        managedFields: undefined,
        name: this.ref.name,
        namespace: this.ref.namespace,
        labels: { ...meta.labels, [GROUP_LABEL]: this.o.group, [ROLE_LABEL]: MEMBER_ROLE },
        annotations: { ...meta.annotations, [DRAINED_ANNOTATION]: String(this.drained) },
      },
      spec,
    };
  }

  private async renew(stop: AbortSignal, timeoutMs: number): Promise<boolean> {
    const signal = AbortSignal.any([stop, AbortSignal.timeout(Math.max(500, Math.ceil(timeoutMs)))]);
    const api = this.o.api;
    if (this.own) {
      try {
        this.own = await api.replace<Lease>(this.ref, this.body(this.own), signal);
        return true;
      } catch (e) {
        if (!(isKubeApiError(e) && (e.conflict || e.notFound))) throw e;
      }
    }
    try {
      const cur = await api.get<Lease>(this.ref, signal);
      this.own = await api.replace<Lease>(this.ref, this.body(cur), signal);
    } catch (e) {
      if (!(isKubeApiError(e) && e.notFound)) throw e;
      this.own = await api.create<Lease>(this.ref, this.body(undefined), signal);
    }
    return true;
  }

  private async list(signal: AbortSignal): Promise<void> {
    const at = mono();
    const res = await this.o.api.list<Lease>(LEASES, {
      namespace: this.o.namespace,
      labelSelector: `${GROUP_LABEL}=${this.o.group}`,
      signal,
    });
    const live = new Map<string, Member>();
    let assignment: Assignment = { epoch: 0, members: [] };
    const names = new Set<string>();
    for (const l of res.items) {
      const name = l.metadata.name ?? '';
      names.add(name);
      const role = l.metadata.labels?.[ROLE_LABEL];
      if (role === ASSIGNMENT_ROLE && name === assignmentLeaseName(this.o.group)) {
        assignment = {
          epoch: parseEpoch(l.metadata.annotations?.[ASSIGNMENT_EPOCH_ANNOTATION]),
          members: parseMembers(l.metadata.annotations?.[ASSIGNMENT_MEMBERS_ANNOTATION]),
          lease: l,
        };
        continue;
      }
      if (role !== MEMBER_ROLE) continue;
      const shard = l.spec?.holderIdentity ?? '';
      if (!shard) continue;
      if (this.alive(name, l, at) || name === this.ref.name)
        live.set(shard, { shard, drained: parseEpoch(l.metadata.annotations?.[DRAINED_ANNOTATION]) });
    }
    for (const n of this.seen.keys()) if (!names.has(n)) this.seen.delete(n);
    this.o.onView({ live, assignment });
  }

  /** Alive: the record changed within its lease duration, by our clock. */
  private alive(name: string, l: KubeObject & { spec?: LeaseSpec }, at: number): boolean {
    const rv = l.metadata.resourceVersion ?? '';
    const prev = this.seen.get(name);
    if (!prev || prev.rv !== rv) this.seen.set(name, { rv, at });
    const since = this.seen.get(name)?.at ?? at;
    const s = l.spec?.leaseDurationSeconds;
    const durationMs = typeof s === 'number' && s > 0 ? s * 1000 : this.o.leaseDurationMs;
    return at - since < durationMs;
  }
}
