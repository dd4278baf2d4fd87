import { describe, expect, it } from '@jest/globals';
import { reconcileRollout } from './reconcile.js';
import { PendingRestarts } from './state.js';
import type { RolloutWorld } from './world.js';
import type { Workload } from './workloads.js';

const es = {
  apiVersion: 'external-secrets.io/v1',
  kind: 'ExternalSecret',
  metadata: { namespace: 'team', name: 'db' },
};

function world(p: PendingRestarts, now: number, budget = 0): RolloutWorld {
  return {
    now: () => now,
    pending: p.get('Deployment', 'team/api'),
    takeRestart: () => budget,
    debounceMs: 1000,
    maxWaitMs: 4000,
  };
}

function api(hashes?: Record<string, string>): Workload {
  return {
    kind: 'Deployment',
    metadata: { namespace: 'team', name: 'api' },
    rollout: hashes ? { hashes } : {},
  };
}

describe('reconcileRollout', () => {
  const pending = () => {
    const p = new PendingRestarts();
    p.add('Deployment', 'team/api', { secret: 'db', value: 'v1', reason: 'annotation', source: es, at: 0 });
    return p;
  };

  it('does nothing without a pending change', () => {
    const out = reconcileRollout(api(), world(new PendingRestarts(), 0));
    expect(out.patch).toBeUndefined();
    expect(out.settle).toEqual({});
  });

  it('waits for the burst to settle', () => {
    expect(reconcileRollout(api(), world(pending(), 400))).toMatchObject({ requeueAfterMs: 600, settle: {} });
  });

  it('patches one annotation per changed Secret once due', () => {
    const out = reconcileRollout(api(), world(pending(), 1000));
    expect(out.patch).toEqual({ 'secret-hash.syncret.io/db': 'v1' });
    expect(out.settle).toEqual({ db: 'v1' });
    expect(out.reason).toBe('annotation');
  });

  it('settles without a patch when the template carries the hash already', () => {
    const out = reconcileRollout(api({ 'secret-hash.syncret.io/db': 'v1' }), world(pending(), 1000));
    expect(out.patch).toBeUndefined();
    expect(out.settle).toEqual({ db: 'v1' });
    expect(out.events).toEqual([]);
  });

  it('waits for the namespace budget', () => {
    const out = reconcileRollout(api(), world(pending(), 1000, 2500));
    // Nothing settles: the restart still comes when the token does.
    expect(out).toMatchObject({ delayed: true, requeueAfterMs: 2500, settle: {} });
    expect(out.patch).toBeUndefined();
    expect(out.events[0]?.reason).toBe('RolloutRestartDelayed');
  });
});
