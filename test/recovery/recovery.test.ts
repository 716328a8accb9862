/**
 * Loss recovery's parts (DESIGN §13): the MoldUDP64 request packet, the re-request server
 * (answering a hand-built request over real UDP with exactly the recording's messages, byte for
 * byte; bad requests get no reply and are counted), and the client's gap fill.
 */
import dgram from 'node:dgram';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { forEachMoldMessage, MoldPacketBuilder, encodeRequest, decodeRequest, type MoldRequest } from '../../src/feed/moldudp64.js';
import { openFeed } from '../../src/feed/open-feed.js';
import { MessageStore } from '../../src/recovery/message-store.js';
import { MoldClient, DEFAULT_CLIENT } from '../../src/recovery/mold-client.js';
import { LossInjector } from '../../src/nic/loss-injector.js';
import { RequestServerCore, DEFAULT_LIMITS } from '../../src/recovery/request-server.js';
import { startRequestServer } from '../../src/recovery/server-process.js';
import { ROOT } from '../helpers/shared.js';

const RECORDING = join(ROOT, 'recordings', 'default.pcap');

/** Every message of session MDLAB01 in the recording, by sequence, read independently of the store. */
async function recordingMessages(session: string): Promise<Map<number, Buffer>> {
  const out = new Map<number, Buffer>();
  const r = await openFeed(RECORDING);
  while (await r.next()) {
    const p = r.packet;
    if (p.bytes.toString('latin1', p.offset, p.offset + 10).trimEnd() !== session) continue;
    const seq = Number(p.view.getBigUint64(p.offset + 10));
    forEachMoldMessage(p.bytes, p.view, p.offset, p.length, (off, len, i) => out.set(seq + i, Buffer.from(p.bytes.subarray(off, off + len))));
  }
  r.close();
  return out;
}

function messagesOf(packet: Uint8Array): { seq: number; bytes: Buffer }[] {
  const v = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const seq = Number(v.getBigUint64(10));
  const out: { seq: number; bytes: Buffer }[] = [];
  forEachMoldMessage(packet, v, 0, packet.length, (off, len, i) => out.push({ seq: seq + i, bytes: Buffer.from(packet.subarray(off, off + len)) }));
  return out;
}

describe('the MoldUDP64 request packet', () => {
  it('is session, sequence and count in 20 bytes, and reads back', () => {
    const b = encodeRequest({ session: 'MDLAB01', sequence: 4242, count: 17 });
    expect(b.length).toBe(20);
    expect(Buffer.from(b).toString('latin1', 0, 10)).toBe('MDLAB01   ');
    expect(Buffer.from(b.subarray(10)).toString('hex')).toBe('00000000000010920011');
    expect(decodeRequest(b)).toEqual({ session: 'MDLAB01', sequence: 4242, count: 17 });
    expect(decodeRequest(new Uint8Array(19))).toBe('length');
  });
});

describe('the re-request server', () => {
  it('answers a hand-built request over UDP with exactly the requested messages, byte for byte, in packets that fit', async () => {
    const store = await MessageStore.load(RECORDING);
    const server = await startRequestServer(store, { ...DEFAULT_LIMITS, maxPacketBytes: 400 }, 0);
    const client = dgram.createSocket('udp4');
    await new Promise<void>((res) => client.bind(0, '127.0.0.1', () => res()));
    const got: Uint8Array[] = [];
    client.on('message', (m) => got.push(Uint8Array.from(m)));
    // Hand-built: session MDLAB01, sequence 100, 25 messages.
    const req = Buffer.concat([Buffer.from('MDLAB01   ', 'latin1'), Buffer.from('0000000000000064', 'hex'), Buffer.from('0019', 'hex')]);
    client.send(req, server.port, '127.0.0.1');
    for (let i = 0; i < 50 && got.reduce((n, p) => n + messagesOf(p).length, 0) < 25; i++) await new Promise((r) => setTimeout(r, 20));
    client.close();
    await server.close();
    const want = await recordingMessages('MDLAB01');
    const served = got.flatMap(messagesOf);
    expect(served.map((m) => m.seq)).toEqual(Array.from({ length: 25 }, (_, i) => 100 + i));
    for (const m of served) expect(m.bytes.equals(want.get(m.seq)!), `sequence ${m.seq}`).toBe(true);
    expect(got.every((p) => p.length <= 400)).toBe(true);
    expect(got.length).toBeGreaterThan(1);
    expect(server.core.counters).toMatchObject({ requests: 1, answered: 1, messagesServed: 25 });
  });

  it('ignores and counts bad requests: wrong session, count 0, sequence 0, past the end, not a request; and limits a client\'s rate', async () => {
    const store = await MessageStore.load(RECORDING);
    const core = new RequestServerCore(store, { ...DEFAULT_LIMITS, requestsPerSecond: 3 });
    const last = store.session('MDLAB01')!.first + store.session('MDLAB01')!.count - 1;
    const ask = (r: MoldRequest, client = 'a') => core.handle(encodeRequest(r), client, 1e9);
    expect(ask({ session: 'NOPE', sequence: 1, count: 1 })).toEqual({ refused: 'unknown-session' });
    expect(ask({ session: 'MDLAB01', sequence: 5, count: 0 })).toEqual({ refused: 'count-zero' });
    expect(ask({ session: 'MDLAB01', sequence: 0, count: 5 })).toEqual({ refused: 'before-first' });
    expect(ask({ session: 'MDLAB01', sequence: last + 1, count: 5 }, 'b')).toEqual({ refused: 'past-end' });
    expect(core.handle(new Uint8Array(7), 'b', 1e9)).toEqual({ refused: 'length' });
    // Client a has made 3 requests in the same instant: a fourth is over its rate.
    expect(ask({ session: 'MDLAB01', sequence: 1, count: 1 })).toEqual({ refused: 'rate-limited' });
    const served = core.handle(encodeRequest({ session: 'MDLAB01', sequence: last - 1, count: 10 }), 'a', 3e9);
    expect(served).toMatchObject({ first: last - 1, count: 2 }); // only what was sent
    expect(core.counters.refused).toMatchObject({ 'unknown-session': 1, 'count-zero': 1, 'before-first': 1, 'past-end': 1, length: 1, 'rate-limited': 1 });
    // In a lab mid-run, nothing past what the NIC has sent so far.
    const mid = new RequestServerCore(store, DEFAULT_LIMITS, () => 50);
    expect(mid.handle(encodeRequest({ session: 'MDLAB01', sequence: 51, count: 1 }), 'c', 0)).toEqual({ refused: 'past-end' });
    expect(mid.handle(encodeRequest({ session: 'MDLAB01', sequence: 45, count: 100 }), 'c', 0)).toMatchObject({ count: 6 });
  });

  it('knows what a lab\'s NIC has sent by its replay position: the last message on the wire by then, per session', async () => {
    const store = await MessageStore.load(RECORDING);
    const s = store.session('MDLAB01')!;
    expect(store.lastSentBy('MDLAB01', Infinity)).toBe(s.first + s.count - 1);
    // Before the session's first message was on the wire, nothing of it was sent.
    expect(store.lastSentBy('MDLAB01', -1)).toBe(s.first - 1);
    // At the recording's opening cross (1 s in, the burst) some but not all has been sent, and more by 2 s.
    const at1 = store.lastSentBy('MDLAB01', 1e9);
    const at2 = store.lastSentBy('MDLAB01', 2e9);
    expect(at1).toBeGreaterThan(s.first);
    expect(at2).toBeGreaterThan(at1);
    expect(at2).toBeLessThan(s.first + s.count - 1);
    const core = new RequestServerCore(store, DEFAULT_LIMITS, (session) => store.lastSentBy(session, 1e9));
    expect(core.handle(encodeRequest({ session: 'MDLAB01', sequence: at1 + 1, count: 1 }), 'd', 0)).toEqual({ refused: 'past-end' });
    expect(core.handle(encodeRequest({ session: 'MDLAB01', sequence: at1, count: 5 }), 'd', 0)).toMatchObject({ first: at1, count: 1 });
  });
});

function packet(seq: number, msgs: number[]): { bytes: Uint8Array; view: DataView } {
  const b = new MoldPacketBuilder();
  b.begin('S1', seq);
  for (const m of msgs) b.append(Uint8Array.of(0x44, m & 0xff));
  const bytes = Uint8Array.from(b.bytes.subarray(0, b.byteLength));
  return { bytes, view: new DataView(bytes.buffer) };
}

describe('the client\'s gap fill', () => {
  function client(policy: 'buffer' | 'drop' = 'buffer') {
    const passed: number[] = [];
    const requests: MoldRequest[] = [];
    const c = new MoldClient({ ...DEFAULT_CLIENT, session: 'S1', policy, timeoutNs: 1000 }, (seq) => passed.push(seq), (r) => requests.push(r));
    const feed = (seq: number, n: number, now: number) => {
      const p = packet(seq, Array.from({ length: n }, (_, i) => seq + i));
      c.onPacket(p.bytes, p.view, 0, p.bytes.length, now);
    };
    return { c, passed, requests, feed };
  }

  it('asks for a gap, buffers what comes past it, passes everything in order once the reply comes, and times the recovery', () => {
    const { c, passed, requests, feed } = client();
    feed(1, 3, 0); // 1-3
    feed(7, 2, 10); // 4-6 missing
    expect(c.state).toBe('gap-fill');
    expect(requests).toEqual([{ session: 'S1', sequence: 4, count: 3 }]);
    expect(passed).toEqual([1, 2, 3]);
    feed(9, 1, 20); // still buffered
    feed(4, 3, 500); // the reply
    expect(passed).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(c.state).toBe('synchronized');
    expect(c.counters).toMatchObject({ gaps: 1, requests: 1, recovered: 3, duplicates: 0, recoveryNs: [490] });
    feed(8, 3, 600); // 8, 9 again, then 10
    expect(c.counters.duplicates).toBe(2);
    expect(passed.at(-1)).toBe(10);
  });

  it('asks again after the timeout; what never comes is unrecovered at the end', () => {
    const { c, requests, feed } = client();
    feed(1, 1, 0);
    feed(5, 1, 0);
    c.onTimer(500);
    expect(requests).toHaveLength(1);
    c.onTimer(1000);
    expect(requests).toHaveLength(2);
    expect(requests[1]).toEqual({ session: 'S1', sequence: 2, count: 3 });
    expect(c.unrecovered).toBe(3);
  });

  it('with the drop policy, what came past the gap is dropped and asked for after the first hole fills', () => {
    const { c, passed, requests, feed } = client('drop');
    feed(1, 1, 0);
    feed(3, 2, 0); // 2 missing; 3-4 dropped
    expect(c.counters.droppedPastGap).toBe(2);
    feed(2, 1, 100); // the reply for 2
    expect(requests.at(-1)).toEqual({ session: 'S1', sequence: 3, count: 2 });
    expect(c.state).toBe('gap-fill');
    feed(3, 2, 200);
    expect(passed).toEqual([1, 2, 3, 4]);
    expect(c.state).toBe('synchronized');
    expect(c.unrecovered).toBe(0);
  });
});

describe('A/B line arbitration in the client (DESIGN §13)', () => {
  function lines(canRequest = true) {
    const passed: number[] = [];
    const requests: MoldRequest[] = [];
    const c = new MoldClient({ ...DEFAULT_CLIENT, session: 'S1', timeoutNs: 1000, lines: 2, lineWaitNs: 100, canRequest }, (seq) => passed.push(seq), (r) => requests.push(r));
    const feed = (line: 0 | 1 | 2, seq: number, n: number, now: number) => {
      const p = packet(seq, Array.from({ length: n }, (_, i) => seq + i));
      c.onPacket(p.bytes, p.view, 0, p.bytes.length, now, line);
    };
    return { c, passed, requests, feed };
  }

  it('the first copy wins, the other is a duplicate timed as the arbitration delay; a gap on A is filled from B with no request', () => {
    const { c, passed, requests, feed } = lines();
    feed(0, 1, 3, 0); // A: 1-3
    feed(1, 1, 3, 20); // B: 1-3, 20 ns later
    feed(0, 7, 1, 30); // A lost 4-6
    expect(c.state).toBe('gap-fill');
    c.onTimer(50); // within the line wait: nothing asked
    expect(requests).toEqual([]);
    feed(1, 4, 4, 60); // B: 4-7
    expect(passed).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(c.state).toBe('synchronized');
    expect(requests).toEqual([]);
    expect(c.counters).toMatchObject({ gaps: 1, requests: 0, fromA: 4, fromB: 3, fromServer: 0, filledByLine: 1, recovered: 3 });
    expect(c.lostOnBoth).toBe(0);
    // 1-3 came 20 ns later on B; 7 came 30 ns later on B than on A.
    expect(c.arbitrationDelay.count).toBe(4);
    expect(c.arbitrationDelay.max).toBe(30);
  });

  it('what both lines miss is asked for only after the line wait, and counted lost on both', () => {
    const { c, passed, requests, feed } = lines();
    feed(0, 1, 1, 0);
    feed(1, 1, 1, 5);
    feed(0, 4, 1, 10); // A lost 2-3
    feed(1, 4, 1, 15); // so did B
    c.onTimer(50);
    expect(requests).toEqual([]);
    c.onTimer(110);
    expect(requests).toEqual([{ session: 'S1', sequence: 2, count: 2 }]);
    feed(2, 2, 2, 200); // the reply
    expect(passed).toEqual([1, 2, 3, 4]);
    expect(c.counters).toMatchObject({ fromServer: 2, filledByLine: 0, requests: 1 });
    expect(c.lostOnBoth).toBe(2);
  });

  it('with no server, a hole both lines missed is skipped after the line wait, counted, and the rest passes on', () => {
    const { c, passed, requests, feed } = lines(false);
    feed(0, 1, 1, 0);
    feed(0, 4, 2, 10); // 2-3 missing; 4-5 buffered
    c.onTimer(200);
    expect(requests).toEqual([]);
    expect(passed).toEqual([1, 4, 5]);
    expect(c.state).toBe('synchronized');
    expect(c.counters.skipped).toBe(2);
    expect(c.lostOnBoth).toBe(2);
    expect(c.unrecovered).toBe(0);
  });
});

describe('injected loss (the NIC drops on purpose, DESIGN §13)', () => {
  it('a timed drop takes the next N packets of its groups from its time; a rate drops the same packets for the same seed', () => {
    const timed = new LossInjector([{ atNs: 1000, groups: [0], packets: 3, rate: null, seed: 1 }], 2);
    const got = [0, 500, 1000, 1001, 1002, 1003, 1004].map((t) => timed.drops(0, t));
    expect(got).toEqual([false, false, true, true, true, false, false]);
    expect(timed.drops(1, 2000)).toBe(false);
    const run = (seed: number) => {
      const l = new LossInjector([{ atNs: 0, groups: [0, 1], packets: null, rate: 0.01, seed }], 2);
      const dropped: number[] = [];
      for (let i = 0; i < 100_000; i++) if (l.drops(i % 2, i)) dropped.push(i);
      return dropped;
    };
    const a = run(7);
    expect(run(7)).toEqual(a);
    expect(run(8)).not.toEqual(a);
    expect(a.length).toBeGreaterThan(800);
    expect(a.length).toBeLessThan(1200);
  });
});

