/**
 * The kernel's own count of datagrams it dropped at a socket (sk_drops: a full receive queue),
 * as /proc/net/udp shows it in its last column: what SO_RXQ_OVFL reports, read without a
 * private handle. A process has one socket per group it joined, so (this process's socket
 * inodes, the group's local address) names it.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

function socketInodes(): Set<string> {
  const out = new Set<string>();
  let fds: string[];
  try {
    fds = readdirSync('/proc/self/fd');
  } catch {
    return out;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m) out.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

/** /proc/net/udp's local address: the IPv4 address as a host-order (little-endian) hex word, and the port. */
function localAddress(group: number, port: number): string {
  const le = ((group & 0xff) << 24) | (((group >>> 8) & 0xff) << 16) | (((group >>> 16) & 0xff) << 8) | (group >>> 24);
  return `${(le >>> 0).toString(16).toUpperCase().padStart(8, '0')}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Drops the kernel counted at this process's socket bound to group:port, or null if none is found. */
export function kernelSocketDrops(group: number, port: number): number | null {
  let text: string;
  try {
    text = readFileSync('/proc/net/udp', 'utf8');
  } catch {
    return null;
  }
  const mine = socketInodes();
  const local = localAddress(group, port);
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 13 || f[1] !== local || !mine.has(f[9])) continue;
    const drops = Number(f[12]);
    return Number.isFinite(drops) ? drops : null;
  }
  return null;
}
