/**
 * The dashboard: a view of the latest snapshot and the UI state. It computes nothing the engine
 * knows; it lays out what the view model gives it for the terminal's size.
 */
import { Box, Text } from 'ink';
import type { LabSnapshot } from '../experiment/snapshot.js';
import { FeedLine } from './components/FeedLine.js';
import { Footer } from './components/Footer.js';
import { Header } from './components/Header.js';
import { HelpView } from './components/HelpView.js';
import { OverheadsView } from './components/OverheadsView.js';
import { LatencyPanel } from './components/LatencyPanel.js';
import { PathMatrix } from './components/PathMatrix.js';
import { StacksView } from './components/StacksView.js';
import { SubscribersView } from './components/SubscribersView.js';
import { Timeline, timelineHeight } from './components/Timeline.js';
import { BUCKET_EDGES_NS } from '../metrics/histogram-store.js';
import type { Theme } from './theme.js';
import type { UiState } from './ui-state.js';
import { comparisonModel, contrastIndex, feedModel, headerModel, latencyPanelModel, matrixModel, timelineModel } from './view-model.js';
import { Comparison } from './components/Comparison.js';

export interface AppProps {
  snapshot: LabSnapshot | null;
  ui: UiState;
  theme: Theme;
  width: number;
  height: number;
  /** p99 history per subscriber, for sparklines. */
  history: ReadonlyMap<string, number[]>;
}

/** The group l and j act on: the selected subscriber's, by ↑/↓. */
export function selectedGroup(s: LabSnapshot, ui: UiState): string | null {
  const sub = s.subscribers[ui.subscriber];
  const groups = sub ? sub.memberships.map((m) => m.group) : s.config.plan?.[ui.subscriber]?.groups ?? [];
  return groups.length === 0 ? null : groups[ui.group % groups.length];
}

/** The fine histogram's rows: the 1-2-5 buckets from 250 ns to 10 s, and above. */
const FINE_ROWS = BUCKET_EDGES_NS.length + 1;

export function App({ snapshot: s, ui, theme, width, height, history }: AppProps) {
  if (!s) return <Text> mdlab: starting the lab…</Text>;
  const big = width >= 140 && height >= 40;
  const done = s.state === 'done' || s.state === 'failed';
  const matrix = matrixModel(s);
  // Line budget: header 1, comparison 1, feed 2, footer 1, borders of two boxes 4.
  const legend = true;
  const matrixHeight = matrix.rows.length + 4;
  const groupWidth = Math.max(` Paths${matrix.port ? ` :${matrix.port}` : ''}`.length - 1, Math.min(18, Math.max(6, ...matrix.rows.map((r) => r.group.length))));
  const matrixWidth = Math.min(Math.floor(width * 0.5), groupWidth + 3 + 7 * Math.max(1, matrix.subscribers.length));
  const timelineWidth = width - matrixWidth;
  const events = timelineModel(s.events);
  // Large: the events take what they need (up to 14 rows), and the histograms the rest.
  const topHeight = Math.max(matrixHeight, big ? Math.min(14, height - 32, timelineHeight(events, timelineWidth, true)) : matrixHeight);
  // What is left for histogram rows: header, top row, panel title/percentiles/borders (5),
  // comparison, feed (2), footer, and one line of slack so the terminal never scrolls.
  const panelRows = Math.max(3, Math.min(FINE_ROWS, height - 1 - topHeight - 5 - 1 - 2 - 1 - 1));
  // Rows left over once the histograms have every bucket: the subscribers table goes there.
  const spare = height - 1 - (10 + topHeight + panelRows);
  const second = contrastIndex(s, ui.subscriber);
  // A panel per 80 columns: the selected subscriber, its contrast, then the next ones.
  const room = big ? Math.max(1, Math.floor(width / 80)) : 1;
  const panels = [ui.subscriber];
  if (room > 1 && second >= 0) panels.push(second);
  for (let d = 1; panels.length < room && d < s.subscribers.length; d++) {
    const i = (ui.subscriber + d) % s.subscribers.length;
    if (!panels.includes(i)) panels.push(i);
  }
  const panelWidth = Math.floor(width / panels.length);
  let body;
  if (ui.help) body = <HelpView theme={theme} />;
  else if (ui.view === 'stacks') body = <StacksView snapshot={s} theme={theme} />;
  else if (ui.view === 'overheads') body = <OverheadsView snapshot={s} theme={theme} width={width} />;
  else if (ui.view === 'subscribers') body = <SubscribersView snapshot={s} ui={ui} theme={theme} history={history} width={width} />;
  else {
    body = (
      <Box flexDirection="column">
        <Box>
          <PathMatrix model={matrix} theme={theme} width={matrixWidth} selected={ui.subscriber} selectedGroup={selectedGroup(s, ui)} legend={legend} />
          <Timeline items={events} theme={theme} width={timelineWidth} height={topHeight} detailed={big} />
        </Box>
        <Box>
          {panels.map((i) => {
            const model = latencyPanelModel(s, i, ui, big, panelRows, big);
            return model ? <LatencyPanel key={i} model={model} theme={theme} width={panelWidth} selected={i === ui.subscriber} /> : null;
          })}
        </Box>
        <Comparison items={comparisonModel(s, ui)} theme={theme} />
        {spare >= s.subscribers.length + 3 ? <SubscribersView snapshot={s} ui={ui} theme={theme} history={history} width={width} /> : null}
      </Box>
    );
  }
  return (
    <Box flexDirection="column" width={width}>
      <Header model={headerModel(s)} theme={theme} />
      {s.error ? <Text color={theme.warning} wrap="truncate">{` error: ${s.error}`}</Text> : null}
      {body}
      <FeedLine model={feedModel(s)} theme={theme} notice={ui.notice ?? ((s.dropsExplained ?? []).length > 0 ? `drops: ${s.dropsExplained[s.dropsExplained.length - 1].text}` : s.host?.verdict === 'contended' ? `host contended: ${s.host.reasons[0]}` : s.warnings.length > 0 && !done ? `warning: ${s.warnings[0]}` : null)} />
      <Footer theme={theme} done={done} width={width} />
    </Box>
  );
}
