import { afterAll, describe, expect, it } from 'vitest';
import * as hdr from 'hdr-histogram-js';
import { countsIndex, COUNTS_LENGTH, HistogramReader, HistogramWriter, valueFromIndex } from '../../src/metrics/shm-histogram.js';
import { summarizeCounts } from '../../src/metrics/histogram-store.js';
import { newHistogram } from '../../src/metrics/latency.js';
import { segmentName, unlinkSegment } from '../../src/shm/segment.js';

const name = segmentName(process.pid, `histtest${Date.now()}`);
afterAll(() => unlinkSegment(name));

describe('histograms in shared memory', () => {
  it('maps values to the buckets HdrHistogram (3 digits) uses', () => {
    const ref = newHistogram(false) as unknown as { countsArrayIndex(v: number): number; lowestEquivalentValue(v: number): number };
    for (const v of [0, 1, 2047, 2048, 2049, 4095, 4096, 123456, 999_999, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 12345, 59e9]) {
      expect(countsIndex(v), String(v)).toBe(ref.countsArrayIndex(v));
      expect(valueFromIndex(countsIndex(v)), String(v)).toBe(ref.lowestEquivalentValue(v));
    }
    expect(countsIndex(1e12)).toBeLessThan(COUNTS_LENGTH); // clamped, never out of range
  });

  it('hands the reader each interval\'s counts, with the percentiles a direct histogram gives', () => {
    const w = new HistogramWriter(name, 3, 1);
    const r = new HistogramReader(name);
    const direct = newHistogram(false);
    for (let i = 0; i < 5000; i++) {
      const v = Math.floor(500 + (i % 97) * 1234.5 + (i % 13) * 1e6);
      w.record(0, v, v / 2);
      direct.recordValue(v);
    }
    const first = r.takeInterval();
    const total = (d: Uint32Array) => d.reduce((n, x) => n + x, 0);
    expect(first.map((x) => [x.path, x.clock, total(x.delta)])).toEqual([['bypass', 'scheduled', 5000], ['bypass', 'sent', 5000]]);
    const s = summarizeCounts(first[0].delta);
    expect([s.p50, s.p90, s.p99, s.p999, s.p9999, s.max]).toEqual([50, 90, 99, 99.9, 99.99, 100].map((p) => direct.getValueAtPercentile(p)));
    // The same rule on awkward counts, where rounding to nearest and rounding up part ways.
    for (const n of [7, 13, 101, 999, 1001]) {
      const h = newHistogram(false);
      const w2 = new Uint32Array(COUNTS_LENGTH);
      for (let i = 0; i < n; i++) {
        const v = 1000 + i * 977;
        h.recordValue(v);
        w2[countsIndex(v)]++;
      }
      const t = summarizeCounts(w2);
      expect([t.p50, t.p90, t.p99, t.p999], String(n)).toEqual([50, 90, 99, 99.9].map((p) => h.getValueAtPercentile(p)));
    }
    expect(s.count).toBe(5000);
    w.record(1, 42, 41);
    const second = r.takeInterval();
    expect(second.map((x) => [x.path, x.clock, total(x.delta)])).toEqual([['kernel', 'scheduled', 1], ['kernel', 'sent', 1]]);
    expect(r.takeInterval()).toEqual([]);
    void hdr;
  });
});
