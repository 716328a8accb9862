import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HistogramStore, summarizeCounts, type LatencySummary } from '../../src/metrics/histogram-store.js';
import type { Clock, RecordedPath } from '../../src/metrics/latency.js';
import { countsIndex, COUNTS_LENGTH, type IntervalCounts } from '../../src/metrics/shm-histogram.js';

type Sample = { path: RecordedPath; clock: Clock; values: number[] };

/** One read of a subscriber's counts: per (path, clock), the delta of what it counted, zero outside [lo, hi]. */
function interval(samples: Sample[]): IntervalCounts[] {
  const out = new Map<string, IntervalCounts>();
  for (const s of samples) {
    const key = `${s.path}|${s.clock}`;
    let iv = out.get(key);
    if (!iv) out.set(key, (iv = { path: s.path, clock: s.clock, delta: new Uint32Array(COUNTS_LENGTH), lo: COUNTS_LENGTH - 1, hi: 0 }));
    for (const v of s.values) {
      const i = countsIndex(v);
      iv.delta[i]++;
      iv.lo = Math.min(iv.lo, i);
      iv.hi = Math.max(iv.hi, i);
    }
  }
  return [...out.values()];
}

/** Equal but for the mean, which may differ in its last bits (sums taken in another order). */
function sameSummary(a: LatencySummary, b: LatencySummary): void {
  expect({ ...a, mean: 0 }).toEqual({ ...b, mean: 0 });
  expect(Math.abs(a.mean - b.mean)).toBeLessThanOrEqual(Math.abs(b.mean) * 1e-12);
}

// Latencies as a lab sees them: mostly ns to µs, a tail to seconds, and the odd value past the top.
const latency = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 20_000 }) },
  { weight: 3, arbitrary: fc.integer({ min: 20_000, max: 50_000_000 }) },
  { weight: 1, arbitrary: fc.double({ min: 0, max: 1e11, noNaN: true }) },
);
const sample = fc.record({
  path: fc.constantFrom<RecordedPath>('bypass', 'kernel', 'offload'),
  clock: fc.constantFrom<Clock>('scheduled', 'sent'),
  values: fc.array(latency, { maxLength: 60 }),
});

describe('the controller\'s histogram store', () => {
  it('summarises the whole run and the last interval exactly as one pass over their counts does, whatever arrives', () => {
    fc.assert(fc.property(fc.array(fc.array(sample, { maxLength: 4 }), { minLength: 1, maxLength: 8 }), (reads) => {
      const store = new HistogramStore();
      const totals = new Map<string, Float64Array>();
      let lastCounts = new Map<string, Uint32Array>();
      let t = 0;
      for (const read of reads) {
        const ivs = interval(read);
        store.add('s', 0, ivs, t, t + 100);
        t += 100;
        lastCounts = new Map();
        for (const iv of ivs) {
          const k = `${iv.path}|${iv.clock}`;
          const total = totals.get(k) ?? new Float64Array(COUNTS_LENGTH);
          for (let i = 0; i < COUNTS_LENGTH; i++) total[i] += iv.delta[i];
          totals.set(k, total);
          lastCounts.set(k, iv.delta);
        }
        for (const [k, total] of totals) {
          const [path, clock] = k.split('|') as [RecordedPath, Clock];
          sameSummary(store.summary('s', 0, path, clock, 'total'), summarizeCounts(total));
          // A series with nothing in this read had no packets in it: its last interval is empty.
          sameSummary(store.summary('s', 0, path, clock, 'last'), summarizeCounts(lastCounts.get(k) ?? new Uint32Array(COUNTS_LENGTH)));
        }
      }
    }), { numRuns: 150, seed: 20261207 });
  });

  it('finds each percentile in the right block when the counts sit on block edges', () => {
    const store = new HistogramStore();
    // Indexes 63, 64 and 127, 128: the last of a block and the first of the next.
    const values = [63, 64, 64, 127, 128, 128, 128, 5000];
    store.add('s', 1, interval([{ path: 'bypass', clock: 'sent', values }]), 0, 1);
    const d = new Uint32Array(COUNTS_LENGTH);
    for (const v of values) d[countsIndex(v)]++;
    sameSummary(store.summary('s', 1, 'bypass', 'sent', 'total'), summarizeCounts(d));
    expect(store.summary('s', 1, 'bypass', 'sent', 'total').p50).toBe(127);
  });
});
