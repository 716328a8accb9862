/**
 * The NIC's side of a stack's RX ring: it "DMAs" a frame into the next slot, never waiting
 * for readers (a slow reader is overrun, not the NIC stalled). publishOrdered: the slot's
 * stamps and the producer sequence are stored with Atomics after the bytes they cover.
 */
import {
  H_PRODUCER, MAX_FRAME, SL_BEGIN, SL_BITMAP, SL_END, SL_FRAME, SL_GROUP, SL_GROUP_SEQ, SL_LENGTH, SL_SCHEDULED, SL_SENT,
  BITMAP_WORDS, MAX_GROUPS, type StackSegment,
} from '../onload/stack-layout.js';
import { copyBytes } from '../shm/copy.js';

const RX_PACKETS_F64 = 64 / 8;
const RX_BYTES_F64 = 72 / 8;

export class RingWriter {
  private seq: number;
  private readonly groupSeqWord: number;

  constructor(readonly stack: StackSegment) {
    this.seq = stack.producerSeq();
    this.groupSeqWord = stack.groupSeqsOffset >> 2;
  }

  /**
   * Writes one frame: `header[0, headerLen)` then `payload[off, off+len)`, with the group, its
   * times and the bitmap of the memberships it is delivered to. Returns false if it is too big.
   */
  write(group: number, scheduledNs: number, sentNs: number, bitmap: Int32Array, header: Buffer, headerView: DataView, headerLen: number, payload: Buffer, payloadView: DataView, off: number, len: number): boolean {
    const frameLen = headerLen + len;
    if (frameLen > MAX_FRAME || group >= MAX_GROUPS) return false;
    const s = this.stack;
    const i32 = s.i32;
    const seq = (this.seq + 1) | 0;
    const base = s.slotsOffset + ((seq - 1) & s.slotMask) * s.slotSize;
    Atomics.store(i32, (base + SL_BEGIN) >> 2, seq);
    const gs = (i32[this.groupSeqWord + group] + 1) | 0;
    i32[this.groupSeqWord + group] = gs;
    const v = s.view;
    v.setUint16(base + SL_GROUP, group, true);
    v.setUint16(base + SL_LENGTH, frameLen, true);
    i32[(base + SL_GROUP_SEQ) >> 2] = gs;
    s.f64[(base + SL_SCHEDULED) >> 3] = scheduledNs;
    s.f64[(base + SL_SENT) >> 3] = sentNs;
    const bw = (base + SL_BITMAP) >> 2;
    for (let k = 0; k < BITMAP_WORDS; k++) i32[bw + k] = bitmap[k]; // a loop: TypedArray#set costs a builtin call per packet
    copyBytes(header, headerView, 0, s.bytes, v, base + SL_FRAME, headerLen);
    copyBytes(payload, payloadView, off, s.bytes, v, base + SL_FRAME + headerLen, len);
    s.f64[RX_PACKETS_F64] += 1;
    s.f64[RX_BYTES_F64] += frameLen;
    Atomics.store(i32, (base + SL_END) >> 2, seq);
    Atomics.store(i32, H_PRODUCER, seq);
    this.seq = seq;
    return true;
  }
}
