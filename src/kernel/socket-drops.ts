/**
 * The kernel's own count of datagrams it dropped at a socket (sk_drops: a full receive queue),
 * as /proc/net/udp shows it in its last column: what SO_RXQ_OVFL reports, read without a
 * private handle. A process has one socket per group it joined, so (this process's socket
 * inodes, the group's local address) names it.
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { readProc } from '../metrics/proc-read.js';

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

/** One row of /proc/net/udp: the local address (hex, as the file writes it), its port, the socket's inode and drops. */
export interface UdpSocketRow {
  local: string;
  port: number;
  inode: string;
  drops: number;
}

/** The UDP sockets of this network namespace, as /proc/net/udp lists them (empty when unreadable). */
export function udpSockets(): UdpSocketRow[] {
  const text = readProc('/proc/net/udp');
  if (text === null) return [];
  const rows: UdpSocketRow[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 13) continue;
    rows.push({ local: f[1], port: parseInt(f[1].split(':')[1], 16), inode: f[9], drops: Number(f[12]) });
  }
  return rows;
}

/**
 * A subscriber asks for every membership at every report: one read of /proc/net/udp serves the
 * memberships of one report (the reads of the same instant), and this process's socket inodes
 * are read again only when a socket is not among them (one opened since). Read afresh per
 * membership, they were ~0.5 MB of the 7.8 MB a spinning subscriber made in 6 s.
 */
const SAME_READ_MS = 20;
let lastRead: { atMs: number; rows: UdpSocketRow[] } | null = null;
let myInodes: Set<string> | null = null;

/** Drops the kernel counted at this process's socket bound to group:port, or null if none is found. `fresh`: read now (a final count). */
export function kernelSocketDrops(group: number, port: number, fresh = false): number | null {
  const now = Date.now();
  if (fresh || !lastRead || now - lastRead.atMs > SAME_READ_MS) lastRead = { atMs: now, rows: udpSockets() };
  const local = localAddress(group, port);
  const find = (mine: Set<string>) => lastRead!.rows.find((r) => r.local === local && mine.has(r.inode));
  let row = find((myInodes ??= socketInodes()));
  if (!row) row = find((myInodes = socketInodes()));
  return row && Number.isFinite(row.drops) ? row.drops : null;
}
