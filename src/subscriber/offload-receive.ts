/**
 * `receive: offload`: the subscriber's end of a socket the NIC terminates (DESIGN §10, NIC model
 * inic). The NIC did the transport processing and writes payload records (src/kernel/
 * offload-record.ts) to a local stream socket; the host's socket layer copies them into this
 * process (one copy) with a system call and a wake-up per read, as the mode's picture says.
 * Records that straddle two reads are reassembled; the rest are read in place in the chunk.
 */
import net from 'node:net';
import { OFFLOAD_MAX_PAYLOAD, OFFLOAD_META_BYTES, offloadBufferRequest } from '../kernel/offload-record.js';
import type { Delivery } from './receive-modes.js';
import { STAMP_SCHEDULED, STAMP_SENT } from '../metrics/stamps.js';

export class OffloadReceive {
  private server: net.Server | null = null;
  private conn: net.Socket | null = null;
  /** A record split across reads, put back together. */
  private readonly partial = Buffer.alloc(OFFLOAD_META_BYTES + OFFLOAD_MAX_PAYLOAD);
  private readonly partialView = new DataView(this.partial.buffer, this.partial.byteOffset, this.partial.length);
  private partialLength = 0;
  private lastSeq = -1;
  received = 0;
  /** Gaps in the records' sequence: records the NIC could not queue on the socket. */
  gaps = 0;
  /** Payload bytes the socket layer copied into this process. */
  bytesCopied = 0;
  reads = 0;

  constructor(private readonly to: Delivery) {}

  /**
   * Listens on the offloaded socket's address; the NIC connects when the group's traffic starts,
   * and is told the socket buffer to give its end (`rcvbuf`; undefined: the default).
   */
  listen(path: string, rcvbuf?: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = net.createServer((c) => {
        this.conn?.destroy();
        this.conn = c;
        c.setNoDelay?.(true);
        c.on('data', this.onData);
        c.on('error', () => undefined);
        c.write(offloadBufferRequest(rcvbuf));
      });
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        this.server = server;
        resolve();
      });
    });
  }

  private readonly onData = (chunk: Buffer): void => {
    this.reads++;
    const v = new DataView(chunk.buffer, chunk.byteOffset, chunk.length);
    let p = 0;
    if (this.partialLength > 0) p = this.completePartial(chunk);
    while (p < chunk.length) {
      if (chunk.length - p < OFFLOAD_META_BYTES) break;
      const len = v.getUint16(p, true);
      if (p + OFFLOAD_META_BYTES + len > chunk.length) break;
      this.record(chunk, v, p, len);
      p += OFFLOAD_META_BYTES + len;
    }
    if (p < chunk.length) {
      chunk.copy(this.partial, 0, p);
      this.partialLength = chunk.length - p;
    }
  };

  /** Fills the split record from the start of `chunk`; returns how much of the chunk it used. */
  private completePartial(chunk: Buffer): number {
    let used = 0;
    if (this.partialLength < OFFLOAD_META_BYTES) {
      used = Math.min(OFFLOAD_META_BYTES - this.partialLength, chunk.length);
      chunk.copy(this.partial, this.partialLength, 0, used);
      this.partialLength += used;
      if (this.partialLength < OFFLOAD_META_BYTES) return used;
    }
    const need = OFFLOAD_META_BYTES + this.partialView.getUint16(0, true) - this.partialLength;
    const take = Math.min(need, chunk.length - used);
    chunk.copy(this.partial, this.partialLength, used, used + take);
    this.partialLength += take;
    used += take;
    if (take === need) {
      this.record(this.partial, this.partialView, 0, this.partialView.getUint16(0, true));
      this.partialLength = 0;
    }
    return used;
  }

  private record(b: Buffer, v: DataView, at: number, len: number): void {
    const seq = v.getUint32(at + 4, true);
    if (this.lastSeq !== -1) {
      const gap = (seq - this.lastSeq - 1) >>> 0;
      if (gap > 0 && gap < 0x80000000) this.gaps += gap;
    }
    this.lastSeq = seq;
    this.received++;
    this.bytesCopied += len;
    const st = this.to.stamps;
    st[STAMP_SCHEDULED] = v.getFloat64(at + 8, true);
    st[STAMP_SENT] = v.getFloat64(at + 16, true);
    this.to.deliver(b, v, at + OFFLOAD_META_BYTES, len);
  }

  close(): void {
    this.conn?.destroy();
    this.server?.close();
    this.conn = null;
    this.server = null;
  }
}
