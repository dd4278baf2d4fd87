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

/**
 * RSS split by kind (kB from smaps_rollup, returned in bytes): `anon` is the process's own memory
 * (V8 heap, malloc); `file` is mapped files, almost all of it the node binary's code pages,
 * which are clean, shared between Node processes of one image and reclaimable under pressure.
 */
export function rssKinds(pid: number): { anon: number; file: number } {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  const rss = kb('Rss');
  const anon = kb('Anonymous');
  return { anon: anon * 1024, file: (rss - anon) * 1024 };
}
