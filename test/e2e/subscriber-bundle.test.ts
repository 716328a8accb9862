/**
 * A lab's subscriber runs from its CommonJS bundle (scripts/bundle.mjs), for its memory (the
 * bench's subscriber RSS row): an ES module entry keeps Node's ESM loader resident. Pinned to a
 * CPU of its own, it runs single-threaded too (no compiler thread, nor its malloc arena); unpinned
 * it keeps V8's compiler thread. Its young generation is 1 MB, the NIC's 2. Checked on a running
 * lab's real processes.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { describe, expect, it } from 'vitest';
import { Lab } from '../../src/experiment/lab.js';
import { deliveredTotal, droppedTotal } from '../../src/experiment/accounting.js';
import { config, G1, G2 } from '../helpers/lab.js';
import { allowedCpus } from '../helpers/cpus.js';

/** A process's command line, as the kernel has it. */
function cmdline(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
}

const TWO = cpus().length >= 2 && allowedCpus('self').length >= 2;

describe('the subscriber process', () => {
  it.skipIf(!TWO)(`runs the bundle; single-threaded only when pinned to a CPU of its own; its accounts balance${TWO ? '' : ' [needs 2 CPUs allowed to this process]'}`, async () => {
    const cpusNow = allowedCpus('self');
    const lab = new Lab(config({
      subscribers: [
        { name: 'pinned', groups: [G1], cpu: cpusNow[cpusNow.length - 1], env: { EF_POLL_USEC: 0 } },
        { name: 'free', groups: [G2], env: { EF_POLL_USEC: 0 } },
      ],
    }), { durationNs: 5e8 });
    try {
      await lab.start();
      const [pinned, free] = ['pinned', 'free'].map((n) => cmdline(lab.snapshot().subscribers.find((x) => x.name === n)!.pid!));
      for (const args of [pinned, free]) expect(args.some((a) => a.endsWith('/dist/bundle/subscriber-process.cjs')), args.join(' ')).toBe(true);
      expect(pinned).toContain('--single-threaded');
      expect(free).not.toContain('--single-threaded');
      // Its young generation is half the NIC's (children.ts): V8 takes the last of a flag given twice.
      if (process.env.MDLAB_SEMI_SPACE_MB === undefined) {
        const semi = (args: string[]) => args.filter((a) => a.startsWith('--max-semi-space-size=')).pop();
        for (const args of [pinned, free]) expect(semi(args), args.join(' ')).toBe('--max-semi-space-size=1');
        expect(semi(cmdline(lab.snapshot().nic.pid!))).toBe('--max-semi-space-size=2');
      }
      const s = await lab.finish();
      for (const sub of s.subscribers) {
        const m = sub.memberships[0];
        expect(m.account.delivered.bypass, sub.name).toBeGreaterThan(0);
        expect(deliveredTotal(m.account) + droppedTotal(m.account), sub.name).toBe(m.account.sent);
      }
    } finally {
      await lab.teardown();
    }
  }, 60_000);
});
