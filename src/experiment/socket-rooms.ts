/**
 * How many of the recording's datagrams each receive buffer in a config holds, measured once per
 * lab (src/kernel/socket-room.ts), for the drop explanations. Measured in a child process of its
 * own (src/kernel/socket-room-child.ts), so that the controller's event loop is never held.
 */
import type { SocketRoom } from '../kernel/socket-room.js';
import { forkChild } from './children.js';
import { withTimeout } from './timeout.js';

/** Longer than the measurement's own sender may take (10 s), with the child's start. */
const ROOM_TIMEOUT_MS = 15_000;

/** One measurement, in a child; null where it could not be made. */
export async function measureRoomApart(rcvbuf: number | undefined, payloadBytes: number): Promise<SocketRoom | null> {
  const { child } = forkChild('kernel/socket-room-child.js');
  const answer = new Promise<SocketRoom | null>((resolve) => {
    child.once('message', (m: { room: SocketRoom | null }) => resolve(m.room));
    child.once('exit', () => resolve(null));
    child.once('error', () => resolve(null));
  });
  child.send({ rcvbuf, payloadBytes }, (err) => {
    if (err) child.kill('SIGKILL');
  });
  try {
    return await withTimeout(answer, ROOM_TIMEOUT_MS, 'no socket room');
  } catch {
    return null;
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

export class SocketRooms {
  private readonly rooms = new Map<number, SocketRoom>();

  /** Measures every receive buffer size the readers use (offloaded sockets have none), one after another. */
  async measure(rcvbufs: readonly (number | undefined)[], payloadBytes: number): Promise<void> {
    for (const rcvbuf of new Set(rcvbufs)) {
      const room = await measureRoomApart(rcvbuf, payloadBytes);
      if (room) this.rooms.set(rcvbuf ?? 0, room);
    }
  }

  /** The room of a socket with this rcvbuf (undefined: the default), if it was measured. */
  of(rcvbuf: number | undefined): SocketRoom | null {
    return this.rooms.get(rcvbuf ?? 0) ?? null;
  }
}
