/**
 * The NIC's interrupt to a blocked reader, through the addon (issue 16): a one-byte datagram on
 * 127.0.0.1, a real trip through the kernel as an interrupt's wake-up is, but sent with one
 * sendto and received by a socket Node's event loop watches (native/socket_watch.c), drained with
 * recvmmsg: no Buffer, event or libuv request per doorbell, which had made the interrupt-driven
 * bypass path dearer than the kernel path it is meant to beat.
 */
import { LogHistogram } from '../metrics/log-buckets.js';
import { addonModule } from '../shm/segment.js';
import { LOOPBACK } from './native-receiver.js';
import { NativeSocket } from './native-socket.js';

const BATCH = 16;

/** A reader's doorbell: `onRing` runs (once per wake, whatever the number of doorbells queued) when the NIC rings. */
export class DoorbellReceiver extends NativeSocket {
  readonly port: number;
  private readonly buf = Buffer.alloc(64 * BATCH);
  private readonly meta = new Float64Array(8 * BATCH);
  /** Per wake: how long the doorbell that woke the reader waited in its socket (kernel stamp to read, ns): the host's wake-up of a sleeping process. */
  readonly waits = new LogHistogram();

  constructor(onRing: () => void) {
    const a = addonModule();
    super(a.udpOpen(LOOPBACK, 0));
    this.port = a.udpPort(this.fd);
    this.watchReadable(() => {
      let any = false;
      for (;;) {
        const n = a.captureRead(this.fd, this.buf, 64, this.meta);
        if (n <= 0) break;
        // The first doorbell queued is the one that woke the reader; the rest rang while it woke.
        if (!any && this.meta[7] >= 0) this.waits.record(this.meta[7]);
        any = true;
        // A short batch emptied the socket: no second system call to hear EAGAIN.
        if (n < BATCH) break;
      }
      if (any) onRing();
    });
  }
}

/** The NIC's side: one socket rings every reader's doorbell by port. */
export class DoorbellSender extends NativeSocket {
  private readonly one = Buffer.from([1]);
  private readonly sendFn = addonModule().udpSend;

  constructor() {
    super(addonModule().udpOpen(LOOPBACK, 0));
  }

  ring(port: number): void {
    this.sendFn(this.fd, LOOPBACK, port, this.one);
  }
}
