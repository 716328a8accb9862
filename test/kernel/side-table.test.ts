/**
 * The kernel path's side table (DESIGN §11): datagrams are the exchange's bytes, their times and
 * memberships found by what the packet says (MoldUDP64 session, sequence, count), in real shared
 * memory. Entries passed over that name a socket are drops it can prove; unknown bytes are foreign.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { FOREIGN, FOUND, NOT_MINE, SideTableReader, SideTableWriter, entriesFor } from '../../src/kernel/side-table.js';
import { segmentName, unlinkSegment } from '../../src/shm/segment.js';
import { NativeMulticastReceiver } from '../../src/kernel/native-receiver.js';
import { NativeMulticastSender } from '../../src/kernel/native-sender.js';

const name = segmentName(process.pid, 'sidetable-test');
afterAll(() => unlinkSegment(name));

function mold(session: string, seq: number, count: number): Buffer {
  const b = Buffer.alloc(20 + (count > 0 && count < 0xffff ? count * 3 : 0));
  b.write(session.padEnd(10, ' '), 0, 'ascii');
  b.writeUInt32BE(Math.floor(seq / 2 ** 32), 10);
  b.writeUInt32BE(seq >>> 0, 14);
  b.writeUInt16BE(count, 18);
  return b;
}

describe('side table', () => {
  it('finds each datagram by its MoldUDP64 header; a heartbeat and the data packet after it are told apart by the count', () => {
    SideTableWriter.create(name, 2, 4096);
    const w = SideTableWriter.attach(name);
    const r0 = new SideTableReader(name, 0, 0);
    const r5 = new SideTableReader(name, 0, 5);
    const both = new Int32Array(8);
    both[0] = (1 << 0) | (1 << 5);
    const only5 = new Int32Array(8);
    only5[0] = 1 << 5;
    const send = (b: Buffer, t: number, bitmap: Int32Array) => w.write(0, b, new DataView(b.buffer, b.byteOffset, b.length), 0, b.length, t, t + 10, bitmap);
    const look = (r: SideTableReader, b: Buffer) => r.lookup(b, new DataView(b.buffer, b.byteOffset, b.length), 0, b.length);
    const hb = mold('MDLAB01', 101, 0);
    const data = mold('MDLAB01', 101, 3);
    send(hb, 1000, both);
    send(data, 2000, both);
    send(mold('MDLAB01', 104, 1), 3000, only5);
    send(mold('MDLAB01', 105, 2), 4000, both);
    expect(look(r0, data)).toBe(FOUND);
    expect([r0.scheduledNs, r0.sentNs]).toEqual([2000, 2010]);
    expect(r0.dropped).toBe(1); // the heartbeat before it never arrived at socket 0
    expect(look(r0, mold('MDLAB01', 105, 2))).toBe(FOUND);
    expect(r0.dropped).toBe(1); // 104 was not for socket 0: not a drop of its own
    expect(look(r5, hb)).toBe(FOUND);
    expect(r5.scheduledNs).toBe(1000);
    expect(look(r5, mold('MDLAB01', 104, 1))).toBe(FOUND);
    expect(r5.dropped).toBe(1); // the data packet 101 was skipped
    expect(look(r0, mold('OTHER', 1, 1))).toBe(FOREIGN);
    expect(look(r0, mold('MDLAB01', 9999, 1))).toBe(FOREIGN);
    expect(r5.tail()).toBe(1); // 105 was sent to it and it never read it
    const r0b = new SideTableReader(name, 0, 0);
    send(mold('MDLAB01', 107, 1), 5000, only5);
    expect(look(r0b, mold('MDLAB01', 107, 1))).toBe(NOT_MINE);
  });

  it("says when the group has sent since a socket last looked, as Onload's OS-socket readable flag does, and the datagram is then in the socket", () => {
    // Onload's recv spins on OO_OS_STATUS_RX in the socket's shared state and only then reads
    // the OS socket (udp_recv.c, ci_udp_recvmsg_try_os). Here the NIC's sent stamp plays that
    // flag: set once the send has returned, when loopback has queued the datagram at every
    // joined socket. All of this runs in one turn of the event loop: no watch is involved.
    const side = segmentName(process.pid, 'sidetable-ready');
    try {
      SideTableWriter.create(side, 1, 4096);
      const w = SideTableWriter.attach(side);
      const group = 0xef644d07; // 239.100.77.7
      const port = 41000 + (process.pid % 20000);
      const rx = new NativeMulticastReceiver(group, port, 1 << 20);
      const tx = new NativeMulticastSender(group, port);
      const r = new SideTableReader(side, 0, 0);
      const bitmap = new Int32Array(8);
      bitmap[0] = 1;
      const got: string[] = [];
      const sink = (b: Buffer, _v: DataView, off: number, len: number) => void got.push(b.subarray(off, off + len).toString('hex'));
      try {
        expect(r.readable()).toBe(false);
        for (let i = 1; i <= 3; i++) {
          const d = mold('MDLAB01', i, 1);
          w.write(0, d, new DataView(d.buffer, d.byteOffset, d.length), 0, d.length, i, i, bitmap);
          // Written, not yet sent: nothing to read yet.
          expect(r.readable()).toBe(false);
          expect(tx.send(d, 0, d.length)).toBe(d.length);
          w.sentDone(0);
          expect(r.readable()).toBe(true);
          expect(r.readable()).toBe(false); // once per send
          expect(rx.drain(sink)).toBe(1);
          expect(got[got.length - 1]).toBe(d.toString('hex'));
        }
      } finally {
        rx.close();
        tx.close();
      }
    } finally {
      unlinkSegment(side);
    }
  });

  it('is sized so that no socket can hold more datagrams than it remembers', () => {
    expect(entriesFor(212992)).toBe(4096);
    expect(entriesFor(4 << 20)).toBeGreaterThanOrEqual((2 * (4 << 20)) / 512);
  });
});
