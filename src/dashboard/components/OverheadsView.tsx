import { Box, Text } from 'ink';
import { overheadRows } from '../../experiment/overheads.js';
import type { LabSnapshot } from '../../experiment/snapshot.js';
import { fmtLatency } from '../view-model.js';
import { pathColour, type Theme } from '../theme.js';

const num = (x: number | null, d: number) => (x === null ? '-' : x.toFixed(d));

/**
 * The three host overheads by receive mode (DESIGN §10), one row per subscriber: copies and
 * where protocol processing ran (by construction), then bytes copied, context switches and CPU
 * per packet and latency from the NIC's send (measured since each subscriber's first packet).
 */
export function OverheadsView({ snapshot: s, theme }: { snapshot: LabSnapshot; theme: Theme }) {
  const rows = overheadRows(s);
  return (
    <Box flexDirection="column" borderStyle="single" borderColor={theme.border}>
      <Text bold wrap="truncate">{' Overheads · copies, protocol processing, context switches (by construction │ measured since the first packet)'}</Text>
      <Text bold wrap="truncate">
        {` ${'subscriber'.padEnd(11)}${'mode'.padEnd(10)}${'path'.padEnd(8)}${'copies on the host'.padEnd(33)}${'protocol processing'.padEnd(30)}│${'B copied'.padStart(9)}${'ctxsw/1k v+i'.padStart(15)}${'cpu µs'.padStart(8)}${'p50'.padStart(9)}${'p99'.padStart(9)}`}
      </Text>
      {rows.map((r) => (
        <Text key={r.subscriber} wrap="truncate">
          {` ${r.subscriber.padEnd(11)}${r.mode.padEnd(10)}`}
          <Text color={pathColour(theme, r.path)}>{r.path.padEnd(8)}</Text>
          {`${r.copies.padEnd(33)}${r.protocol.padEnd(30)}│${num(r.bytesCopiedPerPacket, 0).padStart(9)}${(r.contextSwitchesPer1k ? `${num(r.contextSwitchesPer1k.voluntary, 0)}+${num(r.contextSwitchesPer1k.involuntary, 0)}` : '-').padStart(15)}${num(r.cpuUsPerPacket, 1).padStart(8)}${(r.p50 === null ? '-' : fmtLatency(r.p50)).padStart(9)}${(r.p99 === null ? '-' : fmtLatency(r.p99)).padStart(9)}`}
        </Text>
      ))}
      <Text dimColor={theme.dim} wrap="truncate">
        {' kernel: the kernel parses and copies twice · offload: the NIC parses, one copy through the socket layer · onload: the stack in the process parses, one copy · onload-zc: read in place · ef_vi: the application parses raw frames'}
      </Text>
    </Box>
  );
}
