// spec.refreshTime of a ClusterExternalSecret, the one place it is read.

import type { ClusterExternalSecret } from '../../api/types.js';
import { parseGoDuration } from '../../config/duration.js';
import { flooredInterval } from '../../runtime/schedule.js';

/** ESO's RequeueInterval for ClusterExternalSecrets without refreshTime. */
export const DEFAULT_CES_REFRESH = '1h';

/** spec.refreshTime in ms (0: re-check only on changes), so that a floor on intervals applies to every use. */
export function cesRefreshIntervalMs(
  ces: ClusterExternalSecret,
  /** The operator's --min-refresh-interval; 0 or undefined: none. */
  floorMs = 0,
): { ms: number } | { error: string } {
  const raw = ces.spec?.refreshTime || DEFAULT_CES_REFRESH;
  try {
    return { ms: flooredInterval(Math.max(0, parseGoDuration(raw)), floorMs) };
  } catch (e) {
    return { error: `invalid refreshTime "${raw}": ${(e as Error).message}` };
  }
}
