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
export function OverheadsView({ snapshot: s, theme, width = 160 }: { snapshot: LabSnapshot; theme: Theme; width?: number }) {
  const rows = overheadRows(s);
  // Narrow: the by-construction columns give way to the measured ones (ctxsw, cpu, latency); the note below says what each mode copies.
  const wide = width >= 134;
  const ctxw = wide ? 15 : 12;
  return (
    <Box flexDirection="column" borderStyle="single" borderColor={theme.border}>
      <Text bold wrap="truncate">{wide ? ' Overheads · copies, protocol processing, context switches (by construction │ measured since the first packet)' : ' Overheads by receive mode · measured since the first packet (mode: see below)'}</Text>
      <Text bold wrap="truncate">
        {` ${'subscriber'.padEnd(11)}${'mode'.padEnd(10)}${'path'.padEnd(8)}${wide ? `${'copies on the host'.padEnd(33)}${'protocol processing'.padEnd(30)}` : ''}│${'B copied'.padStart(9)}${(wide ? 'ctxsw/1k v+i' : 'ctx/1k v+i').padStart(ctxw)}${'cpu µs'.padStart(8)}${'p50'.padStart(9)}${'p99'.padStart(9)}`}
      </Text>
      {rows.map((r) => (
        <Text key={r.subscriber} wrap="truncate">
          {` ${r.subscriber.padEnd(11)}${r.mode.padEnd(10)}`}
          <Text color={pathColour(theme, r.path)}>{r.path.padEnd(8)}</Text>
          {`${wide ? `${r.copies.padEnd(33)}${r.protocol.padEnd(30)}` : ''}│${num(r.bytesCopiedPerPacket, 0).padStart(9)}${(r.contextSwitchesPer1k ? `${num(r.contextSwitchesPer1k.voluntary, 0)}+${num(r.contextSwitchesPer1k.involuntary, 0)}` : '-').padStart(ctxw)}${num(r.cpuUsPerPacket, 1).padStart(8)}${(r.p50 === null ? '-' : fmtLatency(r.p50)).padStart(9)}${(r.p99 === null ? '-' : fmtLatency(r.p99)).padStart(9)}`}
        </Text>
      ))}
      <Text dimColor={theme.dim} wrap={wide ? 'truncate' : 'wrap'}>
        {' kernel: the kernel parses and copies twice · offload: the NIC parses, one copy through the socket layer · onload: the stack in the process parses, one copy · onload-zc: read in place · ef_vi: the application parses raw frames'}
      </Text>
    </Box>
  );
}
