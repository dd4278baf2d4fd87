// ClusterPushSecret's refreshTime under the operator's floor (--min-refresh-interval), read
// through the fan-out kind the controller plans with.

import { describe, expect, it } from '@jest/globals';
import type { ClusterPushSecret } from '../../api/types.js';
import { CPS_FANOUT } from './controller.js';

const cps = (refreshTime?: string): ClusterPushSecret => ({
  metadata: { name: 'c' },
  spec: { refreshTime, pushSecretSpec: { secretStoreRefs: [], selector: {} } },
});

describe('ClusterPushSecret refreshTime', () => {
  it("defaults to ESO's 1h, is raised to the floor, and 0 keeps meaning only on changes", () => {
    expect(CPS_FANOUT.refresh(cps(), 10_000)).toEqual({ ms: 3_600_000 });
    expect(CPS_FANOUT.refresh(cps('1s'), 10_000)).toEqual({ ms: 10_000 });
    expect(CPS_FANOUT.refresh(cps('1s'))).toEqual({ ms: 1_000 });
    expect(CPS_FANOUT.refresh(cps('0s'), 10_000)).toEqual({ ms: 0 });
    expect(CPS_FANOUT.refresh(cps('soon'), 10_000)).toMatchObject({ error: expect.stringContaining('soon') });
  });
});
