/**
 * A lab that pins a subscriber runs its controller on the CPUs left over, until teardown, which
 * puts back the mask the process had. Children inherit their parent's mask at fork
 * (sched_setaffinity(2)), so a process that runs labs one after another (a sweep, the bench, a
 * test file) would otherwise start its next lab confined: the NIC and every subscriber on CPU 0.
 */
import { cpus } from 'node:os';
import { describe, expect, it } from 'vitest';
import { Lab } from '../../src/experiment/lab.js';
import { getAffinity } from '../../src/shm/segment.js';
import { config, G1 } from '../helpers/lab.js';
import { allowedCpus } from '../helpers/cpus.js';

const TWO = cpus().length >= 2 && allowedCpus('self').length >= 2;

describe('the CPU plan is the lab\'s, not the process\'s', () => {
  it.skipIf(!TWO)(`a pinned subscriber's lab gives its controller's CPUs back at teardown, and the next lab's children are not confined${TWO ? '' : ' [needs 2 CPUs allowed to this process]'}`, async () => {
    const before = allowedCpus('self');
    expect(getAffinity()).toEqual(before);
    const last = before[before.length - 1];
    const pinned = new Lab(config({ subscribers: [{ name: 'pinned', groups: [G1], cpu: last, env: { EF_POLL_USEC: 0 } }] }), { durationNs: 3e8 });
    try {
      await pinned.start();
      // While it runs, the controller and the NIC share what the pinned subscriber left.
      expect(allowedCpus('self')).toEqual(before.filter((c) => c !== last));
      expect(allowedCpus(pinned.snapshot().nic.pid!)).toEqual(before.filter((c) => c !== last));
      await pinned.finish();
    } finally {
      await pinned.teardown();
    }
    expect(allowedCpus('self')).toEqual(before);
    const next = new Lab(config({ subscribers: [{ name: 'free', groups: [G1], env: { EF_POLL_USEC: 0 } }] }), { durationNs: 3e8 });
    try {
      await next.start();
      const s = next.snapshot();
      expect(allowedCpus(s.nic.pid!)).toEqual(before);
      expect(allowedCpus(s.subscribers[0].pid!)).toEqual(before);
      await next.finish();
    } finally {
      await next.teardown();
    }
  }, 60_000);
});
