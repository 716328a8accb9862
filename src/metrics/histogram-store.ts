/**
 * The controller's histograms: intervals arrive from subscribers (encoded), are decoded once,
 * and kept as the last interval and the whole run, per (subscriber, group, path, clock).
 * Summaries carry percentiles and log-scaled bucket counts, so views draw without computing.
 */
import * as hdr from 'hdr-histogram-js';
import { newHistogram, type Clock, type EncodedInterval, type RecordedPath } from './latency.js';
import type { IntervalHistogram } from './shm-histogram.js';

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  p9999: number;
  max: number;
  min: number;
  mean: number;
  /** Counts per bucket, edges in BUCKET_EDGES_NS (the last bucket is open-ended). */
  buckets: number[];
}

/** Log-scaled bucket upper edges (ns), 1-2-5 from 250 ns to 10 s. */
export const BUCKET_EDGES_NS: readonly number[] = [250, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 2e6, 5e6, 1e7, 1e8, 1e9, 1e10];

export const EMPTY_SUMMARY: LatencySummary = { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, p9999: 0, max: 0, min: 0, mean: 0, buckets: BUCKET_EDGES_NS.map(() => 0).concat(0) };

export function summarize(h: hdr.Histogram): LatencySummary {
  if (h.totalCount === 0) return EMPTY_SUMMARY;
  const buckets = bucketCounts(h);
  return {
    count: h.totalCount,
    p50: h.getValueAtPercentile(50),
    p90: h.getValueAtPercentile(90),
    p99: h.getValueAtPercentile(99),
    p999: h.getValueAtPercentile(99.9),
    p9999: h.getValueAtPercentile(99.99),
    max: h.maxValue,
    min: h.minNonZeroValue,
    mean: h.mean,
    buckets,
  };
}

interface IterableHistogram {
  recordedValuesIterator: {
    reset(): void;
    hasNext(): boolean;
    next(): { valueIteratedTo: number; countAtValueIteratedTo: number };
  };
}

/** Counts per log-scaled bucket, in one pass over the recorded values (JS histograms). */
function bucketCounts(h: hdr.Histogram): number[] {
  const buckets = BUCKET_EDGES_NS.map(() => 0).concat(0);
  const it = (h as unknown as IterableHistogram).recordedValuesIterator;
  if (!it) return buckets;
  it.reset();
  let b = 0;
  while (it.hasNext()) {
    const v = it.next();
    while (b < BUCKET_EDGES_NS.length && v.valueIteratedTo > BUCKET_EDGES_NS[b]) b++;
    buckets[b] += v.countAtValueIteratedTo;
  }
  return buckets;
}

interface Series {
  total: hdr.Histogram;
  last: hdr.Histogram;
  lastEndMs: number;
  /** Intervals in arrival order, for .hlog writers (issue-level results). */
  intervals: EncodedInterval[];
}

export type SeriesKey = `${string}|${number}|${RecordedPath}|${Clock}`;

export class HistogramStore {
  private readonly series = new Map<SeriesKey, Series>();
  /** Keep every interval, encoded, for HdrHistogram log files (off unless results are written). */
  keepIntervals = false;

  static key(subscriber: string, group: number, path: RecordedPath, clock: Clock): SeriesKey {
    return `${subscriber}|${group}|${path}|${clock}`;
  }

  /** The histograms of one membership's interval [startMs, endMs); series without one had no packets. */
  add(subscriber: string, group: number, intervals: readonly IntervalHistogram[], startMs: number, endMs: number): void {
    const fresh = new Set<SeriesKey>();
    for (const iv of intervals) {
      const k = HistogramStore.key(subscriber, group, iv.path, iv.clock);
      let s = this.series.get(k);
      if (!s) {
        s = { total: newHistogram(false), last: newHistogram(false), lastEndMs: 0, intervals: [] };
        this.series.set(k, s);
      }
      s.total.add(iv.histogram);
      s.last.reset();
      s.last.add(iv.histogram);
      s.lastEndMs = endMs;
      if (this.keepIntervals) s.intervals.push({ startMs, endMs, histogram: hdr.encodeIntoCompressedBase64(iv.histogram) });
      fresh.add(k);
      iv.histogram.destroy();
    }
    const prefix = `${subscriber}|${group}|`;
    for (const [k, s] of this.series) if (k.startsWith(prefix) && !fresh.has(k)) s.last.reset();
  }

  summary(subscriber: string, group: number, path: RecordedPath, clock: Clock, window: 'total' | 'last'): LatencySummary {
    const s = this.series.get(HistogramStore.key(subscriber, group, path, clock));
    return s ? summarize(window === 'total' ? s.total : s.last) : EMPTY_SUMMARY;
  }

  /** The whole run's histogram (for percentiles across groups, and result files). */
  total(subscriber: string, group: number, path: RecordedPath, clock: Clock): hdr.Histogram | undefined {
    return this.series.get(HistogramStore.key(subscriber, group, path, clock))?.total;
  }

  intervals(subscriber: string, group: number, path: RecordedPath, clock: Clock): readonly EncodedInterval[] {
    return this.series.get(HistogramStore.key(subscriber, group, path, clock))?.intervals ?? [];
  }

  keys(): SeriesKey[] {
    return [...this.series.keys()];
  }
}
