// An in-memory apiserver behind the KubeApi contract, for unit tests of controllers and
// executors: objects with resourceVersions and generations, label-selected lists, watches
// that resume from a resourceVersion, merge patches with a resourceVersion precondition,
// finalizers that hold a deletion, a simplified server-side apply, a request log and
// injected failures. The end-to-end tests use a real apiserver; this is for logic.

import type { KubeObject } from '../../api/types.js';
import { KubeApiError } from '../types.js';
import type {
  ApplyOptions,
  KubeApi,
  ListOptions,
  ListResult,
  ObjectRef,
  ResourceType,
  WatchEvent,
  WatchOptions,
} from '../types.js';

export interface Request {
  verb: 'get' | 'list' | 'create' | 'apply' | 'patch' | 'update' | 'delete' | 'watch';
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  body?: unknown;
}

type Obj = KubeObject & Record<string, unknown>;

interface Stored {
  type: ResourceType;
  obj: Obj;
}

interface Logged {
  rv: number;
  type: ResourceType;
  event: WatchEvent;
}

const clone = <T>(v: T): T => structuredClone(v);

function keyOf(type: ResourceType, namespace: string | undefined, name: string | undefined): string {
  return `${type.group}/${type.resource}/${type.namespaced ? (namespace ?? '') : ''}/${name ?? ''}`;
}

function matches(labels: Record<string, string> | undefined, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=');
    return (labels ?? {})[k!] === v;
  });
}

/** RFC 7386: null deletes, objects merge, everything else replaces. */
function mergePatchInto(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return clone(patch);
  const out: Record<string, unknown> =
    target && typeof target === 'object' && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = mergePatchInto(out[k], v);
  }
  return out;
}

export class MemoryApi implements KubeApi {
  readonly requests: Request[] = [];
  private readonly objects = new Map<string, Stored>();
  private readonly log: Logged[] = [];
  private rv = 100;
  private uid = 0;
  private wake: (() => void)[] = [];
  private readonly failures: { verb: Request['verb']; resource?: string; error: Error }[] = [];

  /** Puts an object in place as if another client created it (no request is logged). */
  seed<T extends KubeObject>(type: ResourceType, obj: T): T {
    return this.store(type, clone(obj) as unknown as Obj, 'ADDED') as unknown as T;
  }

  /** The stored object, or undefined. */
  peek<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string): T | undefined {
    const s = this.objects.get(keyOf(type, namespace, name));
    return s ? (clone(s.obj) as unknown as T) : undefined;
  }

  /** The next request of `verb` (on `resource`, if given) fails with `error`. */
  failNext(verb: Request['verb'], error: Error, resource?: string): void {
    this.failures.push({ verb, resource, error });
  }

  /** Requests other than list and watch (what a reconcile costs). */
  calls(): string[] {
    return this.requests
      .filter((r) => r.verb !== 'list' && r.verb !== 'watch')
      .map(
        (r) =>
          `${r.verb} ${r.resource}${r.subresource ? `/${r.subresource}` : ''} ${r.namespace ? `${r.namespace}/` : ''}${r.name ?? ''}`,
      );
  }

  async get<T extends KubeObject>(ref: ObjectRef): Promise<T> {
    this.record('get', ref);
    return clone(this.existing(ref).obj) as unknown as T;
  }

  async list<T extends KubeObject>(type: ResourceType, opts: ListOptions = {}): Promise<ListResult<T>> {
    this.record('list', { type, namespace: opts.namespace });
    const items = [...this.objects.values()]
      .filter((s) => s.type.resource === type.resource && s.type.group === type.group)
      .filter((s) => !opts.namespace || s.obj.metadata.namespace === opts.namespace)
      .filter((s) => matches(s.obj.metadata.labels, opts.labelSelector))
      .map((s) => clone(s.obj) as unknown as T);
    return { items, resourceVersion: String(this.rv) };
  }

  async create<T extends KubeObject>(ref: ObjectRef, body: unknown): Promise<T> {
    this.record('create', ref, body);
    if (ref.subresource === 'token') {
      return {
        ...(body as object),
        metadata: {},
        status: { token: `token-for-${ref.name}` },
      } as unknown as T;
    }
    const obj = clone(body) as Obj;
    obj.metadata = { ...obj.metadata, namespace: ref.namespace, name: obj.metadata?.name ?? ref.name };
    if (this.objects.has(keyOf(ref.type, ref.namespace, obj.metadata.name)))
      throw new KubeApiError(
        409,
        'AlreadyExists',
        `${ref.type.resource} "${obj.metadata.name}" already exists`,
      );
    return clone(this.store(ref.type, obj, 'ADDED')) as unknown as T;
  }

  /** Server-side apply, simplified: maps merge key by key, everything else the body sets replaces. */
  async apply<T extends KubeObject>(ref: ObjectRef, body: unknown, opts: ApplyOptions): Promise<T> {
    this.record('apply', ref, body);
    const key = keyOf(ref.type, ref.namespace, ref.name);
    const have = this.objects.get(key)?.obj;
    const b = clone(body) as Obj;
    if (!have) {
      // As the apiserver: an apply that creates ignores a resourceVersion precondition.
      const { resourceVersion: _ignored, ...meta } = b.metadata ?? {};
      b.metadata = { ...meta, namespace: ref.namespace, name: ref.name };
      b.metadata.managedFields = [{ manager: opts.fieldManager, operation: 'Apply' }];
      return clone(this.store(ref.type, b, 'ADDED')) as unknown as T;
    }
    const rv = b.metadata?.resourceVersion;
    if (rv && rv !== have.metadata.resourceVersion)
      throw new KubeApiError(
        409,
        'Conflict',
        'Operation cannot be fulfilled: the object has been modified; please apply your changes to the latest version and try again',
      );
    const merged: Obj = { ...have, ...b };
    for (const field of ['data', 'stringData']) {
      if (b[field] !== undefined)
        merged[field] = { ...((have[field] as object) ?? {}), ...(b[field] as object) };
    }
    const managers = [...(have.metadata.managedFields ?? [])] as { manager?: string }[];
    if (!managers.some((m) => m.manager === opts.fieldManager))
      managers.push({ manager: opts.fieldManager, operation: 'Apply' } as { manager: string });
    merged.metadata = {
      ...have.metadata,
      ...b.metadata,
      labels: { ...have.metadata.labels, ...b.metadata?.labels },
      annotations: { ...have.metadata.annotations, ...b.metadata?.annotations },
      managedFields: managers,
      uid: have.metadata.uid,
      resourceVersion: have.metadata.resourceVersion,
    };
    return clone(this.store(ref.type, merged, 'MODIFIED')) as unknown as T;
  }

  async mergePatch<T extends KubeObject>(ref: ObjectRef, patch: unknown): Promise<T> {
    this.record('patch', ref, patch);
    const have = this.existing(ref).obj;
    const p = patch as { metadata?: { resourceVersion?: string } };
    if (p.metadata?.resourceVersion && p.metadata.resourceVersion !== have.metadata.resourceVersion)
      throw new KubeApiError(
        409,
        'Conflict',
        'the object has been modified; please apply your changes to the latest version',
      );
    let next: Obj;
    if (ref.subresource === 'status')
      next = { ...have, status: mergePatchInto(have.status, (patch as Obj).status) };
    else {
      next = mergePatchInto(have, patch) as Obj;
      next.status = have.status;
    }
    next.metadata.resourceVersion = have.metadata.resourceVersion;
    const removable = next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0;
    if (removable) return clone(this.remove(ref.type, next)) as unknown as T;
    return clone(this.store(ref.type, next, 'MODIFIED')) as unknown as T;
  }

  async replace<T extends KubeObject>(ref: ObjectRef, body: unknown): Promise<T> {
    this.record('update', ref, body);
    const have = this.existing(ref).obj;
    const b = clone(body) as Obj;
    if (b.metadata.resourceVersion && b.metadata.resourceVersion !== have.metadata.resourceVersion)
      throw new KubeApiError(409, 'Conflict', 'the object has been modified');
    return clone(
      this.store(ref.type, { ...b, metadata: { ...b.metadata, uid: have.metadata.uid } }, 'MODIFIED'),
    ) as unknown as T;
  }

  async delete(ref: ObjectRef, opts: { preconditionUid?: string } = {}): Promise<void> {
    this.record('delete', ref);
    const have = this.existing(ref).obj;
    if (opts.preconditionUid && opts.preconditionUid !== have.metadata.uid)
      throw new KubeApiError(409, 'Conflict', 'Precondition failed: UID in precondition does not match');
    if ((have.metadata.finalizers ?? []).length > 0) {
      if (!have.metadata.deletionTimestamp)
        this.store(
          ref.type,
          { ...have, metadata: { ...have.metadata, deletionTimestamp: new Date().toISOString() } },
          'MODIFIED',
        );
      return;
    }
    this.remove(ref.type, have);
  }

  watch<T extends KubeObject>(type: ResourceType, opts: WatchOptions): AsyncIterable<WatchEvent<T>> {
    this.record('watch', { type, namespace: opts.namespace });
    return this.stream<T>(type, opts);
  }

  private async *stream<T extends KubeObject>(
    type: ResourceType,
    opts: WatchOptions,
  ): AsyncGenerator<WatchEvent<T>> {
    const signal = opts.signal;
    let seen = Number(opts.resourceVersion) || 0;
    while (!signal?.aborted) {
      for (const l of this.log) {
        if (l.rv <= seen || l.type.resource !== type.resource || l.type.group !== type.group) continue;
        seen = l.rv;
        const o = l.event.object;
        if (opts.namespace && o.metadata.namespace !== opts.namespace) continue;
        if (!matches(o.metadata.labels, opts.labelSelector)) continue;
        yield clone(l.event) as WatchEvent<T>;
      }
      seen = Math.max(seen, this.rv);
      await new Promise<void>((resolve) => {
        this.wake.push(resolve);
        signal?.addEventListener('abort', () => resolve(), { once: true });
      });
    }
  }

  private record(
    verb: Request['verb'],
    ref: Partial<ObjectRef> & { type: ResourceType },
    body?: unknown,
  ): void {
    this.requests.push({
      verb,
      resource: ref.type.resource,
      namespace: ref.namespace,
      name: ref.name,
      subresource: ref.subresource,
      body,
    });
    const i = this.failures.findIndex(
      (f) => f.verb === verb && (!f.resource || f.resource === ref.type.resource),
    );
    if (i >= 0) throw this.failures.splice(i, 1)[0]!.error;
  }

  private existing(ref: ObjectRef): Stored {
    const s = this.objects.get(keyOf(ref.type, ref.namespace, ref.name));
    if (!s) throw new KubeApiError(404, 'NotFound', `${ref.type.resource} "${ref.name}" not found`);
    return s;
  }

  private store(type: ResourceType, obj: Obj, kind: 'ADDED' | 'MODIFIED'): Obj {
    const key = keyOf(type, obj.metadata.namespace, obj.metadata.name);
    const have = this.objects.get(key)?.obj;
    const rv = ++this.rv;
    const specChanged = have && JSON.stringify(have.spec) !== JSON.stringify(obj.spec);
    obj.apiVersion ??= type.group ? `${type.group}/${type.version}` : type.version;
    obj.kind ??= type.kind;
    obj.metadata = {
      ...obj.metadata,
      uid: obj.metadata.uid ?? have?.metadata.uid ?? `uid-${++this.uid}`,
      resourceVersion: String(rv),
      generation: have
        ? (have.metadata.generation ?? 1) + (specChanged ? 1 : 0)
        : (obj.metadata.generation ?? 1),
      creationTimestamp:
        have?.metadata.creationTimestamp ?? obj.metadata.creationTimestamp ?? new Date().toISOString(),
    };
    this.objects.set(key, { type, obj });
    this.emit(rv, type, { type: kind, object: clone(obj) });
    return obj;
  }

  private remove(type: ResourceType, obj: Obj): Obj {
    this.objects.delete(keyOf(type, obj.metadata.namespace, obj.metadata.name));
    const rv = ++this.rv;
    const gone = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv) } };
    this.emit(rv, type, { type: 'DELETED', object: clone(gone) });
    return gone;
  }

  private emit(rv: number, type: ResourceType, event: WatchEvent): void {
    this.log.push({ rv, type, event });
    const waiting = this.wake;
    this.wake = [];
    for (const w of waiting) w();
  }
}
