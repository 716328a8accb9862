import { Box, Text } from 'ink';
import { pathColour, type Theme } from '../theme.js';
import type { MatrixModel } from '../view-model.js';

/** Groups × subscribers: B bypass, K kernel, O offload, L lost (a letter, so it reads without colour), and the stack. */
export function PathMatrix({ model, theme, width, selected, selectedGroup = null, legend }: { model: MatrixModel; theme: Theme; width: number; selected: number; selectedGroup?: string | null; legend: boolean }) {
  const title = ` Paths${model.port ? ` :${model.port}` : ''}`;
  // Rows name groups without their port when every group shares one.
  const sel = selectedGroup === null ? null : model.port ? selectedGroup.split(':')[0] : selectedGroup;
  const groupWidth = Math.max(title.length - 1, Math.min(18, Math.max(...model.rows.map((r) => r.group.length), 6)));
  const cellWidth = Math.max(7, Math.min(10, Math.floor((width - groupWidth - 3) / Math.max(1, model.subscribers.length))));
  // More subscribers than columns fit: a window of them that always holds the selected one, ‹ › saying more lie beside.
  const n = model.subscribers.length;
  const room = width - groupWidth - 3;
  const fit = n * cellWidth <= room ? n : Math.max(1, Math.floor((room - 2) / cellWidth));
  const start = n <= fit ? 0 : Math.max(0, Math.min(n - fit, selected - Math.floor(fit / 2)));
  const shown = model.subscribers.slice(start, start + fit).map((name, i) => ({ name, i: start + i }));
  const more = `${start > 0 ? '‹' : ' '}${start + fit < n ? '›' : ' '}`;
  return (
    <Box flexDirection="column" borderStyle="single" borderColor={theme.border} width={width} paddingX={0}>
      <Text bold wrap="truncate">
        {title.padEnd(groupWidth + 1)}
        {shown.map(({ name, i }) => (
          <Text key={name} inverse={i === selected}>
            {` ${name}`.slice(0, cellWidth).padEnd(cellWidth)}
          </Text>
        ))}
        {n > fit ? <Text dimColor={theme.dim}>{more}</Text> : null}
      </Text>
      {model.rows.map((r) => (
        <Text key={r.group} wrap="truncate">
          {/* The group l and j act on: marked with > and shown inverse, so that it reads without colour too. */}
          <Text inverse={r.group === sel} bold={r.group === sel}>
            {`${r.group === sel ? '>' : ' '}${r.group}`.padEnd(groupWidth + 1)}
          </Text>
          {shown.map(({ i }) => {
            const c = r.cells[i];
            return (
              <Text key={i} color={pathColour(theme, c.path)} bold={c.path === 'kernel' || c.path === 'lost'}>
                {` ${c.letter} ${c.stack}`.slice(0, cellWidth).padEnd(cellWidth)}
              </Text>
            );
          })}
        </Text>
      ))}
      {legend ? (
        <Text dimColor={theme.dim} wrap="truncate">
          {model.planned ? ' ? expected, the lab is starting' : model.rows.some((r) => r.cells.some((c) => c.path === 'offload')) ? ' B bypass K kernel O offload L lost' : ' B bypass K kernel L lost'}
        </Text>
      ) : null}
    </Box>
  );
}
