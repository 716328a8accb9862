import type { Command } from 'commander';
import { compareResults, loadResult, type Comparison } from '../experiment/compare.js';
import { formatUs } from '../experiment/report.js';
import { act } from './action.js';
import { fmtInt, table, writeJson } from './output.js';

const signed = (ns: number) => `${ns > 0 ? '+' : ns < 0 ? '-' : ''}${formatUs(Math.abs(ns)) === '-' ? '0' : formatUs(Math.abs(ns))}`;

export function formatComparison(c: Comparison): string {
  const side = (h: { verdict: string } | null) => (h === null ? '' : h.verdict.startsWith('model') ? ` (${h.verdict})` : ` (host ${h.verdict})`);
  const out: string[] = [`A: ${c.a}${side(c.host.a)}`, `B: ${c.b}${side(c.host.b)}`];
  for (const w of c.warnings) out.push(`warning: ${w}`);
  out.push('');
  out.push('Paths');
  out.push(table(c.paths.map((p) => [p.subscriber, p.group, p.a, p.b, p.a === p.b ? '' : 'CHANGED']), ['subscriber', 'group', 'A', 'B', '']));
  out.push('');
  out.push(`Latency, µs (${c.clock} clock, whole run): A → B, and B − A; "main" is the path that carried most packets on each side`);
  out.push(table(c.latency.map((l) => [
    l.subscriber, l.group, l.path,
    l.a ? `${formatUs(l.a.p50)} → ${l.b ? formatUs(l.b.p50) : '-'}` : `- → ${l.b ? formatUs(l.b.p50) : '-'}`,
    l.delta ? signed(l.delta.p50) : '-',
    l.a ? `${formatUs(l.a.p99)} → ${l.b ? formatUs(l.b.p99) : '-'}` : `- → ${l.b ? formatUs(l.b.p99) : '-'}`,
    l.delta ? signed(l.delta.p99) : '-',
    l.delta ? signed(l.delta.max) : '-',
  ]), ['subscriber', 'group', 'path', 'p50 A → B', 'Δ p50', 'p99 A → B', 'Δ p99', 'Δ max']));
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
    .description('two results side by side: percentile deltas per subscriber and path, path changes, fallback differences')
    .argument('<a>', 'a result directory (--out) or summary.json / --json file')
    .argument('<b>', 'the other')
    .option('--clock <clock>', 'scheduled (the headline) or sent', 'scheduled')
    .option('--json', 'print as JSON')
    .action(act(async (a: string, b: string, flags: { json?: boolean; clock: string }) => {
      const clock = flags.clock === 'sent' ? 'sent' : 'scheduled';
      const c = compareResults(a, loadResult(a), b, loadResult(b), clock);
      if (flags.json) writeJson(c);
      else process.stdout.write(formatComparison(c));
      return 0;
    }));
}
