import type { Command } from 'commander';
import { MdlabError } from '../errors.js';
import { parseGroup } from '../feed/channels.js';
import { recordMulticast } from '../kernel/record.js';
import { replayRecording } from '../kernel/replay.js';
import { act } from './action.js';
import { parseDuration } from '../metrics/duration.js';
import { fmtInt, writeJson } from './output.js';
import { intOption } from './parse.js';
import { Progress } from './progress.js';
import { parseSpeed } from './run.js';

function onInterrupt(): () => boolean {
  let stop = false;
  const handler = () => {
    stop = true;
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return () => stop;
}

export function registerReplayRecord(program: Command): void {
  program
    .command('replay')
    .description('send a recording as plain UDP multicast on loopback (TTL 0), without a lab, for other tools')
    .argument('<file>', 'pcap, pcapng or binary ITCH file')
    .option('--speed <x>', 'a multiple of the recorded pace', '1')
    .option('--topspeed', 'as fast as possible (as tcpreplay --topspeed)')
    .option('--loop <n>', 'play it this many times (0: until Ctrl-C)', intOption('--loop', 0, 1_000_000), 1)
    .option('--json', 'print the summary as JSON')
    .action(act(async (file: string, f: { speed: string; topspeed?: boolean; loop: number; json?: boolean }) => {
      const speed = f.topspeed ? 0 : parseSpeed(f.speed);
      const stop = onInterrupt();
      const progress = new Progress(`replay ${file}`, f.json === true);
      const s = await replayRecording(file, { speed, loops: f.loop === 0 ? Infinity : f.loop, shouldStop: stop, onProgress: (n) => progress.update(`${fmtInt(n)} packets`) });
      progress.done();
      if (f.json) writeJson(s);
      else process.stdout.write(`sent ${fmtInt(s.packets)} packets (${fmtInt(s.bytes)} bytes) to ${s.groups.join(' ')} on 127.0.0.1 in ${s.seconds.toFixed(2)} s, ${s.loops} loop${s.loops === 1 ? '' : 's'}\n`);
      return 0;
    }));

  program
    .command('record')
    .description('capture live multicast from loopback into a pcap (ns, Ethernet) that mdlab and tshark read')
    .requiredOption('--group <group>', 'a group to join, ADDRESS:PORT (repeat for several)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .requiredOption('--out <file>', 'pcap file to write')
    .requiredOption('--duration <d>', 'how long to capture: 500ms, 10s, 2m')
    .option('--json', 'print the summary as JSON')
    .action(act(async (f: { group: string[]; out: string; duration: string; json?: boolean }) => {
      if (f.group.length === 0) throw new MdlabError('--group: give at least one group, such as 239.100.1.1:26400');
      const groups = f.group.map((g) => ({ ...parseGroup(g, '--group'), name: g }));
      const durationNs = parseDuration(f.duration, '--duration');
      const s = await recordMulticast(groups, f.out, durationNs, onInterrupt(), () =>
        process.stderr.write(`mdlab: recording ${f.group.join(' ')} on 127.0.0.1 for ${f.duration} (Ctrl-C stops early)\n`),
      );
      if (f.json) writeJson(s);
      else process.stdout.write(`wrote ${s.file}: ${fmtInt(s.packets)} packets (${Object.entries(s.byGroup).map(([g, n]) => `${g} ${fmtInt(n)}`).join(', ')})\n`);
      return 0;
    }));
}
