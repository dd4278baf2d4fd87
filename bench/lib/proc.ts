// Resource use of a process from /proc: RSS now, CPU time consumed (both the operator's own
// view, not a sampling profiler's).

import { readFileSync } from 'node:fs';

const CLK_TCK = 100;

export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** User + system CPU seconds since the process started. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** Samples RSS every intervalMs until stopped; returns the average and the peak. */
export function sampleRss(pid: number, intervalMs = 1000): { stop(): { avg: number; peak: number } } {
  const samples: number[] = [];
  const t = setInterval(() => {
    try {
      samples.push(rssBytes(pid));
    } catch {
      // process gone
    }
  }, intervalMs);
  return {
    stop() {
      clearInterval(t);
      const avg = samples.reduce((a, b) => a + b, 0) / Math.max(1, samples.length);
      return { avg, peak: Math.max(0, ...samples) };
    },
  };
}
