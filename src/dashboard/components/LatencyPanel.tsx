import { Box, Text } from 'ink';
import type { LatencySummary } from '../../metrics/histogram-store.js';
import { pathColour, type Theme } from '../theme.js';
import { fmtCount, fmtLatency, type LatencyPanelModel } from '../view-model.js';

const BLOCKS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** A bar of `value` out of `max` in `width` cells, with eighth-cell resolution. */
export function bar(value: number, max: number, width: number): string {
  if (value <= 0 || max <= 0 || width <= 0) return '';
  const eighths = Math.max(1, Math.round((value / max) * width * 8));
  return '█'.repeat(Math.floor(eighths / 8)) + BLOCKS[eighths % 8];
}

/** One subscriber's wire-to-application latency: percentiles per path, and its distribution. */
/**
 * The percentiles up to max in the room there is: aligned where it fits, then packed, then
 * without p99.99; max is never the one cut.
 */
export function percentileLine(s: LatencySummary, room: number): string {
  const f = fmtLatency;
  const aligned = `p50 ${f(s.p50).padStart(7)}  p90 ${f(s.p90).padStart(7)}  p99 ${f(s.p99).padStart(7)}  p99.9 ${f(s.p999).padStart(7)}  p99.99 ${f(s.p9999).padStart(7)}  max ${f(s.max).padStart(7)}  n ${fmtCount(s.count)}`;
  if (aligned.length <= room) return aligned;
  const packed = `p50 ${f(s.p50)} p90 ${f(s.p90)} p99 ${f(s.p99)} p99.9 ${f(s.p999)} p99.99 ${f(s.p9999)} max ${f(s.max)} n ${fmtCount(s.count)}`;
  if (packed.length <= room) return packed;
  return `p50 ${f(s.p50)} p90 ${f(s.p90)} p99 ${f(s.p99)} p99.9 ${f(s.p999)} max ${f(s.max)} n ${fmtCount(s.count)}`;
}

export function LatencyPanel({ model, theme, width, selected }: { model: LatencyPanelModel; theme: Theme; width: number; selected: boolean }) {
  const barWidth = Math.max(4, Math.floor((width - 18) / 2));
  return (
    <Box flexDirection="column" borderStyle={selected ? 'double' : 'single'} borderColor={theme.border} width={width}>
      <Text wrap="truncate">
        <Text bold>{` ${model.title}`}</Text>
        <Text dimColor={theme.dim}>{` · ${width < 100 ? model.shortCaption : model.caption}`}</Text>
      </Text>
      {model.paths.map(({ path, summary: s }) => (
        <Text key={path} color={pathColour(theme, path)} wrap="truncate">
          {` ${path.padEnd(6)} `}
          {s.count === 0
            ? 'no packets'
            : percentileLine(s, width - 11)}
        </Text>
      ))}
      {model.recovery ? (
        <Text wrap="truncate" color={theme.warning}>
          {` ${model.recovery}`}
        </Text>
      ) : null}
      {model.rows.map((r) => (
        <Text key={r.label} wrap="truncate">
          {` ${r.label.padStart(7)} `}
          <Text color={theme.bypass}>{`${bar(r.bypass, model.maxCount, barWidth)}${r.bypass > 0 ? ' b' : ''}`.padEnd(barWidth + 2)}</Text>
          <Text color={pathColour(theme, model.paths[1]?.path ?? 'kernel')}>{`${bar(r.kernel, model.maxCount, barWidth)}${r.kernel > 0 ? (model.paths[1]?.path === 'offload' ? ' o' : ' k') : ''}`}</Text>
        </Text>
      ))}
    </Box>
  );
}
