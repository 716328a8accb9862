/**
 * The lab's children each lead a process group of their own (child-preload.cts, setpgid through
 * the addon), so that a signal to the user's job (a terminal's Ctrl-C, timeout(1)) reaches the
 * controller alone (run.test.ts). They stay in the controller's session: where the kernel groups
 * tasks by session for CPU time (sched(7), autogroup), the NIC's nice -10 still ranks it against
 * the subscribers, as it did when they shared the controller's process group.
 */
import { describe, expect, it } from 'vitest';
import { Lab } from '../../src/experiment/lab.js';
import { statFields } from '../../src/metrics/proc-sample.js';
import { config, G1 } from '../helpers/lab.js';

/** From /proc/PID/stat: the process group (field 5) and the session (field 6). */
function stat(pid: number): { group: number; session: number } {
  const f = statFields(pid) ?? [];
  return { group: Number(f[2]), session: Number(f[3]) };
}

describe('the lab\'s children and the user\'s job', () => {
  it('each child leads a process group of its own, in the controller\'s session', async () => {
    const lab = new Lab(config({ subscribers: [{ name: 'a', groups: [G1], env: { EF_POLL_USEC: 0 } }] }), { durationNs: 5e8 });
    try {
      await lab.start();
      const s = lab.snapshot();
      const me = stat(process.pid);
      for (const pid of [s.nic.pid!, s.subscribers[0].pid!]) {
        const c = stat(pid);
        expect(c.group, `pid ${pid}`).toBe(pid);
        expect(c.group).not.toBe(me.group);
        expect(c.session, `pid ${pid}`).toBe(me.session);
      }
      await lab.finish();
    } finally {
      await lab.teardown();
    }
  }, 60_000);
});
