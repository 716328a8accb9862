/**
 * A feed is a sequence of datagrams to multicast groups, each with its wire time. The NIC and
 * `inspect` read every recording kind (pcap, pcapng, binary ITCH) through this one cursor.
 * `packet` is reused: its bytes are valid until the next call to `nextSync`/`next`.
 */
import type { SkipReason } from './frame.js';
import type { GroupAssignment } from './feed-traffic.js';
import type { CaptureStats, PullResult } from './pcap/frame-reader.js';

export interface FeedPacket {
  /** 1-based number of the frame (pcap) or packet (packetized ITCH) in the source. */
  number: number;
  /** Wire time: seconds and nanoseconds (epoch for captures; the trading day for ITCH files). */
  tsSec: number;
  tsNsec: number;
  srcAddr: number;
  srcPort: number;
  dstAddr: number;
  dstPort: number;
  /** The UDP payload (a MoldUDP64 packet): `bytes[offset, offset+length)`. */
  bytes: Buffer;
  view: DataView;
  offset: number;
  length: number;
}

export function newFeedPacket(): FeedPacket {
  const empty = Buffer.alloc(0);
  return { number: 0, tsSec: 0, tsNsec: 0, srcAddr: 0, srcPort: 0, dstAddr: 0, dstPort: 0, bytes: empty, view: new DataView(empty.buffer, empty.byteOffset, 0), offset: 0, length: 0 };
}

export type SkipCounts = Partial<Record<SkipReason, { count: number; firstPacket: number }>>;

export interface FeedReader {
  readonly path: string;
  /** 'pcap', 'pcapng' or 'itch' (with '+gzip' where the file was compressed). */
  readonly format: string;
  readonly packet: FeedPacket;
  /** Frames that were not feed traffic, by reason, with the first frame number of each. */
  readonly skipped: SkipCounts;
  /** Groups given to datagrams whose IP destination said nothing (anonymised captures), and why. */
  readonly assignments: readonly GroupAssignment[];
  describe(): Record<string, string | number>;
  /** The capturing host's own statistics, per interface (pcapng's Interface Statistics Blocks), as far as read. */
  captureStats(): CaptureStats[];
  nextSync(): PullResult;
  fill(): Promise<void>;
  /** Convenience: the next packet, awaiting input as needed; false at the end. */
  next(): Promise<boolean>;
  close(): void;
}

export function countSkip(skipped: SkipCounts, reason: SkipReason, number: number): void {
  const s = skipped[reason];
  if (s) s.count++;
  else skipped[reason] = { count: 1, firstPacket: number };
}

export async function pullNext(reader: Pick<FeedReader, 'nextSync' | 'fill'>): Promise<boolean> {
  for (;;) {
    const r = reader.nextSync();
    if (r === 1) return true;
    if (r === 0) return false;
    await reader.fill();
  }
}
