import { describe, expect, it } from 'vitest';
import { planCpus } from '../../src/experiment/cpu-plan.js';
import type { SubscriberSettings } from '../../src/subscriber/settings.js';

const sub = (name: string, o: Partial<SubscriberSettings> = {}) => ({ name, cpu: null, pollUsec: 0, intDriven: false, onload: true, receive: 'onload', dontAccelerate: false, ...o }) as SubscriberSettings;

describe('the CPU plan: a pinned spinner gets its core to itself', () => {
  it('the rest of the lab shares the other cores', () => {
    expect(planCpus([sub('book1'), sub('quotes', { cpu: 1, pollUsec: 100000 })], 2)).toEqual({ shared: [0], unpinned: [], warnings: [] });
  });
  it('a CPU the machine lacks is not pinned, and said', () => {
    const p = planCpus([sub('quotes', { cpu: 7 })], 2);
    expect(p).toMatchObject({ shared: null, unpinned: ['quotes'] });
    expect(p.warnings[0]).toBe('quotes asks for CPU 7, but this machine has 2 (0 to 1): not pinned');
  });
  it('more spinners than cores: a warning', () => {
    expect(planCpus([sub('a', { pollUsec: 100000 }), sub('b', { pollUsec: 100000 })], 2).warnings[0]).toMatch(/^2 subscribers spin \(EF_POLL_USEC\) and the NIC paces by spinning, on 2 cores/);
  });
});
