/**
 * A synthetic recording opened by tshark (Wireshark's own MoldUDP64 dissector, packet-moldudp64.c):
 * checksums valid, sessions, sequence numbers and message counts as mdlab wrote them.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openFeed } from '../../src/feed/open-feed.js';
import { inspectFeed } from '../../src/feed/inspect.js';
import { OPEN_NS, DEFAULT_GENERATOR } from '../../src/feed/synth/generator.js';
import { SYNTH_DEFAULTS, tradingDayEpoch, writeSynthRecording } from '../../src/feed/synth/write-recording.js';
import { tempDir } from '../helpers/tmp.js';

const HAS_TSHARK = spawnSync('tshark', ['--version'], { encoding: 'utf8' }).status === 0;
const HAS_EDITCAP = spawnSync('editcap', ['-v'], { encoding: 'utf8' }).status === 0 && spawnSync('mergecap', ['-v']).status === 0;
const tmp = tempDir();

describe.skipIf(!HAS_TSHARK)(`tshark reads mdlab recordings${HAS_TSHARK ? '' : ' [skipped: tshark is not installed; .ci/run installs it]'}`, () => {
  it('decodes every packet as MoldUDP64 with valid checksums and the same sessions, sequences and counts', async () => {
    const file = tmp.file('ts.pcap');
    await writeSynthRecording({
      ...DEFAULT_GENERATOR, ...SYNTH_DEFAULTS, seed: 5, durationNs: 2e9, startNs: OPEN_NS - 5e8, rate: 150, symbols: 50,
      channels: 3, dayEpochSec: tradingDayEpoch("2026-01-05"), heartbeatNs: 2e7,
    }, file);
    const r = spawnSync('tshark', [
      '-r', file, '-d', 'udp.port==26400,moldudp64', '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE',
      '-T', 'fields', '-E', 'separator=|', '-e', 'ip.dst', '-e', 'moldudp64.session', '-e', 'moldudp64.sequence',
      '-e', 'moldudp64.count', '-e', 'ip.checksum.status', '-e', 'udp.checksum.status', '-e', '_ws.expert.severity',
    ], { encoding: 'utf8', maxBuffer: 256 << 20 });
    expect(r.status, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => l.split('|'));
    const mine = await inspectFeed(await openFeed(file));
    expect(rows).toHaveLength(mine.packets);

    const sessions = new Map<string, { first: number; next: number; messages: number }>();
    for (const [dst, session, seqText, countText, ipOk, udpOk, expert] of rows) {
      expect(ipOk).toBe('1'); // 1 = good
      expect(udpOk).toBe('1');
      // No expert note, warning or error (malformed packets); tshark's chat-level remark on
      // end-of-session packets (count 0xFFFF) is informational.
      const PI_NOTE = 0x00400000;
      for (const sev of (expert ?? '').split(',').filter(Boolean)) expect(Number(sev)).toBeLessThan(PI_NOTE);
      const seq = Number(seqText);
      const count = Number(countText);
      const key = `${dst}:26400 ${session.trimEnd()}`;
      const s = sessions.get(key) ?? { first: seq, next: seq, messages: 0 };
      expect(seq, `${key} sequence continues without a gap`).toBe(s.next);
      const n = count === 0 || count === 0xffff ? 0 : count;
      s.next = seq + n;
      s.messages += n;
      sessions.set(key, s);
    }
    expect([...sessions.entries()].map(([k, s]) => [k, s.first, s.next, s.messages])).toEqual(
      mine.sessions.map((s) => [`${s.group} ${s.session}`, s.firstSequence, s.nextSequence, s.messages]),
    );
    expect(mine.heartbeats).toBeGreaterThan(0);
  });

  it.skipIf(!HAS_EDITCAP)('reads the same feed back from pcapng and µs pcap written by editcap, and from a two-interface mergecap file', async () => {
    const file = tmp.file('ed.pcap');
    await writeSynthRecording({
      ...DEFAULT_GENERATOR, ...SYNTH_DEFAULTS, seed: 6, durationNs: 1e9, startNs: OPEN_NS - 5e8, rate: 500, symbols: 30,
      channels: 2, dayEpochSec: tradingDayEpoch('2026-01-05'), heartbeatNs: 1e9,
    }, file);
    const base = await inspectFeed(await openFeed(file));
    const counts = (s: typeof base) => [s.packets, s.messages, s.sessions.map((x) => [x.session, x.firstSequence, x.nextSequence, x.gaps])];
    for (const [fmt, name] of [['pcapng', 'ed.pcapng'], ['pcap', 'ed-us.pcap']]) {
      const out = tmp.file(name);
      expect(spawnSync('editcap', ['-F', fmt, file, out]).status).toBe(0);
      const s = await inspectFeed(await openFeed(out));
      expect(s.format).toBe(fmt);
      expect(counts(s)).toEqual(counts(base));
    }
    // The same capture twice, merged into one pcapng with an interface each (like an A and a B
    // feed captured on two ports): every message arrives twice and is counted as a duplicate.
    const copy = tmp.file('copy.pcap', readFileSync(file));
    const merged = tmp.file('merged.pcapng');
    expect(spawnSync('mergecap', ['-F', 'pcapng', '-I', 'none', '-w', merged, file, copy]).status).toBe(0);
    const m = await inspectFeed(await openFeed(merged));
    expect(m.header.interfaces).toBe(2);
    expect(m.packets).toBe(2 * base.packets);
    expect(m.sessions.map((x) => [x.session, x.messages, x.duplicateMessages, x.gaps])).toEqual(base.sessions.map((x) => [x.session, 2 * x.messages, x.messages, 0]));
  });
});
