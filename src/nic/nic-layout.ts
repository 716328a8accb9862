/**
 * The NIC segment: the controller (the "driver") writes the hardware filter table as a
 * steering table here, under a seqlock; the NIC process reads it per packet (re-reading only
 * when the version moves) and counts, per membership, what it delivered on which path.
 * Subscribers read their membership's counters here at the end of a run. At top speed the NIC
 * adds a membership's counts once per publish batch and at the end of each burst, always before
 * the slots they count are published and before it reads a new steering table, so a count is
 * never behind what a reader can see, nor credited to a path its packet did not take.
 *
 *   0        256                  256 + 64·MAX_GROUPS      + 4·MAX_MEMBERSHIPS    + 128·MAX_MEMBERSHIPS + 64·MAX_STACKS
 *   +--------+--------------------+------------------------+---------------------+---------------------+------------------+
 *   | header | groups (64 B each) | member lists (i32 each) | memberships (128 B) | stacks (64 B each) |
 *
 *   header   0 magic 'MDNI'  4 version  8 steering version (seqlock: odd while written)  12 group count
 *           16 paused  20 stop  24 done  28 speed change count   32 speed (f64; 0 = top speed)
 *           40 packets sent  48 messages sent  56 recording position ns  64 recording length ns
 *           72 start (monotonic ns)  80 lag behind schedule ns (now)  88 worst lag ns  96 kernel sends
 *          104 ring writes  112 bytes  120 loops  128 packets to no joined group  136 packets skipped (too big)
 *          144 wire time of the next packet, run clock ns
 *          152 read until (monotonic ns; 0 while the replay runs): set by the controller when the replay
 *              ends; readers count what they take after it as unread instead of delivering it
 *          160 peak packets in 1 ms of wire time, and 168 in 100 ms, since the controller last looked
 *          176 peak generation (the controller bumps it when it has read them)  184 peak in 100 ms, whole run
 *          192 longest time the NIC was off its CPU while it spun to a packet's send time (ns)
 *          200 how many times that exceeded 0.5 ms (the host took the CPU: not the NIC's own work)
 *          208 steering version the NIC has applied (i32), written after its counts so far went to
 *              the memberships of the table before: once it reaches a version, the counters are whole
 *          216 the NIC's scavenges (young-generation GCs) and 224 full GCs since the replay began, and
 *          232 its longest GC pause (ns): garbage its hot path made, and the pauses it cost the feed
 *   group    0 address  4 port  8 kernel (1: send to the kernel)  12 stack mask (bit per stack slot)
 *           16 first member (index into member lists)  20 member count
 *           24 packets (f64)  32 kernel sends (f64)  40 ring writes (f64)  48 injected drops (f64)
 *   member   0 state (0 free, 1 active, 2 ended)  4 path (0 none, 1 bypass, 2 kernel, 3 lost)  8 stack slot
 *           12 group  16 subscriber index   24 sent (f64)  32 via bypass  40 via kernel  48 lost  56 via offload
 *           64 injected (dropped by the NIC on purpose, a config's drop event)
 *   stack    0 state (0 free, 1 live)  4 stack id  8..63 segment name (ASCII)
 *   lag      64 counts (f64): packets by their lag behind schedule, two buckets per octave of ns
 *            (bucket 2e + h: lag in [2^e, 2^e·1.5) for h = 0, [2^e·1.5, 2^(e+1)) for h = 1)
 */
import { checkHeader, createSegment, fourcc, openSegment } from '../shm/segment.js';
import { MAX_GROUPS, MAX_MEMBERSHIPS } from '../onload/stack-layout.js';
import { LOG_BUCKETS, logPercentile } from '../metrics/log-buckets.js';
import { GC_MAJOR, GC_MAX_NS, GC_MINOR } from '../metrics/gc-watch.js';

export const NIC_MAGIC = fourcc('MDNI');
export const NIC_LAYOUT_VERSION = 5;
export const MAX_STACKS = 32;

const HEADER = 256;
const GROUP_BYTES = 64;
const MEMBER_BYTES = 128;
const STACK_BYTES = 64;
export const GROUPS_OFFSET = HEADER;
export const LISTS_OFFSET = GROUPS_OFFSET + GROUP_BYTES * MAX_GROUPS;
export const MEMBERS_OFFSET = LISTS_OFFSET + 4 * MAX_MEMBERSHIPS;
export const STACKS_OFFSET = MEMBERS_OFFSET + MEMBER_BYTES * MAX_MEMBERSHIPS;
export const LAG_OFFSET = STACKS_OFFSET + STACK_BYTES * MAX_STACKS;
export const LAG_BUCKETS = LOG_BUCKETS;
const TOTAL = LAG_OFFSET + 8 * LAG_BUCKETS;

// Header, i32 word indices.
export const W_VERSION = 2;
export const W_GROUPS = 3;
export const W_PAUSED = 4;
export const W_STOP = 5;
export const W_DONE = 6;
export const W_SPEED_CHANGES = 7;
/** The steering version the NIC has read, written after it handed its counts to the table before. */
export const W_APPLIED = 208 / 4;
// Header, f64 indices.
export const F_SPEED = 32 / 8;
export const F_PACKETS = 40 / 8;
export const F_MESSAGES = 48 / 8;
export const F_POSITION = 56 / 8;
export const F_LENGTH = 64 / 8;
export const F_START = 72 / 8;
export const F_LAG = 80 / 8;
export const F_WORST_LAG = 88 / 8;
export const F_KERNEL_SENDS = 96 / 8;
export const F_RING_WRITES = 104 / 8;
export const F_BYTES = 112 / 8;
export const F_LOOPS = 120 / 8;
export const F_UNJOINED = 128 / 8;
export const F_TOO_BIG = 136 / 8;
export const F_READ_UNTIL = 152 / 8;
export const F_PEAK_1MS = 160 / 8;
export const F_PEAK_100MS = 168 / 8;
export const F_PEAK_GEN = 176 / 8;
export const F_PEAK_100MS_RUN = 184 / 8;
export const F_OFF_CPU_MAX = 192 / 8;
export const F_OFF_CPU_COUNT = 200 / 8;
/** The NIC's garbage collections: three cells from here, in gc-watch.ts's order (scavenges, full GCs, longest pause ns). */
export const F_GC = 216 / 8;

export const PATH_NONE = 0;
export const PATH_BYPASS = 1;
export const PATH_KERNEL = 2;
export const PATH_LOST = 3;
export const PATH_OFFLOAD = 4;
export const MEMBER_FREE = 0;
export const MEMBER_ACTIVE = 1;
export const MEMBER_ENDED = 2;

export interface MemberCounters {
  state: number;
  path: number;
  sent: number;
  viaBypass: number;
  viaKernel: number;
  lost: number;
  viaOffload: number;
  /** Dropped by the NIC on purpose (injected loss). */
  injected: number;
}

export interface NicStatus {
  packets: number;
  messages: number;
  bytes: number;
  positionNs: number;
  lengthNs: number;
  startNs: number;
  lagNs: number;
  worstLagNs: number;
  kernelSends: number;
  ringWrites: number;
  loops: number;
  unjoined: number;
  tooBig: number;
  done: boolean;
  paused: boolean;
  speed: number;
  /** The feed's peak since the last snapshot: packets in 1 ms and in 100 ms of wire time; and in 100 ms over the run. */
  peak1msPackets: number;
  peak100msPackets: number;
  peak100msRunPackets: number;
  /** The NIC's own garbage collections since the replay began (as a subscriber's gc), and its longest pause, ns; null in a model (virtual time). */
  gc: { minor: number; major: number } | null;
  maxGcNs: number | null;
}

export class NicSegment {
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  readonly bytes: Buffer;

  private constructor(readonly name: string, buffer: ArrayBuffer) {
    this.i32 = new Int32Array(buffer);
    this.f64 = new Float64Array(buffer);
    this.bytes = Buffer.from(buffer);
  }

  static create(name: string): NicSegment {
    const seg = new NicSegment(name, createSegment(name, TOTAL));
    seg.i32[1] = NIC_LAYOUT_VERSION;
    Atomics.store(seg.i32, 0, NIC_MAGIC);
    return seg;
  }

  static attach(name: string): NicSegment {
    const seg = new NicSegment(name, openSegment(name));
    checkHeader(seg.i32, NIC_MAGIC, NIC_LAYOUT_VERSION, `NIC segment ${name}`);
    return seg;
  }

  groupWord(g: number, field: number): number {
    return (GROUPS_OFFSET + g * GROUP_BYTES + field) >> 2;
  }

  groupF64(g: number, field: number): number {
    return (GROUPS_OFFSET + g * GROUP_BYTES + field) >> 3;
  }

  memberWord(m: number, field: number): number {
    return (MEMBERS_OFFSET + m * MEMBER_BYTES + field) >> 2;
  }

  memberF64(m: number, field: number): number {
    return (MEMBERS_OFFSET + m * MEMBER_BYTES + field) >> 3;
  }

  /** Controller: a stack segment the NIC may DMA to, by slot. */
  setStack(slot: number, id: number, segment: string): void {
    const base = STACKS_OFFSET + slot * STACK_BYTES;
    this.bytes.fill(0, base + 8, base + STACK_BYTES);
    this.bytes.write(segment.slice(0, STACK_BYTES - 9), base + 8, 'latin1');
    this.i32[(base + 4) >> 2] = id;
    Atomics.store(this.i32, base >> 2, 1);
  }

  stack(slot: number): { id: number; segment: string } | undefined {
    const base = STACKS_OFFSET + slot * STACK_BYTES;
    if (Atomics.load(this.i32, base >> 2) !== 1) return undefined;
    const end = this.bytes.indexOf(0, base + 8);
    return { id: this.i32[(base + 4) >> 2], segment: this.bytes.toString('latin1', base + 8, end < 0 ? base + STACK_BYTES : end) };
  }

  /** Controller: defines group `g` (its address and port); done once, before the NIC starts. */
  setGroup(g: number, addr: number, port: number): void {
    this.i32[this.groupWord(g, 0)] = addr | 0;
    this.i32[this.groupWord(g, 4)] = port;
    if (g + 1 > this.i32[W_GROUPS]) this.i32[W_GROUPS] = g + 1;
  }

  /**
   * Controller: publishes a new steering table under the seqlock. `members` lists every live
   * membership with its group, path and stack slot.
   */
  publishSteering(groups: { kernel: boolean; stackMask: number }[], members: { index: number; group: number; path: number; stackSlot: number; subscriber: number; state: number }[]): void {
    const i32 = this.i32;
    const v = Atomics.add(i32, W_VERSION, 1) + 1; // odd: being written
    const byGroup = groups.map(() => [] as number[]);
    for (const m of members) {
      i32[this.memberWord(m.index, 4)] = m.path;
      i32[this.memberWord(m.index, 8)] = m.stackSlot;
      i32[this.memberWord(m.index, 12)] = m.group;
      i32[this.memberWord(m.index, 16)] = m.subscriber;
      Atomics.store(i32, this.memberWord(m.index, 0), m.state);
      if (m.state === MEMBER_ACTIVE) byGroup[m.group].push(m.index);
    }
    let next = 0;
    groups.forEach((g, gi) => {
      i32[this.groupWord(gi, 8)] = g.kernel ? 1 : 0;
      i32[this.groupWord(gi, 12)] = g.stackMask;
      i32[this.groupWord(gi, 16)] = next;
      i32[this.groupWord(gi, 20)] = byGroup[gi].length;
      for (const m of byGroup[gi]) i32[(LISTS_OFFSET >> 2) + next++] = m;
    });
    Atomics.store(i32, W_VERSION, v + 1); // even: complete
  }

  steeringVersion(): number {
    return Atomics.load(this.i32, W_VERSION);
  }

  /** The steering version the NIC has applied (and counted up to). */
  appliedVersion(): number {
    return Atomics.load(this.i32, W_APPLIED);
  }

  member(m: number): MemberCounters {
    return {
      state: Atomics.load(this.i32, this.memberWord(m, 0)),
      path: this.i32[this.memberWord(m, 4)],
      sent: this.f64[this.memberF64(m, 24)],
      viaBypass: this.f64[this.memberF64(m, 32)],
      viaKernel: this.f64[this.memberF64(m, 40)],
      lost: this.f64[this.memberF64(m, 48)],
      viaOffload: this.f64[this.memberF64(m, 56)],
      injected: this.f64[this.memberF64(m, 64)],
    };
  }

  status(): NicStatus {
    const f = this.f64;
    return {
      packets: f[F_PACKETS], messages: f[F_MESSAGES], bytes: f[F_BYTES], positionNs: f[F_POSITION], lengthNs: f[F_LENGTH],
      startNs: f[F_START], lagNs: f[F_LAG], worstLagNs: f[F_WORST_LAG], kernelSends: f[F_KERNEL_SENDS], ringWrites: f[F_RING_WRITES],
      loops: f[F_LOOPS], unjoined: f[F_UNJOINED], tooBig: f[F_TOO_BIG],
      done: Atomics.load(this.i32, W_DONE) === 1, paused: Atomics.load(this.i32, W_PAUSED) === 1, speed: f[F_SPEED],
      peak1msPackets: f[F_PEAK_1MS], peak100msPackets: f[F_PEAK_100MS], peak100msRunPackets: f[F_PEAK_100MS_RUN],
      gc: { minor: f[F_GC + GC_MINOR], major: f[F_GC + GC_MAJOR] }, maxGcNs: f[F_GC + GC_MAX_NS],
    };
  }

  /** Controller: the peaks have been read; the NIC starts new ones. */
  nextPeak(): void {
    this.f64[F_PEAK_1MS] = 0;
    this.f64[F_PEAK_100MS] = 0;
    this.f64[F_PEAK_GEN] += 1;
  }

  /** The NIC's lag behind schedule, per packet: p50 and p99 (each to within a bucket: ×1.5), the worst exactly. */
  lagSummary(): { p50Ns: number; p99Ns: number; maxNs: number; packets: number; offCpuMaxNs: number; offCpuCount: number } {
    const base = LAG_OFFSET >> 3;
    let total = 0;
    for (let b = 0; b < LAG_BUCKETS; b++) total += this.f64[base + b];
    // A bucket's top may lie above the worst lag seen: never report a percentile above it.
    const max = this.f64[F_WORST_LAG];
    return { p50Ns: logPercentile(this.f64, base, 0.5, max), p99Ns: logPercentile(this.f64, base, 0.99, max), maxNs: max, packets: total, offCpuMaxNs: this.f64[F_OFF_CPU_MAX], offCpuCount: this.f64[F_OFF_CPU_COUNT] };
  }

  groupCounters(g: number): { packets: number; kernelSends: number; ringWrites: number; injected: number } {
    return { packets: this.f64[this.groupF64(g, 24)], kernelSends: this.f64[this.groupF64(g, 32)], ringWrites: this.f64[this.groupF64(g, 40)], injected: this.f64[this.groupF64(g, 48)] };
  }
}

/** The NIC's lag buckets are the shared log buckets (see the layout). */
export { logBucket as lagBucket, logBucketTop as lagBucketTop } from '../metrics/log-buckets.js';
