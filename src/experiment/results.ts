/**
 * Result files (`--out DIR`): summary.json (everything the report says, with versions, config
 * and host facts), percentiles.csv, report.md, and HdrHistogram logs per subscriber, path and
 * clock (the standard format: version, start time, legend, tagged interval lines), which the
 * HdrHistogram tools read (values in nanoseconds). Every file is written whole or not at all:
 * NAME.partial, then renamed. An interrupted run's results say so (complete: false, PARTIAL).
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { overheadRows } from './overheads.js';
import { COUNTERS } from '../metrics/counters.js';
import { RECORDED_PATHS, type Clock, type EncodedInterval, type RecordedPath } from '../metrics/latency.js';
import type { Verdict } from './expectations.js';
import { formatVerdicts } from './expectations.js';
import { formatReport } from './report.js';
import type { LabSnapshot } from './snapshot.js';

export interface ResultMeta {
  /** The run ended early (Ctrl-C, an error): the results say so. */
  complete: boolean;
  /** mdlab version, Node version, CPU facts: the run's context. */
  host: Record<string, unknown>;
  /** The sweep point's values, if this run is one point of a sweep. */
  point?: Record<string, unknown>;
  /** The config as it ran (validated; for a sweep point, with the point's values set). */
  labConfig?: unknown;
  startedAtMs: number;
}

export interface LatencySeries {
  subscriber: string;
  group: string;
  path: RecordedPath;
  clock: Clock;
  intervals: readonly EncodedInterval[];
}

export function writeFileAtomic(path: string, text: string): void {
  writeFileSync(`${path}.partial`, text);
  renameSync(`${path}.partial`, path);
}

export function percentilesCsv(s: LabSnapshot): string {
  const rows = ['subscriber,group,path,clock,count,p50_ns,p90_ns,p99_ns,p99_9_ns,p99_99_ns,max_ns'];
  for (const sub of s.subscribers) {
    for (const m of sub.memberships) {
      for (const path of RECORDED_PATHS) {
        for (const clock of ['scheduled', 'sent'] as const) {
          const l = m.latency[path].total[clock];
          if (l.count === 0) continue;
          rows.push([sub.name, m.group, path, clock, l.count, l.p50, l.p90, l.p99, l.p999, l.p9999, l.max].join(','));
        }
      }
    }
  }
  return `${rows.join('\n')}\n`;
}

/** An HdrHistogram interval log (format 1.3): one file per subscriber, path and clock, tagged by group. */
export function histogramLog(series: readonly LatencySeries[], startedAtMs: number): string {
  const lines = [
    '#[Histogram log format version 1.3]',
    `#[StartTime: ${(startedAtMs / 1000).toFixed(3)} (seconds since epoch), ${new Date(startedAtMs).toString()}]`,
    '#[mdlab wire-to-application latency, values in nanoseconds; Interval_Max in milliseconds]',
    '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"',
  ];
  const all = series.flatMap((s) => s.intervals.map((iv) => ({ tag: s.group, iv }))).sort((a, b) => a.iv.startMs - b.iv.startMs);
  for (const { tag, iv } of all) {
    const start = Math.max(0, (iv.startMs - startedAtMs) / 1000);
    const length = Math.max(0, (iv.endMs - iv.startMs) / 1000);
    lines.push(`Tag=${tag},${start.toFixed(3)},${length.toFixed(3)},${(iv.maxNs / 1e6).toFixed(3)},${iv.histogram}`);
  }
  return `${lines.join('\n')}\n`;
}

export function reportMarkdown(s: LabSnapshot, verdicts: readonly Verdict[], meta: ResultMeta): string {
  const head = meta.complete ? `# mdlab result: ${s.config.name}` : `# PARTIAL mdlab result: ${s.config.name} (the run ended early)`;
  const point = meta.point && Object.keys(meta.point).length > 0 ? `\nSweep point: ${Object.entries(meta.point).map(([k, v]) => `\`${k}\` = \`${JSON.stringify(v)}\``).join(', ')}\n` : '';
  return `${head}\n${point}\n\`\`\`\n${formatReport(s)}${verdicts.length > 0 ? `\n${formatVerdicts(verdicts)}` : ''}\`\`\`\n`;
}

/**
 * The one result document: summary.json and `--json` are both this, so that they can never
 * disagree (whether the run was complete above all).
 */
export function resultDocument(s: LabSnapshot, verdicts: readonly Verdict[], meta: ResultMeta): Record<string, unknown> {
  return { complete: meta.complete, ...meta.host, point: meta.point ?? null, labConfig: meta.labConfig ?? null, expectations: verdicts, ...s, overheads: overheadRows(s), counters: COUNTERS };
}

export function resultJson(s: LabSnapshot, verdicts: readonly Verdict[], meta: ResultMeta): string {
  return `${JSON.stringify(resultDocument(s, verdicts, meta), (_k, v) => (v === Infinity ? null : v), 2)}\n`;
}

/** Writes every result file of one run into `dir` (created if need be). */
export function writeResults(dir: string, s: LabSnapshot, series: readonly LatencySeries[], verdicts: readonly Verdict[], meta: ResultMeta): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const put = (name: string, text: string) => {
    writeFileAtomic(join(dir, name), text);
    written.push(name);
  };
  const groups = new Map<string, LatencySeries[]>();
  for (const x of series) {
    const k = `${x.subscriber}.${x.path}.${x.clock}`;
    groups.set(k, [...(groups.get(k) ?? []), x]);
  }
  for (const [k, list] of [...groups.entries()].sort()) put(`${k}.hlog`, histogramLog(list, meta.startedAtMs));
  put('percentiles.csv', percentilesCsv(s));
  put('report.md', reportMarkdown(s, verdicts, meta));
  // summary.json last: its presence, complete, means the directory is a whole result.
  put('summary.json', resultJson(s, verdicts, meta));
  return written;
}
