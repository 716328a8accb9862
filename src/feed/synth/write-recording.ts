/**
 * `mdlab synth`: a seeded trading session, split into channels (one multicast group and one
 * MoldUDP64 session each), packetized, written as a pcap. Same options, same bytes.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { parseIpv4 } from '../bytes.js';
import { FEED_SOURCE_ADDRESS, FEED_SOURCE_PORT, formatGroup, makeChannels } from '../channels.js';
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
  channels: { group: string; session: string; locates: string; packets: number; messages: number }[];
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
  try {
    const packetizer = new Packetizer(
      { channels, maxMessages: o.maxMessages, maxBytes: o.maxBytes, coalesceNs: o.coalesceNs, heartbeatNs: o.heartbeatNs },
      (ch, wireNs, bytes, len) => {
        const sec = Math.floor(wireNs / 1e9);
        writer.writeDatagram(o.dayEpochSec + sec, wireNs - sec * 1e9, src, FEED_SOURCE_PORT, ch.group, ch.port, bytes, 0, len);
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
      })),
      newsSpikes: gen.spikes.map((s) => ({ atMs: (s.atNs - o.startNs) / 1e6, symbol: s.symbol })),
    };
  } catch (err) {
    writer.abort();
    throw err;
  }
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
