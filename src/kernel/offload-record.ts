/**
 * What the socket-offload NIC (model inic) writes to an offloaded socket: the UDP payload only,
 * with the few facts a completion descriptor carries (no Ethernet, IP or UDP header: the NIC
 * did that processing). One record per datagram, on a local stream socket, so it reaches the
 * subscriber through the host's socket layer, system calls and wake-ups included.
 *
 *   0 payload length (u16)  2 group index (u16)  4 sequence on this socket (u32)
 *   8 scheduled wire time ns (f64)  16 NIC send time ns (f64)  24 payload
 *
 * The other way, once, as it accepts the connection: the subscriber's socket buffer (its
 * rcvbuf; u32, 0 for the default). A stream socket's queue is its sender's send buffer, so the
 * NIC sizes its end with it (SO_SNDBUF), as a kernel socket's rcvbuf sizes its queue.
 */
import { copyBytes } from '../shm/copy.js';

export const OFFLOAD_META_BYTES = 24;
export const OFFLOAD_MAX_PAYLOAD = 2048;
/** The subscriber's one message to the NIC: the buffer it asks for (u32 LE bytes; 0: the default). */
export const OFFLOAD_BUFFER_REQUEST_BYTES = 4;

export function offloadBufferRequest(bytes: number | undefined): Buffer {
  const b = Buffer.alloc(OFFLOAD_BUFFER_REQUEST_BYTES);
  b.writeUInt32LE(bytes ?? 0, 0);
  return b;
}

/** The offloaded socket's address: an abstract Unix socket (nothing on disk to clean up). */
export function offloadSocketPath(lab: number, membership: number): string {
  return `\0mdlab-offload.${lab >>> 0}.${membership}`;
}

/** Writes one record at `out[0..)`; returns its length (0 if the payload is too big). */
export function writeOffloadRecord(out: Buffer, ov: DataView, group: number, seq: number, scheduledNs: number, sentNs: number, payload: Buffer, pv: DataView, off: number, len: number): number {
  if (len > OFFLOAD_MAX_PAYLOAD || OFFLOAD_META_BYTES + len > out.length) return 0;
  ov.setUint16(0, len, true);
  ov.setUint16(2, group, true);
  ov.setUint32(4, seq >>> 0, true);
  ov.setFloat64(8, scheduledNs, true);
  ov.setFloat64(16, sentNs, true);
  copyBytes(payload, pv, off, out, ov, OFFLOAD_META_BYTES, len);
  return OFFLOAD_META_BYTES + len;
}
