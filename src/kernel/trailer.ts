/**
 * What the NIC appends to each datagram it sends on the kernel path: the same facts a ring slot
 * carries (group, per-group sequence, scheduled and actual send times, the memberships this copy
 * is for), since a kernel socket has no RX prefix. MoldUDP64 readers stop at the message count,
 * so the trailer does not disturb them (tshark shows it as trailing bytes).
 *
 *   0 magic 'MDLT'  4 group (u16)  6 flags  8 kernel group seq (u32)  12 lab id (the controller's pid:
 *     two labs on one host share loopback groups, and each must ignore the other's datagrams)
 *  16 scheduled wire time ns (f64)  24 NIC send time ns (f64)  32 member bitmap (8 × u32)
 */
import { BITMAP_WORDS } from '../onload/stack-layout.js';

export const TRAILER_BYTES = 64;
export const TRAILER_MAGIC = 0x544c444d; // 'MDLT' little-endian

export function writeTrailer(buf: Buffer, at: number, lab: number, group: number, seq: number, scheduledNs: number, sentNs: number, bitmap: Int32Array): void {
  buf.writeUInt32LE(TRAILER_MAGIC, at);
  buf.writeUInt16LE(group, at + 4);
  buf.writeUInt16LE(0, at + 6);
  buf.writeUInt32LE(seq >>> 0, at + 8);
  buf.writeUInt32LE(lab >>> 0, at + 12);
  buf.writeDoubleLE(scheduledNs, at + 16);
  buf.writeDoubleLE(sentNs, at + 24);
  for (let i = 0; i < BITMAP_WORDS; i++) buf.writeInt32LE(bitmap[i], at + 32 + 4 * i);
}

/** Offset of the trailer in a received datagram, or -1 if it carries none. */
export function trailerAt(buf: Buffer): number {
  const at = buf.length - TRAILER_BYTES;
  return at >= 0 && buf.readUInt32LE(at) === TRAILER_MAGIC ? at : -1;
}

export function trailerLab(buf: Buffer, at: number): number {
  return buf.readUInt32LE(at + 12);
}

export function trailerHasMember(buf: Buffer, at: number, membership: number): boolean {
  return (buf.readInt32LE(at + 32 + 4 * (membership >> 5)) & (1 << (membership & 31))) !== 0;
}
