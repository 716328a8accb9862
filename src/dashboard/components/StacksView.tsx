import { Box, Text } from 'ink';
import type { LabSnapshot } from '../../experiment/snapshot.js';
import { pathColour, type Theme } from '../theme.js';
import { fmtCount } from '../view-model.js';

/** The stackdump view: #stack-id stack-name pids, then each stack's sockets, filters and ring. */
export function StacksView({ snapshot: s, theme }: { snapshot: LabSnapshot; theme: Theme }) {
  return (
    <Box flexDirection="column" borderStyle="single" borderColor={theme.border}>
      <Text bold>{` Stacks · NIC ${s.config.nic}: ${s.stacks.reduce((n, x) => n + x.filters.length, 0)} of ${s.config.filterTable} filters in use`}</Text>
      <Text bold>{' #stack-id stack-name      pids'}</Text>
      {s.stacks.map((st) => (
        <Box key={st.id} flexDirection="column">
          <Text wrap="truncate" dimColor={!st.live && theme.dim}>
            {` ${String(st.id).padEnd(9)} ${(st.name ?? '-').padEnd(15)} ${st.pids.join(',') || '-'}${st.live ? '' : '  (gone)'}`}
          </Text>
          <Text wrap="truncate" dimColor={theme.dim}>
            {`     ring ${st.ringSlots} slots, ${(st.ringFill * 100).toFixed(0)}% full, rx ${fmtCount(st.rxPackets)}, overrun ${fmtCount(st.overrun)} · filters: ${st.filters.join(' ') || 'none'}`}
          </Text>
          {st.sockets.map((so, i) => (
            <Text key={i} wrap="truncate">
              {`     ${so.subscriber.padEnd(10)} pid ${String(so.pid).padEnd(7)} ${so.group.padEnd(18)} `}
              <Text color={pathColour(theme, so.state === 'ACCELERATED' ? 'bypass' : so.state === 'KERNEL' ? 'kernel' : 'lost')}>{so.state.padEnd(12)}</Text>
              {/* onload_stackdump's own words: tot_pkts by bypass, os= through the kernel socket. */}
              {so.state === 'KERNEL' || so.os > 0
                ? ` tot_pkts ${fmtCount(so.delivered)}  os=${fmtCount(so.os)}${so.oflowDrop > 0 ? `  oflow_drop ${fmtCount(so.oflowDrop)}` : ''}`
                : ` tot_pkts ${fmtCount(so.delivered)}  overrun ${fmtCount(so.overrun)}`}
            </Text>
          ))}
        </Box>
      ))}
      {s.stacks.length === 0 ? <Text> no stacks: no subscriber uses Onload</Text> : null}
    </Box>
  );
}
