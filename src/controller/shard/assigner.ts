// The assigner (docs/OPERATIONS.md, "Sharding"): run by the one replica that holds the leader
// election Lease. It publishes the assignment (an epoch and its members: the replicas whose
// member Lease is alive) on the assignment Lease, and writes the shard label of every sharded
// object, as the ring of the published epoch says:
//  - an object without the label (new) gets it at once (a watch of unlabelled objects only);
//  - an object labelled for a replica that is gone (no live Lease, not a member) moves at once;
//  - an object labelled for a live member moves only after that member drained the epoch
//    (its Lease says so): it stopped the object and finished its runs, so no two replicas ever
//    run one object at once.
// It holds no copy of the sharded objects: the unlabelled ones only, as names, and one LIST per
// member (by label) after each change of the membership.

import type { KubeObject } from '../../api/types.js';
import type { Lease } from '../../kube/leader.js';
import { microTime } from '../../kube/leader.js';
import { ASSIGNMENT_ROLE, assignmentLeaseName } from '../../kube/membership.js';
import type { MembershipView } from '../../kube/membership.js';
import { LEASES, apiVersionOf } from '../../kube/resources.js';
import {
  ASSIGNMENT_EPOCH_ANNOTATION,
  ASSIGNMENT_MEMBERS_ANNOTATION,
  GROUP_LABEL,
  ROLE_LABEL,
  Ring,
  SHARD_EPOCH_ANNOTATION,
  SHARD_LABEL,
} from '../../kube/shards.js';
import { isKubeApiError } from '../../kube/types.js';
import type { KubeApi, KubeLogger, ResourceType } from '../../kube/types.js';
import { ObjectCache } from '../../runtime/cache.js';
import { eachLimited } from '../../runtime/limited.js';
import { Reflector, storeKey } from '../../runtime/watch.js';

export interface AssignerOptions {
  api: KubeApi;
  /** Where the Leases live (the leader election namespace). */
  namespace: string;
  group: string;
  /** The assigner's identity, on the assignment Lease. */
  identity: string;
  /** The sharded kinds (ExternalSecrets, PushSecrets). */
  kinds: readonly ResourceType[];
  /** The operator's namespace scopes (empty: all). */
  namespaces: readonly string[];
  logger?: KubeLogger;
  /** Each label written (a move or a first assignment). */
  onRelabel?: (kind: string, first: boolean) => void;
}

/**
 * Label writes at once: one merge patch per moved object, and on a loaded apiserver each takes
 * up to a second (measured: 28 to 35 a second with 32 at once on the 2-core test machine).
 */
const RELABEL_CONCURRENCY = 32;
const PAGE = 500;

/** Only what a label write needs: the object's identity and its current shard. */
function slim(o: KubeObject): KubeObject {
  const shard = o.metadata.labels?.[SHARD_LABEL];
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: {
      name: o.metadata.name,
      namespace: o.metadata.namespace,
      resourceVersion: o.metadata.resourceVersion,
      ...(shard ? { labels: { [SHARD_LABEL]: shard } } : {}),
    },
  };
}

const labelledKey = (type: ResourceType, o: KubeObject): string => `${type.resource}/${storeKey(o)}`;

export class Assigner {
  private readonly unlabelled = new Map<string, ObjectCache<KubeObject>>();
  /**
   * `resource/namespace/name` → the resourceVersion an unlabelled object had when its label was
   * written: until the watch drops it from the unlabelled cache, later passes (a burst of
   * creates starts many) leave it alone instead of writing the same label again.
   */
  private readonly labelled = new Map<string, string>();
  private view?: MembershipView;
  /** `epoch/kind/member` (and `epoch/kind/*` for the orphans) whose LIST found nothing left to move. */
  private readonly scanned = new Set<string>();
  private passing = false;
  private again = false;
  private soon?: ReturnType<typeof setTimeout>;
  private stopped = false;

  constructor(private readonly o: AssignerOptions) {
    const scopes = o.namespaces.length > 0 ? o.namespaces : [undefined];
    for (const type of o.kinds) {
      const cache = new ObjectCache<KubeObject>(
        scopes.map(
          (namespace) =>
            new Reflector<KubeObject>({
              api: o.api,
              type,
              namespace,
              labelSelector: `!${SHARD_LABEL}`,
              transform: slim,
              logger: o.logger,
            }),
        ),
      );
      cache.onAdd(() => this.schedule());
      cache.onDelete((obj) => this.labelled.delete(labelledKey(type, obj)));
      this.unlabelled.set(type.resource, cache);
    }
  }

  start(): void {
    for (const c of this.unlabelled.values()) c.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.soon);
    await Promise.all([...this.unlabelled.values()].map((c) => c.stop()));
  }

  /** Each membership view (every retry period): publish a new epoch or move what may move. */
  observe(view: MembershipView): void {
    this.view = view;
    this.schedule(0);
  }

  /** Coalesces a burst of new objects into one pass. */
  private schedule(delayMs = 20): void {
    if (this.soon || this.stopped) return;
    this.soon = setTimeout(() => {
      this.soon = undefined;
      void this.pass();
    }, delayMs);
  }

  private async pass(): Promise<void> {
    if (this.passing) {
      this.again = true;
      return;
    }
    this.passing = true;
    try {
      do {
        this.again = false;
        await this.once();
      } while (this.again && !this.stopped);
    } catch (e) {
      this.o.logger?.warn(
        { error: e instanceof Error ? e.message : String(e) },
        'shard assignment pass failed',
      );
    } finally {
      this.passing = false;
    }
  }

  private async once(): Promise<void> {
    const view = this.view;
    if (!view || this.stopped) return;
    const live = [...view.live.keys()].sort();
    const a = view.assignment;
    if (live.length > 0 && live.join(',') !== [...a.members].sort().join(',')) {
      await this.publish(view, live);
      return;
    }
    if (a.epoch === 0 || a.members.length === 0) return;
    const ring = new Ring(a.epoch, a.members);
    for (const type of this.o.kinds) {
      await this.labelNew(type, ring);
      await this.scan(type, ring, '*', `${SHARD_LABEL},${SHARD_LABEL} notin (${ring.members.join(',')})`);
      for (const m of ring.members) {
        // A live member lets its objects go only once it drained this epoch.
        if ((view.live.get(m)?.drained ?? 0) < ring.epoch) continue;
        await this.scan(type, ring, m, `${SHARD_LABEL}=${m}`);
      }
    }
  }

  /** A new epoch: the live members. Epochs only grow, also past a deleted assignment Lease. */
  private async publish(view: MembershipView, live: string[]): Promise<void> {
    const prev = view.assignment;
    const epoch = Math.max(prev.epoch + 1, Math.floor(Date.now() / 1000));
    const t = microTime(new Date());
    const meta = prev.lease?.metadata ?? {};
    const body: Lease = {
      apiVersion: apiVersionOf(LEASES),
      kind: LEASES.kind,
      metadata: {
        ...meta,
        managedFields: undefined,
        name: assignmentLeaseName(this.o.group),
        namespace: this.o.namespace,
        labels: { ...meta.labels, [GROUP_LABEL]: this.o.group, [ROLE_LABEL]: ASSIGNMENT_ROLE },
        annotations: {
          ...meta.annotations,
          [ASSIGNMENT_EPOCH_ANNOTATION]: String(epoch),
          [ASSIGNMENT_MEMBERS_ANNOTATION]: live.join(','),
        },
      },
      spec: {
        holderIdentity: this.o.identity,
        renewTime: t,
        acquireTime: prev.lease?.spec?.acquireTime ?? t,
      },
    };
    const ref = { type: LEASES, namespace: this.o.namespace, name: assignmentLeaseName(this.o.group) };
    const res = prev.lease
      ? await this.o.api.replace<Lease>(ref, body, AbortSignal.timeout(10_000))
      : await this.o.api.create<Lease>(ref, body, AbortSignal.timeout(10_000));
    // The replicas read it on their next list; so does this one's own next view.
    view.assignment = { epoch, members: live, lease: res };
    this.o.logger?.info({ epoch, members: live }, 'published a shard assignment');
    this.again = true;
  }

  private async labelNew(type: ResourceType, ring: Ring): Promise<void> {
    const cache = this.unlabelled.get(type.resource);
    if (!cache?.hasSynced()) return;
    const items = [...cache.keys()]
      .map((k) => cache.get(k))
      .filter(
        (x): x is KubeObject => !!x && this.labelled.get(labelledKey(type, x)) !== x.metadata.resourceVersion,
      );
    await this.relabel(type, ring, items, true);
  }

  /** Moves what `selector` lists and the ring gives to another member; remembers a scan that left nothing. */
  private async scan(type: ResourceType, ring: Ring, who: string, selector: string): Promise<void> {
    const key = `${ring.epoch}/${type.resource}/${who}`;
    if (this.scanned.has(key)) return;
    const items: KubeObject[] = [];
    for (const namespace of this.o.namespaces.length > 0 ? this.o.namespaces : [undefined]) {
      let cont: string | undefined;
      do {
        const page = await this.o.api.list<KubeObject>(type, {
          namespace,
          labelSelector: selector,
          limit: PAGE,
          continue: cont,
        });
        for (const o of page.items) items.push(slim(o));
        cont = page.continue || undefined;
      } while (cont);
    }
    const moving = items.filter(
      (o) => ring.ownerOf(o.metadata.namespace ?? '') !== o.metadata.labels?.[SHARD_LABEL],
    );
    if (await this.relabel(type, ring, moving, false)) this.scanned.add(key);
    if (moving.length > 0)
      this.o.logger?.info(
        { epoch: ring.epoch, resource: type.resource, from: who, moved: moving.length },
        'moved objects to their new shards',
      );
  }

  /** Writes each object's owner; true when every write went through. */
  private async relabel(
    type: ResourceType,
    ring: Ring,
    items: KubeObject[],
    first: boolean,
  ): Promise<boolean> {
    let ok = true;
    await eachLimited(items, RELABEL_CONCURRENCY, async (obj) => {
      const owner = ring.ownerOf(obj.metadata.namespace ?? '');
      if (!owner || this.stopped) return;
      const ref = { type, namespace: obj.metadata.namespace, name: obj.metadata.name };
      // Recorded before the write: the watch's delete (the object leaves `!label`) may come
      // before the answer, and must find the entry to remove it.
      const key = labelledKey(type, obj);
      if (first && obj.metadata.resourceVersion) this.labelled.set(key, obj.metadata.resourceVersion);
      try {
        await this.o.api.mergePatch(ref, {
          metadata: {
            labels: { [SHARD_LABEL]: owner },
            annotations: { [SHARD_EPOCH_ANNOTATION]: String(ring.epoch) },
          },
        });
        this.o.onRelabel?.(type.kind, first);
      } catch (e) {
        if (first) this.labelled.delete(key);
        // Deleted meanwhile: nothing to move. Anything else: the next pass retries.
        if (isKubeApiError(e) && e.notFound) return;
        ok = false;
        this.o.logger?.warn(
          {
            resource: type.resource,
            namespace: obj.metadata.namespace,
            name: obj.metadata.name,
            error: String(e),
          },
          'writing the shard label failed',
        );
      }
    });
    return ok;
  }
}
