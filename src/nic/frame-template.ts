/**
 * The Ethernet · IPv4 · UDP header the NIC puts in front of each payload it DMAs into a ring,
 * as a real NIC delivers whole frames. One template per group; per packet only the lengths,
 * the IP id and the IP checksum change (UDP checksum 0: validated by the NIC, as with offload).
 */
import { ipv4Checksum, multicastMac } from '../feed/pcap/writer.js';

export const FRAME_HEADER_BYTES = 42;
const SOURCE_MAC = [0x02, 0x6d, 0x64, 0x6c, 0x61, 0x62];

export class FrameTemplate {
  readonly header = Buffer.alloc(FRAME_HEADER_BYTES);
  readonly view = new DataView(this.header.buffer, this.header.byteOffset, FRAME_HEADER_BYTES);
  private ipId = 0;

  constructor(readonly group: number, readonly port: number, srcAddr: number, srcPort: number) {
    const h = this.header;
    const v = this.view;
    h.set(multicastMac(group), 0);
    h.set(SOURCE_MAC, 6);
    v.setUint16(12, 0x0800);
    h[14] = 0x45;
    v.setUint16(20, 0x4000);
    h[22] = 1; // TTL of a frame that crossed one hop to this host
    h[23] = 17;
    v.setUint32(26, srcAddr);
    v.setUint32(30, group);
    v.setUint16(34, srcPort);
    v.setUint16(36, port);
  }

  /** Sets lengths, id and checksum for a payload of `len` bytes. */
  prepare(len: number): Buffer {
    const v = this.view;
    v.setUint16(16, 28 + len);
    v.setUint16(18, this.ipId = (this.ipId + 1) & 0xffff);
    v.setUint16(24, 0);
    v.setUint16(24, ipv4Checksum(this.header, 14));
    v.setUint16(38, 8 + len);
    v.setUint16(40, 0);
    return this.header;
  }
}
