/**
 * The stack segment: one per emulated Onload stack, holding its RX ring and its sockets'
 * state. The NIC is the ring's only writer; every socket of the stack reads the same ring
 * (Onload's "Stack-Sharing": one ring per stack, the packet referenced, not copied, by each
 * socket that wants it: udp_rx.c). A slow socket does not hold the NIC back: it is overrun,
 * and counts what it lost (cause `ring-overrun`).
 *
 *   0          256                         256 + 64·sockets         slotsOffset
 *   +----------+---------------------------+------------------------+------------------------+
 *   |  header  |  socket table, 64 B each  |  per-group ring seqs   |  slots, slotSize each  |
 *   +----------+---------------------------+------------------------+------------------------+
 *
 *   header   0 magic 'MDST'  4 version  8 stack id  12 slot count  16 slot size  20 socket capacity
 *           24 producer seq (i32, publishOrdered by the NIC)  32..63 name (ASCII)
 *           64 rx packets (f64, NIC)  72 rx bytes (f64, NIC)  80 armed sockets (i32: how many
 *           sockets wait for an interrupt; the NIC scans the socket table only when it is not 0,
 *           so that it does not read the lines readers write on every poll)
 *   socket   0 state (0 free, 1 attached, 2 detached)  4 pid  8 group index  12 read seq (i32, ordered)
 *           16 armed (1: blocked, wants an interrupt)  20 doorbell port  24 membership index  28 receive mode
 *           32 delivered (f64)  40 overrun (f64)  48 interrupts (f64)
 *   slot     0 begin stamp  4 end stamp (both = the packet's seq; a reader checks end before and
 *             begin after reading, so a slot overwritten meanwhile is detected)
 *            8 group index (u16)  10 frame length (u16)  12 group seq (per group, in this stack)
 *           16 scheduled wire time ns (f64)  24 NIC send time ns (f64)
 *           32 member bitmap: 8 × i32, bit m set = membership m is delivered by this copy
 *           64 the frame: Ethernet · IPv4 · UDP · MoldUDP64, as the NIC received it
 *   group seqs  i32 per group: frames of it the NIC has written into this ring. A socket's reader
 *           takes its group's when the socket is made, and goes on from each slot of its group it
 *           passes (addressed to it or not): a gap between two of its own is its ring-overrun.
 */
import { checkHeader, createSegment, fourcc, openSegment } from '../shm/segment.js';

export const STACK_MAGIC = fourcc('MDST');
export const STACK_LAYOUT_VERSION = 3;

export const HEADER_BYTES = 256;
export const SOCKET_BYTES = 64;
export const MAX_GROUPS = 64;
export const MAX_MEMBERSHIPS = 256;
export const BITMAP_WORDS = MAX_MEMBERSHIPS / 32;
export const SLOT_HEADER_BYTES = 64;
export const DEFAULT_SLOT_BYTES = 2048;
export const MAX_FRAME = DEFAULT_SLOT_BYTES - SLOT_HEADER_BYTES;

// Header word offsets (in i32 units) and byte offsets.
const H_MAGIC = 0;
const H_STACK_ID = 2;
const H_SLOT_COUNT = 3;
const H_SLOT_SIZE = 4;
const H_SOCKETS = 5;
export const H_PRODUCER = 6;
const H_ARMED = 80 / 4;
const H_NAME_BYTE = 32;
const H_RX_PACKETS_F64 = 64 / 8;
const H_RX_BYTES_F64 = 72 / 8;

// Socket fields, relative to the socket's base (bytes).
export const S_STATE = 0;
export const S_PID = 4;
export const S_GROUP = 8;
export const S_READ_SEQ = 12;
export const S_ARMED = 16;
export const S_DOORBELL = 20;
export const S_MEMBERSHIP = 24;
export const S_MODE = 28;
export const S_DELIVERED = 32;
export const S_OVERRUN = 40;
export const S_INTERRUPTS = 48;

// Slot fields (bytes from the slot's base).
export const SL_BEGIN = 0;
export const SL_END = 4;
export const SL_GROUP = 8;
export const SL_LENGTH = 10;
export const SL_GROUP_SEQ = 12;
export const SL_SCHEDULED = 16;
export const SL_SENT = 24;
export const SL_BITMAP = 32;
export const SL_FRAME = 64;

export const SOCKET_FREE = 0;
export const SOCKET_ATTACHED = 1;
export const SOCKET_DETACHED = 2;

export interface StackGeometry {
  slotCount: number;
  slotSize: number;
  sockets: number;
}

function layout(g: StackGeometry) {
  const sockets = HEADER_BYTES;
  const groupSeqs = sockets + SOCKET_BYTES * g.sockets;
  const slots = Math.ceil((groupSeqs + 4 * MAX_GROUPS) / 64) * 64;
  return { sockets, groupSeqs, slots, total: slots + g.slotCount * g.slotSize };
}

/** A mapped stack segment: typed views over the same bytes, and the offsets derived from its header. */
export class StackSegment {
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  readonly bytes: Buffer;
  readonly view: DataView;
  readonly id: number;
  readonly name: string;
  readonly slotCount: number;
  readonly slotMask: number;
  readonly slotSize: number;
  readonly socketCapacity: number;
  readonly socketsOffset: number;
  readonly groupSeqsOffset: number;
  readonly slotsOffset: number;

  private constructor(readonly segment: string, readonly buffer: ArrayBuffer) {
    this.i32 = new Int32Array(buffer);
    this.f64 = new Float64Array(buffer, 0, Math.floor(buffer.byteLength / 8));
    this.bytes = Buffer.from(buffer);
    this.view = new DataView(buffer);
    checkHeader(this.i32, STACK_MAGIC, STACK_LAYOUT_VERSION, `stack segment ${segment}`);
    this.id = this.i32[H_STACK_ID];
    this.slotCount = this.i32[H_SLOT_COUNT];
    this.slotMask = this.slotCount - 1;
    this.slotSize = this.i32[H_SLOT_SIZE];
    this.socketCapacity = this.i32[H_SOCKETS];
    const end = this.bytes.indexOf(0, H_NAME_BYTE);
    this.name = this.bytes.toString('latin1', H_NAME_BYTE, end < 0 || end > H_NAME_BYTE + 32 ? H_NAME_BYTE + 32 : end);
    const l = layout({ slotCount: this.slotCount, slotSize: this.slotSize, sockets: this.socketCapacity });
    this.socketsOffset = l.sockets;
    this.groupSeqsOffset = l.groupSeqs;
    this.slotsOffset = l.slots;
  }

  /** Creates and initialises a stack segment (the controller does this, as Onload's driver would). */
  static create(segment: string, id: number, name: string, g: StackGeometry): StackSegment {
    if (g.slotCount < 4 || (g.slotCount & (g.slotCount - 1)) !== 0) throw new RangeError(`ring size must be a power of two, at least 4; got ${g.slotCount}`);
    const buf = createSegment(segment, layout(g).total);
    const i32 = new Int32Array(buf);
    i32[H_MAGIC + 1] = STACK_LAYOUT_VERSION;
    i32[H_STACK_ID] = id;
    i32[H_SLOT_COUNT] = g.slotCount;
    i32[H_SLOT_SIZE] = g.slotSize;
    i32[H_SOCKETS] = g.sockets;
    Buffer.from(buf).write(name.slice(0, 31), H_NAME_BYTE, 'latin1');
    Atomics.store(i32, H_MAGIC, STACK_MAGIC); // last: readers that see the magic see the rest
    return new StackSegment(segment, buf);
  }

  /** `prefault`: for the NIC and the subscribers, whose every packet touches the ring (segment.ts). */
  static attach(segment: string, prefault = false): StackSegment {
    return new StackSegment(segment, openSegment(segment, prefault));
  }

  socketBase(socket: number): number {
    return this.socketsOffset + socket * SOCKET_BYTES;
  }

  slotBase(seq: number): number {
    return this.slotsOffset + ((seq - 1) & this.slotMask) * this.slotSize;
  }

  /** The NIC's last published sequence number (readVolatile). */
  producerSeq(): number {
    return Atomics.load(this.i32, H_PRODUCER);
  }

  get rxPackets(): number {
    return this.f64[H_RX_PACKETS_F64];
  }

  get rxBytes(): number {
    return this.f64[H_RX_BYTES_F64];
  }

  /** Claims a free socket entry for a reader; returns its index. */
  claimSocket(pid: number, group: number, membership: number, mode: number, doorbell: number): number {
    for (let s = 0; s < this.socketCapacity; s++) {
      const b = this.socketBase(s);
      if (Atomics.compareExchange(this.i32, (b + S_STATE) >> 2, SOCKET_FREE, SOCKET_ATTACHED) === SOCKET_FREE) {
        this.i32[(b + S_PID) >> 2] = pid;
        this.i32[(b + S_GROUP) >> 2] = group;
        this.i32[(b + S_MEMBERSHIP) >> 2] = membership;
        this.i32[(b + S_MODE) >> 2] = mode;
        this.i32[(b + S_DOORBELL) >> 2] = doorbell;
        this.f64[(b + S_DELIVERED) >> 3] = 0;
        this.f64[(b + S_OVERRUN) >> 3] = 0;
        this.f64[(b + S_INTERRUPTS) >> 3] = 0;
        Atomics.store(this.i32, (b + S_READ_SEQ) >> 2, this.producerSeq());
        return s;
      }
    }
    throw new RangeError(`stack ${this.id} (${this.name}) has no free socket (capacity ${this.socketCapacity})`);
  }

  /** The socket blocks and wants an interrupt: armed, counted in the header. */
  arm(socket: number): void {
    if (Atomics.compareExchange(this.i32, (this.socketBase(socket) + S_ARMED) >> 2, 0, 1) === 0) Atomics.add(this.i32, H_ARMED, 1);
  }

  /**
   * Disarms the socket; true if it was armed. The reader (woken, or polling again) and the NIC
   * (ringing it) both disarm: whichever flips the flag counts it down, once.
   */
  disarm(socket: number): boolean {
    if (Atomics.compareExchange(this.i32, (this.socketBase(socket) + S_ARMED) >> 2, 1, 0) !== 1) return false;
    Atomics.sub(this.i32, H_ARMED, 1);
    return true;
  }

  /** How many sockets wait for an interrupt. */
  armedSockets(): number {
    return Atomics.load(this.i32, H_ARMED);
  }

  releaseSocket(socket: number): void {
    const b = this.socketBase(socket);
    this.disarm(socket);
    Atomics.store(this.i32, (b + S_STATE) >> 2, SOCKET_FREE);
  }

  /** Snapshot of the sockets, for stackdump and the dashboard. */
  sockets(): { index: number; pid: number; group: number; membership: number; readSeq: number; armed: boolean; delivered: number; overrun: number; interrupts: number }[] {
    const out = [];
    for (let s = 0; s < this.socketCapacity; s++) {
      const b = this.socketBase(s);
      if (Atomics.load(this.i32, b >> 2) !== SOCKET_ATTACHED) continue;
      out.push({
        index: s,
        pid: this.i32[(b + S_PID) >> 2],
        group: this.i32[(b + S_GROUP) >> 2],
        membership: this.i32[(b + S_MEMBERSHIP) >> 2],
        readSeq: Atomics.load(this.i32, (b + S_READ_SEQ) >> 2),
        armed: Atomics.load(this.i32, (b + S_ARMED) >> 2) === 1,
        delivered: this.f64[(b + S_DELIVERED) >> 3],
        overrun: this.f64[(b + S_OVERRUN) >> 3],
        interrupts: this.f64[(b + S_INTERRUPTS) >> 3],
      });
    }
    return out;
  }

  /** Fill of the ring as the slowest attached reader sees it (0..1). */
  ringFill(): number {
    const p = this.producerSeq();
    let worst = 0;
    for (const s of this.sockets()) worst = Math.max(worst, (p - s.readSeq) | 0);
    return Math.min(1, worst / this.slotCount);
  }
}
