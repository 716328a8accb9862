/**
 * The soak's live-heap figure: a subscriber's heap in use just after each full GC, least of the
 * first half to least of the second after a warm-up. V8's grown-and-kept heap, which RSS counts,
 * does not enter it; what the process keeps does.
 */
import { describe, expect, it } from 'vitest';
import { liveHeapGrowth } from '../../src/bench/soak.js';

const MB = 2 ** 20;
const at = (s: number, mb: number) => ({ atNs: s * 1e9, bytes: mb * MB });

describe('the soak\'s live-heap growth', () => {
  it('is flat for a heap that keeps what it kept (the spinner of a 600 s soak, measured)', () => {
    // quotes over 600 s: live heap after each full GC, MB (its RSS grew 58 -> 71 MB meanwhile).
    const g = liveHeapGrowth([at(1, 4.56), at(105, 4.92), at(182, 4.94), at(259, 4.64), at(336, 4.73), at(412, 4.84), at(488, 4.65), at(564, 4.65)]);
    expect(g).not.toBeNull();
    expect(g!.samples).toBe(6); // those at 1 and 105 s are in the warm-up (the first fifth of 563 s)
    expect(g!.startBytes).toBe(4.64 * MB);
    expect(g!.endBytes).toBe(4.65 * MB);
    expect(Math.abs(g!.growth)).toBeLessThan(0.01);
  });

  it('shows a leak: a floor that rises', () => {
    const g = liveHeapGrowth([at(0, 5), at(100, 5.5), at(200, 6), at(300, 6.5), at(400, 7), at(500, 7.5)]);
    expect(g!.growth).toBeCloseTo(6.5 / 5.5 - 1, 6);
  });

  it('gives nothing with fewer than two full GCs after the warm-up', () => {
    expect(liveHeapGrowth([])).toBeNull();
    expect(liveHeapGrowth([at(1, 5)])).toBeNull();
    expect(liveHeapGrowth([at(0, 5), at(100, 5)])).toBeNull();
  });
});
