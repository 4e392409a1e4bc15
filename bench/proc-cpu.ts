/**
 * CPU time and load figures the local-mode benchmarks print with their results: on a shared
 * machine, requests or orders per second move with other load, CPU time per request or order
 * much less.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

/** The 1-, 5- and 15-minute load averages, e.g. `0.52 1.10 0.98`. */
export const loadAverages = (): string =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');

/** CPU milliseconds (user + system) a process has used, from /proc (Linux); NaN elsewhere. */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return Number.NaN;
  }
}

/** CPU milliseconds (user + system) of this process, every thread. */
export const ownCpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
