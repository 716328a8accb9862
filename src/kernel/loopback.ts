/**
 * The kernel path is the real kernel: UDP multicast on 127.0.0.1 with TTL 0 (it never leaves
 * the host), received by sockets that joined the group on 127.0.0.1 (joining on INADDR_ANY
 * received nothing here: DESIGN §7).
 */
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { ipv4ToString } from '../feed/bytes.js';

export const LOOPBACK = '127.0.0.1';

function bound(socket: dgram.Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    socket.once('error', onError);
    socket.bind({ port, address, exclusive: false }, () => {
      socket.off('error', onError);
      resolve();
    });
  });
}

/**
 * A sender for one group: connected, so each send goes straight to libuv (no address lookup
 * deferred to the next tick), multicast out of lo with TTL 0 and loopback on.
 */
export async function openMulticastSender(group: number, port: number): Promise<dgram.Socket> {
  const s = dgram.createSocket({ type: 'udp4' });
  await bound(s, 0, LOOPBACK);
  s.setMulticastInterface(LOOPBACK);
  s.setMulticastTTL(0);
  s.setMulticastLoopback(true);
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.connect(port, ipv4ToString(group), () => {
      s.off('error', reject);
      resolve();
    });
  });
  return s;
}

/**
 * A receiving socket joined to a group on 127.0.0.1. Bound to the group address, so it gets
 * that group only (Linux's IP_MULTICAST_ALL would otherwise hand it every group joined on the host).
 */
export async function openMulticastReceiver(group: number, port: number, rcvbuf?: number): Promise<dgram.Socket> {
  const s = dgram.createSocket({ type: 'udp4', reuseAddr: true, ...(rcvbuf ? { recvBufferSize: rcvbuf } : {}) });
  const addr = ipv4ToString(group);
  await bound(s, port, addr);
  s.addMembership(addr, LOOPBACK);
  return s;
}

/** The kernel's default socket receive buffer (net.core.rmem_default), bytes; 212992 when unreadable. */
export function defaultRcvbuf(): number {
  try {
    const n = Number(readFileSync('/proc/sys/net/core/rmem_default', 'utf8').trim());
    return Number.isFinite(n) && n > 0 ? n : 212992;
  } catch {
    return 212992;
  }
}
