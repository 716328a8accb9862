import { checkOutputFile } from './output-path.js';
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { compareResults, loadResultFull, type Comparison } from '../experiment/compare.js';
import { formatUs } from '../experiment/report.js';
import { act } from './action.js';
import { fmtInt, table, writeJson } from './output.js';

const signed = (ns: number) => `${ns > 0 ? '+' : ns < 0 ? '-' : ''}${formatUs(Math.abs(ns)) === '-' ? '0' : formatUs(Math.abs(ns))}`;
const arrow = (a: number | undefined, b: number | undefined) => `${a === undefined ? '-' : formatUs(a)} → ${b === undefined ? '-' : formatUs(b)}`;

export function formatComparison(c: Comparison): string {
  const side = (h: { verdict: string } | null) => (h === null ? '' : h.verdict.startsWith('model') ? ` (${h.verdict})` : ` (host ${h.verdict})`);
  const out: string[] = [`A: ${c.a}${side(c.host.a)}`, `B: ${c.b}${side(c.host.b)}`];
  for (const w of c.warnings) out.push(`warning: ${w}`);
  out.push('');
  out.push('What differs in the configs');
  out.push(c.config === null ? '  a side has no config (a summary from an older mdlab): not compared' : c.config.length === 0 ? '  nothing: the same config' : table(c.config.map((d) => [d.key, d.a, d.b]), ['setting', 'A', 'B']));
  out.push('');
  out.push('Paths');
  out.push(table(c.paths.map((p) => [p.subscriber, p.group, p.a, p.b, p.a === p.b ? '' : 'CHANGED']), ['subscriber', 'group', 'A', 'B', '']));
  out.push('');
  const n = (x: number | undefined) => (x === undefined ? '-' : fmtInt(x));
  out.push('Ring writes and kernel sends (the NIC: a frame DMAed per stack; a datagram per group sent to the kernel, which copies it to every joined socket)');
  out.push(table([
    ...c.groups.map((g) => [g.group, n(g.a?.ringWrites), n(g.b?.ringWrites), n(g.a?.kernelSends), n(g.b?.kernelSends)]),
    ['all', n(c.nic.a.ringWrites), n(c.nic.b.ringWrites), n(c.nic.a.kernelSends), n(c.nic.b.kernelSends)],
  ], ['group', 'ring writes A', 'B', 'kernel sends A', 'B']));
  out.push('');
  const spreadNote = c.latency.some((l) => l.withinSpread);
  out.push(`Latency, µs (${c.clock} clock, whole run): A → B, and B − A${c.latency.some((l) => l.path === 'main') ? '; where the path that carried most packets changed, one row says from which to which' : ''}`);
  out.push(table(c.latency.map((l) => [
    l.subscriber, l.group, l.moved ? `${l.moved.from} → ${l.moved.to}` : l.path, arrow(l.a?.p50, l.b?.p50), l.delta ? signed(l.delta.p50) : '-', arrow(l.a?.p99, l.b?.p99), l.delta ? signed(l.delta.p99) : '-', l.delta ? signed(l.delta.max) : '-',
    l.withinSpread ? 'p50 within spread' : '',
  ]), ['subscriber', 'group', 'path', 'p50 A → B', 'Δ p50', 'p99 A → B', 'Δ p99', 'Δ max', '']));
  if (spreadNote) out.push('  p50 within spread: one run\'s p50 lies between the lowest and highest p50 of the other\'s intervals: the difference is no larger than a run varies on its own');
  if (c.latency.every((l) => l.spread.a === null && l.spread.b === null)) out.push('  (no .hlog files on either side: give result directories to see each run\'s own spread)');
  out.push('');
  if (c.recovery.length > 0) {
    const r = (x: Comparison['recovery'][number]['a']) =>
      x === null ? '-' : `${fmtInt(x.gaps)} gaps, ${fmtInt(x.requests)} req, ${fmtInt(x.recovered)} rec, ${fmtInt(x.unrecovered)} unrec, p99 ${x.p99 > 0 ? formatUs(x.p99) : '-'}${x.lines ? `, A won ${(100 * x.lines.aShare).toFixed(1)}%, ${fmtInt(x.lines.filledByLine)} filled by line, ${fmtInt(x.lines.lostOnBoth)} lost on both` : ''}`;
    out.push('Recovery (gaps, re-requests, messages recovered and unrecovered, recovery p99 µs; A/B lines: line A\'s share of first copies)');
    out.push(table(c.recovery.map((x) => [x.subscriber, x.group, r(x.a), r(x.b)]), ['subscriber', 'group', 'A', 'B']));
    out.push('');
  }
  out.push('Events (A, B)');
  out.push(c.events.length === 0 ? '  none in either' : table(c.events.map((e) => [`${e.kind}${e.cause ? ` ${e.cause}` : ''}`, String(e.a), String(e.b)]), ['event', 'A', 'B']));
  out.push('');
  const t = (x: Comparison['totals']['a']) => `sent ${fmtInt(x.sent)} = bypass ${fmtInt(x.bypass)} + kernel ${fmtInt(x.kernel)} + dropped ${fmtInt(x.dropped)}`;
  out.push(`Totals A: ${t(c.totals.a)}`);
  out.push(`Totals B: ${t(c.totals.b)}`);
  return `${out.join('\n')}\n`;
}

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('two results side by side: what differs in their configs, path changes, ring writes and kernel sends, percentile deltas against each run\'s own spread, recovery, events')
    .argument('<a>', 'a result directory (--out) or summary.json / --json file')
    .argument('<b>', 'the other')
    .option('--clock <clock>', 'scheduled (the headline) or sent', 'scheduled')
    .option('--html <file>', 'also write the comparison as one self-contained HTML page, with each subscriber\'s distributions overlaid')
    .option('--json', 'print as JSON')
    .action(act(async (a: string, b: string, flags: { json?: boolean; clock: string; html?: string }) => {
      const clock = flags.clock === 'sent' ? 'sent' : 'scheduled';
      if (flags.html) checkOutputFile('--html', flags.html);
      const ra = loadResultFull(a);
      const rb = loadResultFull(b);
      const c = compareResults(a, ra.snapshot, b, rb.snapshot, clock, { configA: ra.config, configB: rb.config, seriesA: ra.series, seriesB: rb.series });
      if (flags.html) {
        const { compareHtml } = await import('../experiment/compare-html.js');
        writeFileSync(flags.html, await compareHtml(c, ra, rb));
        process.stderr.write(`mdlab: wrote ${flags.html}\n`);
      }
      if (flags.json) writeJson(c);
      else process.stdout.write(formatComparison(c));
      return 0;
    }));
}
