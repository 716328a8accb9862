/**
 * Capture sockets through the addon (native/udp_capture.c): each datagram with the kernel's own
 * receive time (SO_TIMESTAMPNS, CLOCK_REALTIME) and the socket's drop count (SO_RXQ_OVFL), read
 * in batches. Node's dgram stamps nothing and hides drops; `mdlab record` needs both.
 */
import { readlinkSync } from 'node:fs';
import { addonModule } from '../shm/segment.js';
import { NativeSocket } from './native-socket.js';

/** Room per datagram: a loopback datagram can be as large as UDP allows. */
export const SLOT_BYTES = 65536;
const BATCH = 64;
const META = 8;

export interface CapturedDatagram {
  sec: number;
  nsec: number;
  srcAddr: number;
  srcPort: number;
  /** Bytes actually received (at most SLOT_BYTES); `length` is the datagram's own. */
  length: number;
  truncated: boolean;
}

export class CaptureSocket extends NativeSocket {
  private readonly buf = Buffer.allocUnsafe(SLOT_BYTES * BATCH);
  private readonly meta = new Float64Array(BATCH * META);
  /** The kernel's drop count at this socket, from the last datagram that carried it. */
  drops = 0;

  constructor(readonly group: number, readonly port: number, iface: number, rcvbuf: number) {
    super(addonModule().captureOpen(group, port, iface, rcvbuf));
  }

  /** What the kernel granted (SO_RCVBUF: twice the request, for its bookkeeping). */
  get rcvbuf(): number {
    return addonModule().captureRcvbuf(this.fd);
  }

  /** The socket's inode, as /proc/net/udp names it. */
  get inode(): string | null {
    const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${this.fd}`));
    return m ? m[1] : null;
  }

  /**
   * Reads what is queued, up to one batch; calls `take` for each datagram with its bytes
   * (valid during the call only). Returns how many were read.
   */
  read(take: (d: CapturedDatagram, bytes: Buffer) => void): number {
    const n = addonModule().captureRead(this.fd, this.buf, SLOT_BYTES, this.meta);
    const m = this.meta;
    for (let i = 0; i < n; i++) {
      const o = i * META;
      const length = m[o];
      if (m[o + 5] >= 0) this.drops = m[o + 5];
      const got = Math.min(length, SLOT_BYTES);
      take({ length, srcAddr: m[o + 1], srcPort: m[o + 2], sec: m[o + 3], nsec: m[o + 4], truncated: m[o + 6] === 1 }, this.buf.subarray(i * SLOT_BYTES, i * SLOT_BYTES + got));
    }
    return n;
  }

  get batch(): number {
    return BATCH;
  }
}

/** Blocks for at most `ms` until one of the sockets has a datagram; returns how many do. */
export function waitForAny(sockets: readonly CaptureSocket[], ms: number): number {
  return addonModule().captureWait(sockets.map((s) => s.fd), ms);
}

/** CLOCK_REALTIME now, as [seconds, nanoseconds]: the clock the kernel's timestamps use. */
export function realtimeNow(): [number, number] {
  return addonModule().realtimeNow();
}
