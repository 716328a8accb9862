/**
 * `mdlab compare A B --html FILE`: the comparison as one self-contained page (no script, nothing
 * fetched): what differs in the configs, paths with ring writes and kernel sends, the percentile
 * deltas with each run's own spread, and each subscriber's two distributions overlaid (Vega-Lite,
 * rendered headless to SVG as the report's plots are).
 */
import type { Comparison, LoadedResult } from './compare.js';
import { esc, htmlTable, renderSvg } from './report-html.js';
import { compareSpec } from './report-plots.js';
import { formatUs } from './report.js';

/** Subscribers plotted at most (a model at scale has thousands; the tables hold them all). */
const MAX_PLOTS = 12;

const us = (ns: number | undefined) => (ns === undefined ? '-' : formatUs(ns));
const signed = (ns: number) => `${ns > 0 ? '+' : ns < 0 ? '-' : ''}${formatUs(Math.abs(ns)) === '-' ? '0' : formatUs(Math.abs(ns))}`;

export async function compareHtml(c: Comparison, a: LoadedResult, b: LoadedResult): Promise<string> {
  const subscribers = [...new Set(c.latency.map((l) => l.subscriber))];
  const plots: string[] = [];
  for (const sub of subscribers.slice(0, MAX_PLOTS)) {
    const spec = compareSpec(sub, [{ label: `A (${c.a})`, series: a.series }, { label: `B (${c.b})`, series: b.series }], c.clock);
    if (spec) plots.push(`<figure>${await renderSvg(spec)}</figure>`);
  }
  const config = c.config === null ? '<p>a side has no config (an older result): not compared</p>' : c.config.length === 0 ? '<p>the same config</p>' : htmlTable(['setting', 'A', 'B'], c.config.map((d) => [d.key, d.a, d.b]));
  const paths = htmlTable(['subscriber', 'group', 'A', 'B', ''], c.paths.map((p) => [p.subscriber, p.group, p.a, p.b, p.a === p.b ? '' : 'CHANGED']));
  const groups = htmlTable(['group', 'ring writes A', 'B', 'kernel sends A', 'B'], [
    ...c.groups.map((g) => [g.group, g.a?.ringWrites ?? '-', g.b?.ringWrites ?? '-', g.a?.kernelSends ?? '-', g.b?.kernelSends ?? '-']),
    ['all', c.nic.a.ringWrites, c.nic.b.ringWrites, c.nic.a.kernelSends, c.nic.b.kernelSends],
  ]);
  const latency = htmlTable(['subscriber', 'group', 'path', 'p50 A', 'p50 B', 'Δ p50', 'p99 A', 'p99 B', 'Δ p99', 'Δ max', 'note'], c.latency.map((l) => [
    l.subscriber, l.group, l.moved ? `${l.moved.from} → ${l.moved.to}` : l.path, us(l.a?.p50), us(l.b?.p50), l.delta ? signed(l.delta.p50) : '-', us(l.a?.p99), us(l.b?.p99), l.delta ? signed(l.delta.p99) : '-', l.delta ? signed(l.delta.max) : '-',
    l.withinSpread ? 'p50 within the runs\' own spread' : '',
  ]));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mdlab compare: ${esc(c.a)} against ${esc(c.b)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; max-width: 1100px; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; } th, td { border: 1px solid #ccc; padding: 2px 8px; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.warn { color: #b03a2e; }
</style></head><body>
<h1>mdlab compare</h1>
<p>A: ${esc(c.a)}${c.host.a ? ` (${esc(c.host.a.verdict)})` : ''}<br>B: ${esc(c.b)}${c.host.b ? ` (${esc(c.host.b.verdict)})` : ''}</p>
${c.warnings.map((w) => `<p class="warn">warning: ${esc(w)}</p>`).join('\n')}
<h2>What differs in the configs</h2>${config}
<h2>Paths</h2>${paths}
<h2>Ring writes and kernel sends</h2>${groups}
<h2>Latency, µs (${c.clock === 'scheduled' ? 'from the scheduled wire time' : 'from the NIC send'}, whole run)</h2>${latency}
<p>"within the runs' own spread": one run's p50 lies between the lowest and highest p50 of the other's intervals, so the difference is no larger than either run varies on its own.</p>
<h2>Latency by percentile, A against B</h2>
${subscribers.length > MAX_PLOTS ? `<p>${subscribers.length} subscribers: the first ${MAX_PLOTS} are plotted.</p>` : ''}
${plots.length > 0 ? plots.join('\n') : '<p>no .hlog files on either side: give result directories (--out) to plot them</p>'}
</body></html>
`;
}
