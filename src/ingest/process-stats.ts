import { readFileSync } from 'node:fs';

/** Linux USER_HZ: /proc reports CPU time in these ticks; 100 on every mainstream kernel build. */
const CLOCK_TICKS_PER_SEC = 100;

export interface ProcessStats {
  /** User + system CPU time since the process started, ms. */
  cpuMs: number;
  /** Resident set size, bytes. */
  rssBytes: number;
  /** Private (unshared) resident memory, bytes — what one more camera really costs; undefined if unreadable. */
  privateBytes?: number;
}

/**
 * CPU and memory of one process (an ffmpeg child) from /proc, for per-camera cost metrics and benchmarks.
 * Linux only; returns undefined when the process is gone or /proc is unavailable.
 */
export function readProcessStats(pid: number): ProcessStats | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces and parentheses): state is field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    // VmRSS in kB, rather than stat's page count: page size differs between machines (4 KiB, 64 KiB on some arm64).
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
    const stats: ProcessStats = { cpuMs: ((utime + stime) * 1000) / CLOCK_TICKS_PER_SEC, rssBytes: rssKb * 1024 };
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? 0);
      stats.privateBytes = (kb('Private_Clean') + kb('Private_Dirty')) * 1024;
    } catch {
      // smaps_rollup needs Linux ≥ 4.14 and the same user; CPU and RSS are still useful
    }
    return stats;
  } catch {
    return undefined;
  }
}
