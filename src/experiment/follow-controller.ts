/**
 * For the lab's child processes (the NIC, subscribers): their lives follow the controller's.
 * When it goes, so do they (no orphan holds a stack mapped), and if it died without cleaning up
 * (SIGKILL), its segments go with them. A hangup of the terminal reaches the whole process group:
 * the controller handles it and tears the lab down, so children wait for it rather than die unswept.
 */
import { pidAlive, sweepStaleSegments } from '../shm/segment.js';

export function followController(): void {
  process.on('SIGHUP', () => undefined);
  // Taken now: once the controller has died, process.ppid names whoever adopted us.
  const controller = process.ppid;
  process.on('disconnect', () => {
    // The channel closes a moment before the controller is gone: wait for it, then sweep.
    const until = Date.now() + 2000;
    const sweep = () => {
      if (pidAlive(controller) && Date.now() < until) {
        setTimeout(sweep, 20);
        return;
      }
      sweepStaleSegments();
      process.exit(0);
    };
    sweep();
  });
}
