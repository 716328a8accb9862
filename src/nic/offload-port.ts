/**
 * The socket-offload NIC's side of one offloaded socket (model inic, receive: offload): it did
 * the transport processing, so it writes only payload records (src/kernel/offload-record.ts) to
 * the subscriber's local stream socket. Each record is one write(2) on the socket's descriptor:
 * no allocation, and the NIC never waits (a full socket buffer drops the record, and the
 * subscriber sees the gap: oflow-drop). Records made before the connection is up are kept.
 */
import { writeSync } from 'node:fs';
import net from 'node:net';
import { OFFLOAD_BUFFER_REQUEST_BYTES, OFFLOAD_MAX_PAYLOAD, OFFLOAD_META_BYTES, offloadSocketPath, writeOffloadRecord } from '../kernel/offload-record.js';
import { addonModule } from '../shm/segment.js';

const RECORD_BYTES = OFFLOAD_META_BYTES + OFFLOAD_MAX_PAYLOAD;
/** Records kept while connecting; beyond this they are dropped (and show as gaps). */
const MAX_PENDING = 4096;

export class OffloadPort {
  private readonly socket: net.Socket;
  private fd = -1;
  private readonly record = Buffer.alloc(RECORD_BYTES);
  private readonly view = new DataView(this.record.buffer, this.record.byteOffset, RECORD_BYTES);
  /** The unwritten end of a record a short write left (stream framing must stay whole). */
  private readonly tail = Buffer.alloc(RECORD_BYTES);
  private tailLength = 0;
  private pending: Buffer[] = [];
  private seq = 0;
  private closed = false;
  /** The subscriber's request for this socket's buffer, as it arrives. */
  private request = Buffer.alloc(0);

  constructor(lab: number, readonly membership: number) {
    this.socket = net.createConnection({ path: offloadSocketPath(lab, membership) });
    this.socket.on('connect', () => {
      // The descriptor, for write(2) straight from the transmit loop (libuv made it non-blocking).
      this.fd = (this.socket as unknown as { _handle: { fd: number } })._handle.fd;
      for (const b of this.pending) this.writeRecord(b, b.length);
      this.pending = [];
    });
    this.socket.on('data', (d: Buffer) => this.onRequest(d));
    this.socket.on('error', () => this.close());
  }

  /** The subscriber's one message: the buffer for this socket (its rcvbuf), given to this end. */
  private onRequest(d: Buffer): void {
    if (this.request.length >= OFFLOAD_BUFFER_REQUEST_BYTES || this.fd < 0) return;
    this.request = Buffer.concat([this.request, d]).subarray(0, OFFLOAD_BUFFER_REQUEST_BYTES);
    if (this.request.length < OFFLOAD_BUFFER_REQUEST_BYTES) return;
    const bytes = this.request.readUInt32LE(0);
    if (bytes === 0) return;
    try {
      addonModule().socketSendBuffer(this.fd, bytes);
    } catch {
      // Kept at the default: the records that do not fit still show as gaps (oflow-drop).
    }
  }

  /** One datagram's payload to the subscriber. */
  send(group: number, scheduledNs: number, sentNs: number, payload: Buffer, pv: DataView, off: number, len: number): void {
    if (this.closed) return;
    const n = writeOffloadRecord(this.record, this.view, group, ++this.seq, scheduledNs, sentNs, payload, pv, off, len);
    if (n === 0) return;
    if (this.fd < 0) {
      if (this.pending.length < MAX_PENDING) this.pending.push(Buffer.from(this.record.subarray(0, n)));
      return;
    }
    this.writeRecord(this.record, n);
  }

  private writeRecord(b: Buffer, n: number): void {
    if (this.tailLength > 0 && !this.flushTail()) return; // dropped: the subscriber sees the gap
    let written = 0;
    try {
      written = writeSync(this.fd, b, 0, n);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') this.close();
      return; // dropped: the subscriber sees the gap
    }
    if (written < n) {
      b.copy(this.tail, 0, written, n);
      this.tailLength = n - written;
    }
  }

  private flushTail(): boolean {
    try {
      const w = writeSync(this.fd, this.tail, 0, this.tailLength);
      this.tail.copy(this.tail, 0, w, this.tailLength);
      this.tailLength -= w;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') this.close();
    }
    return this.tailLength === 0;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
  }
}
