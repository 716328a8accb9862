/**
 * Latency histograms in shared memory, so the measured process only counts: a subscriber
 * increments a bucket per packet; the controller copies the counts from outside, a few times a
 * second, and turns the difference into an interval histogram (Recorder-style, without the
 * writer ever pausing or encoding). Buckets are HdrHistogram's: 3 significant digits (2048
 * sub-buckets, unit 1 ns), so an index maps to exactly the bucket hdr-histogram-js uses.
 *
 *   0 magic 'MDHG'  4 version  8 membership  12 group  16..63 per array the lowest and highest
 *     index ever counted (i32 pairs; written by the subscriber when they move, so the controller
 *     reads only the range that can hold counts: latencies cluster in a few hundred of 27,648)
 *   64.. four count arrays (u32 × COUNTS_LENGTH): bypass/scheduled, bypass/sent, kernel/scheduled, kernel/sent
 */
import { checkHeader, createSegment, fourcc, openSegment } from '../shm/segment.js';
// Types only: the measured process counts, and never loads hdr-histogram-js (the controller does).
import type { Clock, RecordedPath } from './latency.js';

export const HIST_MAGIC = fourcc('MDHG');
export const HIST_LAYOUT_VERSION = 3;
const HALF = 1024; // sub-bucket half count: 2048 sub-buckets give 3 significant digits
const BUCKETS = 26; // enough for values up to 2^36 ns (68 s)
export const COUNTS_LENGTH = (BUCKETS + 1) * HALF;
export const MAX_VALUE_NS = 60e9;
const HEADER = 64;
const ARRAYS = 6;
const SIZE = HEADER + ARRAYS * COUNTS_LENGTH * 4;

/** The counts index of a value (ns), as HdrHistogram computes it. */
export function countsIndex(value: number): number {
  let v = value < 0 ? 0 : value > MAX_VALUE_NS ? MAX_VALUE_NS : Math.floor(value);
  if (v < 2 * HALF) return v;
  let msb: number;
  if (v < 4294967296) msb = 31 - Math.clz32(v);
  else msb = 63 - Math.clz32(Math.floor(v / 4294967296));
  const bucket = msb - 10;
  v = v < 4294967296 ? v >>> bucket : Math.floor(v / 2 ** bucket);
  return bucket * HALF + v;
}

/** The lowest value that falls in counts index `i`. */
export function valueFromIndex(i: number): number {
  let bucket = (i >> 10) - 1;
  let sub = (i & (HALF - 1)) + HALF;
  if (bucket < 0) {
    sub -= HALF;
    bucket = 0;
  }
  return sub * 2 ** bucket;
}

const ORDER: readonly [RecordedPath, Clock][] = [['bypass', 'scheduled'], ['bypass', 'sent'], ['kernel', 'scheduled'], ['kernel', 'sent'], ['offload', 'scheduled'], ['offload', 'sent']];

/** Header word of array a's lowest (and, +1, highest) counted index. */
const rangeWord = (a: number) => 4 + 2 * a;

/** The subscriber's side: two counts per packet, and the range they fall in when it grows. */
export class HistogramWriter {
  private readonly counts: Uint32Array;
  private readonly header: Int32Array;
  /** Per array, the lowest and highest index counted so far (this process's copy of the header's). */
  private readonly range = new Int32Array(2 * ARRAYS);

  constructor(readonly segment: string, membership: number, group: number) {
    const buf = createSegment(segment, SIZE);
    const i32 = new Int32Array(buf, 0, HEADER / 4);
    i32[1] = HIST_LAYOUT_VERSION;
    i32[2] = membership;
    i32[3] = group;
    for (let a = 0; a < ARRAYS; a++) {
      i32[rangeWord(a)] = this.range[2 * a] = COUNTS_LENGTH;
      i32[rangeWord(a) + 1] = this.range[2 * a + 1] = -1;
    }
    Atomics.store(i32, 0, HIST_MAGIC);
    this.header = i32;
    this.counts = new Uint32Array(buf, HEADER, ARRAYS * COUNTS_LENGTH);
  }

  /** path 0 = bypass, 1 = kernel, 2 = offload. */
  record(path: 0 | 1 | 2, fromScheduledNs: number, fromSentNs: number): void {
    const a = path * 2;
    const i = countsIndex(fromScheduledNs);
    const j = countsIndex(fromSentNs);
    const r = this.range;
    // The range first, then the count: a reader that sees the count sees a range that holds it.
    if (i < r[2 * a] || i > r[2 * a + 1]) this.widen(a, i);
    if (j < r[2 * a + 2] || j > r[2 * a + 3]) this.widen(a + 1, j);
    const c = this.counts;
    c[a * COUNTS_LENGTH + i]++;
    c[(a + 1) * COUNTS_LENGTH + j]++;
  }

  /** Rare: a count outside the range so far. */
  private widen(a: number, i: number): void {
    const r = this.range;
    if (i < r[2 * a]) Atomics.store(this.header, rangeWord(a), (r[2 * a] = i));
    if (i > r[2 * a + 1]) Atomics.store(this.header, rangeWord(a) + 1, (r[2 * a + 1] = i));
  }
}

/** What arrived in one count array since the last read (the array is reused: copy what you keep). */
export interface IntervalCounts {
  path: RecordedPath;
  clock: Clock;
  delta: Uint32Array;
  /** delta is zero outside [lo, hi] (the range the writer ever counted in). */
  lo: number;
  hi: number;
}

/** Lowest and highest value of every counts index, computed once (summaries read them per bucket). */
export const LOWEST_OF_INDEX: Float64Array = Float64Array.from({ length: COUNTS_LENGTH }, (_, i) => valueFromIndex(i));
export const HIGHEST_OF_INDEX: Float64Array = Float64Array.from({ length: COUNTS_LENGTH }, (_, i) => valueFromIndex(i) + 2 ** Math.max(0, (i >> 10) - 1) - 1);

/** The highest value that falls in counts index `i` (what HdrHistogram reports for a percentile). */
export function highestValueOfIndex(i: number): number {
  return HIGHEST_OF_INDEX[i];
}

/** The controller's side: reads the counts and hands out what arrived since the last read. */
export class HistogramReader {
  private readonly counts: Uint32Array;
  private readonly header: Int32Array;
  private readonly previous = new Uint32Array(ARRAYS * COUNTS_LENGTH);

  constructor(readonly segment: string) {
    const buf = openSegment(segment);
    this.header = new Int32Array(buf, 0, HEADER / 4);
    checkHeader(this.header, HIST_MAGIC, HIST_LAYOUT_VERSION, `histogram segment ${segment}`);
    this.counts = new Uint32Array(buf, HEADER, ARRAYS * COUNTS_LENGTH);
  }

  private readonly deltas = Array.from({ length: ARRAYS }, () => new Uint32Array(COUNTS_LENGTH));

  /** The counts that arrived since the last call, for the arrays that changed. */
  takeInterval(): IntervalCounts[] {
    const out: IntervalCounts[] = [];
    for (let a = 0; a < ARRAYS; a++) {
      const base = a * COUNTS_LENGTH;
      const delta = this.deltas[a];
      const lo = Atomics.load(this.header, rangeWord(a));
      const hi = Math.min(COUNTS_LENGTH - 1, Atomics.load(this.header, rangeWord(a) + 1));
      let any = false;
      for (let i = lo; i <= hi; i++) {
        const now = this.counts[base + i];
        const d = (now - this.previous[base + i]) >>> 0;
        delta[i] = d;
        if (d !== 0) {
          any = true;
          this.previous[base + i] = now;
        }
      }
      if (any) out.push({ path: ORDER[a][0], clock: ORDER[a][1], delta, lo, hi });
    }
    return out;
  }
}
