import { Box, Text } from 'ink';
import type { Theme } from '../theme.js';
import type { TimelineItem } from '../view-model.js';

type Role = 'headline-bad' | 'headline-good' | 'headline' | 'body' | 'fix';

/** The timeline's lines at this width: what it would draw with all the room it wants. */
export function timelineLines(items: readonly TimelineItem[], width: number, detailed: boolean): { text: string; role: Role }[] {
  // Inside the border, less the leading space each line starts with.
  const inner = Math.max(10, width - 3);
  const lines: { text: string; role: Role }[] = [];
  for (const it of items) {
    const role: Role = it.tone === 'bad' ? 'headline-bad' : it.tone === 'good' ? 'headline-good' : 'headline';
    for (const l of wrap(`${it.at} ${it.headline}`, inner)) lines.push({ text: l, role });
    const body = detailed ? it.detail : it.who ?? it.detail;
    if (body) for (const l of wrap(body, inner - 2)) lines.push({ text: `  ${l}`, role: 'body' });
    if (it.fix) for (const l of wrap(`Fix: ${it.fix}`, inner - 2)) lines.push({ text: `  ${l}`, role: 'fix' });
  }
  return lines;
}

/** Rows the timeline needs for all its events (borders and title included). */
export function timelineHeight(items: readonly TimelineItem[], width: number, detailed: boolean): number {
  return 2 + (detailed ? 1 : 0) + Math.max(1, timelineLines(items, width, detailed).length);
}

/** Fallback and recovery events, newest on top; past events stay while there is room. */
export function Timeline({ items, theme, width, height, detailed }: { items: TimelineItem[]; theme: Theme; width: number; height: number; detailed: boolean }) {
  const colour = (r: Role) => (r === 'headline-bad' ? theme.kernel : r === 'headline-good' ? theme.bypass : r === 'fix' ? theme.accent : undefined);
  const lines = timelineLines(items, width, detailed).map((l) => ({ text: l.text, colour: colour(l.role), bold: l.role.startsWith('headline') }));
  // Compact: no title line, so the newest event's fix has room.
  const room = Math.max(1, height - 2 - (detailed ? 1 : 0) - (lines.length > height - 2 ? 1 : 0));
  const shown = lines.slice(0, room);
  return (
    <Box flexDirection="column" borderStyle="single" borderColor={theme.border} width={width} height={height}>
      {detailed ? <Text bold>{` Fallback events (${items.length})`}</Text> : null}
      {items.length === 0
        ? wrap('no fallback: every socket has kernel bypass', Math.max(10, width - 3)).map((l, i) => (
            <Text key={`none${i}`} dimColor={theme.dim} wrap="truncate">{` ${l}`}</Text>
          ))
        : null}
      {shown.map((l, i) => (
        <Text key={i} color={l.colour} bold={l.bold} wrap="truncate">
          {` ${l.text}`}
        </Text>
      ))}
      {lines.length > room ? (
        <Text dimColor={theme.dim} wrap="truncate">
          {` … ${items.length} event${items.length === 1 ? "" : "s"} in all`}
        </Text>
      ) : null}
    </Box>
  );
}

/** Word-wraps text to `width` columns. */
export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line.length + word.length + 1 > width && line.length > 0) {
      out.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) out.push(line);
  return out;
}
