/**
 * A result directory's latency series, read back from its .hlog files (SUBSCRIBER.PATH.CLOCK.hlog,
 * a Tag=GROUP line per group and interval): what compare needs for each run's own spread and for
 * the overlaid percentile plot. Untagged lines (the totals) are skipped: they add up the tagged ones.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as hdr from 'hdr-histogram-js';
import { RECORDED_PATHS, type Clock, type EncodedInterval, type RecordedPath } from '../metrics/latency.js';
import type { LatencySeries } from './results.js';

const FILE = /^(.+)\.(bypass|kernel|offload)\.(scheduled|sent)\.hlog$/;

export function readResultSeries(path: string): { series: LatencySeries[]; startedAtMs: number } | null {
  if (!existsSync(path) || !statSync(path).isDirectory()) return null;
  const series: LatencySeries[] = [];
  let startedAtMs = 0;
  for (const f of readdirSync(path).sort()) {
    const m = FILE.exec(f);
    if (!m || !RECORDED_PATHS.includes(m[2] as RecordedPath)) continue;
    const byGroup = new Map<string, EncodedInterval[]>();
    let start = 0;
    for (const line of readFileSync(join(path, f), 'utf8').split('\n')) {
      const st = /^#\[StartTime: ([\d.]+)/.exec(line);
      if (st) start = Number(st[1]) * 1000;
      const t = /^Tag=([^,]+),([\d.]+),([\d.]+),([\d.]+),(\S+)$/.exec(line);
      if (!t) continue;
      const startMs = start + Number(t[2]) * 1000;
      const list = byGroup.get(t[1]) ?? [];
      list.push({ startMs, endMs: startMs + Number(t[3]) * 1000, maxNs: Number(t[4]) * 1e6, histogram: t[5] });
      byGroup.set(t[1], list);
    }
    startedAtMs = startedAtMs || start;
    for (const [group, intervals] of byGroup) series.push({ subscriber: m[1], group, path: m[2] as RecordedPath, clock: m[3] as Clock, intervals });
  }
  return series.length > 0 ? { series, startedAtMs } : null;
}

/**
 * A run's own spread of one figure: the p50 of each interval that held at least `min` packets,
 * lowest and highest. Null with fewer than two such intervals.
 */
export function intervalP50Range(series: readonly LatencySeries[], subscriber: string, group: string, path: RecordedPath, clock: Clock, min = 20): { low: number; high: number; intervals: number } | null {
  const s = series.find((x) => x.subscriber === subscriber && x.group === group && x.path === path && x.clock === clock);
  if (!s) return null;
  const p50s: number[] = [];
  for (const iv of s.intervals) {
    const h = hdr.decodeFromCompressedBase64(iv.histogram, 32, false);
    if (h.totalCount >= min) p50s.push(h.getValueAtPercentile(50));
    h.destroy();
  }
  if (p50s.length < 2) return null;
  return { low: Math.min(...p50s), high: Math.max(...p50s), intervals: p50s.length };
}
