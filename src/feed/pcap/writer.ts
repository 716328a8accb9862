/**
 * Writes recordings as tcpdump does: classic pcap, nanosecond magic (0xa1b23c4d), link type 1
 * (Ethernet), each datagram framed Ethernet · IPv4 · UDP with real IPv4 and UDP checksums and
 * the multicast MAC (01:00:5e + the low 23 bits of the group). The file appears under its name
 * only when complete: it is written as NAME.partial and renamed by `close`.
 */
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { PCAP_MAGIC_NS } from './classic-reader.js';
import { LINKTYPE_ETHERNET } from '../frame.js';

const ETH = 14;
const IP = 20;
const UDP = 8;
export const FRAME_OVERHEAD = ETH + IP + UDP;
const SNAPLEN = 262144;
/** Locally administered unicast source MAC for the emulated exchange. */
const SOURCE_MAC = [0x02, 0x6d, 0x64, 0x6c, 0x61, 0x62];

export function multicastMac(group: number): number[] {
  return [0x01, 0x00, 0x5e, (group >>> 16) & 0x7f, (group >>> 8) & 0xff, group & 0xff];
}

/** One's-complement sum of 16-bit words, folded. */
function sum16(bytes: Uint8Array, off: number, len: number, initial = 0): number {
  let sum = initial;
  let i = off;
  const end = off + len;
  for (; i + 1 < end; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
  if (i < end) sum += bytes[i] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

export function ipv4Checksum(bytes: Uint8Array, off: number): number {
  return ~sum16(bytes, off, IP) & 0xffff;
}

/** UDP checksum over the pseudo-header and the datagram at `udpOff` (checksum field zeroed). */
export function udpChecksum(bytes: Uint8Array, udpOff: number, udpLen: number, src: number, dst: number): number {
  let pseudo = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + 17 + udpLen;
  pseudo = sum16(bytes, udpOff, udpLen, pseudo);
  const c = ~pseudo & 0xffff;
  return c === 0 ? 0xffff : c; // 0 means "no checksum" in UDP over IPv4
}

/**
 * Builds one Ethernet/IPv4/UDP frame at `frame[at]` (room for FRAME_OVERHEAD + len bytes);
 * `v` is a DataView over the same bytes as `frame`. Returns the frame's length.
 */
export function buildFrame(
  frame: Uint8Array,
  v: DataView,
  at: number,
  srcAddr: number,
  srcPort: number,
  dstAddr: number,
  dstPort: number,
  ipId: number,
  payload: Uint8Array,
  payloadOff: number,
  payloadLen: number,
): number {
  const mac = multicastMac(dstAddr);
  for (let i = 0; i < 6; i++) {
    frame[at + i] = mac[i];
    frame[at + 6 + i] = SOURCE_MAC[i];
  }
  v.setUint16(at + 12, 0x0800);
  const ip = at + ETH;
  frame[ip] = 0x45;
  frame[ip + 1] = 0;
  v.setUint16(ip + 2, IP + UDP + payloadLen);
  v.setUint16(ip + 4, ipId & 0xffff);
  v.setUint16(ip + 6, 0x4000); // don't fragment
  frame[ip + 8] = 64; // TTL as sent by the exchange's host; mdlab's own sends use TTL 0
  frame[ip + 9] = 17;
  v.setUint16(ip + 10, 0);
  v.setUint32(ip + 12, srcAddr);
  v.setUint32(ip + 16, dstAddr);
  v.setUint16(ip + 10, ipv4Checksum(frame, ip));
  const udp = ip + IP;
  v.setUint16(udp, srcPort);
  v.setUint16(udp + 2, dstPort);
  v.setUint16(udp + 4, UDP + payloadLen);
  v.setUint16(udp + 6, 0);
  frame.set(payload.subarray(payloadOff, payloadOff + payloadLen), udp + UDP);
  v.setUint16(udp + 6, udpChecksum(frame, udp, UDP + payloadLen, srcAddr, dstAddr));
  return FRAME_OVERHEAD + payloadLen;
}

export class PcapWriter {
  private readonly fd: number;
  private readonly buf = Buffer.allocUnsafe(1 << 20);
  private readonly view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  private used = 0;
  private ipId = 0;
  private readonly tmp: string;
  private closed = false;
  packets = 0;
  bytes = 0;

  constructor(readonly path: string) {
    this.tmp = `${path}.partial`;
    this.fd = openSync(this.tmp, 'w');
    const v = this.view;
    v.setUint32(0, PCAP_MAGIC_NS, true);
    v.setUint16(4, 2, true);
    v.setUint16(6, 4, true);
    v.setUint32(8, 0, true);
    v.setUint32(12, 0, true);
    v.setUint32(16, SNAPLEN, true);
    v.setUint32(20, LINKTYPE_ETHERNET, true);
    this.used = 24;
    this.bytes = 24;
  }

  writeDatagram(tsSec: number, tsNsec: number, srcAddr: number, srcPort: number, dstAddr: number, dstPort: number, payload: Uint8Array, off: number, len: number): void {
    const frameLen = FRAME_OVERHEAD + len;
    if (this.used + 16 + frameLen > this.buf.length) this.flush();
    const v = this.view;
    const at = this.used;
    v.setUint32(at, tsSec, true);
    v.setUint32(at + 4, tsNsec, true);
    v.setUint32(at + 8, frameLen, true);
    v.setUint32(at + 12, frameLen, true);
    buildFrame(this.buf, v, at + 16, srcAddr, srcPort, dstAddr, dstPort, this.ipId++, payload, off, len);
    this.used = at + 16 + frameLen;
    this.packets++;
    this.bytes += 16 + frameLen;
  }

  private flush(): void {
    let off = 0;
    while (off < this.used) off += writeSync(this.fd, this.buf, off, this.used - off);
    this.used = 0;
  }

  /** Completes the file: flushes, closes and renames it into place. */
  close(): void {
    if (this.closed) return;
    this.flush();
    closeSync(this.fd);
    renameSync(this.tmp, this.path);
    this.closed = true;
  }

  /** Abandons the file: nothing is left under either name. */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      closeSync(this.fd);
    } finally {
      rmSync(this.tmp, { force: true });
    }
  }
}
