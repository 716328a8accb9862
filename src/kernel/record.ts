/**
 * `mdlab record`: live multicast from loopback into a pcap that mdlab, tshark and tcpreplay read,
 * as faithful as tcpdump's:
 * - **time**: each datagram carries the kernel's own receive timestamp (SO_TIMESTAMPNS), never
 *   a user-space clock read after the fact;
 * - **order**: one socket per group, merged by kernel time. A round drains every socket, then
 *   writes only what is older than the round's start less a margin (a datagram stamped before
 *   that is already queued), so groups interleave in wire order;
 * - **loss**: the kernel's drops at each socket (SO_RXQ_OVFL, and /proc/net/udp at the end) are
 *   counted and reported, never silent;
 * - **replayable**: a local source address (127.0.0.1 on loopback) is rewritten to one no host
 *   here owns, because the kernel drops replayed frames from a local source (DESIGN §7);
 * - **other traffic**: `source` keeps only datagrams from one sender.
 */
import { networkInterfaces } from 'node:os';
import { parseIpv4, ipv4ToString } from '../feed/bytes.js';
import { FEED_SOURCE_ADDRESS } from '../feed/channels.js';
import { PcapWriter } from '../feed/pcap/writer.js';
import { udpSockets } from './socket-drops.js';
import { CaptureSocket, realtimeNow, waitForAny, type CapturedDatagram } from './udp-capture.js';

const LOOPBACK = 0x7f000001;
/** A datagram stamped this long before a round began is surely queued by then (softirq delay). */
const ORDER_MARGIN_NS = 20e6;
const WAIT_MS = 20;

export interface RecordGroup {
  group: number;
  port: number;
  name: string;
}

export interface RecordOptions {
  groups: RecordGroup[];
  out: string;
  durationNs: number;
  /** Receive buffer per socket, bytes (0: the kernel's default). */
  rcvbuf: number;
  /** Keep only datagrams from this sender (address, and port where given). */
  source?: { addr: number; port: number | null };
  /** Keep a local source address as received (the capture then does not replay on lo). */
  keepSource?: boolean;
  shouldStop?: () => boolean;
  onJoined?: () => void;
}

export interface RecordSummary {
  file: string;
  packets: number;
  bytes: number;
  byGroup: Record<string, { packets: number; drops: number }>;
  /** Datagrams the kernel dropped at the sockets (receive buffer full): they are not in the file. */
  drops: number;
  rcvbuf: { requested: number; granted: number };
  timestamps: 'kernel';
  /** Local source addresses rewritten so that the capture replays (null: none were). */
  sourceRewritten: { from: string[]; to: string; packets: number } | null;
  /** Datagrams from other senders, left out by --source. */
  otherSources: number;
  /** Datagrams longer than the capture slot, written cut (their headers keep the full length). */
  truncated: number;
  /** Datagrams whose kernel time came before one already written (0 in a faithful capture). */
  outOfOrder: number;
  seconds: number;
}

interface Held {
  sec: number;
  nsec: number;
  srcAddr: number;
  srcPort: number;
  group: RecordGroup;
  bytes: Buffer;
}

function localAddresses(): Set<number> {
  const out = new Set<number>();
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      const n = a.family === 'IPv4' ? parseIpv4(a.address) : undefined;
      if (n !== undefined) out.add(n);
    }
  }
  return out;
}

function isLocal(addr: number, locals: Set<number>): boolean {
  return addr >>> 24 === 127 || locals.has(addr);
}

export async function recordMulticast(o: RecordOptions): Promise<RecordSummary> {
  const started = Date.now();
  const writer = new PcapWriter(o.out);
  const sockets: CaptureSocket[] = [];
  const locals = localAddresses();
  const rewriteTo = parseIpv4(FEED_SOURCE_ADDRESS) ?? 0;
  const rewritten = new Set<string>();
  let rewrites = 0;
  let otherSources = 0;
  let truncated = 0;
  let outOfOrder = 0;
  let lastSec = 0;
  let lastNsec = 0;
  const byGroup: RecordSummary['byGroup'] = {};
  let held: Held[] = [];

  const write = (h: Held) => {
    if (h.sec < lastSec || (h.sec === lastSec && h.nsec < lastNsec)) outOfOrder++;
    else {
      lastSec = h.sec;
      lastNsec = h.nsec;
    }
    let src = h.srcAddr;
    if (!o.keepSource && isLocal(src, locals)) {
      rewritten.add(ipv4ToString(src));
      rewrites++;
      src = rewriteTo;
    }
    writer.writeDatagram(h.sec, h.nsec, src, h.srcPort, h.group.group, h.group.port, h.bytes, 0, h.bytes.length);
    byGroup[h.group.name].packets++;
  };
  const byTime = (a: Held, b: Held) => a.sec - b.sec || a.nsec - b.nsec;

  try {
    for (const g of o.groups) {
      sockets.push(new CaptureSocket(g.group, g.port, LOOPBACK, o.rcvbuf));
      byGroup[g.name] = { packets: 0, drops: 0 };
    }
    o.onJoined?.();
    const end = started + o.durationNs / 1e6;
    let rounds = 0;
    while (Date.now() < end && !o.shouldStop?.()) {
      const [nowSec, nowNsec] = realtimeNow();
      let got = 0;
      sockets.forEach((s, i) => {
        const group = o.groups[i];
        const take = (d: CapturedDatagram, bytes: Buffer) => {
          if (o.source && (d.srcAddr !== o.source.addr || (o.source.port !== null && d.srcPort !== o.source.port))) {
            otherSources++;
            return;
          }
          if (d.truncated) truncated++;
          const stamped = d.sec >= 0;
          held.push({ sec: stamped ? d.sec : nowSec, nsec: stamped ? d.nsec : nowNsec, srcAddr: d.srcAddr, srcPort: d.srcPort, group, bytes: Buffer.from(bytes) });
        };
        for (;;) {
          const n = s.read(take);
          got += n;
          if (n < s.batch) break;
        }
      });
      if (held.length > 0) {
        held.sort(byTime);
        // Everything stamped before the round began, less the margin, is in hand: write it in time order.
        const cutSec = nowSec - (nowNsec < ORDER_MARGIN_NS ? 1 : 0);
        const cutNsec = nowNsec < ORDER_MARGIN_NS ? nowNsec + 1e9 - ORDER_MARGIN_NS : nowNsec - ORDER_MARGIN_NS;
        let k = 0;
        while (k < held.length && (held[k].sec < cutSec || (held[k].sec === cutSec && held[k].nsec <= cutNsec))) write(held[k++]);
        held = k === held.length ? [] : held.slice(k);
      }
      if (got === 0) waitForAny(sockets, WAIT_MS);
      if ((++rounds & 15) === 0 || got === 0) await new Promise((res) => setImmediate(res)); // signals, timers
    }
    // Whatever is still queued arrived before the stop: take it, then write the rest in order.
    sockets.forEach((s, i) => {
      while (s.read((d, bytes) => held.push({ sec: d.sec, nsec: d.nsec, srcAddr: d.srcAddr, srcPort: d.srcPort, group: o.groups[i], bytes: Buffer.from(bytes) })) > 0);
    });
    held.sort(byTime);
    for (const h of held) write(h);

    // The kernel's count at each socket: /proc/net/udp covers drops after the last datagram too.
    const rows = udpSockets();
    let drops = 0;
    sockets.forEach((s, i) => {
      const inode = s.inode;
      const row = inode === null ? undefined : rows.find((r) => r.inode === inode);
      const n = Math.max(s.drops, row?.drops ?? 0);
      byGroup[o.groups[i].name].drops = n;
      drops += n;
    });
    const granted = sockets.length > 0 ? sockets[0].rcvbuf : 0;
    for (const s of sockets) s.close();
    writer.close();
    return {
      file: o.out, packets: writer.packets, bytes: writer.bytes, byGroup, drops,
      rcvbuf: { requested: o.rcvbuf, granted }, timestamps: 'kernel',
      sourceRewritten: rewrites > 0 ? { from: [...rewritten], to: FEED_SOURCE_ADDRESS, packets: rewrites } : null,
      otherSources, truncated, outOfOrder, seconds: (Date.now() - started) / 1000,
    };
  } catch (err) {
    for (const s of sockets) s.close();
    writer.abort();
    throw err;
  }
}
