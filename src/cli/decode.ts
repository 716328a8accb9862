import type { Command } from 'commander';
import { MdlabError, quote } from '../errors.js';
import { makeChannels, parseGroup } from '../feed/channels.js';
import { decodeFeed, type DecodeFilter, type DecodeSink, type Range } from '../feed/decode.js';
import { describeAssignments } from '../feed/feed-traffic.js';
import { MESSAGE_BY_CODE, MESSAGES } from '../feed/itch/layout.js';
import { openFeed } from '../feed/open-feed.js';
import { DEFAULT_PACKETIZER } from '../feed/packetizer.js';
import { act } from './action.js';
import { fmtInt } from './output.js';
import { intOption } from './parse.js';

interface DecodeFlags {
  json?: boolean;
  type?: string;
  stock?: string;
  locate?: number;
  packets?: string;
  session?: string;
  seq?: string;
  decodeAs?: string;
  channels: number;
  locateMax: number;
  quiet?: boolean;
}

export function parseRange(text: string, what: string): Range {
  const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(text);
  const from = m ? Number(m[1]) : NaN;
  const to = m ? Number(m[2] ?? m[1]) : NaN;
  if (!m || !Number.isSafeInteger(from) || !Number.isSafeInteger(to) || to < from) {
    throw new MdlabError(`${what} ${quote(text)}: expected N or FROM-TO with FROM ≤ TO, for example 100-200`);
  }
  return { from, to };
}

export function parseTypes(text: string): Set<number> {
  const types = new Set<number>();
  for (const t of text.split(',').map((x) => x.trim())) {
    if (t.length !== 1 || !MESSAGE_BY_CODE[t.charCodeAt(0)]) {
      throw new MdlabError(`--type ${quote(t)}: expected ITCH 5.0 message types such as A,E; the types are ${MESSAGES.map((m) => m.type).join(' ')}`);
    }
    types.add(t.charCodeAt(0));
  }
  return types;
}

function parseStock(text: string): string {
  const s = text.trim().toUpperCase();
  if (s.length === 0 || s.length > 8 || !/^[\x21-\x7e]+( [\x21-\x7e]+)*$/.test(s)) throw new MdlabError(`--stock ${quote(text)}: expected a symbol of 1 to 8 ASCII characters, such as AAPL`);
  return s;
}

function parseSession(text: string): string {
  if (text.length === 0 || text.length > 10) throw new MdlabError(`--session ${quote(text)}: expected a MoldUDP64 session of 1 to 10 characters`);
  return text.replace(/ +$/, '');
}

/** stdout with backpressure; a closed pipe (`| head`) ends the decode quietly. */
function stdoutSink(): DecodeSink {
  let buf = '';
  let closed = false;
  const out = process.stdout;
  out.on('error', () => {
    closed = true;
  });
  return {
    get closed() {
      return closed;
    },
    push(line: string): boolean {
      buf += `${line}\n`;
      if (buf.length < 65536) return true;
      const ok = out.write(buf);
      buf = '';
      return ok;
    },
    drain(): Promise<void> {
      if (closed) return Promise.resolve();
      return new Promise((res) => {
        const done = () => {
          out.off('drain', done);
          out.off('error', done);
          res();
        };
        out.once('drain', done);
        out.once('error', done);
      });
    },
    // Flushes what is left; resolves once written.
    async flush(): Promise<void> {
      if (closed || buf === '') return;
      const ok = out.write(buf);
      buf = '';
      if (!ok) await this.drain();
    },
  } as DecodeSink & { flush(): Promise<void> };
}

export function registerDecode(program: Command): void {
  program
    .command('decode')
    .description('every ITCH 5.0 message of a recording, one line each: packet, wire time, group, session, sequence, type, every field by its spec name')
    .argument('<file>', 'pcap, pcapng or binary ITCH 5.0 file (plain or gzip)')
    .option('--json', 'JSON lines, integers exact (prices as the spec\'s integers: Price(4) has 4 implied decimals, Price(8) 8; timestamps in ns since midnight)')
    .option('--type <types>', 'only these message types, such as A,E')
    .option('--stock <symbol>', 'only this stock: messages naming it, and every message with its stock locate once seen')
    .option('--locate <n>', 'only this stock locate', intOption('--locate', 0, 65535))
    .option('--packets <range>', 'only these packet numbers, such as 100-200 (or one number)')
    .option('--session <s>', 'only this MoldUDP64 session')
    .option('--seq <range>', 'only these message sequence numbers, such as 1000-2000')
    .option('--decode-as <group>', 'captures: take every UDP datagram not to a multicast group as MoldUDP64 to GROUP:PORT (as tshark -d)')
    .option('--channels <k>', 'binary ITCH files: channels to split stock locates into', intOption('--channels', 1, 64), 1)
    .option('--locate-max <n>', 'binary ITCH files: highest stock locate, for the channel ranges', intOption('--locate-max', 1, 65535), 10000)
    .option('--quiet', 'no summary line on stderr')
    .action(act(async (file: string, f: DecodeFlags) => {
      const filter: DecodeFilter = {
        types: f.type === undefined ? null : parseTypes(f.type),
        stock: f.stock === undefined ? null : parseStock(f.stock),
        locate: f.locate ?? null,
        packets: f.packets === undefined ? null : parseRange(f.packets, '--packets'),
        session: f.session === undefined ? null : parseSession(f.session),
        seq: f.seq === undefined ? null : parseRange(f.seq, '--seq'),
      };
      const reader = await openFeed(file, {
        channels: makeChannels(f.channels, f.locateMax),
        maxMessages: DEFAULT_PACKETIZER.maxMessages,
        maxBytes: DEFAULT_PACKETIZER.maxBytes,
        decodeAs: f.decodeAs === undefined ? undefined : parseGroup(f.decodeAs, '--decode-as'),
      });
      const sink = stdoutSink() as DecodeSink & { flush(): Promise<void> };
      let summary;
      try {
        summary = await decodeFeed(reader, filter, f.json === true, sink);
      } catch (err) {
        await sink.flush();
        throw err;
      }
      await sink.flush();
      if (!f.quiet && !sink.closed) {
        const rate = summary.seconds > 0 ? Math.round(summary.messages / summary.seconds) : 0;
        process.stderr.write(`mdlab: decoded ${fmtInt(summary.messages)} messages in ${fmtInt(summary.packets)} packets (${fmtInt(summary.shown)} line${summary.shown === 1 ? '' : 's'} shown${summary.malformed ? `, ${fmtInt(summary.malformed)} malformed` : ''}) in ${summary.seconds.toFixed(2)} s, ${fmtInt(rate)} msg/s\n`);
        for (const line of describeAssignments(reader.assignments)) process.stderr.write(`mdlab: group assigned: ${line}\n`);
      }
      return 0;
    }));
}
