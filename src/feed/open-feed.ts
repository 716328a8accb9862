/** Opens any recording mdlab reads, telling the kind from its first bytes, not its name. */
import { FormatError } from '../errors.js';
import { openByteInput } from './byte-input.js';
import type { FeedReader } from './feed-reader.js';
import { ItchFileFeedReader, type ItchFileOptions } from './itch/itch-file-feed.js';
import { LENGTH_BY_CODE } from './itch/layout.js';
import { ClassicPcapReader, isClassicPcapMagic, PCAP_HEADER_LENGTH } from './pcap/classic-reader.js';
import { PcapFeedReader } from './pcap/pcap-feed.js';
import { PCAPNG_SHB, PcapngReader } from './pcap/pcapng-reader.js';

export async function openFeed(path: string, itch: ItchFileOptions = {}): Promise<FeedReader> {
  const input = await openByteInput(path);
  try {
    await input.fill(PCAP_HEADER_LENGTH);
    const v = input.view;
    const avail = input.available;
    if (avail === 0) throw new FormatError(path, 'byte 0', 'the file is empty');
    if (avail >= 4 && isClassicPcapMagic(v, 0)) {
      if (avail < PCAP_HEADER_LENGTH) throw new FormatError(path, 'byte 0', `truncated pcap header: ${avail} of 24 bytes`);
      return new PcapFeedReader(new ClassicPcapReader(input));
    }
    if (avail >= 4 && v.getUint32(0, true) === PCAPNG_SHB) return new PcapFeedReader(new PcapngReader(input));
    if (avail >= 3) {
      const len = v.getUint16(0);
      const expected = LENGTH_BY_CODE[input.buf[2]];
      if (expected !== 0 && len === expected) return new ItchFileFeedReader(input, itch);
    }
    const head = [...input.buf.subarray(0, Math.min(8, avail))].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new FormatError(path, 'byte 0', `not a recording mdlab reads (first bytes ${head}): expected a pcap (magic a1b2c3d4 or a1b23c4d), a pcapng (0a0d0d0a) or a binary ITCH 5.0 file (u16 length + message), plain or gzip`);
  } catch (err) {
    input.close();
    throw err;
  }
}
