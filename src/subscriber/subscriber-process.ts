/**
 * A subscriber: a real process with its own PID, attached to its stack's shared memory, with a
 * kernel socket per group. It waits for packets as Onload does: spinning on the stack for up to
 * EF_POLL_USEC, then blocking until woken by an interrupt (the NIC's doorbell datagram, a real
 * kernel round trip); kernel-path datagrams arrive through the event loop either way, which the
 * spin loop yields to every few microseconds so that they are never held back for long.
 */
import dgram from 'node:dgram';
import { getHeapStatistics } from 'node:v8';
import { encodeRequest, moldSession, type MoldRequest } from '../feed/moldudp64.js';
import { DEFAULT_CLIENT, FROM_LINE_A, FROM_LINE_B } from '../recovery/mold-client.js';
import { Sequencer } from '../recovery/sequencer.js';
import type { PerformanceObserver } from 'node:perf_hooks';
import { GC_MAJOR, GC_MAX_NS, GC_MINOR, watchGc } from '../metrics/gc-watch.js';
import { DoorbellReceiver } from '../kernel/doorbell.js';
import { clockCell, nowNs, tickClock } from '../metrics/clock.js';
import { LogHistogram } from '../metrics/log-buckets.js';
import { HistogramWriter } from '../metrics/shm-histogram.js';
import { MEMBER_ENDED, NicSegment, W_DONE } from '../nic/nic-layout.js';
import { StackSegment } from '../onload/stack-layout.js';
import { setAffinity } from '../shm/segment.js';
import { followController } from '../experiment/follow-controller.js';
import { FeedHandler } from './feed-handler.js';
import { Membership } from './membership.js';
import type { FromSubscriber, JoinRequest, SocketWait, SubscriberSnapshot, ToSubscriber } from './protocol.js';
import { spins, type SubscriberSettings } from './settings.js';

/**
 * How long a spinning subscriber polls its rings before it lets the event loop run (kernel
 * sockets, IPC). Each turn is an Immediate and its async context, ~300 bytes of garbage: ~15 MB/s,
 * a scavenge every ~0.1 s and, from what survives them, an RSS sawtooth (heap 6 -> 15 MB, then a
 * full GC). Measured, and kept (issue 16): turns once a millisecond, or an allocation-free turn
 * (a uv_idle handle through napi_make_callback: 56 bytes a turn), left bypass p99 no better on
 * this 2-core host, and with rare scavenges V8's memory reducer ran full GCs in the spin loop.
 */
const SPIN_SLICE_NS = 20e3;
/**
 * A spinner all of whose sockets its poll loop reads itself (rings, and kernel sockets through
 * the addon when the OS socket's flag says readable) needs the event loop only for the
 * controller's requests: it yields every 4 ms. Each turn is an Immediate and its async context
 * (~300 bytes): at a turn every 20 µs, ~15 MB/s of garbage, a scavenge every ~0.1 s, and a
 * committed heap that V8 grows for the rate (the soak's RSS growth). At a turn a millisecond they
 * were still 0.45 MB/s, most of what it made: with its young generation at 1 MB (children.ts), a
 * scavenge a second.
 */
const SELF_POLLED_SPIN_SLICE_NS = 4e6;
/** Full GCs whose live heap is kept for the final result (one every minute or two: days of run). */
const MAX_LIVE_HEAP_SAMPLES = 2000;
/** Where Subscriber.cells keeps its longest poll-loop cycle, and its GC counts (three cells, gc-watch.ts). */
const C_MAX_STALL = 0;
const C_GC = 1;
/** Calls to setImmediate before the first packet (V8 allocates feedback after 8 by default). */
const SET_IMMEDIATE_WARMUP = 32;
const noop = (): void => undefined;
const POLL_BATCH = 64;
const POLLS_PER_CLOCK_READ = 16;
/** Draining stops when the counts reconcile, or after this long without progress. */
const DRAIN_IDLE_MS = 300;
/** A leaving socket reads what is queued for it for up to this long. */
const LEAVE_READ_MS = 2000;
/** At the run's end, how long a recovering reader waits for replies to gaps it is still filling. */
const RECOVERY_SETTLE_MS = 500;

function send(msg: FromSubscriber): void {
  process.send?.(msg);
}

class Subscriber {
  private readonly memberships = new Map<number, Membership>();
  /** The same memberships as an array, for the receive loop (a Map iterator would allocate per poll). */
  private polled: Membership[] = [];
  /** A spinner's slice between event-loop turns (membershipsChanged). */
  private spinSliceNs = SPIN_SLICE_NS;
  private readonly stacks = new Map<string, StackSegment>();
  private readonly handler: FeedHandler;
  private readonly nic: NicSegment;
  private readonly spinning: boolean;
  private readonly pollNs: number;
  private doorbell!: DoorbellReceiver;
  private lastActivityNs = 0;
  private blocked = false;
  private running = true;
  private interrupts = 0;
  /**
   * A spinner's longest poll-loop cycle since its first packet (ns), and its garbage collections
   * since then: scavenges, full GCs, the longest pause (a stall it caused itself). Cells, not
   * fields: a field that held 0 took the first GC's fractional pause, the Subscriber's hidden
   * class changed, and its optimised poll loop was thrown away mid-run (--trace-deopt: "wrong map"
   * in pollAll and tick just after that GC).
   */
  private readonly cells = new Float64Array(1 + 3);
  /** The heap in use just after each full GC since its first packet: what it keeps (a leak raises it). */
  private readonly liveHeap: { atNs: number; bytes: number }[] = [];
  private gcWatch: PerformanceObserver | null = null;
  private lastCycleNs = 0;
  private ticking = false;
  private snapshotTimer: NodeJS.Timeout | undefined;
  /** Process accounting at the first packet: per-packet costs are counted from there, not from start-up. */
  private baseline: { voluntary: number; involuntary: number; cpuUs: number } | null = null;
  private readonly onFirstPacket = (): void => {
    if (this.baseline) return;
    const ru = process.resourceUsage();
    this.baseline = { voluntary: ru.voluntaryContextSwitches, involuntary: ru.involuntaryContextSwitches, cpuUs: ru.userCPUTime + ru.systemCPUTime };
  };

  constructor(readonly index: number, readonly settings: SubscriberSettings, nicSegment: string, private readonly snapshotMs: number, private readonly lab: number) {
    this.handler = new FeedHandler(settings.work, settings.delayNs);
    this.nic = NicSegment.attach(nicSegment);
    this.spinning = spins(settings);
    this.pollNs = settings.pollUsec * 1e3;
  }

  async start(): Promise<void> {
    this.gcWatch = watchGc(this.cells, C_GC, () => this.baseline !== null && Atomics.load(this.nic.i32, W_DONE) === 0, () => {
      // Read as the observer is told (a turn after the collection), a few hundred a day at most.
      if (this.liveHeap.length < MAX_LIVE_HEAP_SAMPLES) this.liveHeap.push({ atNs: nowNs(), bytes: getHeapStatistics().used_heap_size });
    });
    this.doorbell = new DoorbellReceiver(this.onInterrupt);
    this.snapshotTimer = setInterval(() => send(this.snapshot(false)), this.snapshotMs);
    this.lastActivityNs = nowNs();
    // The spin loop's yield is Node's setImmediate, which V8 inlines into it. V8 gives a function
    // its type feedback only after a few calls: at one yield every 4 ms, setImmediate could still
    // have none when the loop was compiled, the compiled loop was thrown away at its first yield
    // ("insufficient type feedback for call", at node:timers), and in 1 top-speed run of 4-5 it
    // was never compiled again (a scavenge every ~35 ms, the interpreter's boxed doubles). Warmed
    // here, as a feed handler warms its path before the open.
    for (let i = 0; i < SET_IMMEDIATE_WARMUP; i++) setImmediate(noop);
  }

  /** One unicast socket per subscriber asks the re-request server and takes its replies, routed by session. */
  private recovery: dgram.Socket | null = null;
  private recoveryTimer: ReturnType<typeof setInterval> | undefined;

  private async recoverySocket(): Promise<dgram.Socket> {
    if (this.recovery) return this.recovery;
    const s = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
    await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
    s.on('message', (msg) => {
      if (msg.length < 20) return;
      const session = moldSession(msg, 0);
      const now = nowNs();
      // A channel's two lines share one client: the reply goes to it once.
      const done = new Set<Sequencer>();
      for (const m of this.memberships.values()) {
        if (!m.sequencer || done.has(m.sequencer) || m.client?.session !== session) continue;
        done.add(m.sequencer);
        m.onReply(msg, now);
      }
    });
    this.recovery = s;
    return s;
  }

  /** Sequencers by channel (line A's group) for A/B lines; each membership's own otherwise. */
  private readonly sequencers = new Map<string, Sequencer>();

  private sequencerFor(req: JoinRequest, request: ((r: MoldRequest) => void) | null): Sequencer {
    const key = req.line ? req.line.channel : `#${req.membership}`;
    let sq = this.sequencers.get(key);
    if (!sq) {
      sq = new Sequencer(
        { request, timeoutNs: req.recovery?.timeoutNs ?? DEFAULT_CLIENT.timeoutNs, policy: req.recovery?.policy ?? 'buffer', lines: req.line ? { waitNs: req.line.waitNs, b: req.line.b } : null },
        this.onInOrder,
      );
      this.sequencers.set(key, sq);
      // Holes the other line did not fill, and requests that went unanswered, are asked (again) on a timer.
      this.recoveryTimer ??= setInterval(() => {
        const now = nowNs();
        for (const x of this.sequencers.values()) x.client?.onTimer(now);
      }, 2);
    }
    return sq;
  }

  private readonly onInOrder = (_seq: number, bytes: Uint8Array, view: DataView, off: number, len: number): void => this.handler.onMessage(bytes, view, off, len);

  /** At the run's end, a little time for replies to gaps still being filled. */
  private async settleRecovery(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until && [...this.sequencers.values()].some((x) => x.client?.state === 'gap-fill')) await new Promise((r) => setTimeout(r, 5));
  }

  async join(req: JoinRequest): Promise<void> {
    let stack: StackSegment | null = null;
    if (req.stack) {
      stack = this.stacks.get(req.stack.segment) ?? StackSegment.attach(req.stack.segment, true);
      this.stacks.set(req.stack.segment, stack);
    }
    const m = new Membership(req.membership, req.group, req.groupName, this.lab, new HistogramWriter(req.histogram, req.membership, req.group), this.handler, this.nic.f64);
    m.onFirst = this.onFirstPacket;
    if (req.recovery || req.line) {
      let request: ((r: MoldRequest) => void) | null = null;
      if (req.recovery) {
        const socket = await this.recoverySocket();
        const port = req.recovery.port;
        request = (r) => socket.send(encodeRequest(r), port, '127.0.0.1');
      }
      m.sequence(this.sequencerFor(req, request), req.line?.line === 1 ? FROM_LINE_B : FROM_LINE_A, req.line?.line === 1 ? req.line.channel : null);
    }
    await m.open(req.addr, req.port, req.kernelPort, stack, this.settings.receive, this.doorbell.port, this.settings.rcvbuf, req.sideTable, this.settings.kernelSocket ?? 'native');
    this.memberships.set(req.membership, m);
    this.membershipsChanged();
    send({ type: 'joined', membership: req.membership, stackSocket: m.stackSocket });
    this.wake();
  }

  /**
   * Reads until everything the NIC counted for this membership has arrived or is known lost.
   * Past `untilMs` the reader's time is up: the rest is skimmed (counted unread, not handed to
   * the application), so that a slow reader's backlog is named, not left "in flight".
   */
  private async drain(m: Membership, untilMs: number, all = false): Promise<void> {
    let lastProgress = Date.now();
    let last = -1;
    for (;;) {
      this.pollAll();
      const r = m.report(false);
      const nic = this.nic.member(m.id);
      const bypass = r.receivedBypass + r.ringDrops + r.unreadBypass;
      const kernel = r.receivedKernel + r.kernelDrops + r.unreadKernel;
      const offload = r.receivedOffload + r.offloadDrops + r.unreadOffload;
      const ended = nic.state === MEMBER_ENDED || Atomics.load(this.nic.i32, W_DONE) === 1;
      if (ended && bypass >= nic.viaBypass && kernel >= nic.viaKernel && offload >= nic.viaOffload) return;
      const now = Date.now();
      if (ended && !m.skimming && now >= untilMs) {
        // Time is up: at the run's end for every socket (the others would hold this one back), at a leave for this one.
        if (all) for (const x of this.memberships.values()) x.skimming = true;
        m.skimming = true;
        lastProgress = now;
      }
      if (bypass + kernel + offload !== last) {
        last = bypass + kernel + offload;
        lastProgress = now;
      } else if (now - lastProgress > DRAIN_IDLE_MS && ended) {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  async leave(id: number): Promise<void> {
    const m = this.memberships.get(id);
    if (!m) return;
    await this.drain(m, Date.now() + LEAVE_READ_MS);
    const stack = m.reader?.stack ?? null;
    const report = m.report();
    if (m.native) this.departedWaits.add(m.native.waits);
    m.close(stack);
    this.memberships.delete(id);
    this.membershipsChanged();
    send({ type: 'left', membership: id, report });
  }

  private membershipsChanged(): void {
    this.polled = [...this.memberships.values()];
    // Recovery replies and the recovery timer are heard on the event loop: those keep short slices.
    this.spinSliceNs = this.sequencers.size === 0 && this.polled.every((m) => m.selfPolled()) ? SELF_POLLED_SPIN_SLICE_NS : SPIN_SLICE_NS;
  }

  async drainAll(readMs: number): Promise<void> {
    const until = Date.now() + readMs;
    for (const m of this.memberships.values()) await this.drain(m, until, true);
    if (this.sequencers.size > 0) await this.settleRecovery(RECOVERY_SETTLE_MS);
    clearInterval(this.recoveryTimer);
    send(this.snapshot(true));
  }

  private pollAll(): number {
    let n = 0;
    const ms = this.polled;
    for (let i = 0; i < ms.length; i++) n += ms[i].poll(POLL_BATCH) + ms[i].pollKernel();
    return n;
  }

  /** The receive loop: spin for a slice, yield to the event loop, and block when idle long enough. */
  private readonly tick = (): void => {
    this.ticking = false;
    if (!this.running) return;
    // The clock from its cell (tickClock): a double returned from a call that is not inlined is boxed.
    tickClock();
    let now = clockCell[0];
    if (this.spinning) {
      const sliceEnd = now + this.spinSliceNs;
      let active = false;
      // The longest poll-loop cycle (Aeron's max cycle time), event-loop turns included: a
      // spinner that was taken off its CPU shows it here, whatever its latency figures say.
      let prev = this.lastCycleNs;
      do {
        if (prev > 0 && now - prev > this.cells[C_MAX_STALL] && this.baseline && Atomics.load(this.nic.i32, W_DONE) === 0) this.cells[C_MAX_STALL] = now - prev;
        prev = now;
        // The clock costs more than an empty poll: read it once per few polls, so that a
        // packet is seen sooner after it lands.
        for (let k = 0; k < POLLS_PER_CLOCK_READ; k++) if (this.pollAll() > 0) active = true;
        tickClock();
      } while ((now = clockCell[0]) < sliceEnd);
      this.lastCycleNs = now;
      if (active) this.lastActivityNs = now;
      if (now - this.lastActivityNs < this.pollNs) return this.schedule();
    } else {
      // Interrupt-driven: drain what is there, then block; a slow reader yields every slice, so
      // that the controller's requests (drain, leave) are heard while it works through a backlog.
      const sliceEnd = now + SPIN_SLICE_NS;
      while (this.pollAll() > 0) {
        tickClock();
        if (clockCell[0] > sliceEnd) return this.schedule();
      }
    }
    this.block();
  };

  private schedule(): void {
    if (!this.ticking) {
      this.ticking = true;
      setImmediate(this.tick);
    }
  }

  /** Arms the interrupt on every ring socket, then checks once more so no wake-up is lost. */
  private block(): void {
    this.setArmed(1);
    if (this.pollAll() > 0) {
      this.setArmed(0);
      this.lastActivityNs = nowNs();
      return this.schedule();
    }
    this.blocked = true;
    this.lastCycleNs = 0;
  }

  private setArmed(v: 0 | 1): void {
    for (const m of this.memberships.values()) {
      if (!m.reader || m.stackSocket === null) continue;
      if (v === 1) m.reader.stack.arm(m.stackSocket);
      else m.reader.stack.disarm(m.stackSocket);
    }
  }

  private readonly onInterrupt = (): void => {
    this.interrupts++;
    // Read the ring in the doorbell's own callback: a turn of the event loop later, the kernel
    // sockets' callbacks of the same wake-up would run first and delay the bypass path.
    this.wake(this.blocked && !this.ticking);
  };

  /** Unblocks, and reads now (in the caller's callback) or on the event loop's next check. */
  private wake(readNow = false): void {
    if (this.blocked) {
      this.blocked = false;
      this.setArmed(0);
    }
    this.lastActivityNs = nowNs();
    if (readNow) this.tick();
    else this.schedule();
  }

  snapshot(final: boolean): SubscriberSnapshot {
    const ru = process.resourceUsage();
    return {
      type: 'snapshot',
      final,
      pid: process.pid,
      memberships: [...this.memberships.values()].map((m) => m.report(true, final)),
      voluntaryContextSwitches: ru.voluntaryContextSwitches,
      involuntaryContextSwitches: ru.involuntaryContextSwitches,
      cpuUserUs: ru.userCPUTime,
      cpuSystemUs: ru.systemCPUTime,
      sinceFirstPacket: this.baseline && {
        voluntary: ru.voluntaryContextSwitches - this.baseline.voluntary,
        involuntary: ru.involuntaryContextSwitches - this.baseline.involuntary,
        cpuUs: ru.userCPUTime + ru.systemCPUTime - this.baseline.cpuUs,
      },
      interruptsReceived: this.interrupts,
      socketWait: this.socketWait(),
      maxStallNs: this.spinning ? this.cells[C_MAX_STALL] : null,
      maxGcNs: this.cells[C_GC + GC_MAX_NS],
      gc: this.baseline ? { minor: this.cells[C_GC + GC_MINOR], major: this.cells[C_GC + GC_MAJOR] } : null,
      ...(final ? { liveHeap: this.liveHeap } : {}),
      spinning: this.spinning && !this.blocked,
      blocked: this.blocked,
      orders: this.handler.book?.orders ?? 0,
      book: final && this.handler.book ? { orders: this.handler.book.orders, unknownRefs: this.handler.book.unknownRefs, digest: this.handler.book.digest() } : null,
    };
  }

  private readonly kernelWaits = new LogHistogram();
  /** The socket waits of memberships that left, kept for the run's figure. */
  private readonly departedWaits = new LogHistogram();

  private socketWait(): SocketWait {
    const k = this.kernelWaits;
    k.clear();
    for (const m of this.memberships.values()) if (m.native) k.add(m.native.waits);
    k.add(this.departedWaits);
    const d = this.doorbell?.waits;
    return { kernel: k.count > 0 ? k.summary() : null, doorbell: d && d.count > 0 ? d.summary() : null };
  }

  stop(): void {
    this.running = false;
    clearInterval(this.snapshotTimer);
    this.gcWatch?.disconnect();
    for (const m of this.memberships.values()) m.close(m.reader?.stack ?? null);
    this.doorbell?.close();
  }
}

let sub: Subscriber | undefined;
let queue = Promise.resolve();

function fail(err: unknown): void {
  send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
}

process.on('message', (msg: ToSubscriber) => {
  // Requests run one at a time, in order (a leave waits for the join before it).
  queue = queue.then(async () => {
    switch (msg.type) {
      case 'init':
        if (msg.cpus) setAffinity(msg.cpus);
        sub = new Subscriber(msg.index, msg.settings, msg.nicSegment, msg.snapshotMs, msg.lab);
        await sub.start();
        send({ type: 'ready', pid: process.pid });
        break;
      case 'join':
        await sub?.join(msg);
        break;
      case 'leave':
        await sub?.leave(msg.membership);
        break;
      case 'drain':
        await sub?.drainAll(msg.readMs);
        break;
      case 'stop':
        sub?.stop();
        process.disconnect?.();
        setTimeout(() => process.exit(0), 10);
        break;
    }
  }).catch(fail);
});
followController();
