/**
 * The same work through mdlab: a real lab (NIC process, subscriber processes, shared-memory
 * stacks, kernel multicast) built from a config, as `mdlab run` builds it, and read back from
 * its final snapshot. Spinning subscribers are pinned to the last CPU, where the floors put
 * their consumers; the lab keeps its NIC and the controller off that core.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deliveredTotal, droppedTotal } from '../experiment/accounting.js';
import { validateConfig } from '../experiment/config.js';
import { Lab } from '../experiment/lab.js';
import type { LabSnapshot, MembershipSnapshot } from '../experiment/snapshot.js';
import * as hdr from 'hdr-histogram-js';
import type { LatencySummary } from '../metrics/histogram-store.js';
import { newHistogram } from '../metrics/latency.js';
import { BENCH_GROUP } from './bench-feed.js';
import { pinPlan } from './floors.js';
import { runWatched } from './peak-rss.js';
import { CHILD_HEAP } from '../experiment/children.js';
import { summarizeProfile, type CpuProfile, type ProfileSummary } from './profile-summary.js';

interface Percentiles {
  p50: number;
  p99: number;
  max: number;
  count: number;
}

export interface LabLatency {
  /** After the warm-up, from the NIC's actual send and from the scheduled wire time, ns. */
  sent: Percentiles;
  scheduled: Percentiles;
  /** The whole run, warm-up included (what the lab's own report shows). */
  wholeRun: { sent: Percentiles; scheduled: Percentiles };
  dropped: number;
  sentPackets: number;
  /** The run's host-health verdict and reasons: a contended repetition's figures are the host's. */
  host: { verdict: string; reasons: string[] };
}

export interface LabThroughput {
  /** Packets per second delivered to each subscriber (first to last delivery). */
  perSubscriber: number[];
  delivered: number;
  dropped: number;
  sent: number;
  host: { verdict: string; reasons: string[] };
  /** The NIC's CPU time per packet sent over the replay (its health sample's CPU share × the span / packets), ns. */
  nicNsPerPacket: number;
}

/** Where the floors pin their consumers. */
const spinCpu = (): number | undefined => pinPlan().consumer ?? undefined;

function configFor(recording: string, subscribers: Record<string, unknown>[], nic = 'x2522'): ReturnType<typeof validateConfig> {
  return validateConfig({ recording, nic: { model: nic }, subscribers }, join(process.cwd(), 'bench.yaml'));
}

function bypassSubscriber(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, groups: [BENCH_GROUP], env: { EF_POLL_USEC: 100000 }, work: 'none', ...extra };
}

function only(s: LabSnapshot, name: string): MembershipSnapshot {
  const m = s.subscribers.find((x) => x.name === name)?.memberships[0];
  if (!m) throw new Error(`bench lab: ${name} has no membership`);
  return m;
}

function pick(l: LatencySummary): Percentiles {
  return { p50: l.p50, p99: l.p99, max: l.max, count: l.count };
}

/** The intervals from `warmupMs` after the first one with packets, summed (sockperf's warm-up, on the lab's own interval log). */
function afterWarmup(lab: Lab, path: 'bypass' | 'kernel', clock: 'sent' | 'scheduled', warmupMs: number): Percentiles {
  const all = lab.latencySeries().filter((x) => x.subscriber === 'bench' && x.path === path);
  const intervals = all.find((x) => x.clock === clock)?.intervals ?? [];
  // One start for both clocks, so that both count the same packets.
  const from = Math.min(...all.map((x) => x.intervals[0]?.startMs ?? Infinity)) + warmupMs;
  const sum = newHistogram(false);
  for (const iv of intervals) {
    if (iv.startMs < from) continue;
    const h = hdr.decodeFromCompressedBase64(iv.histogram, 32, false);
    sum.add(h);
    h.destroy();
  }
  const r = { p50: sum.getValueAtPercentile(50), p99: sum.getValueAtPercentile(99), max: sum.maxValue, count: sum.totalCount };
  sum.destroy();
  return r;
}

function newLab(recording: string, subscribers: Record<string, unknown>[], speed: number, keepIntervals = false, nicProfile?: string): Lab {
  return new Lab(configFor(recording, subscribers), { speed, snapshotMs: 100, keepIntervals, nicProfile });
}

async function runLab(lab: Lab, watch?: (s: LabSnapshot) => void): Promise<LabSnapshot> {
  if (watch) lab.subscribe(watch);
  const s = await lab.run();
  if (s.error) throw new Error(`bench lab failed: ${s.error}`);
  return s;
}

/** Wire-to-application latency of one subscriber on the bypass path (spinning) or the kernel path. */
export async function labLatency(recording: string, path: 'bypass' | 'kernel', warmupMs: number, kernelSocket: 'native' | 'node' = 'native'): Promise<LabLatency> {
  const cpu = spinCpu();
  const sub = path === 'bypass'
    ? bypassSubscriber('bench', cpu === undefined ? {} : { cpu })
    : { name: 'bench', onload: false, groups: [BENCH_GROUP], work: 'none', rcvbuf: 8 << 20, kernelSocket, ...(cpu === undefined ? {} : { cpu }) };
  const lab = newLab(recording, [sub], 1, true);
  const s = await runLab(lab);
  const m = only(s, 'bench');
  const l = m.latency[path].total;
  return {
    sent: afterWarmup(lab, path, 'sent', warmupMs),
    scheduled: afterWarmup(lab, path, 'scheduled', warmupMs),
    wholeRun: { sent: pick(l.sent), scheduled: pick(l.scheduled) },
    dropped: droppedTotal(m.account),
    sentPackets: m.account.sent,
    host: { verdict: s.host.verdict, reasons: s.host.reasons },
  };
}

/** Top-speed replay: packets per second delivered to each of `n` subscribers (one shared stack when n > 1), or through the kernel. `nicProfile`: the NIC writes a CPU profile of it there. */
export async function labThroughput(recording: string, n: number, path: 'bypass' | 'kernel', nicProfile?: string): Promise<LabThroughput> {
  const cpu = spinCpu();
  const subs = Array.from({ length: n }, (_, i) => {
    const name = `s${i + 1}`;
    // Pinned where the bare dgram receiver is pinned: the floor's footing.
    if (path === 'kernel') return { name, onload: false, groups: [BENCH_GROUP], work: 'none', rcvbuf: 32 << 20, ...(n === 1 && cpu !== undefined ? { cpu } : {}) };
    const env = n > 1 ? { EF_POLL_USEC: 100000, EF_NAME: 'bench' } : { EF_POLL_USEC: 100000 };
    return bypassSubscriber(name, { env, ring: 65536, ...(n === 1 && cpu !== undefined ? { cpu } : {}) });
  });
  const s = await runLab(newLab(recording, subs, 0, false, nicProfile));
  const ms = subs.map((x) => only(s, x.name as string));
  return {
    perSubscriber: ms.map((m) => m.deliveredPerSecond),
    delivered: ms.reduce((a, m) => a + deliveredTotal(m.account), 0),
    dropped: ms.reduce((a, m) => a + droppedTotal(m.account), 0),
    sent: ms.reduce((a, m) => a + m.account.sent, 0),
    host: { verdict: s.host.verdict, reasons: s.host.reasons },
    nicNsPerPacket: nicNsPerPacket(s),
  };
}

/** One more top-speed repetition to one subscriber, the NIC sampled by V8's profiler: where its time per packet goes. */
export async function nicProfile(recording: string, file: string): Promise<ProfileSummary> {
  const t = await labThroughput(recording, 1, 'bypass', file);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  return summarizeProfile(profile, t.sent, 'transmit');
}

/** The NIC's CPU per packet over the replay: its CPU share of the sampled span, over the packets it sent. */
function nicNsPerPacket(s: LabSnapshot): number {
  const nic = s.host.processes.find((p) => p.role === 'nic');
  return nic && s.nic.packets > 0 ? (nic.cpuShare * s.host.sampledMs * 1e6) / s.nic.packets : NaN;
}

/** Peak resident memory (VmHWM) of a process, and how much of its resident memory now is shared memory (RssShmem: the rings it maps), bytes; 0 when unreadable. */
export function peakRss(pid: number): { peak: number; shmem: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
    return { peak: kb('VmHWM'), shmem: kb('RssShmem') };
  } catch {
    return { peak: 0, shmem: 0 };
  }
}

/**
 * The floor under a lab process's resident memory: a Node process started with the flags the lab
 * gives its children, doing nothing for half a second: its peak RSS (MB). Most of it is the node
 * binary's own pages, which every Node process maps.
 */
export async function bareNodeRss(): Promise<number> {
  const r = await runWatched([...CHILD_HEAP, '-e', 'setTimeout(() => {}, 500)']);
  if (r.status !== 0 || r.peakRssMb <= 0) throw new Error(`a bare Node process did not run as expected (exit ${r.status}): ${r.stderr.trim()}`);
  return r.peakRssMb;
}

/** Replays a (large) recording at top speed to one subscriber; the NIC's and the subscriber's peak RSS. */
export async function labMemory(recording: string): Promise<{ nicBytes: number; subscriberBytes: number; nicShmem: number; subscriberShmem: number; packets: number; delivered: number }> {
  const r = { nicBytes: 0, subscriberBytes: 0, nicShmem: 0, subscriberShmem: 0 };
  const sample = (s: LabSnapshot): void => {
    if (s.nic.pid) {
      const m = peakRss(s.nic.pid);
      r.nicBytes = Math.max(r.nicBytes, m.peak);
      r.nicShmem = Math.max(r.nicShmem, m.shmem);
    }
    const pid = s.subscribers[0]?.pid;
    if (pid) {
      const m = peakRss(pid);
      r.subscriberBytes = Math.max(r.subscriberBytes, m.peak);
      r.subscriberShmem = Math.max(r.subscriberShmem, m.shmem);
    }
  };
  const cpu = spinCpu();
  // The default ring (4096 slots, 8 MB, mapped by both): the synthetic day joins its first channel.
  const s = await runLab(newLab(recording, [bypassSubscriber('bench', cpu === undefined ? {} : { cpu })], 0), sample);
  const m = only(s, 'bench');
  return { ...r, packets: s.nic.packets, delivered: deliveredTotal(m.account) };
}
