/**
 * The report's plots as Vega-Lite specs (plain data; rendered to SVG at the edge by report-html.ts):
 * - a percentile distribution per subscriber, HdrHistogram style: latency against percentile on a
 *   log axis of 1/(1-p) labelled 0 to 99.999%, both clocks, the paths of the run overlaid;
 * - latency over time: p50 and p99 per interval, per subscriber and path;
 * - deliveries per second over time (the feed as the subscribers got it), with the events marked.
 */
import * as hdr from 'hdr-histogram-js';
import type { LatencySeries } from './results.js';
import type { LabSnapshot } from './snapshot.js';
import { isPathEvent } from './snapshot.js';

export type Spec = Record<string, unknown>;

/** Percentiles a distribution is drawn at: 0, 50, 75, 87.5, … up to 99.999 (as HdrHistogram's ticks halve the rest). */
export const PERCENTILE_TICKS: readonly number[] = (() => {
  const out = [0];
  for (let rest = 50; 100 - rest <= 99.999; rest /= 2) out.push(100 - rest);
  out.push(99.9, 99.99, 99.999);
  return [...new Set(out)].sort((a, b) => a - b);
})();

const decode = (h: string) => hdr.decodeFromCompressedBase64(h, 32, false);

function totals(list: readonly LatencySeries[]): hdr.Histogram | null {
  let total: hdr.Histogram | null = null;
  for (const s of list) {
    for (const iv of s.intervals) {
      const h = decode(iv.histogram);
      if (!total) total = hdr.build({ numberOfSignificantValueDigits: 3, useWebAssembly: false });
      total.add(h);
      h.destroy();
    }
  }
  return total;
}

/** One subscriber's distribution: every path it used, both clocks. */
export function percentileSpec(subscriber: string, series: readonly LatencySeries[]): Spec | null {
  const values: { percentile: number; x: number; latencyUs: number; line: string }[] = [];
  for (const path of ['bypass', 'kernel', 'offload'] as const) {
    for (const clock of ['scheduled', 'sent'] as const) {
      const h = totals(series.filter((s) => s.subscriber === subscriber && s.path === path && s.clock === clock));
      if (!h || h.totalCount === 0) {
        h?.destroy();
        continue;
      }
      for (const p of PERCENTILE_TICKS) values.push({ percentile: p, x: 1 / (1 - p / 100), latencyUs: h.getValueAtPercentile(p) / 1e3, line: `${path}, ${clock === 'scheduled' ? 'scheduled' : 'NIC send'}` });
      h.destroy();
    }
  }
  if (values.length === 0) return null;
  return percentileSpecShape(`${subscriber}: latency by percentile`, values);
}

/**
 * Two runs' distributions of one subscriber overlaid (`mdlab compare --html`): each run's paths
 * on one clock, HdrHistogram style, the line named by its side.
 */
export function compareSpec(subscriber: string, sides: readonly { label: string; series: readonly LatencySeries[] }[], clock: 'scheduled' | 'sent'): Spec | null {
  const values: { percentile: number; x: number; latencyUs: number; line: string }[] = [];
  for (const side of sides) {
    for (const path of ['bypass', 'kernel', 'offload'] as const) {
      const h = totals(side.series.filter((s) => s.subscriber === subscriber && s.path === path && s.clock === clock));
      if (!h || h.totalCount === 0) {
        h?.destroy();
        continue;
      }
      for (const p of PERCENTILE_TICKS) values.push({ percentile: p, x: 1 / (1 - p / 100), latencyUs: h.getValueAtPercentile(p) / 1e3, line: `${side.label}: ${path}` });
      h.destroy();
    }
  }
  if (values.length === 0) return null;
  const spec = percentileSpecShape(`${subscriber}: latency by percentile, A against B (${clock === 'scheduled' ? 'from the scheduled wire time' : 'from the NIC send'})`, values);
  return { ...spec, encoding: { ...(spec.encoding as Record<string, unknown>), color: { field: 'line', type: 'nominal', title: 'run: path', legend: { labelLimit: 320 } } } };
}

function percentileSpecShape(title: string, values: { percentile: number; x: number; latencyUs: number; line: string }[]): Spec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 520, height: 260,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: {
        field: 'x', type: 'quantitative', title: 'percentile', scale: { type: 'log', domain: [1, 100000] },
        axis: { values: [1, 2, 10, 100, 1000, 10000, 100000], labelExpr: "datum.value == 1 ? '0%' : datum.value == 2 ? '50%' : datum.value == 10 ? '90%' : datum.value == 100 ? '99%' : datum.value == 1000 ? '99.9%' : datum.value == 10000 ? '99.99%' : '99.999%'" },
      },
      y: { field: 'latencyUs', type: 'quantitative', title: 'latency, µs', scale: { type: 'log' } },
      color: { field: 'line', type: 'nominal', title: 'path, clock', legend: { labelLimit: 260 } },
      tooltip: [{ field: 'line' }, { field: 'percentile' }, { field: 'latencyUs', format: '.2f' }],
    },
  };
}

/** p50 and p99 per interval, from the NIC send, per subscriber and path. */
export function overTimeSpec(series: readonly LatencySeries[], startedAtMs: number): Spec | null {
  const values: { t: number; latencyUs: number; line: string }[] = [];
  const keys = new Set(series.filter((x) => x.clock === 'sent').map((x) => `${x.subscriber}|${x.path}`));
  for (const key of keys) {
    const [subscriber, path] = key.split('|');
    const list = series.filter((x) => x.subscriber === subscriber && x.path === path && x.clock === 'sent');
    const byWindow = new Map<number, hdr.Histogram>();
    for (const x of list) {
      for (const iv of x.intervals) {
        let h = byWindow.get(iv.endMs);
        if (!h) byWindow.set(iv.endMs, (h = hdr.build({ numberOfSignificantValueDigits: 3, useWebAssembly: false })));
        const d = decode(iv.histogram);
        h.add(d);
        d.destroy();
      }
    }
    for (const [endMs, h] of [...byWindow.entries()].sort((a, b) => a[0] - b[0])) {
      if (h.totalCount > 0) {
        const t = (endMs - startedAtMs) / 1000;
        values.push({ t, latencyUs: h.getValueAtPercentile(50) / 1e3, line: `${subscriber} ${path} p50` }, { t, latencyUs: h.getValueAtPercentile(99) / 1e3, line: `${subscriber} ${path} p99` });
      }
      h.destroy();
    }
  }
  if (values.length === 0) return null;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'latency over time (from the NIC send, per interval)',
    width: 520, height: 240,
    data: { values },
    mark: { type: 'line' },
    encoding: {
      x: { field: 't', type: 'quantitative', title: 'seconds into the run' },
      y: { field: 'latencyUs', type: 'quantitative', title: 'latency, µs', scale: { type: 'log' } },
      color: { field: 'line', type: 'nominal', title: null, legend: { labelLimit: 260 } },
    },
  };
}

/** Deliveries per second over time, every subscriber and path together, with the run's events marked. */
export function rateSpec(s: LabSnapshot, series: readonly LatencySeries[], startedAtMs: number): Spec | null {
  const perWindow = new Map<number, { count: number; seconds: number }>();
  for (const x of series.filter((y) => y.clock === 'sent')) {
    for (const iv of x.intervals) {
      const h = decode(iv.histogram);
      const w = perWindow.get(iv.endMs) ?? { count: 0, seconds: Math.max(1e-3, (iv.endMs - iv.startMs) / 1000) };
      w.count += h.totalCount;
      perWindow.set(iv.endMs, w);
      h.destroy();
    }
  }
  const values = [...perWindow.entries()].sort((a, b) => a[0] - b[0]).map(([endMs, w]) => ({ t: (endMs - startedAtMs) / 1000, perSecond: w.count / w.seconds }));
  if (values.length === 0) return null;
  const events = s.events.filter(isPathEvent).filter((e) => e.kind !== 'accelerated').map((e) => ({ t: e.atMs / 1000, what: `${e.group} → ${e.path}${e.cause ? ` (${e.cause})` : ''}` }));
  const layers: Spec[] = [{
    data: { values },
    mark: { type: 'area', opacity: 0.6 },
    encoding: { x: { field: 't', type: 'quantitative', title: 'seconds into the run' }, y: { field: 'perSecond', type: 'quantitative', title: 'deliveries per second' } },
  }];
  if (events.length > 0) {
    layers.push({ data: { values: events }, mark: { type: 'rule', strokeDash: [4, 3], color: '#c0392b' }, encoding: { x: { field: 't', type: 'quantitative' }, tooltip: [{ field: 'what' }] } });
  }
  return { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', title: 'the feed as the subscribers got it (events marked)', width: 520, height: 180, layer: layers };
}
