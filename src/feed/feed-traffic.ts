/**
 * Which UDP datagrams are feed traffic when the IP destination does not say. Public exchange
 * captures are often anonymised: IPv4 addresses 0.0.0.0, ports 0, while the Ethernet destination
 * is still the group's multicast MAC. tshark decodes them (`-d udp.port==0,moldudp64`); so must
 * mdlab. The rules, in order, and the group each gives (every one is reported, never silent):
 *
 * 1. `--decode-as GROUP:PORT`: every UDP datagram not to a multicast group is taken as feed
 *    traffic to GROUP:PORT (tshark's `-d`, explicit control).
 * 2. Multicast MAC: destination 0.0.0.0, Ethernet destination 01:00:5e:xx:yy:zz. The MAC keeps
 *    only the group's low 23 bits (RFC 1112 §6.4), so the group is taken as 239.xx.yy.zz; the
 *    port is the UDP destination port, or 26400 where it was zeroed.
 * 3. MoldUDP64 heuristic: destination 0.0.0.0, no multicast MAC (Linux cooked, raw IP), and the
 *    payload passes all three of: the session is 10 printable ASCII bytes; the message blocks
 *    tile the payload exactly (a heartbeat or end-of-session is exactly the 20-byte header); every
 *    message type is a known ITCH 5.0 type, at least its layout's length. Each session gets the
 *    next default group (239.100.1.1, .2, … in the order first seen).
 */
import { parseIpv4 } from './bytes.js';
import { DEFAULT_GROUP_BASE, DEFAULT_PORT, formatGroup } from './channels.js';
import type { UdpDatagram } from './frame.js';
import { LENGTH_BY_CODE } from './itch/layout.js';
import { MOLD_COUNT_END_OF_SESSION, MOLD_COUNT_HEARTBEAT, MOLD_HEADER_LENGTH, MOLD_SESSION_LENGTH, moldSession, sameSession } from './moldudp64.js';

export interface DecodeAs {
  group: number;
  port: number;
}

export type AssignRule = 'decode-as' | 'multicast-mac' | 'moldudp64';

export const ASSIGN_RULE_DESCRIPTIONS: Readonly<Record<AssignRule, string>> = {
  'decode-as': 'every UDP datagram not to a multicast group, as --decode-as asked',
  'multicast-mac': 'IP destination 0.0.0.0, Ethernet destination a multicast MAC: the group from its 23 bits, under 239/8',
  'moldudp64': 'IP destination 0.0.0.0, no multicast MAC, payload valid MoldUDP64 carrying ITCH 5.0: one default group per session',
};

/** One group a capture's datagrams were assigned to, and why. Plain data for reports and JSON. */
export interface GroupAssignment {
  rule: AssignRule;
  /** What the datagrams had in common: the MAC, the session, or the rule's scope. */
  from: string;
  group: string;
  firstPacket: number;
  packets: number;
}

const DEFAULT_BASE = parseIpv4(DEFAULT_GROUP_BASE) ?? 0;
const MAC_GROUP_PREFIX = 0xef000000; // 239.0.0.0

function isPrintable(b: number): boolean {
  return b >= 0x20 && b < 0x7f;
}

/** The MoldUDP64 heuristic of rule 3, on `bytes[off, off+len)`. Allocates nothing. */
export function looksLikeMoldUdp64(bytes: Uint8Array, v: DataView, off: number, len: number): boolean {
  if (len < MOLD_HEADER_LENGTH) return false;
  for (let i = 0; i < MOLD_SESSION_LENGTH; i++) if (!isPrintable(bytes[off + i])) return false;
  const count = v.getUint16(off + 18);
  if (count === MOLD_COUNT_HEARTBEAT || count === MOLD_COUNT_END_OF_SESSION) return len === MOLD_HEADER_LENGTH;
  const end = off + len;
  let q = off + MOLD_HEADER_LENGTH;
  for (let i = 0; i < count; i++) {
    if (q + 2 > end) return false;
    const mlen = v.getUint16(q);
    const m = q + 2;
    if (mlen === 0 || m + mlen > end) return false;
    const need = LENGTH_BY_CODE[bytes[m]];
    if (need === 0 || mlen < need) return false;
    q = m + mlen;
  }
  return q === end;
}

function macText(bits: number): string {
  const h = (n: number) => n.toString(16).padStart(2, '0');
  return `MAC 01:00:5e:${h((bits >> 16) & 0x7f)}:${h((bits >> 8) & 0xff)}:${h(bits & 0xff)}`;
}

interface Entry extends GroupAssignment {
  key: number;
  session: Uint8Array | null;
  addr: number;
  port: number;
}

/**
 * Applies the rules above to datagrams that are not to a multicast group. Keeps what it assigned,
 * with counts; the last entry hit is checked first, so a steady stream allocates nothing.
 */
export class GroupAssigner {
  private readonly entries: Entry[] = [];
  private last: Entry | undefined;
  private sessions = 0;

  constructor(private readonly decodeAs?: DecodeAs) {}

  get assignments(): GroupAssignment[] {
    return this.entries.map(({ rule, from, group, firstPacket, packets }) => ({ rule, from, group, firstPacket, packets }));
  }

  /**
   * For a datagram that decodeFrame skipped as 'unaddressed' or 'not-multicast' (its fields are
   * filled): rewrites its destination to the group it is taken for and returns true, or returns
   * false where no rule takes it.
   */
  assign(d: UdpDatagram, unaddressed: boolean, bytes: Uint8Array, v: DataView, packet: number): boolean {
    if (d.payloadLength < MOLD_HEADER_LENGTH) return false; // too short to be feed traffic by any rule
    let e: Entry | undefined;
    if (this.decodeAs) {
      e = this.find(-1, null, bytes, 0) ?? this.add('decode-as', 'UDP not to a multicast group', -1, null, this.decodeAs.group, this.decodeAs.port, packet);
    } else if (!unaddressed) {
      return false;
    } else if (d.macGroupBits >= 0) {
      const key = d.macGroupBits * 65536 + d.dstPort;
      e = this.find(key, null, bytes, 0) ??
        this.add('multicast-mac', `${macText(d.macGroupBits)}${d.dstPort ? ` port ${d.dstPort}` : ''}`, key, null, (MAC_GROUP_PREFIX | d.macGroupBits) >>> 0, d.dstPort || DEFAULT_PORT, packet);
    } else if (looksLikeMoldUdp64(bytes, v, d.payloadOffset, d.payloadLength)) {
      const off = d.payloadOffset;
      e = this.find(-2, bytes, bytes, off);
      if (!e) {
        const group = (DEFAULT_BASE + this.sessions++) >>> 0;
        e = this.add('moldudp64', `session ${JSON.stringify(moldSession(bytes, off))}`, -2, Uint8Array.from(bytes.subarray(off, off + MOLD_SESSION_LENGTH)), group, d.dstPort || DEFAULT_PORT, packet);
      }
    } else {
      return false;
    }
    e.packets++;
    d.dstAddr = e.addr;
    d.dstPort = e.port;
    return true;
  }

  private find(key: number, session: Uint8Array | null, bytes: Uint8Array, off: number): Entry | undefined {
    const hit = (x: Entry) => x.key === key && (session === null || (x.session !== null && sameSession(x.session, 0, bytes, off)));
    if (this.last && hit(this.last)) return this.last;
    const e = this.entries.find(hit);
    if (e) this.last = e;
    return e;
  }

  private add(rule: AssignRule, from: string, key: number, session: Uint8Array | null, addr: number, port: number, packet: number): Entry {
    const e: Entry = { rule, from, group: formatGroup(addr, port), firstPacket: packet, packets: 0, key, session, addr, port };
    this.entries.push(e);
    this.last = e;
    return e;
  }
}

/** One line per assignment, for reports: "MAC 01:00:5e:36:0c:6f → 239.54.12.111:26400 (2 packets, multicast-mac)". */
export function describeAssignments(list: readonly GroupAssignment[]): string[] {
  return list.map((a) => `${a.from} → ${a.group} (${a.packets} packet${a.packets === 1 ? '' : 's'} from packet ${a.firstPacket}; ${a.rule}: ${ASSIGN_RULE_DESCRIPTIONS[a.rule]})`);
}

/** One line per rule used, for a run's report: "groups assigned by multicast-mac (…): A → G, B → H". */
export function summarizeAssignments(list: readonly GroupAssignment[]): string[] {
  const rules = [...new Set(list.map((a) => a.rule))];
  return rules.map((rule) => `groups assigned by ${rule} (${ASSIGN_RULE_DESCRIPTIONS[rule]}): ${list.filter((a) => a.rule === rule).map((a) => `${a.from} → ${a.group}`).join(', ')}`);
}
