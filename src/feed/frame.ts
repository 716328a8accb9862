/**
 * From a captured frame to the UDP payload of a multicast datagram. Only UDP/IPv4 to a
 * multicast group is feed traffic; everything else gets a skip reason and is counted.
 * Results go into one reused `UdpDatagram` (no allocation per frame).
 */

export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_LINUX_SLL2 = 276;

export const SUPPORTED_LINKTYPES: Readonly<Record<number, string>> = {
  [LINKTYPE_ETHERNET]: 'Ethernet',
  [LINKTYPE_RAW]: 'raw IP',
  [LINKTYPE_LINUX_SLL]: 'Linux cooked v1',
  [LINKTYPE_IPV4]: 'raw IPv4',
  [LINKTYPE_LINUX_SLL2]: 'Linux cooked v2',
};

/** Why a frame is not feed traffic. These names appear in `inspect` output. */
export type SkipReason =
  | 'not-ipv4'
  | 'not-udp'
  | 'not-multicast'
  | 'unaddressed'
  | 'ip-fragment'
  | 'truncated-frame'
  | 'unsupported-linktype'
  | 'not-moldudp64';

export const SKIP_DESCRIPTIONS: Readonly<Record<SkipReason, string>> = {
  'not-ipv4': 'frame does not carry IPv4 (ARP, IPv6, LLDP, ...)',
  'not-udp': 'IPv4 packet that is not UDP',
  'not-multicast': 'UDP to a unicast or broadcast address, not a multicast group: not feed traffic (--decode-as GROUP:PORT takes it as feed)',
  'unaddressed': 'UDP to 0.0.0.0 (an anonymised capture) with neither a multicast MAC nor a MoldUDP64 payload (--decode-as GROUP:PORT takes it as feed)',
  'ip-fragment': 'IPv4 fragment: feed datagrams are not fragmented',
  'truncated-frame': 'frame captured shorter than its headers or UDP length say (snaplen cut)',
  'unsupported-linktype': 'frame from an interface whose link type mdlab does not decode',
  'not-moldudp64': 'UDP payload too short for a MoldUDP64 header',
};

export interface UdpDatagram {
  srcAddr: number;
  dstAddr: number;
  srcPort: number;
  dstPort: number;
  /** Offset and length of the UDP payload in the frame's buffer. */
  payloadOffset: number;
  payloadLength: number;
  /**
   * The low 23 bits of the group an Ethernet multicast destination (01:00:5e:…) names, or -1
   * (not Ethernet, or a unicast MAC). Anonymised captures keep it where the IP address is zeroed.
   */
  macGroupBits: number;
}

export function newDatagram(): UdpDatagram {
  return { srcAddr: 0, dstAddr: 0, srcPort: 0, dstPort: 0, payloadOffset: 0, payloadLength: 0, macGroupBits: -1 };
}

const ETH_IPV4 = 0x0800;
const ETH_VLAN = 0x8100;
const ETH_QINQ = 0x88a8;
const ETH_VLAN_OLD_QINQ = 0x9100;

/**
 * Decodes `bytes[off, off+len)` of the given link type into `out`.
 * Returns null for a feed datagram, or the reason it is skipped. For 'not-multicast' and
 * 'unaddressed', `out` still holds the datagram, so a caller may take it as feed traffic.
 */
export function decodeFrame(
  linktype: number,
  bytes: Uint8Array,
  v: DataView,
  off: number,
  len: number,
  out: UdpDatagram,
): SkipReason | null {
  const end = off + len;
  let ip: number;
  out.macGroupBits = -1;
  switch (linktype) {
    case LINKTYPE_ETHERNET: {
      if (len < 14) return 'truncated-frame';
      // RFC 1112 §6.4: 01:00:5e, then a zero bit and the group's low 23 bits.
      if (bytes[off] === 0x01 && bytes[off + 1] === 0x00 && bytes[off + 2] === 0x5e && bytes[off + 3] < 0x80) {
        out.macGroupBits = (bytes[off + 3] << 16) | (bytes[off + 4] << 8) | bytes[off + 5];
      }
      let p = off + 12;
      let ethertype = v.getUint16(p);
      while (ethertype === ETH_VLAN || ethertype === ETH_QINQ || ethertype === ETH_VLAN_OLD_QINQ) {
        p += 4;
        if (p + 2 > end) return 'truncated-frame';
        ethertype = v.getUint16(p);
      }
      if (ethertype !== ETH_IPV4) return 'not-ipv4';
      ip = p + 2;
      break;
    }
    case LINKTYPE_RAW:
    case LINKTYPE_IPV4:
      ip = off;
      break;
    case LINKTYPE_LINUX_SLL:
      if (len < 16) return 'truncated-frame';
      if (v.getUint16(off + 14) !== ETH_IPV4) return 'not-ipv4';
      ip = off + 16;
      break;
    case LINKTYPE_LINUX_SLL2:
      if (len < 20) return 'truncated-frame';
      if (v.getUint16(off) !== ETH_IPV4) return 'not-ipv4';
      ip = off + 20;
      break;
    default:
      return 'unsupported-linktype';
  }
  return decodeIpv4Udp(bytes, v, ip, end, out);
}

/** IPv4 header at `ip`, frame ending at `end`. */
export function decodeIpv4Udp(bytes: Uint8Array, v: DataView, ip: number, end: number, out: UdpDatagram): SkipReason | null {
  if (ip + 1 > end) return 'truncated-frame';
  if (bytes[ip] >> 4 !== 4) return 'not-ipv4';
  const ihl = (bytes[ip] & 0x0f) * 4;
  if (ihl < 20 || ip + ihl > end) return 'truncated-frame';
  if (bytes[ip + 9] !== 17) return 'not-udp';
  const fragment = v.getUint16(ip + 6);
  if ((fragment & 0x3fff) !== 0) return 'ip-fragment'; // MF set or a non-zero offset
  const dst = v.getUint32(ip + 16);
  const udp = ip + ihl;
  if (udp + 8 > end) return 'truncated-frame';
  const udpLen = v.getUint16(udp + 4);
  if (udpLen < 8 || udp + udpLen > end) return 'truncated-frame';
  out.srcAddr = v.getUint32(ip + 12);
  out.dstAddr = dst;
  out.srcPort = v.getUint16(udp);
  out.dstPort = v.getUint16(udp + 2);
  out.payloadOffset = udp + 8;
  out.payloadLength = udpLen - 8;
  if (dst === 0) return 'unaddressed';
  if (dst >>> 28 !== 0xe) return 'not-multicast';
  return null;
}
