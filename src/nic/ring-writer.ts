/**
 * The NIC's side of a stack's RX ring: it "DMAs" a frame into the next slot, never waiting
 * for readers (a slow reader is overrun, not the NIC stalled). The memory-order rule is in
 * stack-layout.ts: on x86-64 the slot's stamps are plain stores (the CPU keeps stores in order)
 * and only the producer sequence is a seq-cst store, once per publish; at top speed the NIC
 * publishes a batch of slots at once.
 */
import {
  H_PRODUCER, MAX_FRAME, SL_BEGIN, SL_BITMAP, SL_END, SL_FRAME, SL_GROUP, SL_GROUP_SEQ, SL_LENGTH, SL_SCHEDULED, SL_SENT,
  BITMAP_WORDS, MAX_GROUPS, SLOT_HEADER_BYTES, type StackSegment,
} from '../onload/stack-layout.js';
import { copyBytes } from '../shm/copy.js';
import { newStamps, STAMP_SCHEDULED, STAMP_SENT } from '../metrics/stamps.js';

const RX_PACKETS_F64 = 64 / 8;
const RX_BYTES_F64 = 72 / 8;

/**
 * Whether plain stores to the slot are seen in program order by other processes: true on x86
 * (TSO). Elsewhere the stamps are seq-cst stores, as the layout's rule says.
 */
export const STORES_IN_ORDER = process.arch === 'x64' || process.arch === 'ia32';

export class RingWriter {
  /** The next slot's scheduled and sent times (ns), for writeStamped. */
  readonly stamps = newStamps();
  private seq: number;
  /** The last sequence made visible to readers (the producer word). */
  private published: number;
  private readonly groupSeqWord: number;

  constructor(readonly stack: StackSegment) {
    this.seq = stack.producerSeq();
    this.published = this.seq;
    this.groupSeqWord = stack.groupSeqsOffset >> 2;
  }

  /** Slots written and not yet published. */
  get unpublished(): number {
    return (this.seq - this.published) | 0;
  }

  /** Makes every slot written so far visible to readers: one seq-cst store. */
  publish(): void {
    if (this.seq === this.published) return;
    Atomics.store(this.stack.i32, H_PRODUCER, this.seq);
    this.published = this.seq;
  }

  /**
   * Writes one frame: `header[0, headerLen)` then `payload[off, off+len)`, with the group, its
   * times and the bitmap of the memberships it is delivered to. Returns false if it is too big.
   * Readers see it once it is published (`publish`, or `publishNow`, the default).
   */
  write(group: number, scheduledNs: number, sentNs: number, bitmap: Int32Array, header: Buffer, headerView: DataView, headerLen: number, payload: Buffer, payloadView: DataView, off: number, len: number, publishNow = true): boolean {
    this.stamps[STAMP_SCHEDULED] = scheduledNs;
    this.stamps[STAMP_SENT] = sentNs;
    return this.writeStamped(group, bitmap, header, headerView, headerLen, payload, payloadView, off, len, publishNow);
  }

  /**
   * `write`, with the slot's times taken from `stamps` (scheduled, sent): the NIC's per-packet
   * call, since a double passed to a call that is not inlined is boxed on the heap each time.
   */
  writeStamped(group: number, bitmap: Int32Array, header: Buffer, headerView: DataView, headerLen: number, payload: Buffer, payloadView: DataView, off: number, len: number, publishNow: boolean): boolean {
    const frameLen = headerLen + len;
    const s = this.stack;
    // The slot's own room (a stack made with small slots holds less than the largest frame).
    if (frameLen > MAX_FRAME || frameLen > s.slotSize - SLOT_HEADER_BYTES || group >= MAX_GROUPS) return false;
    const i32 = s.i32;
    const seq = (this.seq + 1) | 0;
    const base = s.slotsOffset + ((seq - 1) & s.slotMask) * s.slotSize;
    // Begin stamp first: a reader that copies while this slot is rewritten sees it change.
    if (STORES_IN_ORDER) i32[(base + SL_BEGIN) >> 2] = seq;
    else Atomics.store(i32, (base + SL_BEGIN) >> 2, seq);
    const gs = (i32[this.groupSeqWord + group] + 1) | 0;
    i32[this.groupSeqWord + group] = gs;
    const v = s.view;
    v.setUint16(base + SL_GROUP, group, true);
    v.setUint16(base + SL_LENGTH, frameLen, true);
    i32[(base + SL_GROUP_SEQ) >> 2] = gs;
    s.f64[(base + SL_SCHEDULED) >> 3] = this.stamps[STAMP_SCHEDULED];
    s.f64[(base + SL_SENT) >> 3] = this.stamps[STAMP_SENT];
    const bw = (base + SL_BITMAP) >> 2;
    for (let k = 0; k < BITMAP_WORDS; k++) i32[bw + k] = bitmap[k]; // a loop: TypedArray#set costs a builtin call per packet
    copyBytes(header, headerView, 0, s.bytes, v, base + SL_FRAME, headerLen);
    copyBytes(payload, payloadView, off, s.bytes, v, base + SL_FRAME + headerLen, len);
    s.f64[RX_PACKETS_F64] += 1;
    s.f64[RX_BYTES_F64] += frameLen;
    if (STORES_IN_ORDER) i32[(base + SL_END) >> 2] = seq;
    else Atomics.store(i32, (base + SL_END) >> 2, seq);
    this.seq = seq;
    if (publishNow) {
      Atomics.store(i32, H_PRODUCER, seq);
      this.published = seq;
    }
    return true;
  }
}
