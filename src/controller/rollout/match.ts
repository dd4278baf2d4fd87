// Which workloads restart when a Secret's data changed, and why: the ExternalSecret's own
// annotation naming them, or Reloader's annotations on the workload, matched as Reloader
// matches them (its ShouldReload and its search for the container that uses the Secret).

import { compileRegexp } from '../../regexp/index.js';
import { RELOADER } from './workloads.js';
import type { Workload } from './workloads.js';

/**
 * Why a workload restarts, in precedence order (a restart for several reasons is counted under
 * the first): the ExternalSecret names it; Reloader's reload list names the Secret; Reloader's
 * search finds a Secret marked `match`; Reloader's auto finds a Secret the pods use.
 */
export const RESTART_REASONS = ['annotation', 'reloader-reload', 'reloader-search', 'reloader-auto'] as const;
export type RestartReason = (typeof RESTART_REASONS)[number];

/** Reloader's reload entries are Go regexps matched against the whole name (`^` + entry + `$`). */
function listed(patterns: readonly string[], name: string): boolean {
  for (const p of patterns) {
    try {
      if (compileRegexp(`^${p}$`).matchString(name)) return true;
    } catch {
      // Reloader skips an entry that does not compile, and so do we.
    }
  }
  return false;
}

/**
 * Why Reloader's annotations on `w` restart it for Secret `secret` (with `annotations`), or
 * undefined. As Reloader: a Secret annotated `ignore: "true"` restarts nothing and an excluded
 * name never restarts the workload; the reload list needs no reference from the pods, search
 * and auto do.
 */
export function reloaderReason(
  w: Workload,
  secret: string,
  annotations: Readonly<Record<string, string>>,
): RestartReason | undefined {
  const opt = w.rollout.reloader;
  if (!opt || annotations[RELOADER.ignore] === 'true') return undefined;
  if (opt.exclude.includes(secret)) return undefined;
  if (listed(opt.reload, secret)) return 'reloader-reload';
  const used = w.rollout.secrets?.includes(secret) ?? false;
  if (!used) return undefined;
  if (opt.search && annotations[RELOADER.match] === 'true') return 'reloader-search';
  if (opt.auto) return 'reloader-auto';
  return undefined;
}

/** The first of `reasons` in precedence order. */
export function mainReason(reasons: Iterable<RestartReason>): RestartReason {
  const set = new Set(reasons);
  return RESTART_REASONS.find((r) => set.has(r)) ?? 'annotation';
}
