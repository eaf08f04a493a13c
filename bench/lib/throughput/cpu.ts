/**
 * CPU time and memory of processes, read from /proc (Linux). The parsing and the delta math are pure and
 * unit-tested; the readers return undefined for a process that has gone (it may exit between two reads).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  /** Clock ticks spent in user and kernel mode by all of the process's threads. */
  utime: number;
  stime: number;
  /** Ticks of children that exited and were waited for (reaped) by this process. */
  cutime: number;
  cstime: number;
}

/**
 * Parses /proc/<pid>/stat. The command name sits in parentheses and may itself hold spaces and ')', so the
 * fields are counted from the last ')'.
 */
export function parseProcStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`not a /proc/<pid>/stat line: ${text.slice(0, 80)}`);
  const pid = Number(text.slice(0, open).trim());
  const comm = text.slice(open + 1, close);
  // After ')': state(3) ppid(4) pgrp(5) session(6) tty_nr(7) tpgid(8) flags(9) minflt(10) cminflt(11) majflt(12)
  // cmajflt(13) utime(14) stime(15) cutime(16) cstime(17) …; rest[0] is field 3.
  const rest = text.slice(close + 1).trim().split(/\s+/);
  const field = (n: number): number => {
    const v = Number(rest[n - 3]);
    if (!Number.isFinite(v)) throw new Error(`/proc/${pid}/stat: field ${n} is not a number`);
    return v;
  };
  return { pid, comm, state: rest[0] ?? '?', ppid: field(4), utime: field(14), stime: field(15), cutime: field(16), cstime: field(17) };
}

/** `VmRSS:   12345 kB` → 12345 (kB) for the given key of /proc/<pid>/status; undefined when absent. */
export function parseStatusKb(text: string, key: string): number | undefined {
  const m = new RegExp(`^${key}:\\s+(\\d+)\\s*kB`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

let clkTck: number | undefined;

/** Clock ticks per second (USER_HZ), from `getconf CLK_TCK`; 100 on every common Linux if getconf is missing. */
export function clockTicksPerSecond(): number {
  if (clkTck === undefined) {
    try {
      const v = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
      clkTck = Number.isFinite(v) && v > 0 ? v : 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

export function ticksToMs(ticks: number, hz: number = clockTicksPerSecond()): number {
  return (ticks * 1000) / hz;
}

export function readProcStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** CPU time of one live process (all threads), ms; undefined when it is gone. */
export function processCpuMs(pid: number): number | undefined {
  const s = readProcStat(pid);
  return s ? ticksToMs(s.utime + s.stime) : undefined;
}

export interface ProcMemory {
  /** Resident set (VmRSS), kB: includes shared library pages, so a sum over processes overstates. */
  rssKb: number;
  /** Private anonymous memory (RssAnon), kB: heap, stacks, buffers — what each extra process really adds. */
  anonKb: number;
  /**
   * Proportional set size (smaps_rollup Pss), kB: shared pages divided among the processes sharing them, so
   * a sum over processes is the physical memory they use together. NaN where the kernel has no smaps_rollup.
   */
  pssKb: number;
}

export function readMemory(pid: number): ProcMemory | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = parseStatusKb(text, 'VmRSS');
    if (rssKb === undefined) return undefined; // a zombie has no VmRSS
    let pssKb = Number.NaN;
    try {
      pssKb = parseStatusKb(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Pss') ?? Number.NaN;
    } catch {
      // no smaps_rollup (kernel < 4.14) or no permission
    }
    return { rssKb, anonKb: parseStatusKb(text, 'RssAnon') ?? rssKb, pssKb };
  } catch {
    return undefined;
  }
}

export interface ChildProc {
  pid: number;
  comm: string;
  /** argv joined with spaces. */
  cmdline: string;
}

/** Live direct children of `ppid`, found by scanning /proc. */
export function listChildren(ppid: number): ChildProc[] {
  const out: ChildProc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = readProcStat(Number(name));
    if (!st || st.ppid !== ppid || st.state === 'Z') continue;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim();
    } catch {
      continue;
    }
    out.push({ pid: st.pid, comm: st.comm, cmdline });
  }
  return out;
}

/** CPU of a process and selected children at one instant. */
export interface TreeSnapshot {
  /** The parent's own CPU (all its threads), ms. */
  selfMs: number;
  /** The parent's cutime+cstime: CPU of children it has reaped, ms. */
  reapedMs: number;
  /** Live children being measured: pid → CPU ms. */
  children: Map<number, number>;
}

export interface TreeDelta {
  selfMs: number;
  /** Children's CPU within the interval, including children that exited and were reaped in between. */
  childrenMs: number;
  started: number[];
  exited: number[];
}

/**
 * CPU used between two snapshots of the same process tree. A child alive at both counts after − before; a
 * child that started in between counts all its CPU; a child that exited in between counts through the
 * parent's reaped-children time (which holds its whole life), less what it had used at the first snapshot.
 * Exact when every exited child was reaped before the second snapshot (Node reaps promptly). Pure.
 */
export function treeDelta(before: TreeSnapshot, after: TreeSnapshot): TreeDelta {
  let childrenMs = 0;
  const started: number[] = [];
  const exited: number[] = [];
  for (const [pid, ms] of after.children) {
    const b = before.children.get(pid);
    if (b === undefined) started.push(pid);
    childrenMs += ms - (b ?? 0);
  }
  let exitedBefore = 0;
  for (const [pid, ms] of before.children) {
    if (!after.children.has(pid)) {
      exited.push(pid);
      exitedBefore += ms;
    }
  }
  const reaped = after.reapedMs - before.reapedMs;
  if (exited.length > 0) childrenMs += Math.max(0, reaped - exitedBefore);
  return { selfMs: after.selfMs - before.selfMs, childrenMs, started, exited };
}

/** Snapshot of `pid` and those of its live children that `include` selects. */
export function snapshotTree(pid: number, include: (c: ChildProc) => boolean): TreeSnapshot | undefined {
  const st = readProcStat(pid);
  if (!st) return undefined;
  const children = new Map<number, number>();
  for (const c of listChildren(pid)) {
    if (!include(c)) continue;
    const ms = processCpuMs(c.pid);
    if (ms !== undefined) children.set(c.pid, ms);
  }
  return { selfMs: ticksToMs(st.utime + st.stime), reapedMs: ticksToMs(st.cutime + st.cstime), children };
}

/** CPU-ms per camera-second: CPU time spent per second of video for one camera. */
export function cpuMsPerCameraSecond(cpuMs: number, cameras: number, seconds: number): number {
  if (!(cameras > 0) || !(seconds > 0)) return Number.NaN;
  return cpuMs / (cameras * seconds);
}

/** CPU-ms the processes used between two readings, and how many of them ran through (both readings present). */
export function cpuOverWindow(before: number[], after: number[]): { ran: number; cpuMs: number } {
  const both = (k: number) => Number.isFinite(after[k]!) && Number.isFinite(before[k]!);
  return { ran: before.filter((_, k) => both(k)).length, cpuMs: before.reduce((s, b, k) => s + (both(k) ? after[k]! - b : 0), 0) };
}

/** Mean VmRSS, RssAnon and PSS per process, MB. */
export function memoryPerProcess(mem: ProcMemory[]): { rssMbPerProcess: number; anonMbPerProcess: number; pssMbPerProcess: number } {
  const mean = (kb: (m: ProcMemory) => number) => mem.reduce((s, m) => s + kb(m), 0) / 1024 / Math.max(1, mem.length);
  return { rssMbPerProcess: mean((m) => m.rssKb), anonMbPerProcess: mean((m) => m.anonKb), pssMbPerProcess: mean((m) => m.pssKb) };
}

/** Share of one core: CPU time over wall time. */
export function coreShare(cpuMs: number, wallMs: number): number {
  return wallMs > 0 ? cpuMs / wallMs : Number.NaN;
}

/** process.cpuUsage() delta in ms (user + system, every thread of this process). */
export function cpuUsageMs(since?: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
}

/** Load average of the machine (1 min), for the report's context. */
export function loadAverage1(): number {
  try {
    return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  } catch {
    return Number.NaN;
  }
}
