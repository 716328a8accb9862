/**
 * `--out DIR` also writes report.html: one self-contained file (no script, no network) with the
 * run's header and host verdict, the path matrix, the fallback events with causes and fixes, the
 * accounting and overheads tables, and the plots as inline SVG; the same SVGs beside it for
 * report.md. Plots are Vega-Lite specs (report-plots.ts) rendered headless by Vega's own SVG
 * renderer: no browser, no hand-drawn SVG.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import { droppedTotal } from './accounting.js';
import { formatVerdicts, type Verdict } from './expectations.js';
import { healthLines } from './health-report.js';
import { overheadRows } from './overheads.js';
import { formatUs, reportBlocks } from './report.js';
import type { Block } from './report-blocks.js';
import { overTimeSpec, percentileSpec, rateSpec, type Spec } from './report-plots.js';
import type { LatencySeries, ResultMeta } from './results.js';
import { isPathEvent, type LabSnapshot } from './snapshot.js';

export const esc = (x: unknown) => String(x).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function htmlTable(head: string[], rows: (string | number)[][]): string {
  const cell = (x: string | number) => (typeof x === 'number' ? `<td class="n">${x.toLocaleString('en-US')}</td>` : `<td>${esc(x)}</td>`);
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`).join('')}</tbody></table>`;
}

/** The text report's sections that the page has no view of its own for (drops explained, recovery, A/B lines), as HTML. */
function extraSections(s: LabSnapshot): string {
  const wanted = /^(Drops explained|Recovery|A\/B lines)/;
  const html = (b: Block): string => {
    switch (b.kind) {
      case 'section':
        return `<h2>${esc(b.title)}</h2>${b.body.map(html).join('')}`;
      case 'table':
        return htmlTable(b.head, b.rows);
      case 'list':
        return `<ul>${b.items.map((i) => `<li>${esc(i)}</li>`).join('')}</ul>`;
      case 'para':
        return `<p>${b.lines.map(esc).join('<br>')}</p>`;
      case 'events':
        return '';
    }
  };
  return reportBlocks(s).filter((b) => b.kind === 'section' && wanted.test(b.title)).map(html).join('\n');
}

export async function renderSvg(spec: Spec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec as never).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface Plot {
  name: string;
  title: string;
  svg: string;
}

/** Past this many subscribers (a model at scale), the plots show the first ones, and say so. */
export const MAX_PLOTTED_SUBSCRIBERS = 12;

export async function reportPlots(s: LabSnapshot, allSeries: readonly LatencySeries[], startedAtMs: number): Promise<Plot[]> {
  const plots: Plot[] = [];
  const plotted = new Set(s.subscribers.slice(0, MAX_PLOTTED_SUBSCRIBERS).map((x) => x.name));
  const series = allSeries.filter((x) => plotted.has(x.subscriber));
  for (const sub of s.subscribers.filter((x) => plotted.has(x.name))) {
    const spec = percentileSpec(sub.name, series);
    if (spec) plots.push({ name: `percentiles-${sub.name}`, title: `${sub.name}: latency by percentile`, svg: await renderSvg(spec) });
  }
  const over = overTimeSpec(series, startedAtMs);
  if (over) plots.push({ name: 'latency-over-time', title: 'latency over time', svg: await renderSvg(over) });
  const rate = rateSpec(s, series, startedAtMs);
  if (rate) plots.push({ name: 'feed-rate', title: 'the feed over time, events marked', svg: await renderSvg(rate) });
  return plots;
}

export function reportHtml(s: LabSnapshot, verdicts: readonly Verdict[], meta: ResultMeta, plots: readonly Plot[]): string {
  const title = `mdlab ${meta.complete ? '' : 'PARTIAL '}result: ${s.config.name}${s.model ? ` (model, profile ${s.model.profile})` : ''}`;
  const groups = s.groups.map((g) => g.group);
  const matrix = htmlTable(['group', ...s.subscribers.map((x) => x.name)], groups.map((g) => [g, ...s.subscribers.map((sub) => {
    const m = sub.memberships.find((x) => x.group === g && x.active);
    return m ? `${m.path}${m.cause ? ` (${m.cause})` : ''}` : '·';
  })]));
  const events = s.events.filter(isPathEvent).filter((e) => e.kind !== 'accelerated');
  const accounting = htmlTable(['subscriber', 'group', 'path', 'cause', 'sent', 'bypass', 'kernel', 'offload', 'dropped', 'by cause', 'balanced'],
    s.subscribers.flatMap((sub) => sub.memberships.map((m) => [sub.name, m.group, m.path, m.cause ?? '-', m.account.sent, m.account.delivered.bypass, m.account.delivered.kernel, m.account.delivered.offload, droppedTotal(m.account),
      Object.entries(m.account.dropped).map(([c, n]) => `${c} ${n}`).join(', ') || '-', m.account.balanced ? 'yes' : 'NO'])));
  const overheads = htmlTable(['subscriber', 'mode', 'path', 'copies on the host', 'protocol processing', 'bytes copied/pkt', 'cpu µs/pkt', 'p50 µs', 'p99 µs', 'wake p50 µs'],
    overheadRows(s).map((r) => [r.subscriber, r.mode, r.path, r.copies, r.protocol, r.bytesCopiedPerPacket === null ? '-' : Math.round(r.bytesCopiedPerPacket), r.cpuUsPerPacket === null ? '-' : r.cpuUsPerPacket.toFixed(2), r.p50 === null ? '-' : formatUs(r.p50), r.p99 === null ? '-' : formatUs(r.p99), r.wakeP50 === null ? '-' : formatUs(r.wakeP50)]));
  const host = meta.host;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; max-width: 1100px; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; } th, td { border: 1px solid #ccc; padding: 2px 8px; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.fix { color: #1a5e9a; } .bad { color: #b03a2e; } pre { background: #f6f6f6; padding: 0.5em; white-space: pre-wrap; }
figure { margin: 1em 0; }
</style></head><body>
<h1>${esc(title)}</h1>
<p>${esc(s.config.description)}</p>
<p>NIC ${esc(s.config.nicDescription)} · recording ${esc(s.config.recording)} · ${(s.runMs / 1000).toFixed(2)} s${s.model ? ' of virtual time' : ''} · mdlab ${esc(host.mdlab)}, Node ${esc(host.node)}, ${esc(host.cpuModel)} × ${host.cpus}</p>
<pre>${esc(healthLines(s).join('\n'))}</pre>
<h2>Paths</h2>${matrix}
<h2>Fallback events</h2>${events.length === 0 ? '<p>none: every socket kept kernel bypass</p>' : `<ul>${events.map((e) => `<li><b class="bad">+${(e.atMs / 1000).toFixed(3)} s ${esc(e.group)} ${esc(e.from)} → ${esc(e.path)}${e.cause ? ` (${esc(e.cause)})` : ''}</b><br>${esc(e.message)}${e.fix ? `<br><span class="fix">fix: ${esc(e.fix)}</span>` : ''}</li>`).join('')}</ul>`}
<h2>Accounting (packets)</h2>${accounting}
<p>Totals: sent ${s.totals.sent.toLocaleString('en-US')} = bypass ${s.totals.bypass.toLocaleString('en-US')} + kernel ${s.totals.kernel.toLocaleString('en-US')} + offload ${s.totals.offload.toLocaleString('en-US')} + dropped ${s.totals.dropped.toLocaleString('en-US')}: ${s.totals.balanced ? 'balanced' : 'NOT balanced'}</p>
${extraSections(s)}
<h2>Overheads</h2>${overheads}
${verdicts.length > 0 ? `<h2>Expectations</h2><pre>${esc(formatVerdicts(verdicts))}</pre>` : ''}
<h2>Plots</h2>
${s.subscribers.length > MAX_PLOTTED_SUBSCRIBERS ? `<p>${s.subscribers.length.toLocaleString('en-US')} subscribers: the plots show the first ${MAX_PLOTTED_SUBSCRIBERS}; summary.json and the .hlog files hold them all.</p>` : ''}
${plots.map((p) => `<figure id="${esc(p.name)}"><figcaption>${esc(p.title)}</figcaption>${p.svg}</figure>`).join('\n')}
</body></html>
`;
}

/** report.html and the plots as SVG files beside it; report.md gains the plots. Returns the files written. */
export async function writeReportHtml(dir: string, s: LabSnapshot, series: readonly LatencySeries[], verdicts: readonly Verdict[], meta: ResultMeta, reportMd: string): Promise<string[]> {
  const plots = await reportPlots(s, series, meta.startedAtMs);
  const written: string[] = [];
  for (const p of plots) {
    writeFileSync(join(dir, `${p.name}.svg`), p.svg);
    written.push(`${p.name}.svg`);
  }
  writeFileSync(join(dir, 'report.html'), reportHtml(s, verdicts, meta, plots));
  written.push('report.html');
  if (plots.length > 0) writeFileSync(join(dir, 'report.md'), `${reportMd}\n## Plots\n\n${plots.map((p) => `![${p.title}](${p.name}.svg)`).join('\n\n')}\n`);
  return written;
}
