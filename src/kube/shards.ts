// Sharding across replicas (docs/OPERATIONS.md, "Sharding"): the names on objects and Leases,
// and the ring that maps a namespace to the replica that owns it.
//
// Rendezvous (highest random weight) hashing: each namespace goes to the member with the
// highest score of hash(member, namespace). A member that joins takes only the namespaces it
// now scores highest on, a member that leaves gives only its own to the others; nothing else
// moves, and every replica that knows the member list computes the same owner.

import { hash32 } from '../runtime/time/hash.js';

/** On ExternalSecrets and PushSecrets: the replica that reconciles the object (its shard name). */
export const SHARD_LABEL = 'sharding.syncret.io/shard';
/** On a labelled object: the assignment epoch the label was written under. */
export const SHARD_EPOCH_ANNOTATION = 'sharding.syncret.io/epoch';
/** On the assignment Lease: the epoch and its members (shard names, comma-separated). */
export const ASSIGNMENT_EPOCH_ANNOTATION = 'sharding.syncret.io/epoch';
export const ASSIGNMENT_MEMBERS_ANNOTATION = 'sharding.syncret.io/members';
/** On a member Lease: the last epoch whose moved objects this replica stopped and finished. */
export const DRAINED_ANNOTATION = 'sharding.syncret.io/drained';
/** On every sharding Lease: the group (the leader election id), and the Lease's role. */
export const GROUP_LABEL = 'sharding.syncret.io/group';
export const ROLE_LABEL = 'sharding.syncret.io/role';

/** The Syncret-owned keys: never copied to a Secret, never a reason to sync again. */
export function isShardKey(key: string): boolean {
  return key.startsWith('sharding.syncret.io/');
}

/** `m` without the sharding keys (the same object when it has none). */
export function withoutShardKeys(m: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!m) return m;
  let found = false;
  for (const k in m) if (isShardKey(k)) found = true;
  if (!found) return m;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m)) if (!isShardKey(k)) out[k] = v;
  return out;
}

const LABEL_VALUE = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/**
 * A replica's shard name: its identity when that is a valid label value (a Pod name is),
 * otherwise a stable digest of it.
 */
export function shardName(identity: string): string {
  if (LABEL_VALUE.test(identity)) return identity;
  return `r-${hash32(identity).toString(16)}-${hash32(`${identity}#`).toString(16)}`;
}

/** A DNS-subdomain-safe suffix for the member Lease of `shard`. */
export function memberLeaseSuffix(shard: string): string {
  return `${hash32(shard).toString(16).padStart(8, '0')}${hash32(`#${shard}`).toString(16).padStart(8, '0')}`;
}

/** The member that owns `namespace` (undefined when there are none). */
export function ownerOf(namespace: string, members: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const m of members) {
    const score = hash32(`${m}\u0000${namespace}`);
    // Ties (rare) go to the smaller name, so every replica agrees.
    if (score > bestScore || (score === bestScore && best !== undefined && m < best)) {
      best = m;
      bestScore = score;
    }
  }
  return best;
}

/** One published assignment: the members of an epoch, and the owner of each namespace (memoized). */
export class Ring {
  private readonly owners = new Map<string, string | undefined>();
  readonly members: readonly string[];

  constructor(
    readonly epoch: number,
    members: readonly string[],
  ) {
    this.members = [...new Set(members)].sort();
  }

  ownerOf(namespace: string): string | undefined {
    let o = this.owners.get(namespace);
    if (o === undefined && !this.owners.has(namespace)) {
      o = ownerOf(namespace, this.members);
      this.owners.set(namespace, o);
    }
    return o;
  }
}

/** The members annotation as a list. */
export function parseMembers(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** The epoch an annotation holds (0: none or unreadable). */
export function parseEpoch(v: string | undefined): number {
  const n = Number(v);
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}
