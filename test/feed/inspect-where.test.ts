/** `inspect` says where a session's sequence broke: gaps, duplicates and late packets, and a cut tail. */
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { inspectFeed } from '../../src/feed/inspect.js';
import { openFeed } from '../../src/feed/open-feed.js';
import { encodeToBuffer } from '../../src/feed/itch/codec.js';
import { classicPcap, ethernetFrame } from '../helpers/capture-build.js';
import { mdlab } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir();

function packet(seq: number, count: number): Uint8Array {
  const msg = encodeToBuffer({ type: 'D', stockLocate: 1, trackingNumber: 0, timestamp: 0, orderReferenceNumber: 1n });
  const p = new Uint8Array(20 + (count === 0xffff ? 0 : count * (2 + msg.length)));
  const v = new DataView(p.buffer);
  p.set(Buffer.from('WHERE01   '), 0);
  v.setBigUint64(10, BigInt(seq));
  v.setUint16(18, count);
  for (let i = 0, q = 20; count !== 0xffff && i < count; i++, q += 2 + msg.length) {
    v.setUint16(q, msg.length);
    p.set(msg, q + 2);
  }
  return p;
}

function capture(name: string, seqs: [number, number][]): string {
  const file = tmp.file(name);
  writeFileSync(file, classicPcap({ littleEndian: true, nanosecond: true, linktype: 1 }, seqs.map(([seq, count], i) => ({
    sec: 1767623400, frac: i * 1000, data: ethernetFrame({ dst: 0xef640101, dstPort: 26400, payload: packet(seq, count) }),
  }))));
  return file;
}

describe('inspect: where the sequence broke', () => {
  it('lists each gap, late packet and duplicate with its session, range, packet number and wire time', async () => {
    // 1-2, 3, then 6 (4-5 missing), then 4 late, then 3 again, then 5 late: nothing missing at the end.
    const file = capture('breaks.pcap', [[1, 2], [3, 1], [6, 1], [4, 1], [3, 1], [5, 1]]);
    const s = await inspectFeed(await openFeed(file));
    expect(s.sequenceProblems).toEqual([
      { kind: 'gap', group: '239.100.1.1:26400', session: 'WHERE01', fromSequence: 4, toSequence: 5, messages: 2, packet: 3, wireTime: '2026-01-05T14:30:00.000002000Z' },
      { kind: 'out-of-order', group: '239.100.1.1:26400', session: 'WHERE01', fromSequence: 4, toSequence: 4, messages: 1, packet: 4, wireTime: '2026-01-05T14:30:00.000003000Z' },
      { kind: 'duplicate', group: '239.100.1.1:26400', session: 'WHERE01', fromSequence: 3, toSequence: 3, messages: 1, packet: 5, wireTime: '2026-01-05T14:30:00.000004000Z' },
      { kind: 'out-of-order', group: '239.100.1.1:26400', session: 'WHERE01', fromSequence: 5, toSequence: 5, messages: 1, packet: 6, wireTime: '2026-01-05T14:30:00.000005000Z' },
    ]);
    expect(s.sessions[0]).toMatchObject({ gaps: 1, missingMessages: 0, lateMessages: 2, duplicateMessages: 1, tailMayBeCut: true });
    const text = mdlab(['inspect', file]).stdout;
    expect(text).toContain('239.100.1.1:26400 WHERE01 gap: sequences 4-5 missing, 2 messages lost, at packet 3 (2026-01-05T14:30:00.000002000Z)');
    expect(text).toContain('out of order: sequence 4 arrived after later ones');
    expect(text).toContain('duplicate: sequence 3 seen again');
    expect(text).toContain("239.100.1.1:26400 WHERE01: no end-of-session packet after sequence 6: the recording's tail may be cut");
  });

  it('a session that ends with end-of-session has no cut tail; a gap still open at the end stays missing', async () => {
    const s = await inspectFeed(await openFeed(capture('eos.pcap', [[1, 1], [5, 1], [6, 0xffff]])));
    expect(s.sessions[0]).toMatchObject({ gaps: 1, missingMessages: 3, lateMessages: 0, tailMayBeCut: false });
    expect(mdlab(['inspect', tmp.file('eos.pcap')]).stdout).not.toContain('tail may be cut');
  });
});
