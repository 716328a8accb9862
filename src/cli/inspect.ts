import type { Command } from 'commander';
import { openFeed } from '../feed/open-feed.js';
import { inspectFeed, type InspectSummary } from '../feed/inspect.js';
import { fmtInt, table, writeJson } from './output.js';
import { Progress } from './progress.js';
import { act } from './action.js';
import { intOption } from './parse.js';
import { makeChannels } from '../feed/channels.js';
import { DEFAULT_PACKETIZER } from '../feed/packetizer.js';

interface InspectFlags {
  json?: boolean;
  channels: number;
  locateMax: number;
  maxMessages: number;
  maxBytes: number;
}

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('what a recording holds: packets, groups, sessions, messages by type, rates, gaps, skipped frames')
    .argument('<file>', 'pcap, pcapng or binary ITCH 5.0 file (plain or gzip)')
    .option('--json', 'print the summary as JSON')
    .option('--channels <k>', 'binary ITCH files: channels to split stock locates into', intOption('--channels', 1, 64), 1)
    .option('--locate-max <n>', 'binary ITCH files: highest stock locate, for the channel ranges', intOption('--locate-max', 1, 65535), 10000)
    .option('--max-messages <n>', 'binary ITCH files: most messages per MoldUDP64 packet', intOption('--max-messages', 1, 65534), DEFAULT_PACKETIZER.maxMessages)
    .option('--max-bytes <n>', 'binary ITCH files: most payload bytes per packet', intOption('--max-bytes', 72, 65507), DEFAULT_PACKETIZER.maxBytes)
    .action(act(async (file: string, opts: InspectFlags) => {
      const reader = await openFeed(file, {
        channels: makeChannels(opts.channels, opts.locateMax),
        maxMessages: opts.maxMessages,
        maxBytes: opts.maxBytes,
      });
      const progress = new Progress('inspect', opts.json === true);
      const summary = await inspectFeed(reader, (packets) => progress.update(`${fmtInt(packets)} packets`));
      progress.done();
      if (opts.json) writeJson(summary);
      else process.stdout.write(formatInspect(summary));
      // The report above shows what was read; the error line says why it stopped.
      if (summary.error) process.stderr.write(`mdlab: ${summary.error}\n`);
      return summary.complete ? 0 : 1;
    }));
}

export function formatInspect(s: InspectSummary): string {
  const out: string[] = [];
  out.push(`${s.file}  (${s.format}${s.header.timestampResolution ? `, ${s.header.timestampResolution} timestamps` : ''}${s.header.linktypeName ? `, ${s.header.linktypeName}` : ''})`);
  out.push(`packets ${fmtInt(s.packets)} · messages ${fmtInt(s.messages)} · payload ${fmtInt(s.payloadBytes)} bytes · heartbeats ${fmtInt(s.heartbeats)} · end-of-session ${fmtInt(s.endOfSession)}`);
  if (s.timeSpan.first) out.push(`time ${s.timeSpan.first} → ${s.timeSpan.last}  (${s.timeSpan.durationMs.toFixed(3)} ms)`);
  out.push('');
  out.push(table(s.groups.map((g) => [g.group, g.packets, g.messages, g.bytes, g.sessions.join(' ')]), ['group', 'packets', 'messages', 'bytes', 'sessions']));
  out.push('');
  out.push(table(
    s.sessions.map((x) => [`${x.group} ${x.session}`, x.firstSequence, x.nextSequence - 1, x.messages, x.gaps, x.missingMessages, x.duplicateMessages]),
    ['session', 'first seq', 'last seq', 'messages', 'gaps', 'missing', 'duplicates'],
  ));
  out.push('');
  const types = Object.entries(s.messagesByType).sort((a, b) => b[1].count - a[1].count);
  out.push(table(types.map(([t, x]) => [`${t}  ${x.name}`, x.count]), ['type', 'messages']));
  out.push('');
  out.push(table(s.peakRate.map((r) => [`peak in ${r.window}`, r.packets, r.messages, r.messagesPerSecond]), ['window', 'packets', 'messages', 'msg/s']));
  const skips = Object.entries(s.skippedFrames);
  if (skips.length > 0) {
    out.push('');
    out.push('skipped frames (not feed traffic):');
    for (const [reason, x] of skips) out.push(`  ${reason}  ${fmtInt(x.count)}  first at ${x.first}: ${x.description}`);
  }
  const bad = Object.entries(s.malformed);
  if (bad.length > 0) {
    out.push('');
    out.push('malformed (skipped and counted):');
    for (const [reason, x] of bad) out.push(`  ${reason}  ${fmtInt(x.count)}  first at ${x.first}: ${x.description}`);
  }
  if (s.error) {
    out.push('');
    out.push(`stopped early: ${s.error}`);
  }
  return `${out.join('\n')}\n`;
}
