/**
 * The emulated NIC, a process of its own: it replays the recording at its scheduled times and,
 * for each packet, DMAs the frame into the ring of every stack the steering table names
 * (bypass), sends it to the real kernel as UDP multicast on loopback if the table says so, and
 * counts, per membership, what went where. Readers blocked waiting for an interrupt get a
 * doorbell: a datagram, i.e. a real trip through the kernel, as an interrupt wakes a process
 * (sent with one sendto through the addon: src/kernel/doorbell.ts).
 */
import { statSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import type { PerformanceObserver } from 'node:perf_hooks';
import { MdlabError } from '../errors.js';
import { openFeed } from '../feed/open-feed.js';
import type { GroupAssignment } from '../feed/feed-traffic.js';
import type { FeedReader } from '../feed/feed-reader.js';
import { NativeMulticastSender } from '../kernel/native-sender.js';
import { NATIVE_SLOT_BYTES } from '../kernel/native-receiver.js';
import { DoorbellSender } from '../kernel/doorbell.js';
import { SideTableWriter } from '../kernel/side-table.js';
import { SlidingPeak } from '../feed/sliding-peak.js';
import { clockCell, nowNs, tickClock } from '../metrics/clock.js';
import { setAffinity } from '../shm/segment.js';
import { followController } from '../experiment/follow-controller.js';
import { MAX_MEMBERSHIPS, S_DOORBELL, S_INTERRUPTS, SOCKET_ATTACHED, StackSegment } from '../onload/stack-layout.js';
import { FrameTemplate, FRAME_HEADER_BYTES } from './frame-template.js';
import {
  F_BYTES, F_KERNEL_SENDS, F_LAG, F_LENGTH, F_LOOPS, F_MESSAGES, F_PACKETS, F_POSITION, F_RING_WRITES, F_SPEED, F_START, F_TOO_BIG,
  F_UNJOINED, F_WORST_LAG, F_GC, F_OFF_CPU_COUNT, F_OFF_CPU_MAX, F_PEAK_GEN, F_PEAK_1MS, F_PEAK_100MS, F_PEAK_100MS_RUN, LAG_OFFSET, lagBucket, MAX_STACKS, NicSegment, PATH_BYPASS, PATH_KERNEL, PATH_LOST, PATH_OFFLOAD, W_APPLIED, W_DONE, W_PAUSED,
} from './nic-layout.js';
import type { FromNic, NicStart, ToNic } from './nic-protocol.js';
import { LossInjector } from './loss-injector.js';
import { OffloadPort } from './offload-port.js';
import { GroupTable } from './group-table.js';
import { Pacer } from './pacer.js';
import { SpinMargin } from './spin-margin.js';
import { MemberCounter } from './member-counter.js';
import { SelfProfile } from '../metrics/self-profile.js';
import { watchGc } from '../metrics/gc-watch.js';
import { RingWriter } from './ring-writer.js';
import { STAMP_SCHEDULED, STAMP_SENT } from '../metrics/stamps.js';
import { SteeringCache } from './steering-cache.js';

/** Waits longer than this sleep in the event loop; shorter ones block, then spin the last stretch. */
const YIELD_WAIT_NS = 2e6;
/** A gap this long between two clock reads of the NIC's spin is time it spent off its CPU. */
const OFF_CPU_NS = 500e3;
/** The NIC returns to the event loop at least this often (IPC, libuv sends). */
const MAX_BURST_NS = 1e6;
/** At top speed, slots written before the producer sequence is published (readers see them a batch at a time). */
const PUBLISH_BATCH = 32;
/**
 * The NIC's times, in one Float64Array (`Nic.t`): the packet's, for transmit (a double argument
 * is boxed), and the replay's position. As object fields they started as small integers and
 * became doubles a second into the recording: V8 then changed the NIC's hidden class, and every
 * optimised function that used it fell back to the interpreter, which boxes each double it makes
 * (the NIC made ~170 MB/s of garbage until they were compiled again). Read from a Float64Array,
 * a value is a double from the first packet: no map change, and no integer arithmetic that
 * overflows later (`(sec - firstSec) * 1e9` did, once a recording passed 2 s).
 */
const T_DUE = 0;
const T_NOW = 1;
/** The clock at the last copy of the packet just sent (0: it read none, or it was used). */
const T_LAST_SEND = 2;
/** The current loop's first record time (seconds, ns): FIRST_SEC < 0 before its first packet. */
const T_FIRST_SEC = 3;
const T_FIRST_NSEC = 4;
/** Recording offset of the current loop's start. */
const T_LOOP_BASE = 5;
/** Recording offset of the packet read last. */
const T_LAST_REC = 6;
/** Why a burst ended: the pump (not the burst's hot loop) acts on it. */
const BURST_YIELDED = 0;
const BURST_NEED_INPUT = 1;
const BURST_END_OF_RECORDING = 2;
const BURST_LOOP_START = 3;

function send(msg: FromNic): void {
  process.send?.(msg);
}

class Nic {
  private readonly seg: NicSegment;
  private readonly groupIndex: GroupTable;
  private readonly templates: FrameTemplate[];
  private readonly senders: NativeMulticastSender[] = [];
  private readonly writers: (RingWriter | undefined)[] = new Array(MAX_STACKS).fill(undefined);
  /** Rings blocked readers' doorbells (a sendto each, through the addon). */
  private readonly doorbell = new DoorbellSender();
  private readonly steering = new SteeringCache();
  private readonly counts: MemberCounter;
  private profiler: SelfProfile | null = null;
  /** Its own garbage collections, counted from the replay's start (go) to its end. */
  private gcWatch: PerformanceObserver | null = null;
  /** Offloaded sockets (NIC model inic), by membership. */
  private readonly offloadPorts: (OffloadPort | undefined)[] = new Array(MAX_MEMBERSHIPS).fill(undefined);
  /** Steering is also re-read between packets, so that sockets are ready before traffic. */
  private readonly steeringTimer: NodeJS.Timeout;
  private readonly side: SideTableWriter;
  private readonly loss: LossInjector;
  private readonly sleeper = new Int32Array(new SharedArrayBuffer(4));
  /** How long before a send time the NIC stops sleeping and spins: it follows how late this host wakes it. */
  private readonly spin = new SpinMargin();
  private reader!: FeedReader;
  private pacer!: Pacer;
  private stopAtNs: number | null = null;
  private pending = false;
  /** The NIC's times (T_*). */
  private readonly t = new Float64Array([0, 0, 0, -1, 0, 0, 0]);
  private finished = false;
  private stopping = false;
  private loopGapNs = 1e6;
  private readonly lagBase = LAG_OFFSET >> 3;
  /** From the length scan: the recording's packets and payload bytes (the mean datagram, for the drop explanations). */
  scannedPackets = 0;
  scannedBytes = 0;
  /** Groups of the NIC's table the scan saw packets for (null: not scanned, a very large file). */
  seenGroups: Uint8Array | null = null;
  /** Groups the recording's unaddressed datagrams were given (anonymised captures), from the scan or the replay. */
  assignments: GroupAssignment[] = [];
  /** The feed's peak: packets in any 1 ms and 100 ms of wire time since the controller last looked. */
  private readonly peak1 = new SlidingPeak(1e6);
  private readonly peak100 = new SlidingPeak(100e6);
  private peakGen = 0;

  constructor(private readonly start: NicStart) {
    this.seg = NicSegment.attach(start.nicSegment);
    this.counts = new MemberCounter(this.seg, this.steering, start.groups.length);
    this.groupIndex = new GroupTable(start.groups.length);
    start.groups.forEach((g, i) => this.groupIndex.set(g.addr, g.port, i));
    this.templates = start.groups.map((g) => new FrameTemplate(g.addr, g.port, 0xc612000a, 26400));
    this.side = SideTableWriter.attach(start.sideTable);
    this.loss = new LossInjector(start.drops ?? [], start.groups.length);
    this.seg.f64[F_SPEED] = start.speed;
    this.steeringTimer = setInterval(() => this.refreshSteering(), 10);
  }

  private refreshSteering(): void {
    if (!this.counts.refresh()) return;
    this.openStacks();
    this.openOffloadPorts();
    // The counts sent under the table before are in their memberships' counters: the controller
    // may read a departed membership's account once this version is here.
    Atomics.store(this.seg.i32, W_APPLIED, this.steering.version);
  }

  /** Connects to newly offloaded sockets; lets go of those no longer offloaded. */
  private openOffloadPorts(): void {
    const wanted = this.steering.offloaded;
    for (let m = 0; m < MAX_MEMBERSHIPS; m++) {
      const port = this.offloadPorts[m];
      if (wanted.has(m) && !port) this.offloadPorts[m] = new OffloadPort(this.start.lab, m);
      else if (!wanted.has(m) && port) {
        port.close();
        this.offloadPorts[m] = undefined;
      }
    }
  }

  async open(): Promise<number | null> {
    for (const g of this.start.groups) this.senders.push(new NativeMulticastSender(g.addr, g.sendPort));
    const lengthNs = await this.scanLength();
    if (lengthNs !== null) this.seg.f64[F_LENGTH] = lengthNs;
    this.reader = await openFeed(this.start.recording, this.start.feed);
    return lengthNs;
  }

  /** The recording's length, from a quick read of its timestamps (skipped for very large files). */
  private async scanLength(): Promise<number | null> {
    if (statSync(this.start.recording).size > 256 << 20) return null;
    const r = await openFeed(this.start.recording, this.start.feed);
    let first = -1;
    let firstN = 0;
    let last = 0;
    const seen = new Uint8Array(this.start.groups.length);
    // The synchronous cursor, refilled when it runs dry: no promise per packet (a 200 MB
    // recording is a few million packets, all read before the first one is sent).
    for (;;) {
      const got = r.nextSync();
      if (got === 0) break;
      if (got === -1) {
        await r.fill();
        continue;
      }
      if (first < 0) {
        first = r.packet.tsSec;
        firstN = r.packet.tsNsec;
      }
      this.scannedPackets++;
      this.scannedBytes += r.packet.length;
      const g = this.groupIndex.get(r.packet.dstAddr, r.packet.dstPort);
      if (g >= 0) seen[g] = 1;
      last = (r.packet.tsSec - first) * 1e9 + (r.packet.tsNsec - firstN);
    }
    this.assignments = [...r.assignments];
    this.seenGroups = seen;
    r.close();
    return first < 0 ? 0 : last;
  }

  go(startNs: number, stopAtNs: number | null): void {
    if (this.start.profile) this.profiler = new SelfProfile(this.start.profile);
    this.pacer = new Pacer(startNs, this.start.speed);
    this.stopAtNs = stopAtNs;
    this.seg.f64[F_START] = startNs;
    this.gcWatch = watchGc(this.seg.f64, F_GC, () => !this.finished);
    const wait = startNs - nowNs();
    setTimeout(() => this.pump(), Math.max(0, wait / 1e6));
  }

  control(msg: ToNic | { type: 'speed'; speed: number } | { type: 'pause' } | { type: 'resume' }): void {
    const now = nowNs();
    switch (msg.type) {
      case 'speed':
        this.pacer?.setSpeed(msg.speed, now, this.t[T_LAST_REC]);
        this.seg.f64[F_SPEED] = msg.speed;
        break;
      case 'pause':
        this.pacer?.pause(now);
        Atomics.store(this.seg.i32, W_PAUSED, 1);
        break;
      case 'resume':
        this.pacer?.resume(now);
        Atomics.store(this.seg.i32, W_PAUSED, 0);
        setImmediate(() => this.pump());
        break;
      case 'stop':
        this.stopping = true;
        setImmediate(() => this.pump());
        break;
      default:
        break;
    }
  }

  /** Writers with slots written and not yet published (top speed publishes in batches). */
  private unpublished = false;

  private readonly pump = (): void => {
    // The burst's loop leaves the rare turns (more input to read, the recording's end, a loop's
    // first packet) to this function: met first in an optimised loop, such a turn, never seen
    // before, sent the whole loop back to the interpreter until it was compiled again.
    let why = this.pumpBurst();
    if (why === BURST_LOOP_START) {
      // The loop's first packet (read, not yet sent) sets its time zero.
      const p = this.reader.packet;
      this.t[T_FIRST_SEC] = p.tsSec;
      this.t[T_FIRST_NSEC] = p.tsNsec;
      this.t[T_LAST_REC] = this.t[T_LOOP_BASE];
      why = this.pumpBurst();
    }
    if (why === BURST_NEED_INPUT) this.reader.fill().then(this.pump, (e: unknown) => this.fail(e));
    else if (why === BURST_END_OF_RECORDING) {
      if (this.start.loop) this.rewind();
      else this.finish('end-of-recording');
    }
    // Every burst ends with its counts handed to the memberships: a group sent only to the kernel
    // publishes no ring batch, and its counts waited for the next steering change, or the end.
    this.publishRings();
  };

  /** Makes every ring's written slots visible: at a burst's end, before any wait, at the end. */
  private publishRings(): void {
    this.counts.flush();
    for (const w of this.writers) w?.publish();
    this.unpublished = false;
  }

  /** Sends packets until the burst's time is up, a wait, or a turn `pump` takes (BURST_*). */
  private pumpBurst(): number {
    if (this.finished) return BURST_YIELDED;
    const t = this.t;
    const burstEnd = nowNs() + MAX_BURST_NS;
    // A burst's first packet reads the clock: the last one's send is from before a pause, a wait or a turn of the event loop.
    t[T_LAST_SEND] = 0;
    for (;;) {
      if (this.stopping) {
        this.finish('stopped');
        return BURST_YIELDED;
      }
      if (this.pacer.paused) return BURST_YIELDED; // resume() restarts the pump
      if (!this.pending) {
        const r = this.reader.nextSync();
        if (r === -1) return BURST_NEED_INPUT;
        if (r === 0) return BURST_END_OF_RECORDING;
        this.pending = true;
        if (t[T_FIRST_SEC] < 0) return BURST_LOOP_START;
        const p = this.reader.packet;
        t[T_LAST_REC] = t[T_LOOP_BASE] + (p.tsSec - t[T_FIRST_SEC]) * 1e9 + (p.tsNsec - t[T_FIRST_NSEC]);
      }
      // At top speed a packet is due when the one before it has left: the clock read at that
      // send serves as this packet's "now" (one read per packet, not two). Paced, or after a
      // packet that read no clock (no group joined), the clock is read here.
      let now: number;
      if (t[T_LAST_SEND] > 0 && this.pacer.currentSpeed === 0) now = t[T_LAST_SEND];
      else {
        tickClock();
        now = clockCell[0];
      }
      t[T_LAST_SEND] = 0;
      const due = this.pacer.scheduled(t[T_LAST_REC], now);
      if (this.stopAtNs !== null && due >= this.stopAtNs) {
        this.finish('duration');
        return BURST_YIELDED;
      }
      const wait = due - now;
      if (wait > YIELD_WAIT_NS) {
        setTimeout(this.pump, (wait - YIELD_WAIT_NS / 2) / 1e6);
        return BURST_YIELDED;
      }
      if (wait > this.spin.ns) {
        const until = due - this.spin.ns;
        Atomics.wait(this.sleeper, 0, 0, (until - now) / 1e6);
        now = nowNs();
        this.spin.slept(now - until);
      }
      // Spin the last stretch: the wire time is the schedule, not the scheduler's whim. (At top
      // speed the packet is due now: no second clock read.) A long gap between two reads of the
      // clock here is time the NIC was off its CPU: the host's doing, not the NIC's work.
      if (wait > 0) {
        let prev = now;
        for (;;) {
          tickClock();
          now = clockCell[0];
          if (now >= due) break;
          if (now - prev > OFF_CPU_NS) this.offCpu(now - prev);
          prev = now;
        }
        if (now - prev > OFF_CPU_NS) this.offCpu(now - prev);
      }
      t[T_DUE] = due;
      t[T_NOW] = now;
      this.transmit();
      this.pending = false;
      if (now > burstEnd) {
        setImmediate(this.pump);
        return BURST_YIELDED;
      }
    }
  }

  private rewind(): void {
    this.reader.close();
    this.t[T_LOOP_BASE] = this.t[T_LAST_REC] + this.loopGapNs;
    this.t[T_FIRST_SEC] = -1;
    this.seg.f64[F_LOOPS] += 1;
    openFeed(this.start.recording, this.start.feed).then((r) => {
      this.reader = r;
      this.pump();
    }, (e: unknown) => this.fail(e));
  }

  /** One packet onto the wire (its times in `times`): rings, kernel, counters. */
  private transmit(): void {
    const scheduledNs = this.t[T_DUE];
    const now = this.t[T_NOW];
    const p = this.reader.packet;
    const f = this.seg.f64;
    const g = this.groupIndex.get(p.dstAddr, p.dstPort);
    f[F_PACKETS] += 1;
    f[F_BYTES] += p.length;
    const count = p.length >= 20 ? p.view.getUint16(p.offset + 18) : 0;
    if (count !== 0 && count !== 0xffff) f[F_MESSAGES] += count;
    f[F_POSITION] = this.t[T_LAST_REC];
    const lag = now - scheduledNs;
    f[F_LAG] = lag;
    if (lag > f[F_WORST_LAG]) f[F_WORST_LAG] = lag;
    f[this.lagBase + lagBucket(lag)] += 1;
    // The burst, by wire time: the controller bumps the generation when it has read the peaks.
    // At top speed there is no schedule to burst against (the rate is the NIC's own): skipped.
    if (f[F_SPEED] !== 0) this.countPeak(scheduledNs);
    if (g < 0) {
      f[F_UNJOINED] += 1;
      return;
    }
    const seg = this.seg;
    this.refreshSteering();
    const st = this.steering;
    seg.f64[seg.groupF64(g, 24)] += 1;
    if (this.loss.active && this.loss.drops(g, scheduledNs - f[F_START])) {
      // Lost on the wire on purpose: sent to every member, reaching none; each counts it injected.
      seg.f64[seg.groupF64(g, 48)] += 1;
      const n = st.memberCount[g];
      for (let i = 0; i < n; i++) {
        const m = st.members[g * MAX_MEMBERSHIPS + i];
        f[seg.memberF64(m, 24)] += 1;
        f[seg.memberF64(m, 64)] += 1;
      }
      return;
    }
    // The send time is read as each copy leaves (a ring's DMA, the kernel's send), as a hardware
    // stamp is taken at the wire: the NIC's own work before it (steering, counters, loss) is the
    // NIC's, not the path's. (The pacing read `now` is the packet's lag behind its schedule.)
    let sentNs = now;
    // Counted for its members before its slot can be published below.
    this.counts.count(g);

    const nStacks = st.stackCount[g];
    const topSpeed = f[F_SPEED] === 0;
    if (nStacks > 0) {
      const template = this.templates[g];
      const header = template.prepare(p.length);
      for (let k = 0; k < nStacks; k++) {
        const slot: number = st.stackSlots[g * MAX_STACKS + k];
        const w: RingWriter | undefined = this.writers[slot];
        if (!w) continue;
        tickClock();
        sentNs = this.t[T_LAST_SEND] = clockCell[0];
        w.stamps[STAMP_SCHEDULED] = scheduledNs;
        w.stamps[STAMP_SENT] = sentNs;
        // Paced, each packet is published as it is written; at top speed, in batches (one seq-cst store per batch).
        if (!w.writeStamped(g, st.ringBitmaps[g * MAX_STACKS + slot], header, template.view, FRAME_HEADER_BYTES, p.bytes, p.view, p.offset, p.length, !topSpeed)) {
          f[F_TOO_BIG] += 1;
          continue;
        }
        if (topSpeed) {
          if (w.unpublished >= PUBLISH_BATCH) {
            this.counts.flush();
            w.publish();
          } else this.unpublished = true;
        }
        f[F_RING_WRITES] += 1;
        seg.f64[seg.groupF64(g, 40)] += 1;
        this.interrupt(w);
      }
    }
    if (st.kernel[g] === 1) {
      if (p.length <= NATIVE_SLOT_BYTES) {
        // The exchange's bytes, exactly, sent from where the recording holds them (the send is
        // synchronous): the times and memberships go in the side table, first.
        tickClock();
        sentNs = this.t[T_LAST_SEND] = clockCell[0];
        this.side.write(g, p.bytes, p.view, p.offset, p.length, scheduledNs, sentNs, st.kernelBitmaps[g]);
        this.senders[g].send(p.bytes, p.offset, p.length);
        this.side.sentDone(g);
        f[F_KERNEL_SENDS] += 1;
        seg.f64[seg.groupF64(g, 32)] += 1;
      } else {
        f[F_TOO_BIG] += 1;
      }
    }
    if (st.offloaded.size > 0) this.sendOffloaded(g, scheduledNs, sentNs);
    // Paced, each packet's slot is already published: its members' counts follow at once.
    if (!topSpeed) this.counts.flush();
  }

  /** The group's payload to each of its offloaded members' sockets. */
  private sendOffloaded(g: number, scheduledNs: number, sentNs: number): void {
    const st = this.steering;
    const p = this.reader.packet;
    const n = st.memberCount[g];
    for (let i = 0; i < n; i++) {
      const m = st.members[g * MAX_MEMBERSHIPS + i];
      if (st.memberPath[m] === PATH_OFFLOAD) this.offloadPorts[m]?.send(g, scheduledNs, sentNs, p.bytes, p.view, p.offset, p.length);
    }
  }

  /** The NIC was off its CPU for `ns` mid-spin: counted, the longest kept. */
  private offCpu(ns: number): void {
    const f = this.seg.f64;
    f[F_OFF_CPU_COUNT] += 1;
    if (ns > f[F_OFF_CPU_MAX]) f[F_OFF_CPU_MAX] = ns;
  }

  /** The feed's peak packets in 1 ms and 100 ms of wire time, since the controller last looked. */
  private countPeak(scheduledNs: number): void {
    const f = this.seg.f64;
    if (f[F_PEAK_GEN] !== this.peakGen) {
      this.peakGen = f[F_PEAK_GEN];
      this.peak1.resetPeak();
      this.peak100.resetPeak();
    }
    this.peak1.add(scheduledNs, 0);
    this.peak100.add(scheduledNs, 0);
    if (this.peak1.peakPackets > f[F_PEAK_1MS]) f[F_PEAK_1MS] = this.peak1.peakPackets;
    if (this.peak100.peakPackets > f[F_PEAK_100MS]) f[F_PEAK_100MS] = this.peak100.peakPackets;
    if (this.peak100.peakPackets > f[F_PEAK_100MS_RUN]) f[F_PEAK_100MS_RUN] = this.peak100.peakPackets;
  }

  /** Wakes readers of this stack that blocked waiting for an interrupt: its slots published first, so that no doorbell comes before what it rings for. */
  private interrupt(w: RingWriter): void {
    const stack = w.stack;
    // Spinning readers never arm: then the socket table, which readers write on every poll, is left alone.
    if (stack.armedSockets() === 0) return;
    this.counts.flush();
    w.publish();
    const i32 = stack.i32;
    for (let s = 0; s < stack.socketCapacity; s++) {
      const base = stack.socketBase(s);
      if (i32[base >> 2] !== SOCKET_ATTACHED) continue;
      if (!stack.disarm(s)) continue;
      this.doorbell.ring(i32[(base + S_DOORBELL) >> 2]);
      stack.f64[(base + S_INTERRUPTS) >> 3] += 1;
    }
  }

  private openStacks(): void {
    for (const slot of this.steering.usedStacks) {
      if (this.writers[slot]) continue;
      const info = this.seg.stack(slot);
      if (info) this.writers[slot] = new RingWriter(StackSegment.attach(info.segment, true));
    }
  }

  private finish(reason: 'end-of-recording' | 'duration' | 'stopped'): void {
    if (this.finished) return;
    this.publishRings();
    this.finished = true;
    // Written before 'done': the controller may read it as soon as the run has ended.
    this.profiler?.stop();
    this.gcWatch?.disconnect();
    this.reader?.close();
    Atomics.store(this.seg.i32, W_DONE, 1);
    clearInterval(this.steeringTimer);
    // A NIC stopped before its recording was opened has no reader yet.
    send({ type: 'done', reason, assignments: this.assignments.length > 0 ? this.assignments : [...((this.reader as FeedReader | undefined)?.assignments ?? [])] });
    // Kernel sends and doorbells are synchronous; writes to offloaded sockets may still be queued.
    setTimeout(() => {
      for (const s of this.senders) s.close();
      this.doorbell.close();
      for (const o of this.offloadPorts) o?.close();
    }, 50);
  }

  fail(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    send({ type: 'error', message });
    this.finish('stopped');
  }
}

/**
 * The emulated NIC stands in for hardware, which never waits for a CPU: ask the scheduler to
 * prefer it over the subscribers (nice -10). Without the privilege to do so, it runs as it is.
 */
function raisePriority(): void {
  try {
    setPriority(0, -10);
  } catch {
    // not permitted (not root, no CAP_SYS_NICE): normal priority
  }
  // Nor is a NIC's clock subject to timer slack: ask for wake-ups as precise as the kernel gives
  // (the default 50 µs of slack made every sleep end ~95 µs late here, not ~45).
  try {
    writeFileSync('/proc/self/timerslack_ns', '1');
  } catch {
    // an older kernel (before 4.6): the default slack
  }
}
let nic: Nic | undefined;

process.on('message', (msg: ToNic | { type: 'speed'; speed: number } | { type: 'pause' } | { type: 'resume' }) => {
  if (msg.type === 'start') {
    try {
      if (msg.cpus) setAffinity(msg.cpus);
      raisePriority();
      nic = new Nic(msg);
    } catch (err) {
      send({ type: 'error', message: err instanceof MdlabError || err instanceof Error ? err.message : String(err) });
      return;
    }
    nic.open().then((lengthNs) => send({ type: 'ready', pid: process.pid, lengthNs, meanPayloadBytes: nic && nic.scannedPackets > 0 ? nic.scannedBytes / nic.scannedPackets : null, assignments: nic?.assignments ?? [], silentGroups: nic?.seenGroups ? [...nic.seenGroups.keys()].filter((g) => nic!.seenGroups![g] === 0) : null }), (e: unknown) => nic?.fail(e));
  } else if (msg.type === 'go') {
    nic?.go(msg.startNs, msg.stopAtNs);
  } else {
    nic?.control(msg);
  }
});
followController();
