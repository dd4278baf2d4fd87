// The writes of a fan-out reconcile: children created, merge-patched and deleted, a few in
// flight at once, each failure recorded against its namespace with the apiserver's answer.

import type { KubeObject } from '../../api/types.js';
import { isKubeApiError } from '../../kube/types.js';
import type { KubeApi } from '../../kube/types.js';
import type { ObjectCache } from '../../runtime/cache.js';
import { eachLimited } from '../../runtime/limited.js';
import type { AnyFanout } from './children.js';
import type { ChildWrite } from './plan.js';

/** Child writes in flight at once for one parent. */
export const CHILD_WRITE_CONCURRENCY = 8;

export interface ChildWriter {
  api: KubeApi;
  kind: AnyFanout;
  /** The children's cache, told about every write (read-your-writes). */
  children: ObjectCache<KubeObject>;
}

/** Executes the writes; the namespaces whose write failed, with why. */
export async function writeChildren(
  w: ChildWriter,
  writes: readonly ChildWrite[],
  signal: AbortSignal,
): Promise<Map<string, string>> {
  const failures = new Map<string, string>();
  await eachLimited(writes, CHILD_WRITE_CONCURRENCY, async (x) => {
    try {
      await writeChild(w, x, signal);
    } catch (e) {
      if (signal.aborted) throw e;
      failures.set(x.namespace, failureReason(w.kind, x, e));
    }
  });
  return failures;
}

async function writeChild(w: ChildWriter, x: ChildWrite, signal: AbortSignal): Promise<void> {
  const ref = { type: w.kind.childType, namespace: x.namespace, name: x.name };
  if (x.op === 'delete') {
    try {
      await w.api.delete(ref, { preconditionUid: x.uid, signal });
    } catch (e) {
      // Gone already, or replaced by another object of that name (the uid precondition).
      if (isKubeApiError(e) && (e.notFound || e.conflict)) return;
      throw e;
    }
    return;
  }
  const res =
    x.op === 'create'
      ? await w.api.create<KubeObject>(ref, x.body, signal)
      : await w.api.mergePatch<KubeObject>(ref, x.patch, signal);
  w.children.wrote(res);
}

/** ESO's wording ("could not create or update <Kind>: ..."), with the apiserver's answer. */
function failureReason(kind: AnyFanout, x: ChildWrite, e: unknown): string {
  if (x.op === 'create' && isKubeApiError(e) && e.code === 409)
    // Created by someone else since the watch last said: not ours.
    return kind.existsMessage;
  const verb = x.op === 'delete' ? 'delete' : x.op === 'create' ? 'create' : 'update';
  const detail = isKubeApiError(e) ? `${e.code} ${e.reason}: ${e.message}` : (e as Error)?.message;
  const out = `could not ${verb} ${kind.childKind} "${x.name}": ${detail ?? String(e)}`;
  return out.length > 512 ? `${out.slice(0, 509)}...` : out;
}
