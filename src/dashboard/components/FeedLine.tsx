import { Box, Text } from 'ink';
import type { Theme } from '../theme.js';
import type { FeedModel } from '../view-model.js';

/** Replay rates, the accounting totals, and gaps per subscriber. */
export function FeedLine({ model, theme, notice }: { model: FeedModel; theme: Theme; notice: string | null }) {
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">
        {` ${model.rates} · ${model.gaps}`}
      </Text>
      <Text wrap="truncate" color={notice ? theme.warning : model.balanced ? undefined : theme.warning}>
        {` ${notice ?? model.accounting}`}
      </Text>
    </Box>
  );
}
