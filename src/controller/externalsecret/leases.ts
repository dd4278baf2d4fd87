// The lifecycle of generator leases (VaultDynamicSecret), from the ExternalSecret's status:
// status.generatorLeases is the source of truth, so an operator restart resumes renewing the
// credentials the Secret already holds instead of issuing new ones.
//
// - renewable leases are renewed at 2/3 of their current grant, asking for the original TTL;
// - a renewal that grants less than asked means the max TTL is near: new credentials are issued
//   and written, then the old lease is revoked (the old credentials keep working until then);
// - results without a renewable lease (PKI certificates) are re-issued at 2/3 of their lifetime;
// - a lease Vault no longer knows (revoked, its token gone) or one that expired is replaced;
// - a revokeOnly lease (a GitLab deploy token, a Grafana token) has no lifecycle here: it only
//   names what to delete once its values are replaced or the ExternalSecret goes.

import type { GeneratorLease } from '../../api/types.js';
import { ProviderError } from '../../providers/errors.js';
import type { GeneratorAccess } from '../generator/access.js';

export const RENEW_FRACTION = 2 / 3;
/** A lease is replaced this long before it expires at the latest (requests in flight, skew). */
export const EXPIRY_MARGIN_MS = 1000;

export interface LeasePlan {
  /** Why new values must be issued now; undefined when the current ones stay. */
  rotate?: string;
  /** Leases to renew now. */
  renew: GeneratorLease[];
  /** When the next action is due (ms since epoch). */
  nextAt?: number;
}

const label = (l: GeneratorLease): string => `${l.source} (${l.kind} "${l.name}")`;

function times(l: GeneratorLease): { base: number; expire: number } {
  return { base: Date.parse(l.renewTime ?? l.issueTime), expire: Date.parse(l.expireTime) };
}

export function planLeases(leases: GeneratorLease[], now: number): LeasePlan {
  const plan: LeasePlan = { renew: [] };
  const due = (at: number) => {
    plan.nextAt = plan.nextAt === undefined ? at : Math.min(plan.nextAt, at);
  };
  for (const l of leases) {
    // Nothing to renew or rotate: the values follow refreshInterval.
    if (l.revokeOnly) continue;
    const { base, expire } = times(l);
    if (!Number.isFinite(base) || !Number.isFinite(expire)) {
      plan.rotate ??= `status of ${label(l)} is unreadable`;
      continue;
    }
    if (now >= expire - EXPIRY_MARGIN_MS) {
      plan.rotate ??= `${label(l)} has expired`;
      continue;
    }
    const at = base + (expire - base) * RENEW_FRACTION;
    const capped = l.leaseID !== '' && l.renewable && expire - base < l.leaseDuration * 1000 - 1000;
    if (!l.leaseID || !l.renewable || capped) {
      if (now >= at || capped)
        plan.rotate ??= capped
          ? `${label(l)} reached its max TTL`
          : `${label(l)} passed 2/3 of its lifetime and cannot be renewed`;
      else due(at);
      continue;
    }
    if (now >= at) plan.renew.push(l);
    else due(at);
  }
  return plan;
}

export type LeaseStep =
  | { kind: 'rotate'; why: string }
  | { kind: 'keep'; leases: GeneratorLease[]; renewed: number; nextAt?: number }
  | { kind: 'error'; message: string; nextAt?: number };

const iso = (ms: number): string => new Date(ms).toISOString();

/** Renews what is due; says whether the values must be re-issued instead. */
export async function maintainLeases(
  leases: GeneratorLease[],
  namespace: string,
  generators: GeneratorAccess,
  now: () => number,
): Promise<LeaseStep> {
  const plan = planLeases(leases, now());
  if (plan.rotate) return { kind: 'rotate', why: plan.rotate };
  const out = [...leases];
  for (const l of plan.renew) {
    let granted: { leaseDuration: number; renewable: boolean };
    try {
      granted = await generators.renew(namespace, l);
    } catch (e) {
      if (!(e instanceof ProviderError)) throw e;
      // Vault answers 400 for a lease it no longer has (revoked, or its token expired).
      if (e.reason === 'InvalidRequest' || e.reason === 'NotFound')
        return { kind: 'rotate', why: `${label(l)} can no longer be renewed: ${e.message}` };
      const expire = Date.parse(l.expireTime);
      return {
        kind: 'error',
        message: `renewing the lease of ${label(l)} failed: ${e.message}`,
        nextAt: expire - EXPIRY_MARGIN_MS,
      };
    }
    if (granted.leaseDuration < l.leaseDuration)
      return {
        kind: 'rotate',
        why: `${label(l)} reached its max TTL (renewal granted ${granted.leaseDuration}s)`,
      };
    const t = now();
    out[out.indexOf(l)] = {
      ...l,
      renewable: granted.renewable,
      renewTime: iso(t),
      expireTime: iso(t + granted.leaseDuration * 1000),
    };
  }
  return { kind: 'keep', leases: out, renewed: plan.renew.length, nextAt: planLeases(out, now()).nextAt };
}

export { iso as leaseTime };
