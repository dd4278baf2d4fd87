// Status writes, the same for every kind: a merge patch of /status, sent only when the status
// differs from what the object has, and remembered (read-your-writes) until the watch delivers it.
// The status given is the whole status to have: a top-level field it leaves out is removed.
// A write that fails is logged and counted here, the one place every status goes through: a
// status that cannot be written is otherwise a silent failure (the status is where it would show).

import type { KubeObject } from '../api/types.js';
import { isKubeApiError } from '../kube/types.js';
import type { KubeApi, KubeLogger, ResourceType } from '../kube/types.js';
import type { ObjectCache } from './cache.js';
import { jsonEqual } from './conditions.js';

export interface StatusWriterOptions<T extends KubeObject> {
  api: KubeApi;
  type: ResourceType;
  cache: ObjectCache<T>;
  signal: AbortSignal;
  /** A patch sent (true) or skipped because nothing changed (false), for metrics. */
  onWrite?: (written: boolean) => void;
  /** A patch the apiserver refused or that never reached it (code 0), for metrics. */
  onFailed?: (code: number) => void;
  logger?: Pick<KubeLogger, 'warn'>;
}

export type StatusWriter<T extends KubeObject> = (obj: T, status: object) => Promise<void>;

/** Longest part of an apiserver message that is logged (a status holds no secret values). */
const MAX_LOGGED_MESSAGE = 512;

export function statusWriter<T extends KubeObject & { status?: object }>(
  o: StatusWriterOptions<T>,
): StatusWriter<T> {
  return async (obj, status) => {
    if (jsonEqual(obj.status ?? {}, status)) {
      o.onWrite?.(false);
      return;
    }
    const ref = {
      type: o.type,
      namespace: obj.metadata.namespace,
      name: obj.metadata.name,
      subresource: 'status',
    };
    try {
      const res = await o.api.mergePatch<T>(ref, { status: withRemovals(obj.status, status) }, o.signal);
      o.onWrite?.(true);
      o.cache.wrote(res);
    } catch (e) {
      // Deleted meanwhile: there is nobody left to tell.
      if (isKubeApiError(e) && e.notFound) return;
      reportFailure(o, obj, e);
      throw e;
    }
  };
}

/** A merge patch keeps what it does not name: fields of `prev` that `next` leaves out go as null. */
function withRemovals(prev: object | undefined, next: object): object {
  const gone = Object.keys(prev ?? {}).filter((k) => (next as Record<string, unknown>)[k] === undefined);
  return gone.length === 0 ? next : { ...Object.fromEntries(gone.map((k) => [k, null])), ...next };
}

function reportFailure<T extends KubeObject>(o: StatusWriterOptions<T>, obj: T, e: unknown): void {
  const code = isKubeApiError(e) ? e.code : 0;
  o.onFailed?.(code);
  const detail = isKubeApiError(e) ? `${e.reason}: ${e.message}` : e instanceof Error ? e.message : String(e);
  o.logger?.warn(
    {
      kind: o.type.kind,
      namespace: obj.metadata.namespace,
      name: obj.metadata.name,
      code,
      detail: detail.length > MAX_LOGGED_MESSAGE ? `${detail.slice(0, MAX_LOGGED_MESSAGE - 3)}...` : detail,
    },
    'status write failed; retried with backoff',
  );
}
