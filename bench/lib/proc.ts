// Resource use of a process from /proc: RSS now, CPU time consumed (both the operator's own
// view, not a sampling profiler's).

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { E2E_DIR } from '../../e2e/lib/paths.js';
import { round } from './stats.js';

const CLK_TCK = 100;

export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** User + system CPU seconds since the process started. */
export function cpuSeconds(pid: number, file = `/proc/${pid}/stat`): number {
  const stat = readFileSync(file, 'utf8');
  // Fields after the command name (which may contain spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** Samples RSS every intervalMs until stopped; returns the average and the peak. */
export function sampleRss(
  pid: number,
  intervalMs = 1000,
): { stop(): { avg: number; peak: number; samples: number[] } } {
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
      return { avg, peak: Math.max(0, ...samples), samples };
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

// The control plane's processes, by the pid files e2e/tools/cluster.sh writes: only this
// cluster's, whatever else runs on the machine.
const CLUSTER_PROCESSES = {
  apiserver: 'kube-apiserver',
  etcd: 'etcd',
  kcm: 'kube-controller-manager',
} as const;

function clusterPid(name: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(E2E_DIR, 'cluster', 'pids', name), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** CPU-seconds of the control plane's processes, and the machine's idle CPU-seconds (all cores). */
export function clusterCpu(): Record<'apiserver' | 'etcd' | 'kcm' | 'idle', number> {
  const out = { apiserver: 0, etcd: 0, kcm: 0, idle: 0 };
  for (const [k, name] of Object.entries(CLUSTER_PROCESSES)) {
    const pid = clusterPid(name);
    out[k as keyof typeof CLUSTER_PROCESSES] = pid === undefined ? NaN : cpuSeconds(pid);
  }
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
  return Object.fromEntries(Object.entries(spent).map(([k, v]) => [`${prefix}cpu_${k}_s`, round(v, 1)]));
}

/** This process's own CPU-seconds (the benchmark's client and its watches). */
export function ownCpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * CPU-seconds of a process by thread: its main thread (the event loop: JavaScript, TLS, parsing,
 * and the collector's work on it) and all the others (V8's GC helpers, libuv's pool), as
 * /proc/<pid>/task reports them. A sampling profiler sees the first only.
 */
export function threadCpu(pid: number): { main: number; other: number } {
  let main = 0;
  let other = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let s: number;
    try {
      s = cpuSeconds(Number(tid), `/proc/${pid}/task/${tid}/stat`);
    } catch {
      continue; // the thread ended meanwhile
    }
    if (Number(tid) === pid) main += s;
    else other += s;
  }
  return { main, other };
}
