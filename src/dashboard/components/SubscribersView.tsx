import { RECORDED_PATHS } from '../../metrics/latency.js';
import { Box, Text } from 'ink';
import type { LabSnapshot } from '../../experiment/snapshot.js';
import { droppedTotal } from '../../experiment/accounting.js';
import type { Theme } from '../theme.js';
import type { UiState } from '../ui-state.js';
import { fmtCount, fmtLatency, recoverySummary } from '../view-model.js';

const SPARKS = '▁▂▃▄▅▆▇█';

/** A sparkline of values (log-scaled: latencies span decades). */
export function sparkline(values: readonly number[], width: number): string {
  const v = values.slice(-width).map((x) => (x > 0 ? Math.log10(x) : 0));
  if (v.length === 0) return '';
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  return v.map((x) => SPARKS[hi === lo ? 0 : Math.min(7, Math.floor(((x - lo) / (hi - lo)) * 8))]).join('');
}

/** One line per subscriber: packets by path, latency, drops, gaps, and p99 over time. */
export function SubscribersView({ snapshot: s, ui, theme, history, width }: { snapshot: LabSnapshot; ui: UiState; theme: Theme; history: ReadonlyMap<string, number[]>; width: number }) {
  const recovering = s.subscribers.some((x) => recoverySummary(x) !== null);
  // Recovered messages, recovery p99 and line A's share of first copies, where the lab recovers.
  const recWidth = recovering ? 22 : 0;
  // Narrow (80 columns): no pid, no offload column without an offload subscriber, so that max and the sparkline stay.
  const narrow = width < 120;
  const offload = !narrow || s.subscribers.some((x) => x.receive === 'offload');
  const fixed = 1 + 11 + (narrow ? 0 : 8) + 8 + 8 + (offload ? 8 : 0) + 9 + 6 + 9 + 9 + 9 + recWidth + 2;
  const spark = Math.max(4, width - 3 - fixed);
  const recCell = (x: (typeof s.subscribers)[number]) => {
    const r = recoverySummary(x);
    if (!r) return ''.padStart(recWidth);
    return `${fmtCount(r.recovered).padStart(7)}${(r.p99Ns > 0 ? fmtLatency(r.p99Ns) : '-').padStart(9)}${(r.aShare === null ? '-' : `${Math.round(100 * r.aShare)}%`).padStart(6)}`;
  };
  return (
    <Box flexDirection="column" borderStyle="single" borderColor={theme.border}>
      <Text bold wrap="truncate">{` ${'subscriber'.padEnd(11)}${narrow ? '' : 'pid'.padEnd(8)}${'bypass'.padStart(8)}${'kernel'.padStart(8)}${offload ? 'offload'.padStart(8) : ''}${'dropped'.padStart(9)}${'gaps'.padStart(6)}${'p50'.padStart(9)}${'p99'.padStart(9)}${'max'.padStart(9)}${recovering ? `${'recov'.padStart(7)}${'rec p99'.padStart(9)}${'A won'.padStart(6)}` : ''}  ${narrow ? 'trend' : `p99 over time (${ui.clock})`}`}</Text>
      {s.subscribers.map((x, i) => {
        const a = x.memberships.map((m) => m.account);
        const lat = x.memberships.flatMap((m) => RECORDED_PATHS.map((p) => m.latency[p][ui.window][ui.clock])).filter((l) => l.count > 0);
        const busiest = lat.reduce((b, l) => (b && b.count >= l.count ? b : l), lat[0]);
        return (
          <Text key={x.name} inverse={i === ui.subscriber} wrap="truncate">
            {` ${x.name.padEnd(11)}${narrow ? '' : String(x.pid ?? '-').padEnd(8)}${fmtCount(a.reduce((n, y) => n + y.delivered.bypass, 0)).padStart(8)}${fmtCount(a.reduce((n, y) => n + y.delivered.kernel, 0)).padStart(8)}${offload ? fmtCount(a.reduce((n, y) => n + y.delivered.offload, 0)).padStart(8) : ''}${fmtCount(a.reduce((n, y) => n + droppedTotal(y), 0)).padStart(9)}${String(x.memberships.reduce((n, m) => n + m.sequenceGaps, 0)).padStart(6)}${fmtLatency(busiest?.p50 ?? 0).padStart(9)}${fmtLatency(busiest?.p99 ?? 0).padStart(9)}${fmtLatency(busiest?.max ?? 0).padStart(9)}${recovering ? recCell(x) : ''}  ${sparkline(history.get(x.name) ?? [], spark)}${x.alive ? '' : `  ${x.exit}`}`}
          </Text>
        );
      })}
    </Box>
  );
}
