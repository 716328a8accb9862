/**
 * `mdlab synth`: a seeded trading session, split into channels (one multicast group and one
 * MoldUDP64 session each), packetized, written as a pcap. Same options, same bytes.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { MdlabError } from '../../errors.js';
import { ipv4ToString, parseIpv4 } from '../bytes.js';
import { FEED_SOURCE_ADDRESS, FEED_SOURCE_PORT, formatGroup, makeChannels, parseGroup, type Channel } from '../channels.js';
import { Prng } from './prng.js';
import { MESSAGE_BY_CODE } from '../itch/layout.js';
import { DEFAULT_PACKETIZER, Packetizer } from '../packetizer.js';
import { PcapWriter } from '../pcap/writer.js';
import { SessionGenerator, type GeneratorOptions } from './generator.js';

export interface SynthOptions extends GeneratorOptions {
  channels: number;
  groupBase: string;
  port: number;
  /** Epoch seconds of the trading day's midnight (pcap timestamps = this + ITCH time). */
  dayEpochSec: number;
  maxMessages: number;
  maxBytes: number;
  coalesceNs: number;
  heartbeatNs: number;
  /**
   * A/B lines (DESIGN §13): with 2, every packet is written twice, byte-identical, on line A (the
   * channel's group) and on line B (the same channel on `lineBBase`'s groups), B a little later
   * with its own jitter, as an exchange's second feed arrives over another path.
   */
  lines?: 1 | 2;
  lineBBase?: string;
  /** Line B's fixed lag behind line A, and the mean of its random jitter on top (exponential), ns. */
  lineBDelayNs?: number;
  lineBJitterNs?: number;
}

export interface SynthSummary {
  file: string;
  sha256: string;
  seed: number;
  durationMs: number;
  packets: number;
  messages: number;
  bytes: number;
  symbols: number;
  messagesByType: Record<string, number>;
  channels: { group: string; session: string; locates: string; packets: number; messages: number; lineB?: string }[];
  newsSpikes: { atMs: number; symbol: string }[];
}

/** Midnight in New York (EST, UTC-5) of a date given as YYYY-MM-DD, in epoch seconds. */
export function tradingDayEpoch(date: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) throw new RangeError(`date ${JSON.stringify(date)}: expected YYYY-MM-DD`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 5) / 1000;
}

export async function writeSynthRecording(o: SynthOptions, out: string, onProgress?: (fraction: number) => void): Promise<SynthSummary> {
  const channels = makeChannels(o.channels, o.symbols, o.groupBase, o.port);
  const writer = new PcapWriter(out);
  const src = parseIpv4(FEED_SOURCE_ADDRESS) ?? 0;
  const perChannel = channels.map(() => ({ packets: 0, messages: 0 }));
  const byType = new Float64Array(256);
  const lineB = o.lines === 2 ? new LineB(o, channels) : null;
  const write = (wireNs: number, group: number, port: number, bytes: Uint8Array, len: number): void => {
    const sec = Math.floor(wireNs / 1e9);
    writer.writeDatagram(o.dayEpochSec + sec, wireNs - sec * 1e9, src, FEED_SOURCE_PORT, group, port, bytes, 0, len);
  };
  try {
    const packetizer = new Packetizer(
      { channels, maxMessages: o.maxMessages, maxBytes: o.maxBytes, coalesceNs: o.coalesceNs, heartbeatNs: o.heartbeatNs },
      (ch, wireNs, bytes, len) => {
        // Line B's copies due before this packet go first: the file stays in wire-time order.
        lineB?.flushBefore(wireNs, write);
        write(wireNs, ch.group, ch.port, bytes, len);
        lineB?.add(ch.index, wireNs, bytes, len);
        perChannel[ch.index].packets++;
        perChannel[ch.index].messages += len > 20 ? new DataView(bytes.buffer, bytes.byteOffset).getUint16(18) : 0;
      },
    );
    let lastTs = 0;
    const gen = new SessionGenerator(o, (bytes, len, ts, locate) => {
      // Counted as on the wire: market-wide messages (locate 0) go to every channel.
      byType[bytes[0]] += locate === 0 ? channels.length : 1;
      lastTs = ts;
      packetizer.push(bytes, 0, len, ts, locate);
    });
    gen.run(onProgress);
    packetizer.finish(Math.max(lastTs, o.startNs + o.durationNs - 1), true);
    lineB?.flushBefore(Infinity, write);
    writer.close();
    const messagesByType: Record<string, number> = {};
    for (let c = 0; c < 256; c++) if (byType[c] > 0 && MESSAGE_BY_CODE[c]) messagesByType[String.fromCharCode(c)] = byType[c];
    return {
      file: out,
      sha256: await sha256File(out),
      seed: o.seed,
      durationMs: o.durationNs / 1e6,
      packets: writer.packets,
      messages: perChannel.reduce((n, c) => n + c.messages, 0),
      bytes: writer.bytes,
      symbols: o.symbols,
      messagesByType,
      channels: channels.map((c, i) => ({
        group: formatGroup(c.group, c.port),
        session: c.session.trimEnd(),
        locates: `${c.locateFrom}-${Math.min(c.locateTo, o.symbols)}`,
        packets: perChannel[i].packets,
        messages: perChannel[i].messages,
        ...(lineB ? { lineB: formatGroup(lineB.groups[i], c.port) } : {}),
      })),
      newsSpikes: gen.spikes.map((s) => ({ atMs: (s.atNs - o.startNs) / 1e6, symbol: s.symbol })),
    };
  } catch (err) {
    writer.abort();
    throw err;
  }
}

/** Line B: each channel's packets again, on its own group, later by a fixed lag and a seeded jitter, in order per channel. */
class LineB {
  readonly groups: number[];
  private readonly prng: Prng;
  private readonly pending: { at: number; channel: number; bytes: Uint8Array }[] = [];
  private readonly lastAt: number[];

  constructor(private readonly o: SynthOptions, private readonly channels: Channel[]) {
    const base = parseGroup(`${o.lineBBase ?? defaultLineBBase(o.groupBase)}:${o.port}`, 'line B base').group;
    this.groups = channels.map((_, i) => (base + i) >>> 0);
    const a = new Set(channels.map((c) => c.group));
    for (const g of this.groups) if (a.has(g)) throw new MdlabError(`--line-b-base ${o.lineBBase}: line B's groups overlap line A's (${formatGroup(g, o.port)})`);
    // Its own seed: line A's bytes and times are the same with or without line B.
    this.prng = new Prng((o.seed ^ 0x4c494e42) >>> 0);
    this.lastAt = channels.map(() => 0);
  }

  add(channel: number, wireNs: number, bytes: Uint8Array, len: number): void {
    const jitter = -Math.log(1 - this.prng.float()) * (this.o.lineBJitterNs ?? DEFAULT_LINE_B_JITTER_NS);
    // A line does not reorder its own packets: never before the channel's previous B copy.
    const at = Math.max(this.lastAt[channel] + 1, Math.round(wireNs + (this.o.lineBDelayNs ?? DEFAULT_LINE_B_DELAY_NS) + jitter));
    this.lastAt[channel] = at;
    const entry = { at, channel, bytes: Uint8Array.from(bytes.subarray(0, len)) };
    // Nearly always the latest: insert from the end.
    let i = this.pending.length;
    while (i > 0 && this.pending[i - 1].at > at) i--;
    this.pending.splice(i, 0, entry);
  }

  flushBefore(wireNs: number, write: (wireNs: number, group: number, port: number, bytes: Uint8Array, len: number) => void): void {
    let n = 0;
    while (n < this.pending.length && this.pending[n].at < wireNs) {
      const e = this.pending[n++];
      write(e.at, this.groups[e.channel], this.channels[e.channel].port, e.bytes, e.bytes.length);
    }
    if (n > 0) this.pending.splice(0, n);
  }
}

export const DEFAULT_LINE_B_DELAY_NS = 20e3;
export const DEFAULT_LINE_B_JITTER_NS = 10e3;

/** Line B's first group by default: line A's base one /24 up (239.100.1.1 → 239.100.2.1). */
export function defaultLineBBase(groupBase: string): string {
  const g = parseIpv4(groupBase);
  if (g === undefined) return groupBase;
  return ipv4ToString((g + 256) >>> 0);
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export const SYNTH_DEFAULTS = {
  channels: 4,
  groupBase: '239.100.1.1',
  port: 26400,
  date: '2026-01-05',
  ...DEFAULT_PACKETIZER,
};
