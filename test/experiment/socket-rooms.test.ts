import { describe, expect, it } from 'vitest';
import { measureSocketRoom, type SocketRoom } from '../../src/kernel/socket-room.js';
import { measureRoomApart, SocketRooms } from '../../src/experiment/socket-rooms.js';
import { leftovers } from '../helpers/lab.js';

/** Runs `measure` while a 5 ms timer ticks: the longest the caller's event loop went without turning, against the whole. */
async function heldWhile(measure: () => Promise<SocketRoom | null>): Promise<{ room: SocketRoom | null; longestGapMs: number; totalMs: number }> {
  let last = performance.now();
  let longestGapMs = 0;
  const t = setInterval(() => {
    const now = performance.now();
    longestGapMs = Math.max(longestGapMs, now - last);
    last = now;
  }, 5);
  const start = performance.now();
  const room = await measure();
  const totalMs = performance.now() - start;
  clearInterval(t);
  longestGapMs = Math.max(longestGapMs, performance.now() - last);
  return { room, longestGapMs, totalMs };
}

describe('a socket\'s room, measured for the drop explanations', () => {
  it('is measured in a child process: the controller\'s event loop (signals, snapshots, the dashboard) keeps turning', async () => {
    const apart = await heldWhile(() => measureRoomApart(262144, 100));
    expect(apart.room?.datagrams).toBeGreaterThan(0);
    expect(apart.room?.payloadBytes).toBe(100);
    // Measured in this process, the sender's whole run holds the loop: most of the measurement.
    const here = await heldWhile(() => measureSocketRoom(262144, 100));
    expect(here.longestGapMs / here.totalMs).toBeGreaterThan(0.5);
    expect(apart.longestGapMs / apart.totalMs, `${apart.longestGapMs} of ${apart.totalMs} ms; here ${here.longestGapMs} of ${here.totalMs}`).toBeLessThan(0.5);
    expect(leftovers().processes).toEqual([]);
  }, 60_000);

  it('is kept per receive buffer, the default as 0', async () => {
    const rooms = new SocketRooms();
    await rooms.measure([undefined, 262144, undefined], 100);
    expect(rooms.of(undefined)?.datagrams).toBeGreaterThan(0);
    expect(rooms.of(262144)?.grantedBytes).toBeGreaterThan(0);
    expect(rooms.of(1 << 20)).toBeNull();
  }, 60_000);
});
