import { Box, Text } from 'ink';
import type { Theme } from '../theme.js';

const HELP: readonly [string, string][] = [
  ['space', 'pause or resume the replay'],
  ['+ / -', 'replay faster or slower (0.25× to 16×, then top speed)'],
  ['← / →', 'select the previous or next subscriber'],
  ['↑ / ↓', 'select a group of the selected subscriber (for l and j)'],
  ['c', 'latency from the scheduled wire time (the headline) or from the NIC\'s actual send'],
  ['w', 'latency of the last interval or of the whole run'],
  ['v', 'switch view: main, stacks (stackdump), all subscribers, overheads (copies, protocol processing, context switches)'],
  ['l', 'the selected subscriber leaves the selected group'],
  ['j', 'the selected subscriber joins the selected group again'],
  ['k', 'kill the selected subscriber (SIGKILL), as a crash would'],
  ['s', 'start another subscriber like the selected one'],
  ['e', 'export: the screen as text and the snapshot as JSON, into the working directory'],
  ['q', 'quit: the run ends, every process and segment goes'],
];

export function HelpView({ theme }: { theme: Theme }) {
  return (
    <Box flexDirection="column" borderStyle="single" borderColor={theme.border}>
      <Text bold> Keys</Text>
      {HELP.map(([k, what]) => (
        <Text key={k} wrap="truncate">
          {'  '}
          <Text bold color={theme.accent}>{k.padEnd(7)}</Text> {what}
        </Text>
      ))}
      <Text> </Text>
      <Text wrap="wrap">{' B = kernel bypass (the NIC wrote the packet into the stack\'s ring), K = kernel (the packet came through a kernel socket), L = lost (nothing arrives). Two stacks on one group, on a NIC that cannot replicate multicast, force every member onto the kernel: that is the EF_NAME trap.'}</Text>
    </Box>
  );
}
