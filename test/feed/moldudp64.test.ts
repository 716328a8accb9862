import { describe, expect, it } from 'vitest';
import { forEachMoldMessage, moldCount, moldSequence, moldSession, MoldPacketBuilder, MOLD_COUNT_END_OF_SESSION, MOLD_COUNT_HEARTBEAT, MOLD_OVERRUN, MOLD_TOO_SHORT } from '../../src/feed/moldudp64.js';

function walk(bytes: Uint8Array, len = bytes.length) {
  const seen: number[][] = [];
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const r = forEachMoldMessage(bytes, v, 0, len, (off, mlen, i) => seen.push([off, mlen, i]));
  return { r, seen };
}

describe('MoldUDP64 (Wireshark packet-moldudp64.c layout)', () => {
  it('builds session · sequence · count · length-prefixed messages and walks them back', () => {
    const b = new MoldPacketBuilder(100);
    b.begin('000010059B', 14764496);
    b.append(Uint8Array.of(1, 2, 3));
    b.append(Uint8Array.of(4, 5));
    const bytes = b.bytes.subarray(0, b.byteLength);
    const v = new DataView(bytes.buffer, bytes.byteOffset);
    expect(moldSession(bytes, 0)).toBe('000010059B');
    expect(moldSequence(v, 0)).toBe(14764496);
    expect(moldCount(v, 0)).toBe(2);
    expect(b.byteLength).toBe(20 + 2 + 3 + 2 + 2);
    expect(walk(bytes).seen).toEqual([[22, 3, 0], [27, 2, 1]]);
  });

  it('marks heartbeats (count 0) and end of session (0xFFFF) with the next expected sequence', () => {
    const b = new MoldPacketBuilder(20);
    b.control('S1', 42, MOLD_COUNT_HEARTBEAT);
    const v = new DataView(b.bytes.buffer);
    expect([moldCount(v, 0), moldSequence(v, 0)]).toEqual([0, 42]);
    expect(walk(b.bytes, 20).r).toBe(0);
    b.control('S1', 43, MOLD_COUNT_END_OF_SESSION);
    expect(moldCount(v, 0)).toBe(0xffff);
    expect(walk(b.bytes, 20).r).toBe(0);
  });

  it('reports a count that overruns the datagram instead of reading past it', () => {
    const b = new MoldPacketBuilder(100);
    b.begin('S', 1);
    b.append(Uint8Array.of(1, 2, 3));
    new DataView(b.bytes.buffer).setUint16(18, 5); // claims 5 messages, holds 1
    expect(walk(b.bytes, b.byteLength)).toEqual({ r: MOLD_OVERRUN, seen: [[22, 3, 0]] });
    new DataView(b.bytes.buffer).setUint16(20, 200); // first message claims 200 bytes
    expect(walk(b.bytes, b.byteLength).r).toBe(MOLD_OVERRUN);
    expect(walk(b.bytes, 19).r).toBe(MOLD_TOO_SHORT);
  });

  it('says when a packet is full rather than overflowing it', () => {
    const b = new MoldPacketBuilder(30);
    b.begin('S', 1);
    expect(b.fits(8)).toBe(true);
    b.append(new Uint8Array(8));
    expect(b.fits(1)).toBe(false);
    expect(() => b.append(new Uint8Array(1))).toThrow(/full/);
  });
});
