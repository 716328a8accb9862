/**
 * One socket of a subscriber joined to one group: its kernel socket (every Onload socket has
 * one, joined to the group: "Onload Sockets vs. Kernel Sockets"), and, when it is an Onload
 * socket, its place in the stack's ring. Both feed the same application, the way Onload's
 * receive reads the stack and the backing kernel socket alike.
 */
import type dgram from 'node:dgram';
import { openMulticastReceiver } from '../kernel/loopback.js';
import { trailerAt, trailerHasMember, trailerLab } from '../kernel/trailer.js';
import { nowNs } from '../metrics/clock.js';
import type { HistogramWriter } from '../metrics/shm-histogram.js';
import { RingReader } from '../onload/ring-reader.js';
import type { StackSegment } from '../onload/stack-layout.js';
import { FeedHandler, SequenceTracker } from './feed-handler.js';
import type { MembershipReport } from './protocol.js';
import { makeReceive, type Delivery, type ReceiveMode } from './receive-modes.js';

const PATH_BYPASS = 0;
const PATH_KERNEL = 1;

export class Membership {
  kernel: dgram.Socket | null = null;
  reader: RingReader | null = null;
  stackSocket: number | null = null;
  private receive: ReturnType<typeof makeReceive> | null = null;
  readonly seq = new SequenceTracker();
  receivedBypass = 0;
  receivedKernel = 0;
  kernelDrops = 0;
  kernelCopiesIgnored = 0;
  foreignDatagrams = 0;
  malformed = 0;
  private lastKernelSeq = -1;
  /** Messages handled for this membership's group. */
  private messagesBefore = 0;
  messages = 0;
  /** When the first and the latest packet reached the application (monotonic ns; 0: none yet): a throughput span. */
  firstDeliveryNs = 0;
  lastDeliveryNs = 0;

  constructor(
    readonly id: number,
    readonly group: number,
    readonly groupName: string,
    private readonly lab: number,
    private readonly latency: HistogramWriter,
    private readonly handler: FeedHandler,
  ) {}

  /** Opens the kernel socket (joined on 127.0.0.1) and, for an Onload socket, claims a place in the ring. */
  async open(addr: number, port: number, stack: StackSegment | null, mode: ReceiveMode, doorbellPort: number, rcvbuf: number | undefined): Promise<void> {
    this.kernel = await openMulticastReceiver(addr, port, rcvbuf);
    this.kernel.on('message', this.onKernel);
    if (stack) {
      this.stackSocket = stack.claimSocket(process.pid, this.group, this.id, mode === 'zero-copy' ? 1 : 0, doorbellPort);
      this.reader = new RingReader(stack, this.stackSocket, this.id);
      const bypass: Delivery = {
        deliver: (bytes, view, off, len, scheduledNs, sentNs) => this.deliver(PATH_BYPASS, bytes, view, off, len, scheduledNs, sentNs),
        malformed: () => this.malformed++,
      };
      this.receive = makeReceive(mode, bypass);
    }
  }

  /** Polls the ring (if any); returns slots consumed. */
  poll(max: number): number {
    return this.reader && this.receive ? this.reader.poll(this.receive, max) : 0;
  }

  private readonly onKernel = (buf: Buffer): void => {
    const at = trailerAt(buf);
    if (at < 0) {
      this.malformed++;
      return;
    }
    if (trailerLab(buf, at) !== this.lab) {
      this.foreignDatagrams++;
      return;
    }
    if (!trailerHasMember(buf, at, this.id)) {
      this.kernelCopiesIgnored++;
      return;
    }
    const seq = buf.readUInt32LE(at + 8) | 0;
    if (this.lastKernelSeq !== -1) {
      const gap = (seq - this.lastKernelSeq - 1) | 0;
      if (gap > 0) this.kernelDrops += gap;
    }
    this.lastKernelSeq = seq;
    this.deliver(PATH_KERNEL, buf, new DataView(buf.buffer, buf.byteOffset, buf.length), 0, at, buf.readDoubleLE(at + 16), buf.readDoubleLE(at + 24));
  };

  private deliver(path: 0 | 1, bytes: Buffer, view: DataView, off: number, len: number, scheduledNs: number, sentNs: number): void {
    const now = nowNs();
    this.latency.record(path, now - scheduledNs, now - sentNs);
    if (this.firstDeliveryNs === 0) this.firstDeliveryNs = now;
    this.lastDeliveryNs = now;
    if (path === PATH_BYPASS) this.receivedBypass++;
    else this.receivedKernel++;
    this.messagesBefore = this.handler.messages;
    this.handler.onPayload(bytes, view, off, len, this.seq);
    this.messages += this.handler.messages - this.messagesBefore;
  }

  report(): MembershipReport {
    return {
      membership: this.id,
      group: this.group,
      receivedBypass: this.receivedBypass,
      receivedKernel: this.receivedKernel,
      ringDrops: this.reader?.groupDrops ?? 0,
      kernelDrops: this.kernelDrops,
      kernelCopiesIgnored: this.kernelCopiesIgnored,
      foreignDatagrams: this.foreignDatagrams,
      malformed: this.malformed,
      messages: this.messages,
      sequenceGaps: this.seq.gaps,
      missingMessages: this.seq.missingMessages,
      outOfOrder: this.seq.outOfOrder,
      rewinds: this.seq.rewinds,
      bytesCopied: this.receive?.bytesCopied ?? 0,
      firstDeliveryNs: this.firstDeliveryNs,
      lastDeliveryNs: this.lastDeliveryNs,
    };
  }

  close(stack: StackSegment | null): void {
    this.kernel?.close();
    this.kernel = null;
    if (stack && this.stackSocket !== null) stack.releaseSocket(this.stackSocket);
    this.reader = null;
  }
}
