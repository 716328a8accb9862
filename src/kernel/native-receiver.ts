/**
 * A subscriber's kernel socket, read natively (issue 16; `kernelSocket: native`, the default):
 * the addon's own UDP socket, joined to the group on 127.0.0.1, watched by Node's event loop
 * (native/socket_watch.c), drained with recvmmsg a batch at a time into one buffer allocated
 * here. Nothing is allocated per datagram: each is handed on as (bytes, view, offset, length)
 * into the batch buffer, valid during the call. Node's dgram (`kernelSocket: node`) makes a
 * Buffer, an event and a JavaScript call per datagram: the cost a C feed handler does not pay.
 */
import { LogHistogram } from '../metrics/log-buckets.js';
import { addonModule } from '../shm/segment.js';
import { NativeSocket } from './native-socket.js';

/** Room per datagram: a MoldUDP64 packet fits an Ethernet frame (1472 bytes); larger ones are cut and counted. */
export const NATIVE_SLOT_BYTES = 2048;
const BATCH = 64;
const META = 8;
/** 127.0.0.1 as the addon takes it (host order). */
export const LOOPBACK = 0x7f000001;

export type DatagramSink = (bytes: Buffer, view: DataView, off: number, len: number) => void;

export class NativeMulticastReceiver extends NativeSocket {
  private readonly buf = Buffer.alloc(NATIVE_SLOT_BYTES * BATCH);
  private readonly view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  private readonly meta = new Float64Array(BATCH * META);
  /** Datagrams larger than a slot (cut by the kernel to fit): not MoldUDP64 from this feed. */
  truncated = 0;
  /** The kernel's drop count at this socket (SO_RXQ_OVFL), from the last datagram that carried it. */
  kernelDrops = 0;
  /** System calls that returned datagrams, and the datagrams: the batch the kernel path gives. */
  reads = 0;
  datagrams = 0;
  /** How long each datagram waited in the socket, from the kernel's stamp to its read (ns): a sleeping reader's wake-up, or its backlog. */
  readonly waits = new LogHistogram();

  /** Joined on 127.0.0.1 and bound to the group, as Node's dgram socket would be; `rcvbuf` as SO_RCVBUF (capped by rmem_max, like any application's). */
  constructor(group: number, port: number, rcvbuf: number | undefined) {
    super(addonModule().captureOpen(group, port, LOOPBACK, rcvbuf ?? 0, 0));
  }

  /** Hands every datagram to `sink` as it comes, until close(). */
  start(sink: DatagramSink): void {
    this.watchReadable(() => this.drain(sink));
  }

  /** Reads what is queued, a batch per system call, until the socket is empty. */
  drain(sink: DatagramSink): number {
    const a = addonModule();
    const m = this.meta;
    let total = 0;
    for (;;) {
      const n = a.captureRead(this.fd, this.buf, NATIVE_SLOT_BYTES, m);
      if (n <= 0) break;
      this.reads++;
      this.datagrams += n;
      total += n;
      for (let i = 0; i < n; i++) {
        const o = i * META;
        if (m[o + 5] >= 0) this.kernelDrops = m[o + 5];
        if (m[o + 7] >= 0) this.waits.record(m[o + 7]);
        if (m[o + 6] === 1) {
          this.truncated++;
          continue;
        }
        sink(this.buf, this.view, i * NATIVE_SLOT_BYTES, m[o]);
      }
      if (n < BATCH) break;
    }
    return total;
  }
}
