/**
 * An ef_vi application's own packet processing: with ef_vi the NIC hands the application raw
 * Ethernet frames from its virtual interface's ring, and "the application will have to take
 * care of the network packet processing" (Solarflare ef_vi User Guide). So this parses
 * Ethernet (with VLAN tags), IPv4 and UDP itself, at the offsets it expects, and keeps only the
 * datagrams of the group and port it subscribed to; the stack's parser is not used.
 */
import type { Delivery } from './receive-modes.js';

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_VLAN = 0x8100;
const IPPROTO_UDP = 17;

export class EfViApplication {
  /** Frames this application looked at and dropped: not IPv4/UDP, not its group and port, or cut short. */
  rejected = 0;

  constructor(private readonly group: number, private readonly port: number, private readonly to: Delivery) {}

  /** A raw frame; its times are already in the delivery's stamps. */
  onFrame(bytes: Buffer, v: DataView, off: number, len: number): void {
    const end = off + len;
    let p = off + 12;
    if (p + 2 > end) return this.reject();
    let ethertype = v.getUint16(p);
    if (ethertype === ETHERTYPE_VLAN) {
      p += 4;
      if (p + 2 > end) return this.reject();
      ethertype = v.getUint16(p);
    }
    if (ethertype !== ETHERTYPE_IPV4) return this.reject();
    const ip = p + 2;
    if (ip + 20 > end || bytes[ip] >> 4 !== 4 || bytes[ip + 9] !== IPPROTO_UDP) return this.reject();
    if (v.getUint32(ip + 16) !== this.group) return this.reject();
    const udp = ip + (bytes[ip] & 0x0f) * 4;
    if (udp + 8 > end || v.getUint16(udp + 2) !== this.port) return this.reject();
    const udpLen = v.getUint16(udp + 4);
    if (udpLen < 8 || udp + udpLen > end) return this.reject();
    this.to.deliver(bytes, v, udp + 8, udpLen - 8);
  }

  private reject(): void {
    this.rejected++;
    this.to.malformed();
  }
}
