// Status writes, the same for every kind: a merge patch of /status, sent only when the status
// differs from what the object has, and remembered (read-your-writes) until the watch delivers it.
// The status given is the whole status to have: a top-level field it leaves out is removed.

import type { KubeObject } from '../api/types.js';
import { isKubeApiError } from '../kube/types.js';
import type { KubeApi, ResourceType } from '../kube/types.js';
import type { ObjectCache } from './cache.js';
import { jsonEqual } from './conditions.js';

export interface StatusWriterOptions<T extends KubeObject> {
  api: KubeApi;
  type: ResourceType;
  cache: ObjectCache<T>;
  signal: AbortSignal;
  /** A patch sent (true) or skipped because nothing changed (false), for metrics. */
  onWrite?: (written: boolean) => void;
}

export type StatusWriter<T extends KubeObject> = (obj: T, status: object) => Promise<void>;

export function statusWriter<T extends KubeObject & { status?: object }>(
  o: StatusWriterOptions<T>,
): StatusWriter<T> {
  return async (obj, status) => {
    if (jsonEqual(obj.status ?? {}, status)) {
      o.onWrite?.(false);
      return;
    }
    try {
      const res = await o.api.mergePatch<T>(
        { type: o.type, namespace: obj.metadata.namespace, name: obj.metadata.name, subresource: 'status' },
        { status: withRemovals(obj.status, status) },
        o.signal,
      );
      o.onWrite?.(true);
      o.cache.wrote(res);
    } catch (e) {
      // Deleted meanwhile: there is nobody left to tell.
      if (isKubeApiError(e) && e.notFound) return;
      throw e;
    }
  };
}

/** A merge patch keeps what it does not name: fields of `prev` that `next` leaves out go as null. */
function withRemovals(prev: object | undefined, next: object): object {
  const gone = Object.keys(prev ?? {}).filter((k) => (next as Record<string, unknown>)[k] === undefined);
  return gone.length === 0 ? next : { ...Object.fromEntries(gone.map((k) => [k, null])), ...next };
}
