/**
 * The NIC's spin margin follows how late this host wakes a sleeper: from 100 µs to the median
 * oversleep plus 10 µs, once per 256 sleeps, within 20-200 µs.
 */
import { describe, expect, it } from 'vitest';
import { SPIN_SAMPLES, SpinMargin } from '../../src/nic/spin-margin.js';

const feed = (m: SpinMargin, lateNs: (i: number) => number) => {
  for (let i = 0; i < SPIN_SAMPLES; i++) m.slept(lateNs(i));
};

describe('SpinMargin', () => {
  it('starts at 100 µs and moves only after a full sample, to the median oversleep plus 10 µs', () => {
    const m = new SpinMargin();
    expect(m.ns).toBe(100e3);
    for (let i = 0; i < SPIN_SAMPLES - 1; i++) m.slept(40e3);
    expect(m.ns).toBe(100e3);
    m.slept(40e3);
    // Log buckets are within 12.5% of the value: 40 µs reads as at most 45 µs.
    expect(m.ns).toBeGreaterThanOrEqual(50e3);
    expect(m.ns).toBeLessThanOrEqual(55e3);
    // Half the sleeps 40 µs late, half 300 µs: the median decides, not the tail.
    feed(m, (i) => (i % 2 === 0 ? 40e3 : 300e3));
    expect(m.ns).toBeLessThanOrEqual(55e3);
  });

  it('keeps within 20-200 µs: a prompt host, an early wake-up, a host that wakes it very late', () => {
    const m = new SpinMargin();
    feed(m, () => -5e3);
    expect(m.ns).toBe(20e3);
    feed(m, () => 2e6);
    expect(m.ns).toBe(200e3);
  });
});
