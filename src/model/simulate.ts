/**
 * Model mode's simulation core (DESIGN §12): every packet, in virtual nanoseconds, from its
 * scheduled wire time to each socket's application. Pure: no I/O, no clock, no randomness; the
 * same input gives the same output, bit for bit. Paths come decided (by the fallback core);
 * this only costs them:
 *
 * - the NIC: its own work per packet, then one DMA per steered stack (pipelined: the k-th copy
 *   lands k issue times after the first; a software NIC issues them one after another), and for a group
 *   the kernel receives, the send, a softirq, and a copy into every joined kernel socket in turn
 *   (the fan-out: the k-th socket waits for the k-1 before it). On loopback that kernel work runs
 *   on the sender's CPU, so it delays the NIC's next packet too (the trap's real cost);
 * - the stack ring: a reader with `ring` packets not yet read loses the next (`ring-overrun`);
 * - the kernel socket buffer in bytes: a datagram is charged payload + truesize overhead;
 *   one that does not fit is dropped (`oflow-drop`);
 * - waiting: a spinner sees a packet within its poll interval; an interrupt-driven reader that
 *   has blocked wakes after the interrupt latency, a voluntary context switch;
 * - the read and its copies per receive mode, then the application's work per message;
 * - CPUs: every process runs on one core; work on a core runs one item at a time in the order it
 *   became ready. Processes that never yield (spinners, and the NIC, which paces by spinning)
 *   share a core by time: each runs at 1/n of it. A process that blocks, on a core a spinner
 *   holds, waits for the scheduler's slice (half of it, on average) before it runs.
 */
import { COUNTS_LENGTH, countsIndex } from '../metrics/shm-histogram.js';
import type { ReceiveMode } from '../subscriber/receive-modes.js';
import type { Work } from '../subscriber/feed-handler.js';
import { EventQueue } from './event-queue.js';
import type { Costs } from './profile.js';

/** The recording, as the NIC plays it: wire offsets from the first packet, and what each carries. */
export interface ModelFeed {
  count: number;
  wireNs: Float64Array;
  /** Index into the lab's groups, or -1 for a group no subscriber joined. */
  group: Int32Array;
  bytes: Int32Array;
  messages: Int32Array;
  /** The recording's length, ns (for loops). */
  lengthNs: number;
}

export type SocketPath = 'bypass' | 'kernel' | 'offload' | 'lost';

export interface ModelSocket {
  subscriber: number;
  group: number;
  path: SocketPath;
}

export interface ModelProcess {
  spins: boolean;
  core: number;
  receive: ReceiveMode;
  work: Work;
  delayNs: number;
  ring: number;
  rcvbuf: number;
}

export interface ModelInput {
  feed: ModelFeed;
  /** Multiple of the recorded pace; 0 = top speed. */
  speed: number;
  /** Stop scheduling packets after this much virtual time (null: one play of the recording). */
  durationNs: number | null;
  loop: boolean;
  /** Per group: how many stacks the NIC DMAs it to, and whether the kernel receives it. */
  groups: { stacks: number; kernel: boolean }[];
  /** Per group, the stack index (0..stacks-1) a bypass socket reads, by socket: its DMA order. */
  socketStack: Int32Array;
  /** Sockets in join order (the kernel delivers to joined sockets in this order). */
  sockets: ModelSocket[];
  subscribers: ModelProcess[];
  nicCore: number;
  cores: number;
  costs: Costs;
  /** Latency counts per socket (false: per subscriber and path only, for very large runs). */
  perSocketLatency: boolean;
}

export const DROP_RING = 0;
export const DROP_OFLOW = 1;
export const DROP_LOST = 2;

/** Latency series: index into `counts` is series * 2 + clock (0 scheduled, 1 sent), per path. */
export interface ModelOutput {
  endNs: number;
  packets: number;
  messages: number;
  ringWrites: number;
  kernelSends: number;
  /** Per socket: sent, delivered by path, drops by cause. */
  sent: Float64Array;
  delivered: Float64Array;
  drops: Float64Array; // socket * 3 + cause
  /** Latency counts (HDR indexes, as the live lab's; compact ones when `compact`): key `${series}|${path}|${clock}`. */
  counts: Map<string, Uint32Array>;
  compact: boolean;
  /** Per subscriber: blocks and wake-ups (voluntary switches), interrupts, CPU busy ns, bytes copied. */
  voluntary: Float64Array;
  interrupts: Float64Array;
  busyNs: Float64Array;
  bytesCopied: Float64Array;
  /** The NIC's lag behind schedule, per packet (HDR indexes), and its busy time. */
  nicLag: Uint32Array;
  nicBusyNs: number;
  /** Simulated deliveries (packet to one socket's application). */
  deliveries: number;
  /** Set when the run has ended (every packet played and read). */
  done?: boolean;
}

const KIND_NIC = 0;
/** A cursor over one packet's sockets of a group: bypass ones in DMA order, or kernel ones in delivery order. */
const KIND_FAN = 1;
const LIST_BYPASS = 0;
const LIST_KERNEL = 1;

/** Compact latency buckets for very large runs: the HDR index with 6 bits of sub-bucket, not 10. */
export const COMPACT_LENGTH = (COUNTS_LENGTH >> 4) + 1;
export function compactIndex(value: number): number {
  return countsIndex(value) >> 4;
}

/** Compact counts as full HDR counts (each at its bucket's lowest index), to summarize or encode. */
export function expandCompact(compact: Uint32Array, into: Uint32Array = new Uint32Array(COUNTS_LENGTH)): Uint32Array {
  into.fill(0);
  for (let i = 0; i < compact.length; i++) if (compact[i] > 0) into[Math.min(COUNTS_LENGTH - 1, i << 4)] += compact[i];
  return into;
}

function hostCopies(mode: ReceiveMode, path: SocketPath): number {
  if (path === 'kernel') return 2;
  if (path === 'offload') return 1;
  return mode === 'onload' ? 1 : 0;
}

/** The output's arrays, zero, for a run of this input (the simulation fills them as it goes). */
export function newOutput(input: ModelInput): ModelOutput {
  const nSock = input.sockets.length;
  const nSub = input.subscribers.length;
  return {
    endNs: 0, packets: 0, messages: 0, ringWrites: 0, kernelSends: 0,
    sent: new Float64Array(nSock), delivered: new Float64Array(nSock), drops: new Float64Array(nSock * 3),
    counts: new Map(), compact: !input.perSocketLatency, voluntary: new Float64Array(nSub), interrupts: new Float64Array(nSub), busyNs: new Float64Array(nSub),
    bytesCopied: new Float64Array(nSub), nicLag: new Uint32Array(COUNTS_LENGTH), nicBusyNs: 0, deliveries: 0,
  };
}

/** The whole run at once. */
export function simulate(input: ModelInput): ModelOutput {
  const out = newOutput(input);
  simulation(input, out).runUntil(Infinity);
  return out;
}

/** A run that goes in steps, for a replay paced to the wall clock (the dashboard). */
export interface Simulation {
  /** Simulates every event up to virtual time `t`; true once the run has ended. `out` holds the counts so far. */
  runUntil(t: number): boolean;
}

export function simulation(input: ModelInput, out: ModelOutput): Simulation {
  const c = input.costs;
  const { feed, sockets, subscribers } = input;
  const nSock = sockets.length;
  const nSub = subscribers.length;

  // Sockets by group, in join order: bypass ones by stack, kernel ones in turn.
  const byGroup: { bypass: number[]; kernel: number[]; other: number[] }[] = input.groups.map(() => ({ bypass: [], kernel: [], other: [] }));
  sockets.forEach((s, i) => {
    const g = byGroup[s.group];
    if (s.path === 'bypass' || s.path === 'offload') g.bypass.push(i);
    else if (s.path === 'kernel') g.kernel.push(i);
    else g.other.push(i);
  });
  // Bypass sockets in DMA order (by their stack), so that a group's arrivals come in time order.
  const groupBypass = byGroup.map((g) => Int32Array.from(g.bypass.sort((x, y) => input.socketStack[x] - input.socketStack[y] || x - y)));
  const groupKernel = byGroup.map((g) => Int32Array.from(g.kernel));
  const groupOther = byGroup.map((g) => Int32Array.from(g.other));

  // Latency count arrays, allocated once per series: full HDR indexes per socket, or (at scale)
  // per subscriber in compact ones (1/64 of a power of two, about 1.6%), expanded when read.
  const compact = !input.perSocketLatency;
  const index = compact ? compactIndex : countsIndex;
  const series = (sock: number, path: SocketPath, clock: number): Uint32Array => {
    const key = `${compact ? `u${sockets[sock].subscriber}` : `s${sock}`}|${path}|${clock}`;
    let a = out.counts.get(key);
    if (!a) out.counts.set(key, (a = new Uint32Array(compact ? COMPACT_LENGTH : COUNTS_LENGTH)));
    return a;
  };
  const seriesSched: (Uint32Array | null)[] = new Array(nSock).fill(null);
  const seriesSent: (Uint32Array | null)[] = new Array(nSock).fill(null);
  sockets.forEach((s, i) => {
    if (s.path === 'lost') return;
    seriesSched[i] = series(i, s.path, 0);
    seriesSent[i] = series(i, s.path, 1);
  });

  // CPUs: what each core runs, and how many never-yielding processes share it.
  const coreFree = new Float64Array(input.cores);
  // Spinners never yield; the NIC sleeps between packets far apart, so it takes its turn like any other.
  const heavy = new Int32Array(input.cores);
  for (const s of subscribers) if (s.spins) heavy[s.core]++;
  const nicShare = 1 + heavy[input.nicCore];
  const subShare = Float64Array.from(subscribers, (s) => (s.spins ? heavy[s.core] : 1));
  const sliceWait = Float64Array.from(subscribers, (s) => (!s.spins && heavy[s.core] > 0 ? c.schedSliceNs / 2 : 0));
  const subFree = new Float64Array(nSub);

  // Per subscriber, its unread items in order: when each will be taken (its read starts), which
  // socket, what it holds in that socket's buffer. A pool of linked entries, grown on demand.
  let cap = 1024;
  let poolStart = new Float64Array(cap);
  let poolSock = new Int32Array(cap);
  let poolBytes = new Int32Array(cap);
  let poolNext = new Int32Array(cap).fill(-1);
  let free = 0;
  for (let i = 0; i < cap - 1; i++) poolNext[i] = i + 1;
  poolNext[cap - 1] = -1;
  const head = new Int32Array(nSub).fill(-1);
  const tail = new Int32Array(nSub).fill(-1);
  const backlog = new Int32Array(nSock);
  const queuedBytes = new Float64Array(nSock);
  const growPool = () => {
    const n = cap * 2;
    const s2 = new Float64Array(n); s2.set(poolStart); poolStart = s2;
    const k2 = new Int32Array(n); k2.set(poolSock); poolSock = k2;
    const b2 = new Int32Array(n); b2.set(poolBytes); poolBytes = b2;
    const n2 = new Int32Array(n).fill(-1); n2.set(poolNext); poolNext = n2;
    for (let i = cap; i < n - 1; i++) poolNext[i] = i + 1;
    poolNext[n - 1] = -1;
    free = cap;
    cap = n;
  };
  /** Takes off the subscriber's list what its reads had started by time t. */
  const release = (sub: number, t: number) => {
    let h = head[sub];
    while (h !== -1 && poolStart[h] <= t) {
      const s = poolSock[h];
      backlog[s]--;
      queuedBytes[s] -= poolBytes[h];
      const next = poolNext[h];
      poolNext[h] = free;
      free = h;
      h = next;
    }
    head[sub] = h;
    if (h === -1) tail[sub] = -1;
  };
  const enqueue = (sub: number, start: number, sock: number, bytes: number) => {
    if (free === -1) growPool();
    const e = free;
    free = poolNext[e];
    poolStart[e] = start;
    poolSock[e] = sock;
    poolBytes[e] = bytes;
    poolNext[e] = -1;
    if (tail[sub] === -1) head[sub] = e;
    else poolNext[tail[sub]] = e;
    tail[sub] = e;
    backlog[sock]++;
    queuedBytes[sock] += bytes;
  };

  const ringOf = Int32Array.from(subscribers, (s) => s.ring);
  const appNs = (sub: ModelProcess, messages: number) => sub.delayNs + messages * (sub.work === 'book' ? c.bookNsPerMessage : sub.work === 'decode' ? c.decodeNsPerMessage : 0);
  const readNs = (sub: ModelProcess, path: SocketPath, bytes: number) => {
    if (path === 'kernel') return c.recvmsgNs + bytes * c.copyNsPerByte;
    if (path === 'offload') return c.offloadRecvNs + bytes * c.copyNsPerByte;
    if (sub.receive === 'ef_vi') return c.ringReadNs + c.efviParseNs;
    return c.ringReadNs + c.stackParseNs + (sub.receive === 'onload' ? bytes * c.copyNsPerByte : 0);
  };

  const q = new EventQueue();
  const schedOf = (p: number, loop: number) => (input.speed > 0 ? (loop * (feed.lengthNs + 1e6) + feed.wireNs[p]) / input.speed : 0);
  if (feed.count > 0) q.push(schedOf(0, 0), KIND_NIC, 0, 0, 0);
  let nicFree = 0;
  const limit = input.durationNs;

  // Per socket and per subscriber, what each read costs, in flat arrays (the loop reads no objects).
  const sockSub = Int32Array.from(sockets, (x) => x.subscriber);
  // Sockets whose queue is a socket buffer in bytes, by their subscriber's rcvbuf (a full one
  // drops: oflow-drop): kernel sockets, and an offloaded socket, the local stream socket the NIC
  // writes records to, whose end the NIC sizes with it (src/nic/offload-port.ts). A ring
  // socket's queue is its ring's slots (ring-overrun).
  const sockBufferBytes = Float64Array.from(sockets, (x) => (x.path === 'kernel' || x.path === 'offload' ? subscribers[x.subscriber].rcvbuf : 0));
  const readFixed = Float64Array.from(sockets, (x) => readNs(subscribers[x.subscriber], x.path, 0));
  const readPerByte = Float64Array.from(sockets, (x) => readNs(subscribers[x.subscriber], x.path, 1) - readNs(subscribers[x.subscriber], x.path, 0));
  const copiesOf = Float64Array.from(sockets, (x) => hostCopies(subscribers[x.subscriber].receive, x.path));
  const appPerMsg = Float64Array.from(subscribers, (x) => appNs(x, 1) - appNs(x, 0));
  const appFixed = Float64Array.from(subscribers, (x) => appNs(x, 0));
  const subSpins = Uint8Array.from(subscribers, (x) => (x.spins ? 1 : 0));
  const subCore = Int32Array.from(subscribers, (x) => x.core);
  const wakeNs = Float64Array.from(subscribers, (x, i) => (x.spins ? c.spinPollNs : c.interruptNs + sliceWait[i]));
  const wakeCpuNs = Float64Array.from(subscribers, (x) => (x.spins ? 0 : c.contextSwitchNs));
  const truesize = c.truesizeOverheadBytes;

  const bypassTime = (s: number, sent: number) => sent + c.dmaNs + c.dmaIssueNs * input.socketStack[s];
  const fan = c.kernelSendNs + c.softirqNs;
  const kernelTime = (i: number, sent: number, bytes: number) => sent + fan + (c.socketDeliverNs + bytes * c.copyNsPerByte) * (i + 1);

  const runUntil = (stopAt: number): boolean => {
    while (q.peek()) {
      const t = q.t;
      if (t > stopAt) return false;
      const kind = q.kind;
      if ((kind & 1) === KIND_NIC) {
        q.pop();
        const p = q.a;
        const loop = q.b;
        const sched = input.speed > 0 ? t : Math.max(t, nicFree);
        const g = feed.group[p];
        const bytes = feed.bytes[p];
        const start = Math.max(sched, nicFree, coreFree[input.nicCore]);
        out.nicLag[countsIndex(start - sched)]++;
        out.packets++;
        out.messages += feed.messages[p];
        let dur = c.nicPacketNs;
        const sent = start + c.nicPacketNs * nicShare;
        if (g >= 0) {
          const grp = input.groups[g];
          const bypass = groupBypass[g];
          const kernel = groupKernel[g];
          const other = groupOther[g];
          dur += c.dmaIssueNs * grp.stacks;
          out.ringWrites += grp.stacks;
          for (let i = 0; i < bypass.length; i++) out.sent[bypass[i]]++;
          if (bypass.length > 0) q.push(bypassTime(bypass[0], sent), (0 << 2) | (LIST_BYPASS << 1) | KIND_FAN, sched, sent, p);
          if (grp.kernel) {
            out.kernelSends++;
            for (let i = 0; i < kernel.length; i++) out.sent[kernel[i]]++;
            if (kernel.length > 0) q.push(kernelTime(0, sent, bytes), (0 << 2) | (LIST_KERNEL << 1) | KIND_FAN, sched, sent, p);
            dur += fan + (c.socketDeliverNs + bytes * c.copyNsPerByte) * kernel.length;
          }
          for (let i = 0; i < other.length; i++) {
            out.sent[other[i]]++;
            out.drops[other[i] * 3 + DROP_LOST]++;
          }
        }
        const end = start + dur * nicShare;
        out.nicBusyNs += dur * nicShare;
        nicFree = end;
        coreFree[input.nicCore] = Math.max(coreFree[input.nicCore], end);
        // The next packet: the next of this play, or the first of the next loop, until the duration.
        let np = p + 1;
        let nl = loop;
        if (np >= feed.count) {
          np = 0;
          nl++;
          if (!input.loop || limit === null) nl = -1;
        }
        if (nl >= 0) {
          const ns = input.speed > 0 ? schedOf(np, nl) : end;
          if (limit === null || ns < limit) q.push(ns, KIND_NIC, np, nl, 0);
        }
        continue;
      }

      // A packet reaches one socket of its group: the cursor's; then the cursor moves to the next.
      const sched = q.a;
      const sent = q.b;
      const p = q.c;
      const at = kind >>> 2;
      const list = (kind >> 1) & 1;
      const g = feed.group[p];
      const sockList = list === LIST_BYPASS ? groupBypass[g] : groupKernel[g];
      const s = sockList[at];
      const bytes = feed.bytes[p];
      if (at + 1 < sockList.length) {
        const nt = list === LIST_BYPASS ? bypassTime(sockList[at + 1], sent) : kernelTime(at + 1, sent, bytes);
        q.replaceTop(nt, ((at + 1) << 2) | (list << 1) | KIND_FAN, sched, sent, p);
      } else q.pop();

      const subIndex = sockSub[s];
      release(subIndex, t);
      if (sockBufferBytes[s] > 0) {
        if (queuedBytes[s] + bytes + truesize > sockBufferBytes[s]) {
          out.drops[s * 3 + DROP_OFLOW]++;
          continue;
        }
      } else if (backlog[s] >= ringOf[subIndex]) {
        out.drops[s * 3 + DROP_RING]++;
        continue;
      }
      let ready = t;
      let extra = 0;
      if (subFree[subIndex] <= t) {
        // Idle: a spinner sees it within its poll; one that blocked is woken by an interrupt (a
        // voluntary switch), and waits its turn on a core a spinner holds.
        ready += wakeNs[subIndex];
        extra = wakeCpuNs[subIndex];
        if (subSpins[subIndex] === 0) {
          out.voluntary[subIndex]++;
          out.interrupts[subIndex]++;
        }
      }
      const core = subCore[subIndex];
      const start = Math.max(ready, subFree[subIndex], coreFree[core]);
      const dur = (readFixed[s] + readPerByte[s] * bytes + appFixed[subIndex] + appPerMsg[subIndex] * feed.messages[p] + extra) * subShare[subIndex];
      const end = start + dur;
      subFree[subIndex] = end;
      if (end > coreFree[core]) coreFree[core] = end;
      out.busyNs[subIndex] += dur;
      out.bytesCopied[subIndex] += bytes * copiesOf[s];
      enqueue(subIndex, start, s, sockBufferBytes[s] > 0 ? bytes + truesize : 0);
      out.delivered[s]++;
      out.deliveries++;
      seriesSched[s]![index(end - sched)]++;
      seriesSent[s]![index(end - sent)]++;
      if (end > out.endNs) out.endNs = end;
    }
    out.endNs = Math.max(out.endNs, nicFree);
    out.done = true;
    return true;
  };
  return { runUntil };
}
