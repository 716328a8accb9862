/**
 * `mdlab decode`: every ITCH 5.0 type's fields, checked against values worked out here from the
 * bytes (big-endian, the spec's implied decimals), the real captures in ../shared/interop, the
 * same captures anonymised as public exchange samples are (IPv4 0.0.0.0, ports 0, a multicast MAC
 * kept), and tshark's MoldUDP64 dissector.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeFeed, NO_FILTER, type DecodeFilter, type DecodeSink } from '../../src/feed/decode.js';
import { looksLikeMoldUdp64 } from '../../src/feed/feed-traffic.js';
import { MESSAGES, type FieldDef } from '../../src/feed/itch/layout.js';
import { openFeed } from '../../src/feed/open-feed.js';
import { classicPcap, ethernetFrame, ipPacket, withVlan } from '../helpers/capture-build.js';
import { mdlab } from '../helpers/cli.js';
import { CAPTURES, HAS_INTEROP, INTEROP_NOTE } from '../helpers/shared.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir();
const HAS_TSHARK = spawnSync('tshark', ['--version']).status === 0;
const HAS_TCPREWRITE = spawnSync('tcprewrite', ['-V']).status === 0;

function collect(): DecodeSink & { lines: string[] } {
  const lines: string[] = [];
  return { lines, closed: false, push: (l) => (lines.push(l), true), drain: async () => {} };
}

async function decodeFile(file: string, json: boolean, filter: Partial<DecodeFilter> = {}, decodeAs?: { group: number; port: number }): Promise<string[]> {
  const sink = collect();
  await decodeFeed(await openFeed(file, { decodeAs }), { ...NO_FILTER, ...filter }, json, sink);
  return sink.lines;
}

/** The message of each type: every byte a pattern, alpha and char fields printable. */
function patternMessage(type: string): Uint8Array {
  const def = MESSAGES.find((m) => m.type === type)!;
  const b = new Uint8Array(def.length);
  for (let i = 0; i < b.length; i++) b[i] = (i * 53 + type.charCodeAt(0)) & 0xff;
  b[0] = type.charCodeAt(0);
  for (const f of def.fields) {
    if (f.kind === 'char' || f.kind === 'alpha') for (let i = 0; i < f.length; i++) b[f.offset + i] = 0x41 + ((f.offset + i) % 26);
  }
  if (def.fields.some((f) => f.kind === 'alpha')) {
    const f = def.fields.find((x) => x.kind === 'alpha')!;
    b[f.offset + f.length - 1] = 0x20; // space padding, which decode trims
  }
  return b;
}

/** Big-endian unsigned integer of `len` bytes at `off`, worked out here, not by the codec. */
function be(b: Uint8Array, off: number, len: number): bigint {
  let n = 0n;
  for (let i = 0; i < len; i++) n = (n << 8n) | BigInt(b[off + i]);
  return n;
}

function expectedJson(b: Uint8Array, f: FieldDef): string {
  if (f.kind === 'char' || f.kind === 'alpha') return JSON.stringify(String.fromCharCode(...b.subarray(f.offset, f.offset + f.length)).replace(/ +$/, ''));
  return be(b, f.offset, f.length).toString();
}

function expectedText(b: Uint8Array, f: FieldDef): string {
  const n = be(b, f.offset, f.length);
  if (f.kind === 'price4') return `${n / 10000n}.${(n % 10000n).toString().padStart(4, '0')}`;
  if (f.kind === 'price8') return `${n / 100000000n}.${(n % 100000000n).toString().padStart(8, '0')}`;
  if (f.kind === 'char' || f.kind === 'alpha') return String.fromCharCode(...b.subarray(f.offset, f.offset + f.length)).replace(/ +$/, '');
  return n.toString();
}

function moldPacket(session: string, seq: number, messages: Uint8Array[]): Uint8Array {
  const len = 20 + messages.reduce((a, m) => a + 2 + m.length, 0);
  const p = new Uint8Array(len);
  const v = new DataView(p.buffer);
  for (let i = 0; i < 10; i++) p[i] = i < session.length ? session.charCodeAt(i) : 0x20;
  v.setBigUint64(10, BigInt(seq));
  v.setUint16(18, messages.length);
  let q = 20;
  for (const m of messages) {
    v.setUint16(q, m.length);
    p.set(m, q + 2);
    q += 2 + m.length;
  }
  return p;
}

/** A field's literal in a JSON line, as written (JSON.parse would round u64s past 2^53). */
function jsonLiteral(line: string, name: string): string {
  const m = new RegExp(`"${name}":("(?:[^"\\\\]|\\\\.)*"|[0-9]+)`).exec(line);
  return m ? m[1] : '(absent)';
}

describe('mdlab decode: every ITCH 5.0 type (spec sections 1.1-1.8)', () => {
  const types = MESSAGES.map((m) => m.type);
  const file = tmp.file('every-type.pcap');
  const messages = types.map(patternMessage);
  writeFileSync(file, classicPcap({ littleEndian: true, nanosecond: true, linktype: 1 }, [
    { sec: 1767623399, frac: 5, data: ethernetFrame({ dst: 0xef640101, dstPort: 26400, payload: moldPacket('SPEC01', 0x1_0000_0000_0001, messages) }) },
  ]));

  it('writes one JSON line per type, every field an exact literal worked out from its bytes', async () => {
    const lines = await decodeFile(file, true);
    expect(lines).toHaveLength(types.length);
    lines.forEach((line, i) => {
      const def = MESSAGES[i];
      const b = messages[i];
      expect(jsonLiteral(line, 'type')).toBe(JSON.stringify(def.type));
      expect(jsonLiteral(line, 'name')).toBe(JSON.stringify(def.name));
      expect(jsonLiteral(line, 'sequence')).toBe(String(0x1_0000_0000_0001 + i));
      expect(jsonLiteral(line, 'stockLocate')).toBe(be(b, 1, 2).toString());
      expect(jsonLiteral(line, 'trackingNumber')).toBe(be(b, 3, 2).toString());
      expect(jsonLiteral(line, 'timestamp')).toBe(be(b, 5, 6).toString());
      for (const f of def.fields) expect(jsonLiteral(line, f.name), `${def.type}.${f.name}`).toBe(expectedJson(b, f));
      expect(() => JSON.parse(line)).not.toThrow();
    });
  });

  it('prints one text line per type: spec name, prices as decimals, the timestamp as HH:MM:SS.nnnnnnnnn, alpha trimmed', async () => {
    const lines = await decodeFile(file, false);
    expect(lines).toHaveLength(types.length);
    lines.forEach((line, i) => {
      const def = MESSAGES[i];
      const b = messages[i];
      expect(line.startsWith(`1 14:29:59.000000005 239.100.1.1:26400 SPEC01 ${0x1_0000_0000_0001 + i} ${def.type} ${def.name}:`), line).toBe(true);
      const ns = Number(be(b, 5, 6));
      const hms = [Math.floor(ns / 3.6e12), Math.floor(ns / 6e10) % 60, Math.floor(ns / 1e9) % 60].map((x) => String(x).padStart(2, '0')).join(':');
      expect(line).toContain(` timestamp=${hms}.${String(ns % 1e9).padStart(9, '0')}`);
      for (const f of def.fields) {
        const want = expectedText(b, f);
        expect(line, `${def.type}.${f.name}`).toContain(` ${f.name}=${want.includes(' ') || want === '' ? JSON.stringify(want) : want}`);
      }
    });
  });

  it('filters by type, locate, sequence and packet, and refuses a type ITCH 5.0 lacks in one line', async () => {
    expect(await decodeFile(file, false, { types: new Set([0x41, 0x45]) })).toHaveLength(2);
    expect((await decodeFile(file, false, { seq: { from: 0x1_0000_0000_0001 + 3, to: 0x1_0000_0000_0001 + 5 } })).map((l) => l.split(' ')[5])).toEqual(types.slice(3, 6));
    expect(await decodeFile(file, false, { packets: { from: 2, to: 9 } })).toHaveLength(0);
    const locate = Number(be(messages[10], 1, 2));
    expect((await decodeFile(file, false, { locate })).every((l) => l.includes(` stockLocate=${locate} `))).toBe(true);
    const r = mdlab(['decode', file, '--type', 'A,Z']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^mdlab: --type "Z": expected ITCH 5\.0 message types/)]);
  });
});

describe.skipIf(!HAS_INTEROP)(`mdlab decode of the real captures${INTEROP_NOTE}`, () => {
  it('Multiple.Packets.pcap prints 39 message lines with the fields read off its bytes', () => {
    const r = mdlab(['decode', join(CAPTURES, 'Multiple.Packets.pcap')]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(39);
    // Packet 1 holds one Order Delete; packet 2 the rest, from sequence 19009117.
    expect(lines[0]).toBe('1 13:30:00.007661955 233.54.12.111:26477 000010059B 14764496 D Order Delete: stockLocate=2737 trackingNumber=0 timestamp=09:30:00.007495351 orderReferenceNumber=23485802');
    expect(lines[1]).toContain('2 13:30:38.952561782 233.54.12.111:26477 000010059B 19009117 A Add Order - No MPID Attribution: stockLocate=6514');
    expect(lines[1]).toContain('stock=META price=80.5200');
    expect(lines.filter((l) => / A Add Order/.test(l))).toHaveLength(36);
    expect(lines.filter((l) => / F Add Order - MPID/.test(l))).toHaveLength(2);
    expect(r.stderr).toContain('decoded 39 messages in 2 packets');
  });

  it('the Add Order of DESIGN §7 prints with its decimal price and its time of day', async () => {
    const [line] = await decodeFile(join(CAPTURES, 'AddOrderNoMpidAttributionMessage.pcap'), false);
    expect(line).toContain('A Add Order - No MPID Attribution: stockLocate=5528 trackingNumber=0 timestamp=09:29:59.999894278 orderReferenceNumber=23508286 buySellIndicator=B shares=1600 stock=IVOO price=87.3900');
  });

  it('--stock follows a stock through its locate, to messages that do not name it', async () => {
    const lines = await decodeFile(join(CAPTURES, 'Multiple.Packets.pcap'), false, { stock: 'META' });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.includes('stockLocate=6514'))).toBe(true);
  });
});

/** The anonymised twin of a capture, made as public exchange samples are (the recipe). */
function anonymise(src: string, out: string): void {
  const r = spawnSync('tcprewrite', [
    '--dstipmap=233.54.12.111/32:0.0.0.0/32', '--srcipmap=206.200.127.138/32:0.0.0.0/32', '--portmap=26477:0,49653:0', '--fixcsum', '-i', src, '-o', out,
  ], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
}

/** Ethernet (with its VLAN tag) stripped: raw IPv4 frames (linktype 228), where no MAC is left to go by. */
function toRawIp(src: string, out: string): void {
  const b = readFileSync(src);
  const le = b.readUInt32LE(0) === 0xa1b2c3d4 || b.readUInt32LE(0) === 0xa1b23c4d;
  const records = [];
  for (let off = 24; off + 16 <= b.length;) {
    const len = le ? b.readUInt32LE(off + 8) : b.readUInt32BE(off + 8);
    const frame = b.subarray(off + 16, off + 16 + len);
    records.push({ sec: le ? b.readUInt32LE(off) : b.readUInt32BE(off), frac: le ? b.readUInt32LE(off + 4) : b.readUInt32BE(off + 4), data: frame.subarray(18) });
    off += 16 + len;
  }
  writeFileSync(out, classicPcap({ littleEndian: le, nanosecond: false, linktype: 228 }, records));
}

/** The messages themselves: sequence, type and fields, without the group and wire time that anonymising changes. */
function messagesOnly(lines: string[]): string[] {
  return lines.map((l) => l.replace(/"packet".*?"session":"[^"]*",/, ''));
}

describe.skipIf(!HAS_INTEROP || !HAS_TCPREWRITE)(`anonymised captures (IPv4 0.0.0.0, ports 0)${INTEROP_NOTE}${HAS_TCPREWRITE ? '' : ' [skipped: tcprewrite is not installed; .ci/run installs tcpreplay]'}`, () => {
  const original = join(CAPTURES, 'Multiple.Packets.pcap');

  it('decode to the same messages as the originals, by the multicast MAC, and say which group they were given', async () => {
    const anon = tmp.file('anon.pcap');
    anonymise(original, anon);
    const want = messagesOnly(await decodeFile(original, true));
    expect(want).toHaveLength(39);
    const got = await decodeFile(anon, true);
    expect(messagesOnly(got)).toEqual(want);
    expect(got.every((l) => l.includes('"group":"239.54.12.111:26400"'))).toBe(true); // 01:00:5e:36:0c:6f: the 23 bits of 233.54.12.111
    const r = mdlab(['inspect', anon, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ packets: 2, messages: 39, skippedFrames: {} });
    expect(s.assignedGroups).toEqual([expect.objectContaining({ rule: 'multicast-mac', from: 'MAC 01:00:5e:36:0c:6f', group: '239.54.12.111:26400', packets: 2 })]);
    expect(mdlab(['inspect', anon]).stdout).toContain('MAC 01:00:5e:36:0c:6f → 239.54.12.111:26400');
  });

  it('without a MAC (raw IP), by the MoldUDP64 heuristic, one default group per session; --decode-as overrides', async () => {
    const anon = tmp.file('anon2.pcap');
    const raw = tmp.file('anon-raw.pcap');
    anonymise(original, anon);
    toRawIp(anon, raw);
    const want = messagesOnly(await decodeFile(original, true));
    const got = await decodeFile(raw, true);
    expect(messagesOnly(got)).toEqual(want);
    expect(got.every((l) => l.includes('"group":"239.100.1.1:26400"'))).toBe(true);
    const forced = await decodeFile(raw, true, {}, { group: 0xe9360c6f, port: 26477 });
    expect(forced.every((l) => l.includes('"group":"233.54.12.111:26477"'))).toBe(true);
    expect(messagesOnly(forced)).toEqual(want);
  });
});

describe.skipIf(!HAS_TCPREWRITE)(`a lab replays an anonymised capture${HAS_TCPREWRITE ? '' : ' [skipped: tcprewrite is not installed; .ci/run installs tcpreplay]'}`, () => {
  it('groups assigned by the multicast MAC, and the run says so in its report and JSON', () => {
    const anon = tmp.file('anon-default.pcap');
    const maps = [1, 2, 3, 4].map((k) => `239.100.1.${k}/32:0.0.0.0/32`).join(',');
    const r = spawnSync('tcprewrite', [`--dstipmap=${maps}`, '--srcipmap=198.18.0.10/32:0.0.0.0/32', '--portmap=26400:0', '--fixcsum', '-i', join(process.cwd(), 'recordings', 'default.pcap'), '-o', anon], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const config = tmp.file('anon.yaml');
    writeFileSync(config, `recording: ${anon}\nnic: {model: sfn6122f}\nsubscribers:\n  - name: book1\n    groups: [239.100.1.1:26400, 239.100.1.2:26400]\n`);
    const json = tmp.file('anon.json');
    const run = mdlab(['run', config, '--headless', '--duration', '1s', '--json', json], {}, 60_000);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('recording: groups assigned by multicast-mac (IP destination 0.0.0.0, Ethernet destination a multicast MAC: the group from its 23 bits, under 239/8): MAC 01:00:5e:64:01:01 → 239.100.1.1:26400');
    const doc = JSON.parse(readFileSync(json, 'utf8'));
    expect(doc.config.assignedGroups.map((a: { group: string }) => a.group)).toEqual(['239.100.1.1:26400', '239.100.1.2:26400', '239.100.1.3:26400', '239.100.1.4:26400']);
    expect(doc.totals.sent).toBeGreaterThan(0);
    expect(doc.totals.balanced).toBe(true);
  });
});

describe('the MoldUDP64 heuristic (rule 3 of src/feed/feed-traffic.ts)', () => {
  const ok = moldPacket('ABC 123', 7, [patternMessage('A'), patternMessage('D')]);
  const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
  it('takes a packet whose blocks tile it and whose types are ITCH 5.0, and a 20-byte heartbeat', () => {
    expect(looksLikeMoldUdp64(ok, view(ok), 0, ok.length)).toBe(true);
    const hb = moldPacket('ABC 123', 7, []);
    expect(looksLikeMoldUdp64(hb, view(hb), 0, 20)).toBe(true);
  });
  it('refuses a non-printable session, blocks that do not tile, an unknown type, a short message', () => {
    const bad = [
      (b: Uint8Array) => (b[3] = 0x07),
      (b: Uint8Array) => view(b).setUint16(18, 3),
      (b: Uint8Array) => (b[22] = 0x5a), // 'Z': no such type
      (b: Uint8Array) => view(b).setUint16(20, 10),
    ];
    for (const spoil of bad) {
      const b = Uint8Array.from(ok);
      spoil(b);
      expect(looksLikeMoldUdp64(b, view(b), 0, b.length)).toBe(false);
    }
    expect(looksLikeMoldUdp64(ok, view(ok), 0, ok.length + 0 - 1)).toBe(false); // a byte short: blocks overrun
  });
});

describe.skipIf(!HAS_TSHARK)(`decode agrees with tshark's MoldUDP64 fields${HAS_TSHARK ? '' : ' [skipped: tshark is not installed; .ci/run installs it]'}`, () => {
  it('sessions, sequences and message counts per packet of the bundled recording', async () => {
    const file = join(process.cwd(), 'recordings', 'default.pcap');
    const r = spawnSync('tshark', ['-r', file, '-d', 'udp.port==26400,moldudp64', '-T', 'fields', '-E', 'separator=|', '-e', 'frame.number', '-e', 'moldudp64.session', '-e', 'moldudp64.sequence', '-e', 'moldudp64.count'], { encoding: 'utf8', maxBuffer: 256 << 20 });
    expect(r.status, r.stderr).toBe(0);
    const theirs = new Map<number, string>();
    for (const row of r.stdout.trim().split('\n')) {
      const [n, session, seq, count] = row.split('|');
      if (count !== '0' && count !== '65535') theirs.set(Number(n), `${session.trim()}|${seq}|${count}`);
    }
    const ours = new Map<number, { session: string; seq: string; count: number }>();
    for (const line of await decodeFile(file, true)) {
      const n = Number(jsonLiteral(line, 'packet'));
      if (jsonLiteral(line, 'name') === '(absent)') continue; // heartbeats, end-of-session
      const o = ours.get(n);
      if (o) o.count++;
      else ours.set(n, { session: JSON.parse(jsonLiteral(line, 'session')), seq: jsonLiteral(line, 'sequence'), count: 1 });
    }
    expect(ours.size).toBe(theirs.size);
    for (const [n, o] of ours) expect(`${o.session}|${o.seq}|${o.count}`, `packet ${n}`).toBe(theirs.get(n));
  });
});
