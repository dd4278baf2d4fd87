// Sharding across replicas (docs/OPERATIONS.md, "Sharding"): the names on objects and Leases,
// and the ring that maps a namespace to the replica that owns it.
//
// Rendezvous (highest random weight) hashing over buckets: a namespace falls in one of 1,024
// fixed buckets (a hash of its name), and each bucket goes to the member with the highest score
// of hash(member, bucket). A member that joins takes only the buckets it now scores highest on,
// a member that leaves gives only its own to the others; nothing else moves, and every replica
// that knows the member list computes the same owner. The bucket, not the namespace, is the
// unit so that the managed Secrets can carry it as a label that never changes: a replica then
// watches only its buckets' Secrets (a label selector), and a move rewrites none of them.

import { hash32, mix32 } from '../runtime/time/hash.js';

/** On ExternalSecrets and PushSecrets: the replica that reconciles the object (its shard name). */
export const SHARD_LABEL = 'sharding.syncret.io/shard';
/**
 * On the managed Secrets of a sharded operator: their namespace's bucket, fixed for the life of
 * the namespace, so that each replica's Secret watch selects its own buckets.
 */
export const BUCKET_LABEL = 'sharding.syncret.io/bucket';
/** The number of buckets; changing it would relabel every managed Secret. */
export const BUCKETS = 1024;
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

const bucketIndex = (namespace: string): number => hash32(`bucket\u0000${namespace}`) % BUCKETS;
const bucketLabel = (index: number): string => index.toString(16).padStart(3, '0');

/** The bucket of `namespace`, as its label value: three hex digits, `000` to `3ff`. */
export function bucketOf(namespace: string): string {
  return bucketLabel(bucketIndex(namespace));
}

/**
 * The member that owns bucket `index` (undefined when there are none). The score mixes the
 * member's hash with the index rather than hashing their concatenation: with one-letter names
 * that left a member 2.9 standard deviations short of its share of 1,024 buckets (1.3 so).
 */
function ownerOfBucket(index: number, members: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  const salt = Math.imul(index + 1, 0x9e3779b9);
  for (const m of members) {
    const score = mix32(hash32(m) ^ salt);
    // Ties (rare) go to the smaller name, so every replica agrees.
    if (score > bestScore || (score === bestScore && best !== undefined && m < best)) {
      best = m;
      bestScore = score;
    }
  }
  return best;
}

/** The member that owns `namespace` (undefined when there are none). */
export function ownerOf(namespace: string, members: readonly string[]): string | undefined {
  return ownerOfBucket(bucketIndex(namespace), members);
}

/** One published assignment: the members of an epoch, and the owner of each bucket. */
export class Ring {
  /** The owner of each bucket by index (empty without members). */
  private readonly owners: string[] = [];
  readonly members: readonly string[];

  constructor(
    readonly epoch: number,
    members: readonly string[],
  ) {
    this.members = [...new Set(members)].sort();
    if (this.members.length === 0) return;
    for (let b = 0; b < BUCKETS; b++) this.owners.push(ownerOfBucket(b, this.members)!);
  }

  ownerOf(namespace: string): string | undefined {
    return this.owners[bucketIndex(namespace)];
  }

  /** The buckets `member` owns, as label values, in order. */
  bucketsOf(member: string): string[] {
    const out: string[] = [];
    this.owners.forEach((owner, b) => owner === member && out.push(bucketLabel(b)));
    return out;
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
