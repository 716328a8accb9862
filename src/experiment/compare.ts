/**
 * `mdlab compare A B`: two results side by side (result directories or summary files): what
 * differs in their configs, then path changes with the NIC's ring writes and kernel sends, then
 * percentile deltas per subscriber, group and path (each against the runs' own spread, where the
 * .hlog files give it), loss recovery, and the difference in fallback events.
 */
import { RECORDED_PATHS, type RecordedPath } from '../metrics/latency.js';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MdlabError } from '../errors.js';
import { formatMicros } from '../metrics/duration.js';
import { wakeOf } from './overheads.js';
import type { LatencySummary } from '../metrics/histogram-store.js';
import { isPathEvent, type LabSnapshot } from './snapshot.js';
import { configDifferences, type ConfigDifference } from './compare-config.js';
import { intervalP50Range, readResultSeries } from './result-series.js';
import type { LatencySeries } from './results.js';

export interface ComparedLatency {
  subscriber: string;
  group: string;
  /** 'main': whichever path carried most of the group's packets on each side, where that moved (`from` → `to`). */
  path: RecordedPath | 'main';
  moved?: { from: RecordedPath; to: RecordedPath };
  a: Pick<LatencySummary, 'count' | 'p50' | 'p90' | 'p99' | 'p999' | 'max'> | null;
  b: Pick<LatencySummary, 'count' | 'p50' | 'p90' | 'p99' | 'p999' | 'max'> | null;
  /** b − a, ns (null where either side has no packets on that path). */
  delta: { p50: number; p99: number; p999: number; max: number } | null;
  /** Each run's own spread: the lowest and highest p50 of its intervals (from its .hlog files; null without them). */
  spread: { a: { low: number; high: number } | null; b: { low: number; high: number } | null };
  /** The p50s differ by no more than the runs vary on their own: one side's p50 lies within the other's interval range. */
  withinSpread: boolean | null;
}

export interface Comparison {
  a: string;
  b: string;
  clock: 'scheduled' | 'sent';
  /** What differs between the two configs (null: a side without its config, an older result). */
  config: ConfigDifference[] | null;
  /** The NIC's ring writes and kernel sends, in all and per group. */
  nic: { a: { packets: number; ringWrites: number; kernelSends: number }; b: { packets: number; ringWrites: number; kernelSends: number } };
  groups: { group: string; a: { ringWrites: number; kernelSends: number } | null; b: { ringWrites: number; kernelSends: number } | null }[];
  latency: ComparedLatency[];
  paths: { subscriber: string; group: string; a: string; b: string }[];
  events: { kind: string; cause: string | null; a: number; b: number }[];
  totals: { a: LabSnapshot['totals']; b: LabSnapshot['totals'] };
  /** Each side's host verdict (null: a result from before host health was measured). */
  host: { a: { verdict: string; reasons: string[] } | null; b: { verdict: string; reasons: string[] } | null };
  /** Plain-word warnings: a side whose figures the host decided, or that cannot say. */
  warnings: string[];
  /** Loss recovery and A/B lines per subscriber and group, where either side recovered (DESIGN §13). */
  recovery: { subscriber: string; group: string; a: ComparedRecovery | null; b: ComparedRecovery | null }[];
}

export interface ComparedRecovery {
  gaps: number;
  requests: number;
  recovered: number;
  unrecovered: number;
  /** Recovery time p99, ns (0: no gap closed). */
  p99: number;
  /** A/B lines: line A's share of first copies, gaps filled by the other line, lost on both (null: one line). */
  lines: { aShare: number; filledByLine: number; lostOnBoth: number } | null;
}

/** A result as compare reads it: the snapshot, the config it ran (summary.json's labConfig) and, from a directory, its latency series. */
export interface LoadedResult {
  snapshot: LabSnapshot;
  config: unknown;
  series: LatencySeries[];
  startedAtMs: number;
}

export function loadResultFull(path: string): LoadedResult {
  const snapshot = loadResult(path);
  const s = readResultSeries(path);
  return { snapshot, config: (snapshot as unknown as { labConfig?: unknown }).labConfig ?? null, series: s?.series ?? [], startedAtMs: s?.startedAtMs ?? 0 };
}

/** Reads a result: a summary.json, a directory holding one, or a --json result file. */
export function loadResult(path: string): LabSnapshot {
  if (!existsSync(path)) throw new MdlabError(`${path}: no such result file or directory`);
  const file = statSync(path).isDirectory() ? join(path, 'summary.json') : path;
  if (!existsSync(file)) throw new MdlabError(`${path}: no summary.json in this directory (a sweep keeps one per point directory)`);
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new MdlabError(`${file}: not a JSON result: ${(err as Error).message}`);
  }
  const s = doc as Partial<LabSnapshot>;
  if (!s || !Array.isArray(s.subscribers) || !Array.isArray(s.events) || !s.totals) throw new MdlabError(`${file}: not an mdlab result (no subscribers, events and totals)`);
  return s as LabSnapshot;
}

/** The p50 wake-up a subscriber's packets on `path` waited for (kernel socket or doorbell), ns, or null. */
function wakeOn(s: LabSnapshot, subscriber: string, path: RecordedPath): number | null {
  const sub = s.subscribers.find((x) => x.name === subscriber);
  return sub ? wakeOf(sub, path)?.p50 ?? null : null;
}

/**
 * A moved path that came out slower where both sides' readers sleep, and the host's wake-up,
 * measured on each side, grew by at least half the difference: the wake-up decided it, not the
 * path. Said once per subscriber.
 */
function wakeWarnings(a: LabSnapshot, b: LabSnapshot, latency: readonly ComparedLatency[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const r of latency) {
    if (!r.moved || !r.delta || r.delta.p50 <= 0 || seen.has(r.subscriber)) continue;
    const wa = wakeOn(a, r.subscriber, r.moved.from);
    const wb = wakeOn(b, r.subscriber, r.moved.to);
    if (wa === null || wb === null || wb - wa < r.delta.p50 / 2) continue;
    seen.add(r.subscriber);
    out.push(`${r.subscriber}: ${r.moved.from} → ${r.moved.to} is ${formatMicros(r.delta.p50)} slower at p50, but its reader sleeps on both sides: waking it took p50 ${formatMicros(wa)} in A (${r.moved.from === 'kernel' ? 'its kernel socket' : 'the NIC\'s doorbell'}) and ${formatMicros(wb)} in B (${r.moved.to === 'kernel' ? 'its kernel socket' : 'the NIC\'s doorbell'}): the host's wake-up, not the path, decides these p50s; spin (EF_POLL_USEC) to compare the paths themselves`);
  }
  return out;
}

export function compareResults(aName: string, a: LabSnapshot, bName: string, b: LabSnapshot, clock: 'scheduled' | 'sent' = 'scheduled', extra: { configA?: unknown; configB?: unknown; seriesA?: readonly LatencySeries[]; seriesB?: readonly LatencySeries[] } = {}): Comparison {
  const keys = new Map<string, { subscriber: string; group: string }>();
  for (const s of [a, b]) for (const sub of s.subscribers) for (const m of sub.memberships) keys.set(`${sub.name}|${m.group}`, { subscriber: sub.name, group: m.group });
  const find = (s: LabSnapshot, sub: string, group: string) => {
    const ms = s.subscribers.find((x) => x.name === sub)?.memberships.filter((m) => m.group === group) ?? [];
    return ms[ms.length - 1];
  };
  const pick = (l: LatencySummary | undefined) => (l && l.count > 0 ? { count: l.count, p50: l.p50, p90: l.p90, p99: l.p99, p999: l.p999, max: l.max } : null);
  const latency: ComparedLatency[] = [];
  const paths: Comparison['paths'] = [];
  for (const { subscriber, group } of keys.values()) {
    const ma = find(a, subscriber, group);
    const mb = find(b, subscriber, group);
    paths.push({ subscriber, group, a: ma?.path ?? 'absent', b: mb?.path ?? 'absent' });
    const delta = (x: ComparedLatency['a'], y: ComparedLatency['a']) => (x && y ? { p50: y.p50 - x.p50, p99: y.p99 - x.p99, p999: y.p999 - x.p999, max: y.max - x.max } : null);
    const range = (series: readonly LatencySeries[] | undefined, path: RecordedPath) => {
      const r = series ? intervalP50Range(series, subscriber, group, path, clock) : null;
      return r ? { low: r.low, high: r.high } : null;
    };
    const within = (x: ComparedLatency['a'], y: ComparedLatency['a'], sa: { low: number; high: number } | null, sb: { low: number; high: number } | null) =>
      !x || !y || (!sa && !sb) ? null : (sa !== null && y.p50 >= sa.low && y.p50 <= sa.high) || (sb !== null && x.p50 >= sb.low && x.p50 <= sb.high);
    // The main path row only where it moved (kernel → bypass, say): otherwise it repeats a path's row.
    const mainOf = (m: typeof ma): RecordedPath | null => (m ? RECORDED_PATHS.reduce((best: RecordedPath | null, p) => (m.latency[p].total[clock].count > (best ? m.latency[best].total[clock].count : 0) ? p : best), null) : null);
    const pa = mainOf(ma);
    const pb = mainOf(mb);
    if (ma && mb && pa && pb && pa !== pb) {
      const xa = pick(ma.latency[pa].total[clock]);
      const xb = pick(mb.latency[pb].total[clock]);
      const spread = { a: range(extra.seriesA, pa), b: range(extra.seriesB, pb) };
      latency.push({ subscriber, group, path: 'main', moved: { from: pa, to: pb }, a: xa, b: xb, delta: delta(xa, xb), spread, withinSpread: within(xa, xb, spread.a, spread.b) });
    }
    for (const path of RECORDED_PATHS) {
      const la = pick(ma?.latency[path].total[clock]);
      const lb = pick(mb?.latency[path].total[clock]);
      if (!la && !lb) continue;
      // A path on one side only is the moved main row's already.
      if (pa !== pb && pa && pb && (!la || !lb) && (path === pa || path === pb)) continue;
      const spread = { a: range(extra.seriesA, path), b: range(extra.seriesB, path) };
      latency.push({ subscriber, group, path, a: la, b: lb, delta: delta(la, lb), spread, withinSpread: within(la, lb, spread.a, spread.b) });
    }
  }
  const tally = (s: LabSnapshot) => {
    const t = new Map<string, number>();
    for (const e of s.events) {
      if (isPathEvent(e) && e.kind === 'accelerated') continue;
      const k = `${e.kind}|${isPathEvent(e) ? e.cause ?? '' : ''}`;
      t.set(k, (t.get(k) ?? 0) + 1);
    }
    return t;
  };
  const ta = tally(a);
  const tb = tally(b);
  const events = [...new Set([...ta.keys(), ...tb.keys()])].sort().map((k) => {
    const [kind, cause] = k.split('|');
    return { kind, cause: cause || null, a: ta.get(k) ?? 0, b: tb.get(k) ?? 0 };
  });
  // A model run has no host: its side says so, and which profile costed it.
  const verdict = (s: LabSnapshot) => (s.model ? { verdict: `model, profile ${s.model.profile}`, reasons: [] } : s.host && s.host.sampledMs > 0 ? { verdict: s.host.verdict, reasons: s.host.reasons } : null);
  const host = { a: verdict(a), b: verdict(b) };
  const warnings: string[] = [];
  for (const [side, name, h] of [['A', aName, host.a], ['B', bName, host.b]] as const) {
    if (h === null) warnings.push(`${side} (${name}) has no host-health verdict: whether the host decided its figures is unknown`);
    else if (h.verdict === 'contended') warnings.push(`${side} (${name}) ran on a contended host: its figures are partly the host's (${h.reasons[0]}${h.reasons.length > 1 ? `; ${h.reasons.length - 1} more` : ''})`);
  }
  warnings.push(...wakeWarnings(a, b, latency));
  const rec = (m: ReturnType<typeof find>): ComparedRecovery | null => {
    const r = m?.recovery;
    if (!r) return null;
    const won = r.lines ? r.lines.fromA + r.lines.fromB : 0;
    return {
      gaps: r.gaps, requests: r.requests, recovered: r.recovered, unrecovered: r.unrecovered, p99: r.times.count > 0 ? r.times.p99 : 0,
      lines: r.lines ? { aShare: won > 0 ? r.lines.fromA / won : 1, filledByLine: r.lines.filledByLine, lostOnBoth: r.lines.lostOnBoth } : null,
    };
  };
  const recovery = [...keys.values()]
    .map(({ subscriber, group }) => ({ subscriber, group, a: rec(find(a, subscriber, group)), b: rec(find(b, subscriber, group)) }))
    .filter((r) => r.a || r.b);
  const nicOf = (x: LabSnapshot) => ({ packets: x.nic.packets, ringWrites: x.nic.ringWrites, kernelSends: x.nic.kernelSends });
  const groupNames = [...new Set([...a.groups.map((g) => g.group), ...b.groups.map((g) => g.group)])];
  const groupOf = (x: LabSnapshot, g: string) => {
    const v = x.groups.find((y) => y.group === g);
    return v ? { ringWrites: v.ringWrites, kernelSends: v.kernelSends } : null;
  };
  const config = extra.configA && extra.configB ? configDifferences(extra.configA, extra.configB) : null;
  return {
    a: aName, b: bName, clock, config, nic: { a: nicOf(a), b: nicOf(b) }, groups: groupNames.map((g) => ({ group: g, a: groupOf(a, g), b: groupOf(b, g) })),
    latency, paths, events, totals: { a: a.totals, b: b.totals }, host, warnings, recovery,
  };
}
