import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readU64Number } from '../../src/feed/bytes.js';
import { decodeMessage, encodeToBuffer } from '../../src/feed/itch/codec.js';
import { openFeed } from '../../src/feed/open-feed.js';
import { inspectFeed } from '../../src/feed/inspect.js';
import { forEachMoldMessage } from '../../src/feed/moldudp64.js';
import { locateTable, makeChannels } from '../../src/feed/channels.js';
import { DEFAULT_GENERATOR, OPEN_NS, SessionGenerator } from '../../src/feed/synth/generator.js';
import { parseMix } from '../../src/feed/synth/order-flow.js';
import { SYNTH_DEFAULTS, tradingDayEpoch, writeSynthRecording, type SynthOptions } from '../../src/feed/synth/write-recording.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir();

function options(over: Partial<SynthOptions> = {}): SynthOptions {
  return {
    ...DEFAULT_GENERATOR,
    ...SYNTH_DEFAULTS,
    seed: 42,
    durationNs: 3e9,
    startNs: OPEN_NS - 1e9,
    rate: 3000,
    symbols: 60,
    dayEpochSec: tradingDayEpoch('2026-01-05'),
    ...over,
  };
}

/** Every message of a recording, in order, with its channel group and sequence number. */
async function messagesOf(path: string) {
  const r = await openFeed(path);
  const out: { group: number; seq: number; bytes: Buffer; tsSec: number; tsNsec: number }[] = [];
  while (await r.next()) {
    const p = r.packet;
    const seq = readU64Number(p.view, p.offset + 10);
    forEachMoldMessage(p.bytes, p.view, p.offset, p.length, (off, len, i) => {
      out.push({ group: p.dstAddr, seq: seq + i, bytes: Buffer.from(p.bytes.subarray(off, off + len)), tsSec: p.tsSec, tsNsec: p.tsNsec });
    });
  }
  return out;
}

describe('mdlab synth', () => {
  it('is deterministic: the same seed gives the same bytes; another seed does not', async () => {
    const a = await writeSynthRecording(options(), tmp.file('a.pcap'));
    const b = await writeSynthRecording(options(), tmp.file('b.pcap'));
    const c = await writeSynthRecording(options({ seed: 43 }), tmp.file('c.pcap'));
    expect(readFileSync(tmp.file('a.pcap')).equals(readFileSync(tmp.file('b.pcap')))).toBe(true);
    expect(a.sha256).toBe(b.sha256);
    expect(c.sha256).not.toBe(a.sha256);
  });

  it('round-trips through the reader with every message, in order, byte-exact on its channel', async () => {
    const o = options();
    const channels = makeChannels(o.channels, o.symbols, o.groupBase, o.port);
    const byLocate = locateTable(channels);
    const generated: string[][] = channels.map(() => []);
    new SessionGenerator(o, (bytes, len, _ts, locate) => {
      const hex = Buffer.from(bytes.subarray(0, len)).toString('hex');
      // Market-wide messages (locate 0) go to every channel.
      if (byLocate[locate] < 0) for (const g of generated) g.push(hex);
      else generated[byLocate[locate]].push(hex);
    }).run();
    await writeSynthRecording(o, tmp.file('rt.pcap'));
    const read = await messagesOf(tmp.file('rt.pcap'));
    const onWire: string[][] = channels.map(() => []);
    for (const m of read) onWire[channels.findIndex((c) => c.group === m.group)].push(m.bytes.toString('hex'));
    expect(onWire.map((c) => c.length)).toEqual(generated.map((c) => c.length));
    expect(onWire).toEqual(generated);
    for (const m of read) expect(encodeToBuffer(decodeMessage(m.bytes)).equals(m.bytes)).toBe(true);
  });

  it('sends the stock directory first and refers only to live orders', async () => {
    await writeSynthRecording(options({ durationNs: 4e9 }), tmp.file('flow.pcap'));
    const read = await messagesOf(tmp.file('flow.pcap'));
    const listed = new Set<number>();
    const live = new Map<bigint, number>(); // ref → shares
    const counts: Record<string, number> = {};
    for (const { bytes } of read) {
      const m = decodeMessage(bytes);
      counts[m.type] = (counts[m.type] ?? 0) + 1;
      if (m.type === 'R') listed.add(m.stockLocate);
      else if (m.stockLocate !== 0) expect(listed.has(m.stockLocate), `${m.type} for locate ${m.stockLocate} before its directory entry`).toBe(true);
      const ref = m.orderReferenceNumber as bigint;
      switch (m.type) {
        case 'A':
        case 'F':
          expect(live.has(ref)).toBe(false);
          live.set(ref, m.shares as number);
          break;
        case 'E':
        case 'C': {
          const left = live.get(ref);
          expect(left, `execution of order ${ref}, which is not live`).toBeDefined();
          expect(m.executedShares as number).toBeLessThanOrEqual(left!);
          if (left === m.executedShares) live.delete(ref);
          else live.set(ref, left! - (m.executedShares as number));
          break;
        }
        case 'X': {
          const left = live.get(ref);
          expect(left, `cancel of order ${ref}, which is not live`).toBeDefined();
          expect(m.cancelledShares as number).toBeLessThan(left!);
          live.set(ref, left! - (m.cancelledShares as number));
          break;
        }
        case 'D':
          expect(live.delete(ref), `delete of order ${ref}, which is not live`).toBe(true);
          break;
        case 'U': {
          const old = m.originalOrderReferenceNumber as bigint;
          expect(live.delete(old), `replace of order ${old}, which is not live`).toBe(true);
          live.set(m.newOrderReferenceNumber as bigint, m.shares as number);
          break;
        }
      }
    }
    // A realistic mix: adds, deletes, executions, replaces, cancels, the cross, system events.
    for (const t of ['S', 'R', 'H', 'A', 'F', 'D', 'E', 'X', 'U', 'Q', 'I']) expect(counts[t], t).toBeGreaterThan(0);
    expect(read[0].bytes[0]).toBe(0x53); // 'S': Start of Messages first
  });

  it('splits symbols into channels: one group and session each, sequences from 1 without gaps', async () => {
    await writeSynthRecording(options({ channels: 3 }), tmp.file('ch.pcap'));
    const s = await inspectFeed(await openFeed(tmp.file('ch.pcap')));
    expect(s.groups.map((g) => g.group)).toEqual(['239.100.1.1:26400', '239.100.1.2:26400', '239.100.1.3:26400']);
    expect(s.sessions.map((x) => x.session)).toEqual(['MDLAB01', 'MDLAB02', 'MDLAB03']);
    for (const x of s.sessions) expect(x).toMatchObject({ firstSequence: 1, gaps: 0, duplicateMessages: 0, endOfSession: 1 });
    expect(s.sessions.reduce((n, x) => n + x.messages, 0)).toBe(s.messages);
  });

  it('bursts at the opening cross far above the quiet baseline, and burstiness 0 flattens it', async () => {
    const bursty = await inspectFeed(await openFeed((await writeSynthRecording(options({ durationNs: 4e9 }), tmp.file('burst.pcap'))).file));
    const flat = await inspectFeed(await openFeed((await writeSynthRecording(options({ durationNs: 4e9, burstiness: 0 }), tmp.file('flat.pcap'))).file));
    const peak100 = (s: typeof bursty) => s.peakRate.find((r) => r.window === '100ms')!.messagesPerSecond;
    expect(peak100(bursty)).toBeGreaterThan(5 * 3000);
    // The burst peaks just after 09:30:00, one second into the recording.
    expect(bursty.peakRate.find((r) => r.window === '100ms')!.messagesPeakAtMs).toBeGreaterThan(1000);
    expect(bursty.peakRate.find((r) => r.window === '100ms')!.messagesPeakAtMs).toBeLessThan(1400);
    expect(flat.messages).toBeLessThan(bursty.messages / 2);
  });

  it('sends a heartbeat on a channel idle for the heartbeat interval', async () => {
    // One symbol per channel on a slow feed: channels go quiet for longer than 50 ms.
    const s = await writeSynthRecording(options({ rate: 20, symbols: 4, channels: 4, burstiness: 0, heartbeatNs: 50e6 }), tmp.file('hb.pcap'));
    const i = await inspectFeed(await openFeed(s.file));
    expect(i.heartbeats).toBeGreaterThan(10);
    for (const x of i.sessions) expect(x.gaps).toBe(0);
  });

  it('parses the message mix and rejects unknown actions', () => {
    expect(parseMix('add=50,trade=5')).toMatchObject({ add: 50, trade: 5, delete: 30 });
    expect(() => parseMix('buy=3')).toThrow(/ACTION=WEIGHT/);
    expect(() => parseMix('add=0')).toThrow(/add must have a positive weight/);
  });
});

describe('synth --lines 2 (A/B lines, DESIGN §13)', () => {
  it('writes line B byte-identical to line A per packet, on its own groups, later by its lag and jitter, in wire-time order; line A unchanged', async () => {
    const one = tmp.file('a.pcap');
    const two = tmp.file('ab.pcap');
    await writeSynthRecording(options({ channels: 2 }), one);
    const summary = await writeSynthRecording(options({ channels: 2, lines: 2, lineBDelayNs: 20e3, lineBJitterNs: 10e3 }), two);
    expect(summary.channels.map((c) => c.lineB)).toEqual(['239.100.2.1:26400', '239.100.2.2:26400']);
    const packets = async (path: string) => {
      const r = await openFeed(path);
      const out: { group: number; t: number; bytes: string }[] = [];
      // Seconds from the day's midnight, so that ns stay exact in a double.
      const day = tradingDayEpoch('2026-01-05');
      while (await r.next()) out.push({ group: r.packet.dstAddr, t: (r.packet.tsSec - day) * 1e9 + r.packet.tsNsec, bytes: Buffer.from(r.packet.bytes.subarray(r.packet.offset, r.packet.offset + r.packet.length)).toString('hex') });
      return out;
    };
    const a = await packets(one);
    const ab = await packets(two);
    const lineA = ab.filter((p) => p.group >>> 8 === ((239 << 24) | (100 << 16) | (1 << 8)) >>> 8);
    const lineB = ab.filter((p) => p.group >>> 8 === ((239 << 24) | (100 << 16) | (2 << 8)) >>> 8);
    expect(ab.length).toBe(2 * a.length);
    // Line A is the one-line recording exactly; line B carries the same payloads in the same order per channel.
    expect(lineA).toEqual(a);
    for (const ch of [1, 2]) {
      const pa = lineA.filter((p) => (p.group & 0xff) === ch);
      const pb = lineB.filter((p) => (p.group & 0xff) === ch);
      expect(pb.map((p) => p.bytes)).toEqual(pa.map((p) => p.bytes));
      const lags = pb.map((p, i) => p.t - pa[i].t);
      expect(Math.min(...lags)).toBeGreaterThanOrEqual(20e3 - 1);
      expect(Math.max(...lags)).toBeLessThan(1e6);
      const mean = lags.reduce((n, x) => n + x, 0) / lags.length;
      expect(mean).toBeGreaterThan(25e3);
      expect(mean).toBeLessThan(60e3);
    }
    // In wire-time order as line A itself is: the packetizer closes a channel's packet at its
    // last message's time, so a file may step back by a coalescing window (5 µs), never more.
    const worstStepBack = (ps: { t: number }[]) => ps.reduce((w, p, i) => (i > 0 && ps[i - 1].t - p.t > w ? ps[i - 1].t - p.t : w), 0);
    expect(worstStepBack(a)).toBeLessThanOrEqual(5e3);
    expect(worstStepBack(ab)).toBeLessThanOrEqual(5e3);
  });
});

