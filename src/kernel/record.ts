/**
 * `mdlab record`: live multicast from loopback into a pcap that mdlab and tshark read: joins each
 * group on 127.0.0.1 and writes every datagram as an Ethernet/IPv4/UDP frame with its arrival
 * time (nanoseconds), its source address and port, as tcpdump would have captured it.
 */
import type dgram from 'node:dgram';
import { PcapWriter } from '../feed/pcap/writer.js';
import { parseIpv4 } from '../feed/bytes.js';
import { openMulticastReceiver } from './loopback.js';

export interface RecordSummary {
  file: string;
  packets: number;
  bytes: number;
  byGroup: Record<string, number>;
}

/** Wall-clock nanoseconds: Date.now() for the epoch, hrtime for the fraction. */
function wallClock(): () => { sec: number; nsec: number } {
  const baseMs = Date.now();
  const baseHr = process.hrtime.bigint();
  return () => {
    const ns = BigInt(baseMs) * 1_000_000n + (process.hrtime.bigint() - baseHr);
    return { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) };
  };
}

export async function recordMulticast(groups: { group: number; port: number; name: string }[], out: string, durationNs: number, shouldStop?: () => boolean, onJoined?: () => void): Promise<RecordSummary> {
  const writer = new PcapWriter(out);
  const now = wallClock();
  const sockets: dgram.Socket[] = [];
  const byGroup: Record<string, number> = {};
  try {
    for (const g of groups) {
      const s = await openMulticastReceiver(g.group, g.port, 4 << 20);
      byGroup[g.name] = 0;
      s.on('message', (msg, rinfo) => {
        const t = now();
        writer.writeDatagram(t.sec, t.nsec, parseIpv4(rinfo.address) ?? 0, rinfo.port, g.group, g.port, msg, 0, msg.length);
        byGroup[g.name]++;
      });
      sockets.push(s);
    }
    onJoined?.();
    const end = Date.now() + durationNs / 1e6;
    while (Date.now() < end && !shouldStop?.()) await new Promise((res) => setTimeout(res, Math.min(100, end - Date.now())));
    for (const s of sockets) s.close();
    writer.close();
    return { file: out, packets: writer.packets, bytes: writer.bytes, byGroup };
  } catch (err) {
    for (const s of sockets) s.close();
    writer.abort();
    throw err;
  }
}
