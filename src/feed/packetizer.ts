/**
 * Groups timestamped ITCH messages into MoldUDP64 packets, per channel, as a feed publisher
 * does: a packet closes when it is full (messages or bytes) or when the next message comes
 * later than its coalescing window; idle channels send heartbeats; the end sends end-of-session.
 * Packets come out in wire-time order (given messages in time order) through `emit`.
 */
import { locateTable, type Channel } from './channels.js';
import { MOLD_COUNT_END_OF_SESSION, MOLD_COUNT_HEARTBEAT, MOLD_HEADER_LENGTH, MoldPacketBuilder } from './moldudp64.js';

export interface PacketizerOptions {
  channels: readonly Channel[];
  /** Most messages in one packet. */
  maxMessages: number;
  /** Most UDP payload bytes in one packet (MTU 1500 - IP - UDP = 1472 at most). */
  maxBytes: number;
  /** A packet stays open this long after its first message for more to join. */
  coalesceNs: number;
  /** Heartbeat on a channel idle this long (0: never). MoldUDP64 sends about one a second. */
  heartbeatNs: number;
}

export const DEFAULT_PACKETIZER: Omit<PacketizerOptions, 'channels'> = {
  maxMessages: 64,
  maxBytes: 1400,
  coalesceNs: 5_000,
  heartbeatNs: 1_000_000_000,
};

/** emit(channel, wire time ns, payload, length): the payload buffer is reused after the call. */
export type PacketSink = (channel: Channel, wireNs: number, bytes: Uint8Array, length: number) => void;

interface ChannelState {
  channel: Channel;
  builder: MoldPacketBuilder;
  nextSequence: number;
  open: boolean;
  firstNs: number;
  lastNs: number;
  lastSentNs: number;
}

export class Packetizer {
  private readonly states: ChannelState[];
  private readonly byLocate: Int16Array;
  private readonly control: MoldPacketBuilder;
  /** Earliest time at which an open packet's window ends (Infinity when none is open). */
  private nextDeadline = Infinity;
  private readonly due: ChannelState[] = [];
  packetsEmitted = 0;
  messagesEmitted = 0;

  constructor(private readonly opts: PacketizerOptions, private readonly emit: PacketSink) {
    if (opts.maxBytes < MOLD_HEADER_LENGTH + 2 + 50 || opts.maxBytes > 65507) throw new RangeError(`max bytes per packet must be ${MOLD_HEADER_LENGTH + 52} to 65507, got ${opts.maxBytes}`);
    if (opts.maxMessages < 1 || opts.maxMessages > 0xfffe) throw new RangeError(`max messages per packet must be 1 to 65534, got ${opts.maxMessages}`);
    this.states = opts.channels.map((channel) => ({
      channel,
      builder: new MoldPacketBuilder(opts.maxBytes),
      nextSequence: 1,
      open: false,
      firstNs: 0,
      lastNs: 0,
      lastSentNs: -1,
    }));
    this.byLocate = locateTable(opts.channels);
    this.control = new MoldPacketBuilder(MOLD_HEADER_LENGTH);
  }

  /** Next sequence number each channel will use (for reports and tests). */
  sequences(): number[] {
    return this.states.map((s) => s.nextSequence);
  }

  /** Adds one message (its bytes are copied). Locate 0 goes to every channel. */
  push(bytes: Uint8Array, off: number, len: number, timestampNs: number, locate: number): void {
    this.advance(timestampNs);
    const idx = this.byLocate[locate];
    if (idx >= 0) this.add(this.states[idx], bytes, off, len, timestampNs);
    else for (const s of this.states) this.add(s, bytes, off, len, timestampNs);
  }

  private add(s: ChannelState, bytes: Uint8Array, off: number, len: number, t: number): void {
    if (s.open && (!s.builder.fits(len) || s.builder.messageCount >= this.opts.maxMessages)) this.flush(s);
    if (!s.open) {
      s.builder.begin(s.channel.session, s.nextSequence);
      s.open = true;
      s.firstNs = t;
      const deadline = t + this.opts.coalesceNs;
      if (deadline < this.nextDeadline) this.nextDeadline = deadline;
    }
    if (!s.builder.fits(len)) throw new RangeError(`a ${len}-byte message does not fit a ${this.opts.maxBytes}-byte packet`);
    const at = s.builder.reserve(len);
    s.builder.bytes.set(bytes.subarray(off, off + len), at);
    s.lastNs = t;
  }

  private flush(s: ChannelState): void {
    const b = s.builder;
    this.emit(s.channel, s.lastNs, b.bytes, b.byteLength);
    s.nextSequence += b.messageCount;
    this.messagesEmitted += b.messageCount;
    this.packetsEmitted++;
    s.lastSentNs = s.lastNs;
    s.open = false;
  }

  /** Time has reached `t`: close packets whose window ended, send heartbeats that are due. */
  advance(t: number): void {
    if (t > this.nextDeadline) {
      const due = this.due;
      due.length = 0;
      let next = Infinity;
      for (const s of this.states) {
        if (!s.open) continue;
        if (s.firstNs + this.opts.coalesceNs < t) due.push(s);
        else if (s.firstNs + this.opts.coalesceNs < next) next = s.firstNs + this.opts.coalesceNs;
      }
      if (due.length > 1) due.sort((a, b) => a.lastNs - b.lastNs || a.channel.index - b.channel.index);
      for (const s of due) this.flush(s);
      this.nextDeadline = next;
    }
    if (this.opts.heartbeatNs > 0) this.heartbeats(t);
  }

  private heartbeats(t: number): void {
    const hb = this.opts.heartbeatNs;
    for (;;) {
      // Earliest heartbeat due across channels, so they come out in time order.
      let pick: ChannelState | undefined;
      for (const s of this.states) {
        if (s.open || s.lastSentNs < 0) continue;
        if (s.lastSentNs + hb <= t && (!pick || s.lastSentNs < pick.lastSentNs)) pick = s;
      }
      if (!pick) return;
      const at = pick.lastSentNs + hb;
      this.control.control(pick.channel.session, pick.nextSequence, MOLD_COUNT_HEARTBEAT);
      this.emit(pick.channel, at, this.control.bytes, MOLD_HEADER_LENGTH);
      this.packetsEmitted++;
      pick.lastSentNs = at;
    }
  }

  /** Flushes every open packet; with `endOfSession`, sends each channel's end-of-session packet at `t`. */
  finish(t: number, endOfSession: boolean): void {
    const open = this.states.filter((s) => s.open).sort((a, b) => a.lastNs - b.lastNs || a.channel.index - b.channel.index);
    for (const s of open) this.flush(s);
    this.nextDeadline = Infinity;
    if (!endOfSession) return;
    for (const s of this.states) {
      this.control.control(s.channel.session, s.nextSequence, MOLD_COUNT_END_OF_SESSION);
      this.emit(s.channel, Math.max(t, s.lastSentNs), this.control.bytes, MOLD_HEADER_LENGTH);
      this.packetsEmitted++;
    }
  }
}
