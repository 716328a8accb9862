/**
 * Nasdaq's binary ITCH files (whole trading days: u16 BE length + message, often gzipped) have
 * no packets, so the packetizer groups their messages into MoldUDP64 packets per channel, with
 * wire time from the ITCH timestamps. The result reads like a capture of the UDP feed.
 */
import { FormatError } from '../../errors.js';
import { parseIpv4 } from '../bytes.js';
import type { ByteInput } from '../byte-input.js';
import { FEED_SOURCE_ADDRESS, FEED_SOURCE_PORT, makeChannels, type Channel } from '../channels.js';
import { newFeedPacket, pullNext, type FeedReader, type SkipCounts } from '../feed-reader.js';
import { END, NEED_INPUT, READY, type CaptureStats, type PullResult } from '../pcap/frame-reader.js';
import { DEFAULT_PACKETIZER, Packetizer, type PacketizerOptions } from '../packetizer.js';
import { MOLD_HEADER_LENGTH } from '../moldudp64.js';
import { OFF_LOCATE, OFF_TIMESTAMP } from './layout.js';
import { readU48 } from '../bytes.js';

export interface ItchFileOptions extends Partial<Omit<PacketizerOptions, 'channels'>> {
  channels?: readonly Channel[];
  /** Epoch seconds of the trading day's midnight, for wire times (default 0: times of day). */
  dayEpochSec?: number;
  /** Send end-of-session packets after the last message (default true). */
  endOfSession?: boolean;
}

interface Slot {
  bytes: Buffer;
  view: DataView;
  length: number;
  wireNs: number;
  channel: Channel;
}

export class ItchFileFeedReader implements FeedReader {
  readonly packet = newFeedPacket();
  readonly skipped: SkipCounts = {};
  /** A binary ITCH file's groups are its channels', never guessed. */
  readonly assignments = [] as const;
  readonly format: string;
  readonly channels: readonly Channel[];
  private readonly packetizer: Packetizer;
  private readonly queue: Slot[] = [];
  private head = 0;
  private tail = 0;
  private need = 2;
  private lastNs = 0;
  private finished = false;
  private readonly dayEpochSec: number;
  private readonly endOfSession: boolean;
  private readonly srcAddr = parseIpv4(FEED_SOURCE_ADDRESS) ?? 0;
  messages = 0;
  private readonly maxBytes: number;

  constructor(private readonly input: ByteInput, options: ItchFileOptions = {}) {
    this.format = input.compressed ? 'itch+gzip' : 'itch';
    this.channels = options.channels ?? makeChannels(1, 0xffff);
    this.dayEpochSec = options.dayEpochSec ?? 0;
    this.endOfSession = options.endOfSession ?? true;
    const opts: PacketizerOptions = { ...DEFAULT_PACKETIZER, heartbeatNs: 0, ...stripUndefined(options), channels: this.channels };
    this.maxBytes = opts.maxBytes;
    this.packetizer = new Packetizer(opts, (channel, wireNs, bytes, length) => this.enqueue(channel, wireNs, bytes, length));
  }

  get path(): string {
    return this.input.name;
  }

  /** A binary ITCH file is not a capture: no capture statistics. */
  captureStats(): CaptureStats[] {
    return [];
  }

  describe(): Record<string, string | number> {
    return { format: this.format, channels: this.channels.length, packetizedBy: 'mdlab (MoldUDP64)' };
  }

  private enqueue(channel: Channel, wireNs: number, bytes: Uint8Array, length: number): void {
    if (this.tail === this.queue.length) {
      const buf = Buffer.alloc(Math.max(1500, length));
      this.queue.push({ bytes: buf, view: new DataView(buf.buffer, buf.byteOffset, buf.byteLength), length: 0, wireNs: 0, channel });
    }
    let slot = this.queue[this.tail];
    if (slot.bytes.length < length) {
      const buf = Buffer.alloc(length);
      slot = this.queue[this.tail] = { bytes: buf, view: new DataView(buf.buffer, buf.byteOffset, buf.byteLength), length: 0, wireNs: 0, channel };
    }
    slot.bytes.set(bytes.subarray(0, length));
    slot.length = length;
    slot.wireNs = wireNs;
    slot.channel = channel;
    this.tail++;
  }

  private dequeue(): void {
    const s = this.queue[this.head++];
    const p = this.packet;
    p.number++;
    const sec = Math.floor(s.wireNs / 1e9);
    p.tsSec = this.dayEpochSec + sec;
    p.tsNsec = s.wireNs - sec * 1e9;
    p.srcAddr = this.srcAddr;
    p.srcPort = FEED_SOURCE_PORT;
    p.dstAddr = s.channel.group;
    p.dstPort = s.channel.port;
    p.bytes = s.bytes;
    p.view = s.view;
    p.offset = 0;
    p.length = s.length;
    if (this.head === this.tail) this.head = this.tail = 0;
  }

  nextSync(): PullResult {
    if (this.head < this.tail) {
      this.dequeue();
      return READY;
    }
    // The previous packet's slot may be reused from here on.
    this.head = this.tail = 0;
    const input = this.input;
    while (this.tail === 0) {
      if (this.finished) return END;
      const avail = input.end - input.pos;
      if (avail < 2) {
        if (!input.eof) {
          this.need = 2;
          return NEED_INPUT;
        }
        if (avail !== 0) throw new FormatError(input.name, `byte ${input.offset}`, 'truncated: a message length prefix is cut off by the end of the file');
        this.packetizer.finish(this.lastNs, this.endOfSession);
        this.finished = true;
        continue;
      }
      const v = input.view;
      const p = input.pos;
      const len = v.getUint16(p);
      if (avail < 2 + len) {
        if (!input.eof) {
          this.need = 2 + len;
          return NEED_INPUT;
        }
        throw new FormatError(input.name, `byte ${input.offset} (message ${this.messages + 1})`, `truncated message: length prefix says ${len} bytes, only ${avail - 2} remain in the file`);
      }
      const m = p + 2;
      // Malformed messages are carried as they are: MoldUDP64 does not look inside, inspect does.
      const locate = len >= 3 ? v.getUint16(m + OFF_LOCATE) : 0;
      if (len >= 11) {
        const t = readU48(v, m + OFF_TIMESTAMP);
        if (t > this.lastNs) this.lastNs = t;
      }
      this.messages++;
      if (MOLD_HEADER_LENGTH + 2 + len > this.maxBytes) {
        throw new FormatError(input.name, `byte ${input.offset} (message ${this.messages})`, `a ${len}-byte message does not fit a ${this.maxBytes}-byte MoldUDP64 packet (20-byte header, 2-byte length): raise --max-bytes (at most 65507), or the file is not binary ITCH`);
      }
      this.packetizer.push(input.buf, m, len, this.lastNs, locate);
      input.pos = m + len;
    }
    this.dequeue();
    return READY;
  }

  fill(): Promise<void> {
    return this.input.fill(this.need).then(() => undefined);
  }

  next(): Promise<boolean> {
    return pullNext(this);
  }

  close(): void {
    this.input.close();
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

