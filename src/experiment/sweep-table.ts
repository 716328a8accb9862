/** The table across a sweep's points: each point's values, paths, latency, drops, expectations. */
import { RECORDED_PATHS } from '../metrics/latency.js';
import { table } from './text-table.js';
import { droppedTotal } from './accounting.js';
import type { Verdict } from './expectations.js';
import { formatUs } from './report.js';
import type { LabSnapshot } from './snapshot.js';
import type { SweepPoint } from './sweep.js';

export interface SweepRow {
  point: number;
  values: Record<string, unknown>;
  subscribers: { name: string; paths: string; p50Us: number; p99Us: number; dropped: number }[];
  passed: number;
  failed: number;
  balanced: boolean;
}

export function describePoint(values: Record<string, unknown>): string {
  return Object.entries(values).map(([k, v]) => `${k}=${v === '' || v === null ? '(none)' : String(v)}`).join(' ');
}

export function sweepRow(p: SweepPoint, s: LabSnapshot, verdicts: readonly Verdict[]): SweepRow {
  return {
    point: p.index + 1,
    values: p.values,
    subscribers: s.subscribers.map((sub) => {
      const paths = [...new Set(sub.memberships.map((m) => m.path))].join('+');
      // Headline latency: the scheduled clock, whole run, on the path with most packets.
      const lat = sub.memberships.flatMap((m) => RECORDED_PATHS.map((p) => m.latency[p].total.scheduled)).filter((l) => l.count > 0);
      const main = lat.reduce((a, b) => (b.count > (a?.count ?? 0) ? b : a), lat[0]);
      return { name: sub.name, paths, p50Us: (main?.p50 ?? 0) / 1e3, p99Us: (main?.p99 ?? 0) / 1e3, dropped: sub.memberships.reduce((n, m) => n + droppedTotal(m.account), 0) };
    }),
    passed: verdicts.filter((v) => v.passed).length,
    failed: verdicts.filter((v) => !v.passed).length,
    balanced: s.totals.balanced,
  };
}

/** Past this many subscribers in a point (or when points differ in them), one set of columns sums them up. */
const COLUMNS_PER_SUBSCRIBER_UP_TO = 4;

export function formatSweep(rows: readonly SweepRow[]): string {
  const names = rows[0]?.subscribers.map((s) => s.name) ?? [];
  if (rows.some((r) => r.subscribers.length > COLUMNS_PER_SUBSCRIBER_UP_TO || r.subscribers.length !== names.length)) return formatSweepSummed(rows);
  const header = ['point', ...Object.keys(rows[0]?.values ?? {}), ...names.flatMap((n) => [`${n} path`, 'p50 µs', 'p99 µs', 'drops']), 'expect'];
  const body = rows.map((r) => [
    String(r.point),
    ...Object.values(r.values).map((v) => (v === '' || v === null ? '(none)' : String(v))),
    ...r.subscribers.flatMap((s) => [s.paths, formatUs(s.p50Us * 1e3), formatUs(s.p99Us * 1e3), String(s.dropped)]),
    r.failed === 0 ? `${r.passed} ok` : `${r.failed} FAILED`,
  ]);
  return `Sweep: ${rows.length} points\n${table(body, header)}\n`;
}

/** Many subscribers per point: their count, paths, the median p50, the worst p99, and all drops. */
function formatSweepSummed(rows: readonly SweepRow[]): string {
  const header = ['point', ...Object.keys(rows[0]?.values ?? {}), 'subscribers', 'paths', 'p50 µs (median)', 'p99 µs (worst)', 'drops', 'expect'];
  const body = rows.map((r) => {
    const p50 = r.subscribers.map((s) => s.p50Us).sort((a, b) => a - b);
    const median = p50.length === 0 ? 0 : p50[Math.floor((p50.length - 1) / 2)];
    const worst = Math.max(0, ...r.subscribers.map((s) => s.p99Us));
    return [
      String(r.point),
      ...Object.values(r.values).map((v) => (v === '' || v === null ? '(none)' : String(v))),
      String(r.subscribers.length),
      [...new Set(r.subscribers.flatMap((s) => s.paths.split('+')))].join('+'),
      formatUs(median * 1e3), formatUs(worst * 1e3), String(r.subscribers.reduce((n, s) => n + s.dropped, 0)),
      r.failed === 0 ? `${r.passed} ok` : `${r.failed} FAILED`,
    ];
  });
  return `Sweep: ${rows.length} points\n${table(body, header)}\n`;
}
