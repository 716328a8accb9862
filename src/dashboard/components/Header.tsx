import { Box, Text } from 'ink';
import type { HeaderModel } from '../view-model.js';
import type { Theme } from '../theme.js';

/** The config, NIC and recording that are running, and where the replay is. */
export function Header({ model, theme }: { model: HeaderModel; theme: Theme }) {
  return (
    <Box>
      <Box flexGrow={1} flexShrink={1}>
        <Text wrap="truncate">
          <Text bold color={theme.accent}> mdlab </Text>
          <Text> {model.title} · {model.nic} · {model.recording}</Text>
        </Text>
      </Box>
      <Box flexShrink={0}>
        <Text>
          {' '}
          <Text bold inverse={model.contended} color={model.contended ? theme.warning : undefined}>[{model.badge}]</Text> {model.speed} {model.clock}{' '}
        </Text>
      </Box>
    </Box>
  );
}
