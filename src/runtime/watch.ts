// A reflector: keeps an in-memory copy of one resource (in one namespace scope) in sync
// with the apiserver and tells handlers what changed. It must never stall silently: every
// wait is bounded (inactivity timer, server-side watch timeout, periodic relist) and every
// failure is retried with jittered backoff until stop().
//
// Objects are transformed before they are stored; object bodies are never logged (Secrets
// flow through here).

import type { KubeObject } from '../api/types.js';
import { KubeApiError, isKubeApiError } from '../kube/types.js';
import type { KubeApi, KubeLogger, ResourceType, WatchEvent } from '../kube/types.js';
import { jitteredBackoff } from './time/backoff.js';
import type { Backoff } from './time/backoff.js';
import { sleep } from './time/sleep.js';
import { abortableNext } from './abortable.js';
import { ObjectStore, storeKey } from './store.js';
import type { AddHandler, DeleteHandler, ReadonlyStore, UpdateHandler } from './store.js';

export { storeKey } from './store.js';
export type { AddHandler, DeleteHandler, ReadonlyStore, UpdateHandler } from './store.js';

export type RestartReason =
  /** The server ended the stream (its timeoutSeconds, or an apiserver restart). */
  | 'closed'
  /** No event or bookmark within inactivityTimeoutMs. */
  | 'inactivity'
  /** 410 Gone: the resourceVersion is too old; relisting. */
  | 'gone'
  /** A list or watch failed; backing off. */
  | 'error'
  /** The periodic full relist. */
  | 'relist';

export interface BackoffOptions {
  /** Default 200 ms. */
  baseMs?: number;
  /** Default 30 s. */
  maxMs?: number;
  /** After this long without a failure the next delay starts from baseMs again. Default 60 s (at least 2 × maxMs). */
  resetAfterMs?: number;
}

export interface ReflectorOptions<T extends KubeObject> {
  api: KubeApi;
  type: ResourceType;
  /** Unset: all namespaces (or a cluster-scoped resource). */
  namespace?: string;
  /**
   * A function when the choice changes while the reflector runs (a shard's buckets): read at
   * each list, and each watch keeps the one its list used, so it resumes what that list saw.
   * After the choice changes, relist() applies it.
   */
  labelSelector?: string | (() => string);
  fieldSelector?: string;
  /** Abort and re-watch a stream that delivered nothing (not even a bookmark) this long. Default 5 min. */
  inactivityTimeoutMs?: number;
  /** Server-side watch timeout; each watch uses a random value in [n, 2n). Default 300 s. */
  watchTimeoutSeconds?: number;
  /** Full relist every [n, 2n) ms, emitting only real differences; 0 disables. Default 30 min. */
  relistIntervalMs?: number;
  backoff?: BackoffOptions;
  /** List page size (limit/continue). Default 500. */
  pageSize?: number;
  /**
   * Applied to every object before it is stored: drop what consumers do not need (managedFields,
   * Secret data). Undefined: the object is not kept (and leaves the store if it was there), for
   * a choice of objects no selector can make, such as a shard's namespaces; after that choice
   * changes, relist() applies it to every object.
   */
  transform?: (obj: T) => T | undefined;
  logger?: KubeLogger;
  /** Each restart of the list/watch cycle, for metrics. */
  onRestart?: (reason: RestartReason) => void;
  /** Each watch event received, before the transform (what the apiserver sent), for metrics. */
  onWatchEvent?: (type: string) => void;
}

const DEFAULTS = {
  inactivityTimeoutMs: 5 * 60_000,
  watchTimeoutSeconds: 300,
  relistIntervalMs: 30 * 60_000,
  pageSize: 500,
  backoffBaseMs: 200,
  backoffMaxMs: 30_000,
  backoffResetMs: 60_000,
} as const;

/** A watch that ends this fast without a single event counts as a failure (no hot loop). */
const SHORT_WATCH_MS = 1_000;
/**
 * A watch that delivered an event, or stayed open this long, had a healthy server: when it then
 * breaks (an apiserver restart), the retry starts from the first delay, not from where the
 * attempts of an outage a minute ago left the backoff (seen: 16-29 s before re-watching after a
 * restart, while the apiserver answered within a second).
 */
const HEALTHY_WATCH_MS = 10_000;

/** An ERROR event other than 410: the watch cannot continue from here, so relist. */
class WatchErrorEvent extends KubeApiError {}

type WatchEnd = 'closed' | 'short' | 'inactivity' | 'relist' | 'stopped';

/** Calls a metrics hook: metrics must not break the loop. */
function hook<A>(f: ((a: A) => void) | undefined, a: A): void {
  try {
    f?.(a);
  } catch {
    // ignored
  }
}

function errFields(e: unknown): Record<string, unknown> {
  if (isKubeApiError(e)) return { code: e.code, reason: e.reason, error: e.message };
  return { error: e instanceof Error ? e.message : String(e) };
}

export class Reflector<T extends KubeObject> {
  private readonly s = new ObjectStore<T>();
  private readonly addHandlers: AddHandler<T>[] = [];
  private readonly updateHandlers: UpdateHandler<T>[] = [];
  private readonly deleteHandlers: DeleteHandler<T>[] = [];
  private synced = false;
  private syncWaiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private abort?: AbortController;
  private loop?: Promise<void>;
  private readonly desc: string;
  private readonly inactivityMs: number;
  /** Whether the last watch delivered something or stayed open (see HEALTHY_WATCH_MS). */
  private watchWasHealthy = false;
  private readonly watchTimeoutSeconds: number;
  private readonly relistMs: number;
  private readonly pageSize: number;
  private readonly backoff: Backoff;
  private readonly backoffReset: number;
  /** Ends the running watch early so the loop lists again (relist()); unset between watches. */
  private interrupt?: () => void;
  /** relist() callers, each waiting for a list that starts after its call. */
  private relistWanted: (() => void)[] = [];
  /** The label selector of the last complete list: its watches resume with the same. */
  private listedSelector: string | undefined;

  constructor(private readonly o: ReflectorOptions<T>) {
    this.desc = o.namespace ? `${o.type.resource} in ${o.namespace}` : o.type.resource;
    this.inactivityMs = o.inactivityTimeoutMs ?? DEFAULTS.inactivityTimeoutMs;
    this.watchTimeoutSeconds = o.watchTimeoutSeconds ?? DEFAULTS.watchTimeoutSeconds;
    this.relistMs = o.relistIntervalMs ?? DEFAULTS.relistIntervalMs;
    this.pageSize = o.pageSize ?? DEFAULTS.pageSize;
    const maxMs = o.backoff?.maxMs ?? DEFAULTS.backoffMaxMs;
    // Equal jitter: a relist storm after an apiserver restart spreads over half the delay.
    this.backoff = jitteredBackoff({
      baseMs: o.backoff?.baseMs ?? DEFAULTS.backoffBaseMs,
      maxMs,
      jitter: 0.5,
    });
    this.backoffReset = o.backoff?.resetAfterMs ?? Math.max(DEFAULTS.backoffResetMs, 2 * maxMs);
  }

  get store(): ReadonlyStore<T> {
    return this.s;
  }

  get lastSyncResourceVersion(): string {
    return this.s.resourceVersion;
  }

  /** Handlers run after the store was updated; one that throws is logged and skipped. Returns an unsubscribe. */
  onAdd(h: AddHandler<T>): () => void {
    return register(this.addHandlers, h);
  }
  onUpdate(h: UpdateHandler<T>): () => void {
    return register(this.updateHandlers, h);
  }
  onDelete(h: DeleteHandler<T>): () => void {
    return register(this.deleteHandlers, h);
  }

  /** True once the first full list has been stored and its events emitted. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves after the first list; rejects if `signal` aborts or the reflector stops first. */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.synced) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (e: unknown) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      const onAbort = () => {
        this.syncWaiters = this.syncWaiters.filter((w) => w !== waiter);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.syncWaiters.push(waiter);
    });
  }

  start(): void {
    if (this.loop) return;
    const ac = new AbortController();
    this.abort = ac;
    this.loop = this.run(ac.signal)
      .catch((e: unknown) =>
        this.o.logger?.error({ resource: this.desc, ...errFields(e) }, 'watch loop crashed'),
      )
      .finally(() => {
        for (const w of this.relistWanted.splice(0)) w();
        const waiters = this.syncWaiters;
        this.syncWaiters = [];
        const err = new Error(`the ${this.desc} watch stopped before its first list completed`);
        for (const w of waiters) w.reject(err);
      });
  }

  /**
   * Lists again now and resolves once that list is stored and its differences emitted (or the
   * loop stopped). Before start() it resolves at once: the first list applies the transform as
   * it is then.
   */
  relist(): Promise<void> {
    if (!this.loop) return Promise.resolve();
    return new Promise((resolve) => {
      this.relistWanted.push(resolve);
      this.interrupt?.();
    });
  }

  /** Aborts the current request; resolves when the loop has ended. */
  async stop(): Promise<void> {
    this.abort?.abort(new Error('reflector stopped'));
    const loop = this.loop;
    await loop;
    if (this.loop === loop) {
      this.loop = undefined;
      this.abort = undefined;
    }
  }

  // ------------------------------------------------------------ the loop

  private async run(signal: AbortSignal): Promise<void> {
    let needList = true;
    let attempt = 0;
    let lastFailure = -Infinity;
    let relistAt = Infinity;
    // The first 410 relists at once; a second one in a row backs off.
    let goneStreak = false;
    while (!signal.aborted) {
      let failure: unknown;
      this.watchWasHealthy = false;
      try {
        if (needList || this.relistWanted.length > 0) {
          const waiting = this.relistWanted.splice(0);
          try {
            await this.listAndReplace(signal);
          } catch (e) {
            this.relistWanted.unshift(...waiting);
            throw e;
          }
          for (const w of waiting) w();
          needList = false;
          relistAt = this.relistMs > 0 ? Date.now() + this.relistMs * (1 + Math.random()) : Infinity;
          // Asked for while this list ran: its answer may predate the caller's new choice.
          if (this.relistWanted.length > 0) continue;
        }
        const end = await this.watchOnce(signal, relistAt, () => (goneStreak = false));
        if (end === 'stopped') break;
        if (end === 'short') {
          failure = new Error('the watch closed at once without events');
        } else {
          this.restart(end);
          // A quiet watch that served its full time was healthy too: a 410 after it is a first.
          if (this.watchWasHealthy) goneStreak = false;
          if (end === 'relist') needList = true;
          if (end === 'inactivity') {
            this.o.logger?.warn(
              { resource: this.desc, resourceVersion: this.s.resourceVersion, timeoutMs: this.inactivityMs },
              'watch silent for too long; re-watching',
            );
          } else {
            this.o.logger?.debug({ resource: this.desc, reason: end }, 'watch ended; re-watching');
          }
          continue;
        }
      } catch (e) {
        if (signal.aborted) break;
        failure = e;
      }
      if (isKubeApiError(failure) && failure.gone) {
        needList = true;
        this.restart('gone');
        this.o.logger?.info(
          { resource: this.desc, resourceVersion: this.s.resourceVersion },
          'resourceVersion expired; relisting',
        );
        if (!goneStreak) {
          goneStreak = true;
          continue;
        }
      } else {
        if (failure instanceof WatchErrorEvent) needList = true;
        this.restart('error');
      }
      const now = Date.now();
      if (now - lastFailure > this.backoffReset || this.watchWasHealthy) attempt = 0;
      lastFailure = now;
      const delay = this.backoff.delay(++attempt);
      this.o.logger?.warn(
        {
          resource: this.desc,
          attempt,
          retryInMs: Math.round(delay),
          relist: needList,
          ...errFields(failure),
        },
        'watch failed; retrying',
      );
      await sleep(delay, signal);
    }
  }

  private restart(reason: RestartReason): void {
    hook(this.o.onRestart, reason);
  }

  private transform(raw: T): T | undefined {
    if (!this.o.transform) return raw;
    try {
      return this.o.transform(raw);
    } catch (e) {
      this.o.logger?.error(
        { resource: this.desc, key: storeKey(raw), ...errFields(e) },
        'transform failed; object skipped',
      );
      return undefined;
    }
  }

  private async listAndReplace(signal: AbortSignal): Promise<void> {
    const items = new Map<string, T>();
    let cont: string | undefined;
    let limit: number | undefined = this.pageSize > 0 ? this.pageSize : undefined;
    let rv = '';
    const sel = this.o.labelSelector;
    const selector = typeof sel === 'function' ? sel() : sel;
    for (;;) {
      let page;
      try {
        page = await this.o.api.list<T>(this.o.type, {
          namespace: this.o.namespace,
          labelSelector: selector,
          fieldSelector: this.o.fieldSelector,
          limit,
          continue: cont,
          signal,
        });
      } catch (e) {
        if (cont && limit !== undefined && isKubeApiError(e) && e.gone) {
          // The continue token expired mid-list: one unpaginated list instead.
          this.o.logger?.info({ resource: this.desc }, 'list continue token expired; listing in one request');
          items.clear();
          cont = undefined;
          limit = undefined;
          continue;
        }
        throw e;
      }
      for (const raw of page.items) {
        const obj = this.transform(raw);
        if (obj) items.set(storeKey(obj), obj);
      }
      rv = page.resourceVersion;
      if (!page.continue || limit === undefined) break;
      cont = page.continue;
    }
    if (signal.aborted) return;
    this.listedSelector = selector;
    this.replace(items, rv);
  }

  /** Swaps in a fresh list and emits only what differs from the previous store. */
  private replace(items: Map<string, T>, rv: string): void {
    const old = this.s.items;
    this.s.items = items;
    this.s.resourceVersion = rv;
    let added = 0;
    let updated = 0;
    let deleted = 0;
    for (const [key, obj] of items) {
      const prev = old.get(key);
      if (!prev) {
        added++;
        this.emitAdd(obj);
      } else if (changed(prev, obj)) {
        updated++;
        this.emitChange(prev, obj);
      }
    }
    for (const [key, prev] of old) {
      if (items.has(key)) continue;
      deleted++;
      this.emitDelete(prev);
    }
    this.o.logger?.debug(
      { resource: this.desc, resourceVersion: rv, objects: items.size, added, updated, deleted },
      'listed',
    );
    if (!this.synced) {
      this.synced = true;
      const waiters = this.syncWaiters;
      this.syncWaiters = [];
      for (const w of waiters) w.resolve();
    }
  }

  private async watchOnce(signal: AbortSignal, relistAt: number, onEvent: () => void): Promise<WatchEnd> {
    const ac = new AbortController();
    let why: 'inactivity' | 'relist' | undefined;
    const onStop = () => ac.abort(signal.reason);
    signal.addEventListener('abort', onStop, { once: true });
    let inactivity: NodeJS.Timeout | undefined;
    // Armed before the request, so a connect or header stall is caught too.
    const arm = () => {
      clearTimeout(inactivity);
      inactivity = setTimeout(() => {
        why ??= 'inactivity';
        ac.abort(new Error('watch inactivity timeout'));
      }, this.inactivityMs);
    };
    arm();
    this.interrupt = () => {
      why ??= 'relist';
      ac.abort(new Error('relist requested'));
    };
    const relistTimer =
      relistAt !== Infinity
        ? setTimeout(
            () => {
              why ??= 'relist';
              ac.abort(new Error('periodic relist'));
            },
            Math.max(0, relistAt - Date.now()),
          )
        : undefined;
    const started = Date.now();
    let events = 0;
    let it: AsyncIterator<WatchEvent<T>> | undefined;
    try {
      const stream = this.o.api.watch<T>(this.o.type, {
        namespace: this.o.namespace,
        labelSelector: this.listedSelector,
        fieldSelector: this.o.fieldSelector,
        resourceVersion: this.s.resourceVersion,
        timeoutSeconds: Math.floor(this.watchTimeoutSeconds * (1 + Math.random())),
        signal: ac.signal,
      });
      it = stream[Symbol.asyncIterator]();
      const next = abortableNext(it, ac.signal);
      for (;;) {
        const r = await next();
        if (r.done) break;
        arm();
        events++;
        hook(this.o.onWatchEvent, r.value.type);
        this.apply(r.value);
        onEvent();
      }
    } catch (e) {
      // After our own abort, whatever the transport threw is noise.
      if (!ac.signal.aborted) throw e;
    } finally {
      this.interrupt = undefined;
      this.watchWasHealthy = events > 0 || Date.now() - started >= HEALTHY_WATCH_MS;
      clearTimeout(inactivity);
      clearTimeout(relistTimer);
      signal.removeEventListener('abort', onStop);
      if (!ac.signal.aborted) ac.abort(new Error('watch finished'));
      // Not awaited: a transport that ignores the abort must not block the loop.
      void it?.return?.()?.catch(() => undefined);
    }
    if (signal.aborted) return 'stopped';
    if (why) return why;
    return events === 0 && Date.now() - started < SHORT_WATCH_MS ? 'short' : 'closed';
  }

  private apply(ev: WatchEvent<T>): void {
    switch (ev.type) {
      case 'ADDED':
      case 'MODIFIED': {
        const obj = this.transform(ev.object);
        if (!obj) {
          const key = storeKey(ev.object);
          const dropped = this.s.items.get(key);
          this.s.items.delete(key);
          this.advance(ev.object);
          if (dropped) this.emitDelete(dropped);
          return;
        }
        const key = storeKey(obj);
        const prev = this.s.items.get(key);
        this.s.items.set(key, obj);
        this.advance(obj);
        if (!prev) this.emitAdd(obj);
        else if (changed(prev, obj)) this.emitChange(prev, obj);
        return;
      }
      case 'DELETED': {
        const obj = this.transform(ev.object);
        const key = storeKey(obj ?? ev.object);
        const prev = this.s.items.get(key);
        this.s.items.delete(key);
        this.advance(ev.object);
        const gone = obj ?? prev;
        if (gone) this.emitDelete(gone);
        return;
      }
      case 'BOOKMARK':
        this.advance(ev.object);
        return;
      case 'ERROR': {
        const st = ev.object as unknown as { code?: number; reason?: string; message?: string };
        const code = typeof st.code === 'number' ? st.code : 500;
        const message = `watch ${this.desc}: ${st.message ?? 'ERROR event'}`;
        if (code === 410) throw new KubeApiError(410, st.reason || 'Expired', message);
        throw new WatchErrorEvent(code, st.reason || 'WatchError', message);
      }
      default:
        this.o.logger?.debug(
          { resource: this.desc, type: String(ev.type) },
          'unknown watch event type ignored',
        );
    }
  }

  private advance(obj: KubeObject): void {
    const rv = obj.metadata?.resourceVersion;
    if (rv) this.s.resourceVersion = rv;
  }

  /** An update, or delete + add when the name now belongs to a different object (new uid). */
  private emitChange(prev: T, obj: T): void {
    if (prev.metadata.uid && obj.metadata.uid && prev.metadata.uid !== obj.metadata.uid) {
      this.emitDelete(prev);
      this.emitAdd(obj);
    } else {
      this.emitUpdate(prev, obj);
    }
  }

  private emitAdd(obj: T): void {
    for (const h of this.addHandlers) this.safely('add', obj, () => h(obj));
  }
  private emitUpdate(prev: T, obj: T): void {
    for (const h of this.updateHandlers) this.safely('update', obj, () => h(prev, obj));
  }
  private emitDelete(obj: T): void {
    for (const h of this.deleteHandlers) this.safely('delete', obj, () => h(obj));
  }

  private safely(what: string, obj: T, fn: () => unknown): void {
    const fail = (e: unknown) =>
      this.o.logger?.error(
        { resource: this.desc, key: storeKey(obj), handler: what, ...errFields(e) },
        'watch handler failed',
      );
    try {
      const r = fn();
      if (r && typeof (r as Promise<unknown>).then === 'function')
        (r as Promise<unknown>).then(undefined, fail);
    } catch (e) {
      fail(e);
    }
  }
}

function changed(a: KubeObject, b: KubeObject): boolean {
  const ra = a.metadata.resourceVersion;
  const rb = b.metadata.resourceVersion;
  return !ra || !rb || ra !== rb;
}

function register<H>(list: H[], h: H): () => void {
  list.push(h);
  return () => {
    const i = list.indexOf(h);
    if (i >= 0) list.splice(i, 1);
  };
}
