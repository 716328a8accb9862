/**
 * A lab's subscriber runs from its CommonJS bundle (scripts/bundle.mjs), single-threaded, for its
 * memory (the bench's subscriber RSS row): an ES module entry keeps Node's ESM loader resident, and
 * a compiler thread its own malloc arena. Checked on a running lab's real process.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Lab } from '../../src/experiment/lab.js';
import { deliveredTotal, droppedTotal } from '../../src/experiment/accounting.js';
import { config, G1 } from '../helpers/lab.js';

/** A process's command line, as the kernel has it. */
function cmdline(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
}

describe('the subscriber process', () => {
  it('runs the bundle, single-threaded, and its account balances', async () => {
    const lab = new Lab(config({ subscribers: [{ name: 'a', groups: [G1], env: { EF_POLL_USEC: 0 } }] }), { durationNs: 5e8 });
    try {
      await lab.start();
      const pid = lab.snapshot().subscribers[0].pid!;
      const args = cmdline(pid);
      expect(args.some((a) => a.endsWith('/dist/bundle/subscriber-process.cjs'))).toBe(true);
      expect(args).toContain('--single-threaded');
      const s = await lab.finish();
      const m = s.subscribers[0].memberships[0];
      expect(m.account.delivered.bypass).toBeGreaterThan(0);
      expect(deliveredTotal(m.account) + droppedTotal(m.account)).toBe(m.account.sent);
    } finally {
      await lab.teardown();
    }
  }, 60_000);
});
