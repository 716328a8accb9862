/**
 * The re-request server at the edge: a UDP socket on the lab's loopback (127.0.0.1, unicast),
 * the pure core's decisions, replies sent to the requesting socket after the service delay.
 */
import dgram from 'node:dgram';
import { nowNs } from '../metrics/clock.js';
import type { MessageStore } from './message-store.js';
import { RequestServerCore, type ServerLimits } from './request-server.js';

export interface RunningServer {
  core: RequestServerCore;
  port: number;
  close(): Promise<void>;
}

export async function startRequestServer(store: MessageStore, limits: ServerLimits, port: number, sentUpTo?: (session: string) => number): Promise<RunningServer> {
  const core = new RequestServerCore(store, limits, sentUpTo);
  const socket = dgram.createSocket({ type: 'udp4' });
  const timers = new Set<ReturnType<typeof setTimeout>>();
  socket.on('message', (msg, rinfo) => {
    const t = nowNs();
    const r = core.handle(msg, `${rinfo.address}:${rinfo.port}`, t);
    if ('refused' in r) return; // no reply, counted
    const send = () => {
      for (const p of r.packets) socket.send(p, rinfo.port, rinfo.address);
    };
    const wait = (r.sendAtNs - t) / 1e6;
    if (wait <= 0) send();
    else {
      const timer = setTimeout(() => {
        timers.delete(timer);
        send();
      }, wait);
      timers.add(timer);
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return {
    core,
    port: socket.address().port,
    close: () => new Promise<void>((resolve) => {
      for (const t of timers) clearTimeout(t);
      socket.close(() => resolve());
    }),
  };
}
