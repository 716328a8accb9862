/**
 * Result files (`--out DIR`): summary.json (everything the report says, with versions, config
 * and host facts), percentiles.csv, report.md, and HdrHistogram logs per subscriber, path and
 * clock (the standard format: version, start time, legend, tagged interval lines), which the
 * HdrHistogram tools read (values in nanoseconds). Every file is written whole or not at all:
 * NAME.partial, then renamed. An interrupted run's results say so (complete: false, PARTIAL).
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import * as hdr from 'hdr-histogram-js';
import { histogramLog, maxValueOf, totalOf, type TaggedSeries } from '../metrics/hlog.js';
import { join } from 'node:path';
import { overheadRows } from './overheads.js';
import { COUNTERS } from '../metrics/counters.js';
import { HIGHEST_NS, LOWEST_NS, newHistogram, RECORDED_PATHS, type Clock, type EncodedInterval, type RecordedPath } from '../metrics/latency.js';
import type { Verdict } from './expectations.js';
import { reportMarkdownBody } from './report.js';
import { renderMarkdown, type Block } from './report-blocks.js';
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

/**
 * One row per subscriber, group, path and clock; and a row with group `all` per subscriber, path
 * and clock: the total over its groups, which is what the matching .hlog's untagged lines hold.
 */
export function percentilesCsv(s: LabSnapshot, series: readonly LatencySeries[] = []): string {
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
  // Loss recovery: gap seen to book whole, per membership that recovers (path `recovery`, clock `gap`).
  for (const r of recoverySeries(s)) {
    const h = r.histogram;
    rows.push([r.subscriber, r.group, 'recovery', 'gap', h.totalCount, ...[50, 90, 99, 99.9, 99.99].map((p) => h.getValueAtPercentile(p)), maxValueOf(h)].join(','));
    h.destroy();
  }
  for (const [k, list] of seriesByFile(series)) {
    const total = totalOf(list);
    if (total.totalCount > 0) {
      const [subscriber, path, clock] = k.split('.');
      rows.push([subscriber, 'all', path, clock, total.totalCount, ...[50, 90, 99, 99.9, 99.99].map((p) => total.getValueAtPercentile(p)), maxValueOf(total)].join(','));
    }
    total.destroy();
  }
  return `${rows.join('\n')}\n`;
}

/**
 * The recovery-time histograms (DESIGN §13): one per membership that closed a gap, from every
 * recovery time its subscriber kept (the first RECOVERY_TIMES_KEPT). The caller destroys them.
 */
export function recoverySeries(s: LabSnapshot): { subscriber: string; group: string; histogram: hdr.Histogram }[] {
  const out: { subscriber: string; group: string; histogram: hdr.Histogram }[] = [];
  for (const sub of s.subscribers) {
    for (const m of sub.memberships) {
      const times = m.recovery?.timesNs ?? [];
      if (times.length === 0) continue;
      const h = newHistogram(false);
      for (const t of times) h.recordValue(Math.min(HIGHEST_NS, Math.max(LOWEST_NS, Math.round(t))));
      out.push({ subscriber: sub.name, group: m.group, histogram: h });
    }
  }
  return out;
}

/** `SUBSCRIBER.recovery.hlog`: one interval over the run per group, as HdrHistogram's tools read it. */
function recoveryLogs(s: LabSnapshot, startedAtMs: number): [string, string][] {
  const bySub = new Map<string, TaggedSeries[]>();
  const endMs = startedAtMs + s.runMs;
  for (const r of recoverySeries(s)) {
    r.histogram.startTimeStampMsec = startedAtMs;
    r.histogram.endTimeStampMsec = endMs;
    const iv: EncodedInterval = { startMs: startedAtMs, endMs, maxNs: maxValueOf(r.histogram), histogram: hdr.encodeIntoCompressedBase64(r.histogram) };
    r.histogram.destroy();
    bySub.set(r.subscriber, [...(bySub.get(r.subscriber) ?? []), { group: r.group, intervals: [iv] }]);
  }
  return [...bySub.entries()].map(([sub, list]) => [`${sub}.recovery.hlog`, histogramLog(list, startedAtMs, 'mdlab loss recovery time, gap seen to book whole, values in nanoseconds; Interval_Max in milliseconds; untagged lines total every group, Tag= lines one each')]);
}

/** Series by result file: `SUBSCRIBER.PATH.CLOCK` (one .hlog each, tagged by group). */
function seriesByFile(series: readonly LatencySeries[]): [string, LatencySeries[]][] {
  const groups = new Map<string, LatencySeries[]>();
  for (const x of series) {
    const k = `${x.subscriber}.${x.path}.${x.clock}`;
    groups.set(k, [...(groups.get(k) ?? []), x]);
  }
  return [...groups.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

export function reportMarkdown(s: LabSnapshot, verdicts: readonly Verdict[], meta: ResultMeta): string {
  const head = meta.complete ? `# mdlab result: ${s.config.name}` : `# PARTIAL mdlab result: ${s.config.name} (the run ended early)`;
  const point = meta.point && Object.keys(meta.point).length > 0 ? `\nSweep point: ${Object.entries(meta.point).map(([k, v]) => `\`${k}\` = \`${JSON.stringify(v)}\``).join(', ')}\n` : '';
  const failed = verdicts.filter((v) => !v.passed).length;
  const expectations: Block[] = verdicts.length === 0 ? [] : [{
    kind: 'section',
    title: `Expectations: ${verdicts.length - failed} passed, ${failed} failed`,
    body: [{ kind: 'table', head: ['', 'where', 'check', 'actual'], rows: verdicts.map((v) => [v.passed ? 'ok' : 'FAIL', v.where, v.check, v.actual]) }],
  }];
  return `${head}\n${point}\n${reportMarkdownBody(s)}${expectations.length > 0 ? `\n${renderMarkdown(expectations)}` : ''}`;
}

/**
 * The one result document: summary.json and `--json` are both this, so that they can never
 * disagree (whether the run was complete above all).
 */
export function resultDocument(s: LabSnapshot, verdicts: readonly Verdict[], meta: ResultMeta): Record<string, unknown> {
  return { complete: meta.complete, ...meta.host, point: meta.point ?? null, labConfig: meta.labConfig ?? null, expectations: verdicts, ...s, overheads: overheadRows(s), counters: COUNTERS };
}

export function resultJson(s: LabSnapshot, verdicts: readonly Verdict[], meta: ResultMeta): string {
  // Every recovery time is in the recovery .hlog; the JSON keeps their summary.
  return `${JSON.stringify(resultDocument(s, verdicts, meta), (k, v) => (v === Infinity ? null : k === 'timesNs' ? undefined : v), 2)}\n`;
}

/** Writes every result file of one run into `dir` (created if need be). */
export function writeResults(dir: string, s: LabSnapshot, series: readonly LatencySeries[], verdicts: readonly Verdict[], meta: ResultMeta): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const put = (name: string, text: string) => {
    writeFileAtomic(join(dir, name), text);
    written.push(name);
  };
  for (const [k, list] of seriesByFile(series)) put(`${k}.hlog`, histogramLog(list, meta.startedAtMs));
  for (const [name, text] of recoveryLogs(s, meta.startedAtMs)) put(name, text);
  put('percentiles.csv', percentilesCsv(s, series));
  put('report.md', reportMarkdown(s, verdicts, meta));
  // summary.json last: its presence, complete, means the directory is a whole result.
  put('summary.json', resultJson(s, verdicts, meta));
  return written;
}
