// Kubernetes Events (core/v1) about ExternalSecrets and stores, as `kubectl describe` shows them.
//
// Modelled on client-go's EventCorrelator, simplified:
// - Aggregation: a repeat of the same (object uid, type, reason, message) seen within
//   AGGREGATE_WINDOW of its last sighting bumps `count` and `lastTimestamp` of the existing Event
//   with a merge patch instead of creating a new one. If that Event is gone (the apiserver's
//   event TTL, 1 h by default), a new one is created.
// - Spam filter: a token bucket per involved object (burst 10, one token back every 5 minutes,
//   like client-go's EventSourceObjectSpamFilter with a smaller burst). It applies to patches as
//   well; occurrences dropped while an Event exists are still counted locally, so the next patch
//   carries the true count.
// - Delivery is fire and forget: record() only enqueues; a few serial lanes (an object always
//   maps to the same lane, so its create always precedes its patches) drain a bounded queue.
//   Nothing here throws to the caller or blocks a reconcile; failures are logged at debug.
// - Events yield to Secret and status writes: while `busy()` says the reconciles are under load
//   (a burst of new objects, a restart), sending waits, up to maxDeferMs per Event. An Event
//   keeps the time it was recorded, so `kubectl describe` still shows when things happened.
//   A Normal Event still waiting when its maxDeferMs runs out with the reconciles still backed up
//   is dropped (why="backlog"); a Warning is sent. A cold sync of 50,000 sent 9,606 `Created`
//   Events (0.19 requests per ExternalSecret, each an etcd write with a lease) while the
//   apiserver was the bottleneck: a flood's informational Events are what to shed first.

import { hostname } from 'node:os';
import type { KubeObject } from '../api/types.js';
import { EVENTS } from '../kube/resources.js';
import { rfc3339 } from '../runtime/time/rfc3339.js';
import { isKubeApiError } from '../kube/types.js';
import type { KubeApi, KubeLogger } from '../kube/types.js';

export type EventType = 'Normal' | 'Warning';

/** An Event a reconcile asks for; the executor records it on the object. */
export interface EventSpec {
  type: EventType;
  reason: string;
  message: string;
}

export const EVENT_COMPONENT = 'syncret';

/** Why an Event was not sent: `syncret_events_dropped_total{why}`. */
export const EVENT_DROP_REASONS = ['queue_full', 'spam_filter', 'backlog'] as const;
export type EventDropReason = (typeof EVENT_DROP_REASONS)[number];
export const MAX_MESSAGE_LENGTH = 1024;
const MAX_REASON_LENGTH = 128;
const AGGREGATE_WINDOW_MS = 10 * 60_000;
const DEFER_POLL_MS = 100;

export interface EventRecorderOptions {
  api: Pick<KubeApi, 'create' | 'mergePatch'>;
  logger?: Pick<KubeLogger, 'debug'>;
  /** reportingInstance; default the hostname (the pod name in a cluster). */
  instance?: string;
  /** Events waiting to be sent, across lanes; more are dropped. Default 1000. */
  maxQueue?: number;
  /** Concurrent API calls (serial per object). Default 4. */
  lanes?: number;
  /** Spam filter: tokens per object. Default 10. */
  burst?: number;
  /** Spam filter: one token back per this many ms. Default 5 minutes. */
  refillMs?: number;
  /** Objects (aggregation keys, buckets) remembered; least recently used go first. Default 4096. */
  cacheSize?: number;
  now?: () => number;
  /** While true, sending waits (reconciles are backed up); see maxDeferMs. */
  busy?: () => boolean;
  /** Longest an Event waits for busy() to clear. Default 30 s. */
  maxDeferMs?: number;
  /** Called for each Event not sent (a full queue, the spam filter, or shed in a backlog). */
  onDropped?: (why: EventDropReason) => void;
}

/** The core/v1 Event body Syncret writes. */
export interface CoreEvent extends KubeObject {
  involvedObject: {
    apiVersion: string;
    kind: string;
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
  };
  type: EventType;
  reason: string;
  message: string;
  source: { component: string };
  reportingComponent: string;
  reportingInstance: string;
  firstTimestamp: string;
  lastTimestamp: string;
  count: number;
}

interface Pending {
  objKey: string;
  involved: CoreEvent['involvedObject'];
  namespace: string;
  type: EventType;
  reason: string;
  message: string;
  at: number;
  /** Wall-clock enqueue time, for the deferral bound (`at` follows the injectable clock). */
  queuedAt: number;
}

interface Aggregate {
  namespace: string;
  name: string;
  count: number;
  lastSeen: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** A Map used as an LRU: get() refreshes recency, set() evicts the oldest beyond `max`. */
class Lru<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly max: number) {}
  get(k: K): V | undefined {
    const v = this.map.get(k);
    if (v !== undefined) {
      this.map.delete(k);
      this.map.set(k, v);
    }
    return v;
  }
  set(k: K, v: V): void {
    this.map.delete(k);
    this.map.set(k, v);
    if (this.map.size > this.max) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
  }
  delete(k: K): void {
    this.map.delete(k);
  }
  get size(): number {
    return this.map.size;
  }
}

// C0 controls but tab and newline, DEL, C1 controls, and UTF-16 halves without their partner.
// A NUL in an Event message makes `kubectl get events -o yaml` fail for the whole list.
const UNPRINTABLE =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * The text with control characters and broken surrogates written as visible escapes (`\x00`,
 * `\ud800`): messages quote names and keys a user wrote, which may hold anything.
 */
export function printable(s: string): string {
  return s.replace(UNPRINTABLE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`;
  });
}

/** Cuts at `max` UTF-16 units without splitting a surrogate pair, marking the cut with '...'. */
export function truncateMessage(s: string, max = MAX_MESSAGE_LENGTH): string {
  if (s.length <= max) return s;
  let end = max - 3;
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return `${s.slice(0, end)}...`;
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

export class EventRecorder {
  private readonly api: Pick<KubeApi, 'create' | 'mergePatch'>;
  private readonly log?: Pick<KubeLogger, 'debug'>;
  private readonly instance: string;
  private readonly maxQueue: number;
  private readonly burst: number;
  private readonly refillMs: number;
  private readonly now: () => number;
  private readonly onDropped?: (why: EventDropReason) => void;
  private readonly busy?: () => boolean;
  private readonly maxDeferMs: number;
  private readonly lanes: Pending[][];
  private readonly running: boolean[];
  private readonly aggregates: Lru<string, Aggregate>;
  private readonly buckets: Lru<string, Bucket>;
  private pending = 0;
  private seq = 0;
  private closed = false;
  private idle: (() => void)[] = [];
  /** Events dropped by a full queue or the spam filter (for tests and debugging). */
  dropped = 0;

  constructor(o: EventRecorderOptions) {
    this.api = o.api;
    this.log = o.logger;
    this.instance = o.instance ?? hostname();
    this.maxQueue = o.maxQueue ?? 1000;
    this.burst = o.burst ?? 10;
    this.refillMs = o.refillMs ?? 5 * 60_000;
    this.now = o.now ?? Date.now;
    this.onDropped = o.onDropped;
    this.busy = o.busy;
    this.maxDeferMs = o.maxDeferMs ?? 30_000;
    const lanes = Math.max(1, o.lanes ?? 4);
    this.lanes = Array.from({ length: lanes }, () => []);
    this.running = Array.from({ length: lanes }, () => false);
    this.aggregates = new Lru(o.cacheSize ?? 4096);
    this.buckets = new Lru(o.cacheSize ?? 4096);
  }

  /**
   * Records an Event about `obj` (which must carry apiVersion, kind and metadata.name).
   * Returns at once; never throws.
   */
  record(obj: KubeObject, type: EventType, reason: string, message: string): void {
    try {
      this.enqueue(obj, type, reason, message);
    } catch (e) {
      this.debug(e, 'event not recorded');
    }
  }

  /** Resolves when every queued Event has been sent (or given up on). */
  flush(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Stops accepting Events and waits up to `timeoutMs` for the queue to drain. */
  async close(timeoutMs = 5_000): Promise<void> {
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.flush(),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
  }

  private enqueue(obj: KubeObject, type: EventType, reason: string, message: string): void {
    if (this.closed) return;
    const m = obj.metadata;
    if (!obj.apiVersion || !obj.kind || !m?.name) {
      this.log?.debug(
        { kind: obj.kind, name: m?.name },
        'event dropped: object without apiVersion, kind or name',
      );
      return;
    }
    if (this.pending >= this.maxQueue) {
      this.drop('queue_full');
      this.log?.debug(
        { kind: obj.kind, namespace: m.namespace, name: m.name, reason },
        'event dropped: queue full',
      );
      return;
    }
    const objKey = m.uid ?? `${obj.apiVersion}/${obj.kind}/${m.namespace ?? ''}/${m.name}`;
    const item: Pending = {
      objKey,
      involved: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: m.name,
        ...(m.namespace ? { namespace: m.namespace } : {}),
        ...(m.uid ? { uid: m.uid } : {}),
        ...(m.resourceVersion ? { resourceVersion: m.resourceVersion } : {}),
      },
      // Events about cluster-scoped objects live in 'default', as client-go puts them.
      namespace: m.namespace || 'default',
      type,
      reason: truncateMessage(printable(reason), MAX_REASON_LENGTH),
      message: truncateMessage(printable(message)),
      at: this.now(),
      queuedAt: Date.now(),
    };
    const lane = hash(objKey) % this.lanes.length;
    this.lanes[lane]?.push(item);
    this.pending++;
    if (!this.running[lane]) void this.drain(lane);
  }

  private async drain(lane: number): Promise<void> {
    const q = this.lanes[lane];
    if (!q) return;
    this.running[lane] = true;
    // Let record() return before any work starts.
    await Promise.resolve();
    try {
      for (let item = q.shift(); item !== undefined; item = q.shift()) {
        try {
          if (await this.yieldToWrites(item)) await this.send(item);
          else this.drop('backlog');
        } catch (e) {
          this.debug(e, 'event not recorded', item);
        } finally {
          this.pending--;
        }
      }
    } finally {
      this.running[lane] = false;
      if (this.pending === 0) {
        const waiters = this.idle;
        this.idle = [];
        for (const w of waiters) w();
      }
    }
  }

  /** Waits while busy() (up to maxDeferMs); false: a Normal Event to shed, still busy after that. */
  private async yieldToWrites(item: Pending): Promise<boolean> {
    while (!this.closed && this.busy?.()) {
      if (Date.now() - item.queuedAt >= this.maxDeferMs) return item.type === 'Warning';
      await new Promise<void>((resolve) => setTimeout(resolve, DEFER_POLL_MS).unref());
    }
    return true;
  }

  private drop(why: EventDropReason): void {
    this.dropped++;
    this.onDropped?.(why);
  }

  /** Spam filter: whether one more API call about this object is allowed now. */
  private allow(objKey: string, at: number): boolean {
    const b = this.buckets.get(objKey) ?? { tokens: this.burst, at };
    b.tokens = Math.min(this.burst, b.tokens + Math.max(0, at - b.at) / this.refillMs);
    b.at = at;
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    this.buckets.set(objKey, b);
    return ok;
  }

  private async send(item: Pending): Promise<void> {
    const key = `${item.objKey}\u0000${item.type}\u0000${item.reason}\u0000${item.message}`;
    let agg = this.aggregates.get(key);
    if (agg && item.at - agg.lastSeen > AGGREGATE_WINDOW_MS) {
      this.aggregates.delete(key);
      agg = undefined;
    }
    if (agg) {
      agg.count++;
      agg.lastSeen = item.at;
    }
    if (!this.allow(item.objKey, item.at)) {
      this.drop('spam_filter');
      return;
    }
    if (agg) {
      try {
        await this.api.mergePatch(
          { type: EVENTS, namespace: agg.namespace, name: agg.name },
          { count: agg.count, lastTimestamp: rfc3339(item.at) },
        );
        return;
      } catch (e) {
        if (!(isKubeApiError(e) && e.notFound)) throw e;
        // Expired by the apiserver's event TTL: start a new Event.
        this.aggregates.delete(key);
      }
    }
    const name = this.eventName(item);
    const ts = rfc3339(item.at);
    const body: CoreEvent = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: item.namespace },
      involvedObject: item.involved,
      type: item.type,
      reason: item.reason,
      message: item.message,
      source: { component: EVENT_COMPONENT },
      reportingComponent: EVENT_COMPONENT,
      reportingInstance: this.instance,
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
    };
    await this.api.create({ type: EVENTS, namespace: item.namespace }, body);
    this.aggregates.set(key, { namespace: item.namespace, name, count: 1, lastSeen: item.at });
  }

  /** client-go's `<object name>.<unix nanos in hex>`, unique per process. */
  private eventName(item: Pending): string {
    const nanos = BigInt(Math.floor(item.at)) * 1_000_000n + BigInt(this.seq++ % 1_000_000);
    const suffix = nanos.toString(16);
    return `${item.involved.name.slice(0, 253 - suffix.length - 1)}.${suffix}`;
  }

  private debug(e: unknown, msg: string, item?: Pending): void {
    const err = isKubeApiError(e)
      ? { code: e.code, reason: e.reason, message: e.message }
      : { message: e instanceof Error ? e.message : String(e) };
    this.log?.debug(
      {
        err,
        ...(item
          ? {
              kind: item.involved.kind,
              namespace: item.involved.namespace,
              name: item.involved.name,
              reason: item.reason,
            }
          : {}),
      },
      msg,
    );
  }
}
