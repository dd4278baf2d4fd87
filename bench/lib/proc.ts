// Resource use of a process from /proc: RSS now, CPU time consumed (both the operator's own
// view, not a sampling profiler's).

import { readFileSync, readdirSync } from 'node:fs';

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

const CLUSTER_PROCESSES = { apiserver: 'kube-apiserver', etcd: 'etcd', kcm: 'kube-controller' } as const;

function pidsNamed(comm: string): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/comm`, 'utf8').trim() === comm) pids.push(Number(d));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** CPU-seconds of the control plane's processes, and the machine's idle CPU-seconds (all cores). */
export function clusterCpu(): Record<'apiserver' | 'etcd' | 'kcm' | 'idle', number> {
  const out = { apiserver: 0, etcd: 0, kcm: 0, idle: 0 };
  for (const [k, comm] of Object.entries(CLUSTER_PROCESSES))
    out[k as keyof typeof CLUSTER_PROCESSES] = pidsNamed(comm).reduce((a, p) => a + cpuSeconds(p), 0);
  // /proc/stat: cpu user nice system idle ... in clock ticks, summed over the cores.
  out.idle = Number(readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/)[4]) / CLK_TCK;
  return out;
}

/**
 * Where the CPU went between two clusterCpu() readings, as metrics (CPU-seconds): on 2 cores
 * with idle near 0 the throughput is the inverse of the total, so these say why a rate moved.
 */
export function cpuSpent(
  prefix: string,
  before: ReturnType<typeof clusterCpu>,
  extra: Record<string, number> = {},
): Record<string, number> {
  const now = clusterCpu();
  const spent: Record<string, number> = {
    apiserver: now.apiserver - before.apiserver,
    etcd: now.etcd - before.etcd,
    kcm: now.kcm - before.kcm,
    idle: now.idle - before.idle,
    ...extra,
  };
  return Object.fromEntries(
    Object.entries(spent).map(([k, v]) => [`${prefix}cpu_${k}_s`, Math.round(v * 10) / 10]),
  );
}

/** This process's own CPU-seconds (the benchmark's client and its watches). */
export function ownCpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
