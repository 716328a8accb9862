/**
 * One socket of a subscriber joined to one group: its kernel socket (every Onload socket has
 * one, joined to the group: "Onload Sockets vs. Kernel Sockets"), and, when it is an Onload
 * socket, its place in the stack's ring. Both feed the same application, the way Onload's
 * receive reads the stack and the backing kernel socket alike.
 */
import type dgram from 'node:dgram';
import { openMulticastReceiver } from '../kernel/loopback.js';
import { NativeMulticastReceiver } from '../kernel/native-receiver.js';
import type { KernelSocketKind } from './settings.js';
import { FOREIGN, FOUND, SideTableReader } from '../kernel/side-table.js';
import { clockCell, tickClock } from '../metrics/clock.js';
import { newStamps, STAMP_SCHEDULED, STAMP_SENT } from '../metrics/stamps.js';
import { F_READ_UNTIL } from '../nic/nic-layout.js';
import type { HistogramWriter } from '../metrics/shm-histogram.js';
import { RingReader } from '../onload/ring-reader.js';
import type { StackSegment } from '../onload/stack-layout.js';
import { FeedHandler, SequenceTracker } from './feed-handler.js';
import type { MembershipReport } from './protocol.js';
import { offloadSocketPath } from '../kernel/offload-record.js';
import { kernelSocketDrops } from '../kernel/socket-drops.js';
import { OffloadReceive } from './offload-receive.js';
import { EfViReceive, makeRingReceive, readsRing, type Delivery, type ReceiveMode, type RingReceive } from './receive-modes.js';
import { FROM_LINE_A, FROM_SERVER, type MoldClient, type Source } from '../recovery/mold-client.js';
import type { Sequencer } from '../recovery/sequencer.js';

const PATH_BYPASS = 0;
const PATH_KERNEL = 1;
const PATH_OFFLOAD = 2;

/** The receive mode a ring socket records in the stack's socket table (stackdump shows it). */
const RING_MODE_CODES: Readonly<Record<ReceiveMode, number>> = { onload: 0, 'onload-zc': 1, ef_vi: 2, kernel: 3, offload: 4 };

export class Membership {
  /** Its kernel socket: Node's dgram (kernelSocket: node), or the addon's, read in recvmmsg batches (native). */
  kernel: dgram.Socket | null = null;
  native: NativeMulticastReceiver | null = null;
  reader: RingReader | null = null;
  stackSocket: number | null = null;
  private receive: RingReceive | null = null;
  offload: OffloadReceive | null = null;
  /** Payload bytes copied on the host for kernel-path datagrams: the kernel's copy into its socket buffer, and read()'s copy out. */
  private kernelBytesCopied = 0;
  readonly seq = new SequenceTracker();
  receivedBypass = 0;
  receivedKernel = 0;
  private side: SideTableReader | null = null;
  kernelCopiesIgnored = 0;
  foreignDatagrams = 0;
  malformed = 0;
  /** Messages handled for this membership's group. */
  private messagesBefore = 0;
  messages = 0;
  /** When the first and the latest packet reached the application (monotonic ns; 0: none yet): a throughput span. */
  firstDeliveryNs = 0;
  lastDeliveryNs = 0;

  /**
   * Set when the run has ended and the reader's time to drain is up: what is still queued (in
   * the ring, in the kernel socket) is counted as unread instead of handed to the application.
   */
  skimming = false;
  /** Packets still queued when the reader's time was up, by path: never delivered, never hidden. */
  readonly unread = [0, 0, 0];
  private addr = 0;
  private port = 0;
  /** The packet being delivered's times, written by whichever path hands it over (one at a time). */
  private readonly stamps = newStamps();

  /** Loss recovery and A/B lines: the channel's sequence (shared by its two lines), and which line this is. */
  sequencer: Sequencer | null = null;
  private line: Source = FROM_LINE_A;
  private arbitratedOn: string | null = null;

  /** Called once, at this socket's first delivery (the subscriber's baseline for per-packet costs). */
  onFirst: (() => void) | null = null;

  constructor(
    readonly id: number,
    readonly group: number,
    readonly groupName: string,
    private readonly lab: number,
    private readonly latency: HistogramWriter,
    private readonly handler: FeedHandler,
    /** The NIC segment's header (its read-until word). */
    private readonly nicF64: Float64Array,
  ) {}

  /**
   * Opens the socket as its receive mode has it: a kernel socket joined on 127.0.0.1 (every mode
   * but offload: an Onload socket has one, and an ef_vi application keeps one for the IGMP join),
   * a place in the stack's or VI's ring, or the offloaded socket the NIC writes payloads to.
   */
  async open(addr: number, port: number, kernelPort: number, stack: StackSegment | null, mode: ReceiveMode, doorbellPort: number, rcvbuf: number | undefined, sideTable: string, kernelSocket: KernelSocketKind = 'native'): Promise<void> {
    this.addr = addr;
    this.port = kernelPort;
    if (mode !== 'offload') {
      this.side = new SideTableReader(sideTable, this.group, this.id);
      if (kernelSocket === 'native') {
        this.native = new NativeMulticastReceiver(addr, kernelPort, rcvbuf);
        this.native.start(this.onKernelAt);
      } else {
        this.kernel = await openMulticastReceiver(addr, kernelPort, rcvbuf);
        // dgram hands each datagram over in a Buffer of its own.
        this.kernel.on('message', (buf: Buffer) => this.onKernelAt(buf, new DataView(buf.buffer, buf.byteOffset, buf.length), 0, buf.length));
      }
    }
    if (stack && readsRing(mode)) {
      this.stackSocket = stack.claimSocket(process.pid, this.group, this.id, RING_MODE_CODES[mode], doorbellPort);
      this.reader = new RingReader(stack, this.stackSocket, this.id);
      const bypass: Delivery = {
        stamps: this.stamps,
        deliver: (bytes, view, off, len) => this.deliver(PATH_BYPASS, bytes, view, off, len),
        malformed: () => this.malformed++,
      };
      this.receive = makeRingReceive(mode, bypass, addr, port);
    }
    if (mode === 'offload') {
      this.offload = new OffloadReceive({
        stamps: this.stamps,
        deliver: (bytes, view, off, len) => this.deliver(PATH_OFFLOAD, bytes, view, off, len),
        malformed: () => this.malformed++,
      });
      await this.offload.listen(offloadSocketPath(this.lab, this.id), rcvbuf);
    }
  }

  /** Polls the ring (if any); returns slots consumed. */
  poll(max: number): number {
    return this.reader && this.receive ? this.reader.poll(this.receive, max) : 0;
  }

  /** Whether the poll loop reads all of it (its ring, and its kernel socket through the addon): nothing of it waits for the event loop. */
  selfPolled(): boolean {
    return this.reader !== null && this.kernel === null && this.offload === null && (this.native === null || this.side !== null);
  }

  /**
   * An Onload socket's kernel socket, checked from the poll loop: Onload's recv looks at the OS
   * socket's readable flag in shared state on every spin, and reads it only when set
   * (ci_udp_recvmsg_try_os). Without this a spinner would read its kernel socket only when it
   * yields to the event loop, every spin slice, and its kernel path would look slower than
   * Onload's is. Returns the datagrams read.
   */
  pollKernel(): number {
    const native = this.native;
    if (!native || !this.reader || !this.side?.readable()) return 0;
    return native.drain(this.onKernelAt);
  }

  /** A kernel-path datagram at `bytes[off, off+len)`, valid during the call. */
  private readonly onKernelAt = (bytes: Buffer, view: DataView, off: number, len: number): void => {
    const side = this.side;
    if (!side) return;
    const r = side.lookup(bytes, view, off, len);
    if (r === FOREIGN) {
      this.foreignDatagrams++;
      return;
    }
    if (r !== FOUND) {
      this.kernelCopiesIgnored++;
      return;
    }
    this.kernelBytesCopied += 2 * len;
    this.stamps[STAMP_SCHEDULED] = side.scheduledNs;
    this.stamps[STAMP_SENT] = side.sentNs;
    this.deliver(PATH_KERNEL, bytes, view, off, len);
  };

  /** Its times are in `stamps`; the clock is read from its cell: no double crosses a call, none is boxed. */
  private deliver(path: 0 | 1 | 2, bytes: Buffer, view: DataView, off: number, len: number): void {
    tickClock();
    const now = clockCell[0];
    // The controller's deadline, by the clock (0 while the replay runs): even mid-batch, a slow
    // reader stops handing packets to the application once its time to drain is up.
    const until = this.nicF64[F_READ_UNTIL];
    if (this.skimming || (until > 0 && now > until)) {
      this.unread[path]++;
      return;
    }
    const sentNs = this.stamps[STAMP_SENT];
    this.latency.record(path, now - this.stamps[STAMP_SCHEDULED], now - sentNs);
    if (this.firstDeliveryNs === 0) {
      this.firstDeliveryNs = now;
      this.onFirst?.();
    }
    this.lastDeliveryNs = now;
    if (path === PATH_BYPASS) this.receivedBypass++;
    else if (path === PATH_KERNEL) this.receivedKernel++;
    this.messagesBefore = this.handler.messages;
    if (this.sequencer) {
      // Under recovery (or A/B lines) the client passes messages on in sequence order, and fills the gaps.
      this.handler.observeOnly(view, off, len, this.seq);
      this.sequencer.onPacket(bytes, view, off, len, now, this.line, sentNs);
    } else this.handler.onPayload(bytes, view, off, len, this.seq);
    this.messages += this.handler.messages - this.messagesBefore;
  }

  /**
   * Keep this socket's sequence with `sequencer` (its own, under recovery; its channel's, shared
   * with the other line, under A/B arbitration); `arbitratedOn` names line A's group on line B.
   */
  sequence(sequencer: Sequencer, line: Source, arbitratedOn: string | null): void {
    this.sequencer = sequencer;
    this.line = line;
    this.arbitratedOn = arbitratedOn;
  }

  get client(): MoldClient | null {
    return this.sequencer?.client ?? null;
  }

  /** A reply from the re-request server for this socket's session. */
  onReply(bytes: Buffer, now: number): void {
    if (!this.sequencer?.client || this.skimming) return;
    const before = this.handler.messages;
    this.sequencer.onPacket(bytes, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), 0, bytes.length, now, FROM_SERVER);
    this.messages += this.handler.messages - before;
  }

  /** Its counters; `socketDrops` reads /proc/net/udp, so a loop that only counts passes false; `final` adds every recovery time. */
  report(withSocketDrops = true, final = false): MembershipReport {
    return {
      membership: this.id,
      // A channel read on two lines reports once, on line A.
      recovery: this.sequencer && this.line === FROM_LINE_A ? this.sequencer.report(final) : null,
      arbitratedOn: this.arbitratedOn,
      group: this.group,
      receivedBypass: this.receivedBypass,
      receivedKernel: this.receivedKernel,
      receivedOffload: this.offload?.received ?? 0,
      offloadDrops: this.offload?.gaps ?? 0,
      ringDrops: this.reader?.groupDrops ?? 0,
      kernelDrops: this.side?.dropped ?? 0,
      kernelCopiesIgnored: this.kernelCopiesIgnored,
      foreignDatagrams: this.foreignDatagrams,
      malformed: this.malformed,
      messages: this.messages,
      sequenceGaps: this.seq.gaps,
      missingMessages: this.seq.missingMessages,
      outOfOrder: this.seq.outOfOrder,
      rewinds: this.seq.rewinds,
      bytesCopied: (this.receive?.bytesCopied ?? 0) + (this.offload?.bytesCopied ?? 0) + this.kernelBytesCopied,
      stackParsed: this.receive?.stackParsed ?? 0,
      appParsed: this.receive?.appParsed ?? 0,
      appRejected: this.receive instanceof EfViReceive ? this.receive.rejected : 0,
      offloadReads: this.offload?.reads ?? 0,
      firstDeliveryNs: this.firstDeliveryNs,
      lastDeliveryNs: this.lastDeliveryNs,
      unreadBypass: this.unread[PATH_BYPASS],
      unreadKernel: this.unread[PATH_KERNEL],
      unreadOffload: this.unread[PATH_OFFLOAD],
      socketDrops: (this.kernel || this.native) && withSocketDrops ? kernelSocketDrops(this.addr, this.port, final) : null,
    };
  }

  close(stack: StackSegment | null): void {
    this.kernel?.close();
    this.kernel = null;
    this.native?.close();
    this.native = null;
    this.offload?.close();
    if (stack && this.stackSocket !== null) stack.releaseSocket(this.stackSocket);
    this.reader = null;
  }
}
