/**
 * HdrHistogram interval logs (format 1.3) that HdrHistogram's own tools read as they are. Per
 * interval: an untagged line, the total over every group (what HistogramLogProcessor reads by
 * default; without one it dies on a null histogram), then one line per group, `Tag=GROUP`.
 * Interval_Max is the interval's highest equivalent value, as HistogramLogWriter writes
 * `getMaxValue()` (the top of the max's bucket), in milliseconds (its maxValueUnitRatio 1e6).
 */
import * as hdr from 'hdr-histogram-js';
import type { EncodedInterval } from './latency.js';
import { newHistogram } from './latency.js';

export interface TaggedSeries {
  /** The tag: the group. */
  group: string;
  intervals: readonly EncodedInterval[];
}

interface Highest {
  highestEquivalentValue(value: number): number;
}

/** HdrHistogram's getMaxValue(): the top of the bucket holding the largest value (0 when empty). */
export function maxValueOf(h: hdr.Histogram): number {
  return h.maxValue === 0 ? 0 : (h as unknown as Highest).highestEquivalentValue(h.maxValue);
}

function decode(iv: EncodedInterval): hdr.Histogram {
  return hdr.decodeFromCompressedBase64(iv.histogram, 32, false);
}

/** The sum of every interval of every series: the whole run over all groups (caller destroys it). */
export function totalOf(series: readonly TaggedSeries[]): hdr.Histogram {
  const total = newHistogram(false);
  for (const s of series) {
    for (const iv of s.intervals) {
      const h = decode(iv);
      total.add(h);
      h.destroy();
    }
  }
  return total;
}

export function histogramLog(series: readonly TaggedSeries[], startedAtMs: number, legend = 'mdlab wire-to-application latency, values in nanoseconds; Interval_Max in milliseconds; untagged lines total every group, Tag= lines one each'): string {
  const lines = [
    '#[Histogram log format version 1.3]',
    `#[StartTime: ${(startedAtMs / 1000).toFixed(3)} (seconds since epoch), ${new Date(startedAtMs).toString()}]`,
    `#[${legend}]`,
    '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"',
  ];
  // Intervals of one window (the controller closes every series' interval at the same moment).
  const windows = new Map<string, { startMs: number; endMs: number; tagged: { tag: string; iv: EncodedInterval }[] }>();
  for (const s of series) {
    for (const iv of s.intervals) {
      const k = `${iv.startMs}|${iv.endMs}`;
      let w = windows.get(k);
      if (!w) windows.set(k, (w = { startMs: iv.startMs, endMs: iv.endMs, tagged: [] }));
      w.tagged.push({ tag: s.group, iv });
    }
  }
  const line = (tag: string | null, startMs: number, endMs: number, maxNs: number, histogram: string) => {
    const start = Math.max(0, (startMs - startedAtMs) / 1000);
    const length = Math.max(0, (endMs - startMs) / 1000);
    lines.push(`${tag === null ? '' : `Tag=${tag},`}${start.toFixed(3)},${length.toFixed(3)},${(maxNs / 1e6).toFixed(3)},${histogram}`);
  };
  for (const w of [...windows.values()].sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs)) {
    const total = newHistogram(false);
    let maxNs = 0;
    for (const { iv } of w.tagged) {
      const h = decode(iv);
      total.add(h);
      maxNs = Math.max(maxNs, maxValueOf(h));
      h.destroy();
    }
    total.startTimeStampMsec = w.startMs;
    total.endTimeStampMsec = w.endMs;
    line(null, w.startMs, w.endMs, maxNs, hdr.encodeIntoCompressedBase64(total));
    total.destroy();
    for (const { tag, iv } of w.tagged) line(tag, w.startMs, w.endMs, iv.maxNs, iv.histogram);
  }
  return `${lines.join('\n')}\n`;
}
