/**
 * The lab's children have a session (and process group) of their own, so that a signal to the
 * user's job (a terminal's Ctrl-C, timeout(1)) reaches the controller alone (run.test.ts). Where
 * the kernel groups tasks by session for CPU time (sched(7), autogroup), the NIC sets its
 * session's nice as well as its own: its nice -10 would otherwise rank it only inside a group it
 * is alone in, and no longer ahead of the subscribers.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Lab } from '../../src/experiment/lab.js';
import { config, G1 } from '../helpers/lab.js';

/** Fields of /proc/PID/stat after the command (field 3 on): session is field 6, nice field 19. */
function stat(pid: number): { session: number; nice: number } {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { session: Number(f[3]), nice: Number(f[16]) };
}

const AUTOGROUP = existsSync('/proc/sys/kernel/sched_autogroup_enabled') && readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() === '1';
const ROOT_USER = process.getuid?.() === 0;

describe('the lab\'s children and the scheduler', () => {
  it(`each child leads a session of its own; the NIC's priority holds against the subscribers${AUTOGROUP && ROOT_USER ? '' : ' [its autogroup nice needs autogroups and root: only the sessions are checked]'}`, async () => {
    const lab = new Lab(config({ subscribers: [{ name: 'a', groups: [G1], env: { EF_POLL_USEC: 0 } }] }), { durationNs: 5e8 });
    try {
      await lab.start();
      const s = lab.snapshot();
      const nic = s.nic.pid!;
      const sub = s.subscribers[0].pid!;
      for (const pid of [nic, sub]) expect(stat(pid).session, `pid ${pid}`).toBe(pid);
      expect(stat(process.pid).session).not.toBe(stat(nic).session);
      if (AUTOGROUP && ROOT_USER) {
        expect(stat(nic).nice).toBe(-10);
        expect(readFileSync(`/proc/${nic}/autogroup`, 'utf8')).toMatch(/ nice -10$/m);
        expect(readFileSync(`/proc/${sub}/autogroup`, 'utf8')).toMatch(/ nice 0$/m);
      }
      await lab.finish();
    } finally {
      await lab.teardown();
    }
  }, 60_000);
});
