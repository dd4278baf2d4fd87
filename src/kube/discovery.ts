// The REST resource of a kind named by apiVersion and kind (target.manifest), from the
// apiserver's discovery documents, one request per group version, cached. A kind that is not
// served (its CRD not installed yet) is asked again once MISS_TTL_MS has passed, so installing
// the CRD later works without a restart and a typo does not cost a request per reconcile.

import { CONFIGMAPS, SECRETS } from './resources.js';
import { isKubeApiError } from './types.js';
import type { ApiResourceList, KubeApi, ResourceType } from './types.js';

export const MISS_TTL_MS = 30_000;

/** Served without asking: the kinds every apiserver has. */
const BUILT_IN: readonly ResourceType[] = [CONFIGMAPS, SECRETS];

export class Discovery {
  private readonly lists = new Map<string, { at: number; list: ApiResourceList | undefined }>();
  private readonly inflight = new Map<string, Promise<ApiResourceList | undefined>>();

  constructor(
    private readonly api: KubeApi,
    private readonly now: () => number = Date.now,
  ) {}

  /** The resource serving `kind` in `apiVersion`, or undefined when the apiserver serves none. */
  async resourceFor(
    apiVersion: string,
    kind: string,
    signal?: AbortSignal,
  ): Promise<ResourceType | undefined> {
    const [group, version] = apiVersion.includes('/')
      ? (apiVersion.split('/', 2) as [string, string])
      : ['', apiVersion];
    const known = BUILT_IN.find((t) => t.group === group && t.version === version && t.kind === kind);
    if (known) return known;
    let entry = this.lists.get(apiVersion);
    let type = entry ? find(entry.list, group, version, kind) : undefined;
    if (!type && (!entry || this.now() - entry.at >= MISS_TTL_MS)) {
      entry = { at: this.now(), list: await this.fetch(apiVersion, signal) };
      this.lists.set(apiVersion, entry);
      type = find(entry.list, group, version, kind);
    }
    return type;
  }

  private fetch(groupVersion: string, signal?: AbortSignal): Promise<ApiResourceList | undefined> {
    let p = this.inflight.get(groupVersion);
    if (!p) {
      if (!this.api.discover) throw new Error('this Kubernetes client cannot read discovery documents');
      p = this.api.discover(groupVersion, signal).then(
        (list) => list,
        (e: unknown) => {
          // An unknown group version: nothing is served there (yet).
          if (isKubeApiError(e) && e.notFound) return undefined;
          throw e;
        },
      );
      p.finally(() => this.inflight.delete(groupVersion)).catch(() => undefined);
      this.inflight.set(groupVersion, p);
    }
    return p;
  }
}

function find(
  list: ApiResourceList | undefined,
  group: string,
  version: string,
  kind: string,
): ResourceType | undefined {
  // Subresources (name "x/status") carry the parent's kind too.
  const r = list?.resources?.find((x) => x.kind === kind && !x.name.includes('/'));
  return r ? { group, version, resource: r.name, namespaced: r.namespaced, kind } : undefined;
}
