/**
 * What the kernel says a process and the host did, read from /proc (the I/O edge of host
 * health; host-health.ts decides from these numbers). Per process: CPU time (utime + stime of all
 * its threads), time spent running and waiting on a run queue (/proc/PID/schedstat, ns),
 * context switches, the CPU it last ran on. For the host: every CPU's jiffies by kind, steal too.
 */
import { readProc } from './proc-read.js';

export interface ProcessSample {
  pid: number;
  /** utime + stime, all threads, in ns. */
  cpuNs: number;
  /** stime alone: the kernel's work in its context (system calls; for the NIC, the kernel path's delivery of its sends). */
  systemNs: number;
  /** The main thread's time on a CPU and waiting for one, ns (schedstat). */
  runNs: number;
  waitNs: number;
  voluntary: number;
  involuntary: number;
  /** The CPU it last ran on. */
  cpu: number;
}

export interface HostSample {
  /** Jiffies summed over all CPUs: busy (user, nice, system, irq, softirq), idle (idle, iowait), steal. */
  busy: number;
  idle: number;
  steal: number;
  /** Nanoseconds per jiffy (USER_HZ, 100 on Linux). */
  tickNs: number;
}

const TICK_NS = 1e7; // USER_HZ = 100 on every Linux this runs on

/** /proc/PID/stat's fields after the command name (which may hold spaces), from field 3 on; null if it is gone. */
export function statFields(pid: number): string[] | null {
  const stat = readProc(`/proc/${pid}/stat`);
  return stat === null ? null : stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

export function sampleProcess(pid: number): ProcessSample | null {
  const f = statFields(pid);
  if (f === null) return null;
  const utime = Number(f[11]);
  const stime = Number(f[12]);
  const cpu = Number(f[36]);
  const sched = (readProc(`/proc/${pid}/schedstat`) ?? '0 0 0').trim().split(/\s+/).map(Number);
  const status = readProc(`/proc/${pid}/status`) ?? '';
  const vol = /voluntary_ctxt_switches:\s+(\d+)/.exec(status);
  const invol = /nonvoluntary_ctxt_switches:\s+(\d+)/.exec(status);
  return {
    pid,
    cpuNs: (utime + stime) * TICK_NS,
    systemNs: stime * TICK_NS,
    runNs: sched[0] || 0,
    waitNs: sched[1] || 0,
    voluntary: vol ? Number(vol[1]) : 0,
    involuntary: invol ? Number(invol[1]) : 0,
    cpu: Number.isFinite(cpu) ? cpu : -1,
  };
}

/** The host's CPU time between two samples, in ns over all CPUs: busy, stolen, and all of it. */
export interface HostSpan {
  busyNs: number;
  stealNs: number;
  totalNs: number;
}

export function hostBetween(a: HostSample | null, b: HostSample | null): HostSpan | null {
  if (!a || !b) return null;
  const busyNs = (b.busy - a.busy) * b.tickNs;
  const stealNs = (b.steal - a.steal) * b.tickNs;
  const idleNs = (b.idle - a.idle) * b.tickNs;
  return { busyNs, stealNs, totalNs: busyNs + stealNs + idleNs };
}

/** The share of a span's CPU time the hypervisor stole; null where nothing was measured. */
export function stealShareOf(h: HostSpan | null): number | null {
  return h && h.totalNs > 0 ? h.stealNs / h.totalNs : null;
}

export function sampleHost(): HostSample | null {
  const text = readProc('/proc/stat');
  if (text === null) return null;
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return null;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return { busy: user + nice + system + irq + softirq, idle: idle + iowait, steal: steal || 0, tickNs: TICK_NS };
}
