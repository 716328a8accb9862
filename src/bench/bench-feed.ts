/**
 * The bench's recording: one channel, packets at an exact, even rate, each a MoldUDP64 packet of
 * one ITCH Add Order. An even rate, unlike a synthetic trading day, makes "latency at 100 k pkt/s"
 * mean exactly that, and keeps the lab's figures comparable with the evenly paced floors.
 */
import { parseIpv4, writeU48 } from '../feed/bytes.js';
import { FEED_SOURCE_ADDRESS, FEED_SOURCE_PORT, parseGroup } from '../feed/channels.js';
import { encodeToBuffer } from '../feed/itch/codec.js';
import { MoldPacketBuilder } from '../feed/moldudp64.js';
import { PcapWriter } from '../feed/pcap/writer.js';

export const BENCH_GROUP = '239.100.1.1:26400';
/** 09:30:00 in ns since midnight, the ITCH timestamp of the first message. */
const OPEN_NS = 34_200e9;

export function writeEvenFeed(path: string, packets: number, ratePerSec: number): void {
  const g = parseGroup(BENCH_GROUP);
  const intervalNs = 1e9 / ratePerSec;
  const add = encodeToBuffer({
    type: 'A', stockLocate: 1, trackingNumber: 0, timestamp: OPEN_NS,
    orderReferenceNumber: 1n, buySellIndicator: 'B', shares: 100, stock: 'MDLB', price: 1_000_000,
  });
  const mold = new MoldPacketBuilder();
  const v = new DataView(mold.bytes.buffer);
  const src = parseIpv4(FEED_SOURCE_ADDRESS) ?? 0;
  const w = new PcapWriter(path);
  const epochSec = 1_767_605_400; // 2026-01-05 09:30:00 UTC-ish; only differences matter
  for (let i = 0; i < packets; i++) {
    const t = i * intervalNs;
    mold.begin('BENCH00001', i + 1);
    const at = mold.reserve(add.length);
    mold.bytes.set(add, at);
    // timestamp (6 bytes at 5) and order reference (8 at 11) change per message
    const ts = OPEN_NS + t;
    writeU48(v, at + 5, ts);
    v.setBigUint64(at + 11, BigInt(i + 1));
    const sec = epochSec + Math.floor(t / 1e9);
    w.writeDatagram(sec, Math.round(t % 1e9), src, FEED_SOURCE_PORT, g.group, g.port, mold.bytes, 0, mold.byteLength);
  }
  w.close();
}
