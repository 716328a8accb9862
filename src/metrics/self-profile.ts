/**
 * A process's own V8 CPU profile (the inspector's sampling profiler), for the bench's account
 * of where the NIC's time per packet goes. Sampling costs the process some of its speed, so it
 * runs only in a repetition of its own, never in a measured one.
 */
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';

export class SelfProfile {
  private readonly session = new Session();
  private stopped = false;

  constructor(private readonly path: string, intervalUs = 100) {
    this.session.connect();
    this.session.post('Profiler.enable');
    this.session.post('Profiler.setSamplingInterval', { interval: intervalUs });
    this.session.post('Profiler.start');
  }

  /** Stops sampling and writes the profile (.cpuprofile JSON). A session on the main thread answers at once: the file is whole when this returns. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.session.post('Profiler.stop', (err, r) => {
      if (!err && r) writeFileSync(this.path, JSON.stringify(r.profile));
    });
    this.session.disconnect();
  }
}
