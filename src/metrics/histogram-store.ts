/**
 * The controller's latency data: per (subscriber, group, path, clock), the counts of the whole
 * run and of the last interval, in HdrHistogram's buckets, straight from the subscribers' shared
 * memory. What a summary needs but its percentiles (count, sum, the log-scaled buckets, the
 * lowest and highest index, and counts per block of 64 indexes) is kept as counts arrive, so a
 * summary walks the blocks, not the ~16 k indexes a latency range spans: the summaries were most
 * of the controller's CPU in a running lab. HdrHistogram objects are built only for result files.
 */
import * as hdr from 'hdr-histogram-js';
import { newHistogram, type Clock, type EncodedInterval, type RecordedPath } from './latency.js';
import { COUNTS_LENGTH, HIGHEST_OF_INDEX, LOWEST_OF_INDEX, valueFromIndex, type IntervalCounts } from './shm-histogram.js';

/** An hdr-histogram-js histogram (JS backend) holding shared-memory counts, for encoding and log files. */
export function countsToHistogram(counts: ArrayLike<number>): hdr.Histogram {
  const h = newHistogram(false);
  for (let i = 0; i < counts.length; i++) if (counts[i] > 0) h.recordValueWithCount(valueFromIndex(i), counts[i]);
  return h;
}

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

const PERCENTILES = [50, 90, 99, 99.9, 99.99] as const;
const N_BUCKETS = BUCKET_EDGES_NS.length + 1;

/** Per counts index: the middle of its values (for the mean) and its log-scaled bucket (the first edge its lowest value does not exceed). */
const MID_OF_INDEX: Float64Array = Float64Array.from({ length: COUNTS_LENGTH }, (_, i) => (LOWEST_OF_INDEX[i] + HIGHEST_OF_INDEX[i]) / 2);
const BUCKET_OF_INDEX: Uint8Array = Uint8Array.from({ length: COUNTS_LENGTH }, (_, i) => {
  let b = 0;
  while (b < BUCKET_EDGES_NS.length && LOWEST_OF_INDEX[i] > BUCKET_EDGES_NS[b]) b++;
  return b;
});

/** Counts indexes per block of the percentile walk's index. */
const BLOCK_SHIFT = 6;
const BLOCKS = (COUNTS_LENGTH >> BLOCK_SHIFT) + 1;

/** HdrHistogram's rule: the count at a percentile rounds up (less one ulp of float error). */
function percentileTargets(total: number): number[] {
  return PERCENTILES.map((p) => {
    const fp = (p / 100) * total;
    return Math.max(1, Math.ceil(fp - ulp(fp)));
  });
}

/**
 * Percentiles (as HdrHistogram reports them: the top of the bucket), buckets, min, max, mean, in
 * one pass over counts[from, to) (the range that can hold counts).
 */
export function summarizeCounts(counts: ArrayLike<number>, from = 0, to = counts.length): LatencySummary {
  let total = 0;
  let sum = 0;
  let first = -1;
  let last = -1;
  const buckets = new Array<number>(N_BUCKETS).fill(0);
  for (let i = from; i < to; i++) {
    const c = counts[i];
    if (c === 0) continue;
    if (first < 0) first = i;
    last = i;
    total += c;
    sum += c * MID_OF_INDEX[i];
    buckets[BUCKET_OF_INDEX[i]] += c;
  }
  if (total === 0) return EMPTY_SUMMARY;
  const targets = percentileTargets(total);
  const values = PERCENTILES.map(() => 0);
  let seen = 0;
  let k = 0;
  for (let i = first; i <= last && k < targets.length; i++) {
    seen += counts[i];
    while (k < targets.length && seen >= targets[k]) values[k++] = HIGHEST_OF_INDEX[i];
  }
  return summaryOf(total, values, first, last, sum, buckets);
}

/** A summary from its parts: `values` at PERCENTILES, `first` and `last` the lowest and highest index with counts. */
function summaryOf(count: number, values: readonly number[], first: number, last: number, sum: number, buckets: ArrayLike<number>): LatencySummary {
  return {
    count,
    p50: values[0],
    p90: values[1],
    p99: values[2],
    p999: values[3],
    p9999: values[4],
    max: HIGHEST_OF_INDEX[last],
    min: LOWEST_OF_INDEX[first],
    mean: sum / count,
    buckets: Array.from(buckets),
  };
}

function ulp(x: number): number {
  return x === 0 ? Number.MIN_VALUE : 2 ** (Math.floor(Math.log2(Math.abs(x))) - 52);
}

/** What a summary of some counts needs but its percentiles, kept as the counts arrive. */
class CountStats {
  count = 0;
  sum = 0;
  /** Lowest and highest index with counts (-1: none). */
  first = -1;
  last = -1;
  readonly buckets = new Float64Array(N_BUCKETS);
  /** Counts per block of 2^BLOCK_SHIFT indexes: the percentile walk skips whole blocks. */
  readonly blocks = new Float64Array(BLOCKS);

  add(i: number, c: number): void {
    this.count += c;
    this.sum += c * MID_OF_INDEX[i];
    this.buckets[BUCKET_OF_INDEX[i]] += c;
    this.blocks[i >> BLOCK_SHIFT] += c;
    if (this.first < 0 || i < this.first) this.first = i;
    if (i > this.last) this.last = i;
  }

  clear(): void {
    if (this.count === 0) return;
    this.count = 0;
    this.sum = 0;
    this.first = -1;
    this.last = -1;
    this.buckets.fill(0);
    this.blocks.fill(0);
  }

  /** The summary of `counts`, whose stats these are: the same figures as summarizeCounts(counts). */
  summarize(counts: ArrayLike<number>): LatencySummary {
    if (this.count === 0) return EMPTY_SUMMARY;
    const targets = percentileTargets(this.count);
    const values = PERCENTILES.map(() => 0);
    let seen = 0;
    let k = 0;
    const blocks = this.blocks;
    for (let b = this.first >> BLOCK_SHIFT; b <= this.last >> BLOCK_SHIFT && k < targets.length; b++) {
      if (seen + blocks[b] < targets[k]) {
        seen += blocks[b];
        continue;
      }
      const end = Math.min(this.last, ((b + 1) << BLOCK_SHIFT) - 1);
      for (let i = Math.max(this.first, b << BLOCK_SHIFT); i <= end && k < targets.length; i++) {
        seen += counts[i];
        while (k < targets.length && seen >= targets[k]) values[k++] = HIGHEST_OF_INDEX[i];
      }
    }
    return summaryOf(this.count, values, this.first, this.last, this.sum, this.buckets);
  }
}

interface Series {
  total: Float64Array;
  last: Uint32Array;
  totalStats: CountStats;
  lastStats: CountStats;
  /** Range of indexes that hold counts in total (last is within it). */
  lo: number;
  hi: number;
  version: number;
  cached: { version: number; total: LatencySummary; last: LatencySummary } | null;
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

  private get(k: SeriesKey): Series {
    let s = this.series.get(k);
    if (!s) {
      s = { total: new Float64Array(COUNTS_LENGTH), last: new Uint32Array(COUNTS_LENGTH), totalStats: new CountStats(), lastStats: new CountStats(), lo: COUNTS_LENGTH, hi: 0, version: 0, cached: null, intervals: [] };
      this.series.set(k, s);
    }
    return s;
  }

  /** One membership's interval [startMs, endMs); series without counts this time had no packets. */
  add(subscriber: string, group: number, intervals: readonly IntervalCounts[], startMs: number, endMs: number): void {
    const fresh = new Set<SeriesKey>();
    for (const iv of intervals) {
      const k = HistogramStore.key(subscriber, group, iv.path, iv.clock);
      const s = this.get(k);
      const d = iv.delta;
      const total = s.totalStats;
      const last = s.lastStats;
      last.clear();
      for (let i = iv.lo; i <= iv.hi; i++) {
        const c = d[i];
        if (c === 0) continue;
        s.total[i] += c;
        total.add(i, c);
        last.add(i, c);
        if (i < s.lo) s.lo = i;
        if (i >= s.hi) s.hi = i + 1;
      }
      // d is zero outside [lo, hi], and the last interval's counts lay inside it (the range only grows).
      s.last.fill(0, s.lo, s.hi);
      s.last.set(d.subarray(iv.lo, iv.hi + 1), iv.lo);
      s.version++;
      fresh.add(k);
      if (this.keepIntervals) {
        const h = countsToHistogram(iv.delta);
        let top = iv.hi;
        while (top > iv.lo && d[top] === 0) top--;
        // HdrHistogram's getMaxValue(): the top of the largest value's bucket, as its log writer writes it.
        s.intervals.push({ startMs, endMs, maxNs: d[top] > 0 ? HIGHEST_OF_INDEX[top] : 0, histogram: hdr.encodeIntoCompressedBase64(h) });
        h.destroy();
      }
    }
    const prefix = `${subscriber}|${group}|`;
    for (const [k, s] of this.series) {
      if (k.startsWith(prefix) && !fresh.has(k) && s.lastStats.count > 0) {
        s.last.fill(0, s.lo, s.hi);
        s.lastStats.clear();
        s.version++;
      }
    }
  }

  summary(subscriber: string, group: number, path: RecordedPath, clock: Clock, window: 'total' | 'last'): LatencySummary {
    const s = this.series.get(HistogramStore.key(subscriber, group, path, clock));
    if (!s) return EMPTY_SUMMARY;
    if (!s.cached || s.cached.version !== s.version) s.cached = { version: s.version, total: s.totalStats.summarize(s.total), last: s.lastStats.summarize(s.last) };
    return window === 'total' ? s.cached.total : s.cached.last;
  }

  /** The whole run's histogram as an HdrHistogram (for result files). */
  total(subscriber: string, group: number, path: RecordedPath, clock: Clock): hdr.Histogram | undefined {
    const s = this.series.get(HistogramStore.key(subscriber, group, path, clock));
    return s ? countsToHistogram(s.total) : undefined;
  }

  intervals(subscriber: string, group: number, path: RecordedPath, clock: Clock): readonly EncodedInterval[] {
    return this.series.get(HistogramStore.key(subscriber, group, path, clock))?.intervals ?? [];
  }

  keys(): SeriesKey[] {
    return [...this.series.keys()];
  }

  /** Every series, parsed back from its key. */
  list(): { subscriber: string; group: number; path: RecordedPath; clock: Clock }[] {
    return this.keys().map((k) => {
      const [subscriber, group, path, clock] = k.split('|');
      return { subscriber, group: Number(group), path: path as RecordedPath, clock: clock as Clock };
    });
  }
}

/** Several groups' summaries as one: counts and buckets add; percentiles of the busiest group stand for them. */
export function addSummaries(list: LatencySummary[]): LatencySummary {
  const nonEmpty = list.filter((x) => x.count > 0);
  if (nonEmpty.length === 0) return EMPTY_SUMMARY;
  if (nonEmpty.length === 1) return nonEmpty[0];
  // The engine keeps per-group histograms; a view shows the group with most packets.
  const busiest = nonEmpty.reduce((a, b) => (b.count > a.count ? b : a));
  return { ...busiest, count: nonEmpty.reduce((n, x) => n + x.count, 0), max: Math.max(...nonEmpty.map((x) => x.max)), buckets: busiest.buckets.map((_, i) => nonEmpty.reduce((n, x) => n + (x.buckets[i] ?? 0), 0)) };
}
