/**
 * Host health (DESIGN §11): what the host did to a run, and the verdict on its figures. Pure:
 * numbers in (from /proc, the NIC's lag counts, the subscribers' own stall clocks), a verdict
 * out, `clean` or `contended` with its reasons in plain words. A contended run's figures are the
 * host's, not the path's. The thresholds are counters of the registry, with their descriptions.
 */
import { counter } from './counters.js';
import { stealShareOf, type HostSpan } from './proc-sample.js';
import { formatDurationNs } from './duration.js';

export type Verdict = 'clean' | 'contended';
export type ProcessRole = 'controller' | 'nic' | 'subscriber';

/** What one lab process did over the run, as deltas from its start. */
export interface ProcessUsage {
  role: ProcessRole;
  name: string;
  pid: number;
  spinning: boolean;
  /** The CPU it is pinned to (null: not pinned). */
  pinned: number | null;
  cpuNs: number;
  /** Of cpuNs, the kernel's work in its context (system time); absent in older results. */
  systemNs?: number;
  waitNs: number;
  involuntary: number;
  /** CPUs it was seen running on. */
  cpus: number[];
  /** A spinner's longest poll-loop cycle (Aeron's max cycle time), ns; null when not measured. */
  maxStallNs: number | null;
  /** Its longest garbage-collection pause, ns (a stall of its own making, not the host's); null when not measured. */
  maxGcNs?: number | null;
}

export interface HealthInput {
  elapsedNs: number;
  cores: number;
  processes: ProcessUsage[];
  /** The NIC's lag behind its schedule, per packet. */
  /** offCpu: the longest the NIC was off its CPU mid-spin, and how often past 0.5 ms (absent in older results). */
  nicLag: { p50Ns: number; p99Ns: number; maxNs: number; packets: number; offCpuMaxNs?: number; offCpuCount?: number } | null;
  /** The host over the same span: CPU time of every process, the lab's included (ns, all CPUs), and steal. */
  host: HostSpan | null;
  /** Datagrams that reached the lab's sockets from outside the lab. */
  foreignDatagrams: number;
}

export interface ProcessHealth {
  role: ProcessRole;
  name: string;
  pid: number;
  /** Of one core, over the run. */
  cpuShare: number;
  /** Of one core, the part of cpuShare the kernel spent in its context (system time: its system calls). */
  systemShare: number;
  /** Of the run, the time it waited on a run queue for a CPU. */
  runQueueWait: number;
  involuntaryPerSecond: number;
  cpus: number[];
  maxStallNs: number | null;
  maxGcNs: number | null;
  verdict: Verdict;
  reasons: string[];
}

export interface HostHealth {
  verdict: Verdict;
  /** Plain words: what made it contended (empty when clean). */
  reasons: string[];
  sampledMs: number;
  cores: number;
  processes: ProcessHealth[];
  nicLag: HealthInput['nicLag'];
  /** Cores' worth of CPU used by processes outside the lab, on average. */
  outsideCores: number | null;
  stealShare: number | null;
  foreignDatagrams: number;
}

export const THRESHOLDS = {
  runQueueWait: counter('health.runQueueWait'),
  spinnerStallNs: counter('health.spinnerStallNs'),
  spinnerInvoluntaryPerSecond: counter('health.spinnerInvoluntaryPerSecond'),
  nicLagP99Ns: counter('health.nicLagP99Ns'),
  nicNeighbourWait: counter('health.nicNeighbourWait'),
  outsideCores: counter('health.outsideCores'),
  steal: counter('health.steal'),
  foreignDatagrams: counter('health.foreignDatagrams'),
};

const pct = (x: number) => (x > 0 && x < 0.01 ? `${(x * 100).toFixed(1)}%` : `${Math.round(x * 100)}%`);
const limit = (c: { threshold?: number }) => c.threshold ?? Infinity;

export const UNMEASURED: HostHealth = { verdict: 'clean', reasons: [], sampledMs: 0, cores: 0, processes: [], nicLag: null, outsideCores: null, stealShare: null, foreignDatagrams: 0 };

/**
 * Who took the NIC's CPU while it spun to a send time. Its run-queue wait tells: runnable and
 * not running means another process on its CPU ran instead (the lab's own, when they share it);
 * off its CPU with no such wait means the host took the time (an interrupt, the hypervisor).
 */
function nicLagCause(x: HealthInput, span: number, seconds: number): string {
  const off = x.nicLag?.offCpuMaxNs ?? 0;
  if (off <= 0) return '';
  const n = x.nicLag?.offCpuCount ?? 0;
  const taken = `; it was taken off its CPU ${n} time${n === 1 ? '' : 's'} while it waited to send, for up to ${formatDurationNs(off)}`;
  const nic = x.processes.find((p) => p.role === 'nic');
  if (!nic) return `${taken}: the host's doing, not its own work`;
  const wait = nic.waitNs / span;
  const neighbours = x.processes.filter((o) => o !== nic && o.cpus.some((c) => nic.cpus.includes(c))).map((o) => o.name);
  if (wait > limit(THRESHOLDS.nicNeighbourWait) && neighbours.length > 0) {
    return `${taken}: it waited ${pct(wait)} of its time for CPU ${nic.cpus.join(', ')}, where ${neighbours.join(', ')} ran in its place (preempted ${Math.round(nic.involuntary / seconds).toLocaleString('en-US')} times a second): the lab's own processes, on too few cores`;
  }
  return `${taken}, with little wait on a run queue (${pct(wait)}): the host's doing (an interrupt, the hypervisor), not the lab's processes`;
}

export function judgeHealth(x: HealthInput): HostHealth {
  const span = Math.max(1, x.elapsedNs);
  const seconds = span / 1e9;
  const labCpuNs = x.processes.reduce((n, p) => n + p.cpuNs, 0);
  const outsideCores = x.host ? Math.max(0, x.host.busyNs - labCpuNs) / span : null;
  const stealShare = stealShareOf(x.host);
  const hostReasons: string[] = [];
  if (outsideCores !== null && outsideCores > limit(THRESHOLDS.outsideCores)) hostReasons.push(`processes outside the lab used ${outsideCores.toFixed(2)} of ${x.cores} cores`);
  if (stealShare !== null && stealShare > limit(THRESHOLDS.steal)) hostReasons.push(`the hypervisor stole ${pct(stealShare)} of the CPU time`);
  if (x.nicLag && x.nicLag.packets > 0 && x.nicLag.p99Ns > limit(THRESHOLDS.nicLagP99Ns)) {
    hostReasons.push(`the NIC fell behind its schedule: p99 ${formatDurationNs(x.nicLag.p99Ns)}, worst ${formatDurationNs(x.nicLag.maxNs)}${nicLagCause(x, span, seconds)}`);
  }
  if (x.foreignDatagrams > limit(THRESHOLDS.foreignDatagrams)) hostReasons.push(`${x.foreignDatagrams.toLocaleString('en-US')} datagrams from outside the lab reached its sockets`);

  const processes = x.processes.map((p): ProcessHealth => {
    const wait = p.waitNs / span;
    const invol = p.involuntary / seconds;
    const reasons: string[] = [];
    const others = x.processes.filter((o) => o !== p && o.cpus.some((c) => p.cpus.includes(c))).map((o) => o.name);
    const where = p.cpus.length > 0 ? ` on CPU ${p.cpus.join(', ')}` : '';
    // The controller only samples counters: its waits delay no packet, so they decide no figure.
    if (p.role !== 'controller' && wait > limit(THRESHOLDS.runQueueWait)) {
      reasons.push(`${p.name} waited ${pct(wait)} of its time on a run queue for a CPU${where}${others.length > 0 ? ` (shared with ${others.join(', ')})` : ''}`);
    }
    // A stall its own garbage collector explains is the process's, not the host's: it does not count.
    const gc = p.maxGcNs ?? 0;
    if (p.spinning && p.maxStallNs !== null && p.maxStallNs > limit(THRESHOLDS.spinnerStallNs) && p.maxStallNs - gc > limit(THRESHOLDS.spinnerStallNs)) {
      // Its run-queue wait says who took the time, as for the NIC: with little wait, no process
      // of this guest ran in its place, so the host did (an interrupt, the hypervisor).
      const who = wait > limit(THRESHOLDS.runQueueWait) ? '' : `, with little wait on a run queue (${pct(wait)}): the host's doing (an interrupt, the hypervisor), not the lab's processes`;
      reasons.push(`${p.name}'s poll loop stalled for up to ${formatDurationNs(p.maxStallNs)}${gc > 0 ? ` (its longest GC pause: ${formatDurationNs(gc)})` : ''}: it was off its CPU${who}`);
    }
    if (p.spinning && invol > limit(THRESHOLDS.spinnerInvoluntaryPerSecond)) reasons.push(`${p.name} spins but was preempted ${Math.round(invol)} times a second`);
    const own = p.role === 'subscriber' ? [...reasons, ...hostReasons] : reasons;
    return { role: p.role, name: p.name, pid: p.pid, cpuShare: p.cpuNs / span, systemShare: (p.systemNs ?? 0) / span, runQueueWait: wait, involuntaryPerSecond: invol, cpus: p.cpus, maxStallNs: p.maxStallNs, maxGcNs: p.maxGcNs ?? null, verdict: own.length > 0 ? 'contended' : 'clean', reasons };
  });
  const reasons = [...processes.flatMap((p) => p.reasons), ...hostReasons];
  return { verdict: reasons.length > 0 ? 'contended' : 'clean', reasons, sampledMs: span / 1e6, cores: x.cores, processes, nicLag: x.nicLag, outsideCores, stealShare, foreignDatagrams: x.foreignDatagrams };
}

/** The badge: reads without colour. */
export function healthBadge(h: HostHealth): string {
  return h.verdict === 'clean' ? 'HOST CLEAN' : 'HOST CONTENDED';
}
