/**
 * The kernel path's sender (issue 16): one socket per group, connected, multicast out of
 * 127.0.0.1 with TTL 0, sent with one send() from the packet's own buffer. Node's dgram made a
 * request object, a callback and a Buffer per datagram: several hundred bytes of garbage a
 * packet in the NIC, whose scavenges (stretched when the NIC shares its CPU) delayed the replay.
 */
import { addonModule } from '../shm/segment.js';
import { LOOPBACK } from './native-receiver.js';
import { NativeSocket } from './native-socket.js';

export class NativeMulticastSender extends NativeSocket {
  private readonly sendFn = addonModule().mcastSend;

  constructor(group: number, port: number) {
    super(addonModule().mcastOpen(group, port, LOOPBACK));
  }

  /** Sends `bytes[offset, offset+length)` as one datagram; bytes sent (0: the kernel refused it for want of buffers). */
  send(bytes: Buffer, offset: number, length: number): number {
    return this.sendFn(this.fd, bytes, offset, length);
  }
}
