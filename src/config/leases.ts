// The timings of leader election and shard membership Leases.

import { OptionsError } from './argv.js';

/**
 * client-go's leaderelection.NewLeaderElector rules: a leader (or a shard member) must renew
 * well before its lease can expire, and retries must fit into the renew deadline.
 */
export function checkLeaderElection(opts: {
  leaderElect: boolean;
  sharding: boolean;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}): void {
  if (!opts.leaderElect && !opts.sharding) return;
  if (opts.leaseDurationMs <= opts.renewDeadlineMs)
    throw new OptionsError('--lease-duration must be greater than --renew-deadline');
  if (opts.renewDeadlineMs <= 1.2 * opts.retryPeriodMs)
    throw new OptionsError('--renew-deadline must be greater than 1.2 × --retry-period');
}
