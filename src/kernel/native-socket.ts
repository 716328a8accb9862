/**
 * A socket the addon opened, owned by one object: its event-loop watch (native/socket_watch.c)
 * stopped and its fd closed once. A second close must not close an fd number the process has
 * since given to another socket.
 */
import { addonModule } from '../shm/segment.js';

export class NativeSocket {
  private watch: unknown = null;
  private closed = false;

  constructor(readonly fd: number) {}

  /** Runs `onReadable` from Node's event loop whenever datagrams are queued, until close(). */
  protected watchReadable(onReadable: () => void): void {
    this.watch = addonModule().socketWatch(this.fd, (status) => {
      if (status >= 0) onReadable();
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const a = addonModule();
    if (this.watch !== null) a.socketUnwatch(this.watch);
    this.watch = null;
    a.captureClose(this.fd);
  }
}
