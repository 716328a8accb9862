import { fork } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/shared.js';
import { RingWriter } from '../../src/nic/ring-writer.js';
import { RingReader, type SlotSink } from '../../src/onload/ring-reader.js';
import { BITMAP_WORDS, SL_FRAME, SL_LENGTH, SL_SCHEDULED, StackSegment } from '../../src/onload/stack-layout.js';
import { segmentName, unlinkSegment } from '../../src/shm/segment.js';

const names: string[] = [];
afterEach(() => {
  for (const n of names.splice(0)) unlinkSegment(n);
});

function stack(slotCount = 4): { writer: RingWriter; reader: (membership: number) => RingReader; seg: StackSegment } {
  const name = segmentName(process.pid, `ringtest${names.length}x${Math.floor(Math.random() * 1e9)}`);
  names.push(name);
  const seg = StackSegment.create(name, 1, 'feed', { slotCount, slotSize: 256, sockets: 4 });
  const other = StackSegment.attach(name); // the reader maps it separately, as another process would
  return {
    seg,
    writer: new RingWriter(seg),
    reader: (m) => new RingReader(other, other.claimSocket(process.pid, 0, m, 0, 0), m),
  };
}

function bitmap(...members: number[]): Int32Array {
  const b = new Int32Array(BITMAP_WORDS);
  for (const m of members) b[m >> 5] |= 1 << (m & 31);
  return b;
}

/** Records what it was given: the payload's first byte and the scheduled time. */
class Collect implements SlotSink {
  got: [number, number][] = [];
  private pending: [number, number] = [0, 0];
  accept(s: StackSegment, base: number): void {
    const len = s.view.getUint16(base + SL_LENGTH, true);
    this.pending = [s.bytes[base + SL_FRAME + len - 1], s.f64[(base + SL_SCHEDULED) >> 3]];
  }
  deliver(): void {
    this.got.push(this.pending);
  }
}

const header = Buffer.alloc(42);
const headerView = new DataView(header.buffer, header.byteOffset, 42);
const write = (w: RingWriter, n: number, members = bitmap(0), group = 0) => {
  const payload = Buffer.from([n]);
  return w.write(group, n * 10, n * 10 + 1, members, header, headerView, 42, payload, new DataView(payload.buffer, payload.byteOffset, 1), 0, 1);
};

describe('stack RX ring (tiny rings, as the Disruptor tests them)', () => {
  it('the memory-order rule holds across processes: a writer racing a reader on a 4-slot ring never gets a torn frame delivered, per packet or in batches', async () => {
    for (const batch of [1, 8]) {
      const { reader } = stack(4);
      const name = names[names.length - 1];
      const r = reader(0);
      // Delivers a frame only if every payload byte is the one its scheduled time (its sequence) says.
      let delivered = 0;
      let torn = 0;
      let lastSeq = 0;
      const bytes = new Uint8Array(120);
      let seqOf = 0;
      let spin = 0;
      const sink: SlotSink = {
        accept(st, base) {
          seqOf = st.f64[(base + SL_SCHEDULED) >> 3];
          // A slow copy, byte by byte: the writer laps the reader mid-copy often, which is the race under test.
          const from = base + SL_FRAME + 42;
          for (let i = 0; i < 120; i++) {
            bytes[i] = st.bytes[from + i];
            for (let k = 0; k < 2; k++) spin = (spin * 31 + k) | 0;
          }
        },
        deliver() {
          delivered++;
          if (!bytes.every((b) => b === (seqOf & 0xff)) || seqOf <= lastSeq) torn++;
          lastSeq = seqOf;
        },
      };
      const child = fork(join(ROOT, 'test', 'helpers', 'ring-race-writer.mjs'), [name, '300000', String(batch)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      let done = false;
      child.on('message', () => (done = true));
      const exited = new Promise((resolve) => child.on('exit', (code) => {
        done = true;
        resolve(code);
      }));
      // Poll flat out, yielding to the event loop now and then to hear the writer finish.
      while (!done) {
        const until = Date.now() + 20;
        while (Date.now() < until) r.poll(sink, 64);
        await new Promise((resolve) => setImmediate(resolve));
      }
      r.poll(sink, 64);
      expect(await exited, `batch ${batch}: the writer failed`).toBe(0);
      expect(torn, `batch ${batch}`).toBe(0);
      expect(delivered, `batch ${batch}`).toBeGreaterThan(100);
      // The race was real: the writer lapped the reader, and those slots were counted, not delivered.
      expect(r.overrunSlots, `batch ${batch}`).toBeGreaterThan(0);
      expect(spin).not.toBe(0.5); // keeps the slow copy's work from being optimised away
    }
  });

  it('counts armed sockets, so the NIC scans the socket table only when a reader waits for an interrupt', () => {
    const { seg } = stack();
    const other = seg; // the reader's side and the NIC's: the same words in shared memory
    const a = other.claimSocket(process.pid, 0, 1, 0, 0);
    const b = other.claimSocket(process.pid, 0, 2, 0, 0);
    expect(seg.armedSockets()).toBe(0);
    other.arm(a);
    other.arm(a); // arming twice counts once
    other.arm(b);
    expect(seg.armedSockets()).toBe(2);
    // The NIC rings a: whoever disarms first counts it down, the other finds nothing to do.
    expect(seg.disarm(a)).toBe(true);
    expect(other.disarm(a)).toBe(false);
    expect(seg.armedSockets()).toBe(1);
    other.releaseSocket(b); // released while armed: not left counted
    expect(seg.armedSockets()).toBe(0);
  });

  it('delivers in order and wraps around', () => {
    const { writer, reader } = stack(4);
    const r = reader(0);
    const sink = new Collect();
    for (let round = 0; round < 5; round++) {
      for (let i = 1; i <= 3; i++) write(writer, round * 3 + i);
      expect(r.poll(sink, 100)).toBe(3);
    }
    expect(sink.got.map((g) => g[0])).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    expect(sink.got[0][1]).toBe(10);
    expect(r.overrunSlots).toBe(0);
    expect(r.groupDrops).toBe(0);
  });

  it('takes only the slots whose bitmap names its membership', () => {
    const { writer, reader } = stack(8);
    const a = reader(3);
    const b = reader(40);
    const sa = new Collect();
    const sb = new Collect();
    write(writer, 1, bitmap(3));
    write(writer, 2, bitmap(40));
    write(writer, 3, bitmap(3, 40));
    a.poll(sa, 10);
    b.poll(sb, 10);
    expect(sa.got.map((g) => g[0])).toEqual([1, 3]);
    expect(sb.got.map((g) => g[0])).toEqual([2, 3]);
  });

  it('a reader lapped by the NIC counts what it lost and resumes at the oldest slot left', () => {
    const { writer, reader } = stack(4);
    const r = reader(0);
    const sink = new Collect();
    for (let i = 1; i <= 10; i++) write(writer, i);
    r.poll(sink, 100);
    expect(sink.got.map((g) => g[0])).toEqual([7, 8, 9, 10]);
    expect(r.overrunSlots).toBe(6);
    // The 6 lost were its group's, addressed to it: its group's sequence shows them, though they
    // came before the first packet it read (a path that turned to bypass under a slow reader).
    expect(r.groupDrops).toBe(6);
    write(writer, 11);
    r.poll(sink, 100);
    expect(r.groupDrops).toBe(6);
  });

  it('counts as its own loss only frames of its group that were addressed to it: not those before its socket was made, nor those for others', () => {
    const { writer, reader } = stack(4);
    for (let i = 1; i <= 5; i++) write(writer, i); // before the socket: never its own
    const r = reader(0);
    const sink = new Collect();
    for (let i = 6; i <= 8; i++) write(writer, i, bitmap(1)); // its group, for another membership: not yet a recipient
    r.poll(sink, 100);
    expect(sink.got).toEqual([]);
    for (let i = 9; i <= 10; i++) write(writer, i, bitmap(0, 1));
    r.poll(sink, 100);
    expect(sink.got.map((g) => g[0])).toEqual([9, 10]);
    expect(r.groupDrops).toBe(0);
    // Lapped now: 10 more of its own into a 4-slot ring, 6 of them lost.
    for (let i = 11; i <= 20; i++) write(writer, i, bitmap(0, 1));
    r.poll(sink, 100);
    expect(sink.got.map((g) => g[0])).toEqual([9, 10, 17, 18, 19, 20]);
    expect(r.groupDrops).toBe(6);
  });

  it('counts drops of its own group from gaps in the group sequence', () => {
    const { writer, reader } = stack(4);
    const r = reader(0);
    const sink = new Collect();
    write(writer, 1);
    r.poll(sink, 100);
    for (let i = 2; i <= 9; i++) write(writer, i); // 8 more into a 4-slot ring: 4 lost
    r.poll(sink, 100);
    expect(sink.got.map((g) => g[0])).toEqual([1, 6, 7, 8, 9]);
    expect(r.groupDrops).toBe(4);
    expect(r.overrunSlots).toBe(4);
  });

  it('publishes its position, so the ring fill is visible from outside', () => {
    const { writer, reader, seg } = stack(4);
    const r = reader(0);
    write(writer, 1);
    write(writer, 2);
    expect(seg.ringFill()).toBe(0.5);
    r.poll(new Collect(), 1);
    expect(seg.ringFill()).toBe(0.25);
    expect(seg.sockets()[0]).toMatchObject({ pid: process.pid, membership: 0 });
  });

  it('survives the 32-bit sequence wrapping', () => {
    const { writer, reader, seg } = stack(4);
    // Start just below the wrap, as after 2^31 packets.
    Atomics.store(seg.i32, 6, 0x7ffffffe);
    const w = new RingWriter(seg);
    void writer;
    const r = reader(0);
    const sink = new Collect();
    for (let i = 1; i <= 6; i++) {
      write(w, i);
      r.poll(sink, 10);
    }
    expect(sink.got.map((g) => g[0])).toEqual([1, 2, 3, 4, 5, 6]);
    expect(r.overrunSlots).toBe(0);
  });
});
