/**
 * The application in a subscriber process: what a feed handler does with each MoldUDP64
 * payload once it has it: check sequence numbers, then decode the ITCH messages (or build an
 * order book from them), plus optional extra work per packet to play a slow reader.
 */
import { readU48, readU64Number } from '../feed/bytes.js';
import { OFF_LOCATE, OFF_TIMESTAMP } from '../feed/itch/layout.js';
import { MOLD_COUNT_END_OF_SESSION, MOLD_COUNT_HEARTBEAT, MOLD_HEADER_LENGTH } from '../feed/moldudp64.js';
import { nowNs, spinUntil } from '../metrics/clock.js';
import { OrderBook } from './order-book.js';

export type Work = 'none' | 'decode' | 'book';
export const WORKS: readonly Work[] = ['none', 'decode', 'book'];

/** MoldUDP64 sequence tracking for one group's session, as a feed handler does. */
export class SequenceTracker {
  expected = -1;
  gaps = 0;
  missingMessages = 0;
  outOfOrder = 0;
  /** The session started again (a looped recording). */
  rewinds = 0;

  /** Packet with first sequence `seq` and `count` messages (0 for heartbeats). */
  observe(seq: number, count: number): void {
    if (this.expected < 0 || (seq === 1 && this.expected > 1 && count > 0)) {
      if (this.expected > 1) this.rewinds++;
      this.expected = seq + count;
      return;
    }
    if (seq > this.expected) {
      this.gaps++;
      this.missingMessages += seq - this.expected;
    } else if (seq < this.expected && count > 0) {
      this.outOfOrder++;
    }
    if (seq + count > this.expected) this.expected = seq + count;
  }
}

export class FeedHandler {
  messages = 0;
  packets = 0;
  /** Folded from decoded fields, so decoding cannot be optimised away. */
  checksum = 0;
  readonly book: OrderBook | undefined;
  private bytes: Uint8Array = new Uint8Array(0);
  private view: DataView = new DataView(new ArrayBuffer(0));

  constructor(readonly work: Work, readonly delayNs: number) {
    this.book = work === 'book' ? new OrderBook() : undefined;
  }

  /** One MoldUDP64 payload at `bytes[off, off+len)`. */
  onPayload(bytes: Uint8Array, v: DataView, off: number, len: number, seq: SequenceTracker): void {
    this.packets++;
    if (len < MOLD_HEADER_LENGTH) return;
    const count = v.getUint16(off + 18);
    const isControl = count === MOLD_COUNT_HEARTBEAT || count === MOLD_COUNT_END_OF_SESSION;
    seq.observe(readU64Number(v, off + 10), isControl ? 0 : count);
    if (!isControl && this.work !== 'none') {
      this.bytes = bytes;
      this.view = v;
      let p = off + MOLD_HEADER_LENGTH;
      const end = off + len;
      for (let i = 0; i < count && p + 2 <= end; i++) {
        const mlen = v.getUint16(p);
        if (p + 2 + mlen > end) break;
        this.message(p + 2, mlen);
        p += 2 + mlen;
      }
    }
    if (!isControl) this.messages += count;
    if (this.delayNs > 0) spinUntil(nowNs() + this.delayNs);
  }

  /**
   * One message passed on by a recovering client (in sequence order, a gap filled): the
   * application's work on it. `onPayload` does this for each message of a live packet itself.
   */
  onMessage(bytes: Uint8Array, v: DataView, off: number, len: number): void {
    this.messages++;
    if (this.work === 'none') return;
    this.bytes = bytes;
    this.view = v;
    this.message(off, len);
  }

  /** A live packet under recovery: its sequence is tracked, its messages come through onMessage. */
  observeOnly(v: DataView, off: number, len: number, seq: SequenceTracker): void {
    this.packets++;
    if (len < MOLD_HEADER_LENGTH) return;
    const count = v.getUint16(off + 18);
    const isControl = count === MOLD_COUNT_HEARTBEAT || count === MOLD_COUNT_END_OF_SESSION;
    seq.observe(readU64Number(v, off + 10), isControl ? 0 : count);
    if (this.delayNs > 0) spinUntil(nowNs() + this.delayNs);
  }

  private message(off: number, len: number): void {
    if (len < 11) return;
    if (this.book) this.book.apply(this.bytes, this.view, off, len);
    else this.checksum = (this.checksum + this.bytes[off] + this.view.getUint16(off + OFF_LOCATE) + readU48(this.view, off + OFF_TIMESTAMP)) % 1e15;
  }
}
