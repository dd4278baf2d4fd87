// Objects decoded from watch events carry their own copy of every string: 10,000
// ExternalSecrets hold 10,000 copies of "external-secrets.io/v1", "SecretSynced", their store's
// name and so on. Interning the values that repeat across objects keeps one copy of each.

/** Past this many distinct values the table stops growing (unique values gain nothing). */
const MAX_ENTRIES = 16_384;
const MAX_LENGTH = 256;

export class Interner {
  private readonly table = new Map<string, string>();

  constructor(private readonly maxEntries = MAX_ENTRIES) {}

  get size(): number {
    return this.table.size;
  }

  str<T>(v: T): T {
    if (typeof v !== 'string' || v.length > MAX_LENGTH) return v;
    const hit = this.table.get(v);
    if (hit !== undefined) return hit as T;
    if (this.table.size < this.maxEntries) this.table.set(v, v);
    return v;
  }

  /** Interns every string in a JSON value (in place) and returns it. */
  deep<T>(v: T): T {
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) v[i] = this.deep(v[i]);
    } else if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) o[k] = this.deep(o[k]);
    } else return this.str(v);
    return v;
  }
}

interface Internable {
  apiVersion?: string;
  kind?: string;
  metadata: { namespace?: string };
  spec?: unknown;
  status?: { conditions?: unknown[]; syncedResourceVersion?: string };
}

/**
 * Interns the parts of a cached object that repeat across objects: its type, namespace, spec,
 * condition texts and an ExternalSecret's syncedResourceVersion (`<generation>-<hash of its
 * labels and annotations>`: the same for every ExternalSecret at generation 1 without labels).
 * Names, uids, resourceVersions and timestamps are unique per object and are left alone so
 * they do not fill the table.
 */
export function internObject<T extends Internable>(interner: Interner, o: T): T {
  o.apiVersion = interner.str(o.apiVersion);
  o.kind = interner.str(o.kind);
  o.metadata.namespace = interner.str(o.metadata.namespace);
  if (o.spec !== undefined) o.spec = interner.deep(o.spec);
  for (const c of o.status?.conditions ?? []) {
    if (c === null || typeof c !== 'object') continue;
    const cond = c as Record<string, unknown>;
    for (const k of ['type', 'status', 'reason', 'message']) if (k in cond) cond[k] = interner.str(cond[k]);
  }
  if (o.status?.syncedResourceVersion !== undefined)
    o.status.syncedResourceVersion = interner.str(o.status.syncedResourceVersion);
  return o;
}
