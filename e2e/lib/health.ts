// /healthz latency of an operator, sampled every 100 ms from a worker thread for as long as a
// test file wants: the test's own event loop blocks while kubectl runs or a big manifest is
// serialised, which must not count against the operator.

import { Worker } from 'node:worker_threads';

const POLLER = `
const { parentPort, workerData } = require('node:worker_threads');
const stats = { samples: 0, failures: 0, maxMs: 0, slow: 0 };
let stop = false;
parentPort.on('message', (m) => {
  if (m === 'stop') stop = true;
  else parentPort.postMessage({ ...stats });
});
(async () => {
  while (!stop) {
    const t0 = performance.now();
    try {
      const res = await fetch(workerData.url, { signal: AbortSignal.timeout(5000) });
      if (!res.ok) stats.failures++;
      await res.text();
    } catch {
      stats.failures++;
    }
    const ms = performance.now() - t0;
    stats.maxMs = Math.max(stats.maxMs, ms);
    if (ms > workerData.slowMs) stats.slow++;
    stats.samples++;
    await new Promise((r) => setTimeout(r, 100));
  }
  parentPort.postMessage({ ...stats, final: true });
})();
`;

export interface HealthStats {
  samples: number;
  /** Answers other than 200, and requests without an answer within 5 s. */
  failures: number;
  maxMs: number;
  /** Samples slower than `slowMs`. */
  slow: number;
}

export interface HealthPoller {
  /** The counts so far; the poller keeps going. */
  sample(): Promise<HealthStats>;
  /** Stops polling; the final counts. */
  stop(): Promise<HealthStats>;
  terminate(): Promise<void>;
}

export function pollHealth(port: number, slowMs = 1_000): HealthPoller {
  const w = new Worker(POLLER, {
    eval: true,
    workerData: { url: `http://127.0.0.1:${port}/healthz`, slowMs },
  });
  const ask = (msg: string): Promise<HealthStats> =>
    new Promise((resolve) => {
      w.once('message', (s: HealthStats) => resolve(s));
      w.postMessage(msg);
    });
  return {
    sample: () => ask('sample'),
    stop: () => ask('stop'),
    terminate: async () => {
      await w.terminate();
    },
  };
}
