/** Opens any recording mdlab reads, telling the kind from its first bytes, not its name. */
import { FormatError } from '../errors.js';
import { openByteInput } from './byte-input.js';
import type { FeedReader } from './feed-reader.js';
import type { DecodeAs } from './feed-traffic.js';
import { ItchFileFeedReader, type ItchFileOptions } from './itch/itch-file-feed.js';
import { ClassicPcapReader, PCAP_HEADER_LENGTH } from './pcap/classic-reader.js';
import { PcapFeedReader } from './pcap/pcap-feed.js';
import { PcapngReader } from './pcap/pcapng-reader.js';
import { kindFromHead } from './recording-kind.js';

/** How to read a recording: binary ITCH files' packetizing, and captures' unaddressed datagrams. */
export interface FeedOptions extends ItchFileOptions {
  /** Take every UDP datagram not to a multicast group as feed traffic to this group (tshark's -d). */
  decodeAs?: DecodeAs;
}

export async function openFeed(path: string, options: FeedOptions = {}): Promise<FeedReader> {
  const input = await openByteInput(path);
  try {
    await input.fill(PCAP_HEADER_LENGTH);
    const avail = input.available;
    const kind = kindFromHead(input.buf.subarray(0, avail));
    if (kind === 'pcap') {
      if (avail < PCAP_HEADER_LENGTH) throw new FormatError(path, 'byte 0', `truncated pcap header: ${avail} of 24 bytes`);
      return new PcapFeedReader(new ClassicPcapReader(input), options.decodeAs);
    }
    if (kind === 'pcapng') return new PcapFeedReader(new PcapngReader(input), options.decodeAs);
    if (kind === 'itch') return new ItchFileFeedReader(input, options);
    throw new FormatError(path, 'byte 0', kind);
  } catch (err) {
    input.close();
    throw err;
  }
}
