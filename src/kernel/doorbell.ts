/**
 * The NIC's interrupt to a blocked reader, through the addon (issue 16): a one-byte datagram on
 * 127.0.0.1, a real trip through the kernel as an interrupt's wake-up is, but sent with one
 * sendto and received by a socket Node's event loop watches (native/socket_watch.c), drained with
 * recvmmsg: no Buffer, event or libuv request per doorbell, which had made the interrupt-driven
 * bypass path dearer than the kernel path it is meant to beat.
 */
import { addonModule } from '../shm/segment.js';
import { LOOPBACK } from './native-receiver.js';

const BATCH = 16;

/** A reader's doorbell: `onRing` runs (once per wake, whatever the number of doorbells queued) when the NIC rings. */
export class DoorbellReceiver {
  readonly fd: number;
  readonly port: number;
  private readonly buf = Buffer.alloc(64 * BATCH);
  private readonly meta = new Float64Array(8 * BATCH);
  private watch: unknown;
  private closed = false;

  constructor(onRing: () => void) {
    const a = addonModule();
    this.fd = a.udpOpen(LOOPBACK, 0);
    this.port = a.udpPort(this.fd);
    this.watch = a.socketWatch(this.fd, (status) => {
      if (status < 0) return;
      let any = false;
      while (a.captureRead(this.fd, this.buf, 64, this.meta) > 0) any = true;
      if (any) onRing();
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const a = addonModule();
    a.socketUnwatch(this.watch);
    a.captureClose(this.fd);
  }
}

/** The NIC's side: one socket rings every reader's doorbell by port. */
export class DoorbellSender {
  private readonly fd: number;
  private readonly one = Buffer.from([1]);
  private closed = false;

  constructor() {
    this.fd = addonModule().udpOpen(LOOPBACK, 0);
  }

  ring(port: number): void {
    addonModule().udpSend(this.fd, LOOPBACK, port, this.one);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    addonModule().captureClose(this.fd);
  }
}
