/**
 * The headless report: a final snapshot as text. Pure; the JSON result is the snapshot itself.
 */
import { RECORDED_PATHS } from '../metrics/latency.js';
import { overheadRows, type OverheadRow } from './overheads.js';
import { summarizeAssignments } from '../feed/feed-traffic.js';
import { basename } from 'node:path';
import { fmtInt } from './text-table.js';
import type { LatencySummary } from '../metrics/histogram-store.js';
import { droppedTotal } from './accounting.js';
import { healthLines } from './health-report.js';
import { isPathEvent, type LabSnapshot } from './snapshot.js';
import { renderMarkdown, renderText, type Block } from './report-blocks.js';
export { formatEvent, formatMs } from './report-events.js';

export function formatUs(ns: number): string {
  if (ns <= 0) return '-';
  const us = ns / 1e3;
  if (us < 10) return us.toFixed(2);
  if (us < 1000) return us.toFixed(1);
  return fmtInt(us);
}

function lat(s: LatencySummary): string[] {
  return s.count === 0 ? ['-', '-', '-', '-', '-'] : [formatUs(s.p50), formatUs(s.p90), formatUs(s.p99), formatUs(s.p999), formatUs(s.max)];
}

/** The NIC's pacing error (actual minus scheduled send), from its lag histogram where measured. */
function pacingText(s: LabSnapshot): string {
  const lag = s.host?.nicLag;
  if (!lag || lag.packets === 0) return `worst lag behind schedule ${formatUs(s.nic.worstLagNs)} µs`;
  return `pacing error (actual minus scheduled send) p50 ${formatUs(lag.p50Ns)} µs, p99 ${formatUs(lag.p99Ns)} µs, max ${formatUs(Math.max(lag.maxNs, s.nic.worstLagNs))} µs`;
}

export function formatReport(s: LabSnapshot): string {
  return renderText(reportBlocks(s));
}

/** The report as Markdown: real tables, sections as headings (report.md). */
export function reportMarkdownBody(s: LabSnapshot): string {
  return renderMarkdown(reportBlocks(s));
}

/** The report's content, once, for both renderers. */
export function reportBlocks(s: LabSnapshot): Block[] {
  const out: Block[] = [];
  const speed = s.nic.speed === 0 ? 'top speed' : `${s.nic.speed}×`;
  const head = [`mdlab${s.model ? ` MODEL (${s.model.profile})` : ''} · ${basename(s.config.file)} · NIC ${s.config.nicDescription} · ${basename(s.config.recording)} · ${speed} · ${(s.runMs / 1000).toFixed(2)} s${s.model ? ' of virtual time' : ''} · ${s.state}`];
  if (s.config.description) head.push(s.config.description);
  for (const line of summarizeAssignments(s.config.assignedGroups ?? [])) head.push(`recording: ${line}`);
  head.push(...healthLines(s));
  for (const w of s.warnings) head.push(`warning: ${w}`);
  if (s.error) head.push(`error: ${s.error}`);
  out.push({ kind: 'para', lines: head });
  out.push({ kind: 'para', lines: [`NIC: ${fmtInt(s.nic.packets)} packets, ${fmtInt(s.nic.messages)} messages; ${fmtInt(s.nic.ringWrites)} ring writes, ${fmtInt(s.nic.kernelSends)} kernel sends; ${pacingText(s)}${s.nic.unjoined > 0 ? `; ${fmtInt(s.nic.unjoined)} packets to groups nobody joined` : ''}`] });
  const interesting = s.events.filter((e) => !isPathEvent(e) || e.kind !== 'accelerated');
  out.push({ kind: 'section', title: `Events (${interesting.length}${interesting.length < s.events.length ? `; ${s.events.length - interesting.length} joins by bypass not shown` : ''})`, body: [{ kind: 'events', events: interesting, none: 'none: every socket kept kernel bypass' }] });

  const rows: (string | number)[][] = [];
  const offloads = s.subscribers.some((x) => x.receive === 'offload');
  for (const sub of s.subscribers) {
    for (const m of sub.memberships) {
      const a = m.account;
      const causes = Object.entries(a.dropped).map(([c, n]) => `${c} ${fmtInt(n ?? 0)}`).join(', ');
      rows.push([
        sub.name, m.group, m.active ? m.path : `${m.path} (left)`, m.cause ?? '-', a.sent, a.delivered.bypass, a.delivered.kernel,
        ...(offloads ? [a.delivered.offload] : []), droppedTotal(a), causes || '-', m.sequenceGaps, a.balanced ? 'yes' : 'NO',
      ]);
    }
  }
  out.push({ kind: 'section', title: 'Paths and accounting (packets)', body: [{ kind: 'table', rows, head: ['subscriber', 'group', 'path', 'cause', 'sent', 'bypass', 'kernel', ...(offloads ? ['offload'] : []), 'dropped', 'by cause', 'seq gaps', 'balanced'] }] });

  const lrows: string[][] = [];
  for (const sub of s.subscribers) {
    for (const m of sub.memberships) {
      for (const path of RECORDED_PATHS) {
        const t = m.latency[path].total;
        if (t.scheduled.count === 0) continue;
        lrows.push([sub.name, m.group, path, fmtInt(t.scheduled.count), ...lat(t.scheduled), '|', ...lat(t.sent)]);
      }
    }
  }
  out.push({
    kind: 'section',
    title: 'Latency, wire to application, µs: from the scheduled wire time | from the NIC\'s actual send',
    body: [lrows.length === 0 ? { kind: 'para', lines: ['  no packets were delivered'] } : {
      kind: 'table',
      rows: lrows,
      head: ['subscriber', 'group', 'path', 'count', 'p50', 'p90', 'p99', 'p99.9', 'max', '|', 'p50', 'p90', 'p99', 'p99.9', 'max'],
      mdHead: ['subscriber', 'group', 'path', 'count', 'p50 sched', 'p90 sched', 'p99 sched', 'p99.9 sched', 'max sched', null, 'p50 send', 'p90 send', 'p99 send', 'p99.9 send', 'max send'],
    }],
  });

  if ((s.dropsExplained ?? []).length > 0) out.push({ kind: 'section', title: 'Drops explained', body: [{ kind: 'list', items: s.dropsExplained.map((d) => d.text) }] });
  const recovering = s.subscribers.flatMap((sub) => sub.memberships.filter((m) => m.recovery).map((m) => ({ sub: sub.name, m })));
  if (recovering.length > 0) {
    const srv = s.recoveryServer;
    const c = srv?.counters;
    const title = !srv
      ? 'Recovery (A/B lines only, no re-request server: a gap waits for the other line, and what both lines missed is skipped and counted lost)'
      : `Recovery (MoldUDP64 re-requests to the lab's server on 127.0.0.1:${srv.port}${c ? `: ${fmtInt(c.requests)} requests, ${fmtInt(c.answered)} answered with ${fmtInt(c.messagesServed)} messages${Object.values(c.refused).some((n) => n > 0) ? `, ${Object.entries(c.refused).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${fmtInt(n)}`).join(', ')} ignored` : ''}` : ''}); a packet dropped and recovered counts in both)`;
    out.push({
      kind: 'section',
      title,
      body: [{
        kind: 'table',
        rows: recovering.map(({ sub, m }) => {
          const r = m.recovery!;
          return [sub, m.group, m.path, r.gaps, r.requests, r.recovered, r.unrecovered, r.duplicates, r.times.count ? formatUs(r.times.p50) : '-', r.times.count ? formatUs(r.times.p99) : '-', r.times.count ? formatUs(r.times.max) : '-'];
        }),
        head: ['subscriber', 'group', 'path', 'gaps', 'requests', 'recovered', 'unrecovered', 'duplicates', 'recovery p50 µs', 'p99 µs', 'max µs'],
      }],
    });
  }
  const lined = recovering.filter(({ m }) => m.recovery!.lines);
  if (lined.length > 0) {
    out.push({
      kind: 'section',
      title: 'A/B lines (first copy of each sequence wins; a gap on one line is filled from the other; only what both lines missed is re-requested)',
      body: [{
        kind: 'table',
        rows: lined.map(({ sub, m }) => {
          const l = m.recovery!.lines!;
          const won = l.fromA + l.fromB;
          const share = (n: number) => (won === 0 ? '-' : `${((100 * n) / won).toFixed(1)}%`);
          return [sub, m.group, l.b, fmtInt(l.fromA), share(l.fromA), fmtInt(l.fromB), share(l.fromB), l.filledByLine, l.lostOnBoth, l.delay.count ? formatUs(l.delay.p50) : '-', l.delay.count ? formatUs(l.delay.p99) : '-', l.delay.count ? formatUs(l.delay.max) : '-'];
        }),
        head: ['subscriber', 'line A', 'line B', 'from A', 'A wins', 'from B', 'B wins', 'gaps filled by other line', 'lost on both', 'arbitration delay p50 µs', 'p99 µs', 'max µs'],
      }],
    });
  }
  out.push({
    kind: 'section',
    title: 'Subscribers',
    body: [{
      kind: 'table',
      rows: s.subscribers.map((x) => [
        x.name, String(x.pid ?? '-'), x.alive ? 'running' : x.exit ?? 'stopped', x.stack === null ? '-' : `${x.stack}${x.stackName ? ` (${x.stackName})` : ''}`,
        x.waiting, x.receive, x.work, x.contextSwitches.voluntary, x.contextSwitches.involuntary, fmtInt(x.cpuUs / 1000), x.interrupts,
        x.gc ? `${x.gc.minor} + ${x.gc.major}` : '-',
      ]),
      head: ['subscriber', 'pid', 'process', 'stack', 'waiting', 'receive', 'work', 'vol ctxsw', 'invol ctxsw', 'cpu ms', 'interrupts', 'gc (minor + major)'],
    }],
  });
  out.push(overheadsSection(overheadRows(s)));
  const t = s.totals;
  const causes = Object.entries(t.droppedByCause).map(([c, n]) => `${c} ${fmtInt(n)}`).join(', ');
  const offload = t.offload > 0 ? ` + offload ${fmtInt(t.offload)}` : '';
  out.push({ kind: 'para', lines: [`Totals: sent ${fmtInt(t.sent)} = bypass ${fmtInt(t.bypass)} + kernel ${fmtInt(t.kernel)}${offload} + dropped ${fmtInt(t.dropped)}${causes ? ` (${causes})` : ''}${t.inFlight > 0 ? ` + in flight ${fmtInt(t.inFlight)}` : ''}: ${t.balanced ? 'balanced' : 'NOT BALANCED'}`] });
  return out;
}

/** The three overheads, one row per subscriber (DESIGN §10): by construction, then measured. */
export function overheadsSection(rows: readonly OverheadRow[]): Block {
  const n = (x: number | null, d = 1) => (x === null ? '-' : x.toFixed(d));
  const body = rows.map((r) => [
    r.subscriber, r.mode, r.path, r.copies, r.protocol, n(r.bytesCopiedPerPacket, 0),
    r.contextSwitchesPer1k ? `${n(r.contextSwitchesPer1k.voluntary)} + ${n(r.contextSwitchesPer1k.involuntary)}` : '-',
    n(r.cpuUsPerPacket, 2), r.p50 === null ? '-' : formatUs(r.p50), r.p99 === null ? '-' : formatUs(r.p99), r.wakeP50 === null ? '-' : formatUs(r.wakeP50),
  ]);
  return {
    kind: 'section',
    title: 'Overheads by receive mode: copies and protocol processing by construction; the rest measured since each subscriber\'s first packet (latency from the NIC\'s send, µs; wake: how long the socket, or the NIC\'s doorbell, held the packet before a sleeping reader read it, p50)',
    body: [{ kind: 'table', rows: body, head: ['subscriber', 'mode', 'path', 'copies on the host', 'protocol processing', 'bytes copied/pkt', 'ctxsw/1k pkt (vol + invol)', 'cpu µs/pkt', 'p50', 'p99', 'wake p50'] }],
  };
}

export function formatOverheads(rows: readonly OverheadRow[]): string {
  return renderText([overheadsSection(rows)]).trimEnd();
}
