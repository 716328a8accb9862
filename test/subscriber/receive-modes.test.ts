/**
 * The receive modes' mechanisms (DESIGN §10): which bytes each copies, who parses the frame, and
 * that an offloaded socket's reader never sees a header. Real shared memory and real sockets.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FRAME_OVERHEAD, buildFrame } from '../../src/feed/pcap/writer.js';
import { OFFLOAD_META_BYTES, offloadSocketPath } from '../../src/kernel/offload-record.js';
import { OffloadPort } from '../../src/nic/offload-port.js';
import { RingWriter } from '../../src/nic/ring-writer.js';
import { RingReader } from '../../src/onload/ring-reader.js';
import { BITMAP_WORDS, StackSegment } from '../../src/onload/stack-layout.js';
import { segmentName, unlinkSegment } from '../../src/shm/segment.js';
import { newStamps, STAMP_SCHEDULED, STAMP_SENT } from '../../src/metrics/stamps.js';
import { OffloadReceive } from '../../src/subscriber/offload-receive.js';
import { EfViReceive, makeRingReceive, OnloadReceive, OnloadZcReceive, type Delivery, type ReceiveMode } from '../../src/subscriber/receive-modes.js';

const GROUP = 0xef640101; // 239.100.1.1
const OTHER = 0xef640102;
const PORT = 26400;
const names: string[] = [];
afterEach(() => {
  for (const n of names.splice(0)) unlinkSegment(n);
});

/** What the application was handed: the bytes (as a copy) and whether they lie in the ring itself. */
class App implements Delivery {
  got: { payload: Buffer; inRing: boolean; scheduled: number; sent: number }[] = [];
  bad = 0;
  readonly stamps = newStamps();
  constructor(private readonly ring: Buffer | null) {}
  deliver(bytes: Buffer, _v: DataView, off: number, len: number): void {
    const inRing = this.ring !== null && bytes.buffer === this.ring.buffer;
    this.got.push({ payload: Buffer.from(bytes.subarray(off, off + len)), inRing, scheduled: this.stamps[STAMP_SCHEDULED], sent: this.stamps[STAMP_SENT] });
  }
  malformed(): void {
    this.bad++;
  }
}

function payload(i: number): Buffer {
  return Buffer.from(`MOLD${String(i).padStart(6, '0')}-payload-${'x'.repeat(i)}`);
}

/** A stack with frames written by the NIC's own RingWriter: Ethernet · IPv4 · UDP · payload. */
function ringWith(frames: { dst: number; payload: Buffer; vlan?: boolean }[]): { seg: StackSegment; reader: RingReader } {
  const name = segmentName(process.pid, `modes${names.length}x${Math.floor(Math.random() * 1e9)}`);
  names.push(name);
  const seg = StackSegment.create(name, 1, '', { slotCount: 16, slotSize: 512, sockets: 2 });
  const reader = new RingReader(StackSegment.attach(name), 0, 0);
  seg.claimSocket(process.pid, 0, 0, 0, 0);
  const w = new RingWriter(seg);
  const members = new Int32Array(BITMAP_WORDS);
  members[0] = 1;
  for (const [i, f] of frames.entries()) {
    const frame = Buffer.alloc(FRAME_OVERHEAD + f.payload.length + 4);
    const v = new DataView(frame.buffer, frame.byteOffset, frame.length);
    let len = buildFrame(frame, v, 0, 0xc612000a, 26400, f.dst, PORT, 1, f.payload, 0, f.payload.length);
    let bytes = frame;
    if (f.vlan) {
      // An 802.1Q tag after the MACs, as a trunk port would deliver it.
      bytes = Buffer.concat([frame.subarray(0, 12), Buffer.from([0x81, 0x00, 0x00, 0x64]), frame.subarray(12, len)]);
      len += 4;
    }
    const bv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    // Each frame's own times (scheduled 1000+i, sent 2000+i), handed to the application with it.
    if (!w.write(0, 1000 + i, 2000 + i, members, bytes, bv, 0, bytes, bv, 0, len)) throw new Error('frame too big');
  }
  return { seg, reader };
}

function run(mode: ReceiveMode, frames: { dst: number; payload: Buffer; vlan?: boolean }[]) {
  const { seg, reader } = ringWith(frames);
  const app = new App(reader.stack.bytes);
  const receive = makeRingReceive(mode, app, GROUP, PORT);
  reader.poll(receive, 64);
  return { app, receive, seg };
}

describe('ring receive modes: copies and protocol processing', () => {
  const frames = [0, 1, 2].map((i) => ({ dst: GROUP, payload: payload(i) }));
  const total = frames.reduce((n, f) => n + f.payload.length, 0);

  it('onload: the stack parses each frame in the process and copies the payload into the application', () => {
    const { app, receive } = run('onload', frames);
    expect(receive).toBeInstanceOf(OnloadReceive);
    expect(app.got.map((g) => g.payload.toString())).toEqual(frames.map((f) => f.payload.toString()));
    expect(app.got.every((g) => !g.inRing)).toBe(true);
    expect(app.got.map((g) => [g.scheduled, g.sent])).toEqual([[1000, 2000], [1001, 2001], [1002, 2002]]);
    expect(receive.bytesCopied).toBe(total);
    expect([receive.stackParsed, receive.appParsed]).toEqual([3, 0]);
  });

  it('onload-zc: the same parsing, and the payload is read in place in the ring: no bytes copied', () => {
    const { app, receive } = run('onload-zc', frames);
    expect(receive).toBeInstanceOf(OnloadZcReceive);
    expect(app.got.map((g) => g.payload.toString())).toEqual(frames.map((f) => f.payload.toString()));
    expect(app.got.every((g) => g.inRing)).toBe(true);
    expect(app.got.map((g) => [g.scheduled, g.sent])).toEqual([[1000, 2000], [1001, 2001], [1002, 2002]]);
    expect(receive.bytesCopied).toBe(0);
    expect([receive.stackParsed, receive.appParsed]).toEqual([3, 0]);
  });

  it('ef_vi: no stack; the application parses the raw frames itself (VLAN tags too) and drops what is not its group', () => {
    const mixed = [{ dst: GROUP, payload: payload(1) }, { dst: OTHER, payload: payload(2) }, { dst: GROUP, payload: payload(3), vlan: true }];
    const { app, receive } = run('ef_vi', mixed);
    expect(receive).toBeInstanceOf(EfViReceive);
    expect(app.got.map((g) => g.payload.toString())).toEqual([payload(1).toString(), payload(3).toString()]);
    expect(app.got.map((g) => [g.scheduled, g.sent])).toEqual([[1000, 2000], [1002, 2002]]);
    expect(app.got.every((g) => g.inRing)).toBe(true);
    expect(receive.bytesCopied).toBe(0);
    expect([receive.stackParsed, receive.appParsed]).toEqual([0, 3]);
    expect((receive as EfViReceive).rejected).toBe(1);
    expect(app.bad).toBe(1);
  });
});

describe('offload: the NIC terminates UDP and writes payloads to the socket layer', () => {
  it('the subscriber reads only payloads and their completion facts, never a header, through real socket reads', async () => {
    const app = new App(null);
    const rx = new OffloadReceive(app);
    const lab = 0x7ffff000 + Math.floor(Math.random() * 4000);
    await rx.listen(offloadSocketPath(lab, 3));
    const port = new OffloadPort(lab, 3);
    const payloads = Array.from({ length: 200 }, (_, i) => payload(i % 50));
    // The first records are made before the connection is up: they are kept, not lost.
    for (const p of payloads) port.send(1, 100, 200, p, new DataView(p.buffer, p.byteOffset, p.length), 0, p.length);
    const deadline = Date.now() + 5000;
    while (app.got.length < payloads.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    port.close();
    rx.close();
    expect(app.got.map((g) => g.payload.toString())).toEqual(payloads.map((p) => p.toString()));
    // Every delivered payload starts where the MoldUDP64 payload starts: no Ethernet, IP or UDP header ahead of it.
    expect(app.got.every((g) => g.payload.subarray(0, 4).toString() === 'MOLD')).toBe(true);
    expect(app.got.every((g) => g.scheduled === 100 && g.sent === 200)).toBe(true);
    const bytes = payloads.reduce((n, p) => n + p.length, 0);
    expect(rx.bytesCopied).toBe(bytes);
    expect(rx.received).toBe(payloads.length);
    expect(rx.gaps).toBe(0);
    expect(rx.reads).toBeGreaterThan(0);
    expect(OFFLOAD_META_BYTES).toBeLessThan(FRAME_OVERHEAD); // the facts a completion carries, not the headers
  });

  it('a record split across two reads is put back together', async () => {
    const app = new App(null);
    const rx = new OffloadReceive(app);
    const p = payload(30);
    const rec = Buffer.alloc(OFFLOAD_META_BYTES + p.length);
    rec.writeUInt16LE(p.length, 0);
    rec.writeUInt32LE(1, 4);
    p.copy(rec, OFFLOAD_META_BYTES);
    const feed = (rx as unknown as { onData: (b: Buffer) => void }).onData;
    for (const cut of [5, OFFLOAD_META_BYTES, OFFLOAD_META_BYTES + 7]) {
      feed(rec.subarray(0, cut));
      feed(rec.subarray(cut));
    }
    expect(app.got.map((g) => g.payload.toString())).toEqual([p.toString(), p.toString(), p.toString()]);
  });
});
