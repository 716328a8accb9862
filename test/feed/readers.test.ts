import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ipv4ToString, parseIpv4 } from '../../src/feed/bytes.js';
import { openFeed } from '../../src/feed/open-feed.js';
import { inspectFeed } from '../../src/feed/inspect.js';
import { formatInspect } from '../../src/cli/inspect.js';
import { MoldPacketBuilder } from '../../src/feed/moldudp64.js';
import { MdlabError } from '../../src/errors.js';
import { classicPcap, ethernetFrame, ipPacket, linuxCookedV1, linuxCookedV2, pcapng, withVlan, type Datagram } from '../helpers/capture-build.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir();
const GROUP = parseIpv4('239.100.1.1')!;

function mold(seq: number, messages: Uint8Array[]): Uint8Array {
  const b = new MoldPacketBuilder(1400);
  b.begin('SESSION001', seq);
  for (const m of messages) b.append(m);
  return b.bytes.slice(0, b.byteLength);
}

const DELETE = (ref: number) => {
  const m = new Uint8Array(19);
  m[0] = 0x44; // 'D'
  new DataView(m.buffer).setUint32(15, ref);
  return m;
};

const dgram = (seq: number, n = 1, dst = GROUP): Datagram => ({ dst, dstPort: 26400, payload: mold(seq, Array.from({ length: n }, (_, i) => DELETE(seq + i))) });

async function readAll(path: string) {
  const r = await openFeed(path);
  const out: { number: number; sec: number; nsec: number; dst: string; port: number; len: number; seq: number }[] = [];
  while (await r.next()) {
    const p = r.packet;
    out.push({ number: p.number, sec: p.tsSec, nsec: p.tsNsec, dst: ipv4ToString(p.dstAddr), port: p.dstPort, len: p.length, seq: p.view.getUint32(p.offset + 14) });
  }
  r.close();
  return { packets: out, skipped: r.skipped, format: r.format };
}

async function errorOf(path: string): Promise<string> {
  try {
    const r = await openFeed(path);
    while (await r.next());
  } catch (err) {
    expect(err).toBeInstanceOf(MdlabError);
    return (err as Error).message;
  }
  throw new Error('expected an error');
}

describe('classic pcap', () => {
  for (const littleEndian of [true, false]) {
    for (const nanosecond of [true, false]) {
      it(`reads ${littleEndian ? 'little' : 'big'}-endian ${nanosecond ? 'ns' : 'µs'} files with their timestamps`, async () => {
        const frac = nanosecond ? 123456789 : 123456;
        const path = tmp.file(`c-${littleEndian}-${nanosecond}.pcap`, classicPcap({ littleEndian, nanosecond, linktype: 1 }, [
          { sec: 1_700_000_000, frac, data: ethernetFrame(dgram(1)) },
          { sec: 1_700_000_001, frac: 0, data: ethernetFrame(dgram(2, 3)) },
        ]));
        const { packets } = await readAll(path);
        expect(packets.map((p) => [p.number, p.sec, p.nsec, p.dst, p.port, p.seq])).toEqual([
          [1, 1_700_000_000, nanosecond ? 123456789 : 123456000, '239.100.1.1', 26400, 1],
          [2, 1_700_000_001, 0, '239.100.1.1', 26400, 2],
        ]);
        expect(packets[1].len).toBe(20 + 3 * 21);
      });
    }
  }

  const ip = ipPacket(ethernetFrame(dgram(7)));
  it.each([
    ['Ethernet with an 802.1Q tag', 1, withVlan(ethernetFrame(dgram(7)))],
    ['Ethernet with two tags (QinQ)', 1, withVlan(withVlan(ethernetFrame(dgram(7)), 10), 20)],
    ['raw IP (101)', 101, ip],
    ['raw IPv4 (228)', 228, ip],
    ['Linux cooked v1 (113)', 113, linuxCookedV1(ip)],
    ['Linux cooked v2 (276)', 276, linuxCookedV2(ip)],
  ])('decodes link type %s', async (_name, linktype, data) => {
    const path = tmp.file(`lt-${linktype}-${data.length}.pcap`, classicPcap({ littleEndian: true, nanosecond: true, linktype }, [{ sec: 1, frac: 0, data }]));
    const { packets } = await readAll(path);
    expect(packets).toHaveLength(1);
    expect(packets[0]).toMatchObject({ dst: '239.100.1.1', port: 26400, seq: 7, len: 41 });
  });

  it('counts and skips what is not multicast UDP/IPv4, with reasons', async () => {
    const unicast = ethernetFrame({ ...dgram(1), dst: parseIpv4('10.1.2.3')! });
    const tcp = ethernetFrame(dgram(1));
    tcp[14 + 9] = 6;
    const arp = ethernetFrame(dgram(1));
    arp[12] = 0x08;
    arp[13] = 0x06;
    const fragment = ethernetFrame(dgram(1));
    fragment[14 + 6] = 0x20; // more fragments
    const cut = ethernetFrame(dgram(1)).subarray(0, 50);
    const path = tmp.file('mixed.pcap', classicPcap({ littleEndian: true, nanosecond: true, linktype: 1 }, [
      { sec: 1, frac: 0, data: unicast }, { sec: 1, frac: 1, data: tcp }, { sec: 1, frac: 2, data: arp },
      { sec: 1, frac: 3, data: fragment }, { sec: 1, frac: 4, data: cut, origLen: 83 }, { sec: 1, frac: 5, data: ethernetFrame(dgram(9)) },
    ]));
    const { packets, skipped } = await readAll(path);
    expect(packets.map((p) => [p.number, p.seq])).toEqual([[6, 9]]);
    expect(skipped).toEqual({
      'not-multicast': { count: 1, firstPacket: 1 },
      'not-udp': { count: 1, firstPacket: 2 },
      'not-ipv4': { count: 1, firstPacket: 3 },
      'ip-fragment': { count: 1, firstPacket: 4 },
      'truncated-frame': { count: 1, firstPacket: 5 },
    });
  });

  it('reads gzip-compressed captures', async () => {
    const path = tmp.file('c.pcap.gz', gzipSync(classicPcap({ littleEndian: true, nanosecond: true, linktype: 1 }, [{ sec: 1, frac: 0, data: ethernetFrame(dgram(3)) }])));
    const r = await readAll(path);
    expect(r.format).toBe('pcap+gzip');
    expect(r.packets.map((p) => p.seq)).toEqual([3]);
  });

  it('streams records that straddle read chunks (a file larger than the read window)', async () => {
    const records = Array.from({ length: 30000 }, (_, i) => ({ sec: 1, frac: i, data: ethernetFrame(dgram(i + 1, 1 + (i % 7))) }));
    const path = tmp.file('big.pcap', classicPcap({ littleEndian: true, nanosecond: true, linktype: 1 }, records));
    const { packets } = await readAll(path);
    expect(packets).toHaveLength(30000);
    expect(packets.every((p, i) => p.seq === i + 1 && p.nsec === i)).toBe(true);
  });
});

describe('pcapng', () => {
  for (const le of [true, false]) {
    it(`reads ${le ? 'little' : 'big'}-endian sections with several interfaces and if_tsresol`, async () => {
      const path = tmp.file(`ng-${le}.pcapng`, pcapng(le, [
        { linktype: 1 }, // default resolution: microseconds
        { linktype: 1, tsresol: 9 }, // nanoseconds
        { linktype: 113, tsresol: 0x80 | 10 }, // 2^-10 s
      ], [
        { iface: 0, ts: 1_700_000_000_123_456n, data: ethernetFrame(dgram(1)) },
        { iface: 1, ts: 1_700_000_001_987_654_321n, data: withVlan(ethernetFrame(dgram(2))) },
        { iface: 2, ts: (1_700_000_002n << 10n) + 512n, data: linuxCookedV1(ipPacket(ethernetFrame(dgram(3)))) },
      ]));
      const { packets, format } = await readAll(path);
      expect(format).toBe('pcapng');
      expect(packets.map((p) => [p.number, p.sec, p.nsec, p.seq])).toEqual([
        [1, 1_700_000_000, 123_456_000, 1],
        [2, 1_700_000_001, 987_654_321, 2],
        [3, 1_700_000_002, 500_000_000, 3],
      ]);
    });
  }

  // draft-ietf-opsawg-pcapng §4.6: the Interface Statistics Block's isb_ifrecv (4), isb_ifdrop (5)
  // and isb_osdrop (7) are the capturing host's own counts, written by dumpcap when it stops.
  for (const le of [true, false]) {
    it(`reads the capture's own statistics (${le ? 'little' : 'big'}-endian), and inspect says a gap may be the capture's`, async () => {
      const path = tmp.file(`ng-isb-${le}.pcapng`, pcapng(le, [{ linktype: 1, name: 'lo' }, { linktype: 1 }], [
        { iface: 0, ts: 0n, data: ethernetFrame(dgram(1)) },
        { iface: 0, ts: 1n, data: ethernetFrame(dgram(4)) }, // 2 and 3 never reached the file
      ], true, [{ iface: 0, recv: 4n, ifdrop: 2n, osdrop: 0n }, { iface: 1, recv: 7n }]));
      const s = await inspectFeed(await openFeed(path));
      expect(s.captureStats).toEqual([
        { interface: 'lo', received: 4, droppedByInterface: 2, droppedByOs: 0 },
        { interface: 'interface 1', received: 7, droppedByInterface: null, droppedByOs: null },
      ]);
      expect(s.sessions[0]).toMatchObject({ gaps: 1, missingMessages: 2 });
      const text = formatInspect(s);
      expect(text).toContain('capture on lo, as its host counted: received 4, dropped 2 by the capture, dropped 0 by the OS: 2 packets never reached this file, so the gaps above may be the capture\'s, not the feed\'s');
      expect(text).toContain('capture on interface 1, as its host counted: received 7\n');
    });
  }

  it('a classic pcap, and a pcapng without statistics, have none to tell', async () => {
    const ng = tmp.file('ng-no-isb.pcapng', pcapng(true, [{ linktype: 1 }], [{ iface: 0, ts: 0n, data: ethernetFrame(dgram(1)) }]));
    const classic = tmp.file('no-isb.pcap', classicPcap({ littleEndian: true, nanosecond: false, linktype: 1 }, [{ sec: 1, frac: 0, data: ethernetFrame(dgram(1)) }]));
    for (const path of [ng, classic]) {
      const s = await inspectFeed(await openFeed(path));
      expect(s.captureStats).toEqual([]);
      expect(formatInspect(s)).not.toContain('capture on');
    }
  });

  it('says where a statistics block names an interface the section does not describe', async () => {
    const path = tmp.file('ng-isb-bad.pcapng', pcapng(true, [{ linktype: 1 }], [{ iface: 0, ts: 0n, data: ethernetFrame(dgram(1)) }], false, [{ iface: 5, recv: 1n }]));
    expect(await errorOf(path)).toMatch(/ng-isb-bad\.pcapng: byte \d+: interface statistics refer to interface 5, but the section describes 1/);
  });

  it('says which interface a packet names when the section does not describe it', async () => {
    const path = tmp.file('ng-bad-iface.pcapng', pcapng(true, [{ linktype: 1 }], [{ iface: 3, ts: 0n, data: ethernetFrame(dgram(1)) }]));
    expect(await errorOf(path)).toMatch(/interface 3, but the section describes 1/);
  });

  it('rejects a block whose lengths disagree, naming the byte offset', async () => {
    const good = pcapng(true, [{ linktype: 1 }], [{ iface: 0, ts: 0n, data: ethernetFrame(dgram(1)) }], false);
    const bad = Buffer.from(good);
    bad.writeUInt32LE(bad.readUInt32LE(bad.length - 4) + 4, bad.length - 4);
    expect(await errorOf(tmp.file('ng-bad-len.pcapng', bad))).toMatch(/^.*ng-bad-len\.pcapng: byte \d+: block's trailing length/);
  });
});

describe('binary ITCH files', () => {
  const msgs = [DELETE(1), DELETE(2), DELETE(3)];
  const file = Buffer.concat(msgs.flatMap((m) => [Buffer.from([0, m.length]), Buffer.from(m)]));

  it('packetizes plain and gzip files into MoldUDP64', async () => {
    for (const [name, data, format] of [['f.itch', file, 'itch'], ['f.itch.gz', gzipSync(file), 'itch+gzip']] as const) {
      const r = await openFeed(tmp.file(name, data));
      const s = await inspectFeed(r);
      expect(s.format).toBe(format);
      expect(s.messages).toBe(3);
      expect(s.messagesByType.D.count).toBe(3);
      expect(s.endOfSession).toBe(1);
      expect(s.sessions[0]).toMatchObject({ firstSequence: 1, nextSequence: 4, gaps: 0 });
    }
  });

  it('names the byte where a file is cut off mid-message', async () => {
    const cut = file.subarray(0, file.length - 5);
    expect(await errorOf(tmp.file('cut.itch', cut))).toMatch(/cut\.itch: byte 42 \(message 3\): truncated message: length prefix says 19 bytes, only 14 remain/);
  });
});

describe('bad input', () => {
  const ok = classicPcap({ littleEndian: true, nanosecond: true, linktype: 1 }, [
    { sec: 1, frac: 0, data: ethernetFrame(dgram(1)) },
    { sec: 1, frac: 1, data: ethernetFrame(dgram(2)) },
  ]);

  it('a truncated record: names the file, the byte offset, the record and what was expected', async () => {
    const msg = await errorOf(tmp.file('trunc.pcap', ok.subarray(0, ok.length - 10)));
    expect(msg).toMatch(/trunc\.pcap: byte 123 \(record 2\): truncated record: header says 83 bytes, only 73 remain/);
  });

  it('a truncated record header', async () => {
    const msg = await errorOf(tmp.file('trunc-h.pcap', ok.subarray(0, 24 + 16 + 83 + 7)));
    expect(msg).toMatch(/byte 123 \(record 2\): truncated record header: 7 of 16 bytes/);
  });

  it('a record longer than the snaplen', async () => {
    const bad = Buffer.from(ok);
    bad.writeUInt32LE(300000, 24 + 8);
    expect(await errorOf(tmp.file('snap.pcap', bad))).toMatch(/byte 24 \(record 1\): captured length 300000 is longer than the snaplen 262144/);
  });

  it('a bad magic', async () => {
    const bad = Buffer.from(ok);
    bad.writeUInt32LE(0xdeadbeef, 0);
    expect(await errorOf(tmp.file('magic.pcap', bad))).toMatch(/magic\.pcap: byte 0: not a recording mdlab reads \(first bytes ef be ad de/);
  });

  it('an unsupported link type', async () => {
    const bad = Buffer.from(ok);
    bad.writeUInt32LE(105, 20); // 802.11
    expect(await errorOf(tmp.file('lt.pcap', bad))).toMatch(/link type 105 is not supported/);
  });

  it('an empty file, a missing file and a directory', async () => {
    expect(await errorOf(tmp.file('empty.pcap', ''))).toMatch(/the file is empty/);
    expect(await errorOf(tmp.file('nope.pcap'))).toMatch(/nope\.pcap: no such file/);
    expect(await errorOf(tmp.dir)).toMatch(/is a directory/);
  });

  it('inspect keeps going past malformed MoldUDP64 and ITCH, counting each with where it was', async () => {
    const overrun = mold(1, [DELETE(1)]);
    new DataView(overrun.buffer).setUint16(18, 3);
    const unknown = mold(2, [Uint8Array.of(0x5a, 0, 0, 0)]);
    const short = mold(3, [DELETE(3).subarray(0, 12)]);
    const path = tmp.file('malformed.pcap', classicPcap({ littleEndian: true, nanosecond: true, linktype: 1 }, [
      { sec: 1, frac: 0, data: ethernetFrame({ dst: GROUP, dstPort: 1, payload: overrun }) },
      { sec: 1, frac: 1, data: ethernetFrame({ dst: GROUP, dstPort: 1, payload: unknown }) },
      { sec: 1, frac: 2, data: ethernetFrame({ dst: GROUP, dstPort: 1, payload: short }) },
      { sec: 1, frac: 3, data: ethernetFrame({ dst: GROUP, dstPort: 1, payload: Uint8Array.of(1, 2, 3) }) },
      { sec: 1, frac: 4, data: ethernetFrame(dgram(4)) },
    ]));
    const s = await inspectFeed(await openFeed(path));
    expect(s.complete).toBe(true);
    expect(s.malformed['moldudp64-overrun']).toMatchObject({ count: 1, first: 'packet 1, message 2 of 3, payload byte 41' });
    expect(s.malformed['itch-unknown-type']).toMatchObject({ count: 1, first: 'packet 2, message 1: type 0x5a' });
    expect(s.malformed['itch-short']).toMatchObject({ count: 1, first: "packet 3, message 1: 'D' is 12 bytes, needs 19" });
    expect(s.skippedFrames['not-moldudp64']).toMatchObject({ count: 1, first: 'packet 4' });
    expect(s.messagesByType.D.count).toBe(2);
  });

  it('inspect reports what it read before a fatal error, and where it stopped', async () => {
    const s = await inspectFeed(await openFeed(tmp.file('trunc2.pcap', ok.subarray(0, ok.length - 10))));
    expect(s.complete).toBe(false);
    expect(s.packets).toBe(1);
    expect(s.error).toMatch(/byte 123 \(record 2\): truncated record/);
  });
});
