import { describe, expect, it } from 'vitest';
import { formatHostSpeed, referenceLoopNs, referenceSink } from '../../src/bench/host-speed.js';
import { hostBetween, stealShareOf } from '../../src/metrics/proc-sample.js';

describe('the bench\'s host speed', () => {
  it('times a fixed loop that really ran: a positive ns per turn, and the xorshift state it left', () => {
    const ns = referenceLoopNs(1);
    expect(ns).toBeGreaterThan(0);
    expect(ns).toBeLessThan(1e3);
    // 20 M turns of xorshift32 from the same seed never return to 0.
    expect(referenceSink()).not.toBe(0);
  });

  it('steal is the share of all CPU time between two /proc/stat samples (busy, idle and steal jiffies)', () => {
    const a = { busy: 100, idle: 800, steal: 10, tickNs: 1e7 };
    const b = { busy: 400, idle: 1400, steal: 110, tickNs: 1e7 };
    // 100 stolen of 300 + 600 + 100.
    const stealBetween = (x: typeof a | null, y: typeof b) => stealShareOf(hostBetween(x, y));
    expect(stealBetween(a, b)).toBeCloseTo(0.1, 10);
    expect(stealBetween(a, a)).toBeNull();
    expect(stealBetween(null, b)).toBeNull();
  });

  it('says both loop times and the steal, or that steal was not measured', () => {
    expect(formatHostSpeed({ referenceNs: { start: 1.234, end: 1.5 }, stealShare: 0.0123 })).toBe(
      'host speed: a fixed JS loop, 1.23 ns per turn at the start and 1.50 at the end (figures with no floor beside them scale with it across hosts); the hypervisor stole 1.2% of the CPU time over the bench',
    );
    expect(formatHostSpeed({ referenceNs: { start: 1, end: 1 }, stealShare: null })).toMatch(/; steal not measured$/);
  });
});
