/**
 * The controller's view of host health while a lab runs: it samples /proc for every lab process
 * (and the host) a few times a second, keeps each one's figures since the replay began, and
 * hands the pure judge (metrics/host-health.ts) the deltas. Frozen when the replay ends, so that
 * the drain and teardown do not count.
 */
import { cpus } from 'node:os';
import { judgeHealth, UNMEASURED, type HealthInput, type HostHealth, type ProcessRole, type ProcessUsage } from '../metrics/host-health.js';
import { hostBetween, sampleHost, sampleProcess, type HostSample, type ProcessSample } from '../metrics/proc-sample.js';

export interface LabProcess {
  role: ProcessRole;
  name: string;
  pid: number;
  spinning: boolean;
  pinned: number | null;
  maxStallNs: number | null;
  /** Its longest garbage-collection pause (a stall of its own making), ns; null when not measured. */
  maxGcNs: number | null;
}

interface Tracked {
  base: ProcessSample;
  last: ProcessSample;
  cpus: Set<number>;
}

export class HealthSampler {
  private readonly tracked = new Map<number, Tracked>();
  private hostBase: HostSample | null = null;
  private hostLast: HostSample | null = null;
  private startNs = 0;
  private lastNs = 0;
  private frozen: HostHealth | null = null;
  private readonly cores = cpus().length;

  /** From now on figures count (the replay's start). */
  begin(nowNs: number, procs: readonly LabProcess[]): void {
    this.startNs = this.lastNs = nowNs;
    this.hostBase = this.hostLast = sampleHost();
    this.tracked.clear();
    this.sample(nowNs, procs);
  }

  /** One look at every process and the host. */
  sample(nowNs: number, procs: readonly LabProcess[]): void {
    if (this.frozen || this.startNs === 0) return;
    this.lastNs = nowNs;
    this.hostLast = sampleHost() ?? this.hostLast;
    for (const p of procs) {
      const s = sampleProcess(p.pid);
      if (!s) continue;
      const t = this.tracked.get(p.pid);
      if (!t) this.tracked.set(p.pid, { base: s, last: s, cpus: new Set(s.cpu >= 0 ? [s.cpu] : []) });
      else {
        t.last = s;
        if (s.cpu >= 0) t.cpus.add(s.cpu);
      }
    }
  }

  /** The verdict so far (or the frozen one). */
  judge(procs: readonly LabProcess[], nicLag: HealthInput['nicLag'], foreignDatagrams: number): HostHealth {
    if (this.frozen) return this.frozen;
    // Before the replay begins nothing is measured: the badge says so (HOST ?), not "clean".
    if (this.startNs === 0) return { ...UNMEASURED, cores: this.cores };
    const usage: ProcessUsage[] = [];
    for (const p of procs) {
      const t = this.tracked.get(p.pid);
      if (!t) continue;
      usage.push({
        role: p.role, name: p.name, pid: p.pid, spinning: p.spinning, pinned: p.pinned, maxStallNs: p.maxStallNs, maxGcNs: p.maxGcNs,
        cpuNs: t.last.cpuNs - t.base.cpuNs, systemNs: t.last.systemNs - t.base.systemNs, waitNs: t.last.waitNs - t.base.waitNs, involuntary: t.last.involuntary - t.base.involuntary,
        cpus: [...t.cpus].sort((a, b) => a - b),
      });
    }
    const host = hostBetween(this.hostBase, this.hostLast);
    return judgeHealth({ elapsedNs: this.lastNs - this.startNs, cores: this.cores, processes: usage, nicLag, host, foreignDatagrams });
  }

  /** The replay has ended: the verdict is final. */
  freeze(nowNs: number, procs: readonly LabProcess[], nicLag: HealthInput['nicLag'], foreignDatagrams: number): HostHealth {
    if (!this.frozen) {
      this.sample(nowNs, procs);
      this.frozen = this.judge(procs, nicLag, foreignDatagrams);
    }
    return this.frozen;
  }
}
