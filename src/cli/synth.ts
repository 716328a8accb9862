import { checkOutputFile } from './output-path.js';
import type { Command } from 'commander';
import { MdlabError } from '../errors.js';
import { parseGroup } from '../feed/channels.js';
import { formatItchTime } from '../feed/itch/codec.js';
import { DEFAULT_GENERATOR, OPEN_NS } from '../feed/synth/generator.js';
import { parseMix } from '../feed/synth/order-flow.js';
import { SYNTH_DEFAULTS, tradingDayEpoch, writeSynthRecording, type SynthOptions } from '../feed/synth/write-recording.js';
import { act } from './action.js';
import { parseDuration } from '../metrics/duration.js';
import { fmtInt, table, writeJson } from './output.js';
import { intOption, numberOption } from './parse.js';
import { Progress } from './progress.js';

interface SynthFlags {
  seed: number;
  duration: string;
  out: string;
  channels: number;
  rate: number;
  symbols: number;
  burstiness: number;
  spikes: number;
  halts: number;
  mix?: string;
  start: string;
  date: string;
  groupBase: string;
  port: number;
  maxMessages: number;
  maxBytes: number;
  coalesce: string;
  heartbeat: string;
  json?: boolean;
  lines: number;
  lineBBase?: string;
  lineBDelay: string;
  lineBJitter: string;
}

/** `09:29:58` or `09:29:58.5` → ns since midnight. */
export function parseTimeOfDay(text: string): number {
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?$/.exec(text);
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59 || Number(m[3] ?? 0) > 59) {
    throw new MdlabError(`--start ${JSON.stringify(text)}: expected a time of day HH:MM[:SS[.fff]], for example 09:29:58`);
  }
  return ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3] ?? 0) + Number(m[4] ?? 0)) * 1e9;
}

export function registerSynth(program: Command): void {
  program
    .command('synth')
    .description('write a seeded, realistic ITCH 5.0 / MoldUDP64 recording (pcap): same seed, same bytes')
    .requiredOption('--seed <n>', 'random seed (0 to 4294967295)', intOption('--seed', 0, 0xffffffff))
    .requiredOption('--duration <d>', 'length of the recording: 500ms, 10s, 2m')
    .requiredOption('--out <file>', 'pcap file to write')
    .option('--channels <k>', 'channels, one multicast group and MoldUDP64 session each', intOption('--channels', 1, 64), SYNTH_DEFAULTS.channels)
    .option('--rate <r>', 'baseline messages per second (bursts add to it)', numberOption('--rate', 1, 10_000_000), DEFAULT_GENERATOR.rate)
    .option('--symbols <n>', 'symbols in the universe, split across channels by stock locate', intOption('--symbols', 1, 60000), DEFAULT_GENERATOR.symbols)
    .option('--burstiness <x>', 'scale of the opening-cross burst and news spikes (0: flat rate)', numberOption('--burstiness', 0, 100), DEFAULT_GENERATOR.burstiness)
    .option('--spikes <n>', 'news spikes per minute', numberOption('--spikes', 0, 6000), DEFAULT_GENERATOR.spikesPerMinute)
    .option('--halts <n>', 'trading pauses per minute (each resumes 2-5 s later)', numberOption('--halts', 0, 600), DEFAULT_GENERATOR.haltsPerMinute)
    .option('--mix <weights>', `order-flow mix, e.g. add=44,cancel=8,delete=30,execute=7,replace=10,trade=1`)
    .option('--start <time>', 'trading-day time of the first message (the opening cross is 09:30:00)', '09:29:58')
    .option('--date <yyyy-mm-dd>', 'trading day, for pcap timestamps', SYNTH_DEFAULTS.date)
    .option('--group-base <addr>', 'first channel\'s multicast group; the next channels count up from it', SYNTH_DEFAULTS.groupBase)
    .option('--port <port>', 'UDP port of every channel', intOption('--port', 1, 65535), SYNTH_DEFAULTS.port)
    .option('--max-messages <n>', 'most messages per MoldUDP64 packet', intOption('--max-messages', 1, 65534), SYNTH_DEFAULTS.maxMessages)
    .option('--max-bytes <n>', 'most UDP payload bytes per packet', intOption('--max-bytes', 72, 1472), SYNTH_DEFAULTS.maxBytes)
    .option('--coalesce <d>', 'how long a packet waits for more messages', '5us')
    .option('--heartbeat <d>', 'heartbeat after a channel is idle this long', '1s')
    .option('--lines <n>', 'lines per channel: 2 writes line B too (A/B arbitration), byte-identical to A, later and with its own jitter', intOption('--lines', 1, 2), 1)
    .option('--line-b-base <addr>', "line B's first group (default: line A's base one /24 up, 239.100.2.1)")
    .option('--line-b-delay <d>', "line B's fixed lag behind line A", '20us')
    .option('--line-b-jitter <d>', "mean of line B's random jitter on top of its lag (exponential)", '10us')
    .option('--json', 'print the summary as JSON')
    .action(act(async (f: SynthFlags) => {
      checkOutputFile('--out', f.out);
      let dayEpochSec: number;
      try {
        dayEpochSec = tradingDayEpoch(f.date);
      } catch {
        throw new MdlabError(`--date ${JSON.stringify(f.date)}: expected YYYY-MM-DD`);
      }
      const o: SynthOptions = {
        seed: f.seed,
        durationNs: parseDuration(f.duration, '--duration'),
        startNs: parseTimeOfDay(f.start),
        rate: f.rate,
        symbols: f.symbols,
        burstiness: f.burstiness,
        spikesPerMinute: f.spikes,
        haltsPerMinute: f.halts,
        mix: f.mix ? parseMix(f.mix) : DEFAULT_GENERATOR.mix,
        channels: f.channels,
        groupBase: f.groupBase,
        port: f.port,
        dayEpochSec,
        maxMessages: f.maxMessages,
        maxBytes: f.maxBytes,
        coalesceNs: parseDuration(f.coalesce, '--coalesce'),
        heartbeatNs: parseDuration(f.heartbeat, '--heartbeat'),
        lines: f.lines === 2 ? 2 : 1,
        lineBBase: f.lineBBase,
        lineBDelayNs: parseDuration(f.lineBDelay, '--line-b-delay'),
        lineBJitterNs: parseDuration(f.lineBJitter, '--line-b-jitter'),
      };
      if (f.lineBBase !== undefined) parseGroup(`${f.lineBBase}:${f.port}`, '--line-b-base');
      if (o.channels > o.symbols) throw new MdlabError(`--channels ${o.channels} is more than --symbols ${o.symbols}: every channel needs at least one symbol`);
      const progress = new Progress(`synth ${f.out}`);
      const summary = await writeSynthRecording(o, f.out, (x) => progress.update('', x));
      progress.done();
      if (f.json) {
        writeJson(summary);
        return;
      }
      const open = OPEN_NS >= o.startNs && OPEN_NS < o.startNs + o.durationNs ? `, opening cross at +${((OPEN_NS - o.startNs) / 1e6).toFixed(0)} ms` : '';
      process.stdout.write(
        `wrote ${summary.file}: ${fmtInt(summary.packets)} packets, ${fmtInt(summary.messages)} messages, ${fmtInt(summary.bytes)} bytes\n` +
          `seed ${o.seed}, ${formatItchTime(o.startNs).slice(0, 12)} for ${(o.durationNs / 1e9).toFixed(3)} s${open}, ${summary.newsSpikes.length} news spikes\n` +
          `sha256 ${summary.sha256}\n\n` +
          `${o.lines === 2
            ? table(summary.channels.map((c) => [c.group, c.lineB ?? '', c.session, c.locates, c.packets, c.messages]), ['line A', 'line B', 'session', 'locates', 'packets per line', 'messages per line'])
            : table(summary.channels.map((c) => [c.group, c.session, c.locates, c.packets, c.messages]), ['group', 'session', 'locates', 'packets', 'messages'])}\n`,
      );
    }));
}
