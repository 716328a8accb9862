/**
 * A lab's child process that measures how many datagrams a kernel socket holds (socket-room.ts)
 * and sends the answer back. The measurement holds its own event loop while its sender runs,
 * which on a busy host is seconds: held in the controller, that loop is the one that answers
 * signals, takes snapshots and draws the dashboard. Two Ctrl-Cs half a second apart, both handled
 * after such a hold, were taken as one, and a run whose NIC could not stop then never ended.
 */
import { measureSocketRoom } from './socket-room.js';

interface RoomRequest {
  rcvbuf?: number;
  payloadBytes: number;
}

process.once('message', (m: RoomRequest) => {
  measureSocketRoom(m.rcvbuf, m.payloadBytes).then(
    (room) => process.send?.({ room }, () => process.exit(0)),
    () => process.send?.({ room: null }, () => process.exit(0)),
  );
});
