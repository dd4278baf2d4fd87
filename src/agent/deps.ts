// The agent's dependencies: every `secret` / `secrets` / `pkiCert` call its templates make,
// fetched once and shared by all templates (two files reading database/creds/app hold the same
// credentials, as with Vault Agent), then kept fresh:
// - static values (KV reads, store keys) are read again on the refresh interval;
// - leased values are renewed at 2/3 of their lease (the generators' rule); a lease Vault will
//   not extend enough (its max TTL is near) or cannot renew is replaced by a fresh fetch;
// - certificates (pkiCert, a PKI issue without a lease) are issued again at 2/3 of their life.
// Nothing here logs or throws a value: errors are the providers' (keys and paths only).

import { ProviderError } from '../providers/errors.js';
import type { DependencyRef, Fetched, Source } from './sources.js';

/** Renewals, re-issues and reads wait at least this long apart: a zero TTL must not spin. */
export const MIN_RENEW_MS = 1000;
const FETCH_CONCURRENCY = 8;

export interface Dependency {
  ref: DependencyRef;
  fetched: Fetched;
  fetchedAt: number;
  /** When to renew (leases) or fetch again (certificates); undefined for static values. */
  renewAt?: number;
  /** Read again before the next use. */
  stale: boolean;
}

export const depKey = (ref: DependencyRef): string => JSON.stringify([ref.fn, ref.path, ...ref.args]);

export interface Sources {
  /** Serves secrets and pkiCert, and secret when there is no store. */
  vault?: Source;
  /** Serves secret (a store's key). */
  store?: Source;
}

function twoThirds(from: number, until: number): number {
  return from + Math.max(MIN_RENEW_MS, Math.floor(((until - from) * 2) / 3));
}

export class Dependencies {
  private readonly entries = new Map<string, Dependency>();

  constructor(
    private readonly sources: Sources,
    private readonly now: () => number = Date.now,
  ) {}

  private sourceFor(ref: DependencyRef): Source {
    const s = ref.fn === 'secret' ? (this.sources.store ?? this.sources.vault) : this.sources.vault;
    if (!s)
      throw new ProviderError(
        'InvalidProviderConfig',
        `${ref.fn} "${ref.path}": the agent has no ${ref.fn === 'secret' ? 'Vault or store' : 'Vault'} source configured`,
      );
    return s;
  }

  /** The current value of a dependency; undefined when it must be fetched first. */
  get(ref: DependencyRef): Fetched | undefined {
    const e = this.entries.get(depKey(ref));
    return e && !e.stale ? e.fetched : undefined;
  }

  all(): Dependency[] {
    return [...this.entries.values()];
  }

  /** Fetches the given dependencies (each once), in parallel; throws the first failure. */
  async fetch(refs: DependencyRef[]): Promise<void> {
    for (const e of (await this.fetchSettled(refs)).values()) throw e;
  }

  /** Fetches the given dependencies (each once), in parallel; returns the failures by depKey. */
  async fetchSettled(refs: DependencyRef[]): Promise<Map<string, unknown>> {
    const unique = new Map(refs.map((r) => [depKey(r), r]));
    const list = [...unique.entries()];
    const errors = new Map<string, unknown>();
    let i = 0;
    const worker = async (): Promise<void> => {
      while (i < list.length) {
        const [key, ref] = list[i++]!;
        try {
          await this.fetchOne(ref);
        } catch (e) {
          errors.set(key, e);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(FETCH_CONCURRENCY, list.length) }, worker));
    return errors;
  }

  private async fetchOne(ref: DependencyRef): Promise<void> {
    const at = this.now();
    const fetched = await this.sourceFor(ref).fetch(ref, at);
    const dep: Dependency = { ref, fetched, fetchedAt: at, stale: false };
    if (fetched.expiresAt !== undefined) dep.renewAt = twoThirds(at, fetched.expiresAt);
    this.entries.set(depKey(ref), dep);
  }

  /** The refresh interval passed: static values are read again at their next use. */
  markStaticStale(): void {
    for (const e of this.entries.values()) if (e.renewAt === undefined) e.stale = true;
  }

  /** When the next renewal or re-issue is due; undefined when nothing has a lifetime. */
  nextDue(): number | undefined {
    let next: number | undefined;
    for (const e of this.entries.values())
      if (e.renewAt !== undefined && !e.stale && (next === undefined || e.renewAt < next)) next = e.renewAt;
    return next;
  }

  /**
   * Renews the leases that are due; one Vault will not extend by at least half its first
   * duration, or cannot renew, is marked stale (fetched again, so the files change). Certificates
   * that are due are marked stale. Returns the paths renewed and the paths to fetch again.
   */
  async maintain(): Promise<{ renewed: string[]; replaced: string[] }> {
    const now = this.now();
    const out = { renewed: [] as string[], replaced: [] as string[] };
    for (const e of this.entries.values()) {
      if (e.stale || e.renewAt === undefined || now < e.renewAt) continue;
      const lease = e.fetched.lease;
      const source = this.sourceFor(e.ref);
      if (lease?.renewable && source.renew) {
        try {
          const r = await source.renew(lease.id, lease.durationS);
          if (r.durationS * 2 >= lease.durationS) {
            e.fetched.expiresAt = now + r.durationS * 1000;
            e.renewAt = twoThirds(now, e.fetched.expiresAt);
            out.renewed.push(e.ref.path);
            continue;
          }
        } catch {
          // A lease that cannot be renewed (expired, revoked) is replaced.
        }
      }
      e.stale = true;
      out.replaced.push(e.ref.path);
    }
    return out;
  }

  /** Forgets the dependencies not in `used` (a template stopped calling them); returns their leases. */
  prune(used: Set<string>): string[] {
    const dropped: string[] = [];
    for (const [k, e] of this.entries) {
      if (used.has(k)) continue;
      this.entries.delete(k);
      if (e.fetched.lease) dropped.push(e.fetched.lease.id);
    }
    return dropped;
  }

  /** Every string a dependency holds: what error messages must never show. */
  values(): string[] {
    const out: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === 'string') out.push(v);
      else if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    };
    for (const e of this.entries.values()) walk(e.fetched.secret);
    return out;
  }

  /** Revokes every lease still held (sidecar stop); best effort, returns how many were revoked. */
  async revokeAll(leaseIDs?: string[]): Promise<number> {
    const source = this.sources.vault;
    if (!source?.revoke) return 0;
    const ids =
      leaseIDs ?? [...this.entries.values()].flatMap((e) => (e.fetched.lease ? [e.fetched.lease.id] : []));
    let n = 0;
    await Promise.all(
      ids.map(async (id) => {
        try {
          await source.revoke!(id);
          n++;
        } catch {
          // It expires at its TTL anyway.
        }
      }),
    );
    return n;
  }
}
