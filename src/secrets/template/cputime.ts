// The clock of template limits: CPU time of the operator's main thread, not wall time. A
// template's cost to other ExternalSecrets is the event-loop time it takes, and wall time also
// counts what the template did not spend: other processes on a busy node, and CPU quota
// throttling of the container (with a limit of 100m, 100 ms of work takes about a second of
// wall time), which would fail ordinary templates exactly when the node is under pressure.

/** Milliseconds of CPU the main thread has used. */
export function cpuMs(): number {
  const u = process.threadCpuUsage();
  return (u.user + u.system) / 1000;
}
