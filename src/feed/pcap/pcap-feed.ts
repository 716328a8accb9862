/** Captured frames to feed packets: decode link and IP/UDP headers, keep multicast UDP. */
import { decodeFrame, newDatagram } from '../frame.js';
import { MOLD_HEADER_LENGTH } from '../moldudp64.js';
import { GroupAssigner, type DecodeAs, type GroupAssignment } from '../feed-traffic.js';
import { countSkip, newFeedPacket, pullNext, type FeedReader, type SkipCounts } from '../feed-reader.js';
import { READY, type CaptureStats, type FrameReader, type PullResult } from './frame-reader.js';

export class PcapFeedReader implements FeedReader {
  readonly packet = newFeedPacket();
  readonly skipped: SkipCounts = {};
  readonly format: string;
  private readonly dgram = newDatagram();
  private readonly assigner: GroupAssigner;

  constructor(private readonly frames: FrameReader, decodeAs?: DecodeAs) {
    this.format = frames.input.compressed ? `${frames.format}+gzip` : frames.format;
    this.assigner = new GroupAssigner(decodeAs);
  }

  get assignments(): GroupAssignment[] {
    return this.assigner.assignments;
  }

  get path(): string {
    return this.frames.input.name;
  }

  describe(): Record<string, string | number> {
    return this.frames.describe();
  }

  captureStats(): CaptureStats[] {
    return this.frames.captureStats();
  }

  nextSync(): PullResult {
    const frames = this.frames;
    for (;;) {
      const r = frames.nextSync();
      if (r !== READY) return r;
      const f = frames.frame;
      const input = frames.input;
      const skip = decodeFrame(f.linktype, input.buf, input.view, f.dataOffset, f.capturedLength, this.dgram);
      if ((skip === 'unaddressed' || skip === 'not-multicast') && this.assigner.assign(this.dgram, skip === 'unaddressed', input.buf, input.view, f.number)) {
        // taken as feed traffic to the group the assigner gave it
      } else if (skip !== null) {
        countSkip(this.skipped, skip, f.number);
        continue;
      }
      const d = this.dgram;
      if (d.payloadLength < MOLD_HEADER_LENGTH) {
        countSkip(this.skipped, 'not-moldudp64', f.number);
        continue;
      }
      const p = this.packet;
      p.number = f.number;
      p.tsSec = f.tsSec;
      p.tsNsec = f.tsNsec;
      p.srcAddr = d.srcAddr;
      p.srcPort = d.srcPort;
      p.dstAddr = d.dstAddr;
      p.dstPort = d.dstPort;
      p.bytes = input.buf;
      p.view = input.view;
      p.offset = d.payloadOffset;
      p.length = d.payloadLength;
      return READY;
    }
  }

  fill(): Promise<void> {
    return this.frames.fill();
  }

  next(): Promise<boolean> {
    return pullNext(this);
  }

  close(): void {
    this.frames.input.close();
  }
}

