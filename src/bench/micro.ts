/**
 * In-process figures: ITCH decode rate, the cost of recording one latency sample, and the time
 * from `npm start`'s command to the dashboard's first frame on a real terminal (a pty).
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { runWatched } from './peak-rss.js';
import { openFeed } from '../feed/open-feed.js';
import { pullNext } from '../feed/feed-reader.js';
import { nowNs } from '../metrics/clock.js';
import { initHistograms, newHistogram } from '../metrics/latency.js';
import { HistogramWriter } from '../metrics/shm-histogram.js';
import { segmentName, unlinkSegment } from '../shm/segment.js';
import { FeedHandler, SequenceTracker, type Work } from '../subscriber/feed-handler.js';

/** ITCH messages per second through a subscriber's handler (decode: every message's type, locate and timestamp read; book: applied to an order book too), from a recording in memory's page cache. */
export async function decodeRate(recording: string, work: Work = 'decode'): Promise<{ messagesPerSecond: number; messages: number }> {
  const handler = new FeedHandler(work, 0);
  const seq = new SequenceTracker();
  const r = await openFeed(recording);
  let busyNs = 0;
  try {
    while (await pullNext(r)) {
      const p = r.packet;
      const t = nowNs();
      handler.onPayload(p.bytes, p.view, p.offset, p.length, seq);
      busyNs += nowNs() - t;
    }
  } finally {
    r.close();
  }
  return { messagesPerSecond: (handler.messages * 1e9) / busyNs, messages: handler.messages };
}

/**
 * `mdlab decode FILE` as a user runs it, its output to /dev/null: messages per second (wall time of
 * the whole command, start-up included) and its peak RSS (VmHWM), to show it streams in flat memory.
 */
export async function decodeCli(mdlab: string, recording: string, json: boolean): Promise<{ messagesPerSecond: number; messages: number; peakRssMb: number }> {
  const devNull = openSync('/dev/null', 'w');
  const r = await runWatched([mdlab, 'decode', recording, ...(json ? ['--json'] : [])], { stdout: devNull });
  closeSync(devNull);
  const m = /decoded ([\d,]+) messages/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`mdlab decode failed: ${r.stderr.trim()}`);
  const messages = Number(m[1].replace(/,/g, ''));
  return { messagesPerSecond: messages / r.wallSeconds, messages, peakRssMb: r.peakRssMb };
}

/** ns per recorded packet latency (both clocks, as a subscriber records it), and the same through hdr-histogram-js (WASM), the bare library. */
export async function recordCost(samples: number): Promise<{ mdlabNs: number; hdrNs: number }> {
  const name = segmentName(process.pid, `bench.record${Math.floor(Math.random() * 1e9)}`);
  const w = new HistogramWriter(name, 0, 0);
  let mdlabNs: number;
  try {
    const run = (): number => {
      const t = nowNs();
      for (let i = 0; i < samples; i++) w.record(0, 700 + (i & 4095), 500 + (i & 2047));
      return (nowNs() - t) / samples;
    };
    run(); // warm-up: optimised code, as in a running subscriber
    mdlabNs = run();
  } finally {
    unlinkSegment(name);
  }
  await initHistograms();
  const h = newHistogram(true);
  const runHdr = (): number => {
    const t = nowNs();
    for (let i = 0; i < samples; i++) {
      h.recordValue(700 + (i & 4095));
      h.recordValue(500 + (i & 2047));
    }
    return (nowNs() - t) / samples;
  };
  runHdr();
  const hdrNs = runHdr();
  h.destroy();
  return { mdlabNs, hdrNs };
}

/**
 * Seconds from starting `mdlab run CONFIG` on a terminal (a pty from script(1), 160×48) to the
 * dashboard's first frame (its header), then quits with q as a user would.
 */
export async function firstFrame(mdlab: string, config: string, cwd: string): Promise<number> {
  const cmd = `stty cols 160 rows 48; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(mdlab)} run ${JSON.stringify(config)}`;
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color' };
  delete env.CI; // CI, set at all, means no dashboard
  const t0 = nowNs();
  const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd, stdio: ['pipe', 'pipe', 'pipe'], env });
  try {
    return await new Promise<number>((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(() => reject(new Error('no dashboard frame within 20 s')), 20_000);
      child.on('error', (e) => reject(new Error(`script(1) is needed for the dashboard figure: ${e.message}`)));
      child.stdout.on('data', (d: Buffer) => {
        seen = (seen + d.toString('latin1')).slice(-8192);
        if (/ mdlab .*·/.test(seen)) {
          clearTimeout(timer);
          resolve((nowNs() - t0) / 1e9);
        }
      });
      child.on('exit', (code) => reject(new Error(`the dashboard exited (${code}) before its first frame`)));
    });
  } finally {
    const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', r));
    child.stdin.write('q');
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(kill);
  }
}
