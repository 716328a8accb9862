import type { Command } from 'commander';
import { parseDuration } from '../metrics/duration.js';
import { MessageStore } from '../recovery/message-store.js';
import { DEFAULT_LIMITS, REFUSAL_DESCRIPTIONS, type Refusal } from '../recovery/request-server.js';
import { startRequestServer } from '../recovery/server-process.js';
import { act } from './action.js';
import { fmtInt, writeJson } from './output.js';
import { intOption } from './parse.js';

interface Flags {
  port: number;
  maxMessages: number;
  rate: number;
  delay?: string;
  duration?: string;
  json?: boolean;
}

export function registerRequestServer(program: Command): void {
  program
    .command('request-server')
    .description('a MoldUDP64 re-request server for a recording: answers request packets (session, sequence, count) on 127.0.0.1 with the messages, as an exchange\'s server does')
    .argument('<file>', 'the recording whose messages it serves (pcap, pcapng or binary ITCH)')
    .option('--port <n>', 'UDP port on 127.0.0.1 (0: any free one, printed)', intOption('--port', 0, 65535), 26477)
    .option('--max-messages <n>', 'most messages in one reply', intOption('--max-messages', 1, 65534), DEFAULT_LIMITS.maxMessages)
    .option('--rate <n>', 'most requests per second from one client', intOption('--rate', 1, 1e6), DEFAULT_LIMITS.requestsPerSecond)
    .option('--delay <d>', 'how long it takes to answer (500us, 2ms)')
    .option('--duration <d>', 'stop after this long (default: until Ctrl-C)')
    .option('--json', 'print the counts as JSON when it stops')
    .action(act(async (file: string, f: Flags) => {
      const store = await MessageStore.load(file);
      const limits = { ...DEFAULT_LIMITS, maxMessages: f.maxMessages, requestsPerSecond: f.rate, delayNs: f.delay ? parseDuration(f.delay, '--delay') : 0 };
      const server = await startRequestServer(store, limits, f.port);
      const held = store.sessionNames.map((n) => store.session(n)!).reduce((a, s) => a + s.count, 0);
      process.stderr.write(`mdlab: serving ${store.sessionNames.length} session${store.sessionNames.length === 1 ? '' : 's'} (${fmtInt(held)} messages) from ${file} on 127.0.0.1:${server.port}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        if (f.duration) setTimeout(stop, parseDuration(f.duration, '--duration') / 1e6);
      });
      await server.close();
      const c = server.core.counters;
      if (f.json) writeJson({ port: server.port, sessions: store.sessionNames, ...c });
      else {
        process.stdout.write(`requests ${fmtInt(c.requests)}: answered ${fmtInt(c.answered)} with ${fmtInt(c.messagesServed)} messages in ${fmtInt(c.packetsSent)} packets\n`);
        for (const [r, n] of Object.entries(c.refused)) if (n > 0) process.stdout.write(`  ignored ${fmtInt(n)}: ${REFUSAL_DESCRIPTIONS[r as Refusal]}\n`);
      }
      return 0;
    }));
}
