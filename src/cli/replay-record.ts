import type { Command } from 'commander';
import { MdlabError, quote } from '../errors.js';
import { parseIpv4 } from '../feed/bytes.js';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { formatGroup, parseGroup } from '../feed/channels.js';
import { readLiveRegistries } from '../onload/registry.js';
import { checkOutputFile } from './output-path.js';
import { recordMulticast } from '../kernel/record.js';
import { replayRecording } from '../kernel/replay.js';
import { act } from './action.js';
import { parseDuration } from '../metrics/duration.js';
import { fmtInt, writeJson } from './output.js';
import { intOption } from './parse.js';
import { Progress } from './progress.js';
import { parseSpeed } from './run.js';

function us(ns: number): string {
  return ns < 10_000 ? (ns / 1000).toFixed(2) : fmtInt(Math.round(ns / 1000));
}

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
      else {
        process.stdout.write(`sent ${fmtInt(s.packets)} packets (${fmtInt(s.bytes)} bytes) to ${s.groups.join(' ')} on 127.0.0.1 in ${s.seconds.toFixed(2)} s, ${s.loops} loop${s.loops === 1 ? '' : 's'}\n`);
        const p = s.pacing;
        if (p) process.stdout.write(`pacing error (actual minus scheduled send, ${fmtInt(p.packets)} packets): p50 ${us(p.p50Ns)} µs, p99 ${us(p.p99Ns)} µs, max ${us(p.maxNs)} µs; worst lag at packet ${fmtInt(p.worstLag.packet)}${s.loops > 1 ? ` of loop ${p.worstLag.loop}` : ''}, ${(p.worstLag.atMs / 1000).toFixed(3)} s in\n`);
        else process.stdout.write('pacing error: none measured (top speed: nothing was scheduled)\n');
      }
      return 0;
    }));

  program
    .command('record')
    .description('capture live multicast from loopback into a pcap (ns, Ethernet) that mdlab, tshark and tcpreplay read: kernel timestamps, wire order, losses counted')
    .option('--group <group>', 'a group to join, ADDRESS:PORT (repeat for several)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--lab <pid>', 'record a running lab\'s kernel path from inside its network namespace (its controller\'s pid, as mdlab stackdump lists it); --group defaults to its groups', intOption('--lab', 1, 1 << 30))
    .requiredOption('--out <file>', 'pcap file to write')
    .requiredOption('--duration <d>', 'how long to capture: 500ms, 10s, 2m')
    .option('--rcvbuf <bytes>', 'receive buffer per group socket (raise it where datagrams are lost)', intOption('--rcvbuf', 0, 1 << 30), 4 << 20)
    .option('--source <addr>', 'keep only datagrams from this sender, ADDRESS or ADDRESS:PORT (leave out other traffic to the groups)')
    .option('--keep-source', 'keep a local source address (127.0.0.1) as received; by default it is rewritten so that tcpreplay -i lo can replay the file')
    .option('--json', 'print the summary as JSON')
    .action(act(async (f: { group: string[]; lab?: number; out: string; duration: string; rcvbuf: number; source?: string; keepSource?: boolean; json?: boolean }) => {
      checkOutputFile('--out', f.out);
      if (f.lab !== undefined) {
        const at = labKernelPath(f.lab, f.group);
        if (at.enter.length > 0) return recordInside(at.enter, at.groups, f);
        f.group = at.groups;
      }
      if (f.group.length === 0) throw new MdlabError('--group: give at least one group, such as 239.100.1.1:26400 (or --lab PID for a running lab\'s)');
      const groups = f.group.map((g) => ({ ...parseGroup(g, '--group'), name: g }));
      const durationNs = parseDuration(f.duration, '--duration');
      const source = f.source === undefined ? undefined : parseSource(f.source);
      const s = await recordMulticast({
        groups, out: f.out, durationNs, rcvbuf: f.rcvbuf, source, keepSource: f.keepSource === true, shouldStop: onInterrupt(),
        onJoined: () => process.stderr.write(`mdlab: recording ${f.group.join(' ')} on 127.0.0.1 for ${f.duration} (Ctrl-C stops early)\n`),
      });
      if (f.json) writeJson(s);
      else {
        process.stdout.write(`wrote ${s.file}: ${fmtInt(s.packets)} packets (${Object.entries(s.byGroup).map(([g, n]) => `${g} ${fmtInt(n.packets)}`).join(', ')}), kernel timestamps, in wire order; lost ${fmtInt(s.drops)}\n`);
        if (s.sourceRewritten) process.stdout.write(`source ${s.sourceRewritten.from.join(', ')} rewritten to ${s.sourceRewritten.to} in ${fmtInt(s.sourceRewritten.packets)} packets, so that tcpreplay -i lo replays the file (--keep-source keeps it)\n`);
        if (s.otherSources > 0) process.stdout.write(`left out ${fmtInt(s.otherSources)} datagrams from other senders (--source)\n`);
      }
      if (s.drops > 0) process.stderr.write(`mdlab: lost ${fmtInt(s.drops)} datagrams: the socket buffer overflowed (${fmtInt(s.rcvbuf.granted)} bytes granted); raise --rcvbuf\n`);
      if (s.truncated > 0) process.stderr.write(`mdlab: ${fmtInt(s.truncated)} datagrams were longer than ${fmtInt(65536)} bytes and were written cut\n`);
      return 0;
    }));
}

/**
 * Where a running lab's kernel path is: the command prefix that enters its network namespace
 * (empty when it has none) and the groups to join there (its own by default; on a port base of
 * its own under ports isolation, each port moved by its offset).
 */
function labKernelPath(pid: number, wanted: string[]): { enter: string[]; groups: string[] } {
  const doc = readLiveRegistries().find((d) => d.labPid === pid);
  if (!doc) throw new MdlabError(`--lab ${pid}: no running lab with that pid (mdlab stackdump lists the running labs)`);
  if (!doc.isolation || !doc.groups) throw new MdlabError(`--lab ${pid}: this lab does not say where its kernel path runs (an older mdlab): use nsenter and --group`);
  const iso = doc.isolation;
  const groups = (wanted.length > 0 ? wanted : doc.groups).map((g) => {
    if (iso.portOffset === 0) return g;
    const { group, port } = parseGroup(g, '--group');
    return formatGroup(group, port + iso.portOffset);
  });
  return { enter: iso.kind === 'netns' || iso.kind === 'userns' ? iso.enter : [], groups };
}

/** Runs this same record inside the lab's namespace (nsenter), where its kernel path is; its exit code is ours. */
function recordInside(enter: string[], groups: string[], f: { out: string; duration: string; rcvbuf: number; source?: string; keepSource?: boolean; json?: boolean }): Promise<number> {
  const args = [...enter.slice(1), process.execPath, process.argv[1], 'record', ...groups.flatMap((g) => ['--group', g]), '--out', resolve(f.out), '--duration', f.duration, '--rcvbuf', String(f.rcvbuf)];
  if (f.source !== undefined) args.push('--source', f.source);
  if (f.keepSource) args.push('--keep-source');
  if (f.json) args.push('--json');
  const child = spawn(enter[0], args, { stdio: 'inherit' });
  // Ctrl-C reaches the child too (one process group): this one waits for it to write its file.
  const ignore = () => undefined;
  process.on('SIGINT', ignore);
  return new Promise((done, fail) => {
    child.once('error', (e) => fail(new MdlabError(`--lab: cannot enter the lab's namespace with ${enter[0]}: ${e.message}`)));
    child.once('exit', (code) => {
      process.off('SIGINT', ignore);
      done(code ?? 1);
    });
  });
}

function parseSource(text: string): { addr: number; port: number | null } {
  const m = /^([0-9.]+)(?::(\d+))?$/.exec(text.trim());
  const addr = m ? parseIpv4(m[1]) : undefined;
  const port = m?.[2] === undefined ? null : Number(m[2]);
  if (!m || addr === undefined || (port !== null && (port < 1 || port > 65535))) throw new MdlabError(`--source ${quote(text)}: expected a sender's ADDRESS or ADDRESS:PORT, such as 127.0.0.1 or 127.0.0.1:40000`);
  return { addr, port };
}
