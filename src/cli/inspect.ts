import type { Command } from 'commander';
import { openFeed } from '../feed/open-feed.js';
import { inspectFeed, type InspectSummary, type SequenceProblem } from '../feed/inspect.js';
import { fmtInt, table, writeJson } from './output.js';
import { Progress } from './progress.js';
import { act } from './action.js';
import { intOption } from './parse.js';
import { makeChannels, parseGroup } from '../feed/channels.js';
import { describeAssignments } from '../feed/feed-traffic.js';
import { DEFAULT_PACKETIZER } from '../feed/packetizer.js';
import type { CaptureStats } from '../feed/pcap/frame-reader.js';

interface InspectFlags {
  json?: boolean;
  channels: number;
  locateMax: number;
  maxMessages: number;
  maxBytes: number;
  decodeAs?: string;
}

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('what a recording holds: packets, groups, sessions, messages by type, rates, gaps, skipped frames')
    .argument('<file>', 'pcap, pcapng or binary ITCH 5.0 file (plain or gzip)')
    .option('--json', 'print the summary as JSON')
    .option('--decode-as <group>', 'captures: take every UDP datagram not to a multicast group as MoldUDP64 to GROUP:PORT (as tshark -d)')
    .option('--channels <k>', 'binary ITCH files: channels to split stock locates into', intOption('--channels', 1, 64), 1)
    .option('--locate-max <n>', 'binary ITCH files: highest stock locate, for the channel ranges', intOption('--locate-max', 1, 65535), 10000)
    .option('--max-messages <n>', 'binary ITCH files: most messages per MoldUDP64 packet', intOption('--max-messages', 1, 65534), DEFAULT_PACKETIZER.maxMessages)
    .option('--max-bytes <n>', 'binary ITCH files: most payload bytes per packet', intOption('--max-bytes', 72, 65507), DEFAULT_PACKETIZER.maxBytes)
    .action(act(async (file: string, opts: InspectFlags) => {
      const reader = await openFeed(file, {
        channels: makeChannels(opts.channels, opts.locateMax),
        maxMessages: opts.maxMessages,
        maxBytes: opts.maxBytes,
        decodeAs: opts.decodeAs === undefined ? undefined : parseGroup(opts.decodeAs, '--decode-as'),
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

const TEXT_PROBLEMS = 20;

function describeProblem(x: SequenceProblem): string {
  const range = x.fromSequence === x.toSequence ? `sequence ${fmtInt(x.fromSequence)}` : `sequences ${fmtInt(x.fromSequence)}-${fmtInt(x.toSequence)}`;
  const what = x.kind === 'gap' ? `gap: ${range} missing, ${fmtInt(x.messages)} message${x.messages === 1 ? '' : 's'} lost`
    : x.kind === 'duplicate' ? `duplicate: ${range} seen again (${fmtInt(x.messages)} message${x.messages === 1 ? '' : 's'})`
      : `out of order: ${range} arrived after later ones (${fmtInt(x.messages)} message${x.messages === 1 ? '' : 's'})`;
  return `${x.group} ${x.session} ${what}, at packet ${fmtInt(x.packet)} (${x.wireTime})`;
}

/** One line for what the capturing host said of an interface, and what its drops mean for the gaps above. */
function describeCaptureStats(c: CaptureStats, gaps: number): string {
  const parts: string[] = [];
  if (c.received !== null) parts.push(`received ${fmtInt(c.received)}`);
  if (c.droppedByInterface !== null) parts.push(`dropped ${fmtInt(c.droppedByInterface)} by the capture`);
  if (c.droppedByOs !== null) parts.push(`dropped ${fmtInt(c.droppedByOs)} by the OS`);
  const dropped = (c.droppedByInterface ?? 0) + (c.droppedByOs ?? 0);
  const head = `capture on ${c.interface}, as its host counted: ${parts.length > 0 ? parts.join(', ') : 'no figures'}`;
  if (dropped === 0) return head;
  return `${head}: ${fmtInt(dropped)} packet${dropped === 1 ? '' : 's'} never reached this file${gaps > 0 ? ', so the gaps above may be the capture\'s, not the feed\'s' : ''}`;
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
    s.sessions.map((x) => [`${x.group} ${x.session}`, x.firstSequence, x.nextSequence - 1, x.messages, x.gaps, x.missingMessages, x.lateMessages, x.duplicateMessages]),
    ['session', 'first seq', 'last seq', 'messages', 'gaps', 'missing', 'late', 'duplicates'],
  ));
  const shown = s.sequenceProblems.slice(0, TEXT_PROBLEMS);
  if (shown.length > 0) {
    out.push('');
    out.push('sequence breaks (packet number and wire time where each was seen):');
    for (const x of shown) out.push(`  ${describeProblem(x)}`);
    const more = s.sequenceProblems.length - shown.length + s.sequenceProblemsOmitted;
    if (more > 0) out.push(`  … and ${fmtInt(more)} more (--json lists the first ${fmtInt(s.sequenceProblems.length)})`);
  }
  for (const c of s.captureStats) out.push(describeCaptureStats(c, s.sessions.reduce((n, x) => n + x.gaps, 0)));
  for (const x of s.sessions) {
    if (x.tailMayBeCut && x.packets > 0) out.push(`${x.group} ${x.session}: no end-of-session packet after sequence ${fmtInt(x.nextSequence - 1)}: the recording's tail may be cut`);
  }
  out.push('');
  const types = Object.entries(s.messagesByType).sort((a, b) => b[1].count - a[1].count);
  out.push(table(types.map(([t, x]) => [`${t}  ${x.name}`, x.count]), ['type', 'messages']));
  out.push('');
  out.push(table(s.peakRate.map((r) => [`peak in ${r.window}`, r.packets, r.messages, r.messagesPerSecond]), ['window', 'packets', 'messages', 'msg/s']));
  if (s.assignedGroups.length > 0) {
    out.push('');
    out.push('groups assigned (the capture\'s IP destination said nothing):');
    for (const line of describeAssignments(s.assignedGroups)) out.push(`  ${line}`);
  }
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
