/**
 * MoldUDP64 downstream packets (Nasdaq MoldUDP64 1.00; Wireshark packet-moldudp64.c):
 *
 *   0      10       18      20
 *   +------+--------+-------+--------+-----------+--------+-----------+
 *   |Session|Sequence|Count | Len(2) | Message 0 | Len(2) | Message 1 | ...
 *   +------+--------+-------+--------+-----------+--------+-----------+
 *   Session: 10 ASCII bytes. Sequence: u64 BE, of the first message (message i has sequence+i).
 *   Count: u16 BE; 0 = heartbeat, 0xFFFF = end of session (both carry the next expected sequence).
 */
import { readAlpha, readU64Number, writeAlpha, writeU64Number } from './bytes.js';

export const MOLD_HEADER_LENGTH = 20;
export const MOLD_SESSION_LENGTH = 10;
export const MOLD_COUNT_HEARTBEAT = 0;
export const MOLD_COUNT_END_OF_SESSION = 0xffff;

/** Result of walking a packet: number of messages, or a negative code. */
export const MOLD_OK = 0;
export const MOLD_TOO_SHORT = -1;
export const MOLD_OVERRUN = -2;

export function moldSequence(v: DataView, off: number): number {
  return readU64Number(v, off + 10);
}

export function moldCount(v: DataView, off: number): number {
  return v.getUint16(off + 18);
}

export function moldSession(bytes: Uint8Array, off: number): string {
  return readAlpha(bytes, off, MOLD_SESSION_LENGTH);
}

/** Compares a packet's session to 10 bytes held elsewhere without building a string. */
export function sameSession(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number): boolean {
  for (let i = 0; i < MOLD_SESSION_LENGTH; i++) if (a[aOff + i] !== b[bOff + i]) return false;
  return true;
}

/** Called once per message: offset and length of the message (after its length prefix). */
export type MoldMessageVisitor = (msgOff: number, msgLen: number, index: number) => void;

/**
 * Walks the messages of one packet in `bytes[off, off+len)`. Returns the message count, or
 * MOLD_TOO_SHORT / MOLD_OVERRUN; `where` (if given) receives the offset of the fault.
 * Heartbeats and end-of-session packets carry no messages and return 0.
 */
export function forEachMoldMessage(
  bytes: Uint8Array,
  v: DataView,
  off: number,
  len: number,
  visit: MoldMessageVisitor | null,
  where?: { offset: number },
): number {
  if (len < MOLD_HEADER_LENGTH) {
    if (where) where.offset = off;
    return MOLD_TOO_SHORT;
  }
  const count = v.getUint16(off + 18);
  if (count === MOLD_COUNT_END_OF_SESSION || count === MOLD_COUNT_HEARTBEAT) return 0;
  const end = off + len;
  let p = off + MOLD_HEADER_LENGTH;
  for (let i = 0; i < count; i++) {
    if (p + 2 > end) {
      if (where) where.offset = p;
      return MOLD_OVERRUN;
    }
    const mlen = v.getUint16(p);
    if (p + 2 + mlen > end) {
      if (where) where.offset = p;
      return MOLD_OVERRUN;
    }
    if (visit) visit(p + 2, mlen, i);
    p += 2 + mlen;
  }
  return count;
}

/** Builds MoldUDP64 packets in one reusable buffer (no allocation per packet). */
export class MoldPacketBuilder {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  private length = 0;
  private count = 0;

  constructor(readonly capacity = 1472) {
    this.bytes = new Uint8Array(capacity);
    this.view = new DataView(this.bytes.buffer);
  }

  begin(session: string, sequence: number): void {
    writeAlpha(this.bytes, 0, MOLD_SESSION_LENGTH, session, 'MoldUDP64 session');
    writeU64Number(this.view, 10, sequence);
    this.view.setUint16(18, 0);
    this.length = MOLD_HEADER_LENGTH;
    this.count = 0;
  }

  get messageCount(): number {
    return this.count;
  }

  get byteLength(): number {
    return this.length;
  }

  /** Room left for one more message of `msgLen` bytes? */
  fits(msgLen: number): boolean {
    return this.length + 2 + msgLen <= this.capacity && this.count < 0xfffe;
  }

  /** Reserves room for a message and returns its offset; the caller writes the message there. */
  reserve(msgLen: number): number {
    if (!this.fits(msgLen)) throw new RangeError(`MoldUDP64 packet full (${this.length} of ${this.capacity} bytes)`);
    this.view.setUint16(this.length, msgLen);
    const at = this.length + 2;
    this.length = at + msgLen;
    this.count++;
    this.view.setUint16(18, this.count);
    return at;
  }

  append(msg: Uint8Array, off = 0, len = msg.length - off): void {
    const at = this.reserve(len);
    this.bytes.set(msg.subarray(off, off + len), at);
  }

  /** Turns the packet into a heartbeat (count 0) or end of session (0xFFFF) carrying `sequence`. */
  control(session: string, sequence: number, count: typeof MOLD_COUNT_HEARTBEAT | typeof MOLD_COUNT_END_OF_SESSION): void {
    this.begin(session, sequence);
    this.view.setUint16(18, count);
  }
}

/**
 * MoldUDP64 request packet (DESIGN §13; Nasdaq MoldUDP64 1.00, §"Request Packet"):
 * Session (10 bytes) · Sequence Number (u64 BE, the first message wanted) · Requested Message
 * Count (u16 BE): 20 bytes, sent to the re-request server, which answers with downstream packets.
 */
export const MOLD_REQUEST_LENGTH = 20;

export interface MoldRequest {
  session: string;
  sequence: number;
  count: number;
}

export function encodeRequest(r: MoldRequest, out: Uint8Array = new Uint8Array(MOLD_REQUEST_LENGTH)): Uint8Array {
  const v = new DataView(out.buffer, out.byteOffset, MOLD_REQUEST_LENGTH);
  writeAlpha(out, 0, MOLD_SESSION_LENGTH, r.session, 'MoldUDP64 session');
  writeU64Number(v, 10, r.sequence);
  v.setUint16(18, r.count);
  return out;
}

/** The request in `bytes`, or why it is not one ('length'). Sequence past 2^53 reads as Infinity. */
export function decodeRequest(bytes: Uint8Array): MoldRequest | 'length' {
  if (bytes.length !== MOLD_REQUEST_LENGTH) return 'length';
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hi = v.getUint32(10);
  return { session: readAlpha(bytes, 0, MOLD_SESSION_LENGTH), sequence: hi >= 0x200000 ? Infinity : readU64Number(v, 10), count: v.getUint16(18) };
}
