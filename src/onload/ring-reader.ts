/**
 * A socket's side of its stack's RX ring. Each socket keeps its own position (readOrdered),
 * takes the slots whose bitmap names its membership, and counts what it lost when the NIC
 * lapped it: per ring (slots) and per its group (from the per-group sequence in each slot).
 * The receive modes decide what happens to a slot; this only finds the slots.
 */
import { H_PRODUCER, SL_BEGIN, SL_BITMAP, SL_END, SL_GROUP, SL_GROUP_SEQ, S_GROUP, S_OVERRUN, S_READ_SEQ, type StackSegment } from './stack-layout.js';

/** What a receive mode does with a slot addressed to its socket. */
export interface SlotSink {
  /** Takes what it needs from the slot (a copy, or nothing for zero-copy); the slot may then be overwritten. */
  accept(stack: StackSegment, base: number): void;
  /** The slot was intact: deliver what `accept` took. */
  deliver(stack: StackSegment, base: number): void;
}

export class RingReader {
  /** Last sequence consumed. */
  private last: number;
  private readonly readSeqWord: number;
  private readonly overrunF64: number;
  private readonly word: number;
  private readonly bit: number;
  /** Its group, and the group's sequence in this ring as of the last slot of it the reader passed. */
  private readonly group: number;
  private lastGroupSeq: number;
  /** Slots lost to the NIC lapping this reader (any group). */
  overrunSlots = 0;
  /** Packets of this socket's group lost (gaps in the group sequence): cause ring-overrun. */
  groupDrops = 0;
  delivered = 0;

  constructor(readonly stack: StackSegment, readonly socket: number, readonly membership: number) {
    const b = stack.socketBase(socket);
    this.readSeqWord = (b + S_READ_SEQ) >> 2;
    this.overrunF64 = (b + S_OVERRUN) >> 3;
    this.last = Atomics.load(stack.i32, this.readSeqWord);
    // The group's sequence in this ring when the socket was made: frames of it before that were
    // never its own. Counted from the first frame it read instead, a reader lapped before its first
    // read (a path that turned to bypass under a slow reader) missed the gap: tens of thousands
    // of ring-overruns that its detected count left out.
    this.group = Atomics.load(stack.i32, (b + S_GROUP) >> 2);
    this.lastGroupSeq = Atomics.load(stack.i32, (stack.groupSeqsOffset >> 2) + this.group);
    this.word = (membership >> 5) + (SL_BITMAP >> 2);
    this.bit = 1 << (membership & 31);
  }

  /** Slots published and not yet consumed by this reader. */
  backlog(): number {
    return (Atomics.load(this.stack.i32, H_PRODUCER) - this.last) | 0;
  }

  /** Consumes up to `max` slots; returns how many were consumed (delivered to this socket or not). */
  poll(sink: SlotSink, max: number): number {
    const s = this.stack;
    const i32 = s.i32;
    let p = Atomics.load(i32, H_PRODUCER);
    let n = 0;
    while (n < max) {
      const avail = (p - this.last) | 0;
      if (avail <= 0) break;
      if (avail > s.slotCount) {
        // Lapped: the oldest slots are gone. Resume at the oldest one still in the ring.
        this.countLost(avail - s.slotCount);
        this.last = (p - s.slotCount) | 0;
        continue;
      }
      const e = (this.last + 1) | 0;
      const base = s.slotsOffset + ((e - 1) & s.slotMask) * s.slotSize;
      if (Atomics.load(i32, (base + SL_END) >> 2) !== e) {
        // Overwritten before we reached it: count it, re-read the producer, go on.
        this.countLost(1);
        this.last = e;
        n++;
        p = Atomics.load(i32, H_PRODUCER);
        continue;
      }
      if ((i32[(base >> 2) + this.word] & this.bit) !== 0) {
        const gs = i32[(base + SL_GROUP_SEQ) >> 2];
        sink.accept(s, base);
        if (Atomics.load(i32, (base + SL_BEGIN) >> 2) !== e) {
          this.countLost(1); // torn: the NIC began rewriting the slot while we copied it
        } else {
          const gap = (gs - this.lastGroupSeq - 1) | 0;
          if (gap > 0) this.groupDrops += gap;
          this.lastGroupSeq = gs;
          this.delivered++;
          sink.deliver(s, base);
        }
      } else if ((i32[(base + SL_GROUP) >> 2] & 0xffff) === this.group) {
        // (The group is the low half of its word, little-endian: the frame's length is the high.)
        // Its group, not addressed to it: it was not a recipient then (not yet joined, or its
        // path was not this ring). The sequence goes on from here.
        this.lastGroupSeq = i32[(base + SL_GROUP_SEQ) >> 2];
      }
      this.last = e;
      n++;
    }
    if (n > 0) Atomics.store(i32, this.readSeqWord, this.last);
    return n;
  }

  private countLost(slots: number): void {
    this.overrunSlots += slots;
    this.stack.f64[this.overrunF64] = this.overrunSlots;
  }
}
