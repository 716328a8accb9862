/**
 * From a snapshot and the UI state to what each part of the screen shows: the "connected"
 * layer between the engine's data and the components, which only draw what they are given.
 */
import { pathLetter } from './theme.js';
import { RECORDED_PATHS, type RecordedPath } from '../metrics/latency.js';
import { basename } from 'node:path';
import { healthBadge } from '../metrics/host-health.js';
import type { LatencySummary } from '../metrics/histogram-store.js';
import { addSummaries, BUCKET_EDGES_NS, EMPTY_SUMMARY } from '../metrics/histogram-store.js';
import { formatMs, formatUs } from '../experiment/report.js';
import { isPathEvent, type LabEvent, type LabSnapshot, type MembershipSnapshot, type SubscriberSnapshotView } from '../experiment/snapshot.js';
import type { UiState } from './ui-state.js';

export function fmtCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(0)}k`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

export function fmtLatency(ns: number): string {
  if (ns <= 0) return '-';
  if (ns < 1e3) return `${Math.round(ns)}ns`;
  if (ns < 1e6) return `${formatUs(ns)}µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(ns < 1e7 ? 2 : 1)}ms`;
  return `${(ns / 1e9).toFixed(2)}s`;
}

export function fmtClock(ms: number): string {
  // Rounded to tenths first, so 59.96 s reads 01:00.0, never 00:60.0.
  const tenths = Math.round(Math.max(0, ms) / 100);
  const m = Math.floor(tenths / 600);
  return `${String(m).padStart(2, '0')}:${((tenths - m * 600) / 10).toFixed(1).padStart(4, '0')}`;
}

export interface HeaderModel {
  title: string;
  nic: string;
  recording: string;
  state: string;
  speed: string;
  clock: string;
  /** HOST CLEAN / HOST CONTENDED (words, so it reads without colour), and the first reason. */
  badge: string;
  contended: boolean;
  reason: string | null;
}

export function headerModel(s: LabSnapshot): HeaderModel {
  const symbol = s.state === 'paused' ? '⏸' : s.state === 'running' ? '▶' : s.state === 'done' ? '■' : '…';
  const total = s.config.durationMs;
  return {
    title: `${s.model ? 'model · ' : ''}${basename(s.config.file)}`,
    nic: `NIC ${s.config.nic} (${s.config.replication ? 'replicates multicast' : 'no multicast replication'})`,
    recording: basename(s.config.recording),
    state: s.state,
    speed: `${symbol} ${s.nic.speed === 0 ? 'top' : `${s.nic.speed}×`}`,
    clock: `${fmtClock(s.runMs)}${total && !s.config.loop ? ` / ${fmtClock(total)}` : ''}${s.nic.loops > 0 ? ` · loop ${s.nic.loops + 1}` : ''}`,
    // A model says so plainly, with its profile: there is no host to judge.
    badge: s.model ? `MODEL ${s.model.profile}` : s.host && s.host.sampledMs > 0 ? healthBadge(s.host) : 'HOST ?',
    contended: s.host?.verdict === 'contended',
    reason: s.host?.reasons[0] ?? null,
  };
}

export interface MatrixCell {
  path: string;
  letter: string;
  stack: string;
}

export interface MatrixModel {
  /** The lab is starting: the cells are the plan (expected paths), not yet the run. */
  planned?: boolean;
  subscribers: string[];
  /** The port every group shares (shown once), or null. */
  port: string | null;
  rows: { group: string; cells: MatrixCell[] }[];
}

export function stackLabel(m: MembershipSnapshot, sub: SubscriberSnapshotView): string {
  if (sub.receive === 'offload') return 'nic';
  if (m.stack === null) return sub.onload ? 'kern' : 'no-ol';
  return sub.stackName ? sub.stackName.slice(0, 5) : `st${m.stack}`;
}

export function matrixModel(s: LabSnapshot): MatrixModel {
  const groups = s.groups.map((g) => g.group);
  const ports = new Set(groups.map((g) => g.split(':')[1]));
  const port = ports.size === 1 ? [...ports][0] : null;
  // Before the processes are up, the config's plan: every subscriber and its groups, joining (…).
  const plan = s.config.plan ?? [];
  const names = [...plan.map((p) => p.subscriber), ...s.subscribers.map((x) => x.name).filter((n) => !plan.some((p) => p.subscriber === n))];
  const starting = s.state === 'starting';
  return {
    planned: starting && plan.some((p) => (p.expected ?? []).length > 0) && s.subscribers.every((x) => x.memberships.length === 0),
    subscribers: names,
    port,
    rows: groups.map((group) => ({
      group: port ? group.split(':')[0] : group,
      cells: names.map((name) => {
        const sub = s.subscribers.find((x) => x.name === name);
        const m = sub?.memberships.find((x) => x.group === group && x.active);
        if (!m || !sub) {
          const p = starting ? plan.find((x) => x.subscriber === name && x.groups.includes(group)) : undefined;
          if (!p) return { path: 'none', letter: '·', stack: '' };
          // Starting: the path the fallback core expects, marked ?, and the planned stack.
          const e = p.expected?.find((x) => x.group === group);
          return e ? { path: e.path, letter: `${pathLetter(e.path)}?`, stack: p.stack === null || p.stack === undefined ? 'kern' : `st${p.stack}` } : { path: 'none', letter: '…', stack: '' };
        }
        const letter = pathLetter(m.path);
        return { path: m.path, letter, stack: stackLabel(m, sub) };
      }),
    })),
  };
}

export interface TimelineItem {
  at: string;
  headline: string;
  /** Who: stacks, subscribers and PIDs, in one line. */
  who: string | null;
  detail: string | null;
  fix: string | null;
  tone: 'bad' | 'good' | 'neutral';
}

/** The reason in a few words, for a narrow terminal (the whole sentence shows when it is wide, and in help). */
export const SHORT_REASONS: Readonly<Record<string, string>> = {
  'mcast-conflict': 'NIC cannot replicate',
  'filter-table-full': 'no filter left',
  'non-onload-loss': 'NIC steers it to a stack',
  'not-accelerated': 'EF_DONT_ACCELERATE=1',
  'mcast-recv-off': 'EF_MCAST_RECV=0',
};

function whoLine(cause: string | null, subs: readonly { name: string; pid: number; stack: number | null; stackName: string | null }[]): string {
  // A model's subscribers have no processes (pid 0): no pid is shown for them.
  const pid = (p: number) => (p > 0 ? ` pid ${p}` : '');
  const who = subs.map((x) => (x.stack === null ? `${x.name}${pid(x.pid)} (not Onload)` : `${x.name} st${x.stack}${pid(x.pid)}`)).join(', ');
  return cause ? `${cause}${SHORT_REASONS[cause] ? ` (${SHORT_REASONS[cause]})` : ''}: ${who}` : who;
}

/**
 * Events newest first. Joins that kept bypass are left out (they are what should happen), and
 * events of one moment that differ only by group are told once, naming the groups.
 */
export function timelineModel(events: readonly LabEvent[]): TimelineItem[] {
  const out: TimelineItem[] = [];
  let last: { key: string; item: TimelineItem; groups: string[] } | null = null;
  for (const e of events) {
    if (isPathEvent(e)) {
      if (e.kind === 'accelerated') continue;
      const names = e.subscribers.map((x) => x.name).join(', ');
      const key = `${Math.round(e.atMs)}|${e.kind}|${e.path}|${e.cause}|${names}`;
      if (last && last.key === key) {
        last.groups.push(e.group);
        last.item.headline = headline(last.groups, e.path, e.cause, names);
        continue;
      }
      const tone = e.kind === 'fallback' || e.kind === 'loss' ? 'bad' : e.kind === 'recovery' ? 'good' : 'neutral';
      const item: TimelineItem = { at: formatMs(e.atMs), headline: headline([e.group], e.path, e.cause, names), who: whoLine(e.cause, e.subscribers), detail: e.message, fix: e.fix, tone };
      out.push(item);
      last = { key, item, groups: [e.group] };
    } else {
      out.push({ at: formatMs(e.atMs), headline: `${e.kind}${e.subscriber ? ` · ${e.subscriber}` : ''}`, who: null, detail: e.message, fix: null, tone: e.kind === 'exit' ? 'bad' : 'neutral' });
      last = null;
    }
  }
  return out.reverse();
}

function headline(groups: string[], path: string, cause: string | null, names: string): string {
  // Several groups changed at once: the first, and how many more groups (said, not a bare +1);
  // their shared port is left out, as the path matrix shows it once.
  const ports = new Set(groups.map((x) => x.split(':')[1]));
  const first = ports.size === 1 ? groups[0].split(':')[0] : groups[0];
  const g = groups.length === 1 ? groups[0] : `${first} +${groups.length - 1} group${groups.length > 2 ? 's' : ''}`;
  if (path === 'none') return `${g} · ${names} left`;
  void cause; // the cause leads the next line, with who it hit
  return `${g} → ${path}`;
}

export interface HistogramRow {
  label: string;
  bypass: number;
  kernel: number;
}

export interface LatencyPanelModel {
  subscriber: string;
  title: string;
  paths: { path: RecordedPath; summary: LatencySummary }[];
  rows: HistogramRow[];
  maxCount: number;
  caption: string;
  /** The caption in a few characters, for narrow panels. */
  shortCaption: string;
  /** Loss recovery and A/B lines, in one line (null where the subscriber does neither). */
  recovery: string | null;
}

export interface RecoverySummary {
  gaps: number;
  requests: number;
  recovered: number;
  unrecovered: number;
  /** The worst membership's recovery p99, ns (0: no gap closed). */
  p99Ns: number;
  /** A/B lines: line A's share of first copies (null: one line). */
  aShare: number | null;
  filledByLine: number;
  lostOnBoth: number;
}

/** A subscriber's recovery over its groups (DESIGN §13), or null where it recovers nothing. */
export function recoverySummary(sub: SubscriberSnapshotView): RecoverySummary | null {
  const rs = sub.memberships.map((m) => m.recovery).filter((r): r is NonNullable<typeof r> => !!r);
  if (rs.length === 0) return null;
  const lined = rs.filter((r) => r.lines);
  const a = lined.reduce((n, r) => n + r.lines!.fromA, 0);
  const won = lined.reduce((n, r) => n + r.lines!.fromA + r.lines!.fromB, 0);
  return {
    gaps: rs.reduce((n, r) => n + r.gaps, 0),
    requests: rs.reduce((n, r) => n + r.requests, 0),
    recovered: rs.reduce((n, r) => n + r.recovered, 0),
    unrecovered: rs.reduce((n, r) => n + r.unrecovered, 0),
    p99Ns: Math.max(0, ...rs.map((r) => (r.times.count > 0 ? r.times.p99 : 0))),
    aShare: lined.length > 0 && won > 0 ? a / won : lined.length > 0 ? 1 : null,
    filledByLine: lined.reduce((n, r) => n + r.lines!.filledByLine, 0),
    lostOnBoth: lined.reduce((n, r) => n + r.lines!.lostOnBoth, 0),
  };
}

/** `recovery: 6 gaps, 10 rec, 0 unrec, 0 req, p99 465.3µs · A/B 96.6%/3.4%, 6 filled by other line, 0 lost on both`: the share fits 80 columns. */
export function recoveryLine(r: RecoverySummary): string {
  const ab = r.aShare === null ? '' : ` · A/B ${(100 * r.aShare).toFixed(1)}%/${(100 * (1 - r.aShare)).toFixed(1)}%, ${fmtCount(r.filledByLine)} filled by other line, ${fmtCount(r.lostOnBoth)} lost on both`;
  return `recovery: ${fmtCount(r.gaps)} gaps, ${fmtCount(r.recovered)} rec, ${fmtCount(r.unrecovered)} unrec, ${fmtCount(r.requests)} req, p99 ${r.p99Ns > 0 ? fmtLatency(r.p99Ns) : '-'}${ab}`;
}

/** Decade rows (fewer lines) or the engine's 1-2-5 buckets (more lines), by the room there is. */
function bucketRows(fine: boolean, b: number[], k: number[]): HistogramRow[] {
  const label = (ns: number) => (ns < 1e3 ? `${ns}ns` : ns < 1e6 ? `${ns / 1e3}µs` : ns < 1e9 ? `${ns / 1e6}ms` : `${ns / 1e9}s`);
  if (fine) {
    const rows = BUCKET_EDGES_NS.map((edge, i) => ({ label: `≤${label(edge)}`, bypass: b[i] ?? 0, kernel: k[i] ?? 0 }));
    rows.push({ label: `>${label(BUCKET_EDGES_NS[BUCKET_EDGES_NS.length - 1])}`, bypass: b[BUCKET_EDGES_NS.length] ?? 0, kernel: k[BUCKET_EDGES_NS.length] ?? 0 });
    return rows;
  }
  const decades = [1e3, 1e4, 1e5, 1e6, 1e7, 1e8];
  const rows = [{ label: '<1µs', bypass: 0, kernel: 0 }, ...decades.slice(1).map((d) => ({ label: `<${label(d)}`, bypass: 0, kernel: 0 })), { label: '≥100ms', bypass: 0, kernel: 0 }];
  BUCKET_EDGES_NS.forEach((edge, i) => {
    const row = decades.findIndex((d) => edge <= d);
    const r = rows[row < 0 ? rows.length - 1 : row];
    r.bypass += b[i] ?? 0;
    r.kernel += k[i] ?? 0;
  });
  rows[rows.length - 1].bypass += b[BUCKET_EDGES_NS.length] ?? 0;
  rows[rows.length - 1].kernel += k[BUCKET_EDGES_NS.length] ?? 0;
  return rows;
}

/** The rows that hold data, widened to at least `min` rows, within `max`. */
export function windowRows(rows: HistogramRow[], min: number, max: number): HistogramRow[] {
  let first = rows.findIndex((r) => r.bypass + r.kernel > 0);
  let last = rows.length - 1 - [...rows].reverse().findIndex((r) => r.bypass + r.kernel > 0);
  if (first < 0) return rows.slice(0, Math.min(max, rows.length));
  while (last - first + 1 < min && (first > 0 || last < rows.length - 1)) {
    if (first > 0) first--;
    if (last - first + 1 < min && last < rows.length - 1) last++;
  }
  if (last - first + 1 > max) last = first + max - 1;
  return rows.slice(first, last + 1);
}

export function latencyPanelModel(s: LabSnapshot, index: number, ui: UiState, fine: boolean, maxRows = 40, fill = false): LatencyPanelModel | null {
  const sub = s.subscribers[index];
  if (!sub) return null;
  const memberships = sub.memberships;
  const pick = (path: RecordedPath) => addSummaries(memberships.map((m) => m.latency[path][ui.window][ui.clock]));
  const bypass = pick('bypass');
  // The second series: the socket layer's path, through the kernel or from an offload NIC.
  const other: RecordedPath = sub.receive === 'offload' ? 'offload' : 'kernel';
  const kernel = pick(other);
  const stack = sub.receive === 'offload' ? 'offloaded to the NIC' : sub.receive === 'ef_vi' && sub.stack !== null ? `ef_vi VI ${sub.stack}` : sub.stack === null ? (sub.onload ? 'kernel sockets' : 'not Onload') : `stack ${sub.stack}${sub.stackName ? ` (${sub.stackName})` : ''}`;
  const state = sub.alive ? sub.waiting : sub.exit ?? 'stopped';
  const rec = recoverySummary(sub);
  // The recovery line takes a histogram row's place: the panel keeps its height.
  const room = rec ? Math.max(1, maxRows - 1) : maxRows;
  const rows = windowRows(bucketRows(fine, bypass.buckets, kernel.buckets), fill ? room : Math.min(rec ? 4 : 5, room), room);
  return {
    subscriber: sub.name,
    title: `${sub.name} · pid ${sub.pid ?? '-'} · ${stack} · ${state}`,
    paths: [{ path: 'bypass' as const, summary: bypass }, { path: other, summary: kernel }],
    rows,
    maxCount: Math.max(1, ...rows.map((r) => Math.max(r.bypass, r.kernel))),
    caption: `wire→app · ${ui.clock === 'scheduled' ? 'scheduled' : 'NIC send'} · ${ui.window === 'last' ? 'last interval' : 'whole run'}`,
    shortCaption: `${ui.clock === 'scheduled' ? 'sched' : 'send'}·${ui.window === 'last' ? 'last' : 'run'}`,
    recovery: rec ? recoveryLine(rec) : null,
  };
}

export interface FeedModel {
  rates: string;
  accounting: string;
  balanced: boolean;
  gaps: string;
}

export function feedModel(s: LabSnapshot): FeedModel {
  const t = s.totals;
  const causes = Object.entries(t.droppedByCause).map(([c, n]) => `${c} ${fmtCount(n)}`).join(', ');
  const gaps = s.subscribers.map((x) => `${x.name} ${x.memberships.reduce((n, m) => n + m.sequenceGaps, 0)}`).join(' ');
  return {
    rates: `feed ${fmtCount(s.nic.packetsPerSecond)} pkt/s avg · peak ${fmtCount((s.nic.peak100msPackets ?? 0) * 10)}/s over 100 ms, ${fmtCount((s.nic.peak1msPackets ?? 0) * 1000)}/s over 1 ms · ${fmtCount(s.nic.messagesPerSecond)} msg/s · lag ${fmtLatency(s.nic.lagNs)}`,
    accounting: `sent ${fmtCount(t.sent)} = bypass ${fmtCount(t.bypass)} + kernel ${fmtCount(t.kernel)}${t.offload > 0 ? ` + offload ${fmtCount(t.offload)}` : ''} + dropped ${fmtCount(t.dropped)}${causes ? ` (${causes})` : ''}${t.inFlight > 0 ? ` + in flight ${fmtCount(t.inFlight)}` : ''}`,
    balanced: t.balanced,
    gaps: `gaps ${gaps}`,
  };
}

export interface ComparisonItem {
  name: string;
  path: RecordedPath;
  p50: string;
  p99: string;
}

/** Every subscriber's latency by path on one line: the contrast at a glance. */
export function comparisonModel(s: LabSnapshot, ui: UiState): ComparisonItem[] {
  const out: ComparisonItem[] = [];
  for (const sub of s.subscribers) {
    for (const path of RECORDED_PATHS) {
      const l = addSummaries(sub.memberships.map((m) => m.latency[path][ui.window][ui.clock]));
      if (l.count > 0) out.push({ name: sub.name, path, p50: fmtLatency(l.p50), p99: fmtLatency(l.p99) });
    }
  }
  return out;
}

/** The subscriber to show beside the selected one: the next whose main path differs, else the next. */
export function contrastIndex(s: LabSnapshot, selected: number): number {
  const n = s.subscribers.length;
  if (n < 2) return -1;
  const main = (i: number) => {
    const d = s.subscribers[i].memberships.map((m) => m.account.delivered);
    const count = (p: RecordedPath) => d.reduce((n, x) => n + x[p], 0);
    return RECORDED_PATHS.reduce((best, p) => (count(p) > count(best) ? p : best), 'bypass' as RecordedPath);
  };
  for (let d = 1; d < n; d++) {
    const i = (selected + d) % n;
    if (main(i) !== main(selected)) return i;
  }
  return (selected + 1) % n;
}
